"""Materials (*materi*) and quizzes (*kuis*) of a programme: on WhatsApp, and as data.

Lessons go 1:1 through the outbox to participants who said yes: on their schedule (a
LessonDelivery row per participant, written in the same transaction as the outbox rows, so
a lesson goes once however often the job runs), from the console ("Kirim sekarang"), or when
a participant types ``materi`` and picks one. A lesson's image or PDF goes by a signed,
expiring link to that one file (Meta fetches it; no login).

Quizzes go one question at a time as reply buttons (up to 3 choices) or a list (4 to 10).
Where a participant is lives in the database — the Attempt and its Answer rows — so they can
stop and continue later by typing ``kuis``. A typed letter or number answers the current
question; a tap on a question already answered changes nothing.

The results are plain functions returning data (``quiz_results``, ``compare``, ``pre_post``)
shared by the console, the programme report and outcome monitoring. Participants who
withdrew are left out of them: after ``berhenti`` their data is not processed any more.
"""

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from balai.conversations.hooks import reply_handler, word_handler
from balai.core.jobs import job
from balai.core.schedule import periodic
from balai.programmes.actions import active_participants
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
from balai.villages.actions import do_audit
from balai.whatsapp import messages as build
from balai.whatsapp.models import OutboundMessage
from balai.whatsapp.outbox import NoChannel, do_send

LESSON_PURPOSE = "programme_lesson"
QUIZ_PURPOSE = "programme_quiz"
LINK_SALT = "balai.programmes.lesson"
LINK_DAYS = 30
LETTERS = "ABCDEFGHIJ"
MIN_CHOICES, MAX_CHOICES = 2, 10
CHOICE_MAX = 250
FILE_TYPES = {  # extension: (kind, content type, what the file starts with)
    ".pdf": ("pdf", "application/pdf", (b"%PDF-",)),
    ".jpg": ("image", "image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image", "image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image", "image/png", (b"\x89PNG\r\n\x1a\n",)),
}
IMAGE_MAX_BYTES = 5 * 1024 * 1024  # WhatsApp's limit for images
PDF_MAX_BYTES = 10 * 1024 * 1024  # light enough for a village data plan
LIST_PAGE = 9  # rows per page of the lesson list, leaving one for "Materi lainnya"

MATERI_WORDS = {
    "materi",
    "materi program",
    "lihat materi",
    "minta materi",
    "materi pelatihan",
    "modul",
    "bahan materi",
    "bahan belajar",
    "mteri",
    "matri",
}
KUIS_WORDS = {
    "kuis",
    "kuiz",
    "quiz",
    "quis",
    "kuis saya",
    "mulai kuis",
    "lanjut kuis",
    "lanjutkan kuis",
    "pretest",
    "pre test",
    "posttest",
    "post test",
}
TYPED_ANSWER = re.compile(r"^(?:jawab|jawaban|jawabannya|jwb|pilih|pilihan)?\s*([a-j]|10|[1-9])$")

NOT_REGISTERED = (
    "Mohon maaf, Anda belum terdaftar di program apa pun. Bila ingin ikut, silakan hubungi "
    "pendamping program atau kantor desa. Ketik *menu* untuk layanan lain."
)


class LearningError(Exception):
    """An action that cannot be done now; the message is for the staff member."""


