"""The approval chain in the console: who may act at each stage, what the resident is told,
requests for more information answered on WhatsApp, rejection, notes, the queue."""

import datetime as dt
import hashlib

from django.urls import reverse

from balai.conversations.tests.base import ConversationTestCase
from balai.letters import workflow
from balai.letters.actions import do_submit_request
from balai.letters.models import LetterRequest, LetterType, RequestState
from balai.villages.roles import Role
from balai.whatsapp.models import OutboundMessage


class WorkflowTestCase(ConversationTestCase):
    WA_ID = "6281234567890"  # Siti Aminah: the register resident of self.village

    def setUp(self):
        super().setUp()
        self.send("halo")  # opens the 24-hour window; a Conversation exists
        self.letter = do_submit_request(
            letter_type=LetterType.objects.get(village=self.village, slug="domisili"),
            resident=self.resident,
            contact=self.resident,
            identity="matched",
            answers={"alamat": "Dusun Krajan RT 02", "keperluan": "melamar kerja"},
            attachments=[],
        )

    def url(self, name, *args):
        return reverse(f"letter_requests:{name}", args=[self.village.slug, self.letter.code, *args])

    def act(self, user, action, note=""):
        self.login(user)
        with self.round_trip():
            return self.client.post(self.url("action", action), {"note": note})


class ChainTest(WorkflowTestCase):
    def test_each_stage_is_for_its_role_and_the_resident_hears_of_each_step(self):
        # Sekdes cannot verify: it isn't their stage.
        response = self.act(self.staff[Role.SEKDES], "setujui")
        self.assertRedirects(response, self.url("detail"), fetch_redirect_response=False)
        self.letter.refresh_from_db()
        self.assertEqual((self.letter.stage, self.letter.state), (0, "submitted"))
        self.replies()

        self.act(self.staff[Role.OPERATOR], "setujui")
        self.letter.refresh_from_db()
        self.assertEqual((self.letter.stage, self.letter.state), (1, "in_review"))
        (pushed,) = self.replies()
        self.assertIn(f"*{self.letter.code}*", self.body(pushed))
        self.assertIn("Verifikasi berkas selesai", self.body(pushed))

        # The operator cannot also check as sekdes.
        self.act(self.staff[Role.OPERATOR], "setujui")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.stage, 1)

        self.act(self.staff[Role.SEKDES], "setujui", note="Data sesuai buku induk.")
        self.letter.refresh_from_db()
        self.assertEqual((self.letter.stage, self.letter.state), (2, "awaiting_signature"))
        self.assertIn("Data sesuai buku induk.", self.body(self.replies()[0]))
        actions = list(self.letter.events.values_list("action", flat=True))
        self.assertEqual(actions, ["", "approve:verify", "approve:check"])

    def test_a_village_can_use_a_shorter_chain(self):
        self.village.approval_chain = "operator-kades"
        self.village.save()
        self.act(self.staff[Role.OPERATOR], "setujui")
        self.letter.refresh_from_db()
        self.assertEqual((self.letter.stage, self.letter.state), (1, "awaiting_signature"))
        self.assertTrue(workflow.can_act(self._staff(Role.KADES), self.letter))

    def _staff(self, role):
        from balai.villages.access import access_village

        return access_village(self.staff[role], self.village.slug)

    def test_roles_outside_the_office_cannot_open_requests(self):
        for role in (Role.PENDAMPING, Role.DPL):
            self.login(self.staff[role])
            self.assertEqual(self.client.get(self.url("detail")).status_code, 403)
            self.assertEqual(self.client.post(self.url("action", "setujui")).status_code, 403)


class MoreInformationTest(WorkflowTestCase):
    def test_the_residents_answer_lands_on_the_request(self):
        self.act(self.staff[Role.OPERATOR], "minta-data", note="Foto KK kurang jelas.")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "needs_info")
        (asked,) = self.replies()
        self.assertIn("Catatan petugas: Foto KK kurang jelas.", self.body(asked))
        self.assertIn("balas pesan ini", self.body(asked))

        (thanks,) = self.photo(caption="ini KK yang baru")
        self.assertIn(
            f"Data tambahan untuk {self.letter.code} sudah kami terima", self.body(thanks)
        )
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "submitted")  # back at its stage
        event = self.letter.events.last()
        self.assertEqual((event.action, event.note), ("info_received", "ini KK yang baru"))
        self.assertEqual(event.media.state, "stored")
        # Staff see it on the request page, with the photo.
        self.login(self.staff[Role.OPERATOR])
        page = self.client.get(self.url("detail"))
        self.assertContains(page, "ini KK yang baru")
        self.assertContains(
            page, reverse("whatsapp:media", args=[self.village.slug, event.media.code])
        )

    def test_a_status_question_is_not_taken_as_the_answer(self):
        self.act(self.staff[Role.OPERATOR], "minta-data", note="Kirim foto KTP.")
        self.replies()
        replies = self.send("cek status")
        self.assertIn("Perlu data tambahan", self.texts(replies))
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "needs_info")

    def test_asking_needs_a_note(self):
        self.act(self.staff[Role.OPERATOR], "minta-data", note="  ")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "submitted")


