"""UU PDP requests end to end: `data saya` on WhatsApp through the simulator, the staff
queue, the export (PDF on WhatsApp, zip behind a signed link), erasure that keeps the
letter register, refusal, and `berhenti` stopping every later message."""

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from balai.conversations.tests.base import ConversationTestCase
from balai.residents.models import DataRequest, Resident
from balai.residents.privacy import do_receive_data_request
from balai.villages.models import AuditEvent
from balai.villages.roles import Role
from balai.whatsapp.models import (
    Contact,
    InboundMessage,
    Media,
    OutboundMessage,
    StatusEvent,
    Template,
    WebhookProblem,
)

NIK = "3311024501900001"  # Siti Aminah, the base test case's resident
KK = "3311020101100002"


class PrivacyTestCase(ConversationTestCase):
    WA_ID = "6281234567890"  # Siti Aminah

    def ask(self, *words):
        """Send each message in turn; return every reply."""
        out = []
        for word in words:
            out += self.send(word)
        return out

    def request_via_whatsapp(self, kind_title: str):
        replies = self.send("data saya")
        choice = next(p for p in replies if p["type"] == "interactive")
        confirm = next(p for p in self.tap(choice, kind_title) if p["type"] == "interactive")
        (receipt,) = self.tap(confirm, "Kirim")
        return self.body(receipt)

    def url(self, name, *args):
        return reverse(f"residents:{name}", args=[self.village.slug, *args])

    def process(self, data_request, user=None, **extra):
        self.login(user or self.staff[Role.KASI_PELAYANAN])
        with self.round_trip():
            return self.client.post(
                self.url("data_request_process", data_request.code), {"confirm": "ya", **extra}
            )

    def local_path(self, link: str) -> str:
        self.assertTrue(link.startswith(settings.SITE_URL))
        return urlsplit(link).path


class AskOnWhatsAppTest(PrivacyTestCase):
    def test_data_saya_explains_asks_confirms_and_records_with_the_deadline(self):
        replies = self.send("Data saya")
        text = self.texts(replies)
        self.assertIn("UU Pelindungan Data Pribadi", text)
        self.assertIn("Salinan data", text)
        self.assertIn("Penghapusan data", text)
        choice = replies[-1]
        self.assertEqual(
            [t for _i, t in self.choices(choice)], ["Minta salinan data", "Hapus data saya"]
        )
        (confirm,) = self.tap(choice, "Minta salinan data")
        self.assertIn("salinan data pribadi Anda", self.body(confirm))
        before = timezone.now()
        (receipt,) = self.tap(confirm, "Kirim")
        data_request = DataRequest.objects.get()
        self.assertEqual(data_request.resident, self.resident)
        self.assertEqual(data_request.kind, DataRequest.Kind.EXPORT)
        self.assertEqual(data_request.state, DataRequest.State.RECEIVED)
        self.assertEqual(data_request.due_at - data_request.received_at, dt.timedelta(hours=72))
        self.assertGreaterEqual(data_request.received_at, before)
        body = self.body(receipt)
        self.assertIn("Permintaan salinan data pribadi Anda sudah kami terima", body)
        self.assertIn(data_request.code, body)
        self.assertIn("3 × 24 jam", body)
        due = data_request.due_at.astimezone(self.village.tz)
        self.assertIn(f"pukul {due:%H.%M} WIB", body)

        # The ticket code typed later tells where it stands.
        status = self.texts(self.send(data_request.code))
        self.assertIn("Status: *Diterima*", status)
        self.assertIn("Batas jawaban petugas", status)

        # Asking again while it is pending gives the same ticket, not a second request.
        again = self.request_via_whatsapp("Minta salinan data")
        self.assertIn("sudah kami terima sebelumnya", again)
        self.assertIn(data_request.code, again)
        self.assertEqual(DataRequest.objects.count(), 1)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="data_request.receive", object_code=data_request.code
            ).exists()
        )

    def test_hapus_data_saya_goes_straight_to_erasure_and_batal_keeps_nothing(self):
        replies = self.send("hapus data saya")
        self.assertIn("Penghapusan data", self.texts(replies))
        confirm = replies[-1]
        self.assertIn("*data pribadi Anda dihapus*", self.body(confirm))
        self.assertIn("tidak bisa dibatalkan", self.body(confirm))
        self.send("batal")
        self.assertFalse(DataRequest.objects.exists())
        self.send("hapus data saya")
        (receipt,) = self.send("kirim")
        self.assertIn("Permintaan penghapusan data pribadi Anda", self.body(receipt))
        self.assertEqual(DataRequest.objects.get().kind, DataRequest.Kind.ERASURE)

    def test_the_information_menu_and_the_greeting_lead_there(self):
        first = self.send("info")
        self.assertIn("ketik *data saya*", self.texts(first))  # the greeting's privacy note
        (topics,) = [p for p in first if p["type"] == "interactive"]
        replies = self.tap(topics, "Data pribadi saya")
        self.assertIn("UU Pelindungan Data Pribadi", self.texts(replies))
        self.assertEqual(self.choices(replies[-1])[0][1], "Minta salinan data")