def clip(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters with an ellipsis, at a word boundary when one is near."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def letter(index: int) -> str:
    return LETTERS[index]


def _log(programme: Programme, actor, text: str) -> None:
    LogEntry.objects.create(
        programme=programme, date=programme.village.local_now().date(), text=text, author=actor
    )


# --- lessons --------------------------------------------------------------------------------


def file_type(name: str) -> tuple[str, str, tuple]:
    """(kind, content type, magic) of a lesson file by its extension; ("", …) if unsupported."""
    return FILE_TYPES.get(PurePath(name or "").suffix.lower(), ("", "application/octet-stream", ()))


def lesson_kind(lesson: Lesson) -> str:
    return file_type(lesson.file.name)[0] if lesson.file else ""


def lesson_contents(lesson: Lesson) -> list[str]:
    """What a lesson is made of, for lists: ["teks", "PDF", "video"]."""
    kind = lesson_kind(lesson)
    parts = ["teks"] if lesson.body.strip() else []
    parts += {"pdf": ["PDF"], "image": ["gambar"]}.get(kind, [])
    return parts + (["video"] if lesson.video_url else [])


def lesson_link(lesson: Lesson) -> str:
    """A signed, expiring link to the lesson's current file, for Meta to fetch (no login)."""
    token = signing.dumps({"l": lesson.code, "f": lesson.file.name}, salt=LINK_SALT, compress=True)
    return settings.SITE_URL.rstrip("/") + reverse("programmes:lesson_file", args=[token])


def lesson_from_token(token: str) -> Lesson | None:
    """The lesson behind a link, or None if it is forged, expired, or its file was replaced."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    lesson = Lesson.objects.filter(code=str(data.get("l", ""))).first()
    if lesson is None or not lesson.file or lesson.file.name != data.get("f"):
        return None
    return lesson


def lesson_filename(lesson: Lesson) -> str:
    suffix = PurePath(lesson.file.name).suffix.lower()
    return f"{slugify(lesson.title)[:80] or 'materi'}{suffix}"


def lesson_text(lesson: Lesson) -> str:
    lines = [f"Materi *{lesson.title}*", f"Program {lesson.programme.title}"]
    if lesson.body.strip():
        lines += ["", lesson.body.strip()]
    if lesson.video_url:
        lines += ["", f"Tonton videonya: {lesson.video_url}"]
    return "\n".join(lines)


def lesson_messages(lesson: Lesson) -> list[tuple[str, dict]]:
    """The WhatsApp messages of a lesson: one when it fits (the file with the text as its
    caption), else the text and then the file."""
    text = lesson_text(lesson)
    kind = lesson_kind(lesson)
    if not kind:
        return [build.text(text, preview_url=bool(lesson.video_url))]
    fits = len(text) <= build.CAPTION_MAX
    caption = text if fits else f"*{lesson.title}*"
    link = lesson_link(lesson)
    if kind == "image":
        media = build.image(link=link, caption=caption)
    else:
        media = build.document(link=link, filename=lesson_filename(lesson), caption=caption)
    return [media] if fits else [build.text(text, preview_url=bool(lesson.video_url)), media]


def lesson_available(lesson: Lesson, now: dt.datetime) -> bool:
    """Participants may open a lesson once it went out, or at once if it has no schedule."""
    return lesson.sent_at is not None or lesson.send_at is None or lesson.send_at <= now


AVAILABLE = Q(sent_at__isnull=False) | Q(send_at__isnull=True)


def _deliver(lesson: Lesson, participant: Participant, built: list, *, now, actor=None) -> bool:
    """One lesson to one participant: the delivery row and the outbox rows commit together;
    False (and nothing queued) if it already went."""
    try:
        with transaction.atomic():
            LessonDelivery.objects.create(lesson=lesson, participant=participant, sent_at=now)
            for message in built:
                do_send(
                    participant.resident,
                    message,
                    purpose=LESSON_PURPOSE,
                    template_values={"program": lesson.programme.title, "materi": lesson.title},
                    sent_by=actor,
                )
    except IntegrityError:
        return False
    return True


def do_send_lesson(lesson: Lesson, actor) -> tuple[int, int]:
    """ "Kirim sekarang": the lesson to every participant who said yes and has not had it.
    Returns (sent now, had it already)."""
    now = timezone.now()
    built = lesson_messages(lesson)
    sent = already = 0
    with transaction.atomic():
        for participant in active_participants(lesson.programme):
            try:
                if _deliver(lesson, participant, built, now=now, actor=actor):
                    sent += 1
                else:
                    already += 1
            except NoChannel:
                raise LearningError(
                    "Desa ini belum punya nomor WhatsApp yang tersambung."
                ) from None
        if Lesson.objects.filter(pk=lesson.pk, sent_at__isnull=True).update(sent_at=now):
            lesson.sent_at = now
        if sent:
            _log(lesson.programme, actor, f"Materi “{lesson.title}” dikirim ke {sent} peserta.")
        do_audit(actor, lesson.programme.village, "programme.lesson_send", lesson, sent=sent)
    return sent, already


@periodic(seconds=60)
@job()
def send_due_lessons() -> int:
    return do_send_due_lessons()


def do_send_due_lessons(now: dt.datetime | None = None) -> int:
    """Send every scheduled lesson that is due to the participants who said yes."""
    now = now or timezone.now()
    sent = 0
    due = Lesson.objects.filter(send_at__lte=now, sent_at__isnull=True).select_related(
        "programme__village"
    )
    for lesson in due:
        built = lesson_messages(lesson)
        count = 0
        try:
            for participant in active_participants(lesson.programme):
                count += _deliver(lesson, participant, built, now=now)
        except NoChannel:
            continue  # goes once the village connects its number
        Lesson.objects.filter(pk=lesson.pk, sent_at__isnull=True).update(sent_at=now)
        if count:
            _log(
                lesson.programme,
                None,
                f"Materi “{lesson.title}” terkirim otomatis ke {count} peserta.",
            )
        sent += count
    return sent


@transaction.atomic
def do_save_lesson(lesson: Lesson, actor, *, old_file: str = "") -> Lesson:
    created = lesson.pk is None
    if created and not lesson.position:
        last = lesson.programme.lessons.order_by("-position").values_list("position", flat=True)
        lesson.position = (last.first() or 0) + 1
    before = None if created else Lesson.objects.filter(pk=lesson.pk).values("send_at").first()
    rescheduled = created or (before is not None and before["send_at"] != lesson.send_at)
    fields = ["title", "body", "file", "video_url", "send_at", "position"]
    if rescheduled and lesson.send_at and lesson.send_at > timezone.now():
        lesson.sent_at = None  # (re)scheduled: goes at the new time to those who lack it
        fields.append("sent_at")
    # An edit never overwrites sent_at with a stale value: only a new time resets it.
    lesson.save(update_fields=None if created else fields)
    if old_file and old_file != lesson.file.name:
        storage = lesson.file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    do_audit(
        actor,
        lesson.programme.village,
        "programme.lesson_add" if created else "programme.lesson_edit",
        lesson,
    )
    return lesson


@transaction.atomic
def do_delete_lesson(lesson: Lesson, actor) -> None:
    delivered = lesson.deliveries.count()
    programme = lesson.programme
    do_audit(actor, programme.village, "programme.lesson_delete", lesson, title=lesson.title)
    if delivered:
        _log(
            programme,
            actor,
            f"Materi “{lesson.title}” dihapus (sudah dikirim ke {delivered} peserta).",
        )
    if lesson.file:
        storage, name = lesson.file.storage, lesson.file.name
        transaction.on_commit(lambda: storage.delete(name))
    lesson.delete()


# --- lessons on WhatsApp --------------------------------------------------------------------


def _participations(resident):
    return list(
        Participant.objects.filter(resident=resident)
        .select_related("programme__village", "resident")
        .order_by("programme__title", "pk")
    )


def not_active_text(participations) -> str:
    asked = [p for p in participations if p.consent == ConsentState.ASKED]
    if asked:
        return (
            f"Bapak/Ibu belum menjawab permohonan kesediaan untuk program *{asked[0].programme}*. "
            "Silakan tekan *Bersedia* pada pesan permohonan itu, atau ketik *bersedia*."
        )
    return NOT_REGISTERED


def available_lessons(active: list[Participant], now: dt.datetime) -> list[Lesson]:
    """The lessons these participations may open, programme by programme."""
    return list(
        Lesson.objects.filter(programme_id__in={p.programme_id for p in active})
        .filter(AVAILABLE | Q(send_at__lte=now))
        .select_related("programme")
        .order_by("programme__title", "programme_id", "position", "pk")
    )


def lesson_list(lessons: list[Lesson], offset: int = 0):
    """The WhatsApp list of lessons, a section per programme; past ten rows it pages with a
    "Materi lainnya" row."""
    rest = lessons[offset:]
    more = len(rest) > build.LIST_ROWS_MAX
    page = rest[:LIST_PAGE] if more else rest
    sections: list[tuple[int, str, list]] = []
    for lesson in page:
        if not sections or sections[-1][0] != lesson.programme_id:
            title = clip(lesson.programme.title, build.SECTION_TITLE_MAX)
            sections.append((lesson.programme_id, title, []))
        short = clip(lesson.title, build.ROW_TITLE_MAX)
        if short != " ".join(lesson.title.split()):
            described = clip(lesson.title, build.ROW_DESCRIPTION_MAX)
        else:
            described = ", ".join(lesson_contents(lesson)).capitalize()
        sections[-1][2].append((f"lesson:{lesson.code}", short, described))
    if more:
        sections[-1][2].append(
            (f"lesson:page:{offset + LIST_PAGE}", "Materi lainnya", "Lihat materi berikutnya")
        )
    programmes = {lesson.programme_id for lesson in lessons}
    if len(programmes) > 1:
        body = "Materi dari program yang Bapak/Ibu ikuti. Silakan pilih yang ingin dibaca:"
    else:
        body = f"Materi program *{lessons[0].programme.title}*. Silakan pilih yang ingin dibaca:"
    return build.list_message(body, "Pilih materi", [(t, rows) for _i, t, rows in sections])


def inactive_text(participant: Participant) -> str:
    if participant.consent == ConsentState.ASKED:
        return not_active_text([participant])
    return (
        f"Bapak/Ibu tidak lagi terdaftar sebagai peserta *{participant.programme}*, jadi pesan "
        "ini tidak kami proses. Ketik *menu* untuk layanan lain."
    )


def _send_lesson_in_turn(turn, lesson: Lesson, participant: Participant) -> None:
    for built in lesson_messages(lesson):
        turn.say(built)
    LessonDelivery.objects.get_or_create(
        lesson=lesson, participant=participant, defaults={"sent_at": turn.now}
    )


@word_handler
def on_materi(turn, plain: str) -> bool:
    if plain not in MATERI_WORDS:
        return False
    participations = _participations(turn.resident)
    active = [p for p in participations if p.active]
    if not active:
        turn.say(not_active_text(participations))
        return True
    lessons = available_lessons(active, turn.now)
    if not lessons:
        names = ", ".join(f"*{p.programme.title}*" for p in active)
        turn.say(
            f"Belum ada materi untuk program {names}. Kami kabari di sini begitu materi "
            "sudah tersedia."
        )
    elif len(lessons) == 1:
        (lesson,) = lessons
        participant = next(p for p in active if p.programme_id == lesson.programme_id)
        _send_lesson_in_turn(turn, lesson, participant)
    else:
        turn.say(lesson_list(lessons))
    return True


@reply_handler("lesson")
def on_lesson_tap(turn, rest: str) -> bool:
    participations = _participations(turn.resident)
    active = [p for p in participations if p.active]
    if rest.startswith("page:"):
        offset = rest.removeprefix("page:")
        if not offset.isdigit():
            return False
        lessons = available_lessons(active, turn.now) if active else []
        if int(offset) < len(lessons):
            turn.say(lesson_list(lessons, int(offset)))
        else:
            turn.say(not_active_text(participations) if not active else "Tidak ada materi lain.")
        return True
    lesson = Lesson.objects.filter(code=rest).select_related("programme").first()
    participant = next(
        (p for p in participations if lesson and p.programme_id == lesson.programme_id), None
    )
    if lesson is None or participant is None:
        return False
    if not participant.active:
        turn.say(inactive_text(participant))
    elif not lesson_available(lesson, turn.now):
        turn.say("Materi ini belum bisa dibuka. Kami kirimkan begitu waktunya tiba.")
    else:
        _send_lesson_in_turn(turn, lesson, participant)
    return True


# --- quizzes --------------------------------------------------------------------------------


def quiz_state(quiz: Quiz) -> str:
    if quiz.closed_at:
        return "closed"
    return "open" if quiz.opened_at else "draft"


STATE_LABELS = {"draft": "Belum dibuka", "open": "Dibuka", "closed": "Ditutup"}


def is_locked(quiz: Quiz) -> bool:
    """Once someone has answered, the questions stay as they were asked."""
    return Answer.objects.filter(attempt__quiz=quiz).exists()


def parse_choices(text: str) -> list[str]:
    """Choices typed one per line; "A. …", "B. …" labels are dropped when every line has
    its own letter in order."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    pattern = re.compile(r"^([A-Ja-j])\s*[.)]\s+(.+)$")
    matches = [pattern.match(line) for line in lines]
    if lines and all(m and m.group(1).upper() == LETTERS[i] for i, m in enumerate(matches)):
        lines = [m.group(2) for m in matches]
    return lines


