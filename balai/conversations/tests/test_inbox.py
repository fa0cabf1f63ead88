"""The staff inbox: waiting conversations, replies through the outbox (templates outside
the 24-hour window), take over, hand back, notes, live updates, media."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from balai.conversations.models import Conversation, ConversationNote
from balai.conversations.tests.base import ConversationTestCase
from balai.villages.roles import Role
from balai.whatsapp.models import Contact, Media, OutboundMessage, Template


class InboxTestCase(ConversationTestCase):
    def setUp(self):
        super().setUp()
        self.send("halo")
        self.send("petugas")
        self.conv = Conversation.objects.get(resident__phone=f"+{self.WA_ID}")
        self.code = self.conv.resident.code
        self.login(self.staff[Role.OPERATOR])

    def url(self, name, *args):
        return reverse(f"inbox:{name}", args=[self.village.slug, self.code, *args])

    def post(self, action, data=None):
        with self.round_trip():
            return self.client.post(self.url("action", action), data or {})


class InboxTest(InboxTestCase):
    def test_waiting_conversations_are_listed_and_the_transcript_shown(self):
        page = self.client.get(reverse("inbox:list", args=[self.village.slug]))
        self.assertContains(page, "Menunggu petugas (1)")
        self.assertContains(page, "Warga meminta petugas")
        detail = self.client.get(self.url("detail"))
        self.assertContains(detail, "petugas")  # the resident's message
        self.assertContains(detail, "Percakapan ini kami teruskan ke petugas desa")
        self.assertContains(detail, 'id="reply"')  # free text allowed: window open

    def test_reply_goes_through_the_outbox_as_the_staff_member(self):
        self.replies()
        self.post("balas", {"text": "Selamat siang, Bu. Ada yang bisa kami bantu?"})
        (reply,) = self.replies()
        self.assertEqual(reply["text"]["body"], "Selamat siang, Bu. Ada yang bisa kami bantu?")
        row = OutboundMessage.objects.exclude(kind="read").last()
        self.assertEqual(row.sent_by, self.staff[Role.OPERATOR])
        self.conv.refresh_from_db()
        self.assertEqual(self.conv.assigned_to, self.staff[Role.OPERATOR])
        # The assistant stays quiet while staff talk.
        self.assertEqual(self.send("baik pak terima kasih"), [])

    def test_outside_the_window_only_templates(self):
        Contact.objects.filter(resident=self.conv.resident).update(
            last_inbound_at=timezone.now() - dt.timedelta(hours=30)
        )
        template = Template.objects.create(
            village=self.village,
            name="balai_kabar_baru",
            purpose="reengage",
            status=Template.Status.APPROVED,
            body="Halo {{1}}, ada kabar dari {{2}}.",
            parameters=["nama", "desa"],
        )
        detail = self.client.get(self.url("detail"))
        self.assertContains(detail, "Lewat 24 jam sejak warga terakhir menulis")
        self.assertNotContains(detail, 'id="reply"')
        self.replies()
        self.post("balas", {"text": "Halo?"})
        self.assertEqual(self.replies(), [])  # refused, with the reason shown
        self.post("templat", {"template": template.pk})
        (sent,) = self.replies()
        self.assertEqual(sent["template"]["name"], "balai_kabar_baru")
        params = sent["template"]["components"][0]["parameters"]
        self.assertEqual([p["text"] for p in params], [self.conv.resident.name, "Pondok"])

    def test_hand_back_take_over_notes_and_assignment(self):
        self.post("catatan", {"text": "Warga minta dihubungi sore."})
        self.assertEqual(ConversationNote.objects.get().author, self.staff[Role.OPERATOR])
        self.post("tugaskan", {"user": self.staff[Role.KASI_PELAYANAN].pk})
        self.conv.refresh_from_db()
        self.assertEqual(self.conv.assigned_to, self.staff[Role.KASI_PELAYANAN])
        self.replies()
        self.post("kembalikan")
        self.conv.refresh_from_db()
        self.assertIsNone(self.conv.handoff_at)
        self.assertIn("sudah selesai", self.texts(self.replies()))
        self.assertTrue(self.send("menu"))  # the assistant answers again
        self.post("ambil-alih")
        self.conv.refresh_from_db()
        self.assertEqual(self.conv.handoff_reason, "Diambil alih petugas")
        self.assertEqual(self.send("halo"), [])

    def test_updates_return_only_new_lines(self):
        first = self.client.get(self.url("updates"), {"in": 0, "out": 0}).json()
        self.assertIn("petugas", first["html"])
        again = self.client.get(self.url("updates"), {"in": first["in"], "out": first["out"]})
        self.assertEqual(again.json()["html"], "")
        self.send("saya mau tanya bansos")
        fresh = self.client.get(self.url("updates"), {"in": first["in"], "out": first["out"]})
        self.assertIn("saya mau tanya bansos", fresh.json()["html"])
        bad = self.client.get(self.url("updates"), {"in": "x"})
        self.assertEqual(bad.status_code, 400)

    def test_photos_are_shown_to_office_staff_only(self):
        self.photo()
        media = Media.objects.get()
        url = reverse("whatsapp:media", args=[self.village.slug, media.code])
        self.assertContains(self.client.get(self.url("detail")), url)
        response = self.client.get(url)
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.login(self.staff[Role.DPL])
        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertEqual(self.client.get(self.url("detail")).status_code, 403)
        self.login(self.other_staff[Role.OPERATOR])
        self.assertEqual(self.client.get(url).status_code, 404)


class QuickReplyTest(InboxTestCase):
    def test_staff_add_use_and_remove_quick_replies(self):
        from balai.conversations.models import QuickReply

        url = reverse("inbox:quick_replies", args=[self.village.slug])
        self.client.post(url, {"title": "Jam buka", "text": "Kantor buka pukul 08.00."})
        reply = QuickReply.objects.get(village=self.village)
        self.assertContains(
            self.client.get(self.url("detail")), 'data-quick="Kantor buka pukul 08.00."'
        )
        self.client.post(url, {"title": "", "text": "x"})
        self.assertEqual(QuickReply.objects.count(), 1)
        self.login(self.other_staff[Role.OPERATOR])
        self.client.post(
            reverse("inbox:quick_replies", args=[self.other_village.slug]), {"hapus": reply.code}
        )
        self.assertTrue(QuickReply.objects.filter(pk=reply.pk).exists())  # not theirs: 404
        self.login(self.staff[Role.OPERATOR])
        self.client.post(url, {"hapus": reply.code})
        self.assertFalse(QuickReply.objects.exists())