class RejectAndNotesTest(WorkflowTestCase):
    def test_reject_sends_the_reason_and_closes(self):
        self.act(self.staff[Role.OPERATOR], "tolak", note="Bukan warga desa ini.")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "rejected")
        self.assertIn("Bukan warga desa ini.", self.body(self.replies()[0]))
        # Closed: no further step is possible.
        self.act(self.staff[Role.OPERATOR], "setujui")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "rejected")

    def test_internal_notes_are_never_sent(self):
        before = OutboundMessage.objects.count()
        self.act(self.staff[Role.SEKDES], "catatan", note="Cek dulu ke Pak RT.")
        self.assertEqual(OutboundMessage.objects.count(), before)
        event = self.letter.events.last()
        self.assertTrue(event.internal)
        self.assertContains(self.client.get(self.url("detail")), "catatan internal")

    def test_assign_to_a_colleague_of_this_village_only(self):
        self.login(self.staff[Role.OPERATOR])
        colleague = self.staff[Role.KASI_PELAYANAN]
        self.client.post(self.url("assign"), {"user": colleague.pk})
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.assigned_to, colleague)
        outsider = self.other_staff[Role.OPERATOR]
        self.assertEqual(
            self.client.post(self.url("assign"), {"user": outsider.pk}).status_code, 404
        )


class QueueTest(WorkflowTestCase):
    def test_filters_overdue_and_waiting_for_me(self):
        late = do_submit_request(
            letter_type=LetterType.objects.get(village=self.village, slug="sktm"),
            resident=self.resident,
            contact=self.resident,
            identity="matched",
            answers={},
            attachments=[],
        )
        LetterRequest.objects.filter(pk=late.pk).update(
            due_date=dt.date.today() - dt.timedelta(days=2), state=RequestState.IN_REVIEW, stage=1
        )
        list_url = reverse("letter_requests:list", args=[self.village.slug])
        self.login(self.staff[Role.OPERATOR])
        page = self.client.get(list_url)
        self.assertContains(page, self.letter.code)
        self.assertContains(page, "Terlambat")
        overdue = self.client.get(list_url, {"status": "overdue"})
        self.assertContains(overdue, late.code)
        self.assertNotContains(overdue, self.letter.code)
        mine = self.client.get(list_url, {"status": "mine"})
        self.assertContains(mine, self.letter.code)  # verification is the operator's
        self.assertNotContains(mine, late.code)  # at the sekdes' stage
        self.login(self.staff[Role.SEKDES])
        self.assertContains(self.client.get(list_url, {"status": "mine"}), late.code)
        by_type = self.client.get(list_url, {"jenis": "sktm"})
        self.assertNotContains(by_type, self.letter.code)
        # The NIK is masked on the request page.
        detail = self.client.get(self.url("detail"))
        self.assertContains(detail, "3311********0001")
        self.assertNotContains(detail, "3311024501900001")

    def test_dashboard_shows_todays_work(self):
        self.login(self.staff[Role.OPERATOR])
        page = self.client.get(reverse("villages:dashboard", args=[self.village.slug]))
        self.assertContains(page, "Pekerjaan hari ini")
        self.assertContains(page, "permohonan menunggu Anda")


class AuditTest(WorkflowTestCase):
    def test_views_of_personal_data_and_changes_are_logged_and_filterable(self):
        from balai.villages.models import AuditEvent

        self.login(self.staff[Role.KASI_PELAYANAN])
        self.client.get(self.url("detail"))
        self.client.post(self.url("action", "catatan"), {"note": "cek RT"})
        self.client.get(reverse("residents:detail", args=[self.village.slug, self.resident.code]))
        actions = list(
            AuditEvent.objects.filter(actor=self.staff[Role.KASI_PELAYANAN])
            .order_by("created")
            .values_list("action", "object_code")
        )
        self.assertEqual(
            actions,
            [
                ("letter_request.view", self.letter.code),
                ("letter_request.catatan", self.letter.code),
                ("resident.view", self.resident.code),
            ],
        )
        log = reverse("villages:audit", args=[self.village.slug])
        self.login(self.staff[Role.KADES])
        page = self.client.get(log, {"petugas": self.staff[Role.KASI_PELAYANAN].pk})
        self.assertContains(page, "letter_request.catatan")
        only_resident = self.client.get(log, {"objek": self.resident.code})
        self.assertContains(only_resident, "resident.view")
        self.assertNotContains(only_resident, "letter_request.catatan")
        self.login(self.staff[Role.KASI_PELAYANAN])
        self.assertEqual(self.client.get(log).status_code, 403)


