"""The queue of residents first met on WhatsApp: verify them, or merge them into the register
entry they duplicate (moving requests, complaints, messages, contact and conversation)."""

import datetime as dt
from unittest import mock

from django.utils import timezone

from balai.complaints.actions import do_submit_complaint
from balai.complaints.models import Category, Complaint
from balai.conversations.models import Conversation, ConversationNote
from balai.letters.actions import do_submit_request
from balai.letters.models import LetterType
from balai.residents.actions import MergeError, do_merge_residents, do_verify_resident
from balai.residents.models import Resident
from balai.test import ChannelTestCase
from balai.villages.models import AuditEvent
from balai.villages.roles import Role
from balai.whatsapp.models import Contact, InboundMessage, OutboundMessage

QUEUE = "/desa/pondok/verifikasi-warga/"


class QueueTestCase(ChannelTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Siti Aminah (cls.resident) is the register entry; she also wrote on WhatsApp from a
        # new number, which created a second, unverified entry.
        Resident.objects.filter(pk=cls.resident.pk).update(is_verified=True)
        cls.resident.refresh_from_db()
        cls.register = Resident.objects.create(
            village=cls.village,
            name="Bambang Sutrisno",
            nik="3311020303850007",
            birth_date=dt.date(1985, 3, 3),
            area=cls.dusun,
            is_verified=True,
        )
        cls.duplicate = Resident.objects.create(
            village=cls.village,
            name="Bambang Sutrisna",
            phone="+6281311112222",
            wa_user_id="ID.bambang",
            birth_date=dt.date(1985, 3, 3),
        )
        cls.newcomer = Resident.objects.create(
            village=cls.village,
            name="Warga (WhatsApp)",
            phone="+6281377778888",
            nik="3311025505950003",
        )
        cls.letter = LetterType.objects.get(village=cls.village, slug="domisili")
        cls.category = Category.objects.get(village=cls.village, slug="jalan")

    def setUp(self):
        self.login(self.operator)

    def submit_request(self, resident, contact):
        return do_submit_request(
            letter_type=self.letter,
            resident=resident,
            contact=contact,
            identity="new",
            answers={},
            attachments=[],
        )

    def inbound(self, resident, wamid):
        return InboundMessage.objects.create(
            village=self.village,
            number=self.number,
            wamid=wamid,
            wa_id=resident.phone.lstrip("+"),
            type="text",
            message={"text": {"body": "halo"}},
            sent_at=timezone.now(),
            resident=resident,
        )

    def merge_url(self, resident):
        return f"{QUEUE}{resident.code}/gabung/"


class QueueTest(QueueTestCase):
    def test_lists_unverified_newest_first_with_what_we_know(self):
        self.submit_request(self.duplicate, self.duplicate)
        self.submit_request(self.register, self.duplicate)  # asked on someone else's behalf
        response = self.client.get(QUEUE)
        self.assertEqual(response.status_code, 200)
        content = response.content.decode()
        self.assertLess(content.index("Warga (WhatsApp)"), content.index("Bambang Sutrisna"))
        self.assertNotIn("Bambang Sutrisno", content)  # verified: not in the queue
        self.assertNotIn(self.resident.name, content)
        self.assertNotIn(self.other_resident.name, content)  # another village
        self.assertIn("3311********0003", content)
        self.assertNotIn("3311025505950003", content)
        self.assertNotIn("81311112222", content)  # the phone is masked
        self.assertIn("+6281••••••222", content)
        self.assertIn("3 Maret 1985", content)
        self.assertIn("<dt>Permohonan surat</dt><dd>2</dd>", content)
        self.assertIn(f"{QUEUE}{self.duplicate.code}/periksa/", content)
        self.assertIn(self.merge_url(self.duplicate), content)
        self.assertIn(f"/desa/pondok/warga/{self.duplicate.code}/ubah/", content)

    def test_verify_marks_the_resident_and_audits(self):
        response = self.client.post(f"{QUEUE}{self.newcomer.code}/periksa/")
        self.assertRedirects(response, QUEUE)
        self.newcomer.refresh_from_db()
        self.assertTrue(self.newcomer.is_verified)
        event = AuditEvent.objects.get(action="resident.verify")
        self.assertEqual((event.actor, event.object_code), (self.operator, self.newcomer.code))
        self.assertNotContains(self.client.get(QUEUE), "Warga (WhatsApp)")
        # Verifying twice changes nothing and writes no second event.
        self.assertFalse(do_verify_resident(self.newcomer, self.operator))
        self.assertEqual(AuditEvent.objects.filter(action="resident.verify").count(), 1)

    def test_verify_is_post_only(self):
        self.assertEqual(self.client.get(f"{QUEUE}{self.newcomer.code}/periksa/").status_code, 405)

    def test_office_roles_only(self):
        urls = [QUEUE, self.merge_url(self.duplicate)]
        for role in [Role.OPERATOR, Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES]:
            self.login(self.staff[role])
            for url in urls:
                with self.subTest(role=role, url=url):
                    self.assertEqual(self.client.get(url).status_code, 200)
        for role in [Role.PENDAMPING, Role.DPL]:
            self.login(self.staff[role])
            with self.subTest(role=role):
                for url in urls:
                    self.assertEqual(self.client.get(url).status_code, 403)
                verify = f"{QUEUE}{self.newcomer.code}/periksa/"
                self.assertEqual(self.client.post(verify).status_code, 403)
                response = self.client.post(
                    self.merge_url(self.duplicate), {"target": self.register.code}
                )
                self.assertEqual(response.status_code, 403)
        self.newcomer.refresh_from_db()
        self.assertFalse(self.newcomer.is_verified)
        self.assertTrue(Resident.objects.filter(pk=self.duplicate.pk).exists())

    def test_other_village_gets_404(self):
        self.login(self.other_staff[Role.KADES])
        self.assertEqual(self.client.get(QUEUE).status_code, 404)
        self.assertEqual(self.client.post(f"{QUEUE}{self.newcomer.code}/periksa/").status_code, 404)
        self.assertEqual(self.client.get(self.merge_url(self.duplicate)).status_code, 404)
        response = self.client.post(self.merge_url(self.duplicate), {"target": self.register.code})
        self.assertEqual(response.status_code, 404)
        self.newcomer.refresh_from_db()
        self.assertFalse(self.newcomer.is_verified)
        self.assertTrue(Resident.objects.filter(pk=self.duplicate.pk).exists())
        # Their own queue does not show Pondok's residents.
        response = self.client.get("/desa/tigawasa/verifikasi-warga/")
        self.assertNotContains(response, "Bambang")

    def test_other_villages_resident_under_own_slug_is_404(self):
        other_url = f"{QUEUE}{self.other_resident.code}/"
        self.assertEqual(self.client.post(other_url + "periksa/").status_code, 404)
        self.assertEqual(self.client.get(other_url + "gabung/").status_code, 404)
        self.other_resident.refresh_from_db()
        self.assertFalse(self.other_resident.is_verified)


class MergePageTest(QueueTestCase):
    def test_candidates_by_similar_name(self):
        response = self.client.get(self.merge_url(self.duplicate))
        self.assertContains(response, "Bambang Sutrisno")
        self.assertContains(response, "nama mirip")
        self.assertContains(response, "tanggal lahir sama")
        self.assertContains(response, f'href="?ke={self.register.code}"')
        self.assertNotContains(response, "3311020303850007")
        self.assertContains(response, "3311********0007")
        self.assertNotContains(response, self.other_resident.name)

    def test_search_by_exact_nik_is_a_post(self):
        url = self.merge_url(self.newcomer)
        response = self.client.post(url, {"q": "3311024501900001"})
        self.assertContains(response, "Siti Aminah")
        self.assertNotContains(response, "3311024501900001")
        self.assertNotIn("3311024501900001", response.request["PATH_INFO"])
        # The other village's NIK finds nothing here.
        response = self.client.post(url, {"q": "5108055203850003"})
        self.assertNotContains(response, self.other_resident.name)
        self.assertTrue(Resident.objects.filter(pk=self.newcomer.pk).exists())

    def test_choosing_a_target_asks_for_confirmation(self):
        response = self.client.get(self.merge_url(self.duplicate) + f"?ke={self.register.code}")
        self.assertContains(response, "Ya, gabungkan")
        self.assertContains(response, f'value="{self.register.code}"')
        self.assertTrue(Resident.objects.filter(pk=self.duplicate.pk).exists())

    def test_a_target_from_another_village_is_404(self):
        url = self.merge_url(self.duplicate)
        self.assertEqual(self.client.get(url + f"?ke={self.other_resident.code}").status_code, 404)
        response = self.client.post(url, {"target": self.other_resident.code})
        self.assertEqual(response.status_code, 404)
        self.assertTrue(Resident.objects.filter(pk=self.duplicate.pk).exists())
        self.assertFalse(AuditEvent.objects.filter(action="resident.merge").exists())

    def test_merging_into_itself_is_refused(self):
        url = self.merge_url(self.duplicate)
        response = self.client.post(url, {"target": self.duplicate.code})
        self.assertRedirects(response, url)
        self.assertTrue(Resident.objects.filter(pk=self.duplicate.pk).exists())
        with self.assertRaises(MergeError):
            do_merge_residents(self.duplicate, self.duplicate, self.operator)


class MergeConflictTest(QueueTestCase):
    def test_both_in_the_same_programme_is_refused_with_a_clear_message(self):
        import datetime as dt

        from balai.programmes.models import Participant, Programme

        programme = Programme.objects.create(
            village=self.village,
            title="Pendampingan",
            purpose="Uji",
            target_group="pedagang",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 3, 1),
        )
        Participant.objects.create(programme=programme, resident=self.duplicate)
        Participant.objects.create(programme=programme, resident=self.register)
        url = self.merge_url(self.duplicate)
        response = self.client.post(url, {"target": self.register.code}, follow=True)
        self.assertContains(response, "Keduanya sama-sama tercatat")
        self.assertTrue(Resident.objects.filter(pk=self.duplicate.pk).exists())
        self.assertEqual(programme.participants.count(), 2)


