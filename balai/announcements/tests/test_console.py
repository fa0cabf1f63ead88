"""The console: compose, estimate, approval by role, send controls, report, topics."""

import csv
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from balai.announcements.models import Announcement, Broadcast, NewsSettings, Topic
from balai.announcements.sending import do_start
from balai.announcements.tests.helpers import (
    announcement,
    open_window,
    people,
    subscribe,
    template,
    topic,
)
from balai.test import ChannelTestCase
from balai.villages.models import AuditEvent
from balai.villages.roles import Role


def photo_with_gps() -> SimpleUploadedFile:
    image = Image.new("RGB", (2400, 1200), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "S", 2: (7.0, 40.0, 12.0)}  # GPS: where the photo was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return SimpleUploadedFile("posyandu.jpg", out.getvalue(), content_type="image/jpeg")


class ConsoleTestCase(ChannelTestCase):
    def setUp(self):
        self.umum = topic(self.village, "umum")
        self.audience = people(self.village, 3)
        subscribe(self.audience, self.umum)
        open_window(self.audience[:1])
        self.tpl = template(self.village)
        settings = NewsSettings.of(self.village)
        settings.approval_threshold = 2
        settings.rate_marketing = Decimal("586.33")
        settings.save()

    def url(self, name, *args):
        from django.urls import reverse

        return reverse(f"announcements:{name}", args=[self.village.slug, *args])

    def as_(self, role):
        self.login(self.staff[role])

    def messages_of(self, response):
        return [str(m) for m in response.context["messages"]] if response.context else []


