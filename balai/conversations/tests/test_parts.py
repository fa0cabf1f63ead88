"""The pieces under the flows: parsers, ticket numbers, status pushes, sweeps, the ladder."""

import datetime as dt
import threading

from django.db import close_old_connections, connection
from django.test import SimpleTestCase, TransactionTestCase
from django.utils import timezone

from balai.conversations import fields as f
from balai.conversations.actions import sweep_conversations
from balai.conversations.models import Conversation
from balai.conversations.tests.base import ConversationTestCase
from balai.core.models import Counter, next_number
from balai.letters.actions import do_change_state, do_submit_request
from balai.letters.models import LetterType
from balai.residents.models import Resident
from balai.test import make_village
from balai.whatsapp.models import Contact, OutboundMessage, Template


class FieldParsersTest(SimpleTestCase):
    today = dt.date(2026, 11, 24)

    def test_dates_in_the_ways_people_write_them(self):
        for text, expected in [
            ("17-08-1990", dt.date(1990, 8, 17)),
            ("17/8/90", dt.date(1990, 8, 17)),
            ("17 agustus 1990", dt.date(1990, 8, 17)),
            ("17 Agt 90", dt.date(1990, 8, 17)),
            ("5 januari 2001", dt.date(2001, 1, 5)),
            ("1.2.2026", dt.date(2026, 2, 1)),
        ]:
            with self.subTest(text):
                self.assertEqual(f.parse_date(text, today=self.today), expected)

    def test_bad_dates_say_what_is_wrong(self):
        for text, fragment in [
            ("kemarin", "Format tanggal"),
            ("31-02-1990", "tidak ada di kalender"),
            ("12-12-2027", "belum lewat"),
        ]:
            with self.subTest(text), self.assertRaises(f.Invalid) as caught:
                f.parse_date(text, today=self.today, past=True)
            self.assertIn(fragment, caught.exception.message)

    def test_nik_errors_are_specific(self):
        self.assertEqual(f.parse_nik("3311 0245 0190 0001"), "3311024501900001")
        for text, fragment in [
            ("12345", "16 angka, yang Anda kirim 5"),
            ("33110245019000ab", "hanya berisi angka"),
            ("9911024501900001", "kode provinsi"),
        ]:
            with self.subTest(text), self.assertRaises(f.Invalid) as caught:
                f.parse_nik(text)
            self.assertIn(fragment, caught.exception.message)

    def test_birth_date_must_agree_with_the_nik(self):
        f.check_birth_date("3311024501900001", dt.date(1990, 1, 5))  # woman: day + 40
        with self.assertRaises(f.Invalid):
            f.check_birth_date("3311024501900001", dt.date(1990, 1, 6))

    def test_names_and_amounts(self):
        self.assertEqual(f.parse_name("SITI AMINAH"), "Siti Aminah")
        self.assertEqual(f.parse_name("I Gusti Ngurah Rai"), "I Gusti Ngurah Rai")
        with self.assertRaises(f.Invalid):
            f.parse_name("budi123")
        self.assertEqual(f.parse_amount("1,5jt"), 1_500_000)
        self.assertEqual(f.parse_amount("Rp 750.000"), 750_000)
        self.assertEqual(f.rupiah(1_500_000), "Rp1.500.000")


