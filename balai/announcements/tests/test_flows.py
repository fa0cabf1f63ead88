"""Subscribing on WhatsApp, driven through the simulator as a new resident."""

from balai.announcements.models import ConsentLog, Subscription
from balai.announcements.tests.helpers import topic
from balai.conversations.tests.base import ConversationTestCase
from balai.residents.models import Resident
from balai.villages.models import Area
from balai.whatsapp.models import Contact


class SubscribeTest(ConversationTestCase):
    def me(self):
        return Resident.objects.get(phone=f"+{self.WA_ID}")

    def topics(self):
        return sorted(
            Subscription.objects.filter(resident=self.me()).values_list("topic__slug", flat=True)
        )

    def test_langganan_subscribes_at_once_and_records_what_was_shown(self):
        replies = self.send("LANGGANAN")
        offer = replies[-1]
        text = self.body(offer)
        self.assertIn("menerima kabar dari Desa Pondok: *Umum, Darurat*", text)
        self.assertIn("Ketik *berhenti* kapan saja", text)
        self.assertEqual(
            [t for _i, t in self.choices(offer)], ["Pilih topik", "Atur wilayah", "Sudah cukup"]
        )
        self.assertEqual(self.topics(), ["darurat", "umum"])
        log = ConsentLog.objects.get(resident=self.me())
        self.assertEqual(log.action, "subscribe")
        self.assertIn("*Umum, Darurat*", log.text)
        self.assertTrue(text.startswith(log.text))  # the opt-in text is what was shown
        contact = Contact.objects.get(resident=self.me())
        self.assertIsNotNone(contact.opted_in_at)  # Meta's template opt-in
        # Again: nothing new, and it says so.
        again = self.body(self.send("langganan")[-1])
        self.assertIn("sudah menerima kabar", again)
        self.assertEqual(ConsentLog.objects.filter(resident=self.me()).count(), 1)

    def test_langganan_with_a_topic_word_and_the_recognised_intent(self):
        self.send("LANGGANAN POSYANDU")
        self.assertEqual(self.topics(), ["kesehatan"])
        self.send("mau terima info bansos")  # the recogniser's "subscribe"
        self.assertEqual(self.topics(), ["bansos", "kesehatan"])

    def test_ticking_topics_on_and_off(self):
        offer = self.send("langganan")[-1]
        (topics,) = self.tap(offer, "Pilih topik")
        rows = dict((t, i) for i, t in self.choices(topics))
        self.assertIn("✓ Umum", rows)
        self.assertIn("Pertanian", rows)
        self.assertIn("Selesai", rows)
        (topics,) = self.tap(topics, "Pertanian")
        self.assertIn("juga menerima kabar", self.body(topics))
        self.assertIn("✓ Pertanian", dict((t, i) for i, t in self.choices(topics)))
        (topics,) = self.tap(topics, "✓ Umum")
        self.assertIn("*Umum* tidak kami kirim lagi", self.body(topics))
        (topics,) = self.send("3")  # typed: the third topic (Bantuan sosial)
        self.assertEqual(self.topics(), ["bansos", "darurat", "pertanian"])
        (done,) = self.tap(topics, "Selesai")
        self.assertIn("Anda menerima kabar: *Bantuan sosial, Pertanian, Darurat*", self.body(done))
        actions = list(
            ConsentLog.objects.filter(resident=self.me())
            .order_by("pk")
            .values_list("action", "topics")
        )
        self.assertEqual(
            actions,
            [
                ("subscribe", "Umum, Darurat"),
                ("subscribe", "Pertanian"),
                ("unsubscribe", "Umum"),
                ("subscribe", "Bantuan sosial"),
            ],
        )

    def test_choosing_the_dusun_and_rt(self):
        rt = Area.objects.create(village=self.village, kind="rt", name="002", parent=self.dusun)
        offer = self.send("langganan")[-1]
        (dusun,) = self.tap(offer, "Atur wilayah")
        self.assertIn("dusun mana", self.body(dusun))
        (rts,) = self.tap(dusun, "Dusun Krajan")
        self.assertEqual([t for _i, t in self.choices(rts)], ["RT 002", "Semua RT"])
        (done,) = self.tap(rts, "RT 002")
        self.assertIn("Wilayah: RT 002, Dusun Krajan.", self.body(done))
        self.assertEqual(
            set(Subscription.objects.filter(resident=self.me()).values_list("area", flat=True)),
            {rt.pk},
        )

    def test_berhenti_leaves_every_topic(self):
        self.send("langganan")
        self.send("LANGGANAN PERTANIAN")
        (reply,) = self.send("berhenti")
        self.assertIn("Sudah kami hentikan", self.body(reply))
        self.assertIn("• Kabar desa (3 topik)", self.body(reply))
        self.assertEqual(self.topics(), [])
        self.assertEqual(
            ConsentLog.objects.filter(resident=self.me()).latest("pk").action, "unsubscribe"
        )
        # Nothing left to stop: the line is not repeated.
        (reply,) = self.send("stop")
        self.assertNotIn("Kabar desa", self.body(reply))

    def test_a_village_with_no_topics_open(self):
        for slug in ("umum", "kesehatan", "bansos", "pertanian", "umkm", "darurat"):
            t = topic(self.village, slug)
            t.is_active = False
            t.save()
        reply = self.send("langganan")[-1]
        self.assertIn("belum membuka langganan kabar", self.body(reply))
        self.assertEqual(Subscription.objects.count(), 0)
