"""The issue's "done means", driven through the simulator as a new resident."""

import datetime as dt
import re

from django.utils import timezone

from balai.complaints.models import Complaint
from balai.conversations.models import Conversation
from balai.conversations.tests.base import ConversationTestCase
from balai.letters.models import LetterRequest
from balai.residents.models import Resident
from balai.whatsapp.models import InboundMessage, Media, OutboundMessage

NIK = "3311021503850007"  # Jawa Tengah, born 15-03-1985, not in the register
TICKET = re.compile(r"\*(PON-\d{4}-\d{4})\*")


class GreetingTest(ConversationTestCase):
    def test_halo_gets_greeting_privacy_note_and_menu(self):
        greeting, menu = self.send("halo")
        self.assertEqual(greeting["type"], "text")
        text = greeting["text"]["body"]
        self.assertIn("asisten layanan Desa Pondok", text)
        self.assertIn("*Privasi*", text)
        self.assertIn("ketik *data saya*", text)  # how to ask for a copy or deletion
        self.assertEqual(menu["interactive"]["type"], "list")
        self.assertEqual(
            [i for i, _t in self.choices(menu)],
            ["menu:surat", "menu:status", "menu:aduan", "menu:info", "menu:petugas"],
        )
        self.assertEqual(menu["interactive"]["footer"]["text"], "Atau ketik angka 1-5.")
        # The greeting is for the first contact only.
        self.assertNotIn("Privasi", self.texts(self.send("halo")))

    def test_typed_menu_number_works(self):
        self.send("menu")
        replies = self.send("2")
        self.assertIn("Belum ada permohonan", self.texts(replies))