class TicketNumberTest(TransactionTestCase):
    def test_concurrent_requests_never_share_a_number(self):
        """Eight threads take 25 numbers each from one sequence at once (real concurrency on
        PostgreSQL; SQLite serialises the writers)."""
        taken, errors = [], []

        def work():
            try:
                for _ in range(25):
                    taken.append(next_number("ticket:test"))
            except Exception as e:  # surfaced below
                errors.append(e)
            finally:
                close_old_connections()
                connection.close()

        if connection.vendor == "sqlite":
            work()  # SQLite in tests is one in-memory connection: no threads
            taken_expected = 25
        else:
            threads = [threading.Thread(target=work) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            taken_expected = 200
        self.assertEqual(errors, [])
        self.assertEqual(len(taken), taken_expected)
        self.assertEqual(sorted(taken), list(range(1, taken_expected + 1)))
        self.assertEqual(Counter.objects.get(scope="ticket:test").value, taken_expected)

    def test_ticket_codes_use_the_prefix_and_the_village_month(self):
        village = make_village("sukamaju", "Sukamaju", "Asia/Jayapura", "94.01.01.2001", "Papua")
        village.ticket_prefix = "SKM"
        # 2026-11-30 16:00 UTC is already 1 December in Jayapura (WIT, UTC+9).
        at = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
        self.assertEqual(village.next_ticket_code(at), "SKM-2612-0001")
        self.assertEqual(village.next_ticket_code(at), "SKM-2612-0002")
        village.ticket_prefix = ""
        self.assertEqual(village.next_ticket_code(at), "SUK-2612-0003")


class StatusPushTest(ConversationTestCase):
    WA_ID = "6281234567890"  # Siti Aminah, from the register

    def request(self):
        return do_submit_request(
            letter_type=LetterType.objects.get(village=self.village, slug="skck"),
            resident=self.resident,
            contact=self.resident,
            identity="matched",
            answers={"keperluan": "melamar kerja"},
            attachments=[],
        )

    def test_outside_the_window_the_status_template_goes_and_the_message_waits(self):
        Template.objects.create(
            village=self.village,
            name="balai_status_layanan",
            purpose="status_update",
            status=Template.Status.APPROVED,
            body="Halo {{1}}, tiket {{2}}: {{3}}.",
            parameters=["nama", "tiket", "status"],
        )
        Contact.objects.create(
            resident=self.resident,
            village=self.village,
            last_inbound_at=timezone.now() - dt.timedelta(days=3),
        )
        request = self.request()
        with self.round_trip():
            do_change_state(request, "completed", note="Silakan ambil atau unduh suratnya")
        (template,) = self.replies()
        self.assertEqual(
            template["template"],
            {
                "name": "balai_status_layanan",
                "language": {"code": "id"},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": "Siti Aminah"},
                            {"type": "text", "text": request.code},
                            {"type": "text", "text": "Selesai"},
                        ],
                    }
                ],
            },
        )
        # The full message waits for the resident to write back, then goes first.
        replies = self.send("ok")
        self.assertIn("Catatan petugas: Silakan ambil atau unduh suratnya", self.body(replies[0]))

    def test_inside_the_window_it_is_a_plain_message(self):
        self.send("halo")
        request = self.request()
        with self.round_trip():
            do_change_state(request, "needs_info", note="Foto KK kurang jelas")
        (pushed,) = self.replies()
        self.assertEqual(pushed["type"], "text")
        self.assertIn("Perlu data tambahan", self.body(pushed))
        self.assertIn("balas pesan ini", self.body(pushed))
        row = OutboundMessage.objects.exclude(kind="read").last()
        self.assertEqual(row.purpose, "status_update")


class SweepTest(ConversationTestCase):
    def test_idle_sessions_end_politely_and_stale_handoffs_return_to_the_bot(self):
        self.send("LAYANAN DOMISILI")
        self.send(list_reply={"id": "subject:other", "title": "Orang lain"})
        person = Resident.objects.get(phone=f"+{self.WA_ID}")
        conv = Conversation.objects.get(resident=person)
        Conversation.objects.filter(pk=conv.pk).update(
            last_activity=timezone.now() - dt.timedelta(hours=4, minutes=1)
        )
        with self.round_trip():
            self.assertEqual(sweep_conversations.call(), {"ended": 1, "handoffs": 0})
        (ended,) = self.replies()
        self.assertIn("tidak ada balasan selama 4 jam", self.body(ended))
        self.assertIn("ketik *lanjut*", self.body(ended))
        conv.refresh_from_db()
        self.assertEqual((conv.flow, conv.draft["data"]["letter"]), ("", "domisili"))

        Conversation.objects.filter(pk=conv.pk).update(
            handoff_at=timezone.now() - dt.timedelta(hours=25),
            last_activity=timezone.now() - dt.timedelta(hours=25),
        )
        with self.round_trip():
            self.assertEqual(sweep_conversations.call(), {"ended": 0, "handoffs": 1})
        conv.refresh_from_db()
        self.assertIsNone(conv.handoff_at)


class LadderTest(ConversationTestCase):
    def test_not_understood_climbs_did_you_mean_then_menu_then_a_person(self):
        self.send("halo")
        first = self.send("asdf qwerty zxcv")
        self.assertIn("belum mengerti", self.texts(first))
        self.assertEqual(self.choices(first[-1])[0][0], "menu:surat")
        second = self.send("blablabla hmmm")
        self.assertIn("masih belum mengerti", self.texts(second))
        third = self.send("zzzz yyyy")
        self.assertIn("kami teruskan ke petugas", self.texts(third))
        self.assertIsNotNone(Conversation.objects.get(resident__phone=f"+{self.WA_ID}").handoff_at)