def parse_letter(text: str, count: int) -> int | None:
    """ "b", "B", "2" → 1; None if it names no choice among ``count``."""
    text = text.strip().upper().rstrip(".)")
    if len(text) == 1 and text in LETTERS:
        index = LETTERS.index(text)
    elif text.isdigit():
        index = int(text) - 1
    else:
        return None
    return index if 0 <= index < count else None


def do_save_question(quiz: Quiz, actor, *, question: Question | None, text, choices, correct):
    if is_locked(quiz):
        raise LearningError(
            "Soal tidak bisa diubah karena sudah ada peserta yang menjawab. Buat kuis baru bila "
            "soalnya perlu diubah."
        )
    with transaction.atomic():
        if question is None:
            last = quiz.questions.order_by("-position").values_list("position", flat=True)
            question = Question(quiz=quiz, position=(last.first() or 0) + 1)
        question.text, question.choices, question.correct = text, choices, correct
        question.save()
        do_audit(actor, quiz.programme.village, "programme.question_save", quiz)
    return question


def do_delete_question(quiz: Quiz, question: Question, actor) -> None:
    if is_locked(quiz):
        raise LearningError("Soal tidak bisa dihapus karena sudah ada peserta yang menjawab.")
    with transaction.atomic():
        question.delete()
        do_audit(actor, quiz.programme.village, "programme.question_delete", quiz)