class LetterRequestTest(ConversationTestCase):
    def start_sktm(self):
        self.send("halo")
        (letters,) = self.send(list_reply={"id": "menu:surat", "title": "1. Permohonan surat"})
        self.assertEqual(letters["interactive"]["type"], "list")
        body = letters["interactive"]["body"]["text"]
        self.assertIn("12. Izin Keramaian", body)  # the typed fallback lists all twelve
        requirements, subject = self.tap(letters, "Tidak Mampu (SKTM)")
        self.assertIn("Foto KTP", requirements["text"]["body"])
        self.assertIn("Lama proses: 3 hari kerja", requirements["text"]["body"])
        self.assertEqual(self.body(subject), "Surat ini untuk siapa?")
        return subject

    def test_complete_sktm_request(self):
        subject = self.start_sktm()
        (ask_nik,) = self.tap(subject, "Saya sendiri")
        self.assertIn("NIK", self.body(ask_nik))
        (ask_name,) = self.send(NIK)
        self.assertIn("nama lengkap", self.body(ask_name))
        self.send("budi santoso")
        (head,) = self.send("15 maret 1985")
        self.assertIn("kepala keluarga", self.body(head))
        (purpose,) = self.tap(head, "Ya")
        self.assertEqual(self.body(purpose), "Surat ini untuk keperluan apa?")
        self.send("keringanan biaya sekolah anak")
        (ktp,) = self.send("1,5jt")
        self.assertIn("Kirim Foto KTP", self.body(ktp))
        (kk,) = self.photo()
        self.assertIn("Kirim Foto Kartu Keluarga", self.body(kk))
        (letter,) = self.photo()
        self.assertIn("pengantar RT/RW", self.body(letter))
        (confirm,) = self.send("nanti")
        summary = self.body(confirm)
        self.assertIn("• NIK: 3311********0007", summary)
        self.assertIn("• Nama lengkap: Budi Santoso", summary)
        self.assertIn("• Tanggal lahir: 15 Maret 1985", summary)
        self.assertIn("• Penghasilan keluarga per bulan: Rp1.500.000", summary)
        self.assertIn("• Surat pengantar RT/RW: dibawa ke kantor desa", summary)
        self.assertEqual([t for _i, t in self.choices(confirm)], ["Kirim", "Ubah", "Batal"])
        (done,) = self.tap(confirm, "Kirim")
        text = self.body(done)
        code = TICKET.search(text)[1]
        self.assertIn("Permohonan Anda sudah kami terima", text)
        self.assertIn("Perkiraan selesai:", text)
        self.assertIn("Mohon bawa ke kantor desa: Surat pengantar RT/RW.", text)

        request = LetterRequest.objects.get(code=code)
        self.assertEqual(request.letter_type.slug, "sktm")
        self.assertEqual(request.identity, "new")
        self.assertEqual(
            request.answers,
            {
                "keperluan": "keringanan biaya sekolah anak",
                "penghasilan": 1500000,
                "_dibawa_ke_kantor": ["Surat pengantar RT/RW"],
            },
        )
        self.assertEqual(sorted(a.key for a in request.attachments.all()), ["kk", "ktp"])
        for attachment in request.attachments.all():
            self.assertEqual(attachment.media.state, Media.State.STORED)
        person = request.resident
        self.assertEqual((person.nik, person.name), (NIK, "Budi Santoso"))
        self.assertEqual(person.birth_date, dt.date(1985, 3, 15))
        self.assertFalse(person.is_verified)
        self.assertEqual(person, request.contact)  # the sender, now identified
        self.assertEqual(person.phone, f"+{self.WA_ID}")
        self.assertEqual(request.events.get().state, "submitted")
        # The full NIK never went out in a message.
        for row in OutboundMessage.objects.all():
            self.assertNotIn(NIK, str(row.payload))
        conv = Conversation.objects.get(resident=person)
        self.assertEqual((conv.flow, conv.draft), ("", None))

    def test_batal_in_the_middle_really_cancels(self):
        subject = self.start_sktm()
        self.tap(subject, "Saya sendiri")
        self.send(NIK)
        (cancelled,) = self.send("batal")
        self.assertIn("sudah dibatalkan", self.body(cancelled))
        conv = Conversation.objects.get(resident__phone=f"+{self.WA_ID}")
        self.assertEqual((conv.flow, conv.data, conv.draft), ("", {}, None))
        # The next message is not taken as an answer to the cancelled form.
        replies = self.send("budi santoso")
        self.assertNotIn("tanggal lahir", self.texts(replies))
        self.assertFalse(LetterRequest.objects.exists())

    def test_wrong_nik_three_times_never_loops(self):
        subject = self.start_sktm()
        self.tap(subject, "Saya sendiri")
        (first,) = self.send("12345")
        self.assertEqual(self.body(first), "NIK harus 16 angka, yang Anda kirim 5 angka.")
        (second,) = self.send("33110215038500")
        self.assertIn("NIK harus 16 angka", self.body(second))
        self.assertIn("Contoh: 16 angka tanpa spasi", self.body(second))
        self.assertIn("Nomor Induk Kependudukan", self.body(second))
        self.assertEqual([i for i, _t in self.choices(second)], ["global:petugas", "global:batal"])
        (third,) = self.send("9911021503850007")
        self.assertIn("kami teruskan ke petugas desa", self.body(third))
        conv = Conversation.objects.get(resident__phone=f"+{self.WA_ID}")
        self.assertIsNotNone(conv.handoff_at)
        self.assertEqual(conv.draft["data"]["letter"], "sktm")
        self.assertEqual(conv.flow, "")
        # A person has it now: the bot stays quiet, and nothing is lost.
        self.assertEqual(self.send("halo?"), [])
        self.assertEqual(InboundMessage.objects.filter(wa_id=self.WA_ID).last().state, "processed")

    def test_kembali_goes_back_one_step_and_ubah_edits_one_field(self):
        subject = self.start_sktm()
        self.tap(subject, "Orang lain")
        self.send(NIK)
        (again,) = self.send("kembali")
        self.assertIn("Ketik NIK", self.body(again))
        self.send(NIK)
        self.send("Budi Santoso")
        self.send("15-03-1985")
        self.send("ya")
        self.send("berobat ke rumah sakit")
        self.send("900rb")
        self.photo()
        self.photo()
        (confirm,) = self.photo()
        (which,) = self.tap(confirm, "Ubah")
        (ask,) = self.tap(which, "Keperluan")
        self.assertEqual(self.body(ask), "Surat ini untuk keperluan apa?")
        (confirm,) = self.send("biaya sekolah")
        self.assertIn("• Keperluan: biaya sekolah", self.body(confirm))
        self.tap(confirm, "Kirim")
        request = LetterRequest.objects.get()
        self.assertEqual(request.answers["keperluan"], "biaya sekolah")
        self.assertEqual(request.attachments.count(), 3)
        # "Orang lain": a separate, unverified register entry; the sender is the contact.
        self.assertNotEqual(request.resident, request.contact)
        self.assertEqual(request.resident.nik, NIK)

    def test_register_resident_who_is_not_head_of_family_cannot_request_sktm(self):
        self.resident.is_verified = True
        self.resident.save()
        self.WA_ID = "6281234567890"  # Siti Aminah, in the register, not head of family
        self.send("LAYANAN SKTM")
        (refused,) = self.send(list_reply={"id": "subject:self", "title": "Saya sendiri"})
        self.assertIn("hanya dapat diajukan oleh kepala keluarga", self.body(refused))
        self.assertEqual(Conversation.objects.get(resident=self.resident).flow, "")

    def test_informal_request_starts_the_right_letter(self):
        self.send("halo")
        replies = self.send("sy mw bkin srt domisili gmn y")
        self.assertIn("Surat Keterangan Domisili", self.texts(replies))
        self.assertEqual(self.body(replies[-1]), "Surat ini untuk siapa?")

    def test_unfinished_request_is_kept_as_a_draft_after_the_session_idles(self):
        subject = self.start_sktm()
        self.tap(subject, "Saya sendiri")
        self.send(NIK)
        conv = Conversation.objects.get(resident__phone=f"+{self.WA_ID}")
        Conversation.objects.filter(pk=conv.pk).update(
            last_activity=timezone.now() - dt.timedelta(hours=5)
        )
        replies = self.send("Budi Santoso")  # a new session: not an answer to the old one
        self.assertNotIn("tanggal lahir", self.texts(replies).lower())
        conv.refresh_from_db()
        self.assertEqual(conv.draft["data"]["nik"], NIK)
        (resumed, ask_name) = self.send("lanjut")
        self.assertIn("kita lanjutkan", self.body(resumed))
        self.assertIn("nama lengkap", self.body(ask_name))


