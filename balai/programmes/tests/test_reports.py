"""Documentation on WhatsApp and in the console, the logbook, DPL comments, the consent
register and the programme report (PDF and DOCX)."""

import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from balai.conversations.models import Conversation
from balai.conversations.tests.base import ConversationTestCase
from balai.programmes import actions, consent, report
from balai.programmes.models import (
    Activity,
    Answer,
    Attempt,
    Attendance,
    Comment,
    ConsentEvent,
    ConsentState,
    LogEntry,
    Photo,
    Programme,
    Question,
    Quiz,
)
from balai.programmes.participants import do_add_participant
from balai.programmes.urls_reports import urlpatterns as REPORT_URLS
from balai.test import BaseTestCase
from balai.villages.models import AuditEvent, Membership
from balai.villages.roles import Role
from balai.whatsapp.models import Media, Template

FACILITATOR_WA = "6281377778888"


def jpeg(width=640, height=480, colour=(40, 120, 200), noise=False) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), colour)
    if noise:  # a phone photo compresses about as badly as noise does
        grain = Image.effect_noise((width, height), 60).convert("RGB")
        image = Image.blend(image, grain, 0.5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, check=True, text=True
        ).stdout


def squash(text: str) -> str:
    """Without whitespace: long ids and names may wrap across lines in a PDF."""
    return "".join(text.split())


def make_programme(village, facilitator, dpl, **extra) -> Programme:
    programme = Programme.objects.create(
        village=village,
        title=extra.pop("title", "Pendampingan Protokol"),
        purpose=(
            "Pedagang pasar perlu menerapkan protokol kesehatan tanpa kehilangan pembeli.\n\n"
            "Kelompok kerja dibentuk lewat WhatsApp karena pertemuan tatap muka terbatas."
        ),
        objectives=[
            "Terlaksananya jadwal kegiatan yang telah disusun.",
            "Menjadi media koordinasi dan informasi.",
        ],
        target_group="pedagang pasar",
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 8, 31),
        university="Universitas Pendidikan Ganesha",
        cohort="KKN KMbD 2026",
        group_name="Pendampingan Protokol",
        group_formed_on=dt.date(2026, 7, 6),
        opening_info="Kegiatan pertama Senin pukul 09.00 di balai desa.",
        **extra,
    )
    programme.facilitators.add(facilitator)
    if dpl:
        programme.supervisors.add(dpl)
    return programme


def activity(programme, title, days, place="Balai desa") -> Activity:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=days)
    return Activity.objects.create(
        programme=programme, title=title, starts_at=start, place=place,
        ends_at=start + dt.timedelta(hours=2),
    )  # fmt: skip


def uploaded_photo(programme, caption, act=None, user=None, **image) -> Photo:
    upload = SimpleUploadedFile("dok.jpg", jpeg(**image), content_type="image/jpeg")
    return actions.do_add_photo(programme, user, caption=caption, activity=act, upload=upload)


# --- the dokumentasi flow on WhatsApp ---------------------------------------------------------


