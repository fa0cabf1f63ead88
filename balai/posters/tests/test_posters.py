"""QR posters: every QR decodes to the right wa.me link, the PDFs carry the service's facts,
the zip holds every file, the style form, and the village without a WhatsApp number."""

import io
import zipfile

import pypdfium2 as pdfium
import zxingcpp
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from balai.letters.catalogue import DEFAULT_LETTER_TYPES
from balai.letters.models import LetterType
from balai.posters import posters
from balai.posters.models import DEFAULT_TAGLINE, PosterStyle
from balai.public.links import MENU_TEXT, short_url, wa_link
from balai.test import BaseTestCase, ChannelTestCase
from balai.villages.models import AuditEvent
from balai.villages.roles import Role

A4_POINTS = (595, 842)  # 210 × 297 mm in PDF points


def pdf_document(pdf: bytes) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(pdf)


def pdf_to_image(pdf: bytes, dpi: int = 150) -> Image.Image:
    """Rendered here with pdfium, independently of the app's own PNG export."""
    document = pdf_document(pdf)
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    """The page's text with every run of whitespace (line breaks included) as one space."""
    document = pdf_document(pdf)
    try:
        return " ".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def decode_png(data: bytes) -> list[str]:
    return decode(Image.open(io.BytesIO(data)).convert("RGB"))


def squeeze(text: str) -> str:
    return "".join(text.split())


class PosterTestCase(ChannelTestCase):
    def setUp(self):
        self.login(self.operator)

    def url(self, name, *args):
        return reverse(f"posters:{name}", args=[self.village.slug, *args])

    def expected_links(self) -> dict[str, str]:
        """Poster key → the link its QR must carry, built here from balai.public.links."""
        links = {"utama": wa_link(self.village, MENU_TEXT), "aduan": wa_link(self.village, "ADUAN")}
        for lt in LetterType.objects.filter(village=self.village, is_active=True):
            links[lt.slug] = wa_link(self.village, lt.deep_link_text)
        return links

    def get_pdf(self, key) -> bytes:
        response = self.client.get(self.url("pdf", key))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        return response.content


class QrTest(PosterTestCase):
    def test_every_poster_qr_decodes_to_its_link(self):
        expected = self.expected_links()
        self.assertEqual(len(expected), len(DEFAULT_LETTER_TYPES) + 2)
        # Spelled out once, so a mistake shared by links.py and this test still shows.
        self.assertEqual(expected["sktm"], "https://wa.me/15550783881?text=LAYANAN%20SKTM")
        self.assertEqual(expected["utama"], "https://wa.me/15550783881?text=MENU")
        self.assertEqual(expected["aduan"], "https://wa.me/15550783881?text=ADUAN")
        self.assertEqual({p.key for p in posters.posters_for(self.village)}, set(expected))
        for key, link in expected.items():
            with self.subTest(poster=key):
                pdf = self.get_pdf(key)
                document = pdf_document(pdf)
                self.assertEqual(len(document), 1, "a poster is one A4 page")
                self.assertEqual(tuple(round(x) for x in document[0].get_size()), A4_POINTS)
                document.close()
                self.assertEqual(decode(pdf_to_image(pdf)), [link])

    def test_png_download_decodes_the_same(self):
        for key, link in self.expected_links().items():
            with self.subTest(poster=key):
                response = self.client.get(self.url("png", key))
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Content-Type"], "image/png")
                image = Image.open(io.BytesIO(response.content))
                # A4 at 150 dpi (pdfium rounds the 1240.2 px width up)
                self.assertAlmostEqual(image.width, 1240, delta=1)
                self.assertAlmostEqual(image.height, 1754, delta=1)
                self.assertEqual(decode_png(response.content), [link])

    def test_short_url_leads_to_the_same_link(self):
        """The address printed under the QR (for those who cannot scan) opens what the QR
        opens: balai.public's redirect, followed here."""
        self.client.logout()
        for poster in posters.posters_for(self.village):
            with self.subTest(poster=poster.key):
                path = poster.short.removeprefix(settings.SITE_URL)
                response = self.client.get(path)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response["Location"], poster.link)

    def test_small_preview_is_small(self):
        response = self.client.get(self.url("png", "sktm") + "?ukuran=kecil")
        image = Image.open(io.BytesIO(response.content))
        self.assertAlmostEqual(image.width, 248, delta=1)  # A4 at 30 dpi
        self.assertLess(len(response.content), 60_000)

    def test_unchanged_poster_is_not_sent_again(self):
        response = self.client.get(self.url("png", "sktm"))
        again = self.client.get(
            self.url("png", "sktm"), headers={"if-none-match": response["ETag"]}
        )
        self.assertEqual(again.status_code, 304)