class StatusTest(ConversationTestCase):
    def test_cek_status_shows_the_request_and_its_history(self):
        from balai.letters.actions import do_change_state, do_submit_request
        from balai.letters.models import LetterType, RequestEvent

        self.send("halo")
        contact = Resident.objects.get(phone=f"+{self.WA_ID}")
        request = do_submit_request(
            letter_type=LetterType.objects.get(village=self.village, slug="domisili"),
            resident=contact,
            contact=contact,
            identity="new",
            answers={"keperluan": "kerja"},
            attachments=[],
        )
        self.replies()
        with self.round_trip():
            do_change_state(request, "in_review", note="Berkas sedang dicek")
        (pushed,) = self.replies()
        self.assertIn(f"*{request.code}*", self.body(pushed))
        self.assertIn("Sedang diperiksa", self.body(pushed))

        (listing,) = self.send("cek status")
        self.assertIn(
            f"{request.code} — Surat Keterangan Domisili: *Sedang diperiksa*", self.body(listing)
        )
        RequestEvent.objects.create(
            request=request,
            state=request.state,
            action="note",
            note="Catatan rahasia antarpetugas",
            internal=True,
            created=request.submitted_at,
        )
        (detail,) = self.send(request.code.lower())
        self.assertIn("Riwayat:", self.body(detail))
        self.assertIn("Sedang diperiksa: Berkas sedang dicek", self.body(detail))
        # Staff's internal notes never reach the resident.
        self.assertNotIn("rahasia", self.body(detail))

    def test_someone_elses_ticket_is_not_shown(self):
        from balai.letters.actions import do_submit_request
        from balai.letters.models import LetterType

        request = do_submit_request(
            letter_type=LetterType.objects.get(village=self.village, slug="domisili"),
            resident=self.resident,
            contact=self.resident,
            identity="matched",
            answers={},
            attachments=[],
        )
        replies = self.send(f"status {request.code}")
        self.assertIn("tidak ditemukan untuk nomor WhatsApp ini", self.texts(replies))
        self.assertNotIn("Domisili", self.texts(replies))


