"""Public pages without a login: what residents see, what they must never see, and how
heavy each page is."""

import io
import re
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from balai.complaints.actions import do_submit_complaint
from balai.complaints.desk import do_moderate
from balai.complaints.models import Category, Complaint
from balai.letters.actions import do_change_state, do_submit_request
from balai.letters.models import LetterType, RequestEvent
from balai.public import lookup
from balai.test import ChannelTestCase
from balai.villages.access import access_village
from balai.villages.models import Holiday
from balai.whatsapp.models import InboundMessage, Media

CSS = Path(settings.BASE_DIR) / "balai/public/static/public/public.css"
BUDGET = 50 * 1024


def weight(response) -> int:
    """The page plus its one stylesheet, uncompressed (what a phone without gzip gets)."""
    return len(response.content) + CSS.stat().st_size


class PagesTest(ChannelTestCase):
    def setUp(self):
        cache.clear()

    def test_home_shows_hours_services_and_the_whatsapp_button(self):
        Holiday.objects.create(
            village=self.village, date=self.village.local_now().date(), name="Hari Desa"
        )
        response = self.client.get("/d/pondok/")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("<h1>Desa Pondok</h1>", html)
        self.assertIn('href="https://wa.me/15550783881?text=MENU"', html)
        self.assertIn("(hari ini)", html)
        self.assertIn("libur: Hari Desa", html)
        self.assertIn("Kantor sedang tutup", html)
        self.assertIn("Surat Keterangan Domisili", html)
        self.assertIn('<meta property="og:title" content="Desa Pondok">', html)
        self.assertIn(
            '<meta property="og:url" content="http://testserver/d/pondok/"'.replace(
                "http://testserver", settings.SITE_URL
            ),
            html,
        )
        self.assertLess(weight(response), BUDGET)

    def test_home_shows_the_latest_news_and_the_catalogue_when_there_are_some(self):
        from balai.announcements.models import Announcement, Topic
        from balai.market.models import Product, Seller

        html = self.client.get("/d/pondok/").content.decode()
        self.assertNotIn("Kabar desa", html)
        self.assertNotIn("Katalog produk", html)
        topic = Topic.objects.filter(village=self.village).first() or Topic.objects.create(
            village=self.village, slug="umum", name="Umum"
        )
        Announcement.objects.create(
            village=self.village,
            topic=topic,
            title="Posyandu balita Kamis ini",
            body="Di balai RW 02.",
            published_at=timezone.now(),
        )
        Announcement.objects.create(
            village=self.village, topic=topic, title="Draf rahasia", body="-"
        )
        seller = Seller.objects.create(
            village=self.village, resident=self.resident, business_name="Warung Siti", slug="siti"
        )
        Product.objects.create(
            seller=seller, village=self.village, name="Nasi pecel", price=10000, is_published=True
        )
        html = self.client.get("/d/pondok/").content.decode()
        self.assertIn("Posyandu balita Kamis ini", html)
        self.assertNotIn("Draf rahasia", html)
        self.assertIn('href="/d/pondok/katalog/"', html)
        # Another village's news stays there.
        self.assertNotIn("Posyandu", self.client.get("/d/tigawasa/").content.decode())

    def test_services_link_each_active_type_to_its_whatsapp_flow(self):
        sktm = LetterType.objects.get(village=self.village, keyword="SKTM")
        sku = LetterType.objects.get(village=self.village, keyword="USAHA")
        sku.is_active = False
        sku.cost = 0
        sku.save()
        sktm.cost = 10000
        sktm.save()
        response = self.client.get("/d/pondok/layanan/")
        html = response.content.decode()
        self.assertIn('href="https://wa.me/15550783881?text=LAYANAN%20SKTM"', html)
        self.assertNotIn("text=LAYANAN%20USAHA", html)
        self.assertIn("Rp 10.000", html)
        self.assertIn("Gratis", html)
        actives = LetterType.objects.filter(village=self.village).active().count()
        self.assertEqual(html.count(">Ajukan lewat WhatsApp</a>"), actives)
        self.assertLess(weight(response), BUDGET)

        page = self.client.get("/d/pondok/layanan/sktm/")
        self.assertContains(page, f"<title>{sktm.name} · Desa Pondok</title>", html=False)
        self.assertContains(page, f"{settings.SITE_URL}/d/pondok/wa/sktm/")
        self.assertEqual(self.client.get("/d/pondok/layanan/usaha/").status_code, 404)
        self.assertEqual(self.client.get("/d/pondok/layanan/tidakada/").status_code, 404)
        self.assertEqual(self.client.get("/d/tidakada/layanan/").status_code, 404)

    def test_short_links_open_the_right_flow(self):
        def target(path):
            response = self.client.get(path)
            self.assertEqual(response.status_code, 302, path)
            return response["Location"]

        self.assertEqual(target("/d/pondok/wa/"), "https://wa.me/15550783881?text=MENU")
        self.assertEqual(
            target("/d/pondok/wa/sktm/"), "https://wa.me/15550783881?text=LAYANAN%20SKTM"
        )
        self.assertEqual(target("/d/pondok/wa/ADUAN/"), "https://wa.me/15550783881?text=ADUAN")
        self.assertEqual(target("/d/tigawasa/wa/"), "https://wa.me/15550783882?text=MENU")
        self.assertEqual(self.client.get("/d/pondok/wa/bukan-layanan/").status_code, 404)

        self.number.delete()
        response = self.client.get("/d/pondok/wa/sktm/")
        self.assertContains(response, "belum menyambungkan nomor WhatsApp", status_code=404)
        self.assertNotContains(self.client.get("/d/pondok/"), "wa.me")