@transaction.atomic
def do_save_quiz(quiz: Quiz, actor, *, copy_from: Quiz | None = None) -> Quiz:
    created = quiz.pk is None
    quiz.save()
    if created and copy_from is not None:
        Question.objects.bulk_create(
            Question(
                quiz=quiz, position=q.position, text=q.text, choices=q.choices, correct=q.correct
            )
            for q in copy_from.questions.all()
        )
    do_audit(
        actor,
        quiz.programme.village,
        "programme.quiz_add" if created else "programme.quiz_edit",
        quiz,
    )
    return quiz


def do_delete_quiz(quiz: Quiz, actor) -> None:
    if quiz.attempts.exists():
        raise LearningError("Kuis yang sudah dikirim ke peserta tidak bisa dihapus; tutup saja.")
    with transaction.atomic():
        do_audit(actor, quiz.programme.village, "programme.quiz_delete", quiz, title=quiz.title)
        quiz.delete()


def do_open_quiz(quiz: Quiz, actor) -> None:
    if not quiz.questions.exists():
        raise LearningError("Kuis belum punya soal. Tambahkan soal dulu.")
    with transaction.atomic():
        quiz.opened_at = quiz.opened_at or timezone.now()
        quiz.closed_at = None
        Quiz.objects.filter(pk=quiz.pk).update(opened_at=quiz.opened_at, closed_at=None)
        do_audit(actor, quiz.programme.village, "programme.quiz_open", quiz)


def do_close_quiz(quiz: Quiz, actor) -> None:
    with transaction.atomic():
        quiz.closed_at = timezone.now()
        Quiz.objects.filter(pk=quiz.pk).update(closed_at=quiz.closed_at)
        do_audit(actor, quiz.programme.village, "programme.quiz_close", quiz)


def _progress(attempt: Attempt, questions: list[Question]) -> tuple[Question | None, int]:
    """The first unanswered question and its number (1-based)."""
    answered = set(attempt.answers.values_list("question_id", flat=True))
    for number, question in enumerate(questions, start=1):
        if question.pk not in answered:
            return question, number
    return None, len(questions)


