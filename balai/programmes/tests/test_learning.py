"""Materials and quizzes: through the simulator as a participant, and in the console."""

import datetime as dt
import time
from unittest import mock

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from balai.conversations.models import Conversation
from balai.conversations.tests.base import PNG, ConversationTestCase
from balai.programmes import learning
from balai.programmes.models import (
    Answer,
    Attempt,
    ConsentState,
    Lesson,
    LessonDelivery,
    LogEntry,
    Participant,
    Programme,
    Question,
    Quiz,
)
from balai.residents.models import Resident
from balai.simulator.models import SimMessage
from balai.test import BaseTestCase
from balai.villages.roles import Role
from balai.whatsapp import messages as build
from balai.whatsapp.models import OutboundMessage

SITE = "http://127.0.0.1:8000"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUESTIONS = [
    ("Apakah foto produk yang terang membantu penjualan?", ["Ya", "Tidak"], 0),
    (
        "Media sosial mana yang paling cocok untuk katalog foto sokasi?",
        ["Instagram", "Radio", "Koran", "Baliho"],
        0,
    ),
    (
        "Kapan waktu yang baik untuk mengunggah promosi?",
        [
            "Saat banyak pembeli membuka ponsel, mis. malam hari",
            "Tengah malam ketika semua orang tidur",
            "Tidak perlu mengunggah sama sekali",
        ],
        0,
    ),
]
LONG_CHOICES = [
    f"Pilihan {n} yang sengaja ditulis sangat panjang agar tidak muat di judul baris daftar "
    f"WhatsApp, nomor {n}"
    for n in range(1, 11)
]


def make_programme(village, title="Pendampingan Protokol"):
    return Programme.objects.create(
        village=village,
        title=title,
        purpose="Pendampingan protokol kesehatan dan pemasaran bagi pedagang pasar.",
        target_group="pedagang pasar",
        starts_on=dt.date(2026, 11, 1),
        ends_on=dt.date(2026, 12, 31),
    )


def join(programme, resident, consent=ConsentState.GIVEN):
    return Participant.objects.create(
        programme=programme, resident=resident, consent=consent, consent_at=timezone.now()
    )


def make_quiz(programme, kind=Quiz.Kind.PRE, questions=QUESTIONS, title="Pemasaran online"):
    quiz = Quiz.objects.create(programme=programme, kind=kind, title=title, pass_mark=60)
    for position, (text, choices, correct) in enumerate(questions, start=1):
        Question.objects.create(
            quiz=quiz, position=position, text=text, choices=choices, correct=correct
        )
    return quiz


class LearningChatTestCase(ConversationTestCase):
    WA_ID = "6281234567890"  # Siti Aminah, self.resident

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.programme = make_programme(cls.village)
        cls.siti = join(cls.programme, cls.resident)
        cls.budi = join(
            cls.programme,
            Resident.objects.create(village=cls.village, name="Budi", phone="+6281311112222"),
            ConsentState.ASKED,
        )
        cls.wati = join(
            cls.programme,
            Resident.objects.create(village=cls.village, name="Wati", phone="+6281311113333"),
            ConsentState.WITHDRAWN,
        )
        cls.pendamping = cls.staff[Role.PENDAMPING]

    def setUp(self):
        super().setUp()
        self.send("halo")  # opens the 24-hour window; the greeting and menu are not tested here
        self.replies()

    def url(self, name, *args):
        return reverse(f"programmes:{name}", args=[self.village.slug, self.programme.code, *args])

    def staff_post(self, name, *args, data=None, user=None):
        self.login(user or self.pendamping)
        with self.round_trip():
            return self.client.post(self.url(name, *args), data or {})

    def others_got(self) -> int:
        return OutboundMessage.objects.filter(
            resident__in=[self.budi.resident, self.wati.resident]
        ).count()

    def outsider_says(self, text, wa_id="6285700000001"):
        self.say(**{"from": wa_id, "text": text})
        return list(
            SimMessage.objects.filter(direction="out", wa_id=wa_id)
            .order_by("pk")
            .values_list("payload", flat=True)
        )


