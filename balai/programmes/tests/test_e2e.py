"""One programme from start to report, every step through the simulator: consent asked and
answered both ways, a later withdrawal, a reminder answered with a tap, a pre-test and a
post-test answered on WhatsApp, a documentation photo sent by the facilitator, and the
report that holds all of it."""

import datetime as dt
import io

from django.utils import timezone

from balai.conversations.tests.base import ConversationTestCase
from balai.programmes import actions, consent, learning
from balai.programmes.models import Attendance, ConsentState, Photo, Programme, Quiz
from balai.programmes.participants import do_add_participant
from balai.programmes.report import build_report, report_docx, report_pdf
from balai.simulator.models import SimMessage
from balai.villages.models import Membership
from balai.villages.roles import Role
from balai.whatsapp.models import Template

SUMI = "6285712345678"
DARTO = "6285722223333"
WAYAN = "6285733334444"
FACILITATOR = "6281377778888"


class ProgrammeEndToEndTest(ConversationTestCase):
    def as_(self, wa_id):
        """Speak as ``wa_id`` from now on; replies are those sent to that number."""
        self.WA_ID = wa_id
        self.seen = SimMessage.objects.filter(direction="out", wa_id=wa_id).count()

    def interactive(self, replies):
        return next(p for p in replies if p["type"] == "interactive")

    def test_from_consent_to_report(self):
        facilitator = self.staff[Role.PENDAMPING]
        Membership.objects.filter(user=facilitator, village=self.village).update(
            whatsapp_phone="+" + FACILITATOR
        )
        Template.objects.create(
            village=self.village,
            name="balai_kesediaan_program",
            purpose=consent.PURPOSE,
            status=Template.Status.APPROVED,
            body="Halo {{1}}, {{2}} mengajak Anda ikut program {{3}}. Balas pesan ini.",
            parameters=["nama", "pendamping", "program"],
        )
        programme = Programme.objects.create(
            village=self.village,
            title="Pendampingan Protokol",
            purpose="Mendampingi pedagang pasar berjualan aman dan menerima pesanan daring.",
            objectives=["Terlaksananya jadwal kegiatan yang telah disusun."],
            target_group="pedagang pasar",
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2027, 1, 31),
            reminder_offsets=[24 * 60, 60],
        )
        programme.facilitators.add(facilitator)
        people = {
            wa: do_add_participant(programme, name=name, phone="+" + wa, business=business)
            for wa, name, business in [
                (SUMI, "Sumiyati", "nasi"),
                (DARTO, "Darmaji", "ikan"),
                (WAYAN, "Wayan", "canang"),
            ]
        }

        # Consent: the facilitator asks everyone from the console.
        self.login(facilitator)
        with self.round_trip():
            self.client.post(f"/desa/pondok/program/{programme.code}/peserta/minta-persetujuan/")
        answers = {SUMI: "Bersedia", DARTO: "Tidak bersedia", WAYAN: "Bersedia"}
        for wa, answer in answers.items():
            self.as_(wa)
            request = self.interactive(self.send("halo"))  # the template first, then this
            self.tap(request, answer)
        self.as_(WAYAN)
        self.send("berhenti")  # a later withdrawal
        states = {wa: p.resident.programmes.get().consent for wa, p in people.items()}
        self.assertEqual(
            states,
            {
                SUMI: ConsentState.GIVEN,
                DARTO: ConsentState.REFUSED,
                WAYAN: ConsentState.WITHDRAWN,
            },
        )

        # A reminder the day before, answered with a tap; only Sumiyati is still in.
        meeting = programme.activities.create(
            title="Pelatihan foto produk",
            starts_at=timezone.now() + dt.timedelta(hours=20),
            place="Balai desa",
        )
        with self.round_trip():
            self.assertEqual(actions.do_send_due_reminders(), 1)
        self.as_(SUMI)
        self.seen -= 1  # the reminder just sent
        (reminder,) = self.replies()
        self.tap(reminder, "Hadir")
        self.assertEqual(Attendance.objects.get(activity=meeting).answer, Attendance.Answer.COMING)

        # Pre-test and post-test on WhatsApp (the same two questions).
        scores = {}
        for kind, picks in [(Quiz.Kind.PRE, ["B", "B"]), (Quiz.Kind.POST, ["A", "A"])]:
            quiz = Quiz.objects.create(programme=programme, kind=kind, title=kind, pass_mark=50)
            quiz.questions.create(
                position=0, text="Kapan mencuci tangan?", choices=["Sebelum melayani", "Tidak"],
                correct=0,
            )  # fmt: skip
            quiz.questions.create(
                position=1, text="Pesanan diterima lewat…", choices=["WhatsApp", "Surat"],
                correct=0,
            )  # fmt: skip
            with self.round_trip():
                self.assertEqual(learning.do_send_quiz(quiz, facilitator), 1)
            question = self.interactive(self.replies())
            for pick in picks:
                replies = self.send(pick.lower())
            self.assertTrue(replies)
            scores[kind] = quiz.attempts.get().score
        self.assertEqual(scores, {Quiz.Kind.PRE: 0, Quiz.Kind.POST: 100})
        self.assertTrue(question)

        # The facilitator documents the meeting from their phone.
        self.as_(FACILITATOR)
        activities = self.interactive(self.send("dokumentasi"))
        self.tap(activities, f"activity:{meeting.code}")
        self.photo(caption="Peserta memotret dagangan")
        self.send("selesai")
        photo = Photo.objects.get(programme=programme)
        self.assertEqual((photo.activity, photo.caption), (meeting, "Peserta memotret dagangan"))

        # The report holds all of it.
        report = build_report(programme)
        pdf = report_pdf(report)
        docx = report_docx(report)
        import pypdfium2

        document = pypdfium2.PdfDocument(pdf)
        text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        for needed in [
            "PENDAMPINGAN PROTOKOL",
            "Sumiyati",
            "Darmaji",
            "Tidak bersedia",
            "Mengundurkan diri",
            "Pelatihan foto produk",
            "Foto 1. Peserta memotret dagangan",
            "Rata-rata nilai naik dari 0 menjadi 100",
        ]:
            self.assertIn(needed, text)
        from docx import Document

        paragraphs = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
        self.assertIn("Peserta memotret dagangan", paragraphs)