class MergeTest(QueueTestCase):
    def test_merge_moves_everything_and_deletes_the_duplicate(self):
        own = self.submit_request(self.duplicate, self.duplicate)
        on_behalf = self.submit_request(self.resident, self.duplicate)
        complaint = do_submit_complaint(
            resident=self.duplicate,
            kind="complaint",
            category=self.category,
            description="Jalan berlubang di RT 001",
            show_name=False,
        )
        Contact.objects.create(
            resident=self.duplicate, village=self.village, last_inbound_at=timezone.now()
        )
        conversation = Conversation.objects.create(
            village=self.village, resident=self.duplicate, flow="letter", data={"nik": "x"}
        )
        inbound = self.inbound(self.duplicate, "wamid.merge-1")
        outbound = OutboundMessage.objects.create(
            village=self.village,
            number=self.number,
            resident=self.duplicate,
            to="6281311112222",
            kind="text",
            payload={"type": "text", "text": {"body": "halo"}},
        )
        duplicate_code = self.duplicate.code

        response = self.client.post(self.merge_url(self.duplicate), {"target": self.register.code})
        self.assertRedirects(response, f"/desa/pondok/warga/{self.register.code}/")

        self.assertFalse(Resident.objects.filter(pk=self.duplicate.pk).exists())
        own.refresh_from_db()
        on_behalf.refresh_from_db()
        self.assertEqual((own.resident, own.contact), (self.register, self.register))
        self.assertEqual((on_behalf.resident, on_behalf.contact), (self.resident, self.register))
        self.assertEqual(Complaint.objects.get(pk=complaint.pk).resident, self.register)
        self.assertEqual(Contact.objects.get(resident=self.register).village, self.village)
        self.assertFalse(Contact.objects.filter(pk=self.duplicate.pk).exists())
        conversation.refresh_from_db()
        self.assertEqual(conversation.resident, self.register)
        inbound.refresh_from_db()
        outbound.refresh_from_db()
        self.assertEqual((inbound.resident, outbound.resident), (self.register, self.register))

        self.register.refresh_from_db()
        self.assertEqual(
            (self.register.phone, self.register.wa_user_id), ("+6281311112222", "ID.bambang")
        )
        self.assertEqual(self.register.nik, "3311020303850007")  # the target keeps its own
        self.assertTrue(self.register.is_verified)
        event = AuditEvent.objects.get(action="resident.merge")
        self.assertEqual(event.actor, self.operator)
        self.assertEqual(event.detail["target_code"], self.register.code)
        self.assertEqual(event.detail["duplicate_code"], duplicate_code)
        self.assertEqual(sorted(event.detail["copied"]), ["phone", "wa_user_id"])

    def test_when_both_have_a_contact_and_conversation_the_most_recent_is_kept(self):
        now = timezone.now()
        # The register entry wrote long ago; the duplicate wrote today.
        Contact.objects.create(
            resident=self.resident,
            village=self.village,
            last_inbound_at=now - dt.timedelta(days=90),
        )
        Contact.objects.create(
            resident=self.duplicate,
            village=self.village,
            last_inbound_at=now,
            profile_name="Bambang WA",
        )
        old = Conversation.objects.create(
            village=self.village, resident=self.resident, last_activity=now - dt.timedelta(days=90)
        )
        ConversationNote.objects.create(conversation=old, author=self.operator, text="catatan lama")
        new = Conversation.objects.create(
            village=self.village, resident=self.duplicate, flow="complaint", last_activity=now
        )
        do_merge_residents(self.resident, self.duplicate, self.operator)

        contact = Contact.objects.get(resident=self.resident)
        self.assertEqual(contact.profile_name, "Bambang WA")
        self.assertEqual(Contact.objects.filter(village=self.village).count(), 1)
        self.assertFalse(Conversation.objects.filter(pk=old.pk).exists())
        new.refresh_from_db()
        self.assertEqual((new.resident, new.flow), (self.resident, "complaint"))
        # The staff note on the discarded conversation moved to the kept one.
        self.assertEqual(ConversationNote.objects.get().conversation, new)
        # Siti keeps her own number: only missing values are copied.
        self.resident.refresh_from_db()
        self.assertEqual(self.resident.phone, "+6281234567890")
        self.assertEqual(self.resident.wa_user_id, "ID.bambang")

    def test_when_the_target_is_more_recent_its_rows_stay(self):
        now = timezone.now()
        Contact.objects.create(resident=self.resident, village=self.village, last_inbound_at=now)
        Contact.objects.create(
            resident=self.duplicate, village=self.village, last_inbound_at=now - dt.timedelta(1)
        )
        kept = Conversation.objects.create(
            village=self.village, resident=self.resident, last_activity=now
        )
        dropped = Conversation.objects.create(
            village=self.village, resident=self.duplicate, last_activity=now - dt.timedelta(1)
        )
        ConversationNote.objects.create(conversation=dropped, author=self.operator, text="x")
        do_merge_residents(self.resident, self.duplicate, self.operator)
        self.assertEqual(Contact.objects.get(resident=self.resident).last_inbound_at, now)
        self.assertEqual(list(Conversation.objects.filter(village=self.village)), [kept])
        self.assertEqual(ConversationNote.objects.get().conversation, kept)

    def test_a_conversation_part_way_through_points_at_the_target(self):
        conversation = Conversation.objects.create(
            village=self.village,
            resident=self.newcomer,
            flow="letter",
            data={"_person": self.duplicate.pk},
        )
        do_merge_residents(self.register, self.duplicate, self.operator)
        conversation.refresh_from_db()
        self.assertEqual(conversation.data["_person"], self.register.pk)

    def test_residents_of_different_villages_cannot_be_merged(self):
        with self.assertRaises(MergeError):
            do_merge_residents(self.other_resident, self.duplicate, self.operator)
        with self.assertRaises(MergeError):
            do_merge_residents(self.register, self.other_resident, self.operator)
        self.assertTrue(Resident.objects.filter(pk=self.duplicate.pk).exists())
        self.assertTrue(Resident.objects.filter(pk=self.other_resident.pk).exists())

    def test_merge_is_all_or_nothing(self):
        request = self.submit_request(self.duplicate, self.duplicate)
        Contact.objects.create(resident=self.duplicate, village=self.village)
        # A failure at the very end (the audit write) undoes every move before it.
        with (
            mock.patch("balai.residents.actions.do_audit", side_effect=RuntimeError("boom")),
            self.assertRaises(RuntimeError),
        ):
            do_merge_residents(self.register, self.duplicate, self.operator)
        request.refresh_from_db()
        self.assertEqual((request.resident, request.contact), (self.duplicate, self.duplicate))
        self.assertTrue(Contact.objects.filter(resident=self.duplicate).exists())
        self.duplicate.refresh_from_db()
        self.assertEqual(self.duplicate.phone, "+6281311112222")
        self.register.refresh_from_db()
        self.assertEqual(self.register.phone, "")

    def test_staff_may_keep_the_whatsapp_number_instead_of_the_register_one(self):
        url = self.merge_url(self.duplicate)
        response = self.client.get(url + f"?ke={self.resident.code}")
        self.assertContains(response, 'name="nomor" value="whatsapp"')
        self.client.post(url, {"target": self.resident.code, "nomor": "whatsapp"})
        self.resident.refresh_from_db()
        self.assertEqual(self.resident.phone, "+6281311112222")
        event = AuditEvent.objects.get(action="resident.merge")
        self.assertEqual(sorted(event.detail["copied"]), ["phone", "wa_user_id"])