class QuizOnWhatsAppTest(LearningChatTestCase):
    def test_pre_test_by_taps_and_letters_stops_resumes_and_scores(self):
        quiz = make_quiz(self.programme)
        response = self.staff_post("quiz_send", quiz.code)
        self.assertEqual(response.status_code, 302)
        quiz.refresh_from_db()
        self.assertIsNotNone(quiz.opened_at)  # "Kirim kuis" opens it
        self.assertEqual(self.others_got(), 0)  # only participants who said yes
        (q1,) = self.replies()
        self.assertIn("Yth. Bapak/Ibu Siti Aminah", self.body(q1))
        self.assertIn("Soal 1 dari 3", self.body(q1))
        self.assertEqual([t for _i, t in self.choices(q1)], ["A. Ya", "B. Tidak"])

        (q2,) = self.tap(q1, "A. Ya")
        self.assertEqual(q2["interactive"]["type"], "list")
        self.assertIn("Soal 2 dari 3", self.body(q2))
        (q3,) = self.send("b")  # a typed letter answers the current question
        self.assertIn("Soal 3 dari 3", self.body(q3))
        # Long choices: the buttons are letters, the text is in the body.
        self.assertEqual([t for _i, t in self.choices(q3)], ["A", "B", "C"])
        self.assertIn("A. Saat banyak pembeli membuka ponsel", self.body(q3))

        # She stops to look at the menu, and comes back later with "kuis".
        self.assertIn("Silakan pilih layanan", self.texts(self.send("menu")))
        attempt = Attempt.objects.get(quiz=quiz, participant=self.siti)
        self.assertIsNone(attempt.finished_at)
        self.assertEqual(attempt.answers.count(), 2)
        (again,) = self.send("kuis")
        self.assertIn("Kita lanjutkan", self.body(again))
        self.assertIn("Soal 3 dari 3", self.body(again))
        (done,) = self.send("1")  # a number works too, and is not taken by the menu any more
        self.assertIn("sudah selesai", self.body(done))
        self.assertIn("Nilai Bapak/Ibu: *67* (2 dari 3 soal benar)", self.body(done))
        self.assertIn("lulus (nilai lulus 60)", self.body(done))
        attempt.refresh_from_db()
        self.assertEqual(attempt.score, 67)
        self.assertIsNotNone(attempt.finished_at)
        self.assertEqual(
            list(attempt.answers.order_by("question__position").values_list("choice", flat=True)),
            [0, 1, 0],
        )

        # A second tap on an old question changes nothing.
        (old,) = self.tap(q1, "B. Tidak")
        self.assertIn("Jawaban tidak bisa diubah", self.body(old))
        self.assertEqual(Answer.objects.filter(attempt=attempt).count(), 3)
        self.assertEqual(attempt.answers.get(question__position=1).choice, 0)
        attempt.refresh_from_db()
        self.assertEqual(attempt.score, 67)
        (finished,) = self.send("kuis")
        self.assertIn("sudah menyelesaikan semua kuis", self.body(finished))

    def test_old_tap_mid_quiz_is_ignored_and_says_where_she_is(self):
        quiz = make_quiz(self.programme)
        self.staff_post("quiz_send", quiz.code)
        (q1,) = self.replies()
        self.tap(q1, "B. Tidak")
        (note,) = self.tap(q1, "A. Ya")
        self.assertIn("sudah Bapak/Ibu jawab", self.body(note))
        self.assertIn("soal 2 dari 3", self.body(note))
        answer = Answer.objects.get(attempt__quiz=quiz, question__position=1)
        self.assertEqual((answer.choice, answer.is_correct), (1, False))

    def test_a_letter_outside_the_choices_is_explained(self):
        quiz = make_quiz(self.programme)
        self.staff_post("quiz_send", quiz.code)
        self.replies()
        (reply,) = self.send("d")
        self.assertIn("hanya A sampai B", self.body(reply))
        self.assertFalse(Answer.objects.exists())

    def test_menu_number_goes_to_the_menu_after_the_menu_and_to_the_quiz_after_a_question(self):
        quiz = make_quiz(self.programme)
        self.send("menu")
        self.staff_post("quiz_send", quiz.code)  # the question comes after the menu
        self.replies()
        (q2,) = self.send("1")
        self.assertIn("Soal 2 dari 3", self.body(q2))
        self.send("menu")  # now the menu is the last thing shown
        self.assertIn("Belum ada permohonan", self.texts(self.send("2")))  # menu 2: cek status
        self.assertEqual(Answer.objects.count(), 1)

    def test_closed_quiz_takes_no_answers(self):
        quiz = make_quiz(self.programme)
        self.staff_post("quiz_send", quiz.code)
        (q1,) = self.replies()
        self.staff_post("quiz_close", quiz.code)
        (reply,) = self.tap(q1, "A. Ya")
        self.assertIn("sudah ditutup", self.body(reply))
        self.assertFalse(Answer.objects.exists())

    def test_withdrawn_participant_gets_nothing_and_her_taps_are_not_recorded(self):
        quiz = make_quiz(self.programme)
        self.staff_post("quiz_send", quiz.code)
        (q1,) = self.replies()
        self.assertIn("program Pendampingan Protokol", self.texts(self.send("berhenti")))
        self.siti.refresh_from_db()
        self.assertEqual(self.siti.consent, ConsentState.WITHDRAWN)
        (reply,) = self.tap(q1, "A. Ya")
        self.assertIn("tidak lagi terdaftar", self.body(reply))
        self.assertFalse(Answer.objects.exists())
        self.assertIn("belum terdaftar di program apa pun", self.texts(self.send("kuis")))
        before = OutboundMessage.objects.filter(resident=self.resident).count()
        self.staff_post("quiz_send", quiz.code)
        lesson = Lesson.objects.create(programme=self.programme, title="Cuci tangan", body="Ya.")
        self.staff_post("lesson_send", lesson.code)
        self.assertEqual(OutboundMessage.objects.filter(resident=self.resident).count(), before)
        self.assertEqual(self.others_got(), 0)

    def test_ten_long_choices_fit_whatsapp_lists(self):
        quiz = make_quiz(
            self.programme,
            questions=[
                ("Pilih yang benar. " + "Pertanyaan yang panjang sekali. " * 20, LONG_CHOICES, 9)
            ],
        )
        question = quiz.questions.get()
        messages = learning.question_messages(quiz, question, 1, 1)
        (kind, interactive) = messages[-1]
        self.assertEqual(kind, "list")
        rows = interactive["interactive"]["action"]["sections"][0]["rows"]
        self.assertEqual([r["title"] for r in rows], list("ABCDEFGHIJ"))
        for row in rows:
            self.assertLessEqual(len(row["description"]), build.ROW_DESCRIPTION_MAX)
        for _kind, body in messages:
            text = body.get("text", {}).get("body") or body["interactive"]["body"]["text"]
            self.assertLessEqual(len(text), build.INTERACTIVE_BODY_MAX if _kind == "list" else 4096)
        # The full choices are all in what she reads, the long body in a text of its own.
        self.assertEqual(len(messages), 2)
        self.assertIn(LONG_CHOICES[9], messages[0][1]["text"]["body"])
        # The builders refuse what Meta would refuse.
        with self.assertRaises(build.MessageLimitError):
            build.list_message("x", "Pilih", [("", [("a", LONG_CHOICES[0])])])
        # And the fake Cloud API accepts what is sent; the last choice is right.
        self.staff_post("quiz_send", quiz.code)
        text, listed = self.replies()
        self.assertEqual(text["type"], "text")
        (done,) = self.tap(listed, "J")
        self.assertIn("Nilai Bapak/Ibu: *100*", self.body(done))

    def test_several_open_quizzes_are_offered_as_a_list(self):
        pre = make_quiz(self.programme)
        other = make_programme(self.village, "Pemasaran Online Sokasi")
        join(other, self.resident)
        post = make_quiz(other, Quiz.Kind.POST, title="Foto produk")
        learning.do_open_quiz(pre, None)
        learning.do_open_quiz(post, None)
        (choose,) = self.send("kuis")
        self.assertEqual(
            [i for i, _t in self.choices(choose)],
            [f"quiz:{pre.code}:start", f"quiz:{post.code}:start"],
        )
        (q1,) = self.tap(choose, f"quiz:{post.code}:start")
        self.assertIn("Post-test: Foto produk", self.body(q1))
        # Two quizzes in progress: a typed letter is ambiguous, a tap is not.
        self.tap(choose, f"quiz:{pre.code}:start")
        self.assertIn("lebih dari satu kuis", self.texts(self.send("a")))
        self.assertFalse(Answer.objects.exists())