def question_messages(quiz: Quiz, question: Question, number: int, total: int, intro: str = ""):
    """One question as WhatsApp messages: reply buttons for up to 3 choices, a list for 4 to
    10. Titles that would break Meta's limits become letters, with the full choices in the
    body; a body over the limit goes first as a text of its own."""
    choices = list(question.choices)
    ids = [f"quiz:{quiz.code}:{question.pk}:{i}" for i in range(len(choices))]
    labelled = [f"{letter(i)}. {c}" for i, c in enumerate(choices)]
    head = [intro, ""] if intro else []
    head += [f"*{quiz.get_kind_display()}: {quiz.title}*", f"Soal {number} dari {total}", ""]
    head.append(question.text.strip())
    footer = "Bisa juga ketik hurufnya, mis. A"
    if len(choices) <= build.BUTTONS_MAX:
        fits = all(len(t) <= build.BUTTON_TITLE_MAX for t in labelled)
        titles = labelled if fits else [letter(i) for i in range(len(choices))]
        body = "\n".join(head if fits else [*head, "", *labelled])

        def interactive(text):
            return build.buttons(text, list(zip(ids, titles, strict=True)), footer=footer)

    else:
        rows = [
            (ids[i], labelled[i], "")
            if len(labelled[i]) <= build.ROW_TITLE_MAX
            else (ids[i], letter(i), clip(choice, build.ROW_DESCRIPTION_MAX))
            for i, choice in enumerate(choices)
        ]
        body = "\n".join([*head, "", *labelled])

        def interactive(text):
            return build.list_message(text, "Pilih jawaban", [("", rows)], footer=footer)

    if len(body) <= build.INTERACTIVE_BODY_MAX:
        return [interactive(body)]
    return [build.text(body), interactive(f"Pilih jawaban untuk soal {number}:")]


def invitation(quiz: Quiz, participant: Participant, total: int) -> str:
    return (
        f"Yth. Bapak/Ibu {participant.resident.name}, berikut {quiz.get_kind_display().lower()} "
        f"program *{quiz.programme.title}*: {total} soal pilihan ganda. Jawab dengan menekan "
        "pilihan atau mengetik hurufnya. Bisa berhenti dan dilanjutkan kapan saja dengan "
        "mengetik *kuis*."
    )


def do_send_quiz(quiz: Quiz, actor) -> int:
    """ "Kirim kuis": open the quiz if needed and send the current question (the first, or
    where they stopped) to every participant who said yes and has not finished."""
    if quiz.closed_at:
        raise LearningError("Kuis ini sudah ditutup. Buka kembali dulu bila ingin mengirimnya.")
    questions = list(quiz.questions.all())
    if not questions:
        raise LearningError("Kuis belum punya soal. Tambahkan soal dulu.")
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        if not quiz.opened_at:
            do_open_quiz(quiz, actor)
        for participant in active_participants(quiz.programme):
            attempt, _ = Attempt.objects.get_or_create(
                quiz=quiz, participant=participant, defaults={"started_at": now}
            )
            if attempt.finished_at:
                continue
            question, number = _progress(attempt, questions)
            if question is None:
                continue
            intro = (
                invitation(quiz, participant, len(questions))
                if number == 1
                else f"Yth. Bapak/Ibu {participant.resident.name}, mari lanjutkan kuis ini."
            )
            try:
                for built in question_messages(quiz, question, number, len(questions), intro):
                    do_send(
                        participant.resident,
                        built,
                        purpose=QUIZ_PURPOSE,
                        template_values={"program": quiz.programme.title, "kuis": quiz.title},
                        sent_by=actor,
                    )
            except NoChannel:
                raise LearningError(
                    "Desa ini belum punya nomor WhatsApp yang tersambung."
                ) from None
            sent += 1
        if sent:
            _log(quiz.programme, actor, f"{quiz} dikirim ke {sent} peserta.")
        do_audit(actor, quiz.programme.village, "programme.quiz_send", quiz, sent=sent)
    return sent


def score_of(correct: int, total: int) -> int:
    """Percent, rounded half up."""
    return (200 * correct + total) // (2 * total) if total else 0


def finish_text(quiz: Quiz, attempt: Attempt, correct: int, total: int) -> str:
    lines = [
        f"Terima kasih, Bapak/Ibu. *{quiz}* sudah selesai.",
        f"Nilai Bapak/Ibu: *{attempt.score}* ({correct} dari {total} soal benar).",
    ]
    if attempt.score >= quiz.pass_mark:
        lines.append(f"Selamat, Bapak/Ibu lulus (nilai lulus {quiz.pass_mark}).")
    elif quiz.kind == Quiz.Kind.PRE:
        lines.append(
            f"Nilai lulus {quiz.pass_mark}. Tidak apa-apa, ini tes awal sebelum pelatihan; "
            "nanti ada tes akhir."
        )
    else:
        lines.append(
            f"Nilai lulus {quiz.pass_mark}. Jangan berkecil hati; materinya bisa dibaca lagi "
            "dengan mengetik *materi*."
        )
    return "\n".join(lines)


@dataclass
class Answered:
    """What became of a tap or a typed answer."""

    outcome: str  # recorded | finished | already | closed | invalid
    attempt: Attempt | None = None
    question: Question | None = None  # the next question, if any
    number: int = 0
    total: int = 0
    correct: int = 0