class InformationTest(ConversationTestCase):
    def test_requirements_office_hours_and_deep_links(self):
        replies = self.send("syarat bikin skck apa aja")
        text = self.texts(replies)
        self.assertIn("Surat Pengantar SKCK", text)
        self.assertIn("Surat pengantar RT/RW", text)
        (apply,) = self.tap(replies[-1], "Ajukan sekarang")[-1:]
        self.assertEqual(self.body(apply), "Surat ini untuk siapa?")
        self.send("batal")
        office = self.texts(self.send("kantor desa buka jam berapa"))
        self.assertIn("Jam pelayanan:", office)
        self.assertIn("• Senin: 08.00–15.00 WIB", office)

    def test_every_letter_has_a_deep_link(self):
        for letter in LetterType.objects.filter(village=self.village):
            with self.subTest(letter.keyword):
                replies = self.send(letter.deep_link_text)
                self.assertIn(letter.name, self.texts(replies))
                self.send("batal")


class TenantTest(ConversationTestCase):
    def test_a_ticket_of_another_village_is_not_found(self):
        other = do_submit_request(
            letter_type=LetterType.objects.get(village=self.other_village, slug="domisili"),
            resident=self.other_resident,
            contact=self.other_resident,
            identity="matched",
            answers={},
            attachments=[],
        )
        self.assertTrue(other.code.startswith("TIG-"))
        replies = self.send(f"cek {other.code}")
        self.assertIn("tidak ditemukan", self.texts(replies))
        self.assertEqual(
            Conversation.objects.get(resident__phone=f"+{self.WA_ID}").village, self.village
        )


class DidYouMeanTest(ConversationTestCase):
    def test_a_low_confidence_guess_is_offered_with_buttons(self):
        from unittest import mock

        from balai.nlu.recognise import Understanding

        self.send("halo")
        unsure = Understanding(
            text="x",
            normalised="x",
            intent="complaint",
            letter_type=None,
            confidence=0.2,
            candidates=[("complaint", 0.2), ("status_check", 0.18), ("unknown", 0.1)],
            amount=None,
            quantity=None,
        )
        with mock.patch("balai.nlu.recognise.understand", return_value=unsure):
            (question,) = self.send("jalannya itu lho pak")
        self.assertEqual(
            self.choices(question),
            [
                ("dym:complaint", "Pengaduan/aspirasi"),
                ("dym:status_check", "Cek status"),
                ("global:menu", "Bukan, lihat menu"),
            ],
        )
        replies = self.tap(question, "Pengaduan/aspirasi")
        self.assertEqual(self.body(replies[-1]), "Anda ingin menyampaikan apa?")


class SafetyTest(ConversationTestCase):
    def test_answers_holding_a_nik_are_encrypted_at_rest(self):
        from django.db import connection

        self.send("LAYANAN SKCK")
        self.send(list_reply={"id": "subject:other", "title": "Orang lain"})
        self.send("3311021503850007")
        conv = Conversation.objects.get(resident__phone=f"+{self.WA_ID}")
        self.assertEqual(conv.data["nik"], "3311021503850007")
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM conversations_conversation WHERE id = %s", [conv.pk])
            (raw,) = cursor.fetchone()
        self.assertNotIn("3311021503850007", raw)
        self.assertTrue(raw.startswith("gAAAA"))

    def test_a_failing_flow_answers_politely_and_calls_a_person(self):
        from unittest import mock

        self.send("halo")
        with (
            mock.patch("balai.conversations.flows.route.route", side_effect=RuntimeError("bug")),
            self.assertLogs("balai.conversations.engine", "ERROR"),
        ):
            (reply,) = self.send("apa kabar")
        self.assertIn("ada gangguan pada sistem kami", self.body(reply))
        conv = Conversation.objects.get(resident__phone=f"+{self.WA_ID}")
        self.assertEqual(conv.handoff_reason, "Gangguan pada asisten otomatis")
        from balai.whatsapp.models import InboundMessage

        self.assertEqual(InboundMessage.objects.last().state, "processed")