class ComposeTest(ConsoleTestCase):
    def test_write_a_draft_with_a_photo_whose_location_is_removed(self):
        self.as_(Role.OPERATOR)
        response = self.client.post(
            self.url("create"),
            {
                "title": "Posyandu balita Sabtu",
                "body": "Posyandu di balai dusun, pukul 08.00. Bawa buku KIA.",
                "topic": self.umum.pk,
                "audience_areas": [self.dusun.pk],
                "image_upload": photo_with_gps(),
            },
        )
        post = Announcement.objects.get(title="Posyandu balita Sabtu")
        self.assertRedirects(response, self.url("detail", post.code))
        self.assertEqual((post.state, post.author), ("draft", self.operator))
        self.assertEqual(list(post.audience_areas.all()), [self.dusun])
        with post.image.open("rb") as f, Image.open(f) as stored:
            self.assertEqual(stored.format, "JPEG")
            self.assertLessEqual(max(stored.size), 1600)
            self.assertEqual(dict(stored.getexif()), {})
        self.assertTrue(AuditEvent.objects.filter(action="announcement.create").exists())

    def test_a_pdf_must_be_a_pdf(self):
        self.as_(Role.OPERATOR)
        response = self.client.post(
            self.url("create"),
            {
                "title": "Jadwal",
                "body": "Terlampir jadwal.",
                "topic": self.umum.pk,
                "attachment_upload": SimpleUploadedFile("jadwal.pdf", b"MZ not a pdf"),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Lampiran harus berkas PDF.")
        self.assertFalse(Announcement.objects.exists())

    def test_the_page_shows_the_message_audience_cost_and_time(self):
        post = announcement(self.village)
        self.as_(Role.OPERATOR)
        response = self.client.get(self.url("detail", post.code))
        self.assertContains(response, "*Kerja bakti Minggu pagi*")
        self.assertContains(response, "<strong>3</strong> warga")
        self.assertContains(response, "Rp 1.173")  # 2 outside × Rp 586,33
        self.assertContains(response, "Lebih dari 2 penerima: perlu persetujuan")
        self.assertContains(response, "Ajukan persetujuan")
        self.assertNotContains(response, "Kirim ke 3 warga")
        self.assertContains(response, "Halo Bapak/Ibu, kabar dari Desa Pondok")  # template


class ApprovalTest(ConsoleTestCase):
    def post_action(self, post, action):
        return self.client.post(self.url("action", post.code, action), follow=True)

    def test_over_the_threshold_the_sekdes_or_kades_decides(self):
        post = announcement(self.village)
        self.as_(Role.OPERATOR)
        response = self.post_action(post, "kirim")
        self.assertIn("perlu persetujuan", " ".join(self.messages_of(response)))
        self.assertFalse(Broadcast.objects.exists())
        self.post_action(post, "ajukan")
        post.refresh_from_db()
        self.assertEqual((post.state, post.submitted_by), ("pending", self.operator))
        self.assertEqual(
            self.client.post(self.url("review", post.code), {"decision": "setujui"}).status_code,
            403,
        )

        self.as_(Role.SEKDES)
        response = self.client.post(
            self.url("review", post.code), {"decision": "tolak"}, follow=True
        )
        self.assertIn("alasan penolakan", " ".join(self.messages_of(response)))
        self.client.post(
            self.url("review", post.code), {"decision": "tolak", "note": "Tambahkan jamnya."}
        )
        post.refresh_from_db()
        self.assertEqual((post.state, post.review_note), ("draft", "Tambahkan jamnya."))

        self.as_(Role.OPERATOR)
        self.post_action(post, "ajukan")
        self.as_(Role.KADES)
        response = self.client.post(
            self.url("review", post.code), {"decision": "setujui"}, follow=True
        )
        self.assertIn("Disetujui", " ".join(self.messages_of(response)))
        post.refresh_from_db()
        self.assertEqual(post.state, "sending")
        self.assertEqual(post.approved_by, self.staff[Role.KADES])
        self.assertIsNotNone(post.published_at)
        self.assertEqual(post.broadcast.recipients.count(), 3)
        self.assertEqual(
            list(
                AuditEvent.objects.filter(object_code=post.code)
                .order_by("pk")
                .values_list("action", flat=True)
            ),
            [
                "announcement.submit",
                "announcement.reject",
                "announcement.submit",
                "announcement.approve_send",
            ],
        )
        # Sent once: a second approval or send changes nothing.
        self.assertIn(
            "tidak menunggu persetujuan",
            " ".join(
                self.messages_of(
                    self.client.post(
                        self.url("review", post.code), {"decision": "setujui"}, follow=True
                    )
                )
            ),
        )
        self.assertEqual(Broadcast.objects.count(), 1)

    def test_under_the_threshold_the_author_sends(self):
        NewsSettings.objects.filter(village=self.village).update(approval_threshold=100)
        post = announcement(self.village)
        self.as_(Role.OPERATOR)
        self.post_action(post, "kirim")
        post.refresh_from_db()
        self.assertEqual(post.state, "sending")
        self.assertIsNone(post.approved_by)

    def test_editing_a_submitted_announcement_needs_approval_again(self):
        post = announcement(self.village, state="pending")
        self.as_(Role.OPERATOR)
        self.client.post(
            self.url("edit", post.code),
            {
                "title": "Kerja bakti Minggu, jam 07.00",
                "body": "Bawa cangkul.",
                "topic": self.umum.pk,
            },
        )
        post.refresh_from_db()
        self.assertEqual((post.state, post.title), ("draft", "Kerja bakti Minggu, jam 07.00"))

    def test_web_only_and_hiding(self):
        post = announcement(self.village)
        self.as_(Role.OPERATOR)
        self.post_action(post, "terbitkan")
        self.assertEqual(self.client.get(f"/d/pondok/kabar/{post.code}/").status_code, 200)
        self.post_action(post, "sembunyikan")
        self.assertEqual(self.client.get(f"/d/pondok/kabar/{post.code}/").status_code, 404)
        self.post_action(post, "tampilkan")
        self.assertEqual(self.client.get(f"/d/pondok/kabar/{post.code}/").status_code, 200)
        self.assertIn(
            "tidak dihapus",
            " ".join(self.messages_of(self.post_action(post, "hapus"))),
        )


class SendControlsTest(ConsoleTestCase):
    def setUp(self):
        super().setUp()
        self.post = announcement(self.village)
        self.broadcast = do_start(self.post, self.operator)
        self.as_(Role.OPERATOR)

    def test_progress_pause_resume_cancel(self):
        data = self.client.get(self.url("progress", self.post.code)).json()
        self.assertEqual((data["total"], data["counts"]["waiting"], data["percent"]), (3, 3, 0))
        self.client.post(self.url("action", self.post.code, "jeda"))
        self.broadcast.refresh_from_db()
        self.assertEqual(self.broadcast.state, "paused")
        response = self.client.get(self.url("detail", self.post.code))
        self.assertContains(response, "Lanjutkan")
        self.assertContains(response, 'max="100" value="0"')
        self.client.post(self.url("action", self.post.code, "lanjutkan"))
        self.broadcast.refresh_from_db()
        self.assertEqual(self.broadcast.state, "running")
        self.client.post(self.url("action", self.post.code, "batalkan"))
        data = self.client.get(self.url("progress", self.post.code)).json()
        self.assertEqual((data["state"], data["counts"]["withdrawn"], data["percent"]),
                         ("cancelled", 3, 100))  # fmt: skip

    def test_delivery_report_masks_phone_numbers_and_is_audited(self):
        response = self.client.get(self.url("report", self.post.code))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        self.assertEqual(rows[0][0], "\ufeffnama")
        self.assertEqual(len(rows), 4)
        phones = [r[1] for r in rows[1:]]
        self.assertTrue(all("••••" in p for p in phones), phones)
        self.assertFalse({p.phone for p in self.audience} & set(phones))
        self.assertEqual(rows[1][3], "menunggu giliran")
        self.assertTrue(AuditEvent.objects.filter(action="announcement.report").exists())


class TopicsAndSettingsTest(ConsoleTestCase):
    def test_at_most_nine_active_topics(self):
        self.as_(Role.OPERATOR)
        for i in range(4):
            response = self.client.post(
                self.url("topics"), {"name": f"Topik {i}", "is_active": "on"}
            )
        self.assertEqual(Topic.objects.filter(village=self.village, is_active=True).count(), 9)
        self.assertContains(response, "Paling banyak 9 topik aktif")
        created = Topic.objects.get(village=self.village, name="Topik 0")
        self.assertEqual(created.slug, "topik-0")

    def test_settings_belong_to_sekdes_and_kades(self):
        self.as_(Role.OPERATOR)
        self.assertEqual(self.client.get(self.url("settings")).status_code, 403)
        self.as_(Role.SEKDES)
        self.client.post(
            self.url("settings"),
            {
                "approval_threshold": 500,
                "messaging_limit": 2000,
                "normal_share": 80,
                "rate_marketing": "600",
            },
        )
        settings = NewsSettings.of(self.village)
        self.assertEqual(
            (settings.approval_threshold, settings.messaging_limit, settings.normal_share),
            (500, 2000, 80),
        )
        self.assertEqual(settings.rate_marketing, Decimal("600"))


class ListPagesTest(ConsoleTestCase):
    def test_query_counts_do_not_grow_with_rows(self):
        self.as_(Role.OPERATOR)
        for i in range(3):
            announcement(self.village, title=f"Kabar {i}")
        self.client.get(self.url("list"))
        with self.assertNumQueries(10) as first:
            self.client.get(self.url("list"))
        for i in range(10):
            announcement(self.village, title=f"Kabar lagi {i}")
        subscribe(people(self.village, 20, start=100), self.umum)
        with self.assertNumQueries(len(first)):
            self.client.get(self.url("list"))
        self.client.get(self.url("subscribers"))
        with self.assertNumQueries(12) as first:
            self.client.get(self.url("subscribers"))
        subscribe(people(self.village, 20, start=200), topic(self.village, "umkm"))
        with self.assertNumQueries(len(first)):
            self.client.get(self.url("subscribers"))