class DocumentationFlowTest(ConversationTestCase):
    WA_ID = FACILITATOR_WA

    def setUp(self):
        super().setUp()
        self.facilitator = self.staff[Role.PENDAMPING]
        Membership.objects.filter(user=self.facilitator, village=self.village).update(
            whatsapp_phone="0813 7777 8888"  # as typed; compared in E.164
        )
        self.programme = make_programme(self.village, self.facilitator, self.staff[Role.DPL])
        self.first = activity(self.programme, "Penyebaran surat kesediaan", -2)
        self.second = activity(self.programme, "Pembentukan grup WhatsApp", -1)
        self.later = activity(self.programme, "Pelatihan protokol", 5)

    def conv(self) -> Conversation:
        return Conversation.objects.get(resident__phone="+" + FACILITATOR_WA)

    def test_facilitator_sends_photos_with_captions_to_the_chosen_activity(self):
        # A second programme of the same facilitator: the flow asks which one.
        make_programme(self.village, self.facilitator, None, title="Pemasaran Online Sokasi")
        replies = self.send("Dokumentasi")
        programmes = replies[-1]
        self.assertIn("program yang mana", self.body(programmes))
        (activities,) = self.tap(programmes, "Pendampingan Protoko")
        self.assertEqual(
            [title for _id, title in self.choices(activities)],
            [
                "1. Penyebaran surat kes",
                "2. Pembentukan grup Wha",
                "3. Pelatihan protokol",
                "4. Tanpa kegiatan",
            ],
        )
        (ask,) = self.tap(activities, "2. Pembentukan grup Wha")
        self.assertIn("kegiatan *Pembentukan grup WhatsApp*", self.body(ask))
        self.assertIn("*selesai*", self.body(ask))

        (saved,) = self.photo("Foto 1. Identitas grup")
        self.assertIn("Foto 1 tersimpan: Foto 1. Identitas grup", self.body(saved))
        (saved,) = self.photo()
        self.assertIn("Foto 2 tersimpan tanpa keterangan", self.body(saved))
        (noted,) = self.send("Anggota yang tergabung dalam grup")
        self.assertIn("Keterangan foto tersimpan", self.body(noted))
        (nudge,) = self.send("sebentar ya")
        self.assertIn("ketik *selesai*", self.body(nudge))

        # `kembali` picks another activity; the count goes on.
        (activities,) = self.send("kembali")
        (ask,) = self.tap(activities, "Tanpa kegiatan")
        self.assertIn("program *Pendampingan Protokol*", self.body(ask))
        (saved,) = self.photo("Informasi awal")
        self.assertIn("Foto 3 tersimpan", self.body(saved))
        (done,) = self.send("selesai")
        self.assertIn("3 foto dokumentasi tersimpan di *Pendampingan Protokol*", self.body(done))
        self.assertIn(f"/program/{self.programme.code}/dokumentasi/", self.body(done))
        self.assertEqual(self.conv().flow, "")

        photos = list(self.programme.photos.order_by("pk"))
        self.assertEqual(
            [(p.caption, p.activity) for p in photos],
            [
                ("Foto 1. Identitas grup", self.second),
                ("Anggota yang tergabung dalam grup", self.second),
                ("Informasi awal", None),
            ],
        )
        for photo in photos:
            self.assertEqual(photo.added_by, self.facilitator)
            self.assertFalse(photo.file)  # the WhatsApp media row is the file
            self.assertEqual(photo.media.state, Media.State.STORED)
            self.assertEqual(photo.media.message.wa_id, FACILITATOR_WA)
            self.assertIsNotNone(report.shrink(photo, 100))

    def test_one_programme_goes_straight_to_the_activities(self):
        replies = self.send("dokumentasi")
        self.assertIn("Dokumentasi *Pendampingan Protokol*.", self.texts(replies))
        self.assertIn("kegiatan yang mana", self.body(replies[-1]))
        self.assertEqual(self.conv().data["programme"], self.programme.code)

    def test_video_and_stray_text_are_asked_again_and_batal_keeps_the_photos(self):
        activities = self.send("dokumentasi")[-1]
        self.tap(activities, "Penyebaran surat kes")
        self.photo("Pembagian surat")
        (again,) = self.send(video={"mime_type": "video/mp4", "data": "AAAAIGZ0eXBpc29t"})
        self.assertIn("hanya foto", self.body(again))
        pdf = {"mime_type": "application/pdf", "data": "JVBERi0xLjQK", "filename": "daftar.pdf"}
        (again,) = self.send(document=pdf)
        self.assertIn("bukan foto", self.body(again))
        (cancelled,) = self.send("batal")
        self.assertIn("sudah dibatalkan", self.body(cancelled))
        photo = self.programme.photos.get()
        self.assertEqual((photo.caption, photo.activity), ("Pembagian surat", self.first))
        self.assertEqual(self.conv().flow, "")

    def test_resident_typing_dokumentasi_gets_no_flow(self):
        Membership.objects.filter(user=self.facilitator).update(whatsapp_phone="")
        self.send("dokumentasi")
        self.assertNotEqual(self.conv().flow, "dokumentasi")
        self.photo("foto pasar")
        self.assertFalse(Photo.objects.exists())

    def test_dpl_number_gets_no_flow(self):
        """A DPL reads and comments; documenting is the facilitators' work."""
        Membership.objects.filter(user=self.facilitator).update(whatsapp_phone="")
        Membership.objects.filter(user=self.staff[Role.DPL], village=self.village).update(
            whatsapp_phone="+" + FACILITATOR_WA
        )
        self.send("dokumentasi")
        self.assertNotEqual(self.conv().flow, "dokumentasi")

    def test_other_villages_facilitator_is_a_resident_here(self):
        Membership.objects.filter(user=self.facilitator).update(whatsapp_phone="")
        other = self.other_staff[Role.PENDAMPING]
        Membership.objects.filter(user=other).update(whatsapp_phone="+" + FACILITATOR_WA)
        make_programme(self.other_village, other, None, title="Pemasaran Online Sokasi")
        self.send("dokumentasi")
        self.assertNotEqual(self.conv().flow, "dokumentasi")