class LessonsOnWhatsAppTest(LearningChatTestCase):
    def add_lesson(self, programme=None, **fields):
        upload = fields.pop("file", None)
        lesson = Lesson(programme=programme or self.programme, **fields)
        if upload:
            lesson.file.save(upload[0], ContentFile(upload[1]), save=False)
        lesson.save()
        return lesson

    def test_materi_lists_lessons_and_sends_a_pdf_by_a_signed_link(self):
        pdf = self.add_lesson(
            title="Protokol kesehatan di pasar", body="Pakai masker.", file=("panduan.pdf", PDF)
        )
        self.add_lesson(title="Video cuci tangan", video_url="https://youtu.be/abc123", position=2)
        self.add_lesson(
            title="Belum waktunya", body="Nanti.", send_at=timezone.now() + dt.timedelta(days=2)
        )
        (menu,) = self.send("materi")
        self.assertEqual(menu["interactive"]["type"], "list")
        self.assertEqual(
            [t for _i, t in self.choices(menu)], ["Protokol kesehatan di…", "Video cuci tangan"]
        )
        (document,) = self.tap(menu, f"lesson:{pdf.code}")
        self.assertEqual(document["type"], "document")
        self.assertEqual(document["document"]["filename"], "protokol-kesehatan-di-pasar.pdf")
        self.assertIn("Pakai masker.", document["document"]["caption"])
        self.assertTrue(LessonDelivery.objects.filter(lesson=pdf, participant=self.siti).exists())

        # The link Meta fetches serves exactly the file, without a login.
        self.client.logout()
        link = document["document"]["link"].removeprefix(SITE)
        response = self.client.get(link)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertEqual(b"".join(response.streaming_content), PDF)
        self.assertEqual(self.client.get(link[:-6] + "AAAAA/").status_code, 404)  # forged
        with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 86400):
            expired = learning.lesson_link(pdf).removeprefix(SITE)
        self.assertEqual(self.client.get(expired).status_code, 404)
        # A link is for one file: once the file is replaced, old links stop working.
        pdf.file.save("baru.pdf", ContentFile(PDF + b"%"), save=True)
        self.assertEqual(self.client.get(link).status_code, 404)

    def test_one_lesson_is_sent_at_once_and_an_image_goes_as_an_image(self):
        self.add_lesson(title="Contoh foto produk", file=("contoh.png", PNG))
        (image,) = self.send("materi")
        self.assertEqual(image["type"], "image")
        self.assertIn("Contoh foto produk", image["image"]["caption"])
        response = self.client.get(image["image"]["link"].removeprefix(SITE))
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(b"".join(response.streaming_content), PNG)

    def test_a_participant_of_two_programmes_gets_one_list_across_them(self):
        sokasi = make_programme(self.village, "Pemasaran Online Sokasi")
        join(sokasi, self.resident)
        ended = make_programme(self.village, "Program lama")
        join(ended, self.resident, ConsentState.REFUSED)
        self.add_lesson(title="Cuci tangan", body="Sabun dan air mengalir.")
        self.add_lesson(sokasi, title="Memotret sokasi", body="Cahaya pagi.")
        self.add_lesson(ended, title="Tidak untuk Siti", body="-")
        (menu,) = self.send("materi")
        sections = menu["interactive"]["action"]["sections"]
        self.assertEqual(
            [(s["title"], [r["title"] for r in s["rows"]]) for s in sections],
            [
                ("Pemasaran Online Sokasi", ["Memotret sokasi"]),
                ("Pendampingan Protokol", ["Cuci tangan"]),
            ],
        )

    def test_more_than_ten_lessons_page(self):
        for n in range(12):
            self.add_lesson(title=f"Materi {n + 1:02d}", body="Isi.", position=n + 1)
        (first,) = self.send("materi")
        titles = [t for _i, t in self.choices(first)]
        self.assertEqual(len(titles), 10)
        self.assertEqual(titles[-1], "Materi lainnya")
        (second,) = self.tap(first, "Materi lainnya")
        self.assertEqual(
            [t for _i, t in self.choices(second)], ["Materi 10", "Materi 11", "Materi 12"]
        )

    def test_residents_who_are_not_participants_get_a_polite_answer(self):
        (reply,) = [p for p in self.outsider_says("materi") if p["type"] == "text"][-1:]
        self.assertIn("Anda belum terdaftar di program apa pun", reply["text"]["body"])
        waiting = self.outsider_says("materi", wa_id="6281311112222")  # Budi was asked
        self.assertIn("belum menjawab permohonan kesediaan", waiting[-1]["text"]["body"])

    def test_scheduled_lessons_go_once_even_if_the_job_runs_twice(self):
        due = self.add_lesson(
            title="Jaga jarak", body="Satu meter.", send_at=timezone.now() - dt.timedelta(minutes=1)
        )
        later = self.add_lesson(
            title="Besok", body="Nanti.", send_at=timezone.now() + dt.timedelta(hours=3)
        )
        with self.round_trip():
            learning.send_due_lessons.enqueue()
        with self.round_trip():
            learning.send_due_lessons.enqueue()
        self.assertEqual(learning.do_send_due_lessons(), 0)
        # A worker that died before marking the lesson sent: the delivery rows still hold.
        Lesson.objects.filter(pk=due.pk).update(sent_at=None)
        with self.round_trip():
            self.assertEqual(learning.do_send_due_lessons(), 0)
        (lesson,) = self.replies()
        self.assertIn("Materi *Jaga jarak*", self.body(lesson))
        self.assertEqual(LessonDelivery.objects.filter(lesson=due).count(), 1)
        self.assertFalse(LessonDelivery.objects.filter(lesson=later).exists())
        self.assertEqual(self.others_got(), 0)  # not asked yet / withdrawn
        self.assertEqual(OutboundMessage.objects.filter(purpose=learning.LESSON_PURPOSE).count(), 1)
        due.refresh_from_db()
        self.assertIsNotNone(due.sent_at)
        self.assertTrue(LogEntry.objects.filter(text__contains="Jaga jarak").exists())

    def test_sent_early_stays_open_after_an_edit_and_a_new_time_sends_only_to_the_rest(self):
        soon = timezone.now() + dt.timedelta(days=1)
        lesson = self.add_lesson(title="Jaga jarak", body="Satu meter.", send_at=soon)
        self.assertIn("Belum ada materi", self.texts(self.send("materi")))
        self.staff_post("lesson_send", lesson.code)  # "Kirim sekarang", ahead of schedule
        self.assertEqual(len(self.replies()), 1)
        lesson.body = "Satu meter, pakai masker."
        learning.do_save_lesson(lesson, self.pendamping)
        self.assertIn("pakai masker", self.texts(self.send("materi")))  # still open
        lesson.send_at = soon + dt.timedelta(days=1)
        learning.do_save_lesson(lesson, self.pendamping)
        self.assertIsNone(lesson.sent_at)  # rescheduled
        with self.round_trip():
            self.assertEqual(learning.do_send_due_lessons(soon + dt.timedelta(days=2)), 0)
        self.assertEqual(self.replies(), [])

    def test_a_failed_send_leaves_no_delivery_behind(self):
        """The delivery row and the outbox row commit together or not at all."""
        due = self.add_lesson(
            title="Jaga jarak", body="Satu meter.", send_at=timezone.now() - dt.timedelta(minutes=1)
        )
        with (
            mock.patch("balai.programmes.learning.do_send", side_effect=RuntimeError("down")),
            self.assertRaises(RuntimeError),
        ):
            learning.do_send_due_lessons()
        self.assertFalse(LessonDelivery.objects.exists())
        with self.round_trip():
            self.assertEqual(learning.do_send_due_lessons(), 1)
        self.assertEqual(LessonDelivery.objects.get().lesson, due)