class ExportTest(PrivacyTestCase):
    def test_staff_export_sends_a_pdf_with_a_link_to_everything_in_a_zip(self):
        self.photo("foto KTP saya")
        media = Media.objects.get(message__resident=self.resident)
        self.assertTrue(media.file)
        self.request_via_whatsapp("Minta salinan data")
        data_request = DataRequest.objects.get()

        # The office operator sees the queue but cannot send someone's full NIK/KK.
        self.login(self.operator)
        queue = self.client.get(self.url("data_requests"))
        self.assertContains(queue, data_request.code)
        detail = self.client.get(self.url("data_request", data_request.code))
        self.assertContains(detail, "dijawab oleh kasi pelayanan")
        self.assertEqual(self.process(data_request, self.operator).status_code, 403)

        # Without the ticked box nothing happens.
        self.login(self.staff[Role.KASI_PELAYANAN])
        self.client.post(self.url("data_request_process", data_request.code))
        data_request.refresh_from_db()
        self.assertEqual(data_request.state, DataRequest.State.RECEIVED)

        self.replies()
        response = self.process(data_request)
        self.assertRedirects(response, self.url("data_request", data_request.code))
        data_request.refresh_from_db()
        self.assertEqual(data_request.state, DataRequest.State.DONE)
        self.assertEqual(data_request.staff, self.staff[Role.KASI_PELAYANAN])
        self.assertIsNotNone(data_request.done_at)

        (document,) = self.replies()
        self.assertEqual(document["type"], "document")
        doc = document["document"]
        self.assertEqual(doc["filename"], f"data-{data_request.code}.pdf")
        self.assertIn("jangan dibagikan", doc["caption"])
        # The full NIK is in the files, never in a URL or a message.
        self.assertNotIn(NIK, json.dumps(document))
        row = OutboundMessage.objects.filter(kind="document").get()
        self.assertNotIn(NIK, json.dumps(row.payload))

        self.client.logout()  # the links work without a login (Meta fetches them)
        pdf = self.client.get(self.local_path(doc["link"]))
        self.assertEqual(pdf.status_code, 200)
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        self.assertEqual(pdf["Cache-Control"], "private, no-store")
        self.assertTrue(b"".join(pdf.streaming_content).startswith(b"%PDF"))
        zip_link = next(w for w in doc["caption"].split() if w.startswith(settings.SITE_URL))
        zipped = self.client.get(self.local_path(zip_link))
        self.assertEqual(zipped.status_code, 200)
        archive = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content)))
        names = archive.namelist()
        self.assertIn("ringkasan.pdf", names)
        self.assertIn("BACA-SAYA.txt", names)
        data = json.loads(archive.read("data.json"))
        self.assertEqual(data["warga"]["nik"], NIK)
        self.assertEqual(data["warga"]["nomor_kk"], KK)
        self.assertEqual(data["warga"]["nama"], "Siti Aminah")
        said = [m["teks"] for m in data["pesan_dari_anda"]]
        self.assertIn("data saya", [s.lower() for s in said])
        (photo,) = [m for m in data["pesan_dari_anda"] if m.get("berkas")]
        self.assertEqual(photo["teks"], "foto KTP saya")
        self.assertIn(photo["berkas"], names)
        self.assertEqual(archive.read(photo["berkas"]), media.file.open("rb").read())
        self.assertTrue(any("Kirim permintaan ini" in m["teks"] for m in data["pesan_untuk_anda"]))
        self.assertEqual(data["permintaan_data_pribadi"][0]["tiket"], data_request.code)
        for section in ("permohonan_surat", "pengaduan_dan_aspirasi", "program_pendampingan"):
            self.assertEqual(data[section], [])

        # A changed or foreign token is a 404.
        token = urlsplit(doc["link"]).path.rstrip("/").rsplit("/", 1)[1]
        tampered = reverse("residents:data_download", args=[token[:-2] + "xx"])
        self.assertEqual(self.client.get(tampered).status_code, 404)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="data_request.export", object_code=data_request.code
            ).exists()
        )