def do_answer(quiz: Quiz, participant: Participant, question_id: int, choice: int) -> Answered:
    """Record one answer, once; finish the attempt with its score after the last question."""
    if quiz_state(quiz) != "open":
        return Answered("closed")
    now = timezone.now()
    with transaction.atomic():
        attempt, _ = Attempt.objects.get_or_create(
            quiz=quiz, participant=participant, defaults={"started_at": now}
        )
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)  # one answer at a time
        questions = list(quiz.questions.all())
        question = next((q for q in questions if q.pk == question_id), None)
        if question is None or not 0 <= choice < len(question.choices):
            return Answered("invalid", attempt)
        if attempt.finished_at or attempt.answers.filter(question=question).exists():
            nxt, number = _progress(attempt, questions)
            return Answered("already", attempt, nxt, number, len(questions))
        Answer.objects.create(
            attempt=attempt,
            question=question,
            choice=choice,
            is_correct=choice == question.correct,
            answered_at=now,
        )
        nxt, number = _progress(attempt, questions)
        if nxt is not None:
            return Answered("recorded", attempt, nxt, number, len(questions))
        correct = attempt.answers.filter(is_correct=True).count()
        attempt.score = score_of(correct, len(questions))
        attempt.finished_at = now
        attempt.save(update_fields=["score", "finished_at"])
        return Answered("finished", attempt, None, len(questions), len(questions), correct)


def _ask(turn, quiz: Quiz, question: Question, number: int, total: int, intro: str = "") -> None:
    for built in question_messages(quiz, question, number, total, intro):
        turn.say(built)
    if not turn.conv.flow and turn.conv.step == "menu":
        turn.conv.step = ""  # a typed number now answers the quiz, not the menu shown before


def _reply(turn, quiz: Quiz, participant: Participant, result: Answered) -> None:
    if result.outcome == "closed":
        turn.say(f"Mohon maaf, *{quiz}* sudah ditutup. Terima kasih, Bapak/Ibu.")
    elif result.outcome == "invalid":
        turn.say(
            "Mohon maaf, pilihan itu tidak kami kenali. Ketik *kuis* untuk melihat soalnya lagi."
        )
    elif result.outcome == "already":
        if result.attempt.finished_at:
            turn.say(
                f"Bapak/Ibu sudah menyelesaikan *{quiz}* dengan nilai {result.attempt.score}. "
                "Jawaban tidak bisa diubah lagi."
            )
        else:
            turn.say(
                f"Soal itu sudah Bapak/Ibu jawab; jawabannya tidak bisa diubah. Sekarang soal "
                f"{result.number} dari {result.total}. Ketik *kuis* bila soalnya belum terlihat."
            )
    elif result.outcome == "recorded":
        _ask(turn, quiz, result.question, result.number, result.total)
    else:
        text = finish_text(quiz, result.attempt, result.correct, result.total)
        active = [p for p in _participations(turn.resident) if p.active]
        if any(a is None or not a.finished_at for _q, _p, a in _open_quizzes(active)):
            text += "\n\nMasih ada kuis lain untuk Bapak/Ibu: ketik *kuis*."
        turn.say(text)


def _start_or_resume(turn, quiz: Quiz, participant: Participant) -> None:
    if quiz_state(quiz) != "open":
        turn.say(f"Mohon maaf, *{quiz}* sedang tidak dibuka.")
        return
    questions = list(quiz.questions.all())
    attempt, _created = Attempt.objects.get_or_create(
        quiz=quiz, participant=participant, defaults={"started_at": turn.now}
    )
    if attempt.finished_at:
        turn.say(
            f"Bapak/Ibu sudah menyelesaikan *{quiz}* dengan nilai {attempt.score}. Terima kasih."
        )
        return
    question, number = _progress(attempt, questions)
    if question is None:
        turn.say(f"Mohon maaf, *{quiz}* belum punya soal.")
        return
    intro = (
        invitation(quiz, participant, len(questions))
        if number == 1
        else "Baik, Bapak/Ibu. Kita lanjutkan dari soal yang belum dijawab."
    )
    _ask(turn, quiz, question, number, len(questions), intro)


def _open_quizzes(active: list[Participant]):
    """(quiz, participant, attempt or None) for every open quiz of the participant's
    programmes, oldest first."""
    by_programme = {p.programme_id: p for p in active}
    quizzes = Quiz.objects.filter(
        programme_id__in=by_programme, opened_at__isnull=False, closed_at__isnull=True
    ).select_related("programme")
    attempts = {
        (a.quiz_id, a.participant_id): a
        for a in Attempt.objects.filter(participant__in=active, quiz__in=quizzes)
    }
    out = []
    for quiz in quizzes.order_by("opened_at", "pk"):
        participant = by_programme[quiz.programme_id]
        out.append((quiz, participant, attempts.get((quiz.pk, participant.pk))))
    return out


@word_handler
def on_kuis(turn, plain: str) -> bool:
    if plain not in KUIS_WORDS:
        return False
    participations = _participations(turn.resident)
    active = [p for p in participations if p.active]
    if not active:
        turn.say(not_active_text(participations))
        return True
    open_ = _open_quizzes(active)
    pending = [(q, p, a) for q, p, a in open_ if a is None or a.finished_at is None]
    if not pending:
        if open_:
            scores = "\n".join(f"• {q}: nilai {a.score}" for q, _p, a in open_)
            turn.say(
                f"Bapak/Ibu sudah menyelesaikan semua kuis yang dibuka. Terima kasih.\n{scores}"
            )
        else:
            turn.say(
                "Saat ini belum ada kuis yang dibuka untuk Bapak/Ibu. Kami kabari di sini bila "
                "sudah ada."
            )
        return True
    if len(pending) == 1:
        quiz, participant, _attempt = pending[0]
        _start_or_resume(turn, quiz, participant)
        return True
    rows = [
        (
            f"quiz:{q.code}:start",
            clip(q.get_kind_display(), build.ROW_TITLE_MAX),
            clip(f"{q.title} · {q.programme.title}", build.ROW_DESCRIPTION_MAX),
        )
        for q, _p, _a in pending[: build.LIST_ROWS_MAX]
    ]
    turn.say(
        build.list_message(
            "Ada beberapa kuis untuk Bapak/Ibu. Silakan pilih yang ingin dikerjakan:",
            "Pilih kuis",
            [("", rows)],
        )
    )
    return True


