"""The complaints desk: states with the resident told, public reply vs internal note,
moderation, merging duplicates, roles and tenancy."""

from django.urls import reverse

from balai.complaints.actions import do_submit_complaint
from balai.complaints.models import Category, Complaint
from balai.conversations.tests.base import ConversationTestCase
from balai.villages.roles import Role
from balai.whatsapp.models import OutboundMessage


class DeskTest(ConversationTestCase):
    WA_ID = "6281234567890"  # Siti Aminah

    def setUp(self):
        super().setUp()
        self.send("halo")
        self.complaint = self.submit("Jalan di depan SD berlubang, Pak Budi RT 03 tidak peduli.")
        self.replies()
        self.login(self.staff[Role.OPERATOR])

    def submit(self, text):
        return do_submit_complaint(
            resident=self.resident,
            kind="complaint",
            category=Category.objects.get(village=self.village, slug="jalan"),
            description=text,
            show_name=True,
        )

    def url(self, name, *args, code=None):
        return reverse(
            f"complaint_desk:{name}", args=[self.village.slug, code or self.complaint.code, *args]
        )

    def post(self, action, data, code=None):
        with self.round_trip():
            return self.client.post(self.url("action", action, code=code), data)

    def test_states_follow_the_flow_and_the_resident_is_told(self):
        self.post("status", {"state": "resolved"})  # not from "diterima"
        self.complaint.refresh_from_db()
        self.assertEqual(self.complaint.state, "received")
        self.post("status", {"state": "in_progress", "note": "Sudah dicek Pak Kadus."})
        self.complaint.refresh_from_db()
        self.assertEqual(self.complaint.state, "in_progress")
        (told,) = self.replies()
        self.assertIn("Sedang ditangani", self.body(told))
        self.assertIn("Sudah dicek Pak Kadus.", self.body(told))
        self.post("status", {"state": "resolved", "note": "Sudah ditambal."})
        (question,) = self.replies()
        self.assertIn("Apakah masalahnya sudah beres?", self.body(question))
        answer = self.tap(question, "Sudah beres")
        self.assertIn("kami tutup", self.texts(answer))
        self.complaint.refresh_from_db()
        self.assertEqual(self.complaint.state, "closed")

    def test_reject_needs_a_reason(self):
        self.post("status", {"state": "rejected", "note": ""})
        self.complaint.refresh_from_db()
        self.assertEqual(self.complaint.state, "received")
        self.post("status", {"state": "rejected", "note": "Jalan provinsi, bukan wewenang desa."})
        self.complaint.refresh_from_db()
        self.assertEqual(self.complaint.state, "rejected")
        self.assertIn("bukan wewenang desa", self.body(self.replies()[0]))

    def test_public_reply_is_sent_internal_note_is_not(self):
        self.post("balas", {"note": "Terima kasih, besok kami cek."})
        self.assertIn("besok kami cek", self.body(self.replies()[0]))
        before = OutboundMessage.objects.count()
        self.post("catatan", {"note": "Koordinasi dengan PU kabupaten."})
        self.assertEqual(OutboundMessage.objects.count(), before)
        self.assertTrue(self.complaint.events.get(action="note").internal)

    def test_moderation_keeps_the_residents_words(self):
        self.post(
            "moderasi",
            {"public_text": "Jalan di depan SD berlubang.", "photo_hidden": "on"},
        )
        self.complaint.refresh_from_db()
        self.assertEqual(self.complaint.shown_text, "Jalan di depan SD berlubang.")
        self.assertIn("Pak Budi", self.complaint.description)
        self.assertTrue(self.complaint.photo_hidden)
        self.assertFalse(self.complaint.hidden)

    def test_merge_duplicates_and_tell_both_reporters(self):
        duplicate = self.submit("Jalan depan SD rusak parah")
        self.replies()
        self.post("gabung", {"into": self.complaint.code}, code=duplicate.code)
        duplicate.refresh_from_db()
        self.assertEqual((duplicate.state, duplicate.duplicate_of), ("closed", self.complaint))
        self.assertIn(f"sama dengan laporan {self.complaint.code}", self.body(self.replies()[0]))
        self.post("status", {"state": "in_progress"})
        texts = self.texts(self.replies())
        self.assertIn("digabung dengan laporan ini", texts)
        # A complaint cannot be merged into itself.
        self.post("gabung", {"into": self.complaint.code})
        self.complaint.refresh_from_db()
        self.assertIsNone(self.complaint.duplicate_of)

    def test_roles_and_tenancy(self):
        for role in (Role.PENDAMPING, Role.DPL):
            self.login(self.staff[role])
            self.assertEqual(self.client.get(self.url("detail")).status_code, 403)
        self.login(self.other_staff[Role.OPERATOR])
        self.assertEqual(self.client.get(self.url("detail")).status_code, 404)
        self.login(self.staff[Role.KADES])
        page = self.client.get(reverse("complaint_desk:list", args=[self.village.slug]))
        self.assertContains(page, self.complaint.code)
        self.assertEqual(Complaint.objects.count(), 1)