class StatusLookupTest(ChannelTestCase):
    def setUp(self):
        cache.clear()
        self.request = do_submit_request(
            letter_type=LetterType.objects.get(village=self.village, slug="domisili"),
            resident=self.resident,
            contact=self.resident,
            identity="matched",
            answers={"keperluan": "melamar kerja di Solo"},
            attachments=[],
        )
        do_change_state(self.request, "in_review", note="KTP Siti Aminah sudah dicek")
        RequestEvent.objects.create(
            request=self.request,
            state="in_review",
            action="note",
            note="catatan internal petugas",
            internal=True,
            created=timezone.now(),
        )

    def ask(self, ticket, suffix, ip="10.0.0.1"):
        return self.client.post(
            "/d/pondok/status/", {"ticket": ticket, "phone_suffix": suffix}, REMOTE_ADDR=ip
        )

    def test_right_ticket_and_suffix_show_state_and_history_without_personal_data(self):
        response = self.ask(self.request.code.lower().replace("-", ""), "7890")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("Surat Keterangan Domisili", html)
        self.assertIn("Sedang diperiksa", html)
        self.assertIn("Diajukan", html)
        for private in ("Siti", "Aminah", "melamar", "catatan internal", "7890", "+6281"):
            self.assertNotIn(private, html)
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_a_complaint_ticket_works_too(self):
        complaint = do_submit_complaint(
            resident=self.resident,
            kind=Complaint.Kind.COMPLAINT,
            category=Category.objects.filter(village=self.village).first(),
            description="Lampu jalan mati di RT 02",
            show_name=False,
        )
        response = self.ask(complaint.code, "7890")
        self.assertContains(response, "Pengaduan")
        self.assertNotContains(response, "Lampu jalan")

    def test_a_wrong_suffix_reveals_nothing(self):
        def page_text(response):
            html = response.content.decode()
            return (
                re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
                .replace(self.request.code, "X")
                .replace("PDK-2601-9999", "X")
            )

        wrong = self.ask(self.request.code, "1111")
        unknown = self.ask("PDK-2601-9999", "1111")
        self.assertEqual(wrong.status_code, 200)
        self.assertContains(wrong, "tidak cocok")
        self.assertNotContains(wrong, "Domisili")
        self.assertEqual(page_text(wrong), page_text(unknown))
        # The other village's ticket is unknown here, even with the right suffix.
        other = do_submit_request(
            letter_type=LetterType.objects.get(village=self.other_village, slug="domisili"),
            resident=self.other_resident,
            contact=self.other_resident,
            identity="matched",
            answers={},
            attachments=[],
        )
        self.assertContains(self.ask(other.code, "8777"), "tidak cocok")

    def test_twenty_wrong_tries_in_a_minute_are_throttled(self):
        for i in range(lookup.MISSES_PER_MINUTE):
            self.assertEqual(self.ask(self.request.code, f"{i:04d}").status_code, 200)
        throttled = self.ask(self.request.code, "7890")
        self.assertEqual(throttled.status_code, 429)
        self.assertContains(throttled, "Terlalu banyak percobaan", status_code=429)
        self.assertNotContains(throttled, "Sedang diperiksa", status_code=429)
        # Another address is not blocked for other tickets, but this ticket is guarded on
        # its own (twenty misses on one ticket from many addresses).
        self.assertEqual(self.ask("PDK-2601-0001", "0000", ip="10.0.0.2").status_code, 200)
        self.assertEqual(self.ask(self.request.code, "7890", ip="10.0.0.3").status_code, 429)

    def test_bad_input_gets_a_clear_answer(self):
        response = self.ask("halo", "12ab")
        self.assertContains(response, "Nomor tiket tidak dikenali")
        self.assertContains(response, "Isi 4 angka terakhir")
        self.assertEqual(self.client.get("/d/pondok/status/").status_code, 200)
        self.assertEqual(self.client.put("/d/pondok/status/").status_code, 405)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1600, 1200), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "S", 2: (7.0, 41.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


class ComplaintBoardTest(ChannelTestCase):
    def setUp(self):
        cache.clear()
        media = tempfile.mkdtemp(prefix="balai-board-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        self.enterContext(override_settings(MEDIA_ROOT=media))
        self.category = Category.objects.filter(village=self.village).first()
        message = InboundMessage.objects.create(
            village=self.village,
            number=self.number,
            wamid="wamid.photo1",
            type="image",
            message={},
            sent_at=timezone.now(),
        )
        self.media = Media.objects.create(
            village=self.village,
            message=message,
            media_id="1",
            mime_type="image/jpeg",
            state="stored",
        )
        self.media.file.save("lubang.jpg", ContentFile(jpeg_with_gps()))
        self.shown = do_submit_complaint(
            resident=self.resident,
            kind=Complaint.Kind.COMPLAINT,
            category=self.category,
            description="Jalan berlubang di depan rumah Pak Budi, 0812-3456-7890",
            show_name=False,
            photo_id=self.media.pk,
        )
        self.unmoderated = do_submit_complaint(
            resident=self.resident,
            kind=Complaint.Kind.SUGGESTION,
            category=self.category,
            description="Usul belum diperiksa",
            show_name=True,
        )
        staff = access_village(self.operator, "pondok")
        do_moderate(
            self.shown,
            staff,
            public_text="Jalan berlubang di Dusun Krajan",
            hidden=False,
            photo_hidden=False,
        )
        self.village.public_complaints = True
        self.village.save()

    def test_board_is_off_unless_the_village_turns_it_on(self):
        self.village.public_complaints = False
        self.village.save()
        self.assertEqual(self.client.get("/d/pondok/aduan/").status_code, 404)
        self.assertNotContains(self.client.get("/d/pondok/"), "/d/pondok/aduan/")

    def test_only_moderated_text_without_names_unless_allowed(self):
        response = self.client.get("/d/pondok/aduan/")
        html = response.content.decode()
        self.assertIn("Jalan berlubang di Dusun Krajan", html)
        self.assertNotIn("Pak Budi", html)
        self.assertNotIn("Usul belum diperiksa", html)
        self.assertNotIn("Siti Aminah", html)
        self.assertIn("nama dirahasiakan", html)
        self.assertNotIn(self.shown.code, html)
        self.assertLess(weight(response), BUDGET)

        staff = access_village(self.operator, "pondok")
        Complaint.objects.filter(pk=self.unmoderated.pk).update(show_name=True)
        do_moderate(self.unmoderated, staff, public_text="", hidden=False, photo_hidden=False)
        self.assertContains(self.client.get("/d/pondok/aduan/"), "Siti Aminah")
        do_moderate(self.shown, staff, public_text="", hidden=True, photo_hidden=False)
        self.assertNotContains(self.client.get("/d/pondok/aduan/"), "Jalan berlubang")

    def test_photo_is_resized_and_stripped_of_its_metadata(self):
        html = self.client.get("/d/pondok/aduan/").content.decode()
        (src,) = re.findall(r'src="(/d/pondok/aduan/foto/[^"]+)"', html)
        response = self.client.get(src)
        self.assertEqual(response["Content-Type"], "image/jpeg")
        image = Image.open(io.BytesIO(response.content))
        self.assertLessEqual(max(image.size), 800)
        self.assertEqual(dict(image.getexif()), {})
        # Forged, other village's slug, or hidden afterwards: nothing.
        self.assertEqual(self.client.get(src[:-3] + "abc/").status_code, 404)
        elsewhere = src.replace("/d/pondok/", "/d/tigawasa/")
        self.assertEqual(self.client.get(elsewhere).status_code, 404)
        Complaint.objects.filter(pk=self.shown.pk).update(photo_hidden=True)
        self.assertEqual(self.client.get(src).status_code, 404)