class ContentTest(PosterTestCase):
    def test_letter_poster_text(self):
        style = PosterStyle.for_village(self.village)
        for lt in LetterType.objects.filter(village=self.village).active():
            with self.subTest(letter_type=lt.slug):
                text = pdf_text(self.get_pdf(lt.slug))
                self.assertIn(lt.name, text)
                self.assertIn(lt.summary, text)
                for line in lt.requirement_lines():  # "bidan/RS" may break after the slash
                    self.assertIn(squeeze(line), squeeze(text))
                self.assertIn(f"± {lt.days} hari kerja", text)
                self.assertIn("Gratis", text)
                self.assertIn(str(self.village).upper(), text)
                self.assertIn(lt.deep_link_text, text)
                self.assertIn("+1 555-078-3881", text)
                short = short_url(self.village, lt.keyword).split("://")[1]
                self.assertIn(squeeze(short), squeeze(text))
                self.assertIn(style.tagline, text)
                self.assertIn("Surat dikirim ke WhatsApp", text)

    def test_cost_head_of_family_and_pickup(self):
        LetterType.objects.filter(village=self.village, slug="skck").update(cost=10000, days=4)
        self.village.deliver_on_whatsapp = False
        self.village.save()
        text = pdf_text(self.get_pdf("skck"))
        self.assertIn("Rp10.000", text)
        self.assertIn("± 4 hari kerja", text)
        self.assertIn("Ambil di kantor desa", text)
        self.assertNotIn("Surat dikirim ke WhatsApp", text)
        self.assertIn("Diajukan oleh kepala keluarga", pdf_text(self.get_pdf("sktm")))

    def test_own_requirements_note_is_printed(self):
        LetterType.objects.filter(village=self.village, slug="usaha").update(
            requirements="Usaha sudah berjalan paling sedikit 6 bulan."
        )
        text = pdf_text(self.get_pdf("usaha"))
        self.assertIn("Usaha sudah berjalan paling sedikit 6 bulan.", text)

    def test_master_poster_lists_every_service_and_office_hours(self):
        text = pdf_text(self.get_pdf("utama"))
        for lt in LetterType.objects.filter(village=self.village).active():
            self.assertIn(lt.name, text)
        self.assertIn("Semua gratis", text)
        self.assertIn("Senin–Kamis 08.00–15.00", text)
        self.assertIn("Jumat 08.00–11.00", text)
        self.assertIn(squeeze(short_url(self.village).split("://")[1]), squeeze(text))
        self.assertIn(f"dengan pesan {MENU_TEXT}", text)

    def test_complaint_poster_lists_categories(self):
        text = pdf_text(self.get_pdf("aduan"))
        categories = list(self.village.complaint_categories.filter(is_active=True))
        shown = categories if len(categories) <= posters.MAX_ITEMS + 1 else categories[:7]
        for category in shown:
            self.assertIn(category.name, text)
        self.assertIn(squeeze(short_url(self.village, "aduan").split("://")[1]), squeeze(text))
        self.assertIn("dengan pesan ADUAN", text)

    def test_logo_is_printed(self):
        def images(pdf):
            document = pdf_document(pdf)
            found = list(document[0].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]))
            document.close()
            return len(found)

        self.assertEqual(images(self.get_pdf("sktm")), 0)  # the QR is vector, not an image
        logo = io.BytesIO()
        Image.new("RGB", (64, 64), (200, 30, 30)).save(logo, "PNG")
        self.village.logo.save("pondok.png", ContentFile(logo.getvalue()))
        self.assertEqual(images(self.get_pdf("sktm")), 1)

    def test_long_content_still_fits_one_page(self):
        lt = LetterType.objects.get(village=self.village, slug="kelahiran")
        lt.name = "Surat Keterangan " + "Sangat Panjang Sekali " * 6
        lt.summary = "Kegunaan yang ditulis panjang oleh petugas. " * 6
        lt.documents = [{"key": f"d{i}", "label": f"Dokumen pendukung nomor {i}"} for i in range(9)]
        lt.requirements = "Catatan desa yang sangat panjang. " * 12
        lt.save()
        self.village.name = "Sukamaju Makmur Sejahtera Jaya"
        self.village.save()
        PosterStyle.objects.create(village=self.village, tagline="Kalimat ajakan " * 5 + "x" * 5)
        for key in ("kelahiran", "utama"):
            with self.subTest(poster=key):
                pdf = self.get_pdf(key)
                self.assertEqual(len(pdf_document(pdf)), 1)
                self.assertEqual(decode(pdf_to_image(pdf)), [self.expected_links()[key]])
        text = pdf_text(self.get_pdf("kelahiran"))
        self.assertIn("dan 3 lainnya", text)  # nine documents: six shown