class ErasureTest(PrivacyTestCase):
    def setUp(self):
        super().setUp()
        from balai.announcements.models import Subscription, Topic
        from balai.announcements.topics import do_subscribe
        from balai.complaints.actions import do_submit_complaint
        from balai.complaints.models import ComplaintState
        from balai.letters.actions import do_submit_request
        from balai.letters.documents import do_issue_letter
        from balai.letters.models import RequestState
        from balai.market.models import Product, Sale, Seller
        from balai.programmes.models import ConsentState, Participant, Programme

        siti = self.resident
        letter_type = self.village.letter_types.get(slug="domisili")
        self.done = do_submit_request(
            letter_type=letter_type,
            resident=siti,
            contact=siti,
            identity="matched",
            answers={"keperluan": "melamar kerja"},
            attachments=[],
        )
        self.issued = do_issue_letter(self.done, signer=self.staff[Role.KADES])
        self.done.state = RequestState.COMPLETED
        self.done.save()
        self.open = do_submit_request(
            letter_type=letter_type,
            resident=siti,
            contact=siti,
            identity="matched",
            answers={},
            attachments=[],
        )
        self.complaint = do_submit_complaint(
            resident=siti,
            kind="complaint",
            category=self.village.complaint_categories.get(slug="jalan"),
            description="Jalan depan rumah Bu Siti berlubang",
            show_name=True,
        )
        self.complaint.state = ComplaintState.RESOLVED
        self.complaint.save()
        do_subscribe(siti, [Topic.objects.get(village=self.village, slug="umum")], text="Ya")
        self.assertTrue(Subscription.objects.filter(resident=siti).exists())
        programme = Programme.objects.create(
            village=self.village,
            title="Pendampingan UMKM",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 3, 1),
        )
        self.participant = Participant.objects.create(
            programme=programme, resident=siti, business="Warung Bu Siti", consent="given"
        )
        self.consent_given = ConsentState.GIVEN
        seller = Seller.objects.create(
            village=self.village, resident=siti, business_name="Warung Bu Siti", slug="bu-siti"
        )
        product = Product.objects.create(
            seller=seller, village=self.village, name="Nasi pecel", price=10000
        )
        Sale.objects.create(
            seller=seller, product=product, amount=20000, sold_on=dt.date(2026, 1, 5),
            source="whatsapp", text="laku 2 nasi pecel",
        )  # fmt: skip
        self.photo("foto KK")
        self.media = Media.objects.get(message__resident=siti)
        self.media_path = Path(self.media.file.path)
        self.letter_path = Path(self.issued.pdf.path)
        self.assertTrue(self.media_path.exists() and self.letter_path.exists())

    def test_refused_while_a_letter_is_in_progress_then_erased_keeping_the_register(self):
        from balai.announcements.models import Subscription
        from balai.complaints.models import Complaint
        from balai.letters.models import IssuedLetter, LetterRequest, RequestState
        from balai.market.models import Product, Sale, Seller
        from balai.programmes.models import ConsentState

        self.send("hapus data saya")
        self.send("kirim")
        data_request = DataRequest.objects.get(kind="erasure")

        # An open letter request needs the data: staff are told why, nothing is erased.
        self.login(self.staff[Role.SEKDES])
        detail = self.client.get(self.url("data_request", data_request.code))
        self.assertContains(detail, "Belum bisa dihapus")
        self.assertContains(detail, self.open.code)
        response = self.process(data_request, self.staff[Role.SEKDES])
        self.assertRedirects(response, self.url("data_request", data_request.code))
        page = self.client.get(response.url)
        self.assertContains(page, "Permohonan surat masih diproses")
        self.resident.refresh_from_db()
        self.assertEqual(self.resident.nik, NIK)
        data_request.refresh_from_db()
        self.assertEqual(data_request.state, DataRequest.State.RECEIVED)

        LetterRequest.objects.filter(pk=self.open.pk).update(state=RequestState.CANCELLED)
        self.replies()
        # Meta's statuses name her number; so may a webhook body kept for operators.
        sent_to_her = OutboundMessage.objects.filter(resident=self.resident).exclude(wamid=None)
        wamid = sent_to_her.values_list("wamid", flat=True).first()
        StatusEvent.objects.create(
            wamid=wamid,
            status="read",
            timestamp=timezone.now(),
            payload={"id": wamid, "status": "read", "recipient_id": "6281234567890"},
        )
        other = StatusEvent.objects.create(
            wamid="wamid.SOMEONE-ELSE", status="read", timestamp=timezone.now(),
            payload={"recipient_id": "6289999999999"},
        )  # fmt: skip
        WebhookProblem.objects.create(
            kind=WebhookProblem.Kind.UNKNOWN_NUMBER,
            payload={"messages": [{"from": "6281234567890", "text": {"body": "Siti di sini"}}]},
        )
        self.process(data_request, self.staff[Role.SEKDES])
        data_request.refresh_from_db()
        self.assertEqual(data_request.state, DataRequest.State.DONE)

        # Told on WhatsApp, at the number that asked, before it was erased.
        notices = self.texts(self.replies())
        self.assertIn("sudah kami hapus", notices)
        self.assertIn("buku register desa", notices)

        siti = Resident.objects.get(pk=self.resident.pk)
        self.assertIsNotNone(siti.erased_at)
        self.assertEqual(siti.name, "(data dihapus)")
        for field in ("phone", "nik", "nik_hash", "kk", "kk_hash", "address", "birth_place"):
            self.assertEqual(getattr(siti, field), "", field)
        self.assertIsNone(siti.birth_date)
        self.assertFalse(Resident.objects.with_nik(NIK).exists())
        self.assertFalse(Resident.objects.filter(phone__contains="81234567890").exists())

        # The register entry stays (number, date, type, hash); the PDF naming her goes.
        letter = IssuedLetter.objects.get(pk=self.issued.pk)
        self.assertEqual(letter.number, self.issued.number)
        self.assertEqual(letter.sha256, self.issued.sha256)
        self.assertEqual(letter.issued_at, self.issued.issued_at)
        self.assertEqual(letter.request.letter_type.slug, "domisili")
        self.assertFalse(letter.pdf)
        self.assertFalse(self.letter_path.exists())
        self.assertEqual(LetterRequest.objects.get(pk=self.done.pk).answers, {})
        # The QR page still proves the letter: number and hash, no name.
        verify = self.client.get(reverse("letter_requests:verify", args=[letter.verify_token]))
        self.assertContains(verify, letter.number)
        self.assertContains(verify, letter.sha256)
        self.assertNotContains(verify, "Siti")

        # What she sent is gone: files, message bodies, complaint text, drafts.
        self.assertFalse(self.media_path.exists())
        self.media.refresh_from_db()
        self.assertFalse(self.media.file)
        for message in InboundMessage.objects.filter(resident=siti):
            self.assertEqual(message.message, {"erased": True})
            self.assertEqual(message.wa_id, "")
        complaint = Complaint.objects.get(pk=self.complaint.pk)
        self.assertNotIn("Siti", complaint.description)
        self.assertFalse(complaint.show_name)
        sent = OutboundMessage.objects.filter(resident=siti).exclude(state="queued")
        self.assertFalse(sent.filter(to__contains="81234567890").exclude(kind="text").exists())
        payloads = StatusEvent.objects.filter(wamid=wamid).values_list("payload", flat=True)
        self.assertEqual(set(map(json.dumps, payloads)), {json.dumps({"erased": True})})
        self.assertEqual(
            StatusEvent.objects.get(pk=other.pk).payload["recipient_id"], "6289999999999"
        )
        self.assertEqual(WebhookProblem.objects.get().payload, {"erased": True})

        # Consent withdrawn everywhere; her shop no longer public.
        self.assertFalse(Subscription.objects.filter(resident=siti).exists())
        self.participant.refresh_from_db()
        self.assertEqual(self.participant.consent, ConsentState.WITHDRAWN)
        self.assertEqual(self.participant.business, "")
        self.assertIsNone(Contact.objects.get(resident=siti).opted_in_at)
        seller = Seller.objects.get(resident=siti)
        self.assertFalse(seller.is_active)
        self.assertNotIn("Siti", seller.business_name)
        self.assertFalse(Product.objects.filter(seller=seller, is_published=True).exists())
        self.assertEqual(Sale.objects.get(seller=seller).text, "")
        self.assertEqual(Sale.objects.get(seller=seller).amount, 20000)  # counts stay

        event = AuditEvent.objects.get(action="data_request.erase")
        self.assertEqual(event.object_code, data_request.code)
        self.assertEqual(event.detail["letters_kept_in_register"], 1)
        self.assertNotIn(NIK, json.dumps(event.detail))

        # Her next message starts afresh as a stranger; the erased row is not reused.
        self.send("halo")
        self.assertEqual(Resident.objects.filter(phone="+" + self.WA_ID).count(), 1)
        self.assertNotEqual(Resident.objects.get(phone="+" + self.WA_ID).pk, siti.pk)

    def test_refusal_reaches_the_resident_through_the_template_outside_the_window(self):
        data_request, _ = do_receive_data_request(self.resident, "erasure")
        Contact.objects.filter(resident=self.resident).update(
            last_inbound_at=timezone.now() - dt.timedelta(hours=30)
        )
        Template.objects.create(
            village=self.village,
            name="balai_status",
            purpose="status_update",
            status=Template.Status.APPROVED,
            body="Halo {{1}}, kabar tiket {{2}}: {{3}}.",
            parameters=["nama", "tiket", "status"],
        )
        self.login(self.staff[Role.KADES])
        url = self.url("data_request_refuse", data_request.code)
        self.client.post(url, {"reason": "  "})
        data_request.refresh_from_db()
        self.assertEqual(data_request.state, DataRequest.State.RECEIVED)
        self.replies()
        with self.round_trip():
            self.client.post(url, {"reason": "Surat Anda masih dalam masa sanggah."})
        data_request.refresh_from_db()
        self.assertEqual(data_request.state, DataRequest.State.REFUSED)
        self.assertEqual(data_request.note, "Surat Anda masih dalam masa sanggah.")
        (sent,) = self.replies()
        self.assertEqual(sent["template"]["name"], "balai_status")
        params = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
        self.assertEqual(params, ["Bapak/Ibu", data_request.code, "Ditolak"])
        # The full text follows when she writes back.
        replies = self.send("ada apa ya")
        self.assertIn("masih dalam masa sanggah", self.texts(replies))
        # A decided request cannot be refused again.
        self.client.post(url, {"reason": "lagi"})
        data_request.refresh_from_db()
        self.assertEqual(data_request.note, "Surat Anda masih dalam masa sanggah.")