# --- the consent register ---------------------------------------------------------------------


class ConsentRegisterTest(ConversationTestCase):
    """Consent asked and answered through the simulator: the register shows the request as
    sent, each answer with its time in the village's zone, and both message ids."""

    WA_ID = "6285712345678"

    def setUp(self):
        super().setUp()
        self.programme = make_programme(
            self.village, self.staff[Role.PENDAMPING], self.staff[Role.DPL]
        )
        Template.objects.create(
            village=self.village,
            name="balai_kesediaan_program",
            purpose=consent.PURPOSE,
            status=Template.Status.APPROVED,
            body="Halo {{1}}, {{2}} mengajak Anda ikut program {{3}}. Balas pesan ini.",
            parameters=["nama", "pendamping", "program"],
        )

    def answer(self, wa_id, name, business, button):
        self.WA_ID, self.seen = wa_id, 0
        participant = do_add_participant(
            self.programme, name=name, phone="+" + wa_id, business=business
        )
        self.send("halo")  # inside the 24-hour window: the request itself goes at once
        with self.round_trip():
            consent.do_request_consent(participant, self.staff[Role.PENDAMPING])
        request = next(p for p in self.replies() if p["type"] == "interactive")
        self.tap(request, button)
        participant.refresh_from_db()
        return participant

    def test_register_lists_each_participant_answer_time_and_message_ids(self):
        sumi = self.answer("6285712345678", "Bu Sumi", "nasi", "Bersedia")
        darto = self.answer("6281311112222", "Pak Darto", "ikan", "Tidak bersedia")
        wayan = self.answer("6281322223333", "Bu Wayan", "canang", "Bersedia")
        self.send("berhenti")  # Bu Wayan withdraws later
        wayan.refresh_from_db()
        ketut = do_add_participant(self.programme, name="Pak Ketut", phone="+6281344445555")
        self.assertEqual(
            [p.consent for p in (sumi, darto, wayan, ketut)],
            [ConsentState.GIVEN, ConsentState.REFUSED, ConsentState.WITHDRAWN, "not_asked"],
        )

        self.login(self.staff[Role.DPL])
        url = reverse("programmes:consent_pdf", args=[self.village.slug, self.programme.code])
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertIn("persetujuan-pendampingan-protokol.pdf", response["Content-Disposition"])
        text = pdf_text(response.content)
        flat = squash(text)
        self.assertIn("REGISTER PERSETUJUAN PESERTA", text)
        self.assertIn("Waktu dalam WIB", text)
        for participant, answer in [
            (sumi, "Bersedia"),
            (darto, "Tidak bersedia"),
            (wayan, "Mengundurkan diri"),
            (ketut, "Belum diminta"),
        ]:
            name = participant.resident.name
            block = flat[flat.index(squash(name)) :]
            self.assertIn(squash(f"Jawaban {answer}"), block[:400], name)
        for participant in (sumi, darto, wayan):
            requested = participant.consent_events.get(kind=ConsentEvent.Kind.REQUESTED)
            answered = participant.consent_events.exclude(kind__in=report.REQUEST_KINDS).first()
            self.assertTrue(requested.outbound.wamid)
            self.assertIn(squash(requested.outbound.wamid), flat)
            self.assertTrue(answered.wamid.startswith("wamid."))
            self.assertIn(squash(answered.wamid), flat)
            self.assertIn(squash(report.waktu(answered.at, self.village)), flat)
            # The request exactly as it was sent, line by line.
            for line in requested.text.splitlines():
                self.assertIn(squash(line), flat)
        self.assertIn(squash("“berhenti”"), flat)  # how Bu Wayan withdrew
        self.assertIn("+6281••••••555", flat)  # phones masked
        self.assertNotIn("6281344445555", flat)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="programme.consent_register", object_code=self.programme.code
            ).exists()
        )


# --- the report -------------------------------------------------------------------------------


class ReportTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.facilitator = cls.staff[Role.PENDAMPING]
        cls.dpl = cls.staff[Role.DPL]
        cls.programme = make_programme(cls.village, cls.facilitator, cls.dpl)


class ReportTest(ReportTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        programme = cls.programme
        people = []
        for name, phone, business in [
            ("Bu Sumi", "+6285712345601", "nasi"),
            ("Pak Darto", "+6285712345602", "ikan"),
            ("Bu Komang", "+6285712345603", "canang"),
        ]:
            p = do_add_participant(programme, name=name, phone=phone, business=business)
            people.append(p)
        sumi, darto, komang = people
        wayan = do_add_participant(
            programme, name="Bu Wayan", phone="+6285712345604", business="pakaian"
        )
        now = timezone.now()
        for p, kind in [(sumi, "given"), (darto, "given"), (komang, "refused"), (wayan, "given")]:
            ConsentEvent.objects.create(
                participant=p, kind="requested", text="Permohonan", at=now - dt.timedelta(days=3)
            )
            ConsentEvent.objects.create(
                participant=p, kind=kind, text="Bersedia", wamid=f"wamid.{p.code}", at=now
            )
            p.consent = kind
            p.in_group = kind == "given"
            p.save()
        cls.first = activity(programme, "Penyebaran surat kesediaan", -10)
        cls.second = activity(programme, "Pelatihan protokol kesehatan", -3)
        Attendance.objects.create(
            activity=cls.second, participant=sumi, answer="coming", answered_at=now, present=True
        )
        Attendance.objects.create(
            activity=cls.second, participant=darto, answer="cannot", answered_at=now, present=False
        )
        Attendance.objects.create(
            activity=cls.second, participant=wayan, answer="coming", answered_at=now, present=True
        )
        # Bu Wayan later types `berhenti`: nothing of hers is counted any more.
        consent.do_answer_consent(wayan, False, wamid="", text="berhenti")
        uploaded_photo(programme, "Pelatihan cuci tangan", cls.second, cls.facilitator)
        uploaded_photo(
            programme, "Penyerahan surat permohonan", cls.first, cls.facilitator,
            width=480, height=640,
        )  # fmt: skip
        uploaded_photo(programme, "Suasana pasar", None, cls.facilitator)

        pre = Quiz.objects.create(programme=programme, kind="pre", title="Pre-test protokol")
        post = Quiz.objects.create(programme=programme, kind="post", title="Post-test protokol")
        for quiz in (pre, post):
            for i in range(2):
                Question.objects.create(
                    quiz=quiz, position=i, text=f"Pertanyaan {i + 1}", choices=["A", "B"],
                    correct=0,
                )  # fmt: skip
        for quiz, scores in [(pre, {sumi: 50, darto: 0}), (post, {sumi: 100, darto: 50})]:
            for p, score in scores.items():
                attempt = Attempt.objects.create(
                    quiz=quiz, participant=p, started_at=now, finished_at=now, score=score
                )
                for q in quiz.questions.all():
                    right = (score == 100) or (score == 50 and q.position == 0)
                    Answer.objects.create(
                        attempt=attempt, question=q, choice=0 if right else 1,
                        is_correct=right, answered_at=now,
                    )  # fmt: skip
        actions.do_add_log(
            programme, cls.facilitator, date=dt.date(2026, 7, 6), text="Grup WhatsApp dibentuk."
        )
        actions.do_add_comment(programme, cls.dpl, "Dokumentasi sudah baik, lanjutkan.")

    def test_report_data_numbers_photos_per_activity_in_date_order(self):
        data = report.build_report(self.programme)
        self.assertEqual(
            [f.label for f in data.figures],
            [
                "Foto 1. Penyerahan surat permohonan",
                "Foto 2. Pelatihan cuci tangan",
                "Foto 3. Suasana pasar",
            ],
        )
        self.assertTrue(
            all(f.jpeg and max(f.width, f.height) <= report.PHOTO_PX for f in data.figures)
        )
        self.assertTrue(data.figures[0].portrait)
        part = data.activities[1]
        self.assertEqual((part.coming, part.cannot, part.present, part.absent), (1, 1, 1, 1))
        self.assertEqual(
            data.attendance_rows, [("Bu Sumi", ["–", "H"], 1), ("Pak Darto", ["–", "T"], 0)]
        )
        self.assertEqual(dict(data.consent_counts)["Bersedia"], 2)
        (pp,) = data.pre_post
        self.assertEqual((pp.pairs, pp.pre_mean, pp.post_mean, pp.improved), (2, 25, 75, 2))
        self.assertEqual(data.group["members"], ["Bu Sumi", "Pak Darto"])
        self.assertEqual(
            [(p.name, p.answer) for p in data.participants],
            [
                ("Bu Komang", "Tidak bersedia"),
                ("Bu Sumi", "Bersedia"),
                ("Bu Wayan", "Mengundurkan diri"),
                ("Pak Darto", "Bersedia"),
            ],
        )
        self.assertIn("1 peserta mengundurkan diri", data.withdrawn_note)

    def test_pdf_has_every_section_and_the_photos(self):
        import pypdfium2 as pdfium

        self.login(self.dpl)
        url = reverse("programmes:report_pdf", args=[self.village.slug, self.programme.code])
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        pdf = pdfium.PdfDocument(response.content)
        self.assertGreaterEqual(len(pdf), 4)
        images = sum(
            1
            for page in pdf
            for obj in page.get_objects()
            if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
        )
        self.assertEqual(images, 3)
        text = pdf_text(response.content)
        for needed in [
            "LAPORAN PROGRAM PENDAMPINGAN",
            "PENDAMPINGAN PROTOKOL",
            "Desa Pondok",
            "Universitas Pendidikan Ganesha, KKN KMbD 2026",
            "Pendamping A",
            "DPL (Dosen Pembimbing Lapangan) A",
            "1 Juli 2026 – 31 Agustus 2026",
            "1. Latar Belakang",
            "Pedagang pasar perlu menerapkan protokol kesehatan",
            "2. Tujuan",
            "Menjadi media koordinasi dan informasi.",
            "3. Peserta dan Persetujuan",
            "4. Grup WhatsApp",
            "dibentuk pada 6 Juli 2026",
            "5. Jadwal Kegiatan",
            "6. Kehadiran",
            "1 peserta mengundurkan diri",
            "7. Dokumentasi",
            "Foto 1. Penyerahan surat permohonan",
            "Foto 3. Suasana pasar",
            "8. Hasil Pre-test dan Post-test",
            "Rata-rata nilai naik dari 25 menjadi 75 (+50)",
            "9. Hasil Penjualan",
            "setelah modul UMKM mencatat",
            "10. Catatan Harian (Logbook)",
            "Grup WhatsApp dibentuk.",
            "11. Komentar DPL",
            "Dokumentasi sudah baik, lanjutkan.",
            "Lampiran: Ringkasan Register Persetujuan",
        ]:
            self.assertIn(squash(needed), squash(text), needed)
        self.assertNotIn("Rp", text)  # no sales figures until the UMKM module records them

    def test_docx_reads_back_with_headings_tables_and_pictures(self):
        from docx import Document

        self.login(self.facilitator)
        url = reverse("programmes:report_docx", args=[self.village.slug, self.programme.code])
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Disposition"].endswith('.docx"'))
        doc = Document(io.BytesIO(response.content))
        headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
        self.assertEqual(
            headings,
            [
                "1. Latar Belakang",
                "2. Tujuan",
                "3. Peserta dan Persetujuan",
                "4. Grup WhatsApp",
                "5. Jadwal Kegiatan",
                "6. Kehadiran",
                "7. Dokumentasi",
                "8. Hasil Pre-test dan Post-test",
                "9. Hasil Penjualan",
                "10. Catatan Harian (Logbook)",
                "11. Komentar DPL",
                "Lampiran: Ringkasan Register Persetujuan",
            ],
        )
        subheads = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
        self.assertIn("K1. Penyebaran surat kesediaan (", subheads[0])
        self.assertEqual(len(doc.inline_shapes), 3)
        captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
        self.assertEqual(
            captions,
            [
                "Foto 1. Penyerahan surat permohonan",
                "Foto 2. Pelatihan cuci tangan",
                "Foto 3. Suasana pasar",
            ],
        )
        participants = doc.tables[0]
        self.assertEqual(
            [c.text for c in participants.rows[0].cells],
            ["No", "Nama", "Usaha/komoditas", "L/P", "Umur", "Dusun", "Persetujuan"],
        )
        self.assertEqual(
            [r.cells[1].text for r in participants.rows[1:]],
            ["Bu Komang", "Bu Sumi", "Bu Wayan", "Pak Darto"],
        )
        cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
        self.assertTrue({"Pelatihan protokol kesehatan", "Grup WhatsApp dibentuk."} <= cells)
        self.assertIn("Tidak bersedia", cells)
        self.assertEqual(doc.core_properties.title, "Laporan Pendampingan Protokol")
        # Edit and save again, as a facilitator would in a word processor.
        doc.add_paragraph("Ditambahkan oleh pendamping.")
        again = io.BytesIO()
        doc.save(again)
        self.assertEqual(Document(io.BytesIO(again.getvalue())).paragraphs[-1].text,
                         "Ditambahkan oleh pendamping.")  # fmt: skip

        office = shutil.which("soffice") or shutil.which("libreoffice")
        if office is None:
            return  # LibreOffice is not installed here; the read-back above stands in
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "laporan.docx"
            source.write_bytes(response.content)
            subprocess.run(
                [office, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(source)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            converted = (Path(tmp) / "laporan.pdf").read_bytes()
        self.assertIn("Foto 3. Suasana pasar", pdf_text(converted))

    def test_report_page_links_the_three_documents(self):
        self.login(self.dpl)
        page = self.client.get(
            reverse("programmes:report", args=[self.village.slug, self.programme.code])
        )
        self.assertContains(page, "laporan.pdf")
        self.assertContains(page, "laporan.docx")
        self.assertContains(page, "persetujuan.pdf")
        self.assertContains(page, "3 foto")
        self.assertContains(page, 'aria-current="page">Laporan<')


# --- the console pages ------------------------------------------------------------------------


class ConsolePagesTest(ReportTestCase):
    def url(self, name, **kwargs):
        return reverse(
            f"programmes:{name}",
            kwargs={"village_slug": self.village.slug, "code": self.programme.code, **kwargs},
        )

    def test_upload_grid_thumbnail_file_and_delete(self):
        act = activity(self.programme, "Pelatihan", -1)
        self.login(self.facilitator)
        upload = SimpleUploadedFile("IMG_20260706_pak_darto.jpg", jpeg(1600, 1200), "image/jpeg")
        response = self.client.post(
            self.url("docs"),
            {"photo": upload, "caption": "Pelatihan protokol", "activity": act.code},
        )
        self.assertEqual(response.status_code, 302)
        photo = self.programme.photos.get()
        self.assertEqual(
            (photo.caption, photo.activity, photo.added_by),
            ("Pelatihan protokol", act, self.facilitator),
        )
        self.assertNotIn("darto", photo.file.name)  # the file name says nothing about anyone

        grid = self.client.get(self.url("docs"))
        thumb = self.url("docs_thumb", photo=photo.code)
        self.assertContains(grid, f'src="{thumb}" alt="Foto 1" loading="lazy"')
        self.assertContains(grid, "Pelatihan protokol")
        small = self.client.get(thumb)
        self.assertEqual(small["Content-Type"], "image/jpeg")
        self.assertIn("private", small["Cache-Control"])
        from PIL import Image

        self.assertEqual(max(Image.open(io.BytesIO(small.content)).size), 480)
        full = self.client.get(self.url("docs_photo", photo=photo.code))
        self.assertEqual(full["Content-Type"], "image/jpeg")

        path = photo.file.path
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url("docs_delete", photo=photo.code))
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Photo.objects.exists())
        self.assertFalse(os.path.exists(path))
        self.assertTrue(AuditEvent.objects.filter(action="programme.photo_delete").exists())

    def test_pages_do_not_query_per_row(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.login(self.facilitator)
        self.client.get(self.url("report"))  # the first page of a session stores the village
        act = activity(self.programme, "Pelatihan", -1)

        def count(name):
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(self.url(name)).status_code, 200)
            return len(queries)

        uploaded_photo(self.programme, "Satu", act, self.facilitator)
        actions.do_add_log(self.programme, self.facilitator, date=dt.date(2026, 7, 6), text="a")
        actions.do_add_comment(self.programme, self.dpl, "Komentar")
        before = {name: count(name) for name in ("docs", "logbook", "comments")}
        for n in range(5):
            uploaded_photo(self.programme, f"Foto {n}", act if n % 2 else None, self.facilitator)
            actions.do_add_log(
                self.programme, self.facilitator, date=dt.date(2026, 7, 7), text=f"{n}"
            )
            actions.do_add_comment(self.programme, self.facilitator, f"Tanggapan {n}")
        self.assertEqual({name: count(name) for name in before}, before)

    def test_upload_refuses_what_is_not_a_photo(self):
        self.login(self.facilitator)
        fake = SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")
        response = self.client.post(self.url("docs"), {"photo": fake, "caption": "x"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "has-error")
        self.assertFalse(Photo.objects.exists())

    def test_logbook_add_and_edit_own_only(self):
        self.login(self.facilitator)
        today = self.village.local_now().date()
        response = self.client.post(
            self.url("logbook"), {"date": today.isoformat(), "text": "Observasi pasar pagi."}
        )
        self.assertEqual(response.status_code, 302)
        entry = self.programme.log.get()
        self.assertEqual((entry.author, entry.date), (self.facilitator, today))
        tomorrow = today + dt.timedelta(days=1)
        response = self.client.post(
            self.url("logbook"), {"date": tomorrow.isoformat(), "text": "Belum terjadi"}
        )
        self.assertContains(response, "tidak boleh setelah hari ini")

        edit = self.url("logbook_edit", entry=entry.pk)
        self.assertContains(self.client.get(edit), "Observasi pasar pagi.")
        self.client.post(
            edit, {"date": today.isoformat(), "text": "Observasi pasar pagi; 6 pedagang."}
        )
        entry.refresh_from_db()
        self.assertEqual(entry.text, "Observasi pasar pagi; 6 pedagang.")
        change = AuditEvent.objects.get(action="programme.log_edit")
        self.assertEqual(change.detail["text"], "Observasi pasar pagi.")

        self.login(self.staff[Role.OPERATOR])  # may manage programmes, but is not the author
        response = self.client.post(edit, {"date": today.isoformat(), "text": "Diubah orang lain"})
        self.assertRedirects(response, self.url("logbook"))
        entry.refresh_from_db()
        self.assertEqual(entry.text, "Observasi pasar pagi; 6 pedagang.")
        self.assertNotContains(self.client.get(self.url("logbook")), edit)

    def test_dpl_reads_everything_and_comments_but_changes_nothing(self):
        photo = uploaded_photo(self.programme, "Pasar", None, self.facilitator)
        entry = actions.do_add_log(
            self.programme, self.facilitator, date=dt.date(2026, 7, 6), text="Catatan"
        )
        self.login(self.dpl)
        for name, extra in [
            ("docs", {}),
            ("docs_photo", {"photo": photo.code}),
            ("docs_thumb", {"photo": photo.code}),
            ("logbook", {}),
            ("comments", {}),
            ("report", {}),
            ("report_pdf", {}),
            ("report_docx", {}),
            ("consent_pdf", {}),
        ]:
            with self.subTest(name=name):
                self.assertEqual(self.client.get(self.url(name, **extra)).status_code, 200)
        page = self.client.get(self.url("docs"))
        self.assertNotContains(page, "Unggah foto")
        self.assertNotContains(page, "Hapus")

        response = self.client.post(self.url("comments"), {"text": "Tolong lengkapi foto K2."})
        self.assertRedirects(response, self.url("comments"))
        comment = Comment.objects.get()
        self.assertEqual((comment.author, comment.text), (self.dpl, "Tolong lengkapi foto K2."))
        self.assertContains(
            self.client.get(self.url("comments")), "DPL (Dosen Pembimbing Lapangan)"
        )
        self.assertContains(self.client.post(self.url("comments"), {"text": "  "}), "masih kosong")

        upload = SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")
        for name, extra, data in [
            ("docs", {}, {"photo": upload, "caption": "x"}),
            ("docs_delete", {"photo": photo.code}, {}),
            ("logbook", {}, {"date": "2026-07-07", "text": "x"}),
            ("logbook_edit", {"entry": entry.pk}, {"date": "2026-07-07", "text": "x"}),
        ]:
            with self.subTest(name=name):
                self.assertEqual(self.client.post(self.url(name, **extra), data).status_code, 403)
        self.assertEqual(self.client.get(self.url("logbook_edit", entry=entry.pk)).status_code, 403)
        self.assertEqual(Photo.objects.count(), 1)
        self.assertEqual(LogEntry.objects.get().text, "Catatan")

    def test_other_villages_staff_get_404_on_every_url(self):
        photo = uploaded_photo(self.programme, "Pasar", None, self.facilitator)
        entry = actions.do_add_log(
            self.programme, self.facilitator, date=dt.date(2026, 7, 6), text="Catatan"
        )
        params = {"photo": photo.code, "entry": entry.pk}
        names = [p.name for p in REPORT_URLS]
        self.assertEqual(len(names), 11)
        for role in Role:
            self.login(self.other_staff[role])
            for pattern in REPORT_URLS:
                wanted = {k: v for k, v in params.items() if k in pattern.pattern.regex.groupindex}
                url = self.url(pattern.name, **wanted)
                for method in ("get", "post"):
                    with self.subTest(role=role.value, url=pattern.name, method=method):
                        response = getattr(self.client, method)(url)
                        self.assertEqual(response.status_code, 404)
        # Their own programme's address with this village's photo: 404 as well.
        theirs = make_programme(self.other_village, self.other_staff[Role.PENDAMPING], None)
        self.login(self.other_staff[Role.PENDAMPING])
        url = reverse(
            "programmes:docs_photo",
            args=[self.other_village.slug, theirs.code, photo.code],
        )
        self.assertEqual(self.client.get(url).status_code, 404)


# --- how long the report takes ----------------------------------------------------------------


class ReportTimingTest(ReportTestCase):
    """10 participants, 6 activities, 12 phone-sized photos: the size of a KKN programme."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        now = timezone.now()
        people = []
        for i in range(10):
            p = do_add_participant(
                cls.programme, name=f"Peserta {i + 1:02d}", phone=f"+62857123456{i:02d}",
                business=["nasi", "ikan", "pakaian", "canang"][i % 4],
            )  # fmt: skip
            ConsentEvent.objects.create(participant=p, kind="given", wamid=f"wamid.T{i}", at=now)
            p.consent, p.in_group = ConsentState.GIVEN, True
            p.save()
            people.append(p)
        acts = [activity(cls.programme, f"Kegiatan {k + 1}", -20 + 3 * k) for k in range(6)]
        for act in acts:
            for p in people:
                Attendance.objects.create(activity=act, participant=p, present=p.pk % 3 != 0)
        for n in range(12):  # distinct photos: the documents do not share identical images
            photo = jpeg(2000, 1500, colour=(20 * n, 120, 250 - 20 * n), noise=True)
            upload = SimpleUploadedFile(f"{n}.jpg", photo, content_type="image/jpeg")
            actions.do_add_photo(
                cls.programme, cls.facilitator, caption=f"Dokumentasi {n + 1}",
                activity=acts[n % 6], upload=upload,
            )  # fmt: skip

    def test_report_for_a_full_programme(self):
        def timed():
            started = time.perf_counter()
            data = report.build_report(self.programme)
            built = time.perf_counter()
            pdf = report.report_pdf(data)
            rendered = time.perf_counter()
            docx = report.report_docx(data)
            written = time.perf_counter()
            register = report.consent_pdf(self.programme)
            done = time.perf_counter()
            times = [built - started, rendered - built, written - rendered, done - written]
            return data, [pdf, docx, register], times

        # The first run in a process also imports WeasyPrint and python-docx.
        data, files, cold = timed()
        _data, _files, warm = timed()
        self.assertEqual(len(data.figures), 12)
        self.assertEqual(len(data.attendance_rows), 10)
        if os.environ.get("REPORT_TIMING"):
            sizes = [len(f) / 1e6 for f in files]
            print(
                "\nreport, 10 participants / 6 activities / 12 photos (2000x1500 JPEG), s:"
                "\n            build  PDF   DOCX  register  total"
                f"\n  first    {cold[0]:5.2f} {cold[1]:5.2f} {cold[2]:5.2f} {cold[3]:7.2f}"
                f"  {sum(cold):5.2f}"
                f"\n  again    {warm[0]:5.2f} {warm[1]:5.2f} {warm[2]:5.2f} {warm[3]:7.2f}"
                f"  {sum(warm):5.2f}"
                f"\n  MB       {'':5} {sizes[0]:5.2f} {sizes[1]:5.2f} {sizes[2]:7.2f}"
            )
        self.assertLess(sum(warm), 60)  # a sanity bound for slow shared machines