@reply_handler("quiz")
def on_quiz_tap(turn, rest: str) -> bool:
    parts = rest.split(":")
    quiz = Quiz.objects.filter(code=parts[0]).select_related("programme").first()
    participant = (
        Participant.objects.filter(programme=quiz.programme, resident=turn.resident)
        .select_related("programme", "resident")
        .first()
        if quiz
        else None
    )
    if participant is None:
        return False
    if not participant.active:
        turn.say(inactive_text(participant))
        return True
    if parts[1:] == ["start"]:
        _start_or_resume(turn, quiz, participant)
        return True
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return False
    result = do_answer(quiz, participant, int(parts[1]), int(parts[2]))
    _reply(turn, quiz, participant, result)
    return True


def _menu_shown_last(turn) -> bool:
    """The menu waits for a number (1-5) and no quiz question was sent since."""
    if turn.conv.step != "menu":
        return False
    return not OutboundMessage.objects.filter(
        resident=turn.resident, purpose=QUIZ_PURPOSE, created__gt=turn.conv.last_activity
    ).exists()


@word_handler
def on_typed_answer(turn, plain: str) -> bool:
    """ "b", "B.", "2", "jawab c": the current question of the one quiz in progress."""
    match = TYPED_ANSWER.match(plain)
    if not match or turn.conv.step not in {"", "menu"}:
        return False  # another app waits for typed input (e.g. a seller's product draft)
    typed = match.group(1)
    if typed.isdigit() and _menu_shown_last(turn):
        return False
    attempts = list(
        Attempt.objects.filter(
            participant__resident=turn.resident,
            participant__consent=ConsentState.GIVEN,
            finished_at__isnull=True,
            quiz__opened_at__isnull=False,
            quiz__closed_at__isnull=True,
        ).select_related("quiz__programme", "participant__resident")[:2]
    )
    if not attempts:
        return False
    if len(attempts) > 1:
        turn.say(
            "Bapak/Ibu sedang mengerjakan lebih dari satu kuis. Mohon jawab dengan menekan "
            "pilihan pada soalnya, atau ketik *kuis* untuk memilih kuis."
        )
        return True
    attempt = attempts[0]
    quiz = attempt.quiz
    question, number = _progress(attempt, list(quiz.questions.all()))
    if question is None:
        return False
    choice = parse_letter(typed, len(question.choices))
    if choice is None:
        last = letter(len(question.choices) - 1)
        turn.say(
            f"Pilihan untuk soal {number} hanya A sampai {last}. Silakan ketik salah satu hurufnya."
        )
        return True
    _reply(
        turn, quiz, attempt.participant, do_answer(quiz, attempt.participant, question.pk, choice)
    )
    return True


# --- results --------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    number: int
    question: Question
    answered: int = 0
    correct: int = 0
    counts: list[int] = field(default_factory=list)  # answers per choice

    @property
    def share_correct(self) -> int | None:
        """Percent of those who answered it who chose the correct answer."""
        return score_of(self.correct, self.answered) if self.answered else None


@dataclass
class ParticipantResult:
    participant: Participant
    attempt: Attempt | None
    answered: int = 0
    correct: int = 0
    score: int | None = None  # only once finished
    passed: bool | None = None

    @property
    def status(self) -> str:
        if self.attempt is None:
            return "Belum dikirim"
        if self.attempt.finished_at:
            return "Selesai"
        return "Belum menjawab" if not self.answered else "Sedang mengerjakan"


@dataclass
class QuizResults:
    quiz: Quiz
    questions: list[QuestionResult]
    participants: list[ParticipantResult]
    excluded: int = 0  # withdrew: their answers are not counted any more

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def finished(self) -> list[ParticipantResult]:
        return [r for r in self.participants if r.score is not None]

    @property
    def started(self) -> int:
        return sum(r.attempt is not None for r in self.participants)

    @property
    def passed(self) -> int:
        return sum(bool(r.passed) for r in self.finished)

    @property
    def average(self) -> float | None:
        scores = [r.score for r in self.finished]
        return round(statistics.fmean(scores), 1) if scores else None

    @property
    def median(self) -> float | None:
        scores = [r.score for r in self.finished]
        return statistics.median(scores) if scores else None

    @property
    def pass_rate(self) -> int | None:
        return score_of(self.passed, len(self.finished)) if self.finished else None