class ConsolePagesTest(LearningChatTestCase):
    def test_facilitator_adds_sends_edits_and_deletes_a_lesson(self):
        self.login(self.pendamping)
        bad = self.client.post(
            self.url("lesson_add"),
            {"title": "Panduan", "file": SimpleUploadedFile("panduan.pdf", b"not a pdf")},
        )
        self.assertContains(bad, "Isi berkas tidak sesuai")
        empty = self.client.post(self.url("lesson_add"), {"title": "Kosong"})
        self.assertContains(empty, "paling tidak salah satu")
        response = self.client.post(
            self.url("lesson_add"),
            {
                "title": "Panduan protokol",
                "body": "Baca sebelum berjualan.",
                "file": SimpleUploadedFile("panduan.pdf", PDF, content_type="application/pdf"),
            },
        )
        self.assertRedirects(response, self.url("lessons"))
        lesson = Lesson.objects.get(title="Panduan protokol")
        self.assertEqual(lesson.position, 1)
        page = self.client.get(self.url("lessons"))
        self.assertContains(page, "Teks, PDF")
        self.assertContains(page, "Diterima 0 dari 1 peserta")

        response = self.staff_post("lesson_send", lesson.code)
        (document,) = self.replies()
        self.assertEqual(document["type"], "document")
        self.staff_post("lesson_send", lesson.code)  # a second click sends nothing new
        self.assertEqual(self.replies(), [])
        detail = self.client.get(self.url("lesson", lesson.code))
        self.assertContains(detail, "1 dari 1 peserta")

        self.client.post(
            self.url("lesson", lesson.code),
            {"title": "Panduan protokol (baru)", "body": "Baca dulu.", "file-clear": "on"},
        )
        lesson.refresh_from_db()
        self.assertEqual((lesson.title, lesson.file.name), ("Panduan protokol (baru)", ""))
        self.assertRedirects(
            self.client.post(self.url("lesson_delete", lesson.code)), self.url("lessons")
        )
        self.assertFalse(Lesson.objects.exists())
        self.assertTrue(LogEntry.objects.filter(text__contains="dihapus").exists())

    def test_facilitator_builds_a_quiz_and_a_post_test_copying_its_questions(self):
        self.login(self.pendamping)
        response = self.client.post(
            self.url("quiz_add"), {"kind": "pre", "title": "Pemasaran online", "pass_mark": 70}
        )
        pre = Quiz.objects.get()
        self.assertRedirects(response, self.url("quiz", pre.code))
        invalid = self.client.post(
            self.url("question_add", pre.code),
            {"text": "Apa itu katalog?", "choices": "Daftar produk", "correct": "a"},
        )
        self.assertContains(invalid, "Tulis 2 sampai 10 pilihan")
        self.client.post(
            self.url("question_add", pre.code),
            {
                "text": "Apa itu katalog?",
                "choices": "A. Daftar produk\nB. Alat masak\n\nC. Nama pasar",
                "correct": "a",
            },
        )
        self.client.post(
            self.url("question_add", pre.code),
            {"text": "Tagar untuk?", "choices": "Mencari\nMenghapus", "correct": "2"},
        )
        first, second = pre.questions.all()
        self.assertEqual(
            (first.choices, first.correct), (["Daftar produk", "Alat masak", "Nama pasar"], 0)
        )
        self.assertEqual(second.correct, 1)
        self.client.post(
            self.url("question_edit", pre.code, 2),
            {"text": "Tagar dipakai untuk?", "choices": "Mencari\nMenghapus", "correct": "A"},
        )
        second.refresh_from_db()
        self.assertEqual((second.text, second.correct), ("Tagar dipakai untuk?", 0))
        page = self.client.get(self.url("quiz", pre.code))
        self.assertContains(page, "A. Daftar produk")
        self.assertContains(page, "Kirim kuis ke 1 peserta")

        self.client.post(
            self.url("quiz_add"),
            {
                "kind": "post",
                "title": "Pemasaran online (akhir)",
                "pass_mark": 70,
                "copy_from": pre.pk,
            },
        )
        post = Quiz.objects.get(kind="post")
        self.assertEqual(
            list(post.questions.values_list("text", flat=True)),
            ["Apa itu katalog?", "Tagar dipakai untuk?"],
        )
        self.assertTrue(learning.same_questions(pre, post))

        # Once someone has answered, the questions stay as they were asked.
        self.staff_post("quiz_send", pre.code)
        (q1,) = self.replies()
        self.tap(q1, "A. Daftar produk")
        self.client.post(self.url("question_delete", pre.code, 1))
        self.assertEqual(pre.questions.count(), 2)
        self.assertContains(self.client.get(self.url("quiz", pre.code)), "tidak bisa diubah lagi")
        response = self.client.post(self.url("quiz_delete", pre.code), follow=True)
        self.assertContains(response, "tidak bisa dihapus")

    def test_results_pages_show_scores_per_participant_question_and_pre_post(self):
        pre = make_quiz(self.programme)
        self.staff_post("quiz_send", pre.code)
        (q1,) = self.replies()
        self.tap(q1, "B. Tidak")
        self.send("b")
        self.send("c")  # 0 of 3
        post = make_quiz(self.programme, Quiz.Kind.POST)
        self.staff_post("quiz_send", post.code)
        (q1,) = self.replies()
        self.tap(q1, "A. Ya")
        self.send("a")
        self.send("b")  # 2 of 3
        self.login(self.staff[Role.DPL])  # the lecturer reads everything
        results = self.client.get(self.url("quiz_results", post.code))
        self.assertContains(results, "<strong>67</strong>", html=True)
        self.assertContains(results, "<strong>100%</strong>", html=True)  # question 1
        compare = self.client.get(self.url("quiz_compare"))
        self.assertContains(compare, "0 → 67")
        self.assertContains(compare, "+67")
        self.assertNotContains(compare, "Soal kedua kuis tidak sama")
        # …and changes nothing.
        self.assertEqual(self.client.post(self.url("quiz_close", post.code)).status_code, 403)
        self.assertEqual(self.client.post(self.url("quiz", post.code)).status_code, 403)
        self.assertEqual(self.client.get(self.url("lesson_add")).status_code, 403)

    def test_other_villages_staff_get_404_on_every_learning_url(self):
        lesson = Lesson.objects.create(programme=self.programme, title="Cuci tangan", body="Ya.")
        quiz = make_quiz(self.programme)
        urls = [
            self.url(name, *args)
            for name, args in [
                ("lessons", []), ("lesson_add", []), ("lesson", [lesson.code]),
                ("lesson_send", [lesson.code]), ("lesson_delete", [lesson.code]),
                ("quizzes", []), ("quiz_add", []), ("quiz_compare", []), ("quiz", [quiz.code]),
                ("quiz_delete", [quiz.code]), ("quiz_open", [quiz.code]),
                ("quiz_close", [quiz.code]), ("quiz_send", [quiz.code]),
                ("quiz_results", [quiz.code]), ("question_add", [quiz.code]),
                ("question_edit", [quiz.code, 1]), ("question_delete", [quiz.code, 1]),
            ]
        ]  # fmt: skip
        self.login(self.other_staff[Role.KADES])
        for url in urls:
            for method in ("get", "post"):
                with self.subTest(url=url, method=method):
                    self.assertEqual(getattr(self.client, method)(url).status_code, 404)
        # Their own slug with this village's codes is a 404 too.
        self.login(self.other_staff[Role.PENDAMPING])
        for url in urls:
            own = url.replace(f"/desa/{self.village.slug}/", f"/desa/{self.other_village.slug}/")
            with self.subTest(url=own):
                self.assertEqual(self.client.post(own).status_code, 404)
        self.assertTrue(Lesson.objects.filter(pk=lesson.pk).exists())
        self.assertIsNone(Quiz.objects.get(pk=quiz.pk).opened_at)