class ComplaintTest(ConversationTestCase):
    def test_complaint_with_photo_and_location_gets_a_ticket(self):
        (categories,) = self.send("ADUAN")[-1:]
        self.assertEqual(self.body(categories), "Tentang apa?")
        self.tap(categories, "Lampu jalan")
        (photo,) = self.send("Lampu jalan depan masjid RT 03 mati sejak seminggu")
        self.assertIn("foto", self.body(photo))
        (where,) = self.photo()
        self.assertIn("Lokasi", self.body(where))
        (public,) = self.send(
            location={"latitude": -7.7169, "longitude": 110.8372, "name": "Masjid"}
        )
        (confirm,) = self.tap(public, "Rahasiakan")
        summary = self.body(confirm)
        self.assertIn("• Kategori: Lampu jalan", summary)
        self.assertIn("• Foto: terlampir ✓", summary)
        self.assertIn("• Lokasi: titik lokasi (-7.71690, 110.83720) Masjid", summary)
        (done,) = self.tap(confirm, "Kirim")
        code = TICKET.search(self.body(done))[1]
        complaint = Complaint.objects.get(code=code)
        self.assertEqual(complaint.category.slug, "lampu")
        self.assertEqual(complaint.kind, "complaint")
        self.assertFalse(complaint.show_name)
        self.assertEqual((complaint.latitude, complaint.longitude), (-7.7169, 110.8372))
        self.assertEqual(complaint.photo.state, Media.State.STORED)
        self.assertEqual(
            complaint.description, "Lampu jalan depan masjid RT 03 mati sejak seminggu"
        )

    def test_resolution_asks_sudah_beres_and_belum_reopens(self):
        from balai.complaints.actions import do_change_state, do_submit_complaint
        from balai.complaints.models import Category

        self.send("halo")
        complaint = do_submit_complaint(
            resident=Resident.objects.get(phone=f"+{self.WA_ID}"),
            kind="complaint",
            category=Category.objects.get(village=self.village, slug="jalan"),
            description="Jalan berlubang di dusun Krajan",
            show_name=True,
        )
        self.replies()
        with self.round_trip():
            do_change_state(complaint, "resolved", note="Sudah ditambal")
        (question,) = self.replies()
        self.assertIn("Apakah masalahnya sudah beres?", self.body(question))
        (answer,) = self.tap(question, "Belum beres")
        self.assertIn("kami buka kembali", self.body(answer))
        complaint.refresh_from_db()
        self.assertEqual((complaint.state, complaint.follow_up_answer), ("reopened", "belum"))


class HostileAndOddInputTest(ConversationTestCase):
    def test_sticker_voice_video_emoji_and_very_long_text_get_a_polite_answer(self):
        import base64

        self.send("halo")
        blob = base64.b64encode(b"\x00" * 64).decode()
        self.assertIn("Ada yang bisa kami bantu", self.texts(self.send(sticker={"data": blob})))
        voice = self.send(audio={"data": blob, "voice": True})
        self.assertIn("pesan suara belum bisa kami dengarkan", self.texts(voice))
        self.assertIn("video belum bisa", self.texts(self.send(video={"data": blob})))
        emoji = self.send("🙏🙏😂")
        self.assertTrue(emoji)
        long = self.send("tolong " + "jalan rusak parah " * 300)
        self.assertIn("4.000 huruf pertamanya", self.texts(long))
        self.assertEqual(set(InboundMessage.objects.values_list("state", flat=True)), {"processed"})

    def test_a_flood_of_50_messages_is_stored_and_answered_without_a_storm(self):
        with self.settings(CONVERSATION_FLOOD_LIMIT=12, CONVERSATION_FLOOD_SECONDS=30):
            for i in range(50):
                self.say(text=f"halo {i}")
        self.assertEqual(InboundMessage.objects.filter(wa_id=self.WA_ID).count(), 50)
        self.assertEqual(set(InboundMessage.objects.values_list("state", flat=True)), {"processed"})
        # Replies are rows in the outbox (the per-person pacing sends them over time).
        replies = [r.payload for r in OutboundMessage.objects.exclude(kind="read")]
        notices = [p for p in replies if "banyak pesan" in self.body(p)]
        self.assertEqual(len(notices), 1)
        self.assertLessEqual(len(replies), 2 * 12 + 1)
        self.assertGreaterEqual(len(replies), 12)