class SignAndDeliverTest(WorkflowTestCase):
    def walk_to_signature(self):
        self.act(self.staff[Role.OPERATOR], "setujui")
        self.act(self.staff[Role.SEKDES], "setujui")
        self.replies()

    def test_kades_signs_the_number_is_taken_and_the_pdf_goes_on_whatsapp(self):
        from balai.letters.models import IssuedLetter

        self.walk_to_signature()
        self.assertFalse(IssuedLetter.objects.exists())  # no number before the signature
        self.act(self.staff[Role.KADES], "setujui")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "completed")
        issued = IssuedLetter.objects.get(request=self.letter)
        self.assertRegex(issued.number, r"^470/001/2010/[IVX]+/\d{4}$")
        (document,) = [p for p in self.replies() if p["type"] == "document"]
        self.assertEqual(document["document"]["filename"], f"{self.letter.code}.pdf")
        self.assertIn(issued.number, document["document"]["caption"])
        # The link Meta fetches serves the signed PDF, without a login.
        self.client.logout()
        link = document["document"]["link"].removeprefix("http://127.0.0.1:8000")
        response = self.client.get(link)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(b"".join(response.streaming_content).startswith(b"%PDF"))
        forged = self.client.get(link[:-6] + "AAAAA/")
        self.assertEqual(forged.status_code, 404)
        actions = list(self.letter.events.values_list("action", flat=True))
        self.assertEqual(actions[-2:], ["sign", "deliver"])

    def test_pickup_villages_get_siap_diambil_then_diambil(self):
        self.village.deliver_on_whatsapp = False
        self.village.save()
        self.walk_to_signature()
        self.act(self.staff[Role.KADES], "setujui")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "ready")
        self.assertIn("Siap diambil", self.texts(self.replies()))
        self.act(self.staff[Role.OPERATOR], "diambil")
        self.letter.refresh_from_db()
        self.assertEqual(self.letter.state, "completed")


class StaffNoticeTest(WorkflowTestCase):
    def test_the_next_signer_who_opted_in_hears_on_whatsapp(self):
        from balai.simulator.models import SimMessage

        kades = self.staff[Role.KADES]
        self.login(kades)
        page = reverse("villages:notifications", args=[self.village.slug])
        response = self.client.post(page, {"notify_whatsapp": "on", "whatsapp_phone": ""})
        self.assertContains(response, "Isi nomor WhatsApp untuk menerima kabar.")
        self.client.post(page, {"notify_whatsapp": "on", "whatsapp_phone": "0813 2222 3333"})
        membership = kades.memberships.get(village=self.village)
        self.assertEqual(membership.whatsapp_phone, "+6281322223333")
        # The kades once wrote to the village's number (the 24-hour window is open).
        self.say(**{"from": "6281322223333", "text": "tes"})
        self.act(self.staff[Role.OPERATOR], "setujui")

        def notices():
            out = SimMessage.objects.filter(wa_id="6281322223333", direction="out")
            return [
                m.payload["text"]["body"]
                for m in out
                if m.payload.get("type") == "text" and self.letter.code in m.payload["text"]["body"]
            ]

        self.assertEqual(notices(), [])  # the sekdes' step: not for the kades yet
        self.act(self.staff[Role.SEKDES], "setujui")
        (notice,) = notices()
        self.assertIn("menunggu tanda tangan kepala desa oleh Anda", notice)
        self.assertIn(f"/desa/pondok/permohonan/{self.letter.code}/", notice)


class VerificationPageTest(WorkflowTestCase):
    def test_the_qr_page_shows_the_letter_and_checks_a_copy(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from balai.letters.documents import do_issue_letter, verify_url

        issued = do_issue_letter(self.letter, signer=self.staff[Role.KADES])
        url = verify_url(issued.verify_token).removeprefix("http://127.0.0.1:8000")
        self.client.logout()
        page = self.client.get(url)
        self.assertContains(page, issued.number)
        self.assertContains(page, "Si*** Am****")
        self.assertContains(page, issued.sha256)
        self.assertNotContains(page, "3311024501900001")
        self.assertNotContains(page, "Siti Aminah")
        with issued.pdf.open("rb") as f:
            original = f.read()
        same = self.client.post(url, {"pdf": SimpleUploadedFile("s.pdf", original)})
        self.assertContains(same, "Cocok: berkas ini sama persis")
        changed = self.client.post(url, {"pdf": SimpleUploadedFile("s.pdf", original + b"%")})
        self.assertContains(changed, "Tidak cocok")
        # A pasted hash works too, in any case and with stray spaces.
        pasted = " ".join([issued.sha256[:32].upper(), issued.sha256[32:]])
        self.assertContains(self.client.post(url, {"sha256": pasted}), "Cocok")
        other = hashlib.sha256(b"lain").hexdigest()
        self.assertContains(self.client.post(url, {"sha256": other}), "Tidak cocok")
        self.assertContains(self.client.post(url, {"sha256": "abc"}), "64 huruf/angka")
        self.assertContains(self.client.post(url, {}), "Pilih berkas PDF")
        # The public layout: the village's own header, no staff menu.
        self.assertContains(page, '<a class="pub-name" href="/d/pondok/">Desa Pondok</a>')
        self.assertEqual(self.client.get("/v/tidak-ada").status_code, 404)