class QueryCountTest(BaseTestCase):
    def test_list_and_results_pages_do_not_grow_with_their_rows(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        programme = make_programme(self.village)
        url = lambda name, *a: reverse(  # noqa: E731
            f"programmes:{name}", args=[self.village.slug, programme.code, *a]
        )
        self.login(self.staff[Role.PENDAMPING])

        def count(path):
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(path).status_code, 200)
            return len(queries)

        def grow(n):
            for i in range(n):
                resident = Resident.objects.create(
                    village=self.village, name=f"P{i}", phone=f"+62813{n:02d}{i:06d}"
                )
                participant = join(programme, resident)
                Lesson.objects.create(programme=programme, title=f"Materi {n}-{i}", body="Isi")
                for quiz in programme.quizzes.all():
                    learning.do_answer(quiz, participant, quiz.questions.first().pk, 0)

        pre = make_quiz(programme)
        make_quiz(programme, Quiz.Kind.POST)
        for quiz in programme.quizzes.all():
            learning.do_open_quiz(quiz, None)
        grow(2)
        pages = [
            url("lessons"),
            url("quizzes"),
            url("quiz", pre.code),
            url("quiz_results", pre.code),
            url("quiz_compare"),
        ]
        count(pages[0])  # the first request also stores the village in the session
        before = [count(page) for page in pages]
        grow(6)
        self.assertEqual([count(page) for page in pages], before)