def quiz_results(quiz: Quiz) -> QuizResults:
    """Scores per participant (everyone who said yes) and per question (share correct), in
    a fixed number of queries."""
    questions = list(quiz.questions.all())
    by_id = {
        q.pk: QuestionResult(number, q, counts=[0] * len(q.choices))
        for number, q in enumerate(questions, start=1)
    }
    people = list(active_participants(quiz.programme).select_related("area"))
    attempts = {a.participant_id: a for a in quiz.attempts.all()}
    rows = {p.pk: ParticipantResult(p, attempts.get(p.pk)) for p in people}
    answers = Answer.objects.filter(attempt__quiz=quiz, attempt__participant__in=people)
    for participant_id, question_id, choice, is_correct in answers.values_list(
        "attempt__participant_id", "question_id", "choice", "is_correct"
    ):
        row, q = rows[participant_id], by_id.get(question_id)
        row.answered += 1
        row.correct += is_correct
        if q is not None:
            q.answered += 1
            q.correct += is_correct
            if 0 <= choice < len(q.counts):
                q.counts[choice] += 1
    for row in rows.values():
        if row.attempt and row.attempt.finished_at and row.attempt.score is not None:
            row.score = row.attempt.score
            row.passed = row.score >= quiz.pass_mark
    excluded = sum(1 for pid in attempts if pid not in rows)
    return QuizResults(quiz, list(by_id.values()), list(rows.values()), excluded)


def _signature(question: Question) -> tuple:
    def norm(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", str(text).lower()).split())

    choices = [norm(c) for c in question.choices]
    right = choices[question.correct] if 0 <= question.correct < len(choices) else ""
    return norm(question.text), tuple(sorted(choices)), right


def same_questions(pre: Quiz, post: Quiz) -> bool:
    """The same questions (text, choices, the right answer), in any order."""
    a = sorted(_signature(q) for q in pre.questions.all())
    b = sorted(_signature(q) for q in post.questions.all())
    return bool(a) and a == b


@dataclass
class PrePostRow:
    participant: Participant
    pre: int | None
    post: int | None

    @property
    def change(self) -> int | None:
        return None if self.pre is None or self.post is None else self.post - self.pre


@dataclass
class QuestionChange:
    text: str
    pre: int | None  # percent correct
    post: int | None

    @property
    def change(self) -> int | None:
        return None if self.pre is None or self.post is None else self.post - self.pre


@dataclass
class PrePost:
    pre: Quiz
    post: Quiz
    same_questions: bool
    rows: list[PrePostRow]
    questions: list[QuestionChange]  # only with the same questions
    pre_results: QuizResults
    post_results: QuizResults

    @property
    def paired(self) -> list[PrePostRow]:
        return [r for r in self.rows if r.change is not None]

    @property
    def pre_average(self) -> float | None:
        scores = [r.pre for r in self.paired]
        return round(statistics.fmean(scores), 1) if scores else None

    @property
    def post_average(self) -> float | None:
        scores = [r.post for r in self.paired]
        return round(statistics.fmean(scores), 1) if scores else None

    @property
    def average_change(self) -> float | None:
        changes = [r.change for r in self.paired]
        return round(statistics.fmean(changes), 1) if changes else None

    @property
    def improved(self) -> int:
        return sum(r.change > 0 for r in self.paired)

    @property
    def passed_pre(self) -> int:
        return sum(r.pre >= self.pre.pass_mark for r in self.paired)

    @property
    def passed_post(self) -> int:
        return sum(r.post >= self.post.pass_mark for r in self.paired)


def compare(pre: Quiz, post: Quiz) -> PrePost:
    """Pre vs post per participant (both finished ⇒ a change) and, when the two quizzes ask
    the same questions, the share correct per question before and after."""
    before, after = quiz_results(pre), quiz_results(post)
    pre_scores = {r.participant.pk: r.score for r in before.participants}
    post_scores = {r.participant.pk: r.score for r in after.participants}
    rows = [
        PrePostRow(
            r.participant, pre_scores.get(r.participant.pk), post_scores.get(r.participant.pk)
        )
        for r in before.participants
        if pre_scores.get(r.participant.pk) is not None
        or post_scores.get(r.participant.pk) is not None
    ]
    same = same_questions(pre, post)
    changes = []
    if same:
        later = {_signature(q.question): q for q in after.questions}
        for q in before.questions:
            match = later.get(_signature(q.question))
            changes.append(
                QuestionChange(
                    q.question.text, q.share_correct, match.share_correct if match else None
                )
            )
    return PrePost(pre, post, same, rows, changes, before, after)


def pair_quizzes(programme: Programme) -> list[tuple[Quiz, Quiz]]:
    """Each post-test with its pre-test: the one asking the same questions, else in order."""
    pres = list(programme.quizzes.filter(kind=Quiz.Kind.PRE).order_by("pk"))
    posts = list(programme.quizzes.filter(kind=Quiz.Kind.POST).order_by("pk"))
    pairs, free = [], list(pres)
    for post in posts:
        match = next((p for p in free if same_questions(p, post)), None)
        if match is None and free:
            match = free[0]
        if match is not None:
            free.remove(match)
            pairs.append((match, post))
    return pairs


def pre_post(programme: Programme) -> list[PrePost]:
    """Every pre/post pair of the programme, compared."""
    return [compare(pre, post) for pre, post in pair_quizzes(programme)]