class HandoffTest(ConversationTestCase):
    def test_petugas_outside_office_hours_says_when_a_person_answers(self):
        from balai.villages.models import WEEKDAYS

        # Open only tomorrow, so the office is closed now whatever day the test runs.
        tomorrow = (self.village.local_now().weekday() + 1) % 7
        self.village.office_hours = {WEEKDAYS[tomorrow]: [["08:00", "15:00"]]}
        self.village.save()
        (reply,) = self.send("petugas")[-1:]
        self.assertIn("Kantor sedang tutup", self.body(reply))
        self.assertIn(WEEKDAYS[tomorrow].capitalize(), self.body(reply))
        conv = Conversation.objects.get(resident__phone=f"+{self.WA_ID}")
        self.assertEqual(conv.handoff_reason, "Warga meminta petugas")
        self.assertEqual(self.send("halo"), [])
        # Staff hand it back: the resident is told, and the bot answers again.
        from balai.conversations.actions import do_hand_back

        with self.round_trip():
            do_hand_back(conv)
        self.assertIn("sudah selesai", self.texts(self.replies()))
        self.assertTrue(self.send("menu"))


class AttachmentTest(ConversationTestCase):
    def test_pdf_is_accepted_other_files_get_a_clear_answer(self):
        import base64

        self.send("LAYANAN SKCK")
        self.send(button_reply={"id": "subject:other", "title": "Orang lain"})
        for answer in (NIK, "Budi Santoso", "15-03-1985", "melamar kerja"):
            self.send(answer)
        docx = {
            "mime_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "data": base64.b64encode(b"PK\x03\x04 not a pdf").decode(),
            "filename": "ktp.docx",
        }
        (refused,) = self.send(document=docx)
        self.assertEqual(
            self.body(refused),
            "Jenis file ini tidak bisa kami terima. Kirim foto (JPG/PNG) atau PDF.",
        )
        pdf = {
            "mime_type": "application/pdf",
            "data": base64.b64encode(b"%PDF-1.4\n% ktp\n").decode(),
            "filename": "ktp.pdf",
        }
        (next_document,) = self.send(document=pdf)
        self.assertIn("Kirim Foto Kartu Keluarga", self.body(next_document))
        (voice,) = self.send(audio={"data": base64.b64encode(b"ogg").decode(), "voice": True})
        self.assertIn("bukan video, suara, atau stiker", self.body(voice))


class StopWordTest(ConversationTestCase):
    def test_berhenti_stops_what_each_app_runs_and_keeps_the_form(self):
        from balai.conversations.stopping import stop_requested
        from balai.whatsapp.models import Contact

        stopped = []

        def programme(sender, resident, **kwargs):
            stopped.append(resident.pk)
            return "Pengingat program Pendampingan UMKM"

        stop_requested.connect(programme, dispatch_uid="test-programme")
        self.addCleanup(stop_requested.disconnect, dispatch_uid="test-programme")

        self.send("langganan info")
        contact = Resident.objects.get(phone=f"+{self.WA_ID}")
        self.assertIsNotNone(Contact.objects.get(resident=contact).opted_in_at)
        self.send("LAYANAN DOMISILI")
        conv = Conversation.objects.get(resident=contact)
        step = conv.step
        (reply,) = self.send("Berhenti")
        self.assertIn("Sudah kami hentikan", self.body(reply))
        self.assertIn("• Pengingat program Pendampingan UMKM", self.body(reply))
        self.assertEqual(stopped, [contact.pk])
        self.assertIsNone(Contact.objects.get(resident=contact).opted_in_at)
        conv.refresh_from_db()
        self.assertEqual((conv.flow, conv.step), ("letter", step))

    def test_berhenti_with_nothing_running(self):
        self.send("halo")
        (reply,) = self.send("stop")
        self.assertIn("tidak akan mengirim kabar atau pengingat", self.body(reply))