class ResultsTest(BaseTestCase):
    """The data functions outcome monitoring reuses."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.programme = make_programme(cls.village)
        cls.people = [cls.resident] + [
            Resident.objects.create(
                village=cls.village, name=f"Peserta {n}", phone=f"+6281300000{n:03d}"
            )
            for n in range(1, 5)
        ]
        cls.participants = [join(cls.programme, r) for r in cls.people]

    def answer_all(self, quiz, participant, choices):
        for question, choice in zip(quiz.questions.all(), choices, strict=False):
            learning.do_answer(quiz, participant, question.pk, choice)

    def test_quiz_results_per_participant_and_per_question(self):
        quiz = make_quiz(self.programme)
        learning.do_open_quiz(quiz, None)
        a, b, c, d, e = self.participants
        self.answer_all(quiz, a, [0, 0, 0])  # 100
        self.answer_all(quiz, b, [0, 1, 0])  # 67
        self.answer_all(quiz, c, [1, 1, 1])  # 0
        self.answer_all(quiz, d, [0])  # still answering
        Participant.objects.filter(pk=e.pk).update(consent=ConsentState.WITHDRAWN)
        self.answer_all(quiz, e, [0, 0, 0])  # recorded before she withdrew, then left out
        Attempt.objects.filter(participant=e).update(finished_at=timezone.now(), score=100)
        with self.assertNumQueries(4):
            results = learning.quiz_results(quiz)
        by_name = {r.participant.resident.name: r for r in results.participants}
        self.assertEqual(set(by_name), {"Siti Aminah", "Peserta 1", "Peserta 2", "Peserta 3"})
        self.assertEqual(by_name["Siti Aminah"].score, 100)
        self.assertEqual((by_name["Peserta 1"].score, by_name["Peserta 1"].passed), (67, True))
        self.assertEqual((by_name["Peserta 2"].score, by_name["Peserta 2"].passed), (0, False))
        self.assertEqual(
            (by_name["Peserta 3"].status, by_name["Peserta 3"].answered), ("Sedang mengerjakan", 1)
        )
        self.assertEqual(results.excluded, 1)
        self.assertEqual((results.passed, results.average, results.median), (2, 55.7, 67))
        q1, q2, q3 = results.questions
        self.assertEqual((q1.answered, q1.correct, q1.share_correct, q1.counts), (4, 3, 75, [3, 1]))
        self.assertEqual((q2.share_correct, q2.counts), (33, [1, 2, 0, 0]))
        self.assertEqual(q3.share_correct, 67)

    def test_pre_post_pairs_by_the_same_questions_and_compares(self):
        pre = make_quiz(self.programme)
        other = make_quiz(self.programme, questions=QUESTIONS[:1], title="Lain")
        post = make_quiz(self.programme, Quiz.Kind.POST, questions=list(reversed(QUESTIONS)))
        for quiz in (pre, other, post):
            learning.do_open_quiz(quiz, None)
        a, b, c, *_rest = self.participants
        self.answer_all(pre, a, [1, 1, 1])  # 0
        self.answer_all(pre, b, [0, 1, 1])  # 33
        self.answer_all(pre, c, [0, 0, 0])  # 100, no post-test
        self.answer_all(post, a, [0, 0, 0])  # 100 (questions in reverse order)
        self.answer_all(post, b, [0, 0, 1])  # Q3 right, Q2 right, Q1 wrong: 67
        self.assertEqual(learning.pair_quizzes(self.programme), [(pre, post)])
        (result,) = learning.pre_post(self.programme)
        self.assertTrue(result.same_questions)
        rows = {r.participant.resident.name: (r.pre, r.post, r.change) for r in result.rows}
        self.assertEqual(
            rows,
            {
                "Siti Aminah": (0, 100, 100),
                "Peserta 1": (33, 67, 34),
                "Peserta 2": (100, None, None),
            },
        )
        self.assertEqual(
            (result.pre_average, result.post_average, result.average_change), (16.5, 83.5, 67)
        )
        self.assertEqual((result.improved, result.passed_pre, result.passed_post), (2, 0, 2))
        self.assertEqual(
            [(q.pre, q.post) for q in result.questions],
            [(67, 50), (33, 100), (33, 100)],
        )

    def test_different_questions_compare_scores_only(self):
        pre = make_quiz(self.programme, questions=QUESTIONS[:2])
        post = make_quiz(self.programme, Quiz.Kind.POST, questions=QUESTIONS[1:])
        (result,) = learning.pre_post(self.programme)
        self.assertEqual((result.pre, result.post, result.same_questions), (pre, post, False))
        self.assertEqual(result.questions, [])


class ConversationStateTest(LearningChatTestCase):
    def test_quiz_state_lives_in_the_database_not_the_conversation(self):
        quiz = make_quiz(self.programme)
        self.staff_post("quiz_send", quiz.code)
        (q1,) = self.replies()
        self.tap(q1, "A. Ya")
        # Even if the conversation is wiped (a new session), "kuis" continues at question 2.
        conv = Conversation.objects.get(resident=self.resident)
        conv.reset()
        conv.save()
        (again,) = self.send("kuis")
        self.assertIn("Soal 2 dari 3", self.body(again))