class QueueTest(PrivacyTestCase):
    def test_queue_orders_by_deadline_marks_overdue_and_records_office_requests(self):
        late, _ = do_receive_data_request(self.resident, "export")
        DataRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
        self.login(self.operator)
        response = self.client.post(
            reverse("residents:data_request_record", args=[self.village.slug, self.resident.code]),
            {"kind": "erasure", "note": "Datang ke kantor"},
        )
        fresh = DataRequest.objects.get(kind="erasure")
        self.assertRedirects(response, self.url("data_request", fresh.code))
        self.assertEqual(fresh.via, "kantor")
        page = self.client.get(self.url("data_requests")).content.decode()
        self.assertLess(page.index(late.code), page.index(fresh.code))
        self.assertIn("Terlambat", page)
        bad = self.client.post(
            reverse("residents:data_request_record", args=[self.village.slug, self.resident.code]),
            {"kind": "semua"},
        )
        self.assertEqual(bad.status_code, 302)
        self.assertEqual(DataRequest.objects.count(), 2)


class ConsentWithdrawalTest(PrivacyTestCase):
    """`berhenti` stops processing at once: nothing more goes out from announcements or
    programmes (UU PDP allows 3 × 24 hours; Balai stops within the same message)."""

    def test_after_berhenti_no_announcement_programme_message_or_reminder_is_sent(self):
        from balai.announcements.audience import Audience
        from balai.announcements.models import Announcement, Recipient, Topic
        from balai.announcements.sending import do_start
        from balai.announcements.topics import do_subscribe
        from balai.programmes import actions
        from balai.programmes.learning import do_send_lesson
        from balai.programmes.models import Activity, Lesson, Participant, Programme

        siti = self.resident
        umum = Topic.objects.get(village=self.village, slug="umum")
        do_subscribe(siti, [umum], text="Ya")
        programme = Programme.objects.create(
            village=self.village,
            title="Pendampingan Protokol",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 3, 1),
            reminder_offsets=[60],
        )
        Participant.objects.create(programme=programme, resident=siti, consent="given")
        starts = timezone.now() + dt.timedelta(minutes=30)
        Activity.objects.create(
            programme=programme, title="Pelatihan", starts_at=starts, ends_at=starts
        )
        lesson = Lesson.objects.create(
            programme=programme, position=1, title="Materi 1", body="Isi"
        )

        post = Announcement.objects.create(
            village=self.village, topic=umum, title="Kerja bakti", body="Minggu pagi."
        )
        post.audience_programmes.add(programme)
        self.assertIn(siti, Audience.of(post).residents())  # before: she would get it

        stopped = self.texts(self.send("berhenti"))
        self.assertIn("Sudah kami hentikan", stopped)
        self.assertIn("Pendampingan Protokol", stopped)
        self.replies()
        later = OutboundMessage.objects.count()

        self.assertNotIn(siti, Audience.of(post).residents())
        broadcast = do_start(post, self.operator)
        self.assertFalse(Recipient.objects.filter(broadcast=broadcast, resident=siti).exists())
        self.assertEqual(actions.do_announce(programme, self.operator, "Besok libur"), 0)
        self.assertEqual(actions.do_send_due_reminders(), 0)
        self.assertEqual(do_send_lesson(lesson, self.operator)[0], 0)
        self.assertFalse(OutboundMessage.objects.filter(pk__gt=0).count() > later)
        self.assertEqual(self.replies(), [])