class ZipTest(PosterTestCase):
    def test_zip_holds_pdf_and_png_for_every_poster(self):
        response = self.client.get(self.url("zip"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/zip")
        self.assertIn('attachment; filename="poster-pondok.zip"', response["Content-Disposition"])
        expected = self.expected_links()
        names = {
            f"poster-pondok-{key.replace('_', '-')}.{ext}"
            for key in expected
            for ext in ("pdf", "png")
        }
        self.assertIn("poster-pondok-sktm.pdf", names)
        self.assertIn("poster-pondok-belum-menikah.png", names)
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            self.assertEqual(set(archive.namelist()), names)
            for key, link in expected.items():
                stem = f"poster-pondok-{key.replace('_', '-')}"
                with self.subTest(poster=key):
                    self.assertTrue(archive.read(f"{stem}.pdf").startswith(b"%PDF-"))
                    self.assertEqual(decode_png(archive.read(f"{stem}.png")), [link])

    def test_inactive_letter_types_get_no_poster(self):
        LetterType.objects.filter(village=self.village, slug__in=["sktm", "ktp"]).update(
            is_active=False
        )
        keys = {p.key for p in posters.posters_for(self.village)}
        self.assertNotIn("sktm", keys)
        self.assertIn("domisili", keys)
        self.assertEqual(self.client.get(self.url("pdf", "sktm")).status_code, 404)
        self.assertEqual(self.client.get(self.url("png", "ktp")).status_code, 404)
        page = self.client.get(self.url("index"))
        self.assertContains(page, "2 jenis surat nonaktif tidak dibuatkan poster")
        self.assertNotContains(page, "Surat Keterangan Tidak Mampu")
        text = pdf_text(self.get_pdf("utama"))
        self.assertNotIn("Surat Keterangan Tidak Mampu", text)
        with zipfile.ZipFile(io.BytesIO(self.client.get(self.url("zip")).content)) as archive:
            self.assertNotIn("poster-pondok-sktm.pdf", archive.namelist())
            self.assertEqual(len(archive.namelist()), 2 * (len(DEFAULT_LETTER_TYPES) - 2 + 2))

    def test_unknown_poster_is_404(self):
        self.assertEqual(self.client.get(self.url("pdf", "tidak-ada")).status_code, 404)


class StyleTest(PosterTestCase):
    def test_defaults_without_saving(self):
        style = PosterStyle.for_village(self.village)
        self.assertIsNone(style.pk)
        self.assertEqual(style.tagline, DEFAULT_TAGLINE)
        self.client.get(self.url("index"))
        self.assertFalse(PosterStyle.objects.exists())

    def test_style_change_shows_on_the_posters(self):
        response = self.client.post(
            self.url("style"),
            {"primary": "#7A1F3D", "accent": "#ffd23f", "tagline": "Urus surat sambil  ngopi"},
        )
        self.assertRedirects(response, self.url("index"))
        style = PosterStyle.objects.get(village=self.village)
        self.assertEqual(
            (style.primary, style.accent, style.tagline),
            ("#7a1f3d", "#ffd23f", "Urus surat sambil ngopi"),
        )
        event = AuditEvent.objects.get(village=self.village, action="poster.style")
        self.assertEqual(event.detail["fields"], ["accent", "primary", "tagline"])
        self.assertEqual(event.actor, self.operator)

        poster = posters.poster_for(self.village, "sktm")
        html = posters.poster_html(self.village, poster, style)
        self.assertIn("background: #7a1f3d", html)
        self.assertIn("background: #ffd23f", html)
        self.assertContains(self.client.get(self.url("index")), "#7a1f3d")

        pdf = self.get_pdf("sktm")
        text = pdf_text(pdf)
        self.assertIn("Urus surat sambil ngopi", text)
        self.assertNotIn(DEFAULT_TAGLINE, text)
        # The band at the top of the printed page is the new colour.
        image = pdf_to_image(pdf)
        self.assertEqual(image.getpixel((20, 20)), (0x7A, 0x1F, 0x3D))
        self.assertEqual(decode(image), [wa_link(self.village, "LAYANAN SKTM")])

    def test_saving_the_same_style_writes_no_audit(self):
        data = {"primary": "#0b6e4f", "accent": "#f2a900", "tagline": DEFAULT_TAGLINE}
        self.client.post(self.url("style"), data)
        self.assertFalse(AuditEvent.objects.filter(action="poster.style").exists())

    def test_invalid_colour_is_a_form_error(self):
        for primary in ["hijau", "#12345", "#12345g", "123456"]:
            with self.subTest(primary=primary):
                response = self.client.post(
                    self.url("style"), {"primary": primary, "accent": "#ffd23f", "tagline": "x"}
                )
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "enam angka/huruf heksadesimal")
        response = self.client.post(
            self.url("style"), {"primary": "#123456", "accent": "#ffd23f", "tagline": "x" * 81}
        )
        self.assertContains(response, "paling banyak 80 karakter")
        self.assertFalse(PosterStyle.objects.exists())

    def test_text_on_a_light_colour_is_dark(self):
        self.assertEqual(posters.ink_on("#0b6e4f"), "#ffffff")
        self.assertEqual(posters.ink_on("#ffff00"), posters.INK)
        self.assertEqual(posters.readable("#ffff00"), posters.INK)
        self.assertEqual(posters.tint("#000000", 0.1), "#e6e6e6")

    def test_only_managers_change_the_style(self):
        self.login(self.staff[Role.KASI_PELAYANAN])
        page = self.client.get(self.url("index"))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, self.url("style"))
        self.assertEqual(self.client.get(self.url("style")).status_code, 403)
        self.login(self.staff[Role.SEKDES])
        self.assertContains(self.client.get(self.url("index")), self.url("style"))


class NoNumberTest(BaseTestCase):
    """BaseTestCase's villages have no WhatsApp number."""

    def url(self, name, *args):
        return reverse(f"posters:{name}", args=[self.village.slug, *args])

    def test_console_says_what_to_do(self):
        self.login(self.operator)
        page = self.client.get(self.url("index"))
        self.assertContains(page, "Hubungkan nomor WhatsApp desa dulu di tab")
        self.assertContains(page, reverse("whatsapp:channel", args=[self.village.slug]))
        self.assertNotContains(page, self.url("zip"))
        self.assertEqual(posters.posters_for(self.village), [])

    def test_downloads_are_a_clear_404(self):
        self.login(self.staff[Role.DPL])
        for url in [self.url("pdf", "sktm"), self.url("png", "utama"), self.url("zip")]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, "Hubungkan nomor WhatsApp desa dulu", status_code=404)

    def test_number_without_display_number_is_not_enough(self):
        from balai.whatsapp.models import WhatsAppNumber

        WhatsAppNumber.objects.create(village=self.village, phone_number_id="1")
        self.assertFalse(posters.can_make_posters(self.village))


class KeysTest(BaseTestCase):
    def test_catalogue_slugs_do_not_collide_with_special_posters(self):
        slugs = {spec["slug"] for spec in DEFAULT_LETTER_TYPES}
        self.assertEqual(slugs & posters.RESERVED_KEYS, set())


class QueryCountTest(PosterTestCase):
    def count(self) -> int:
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.client.get(self.url("index")).status_code, 200)
        return len(queries)

    def test_console_page_queries_do_not_grow_with_letter_types(self):
        self.count()  # the first visit also stores the chosen village in the session
        before = self.count()
        for i in range(5):
            LetterType.objects.create(
                village=self.village, slug=f"extra{i}", name=f"Surat {i}", keyword=f"EXTRA{i}"
            )
        self.assertEqual(self.count(), before)
