"""Console pages for a programme's materials and quizzes. Everyone who may see the
programme reads them (the DPL too); changes need ``manage_programmes``."""

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from balai.programmes import learning
from balai.programmes.actions import active_participants
from balai.programmes.models import Lesson, Question, Quiz
from balai.villages.access import access_in_programme, access_programme, staff_view

# --- forms ----------------------------------------------------------------------------------


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "body", "file", "video_url", "send_at", "position"]
        labels = {
            "title": "Judul",
            "body": "Isi materi",
            "file": "Gambar atau PDF",
            "video_url": "Tautan video",
            "send_at": "Kirim otomatis pada",
            "position": "Urutan",
        }
        help_texts = {
            "title": "Singkat dan jelas; di daftar WhatsApp 24 huruf pertama yang tampil.",
            "body": "Paling banyak 3000 karakter. Dikirim apa adanya kepada peserta.",
            "file": "JPG/PNG paling besar 5 MB, atau PDF paling besar 10 MB.",
            "video_url": "Mis. tautan YouTube.",
            "send_at": "Waktu desa. Kosongkan bila materi dikirim dengan tombol Kirim sekarang "
            "atau dibuka peserta sendiri dengan mengetik materi.",
            "position": "Urutan di daftar materi.",
        }
        widgets = {
            "title": forms.TextInput(attrs={"maxlength": 150}),
            "body": forms.Textarea(attrs={"rows": 8, "maxlength": 3000}),
            "file": forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
            "send_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["send_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if len(body) > 3000:
            raise forms.ValidationError(f"Isi paling banyak 3000 karakter (sekarang {len(body)}).")
        return body

    def clean_position(self):
        return self.cleaned_data.get("position") or 0

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged, or cleared
        kind, _type, magic = learning.file_type(upload.name)
        if not kind:
            raise forms.ValidationError("Unggah gambar JPG/PNG atau berkas PDF.")
        limit = learning.IMAGE_MAX_BYTES if kind == "image" else learning.PDF_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"Berkas terlalu besar ({upload.size / 1048576:.1f} MB); paling besar "
                f"{limit // 1048576} MB."
            )
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not head.startswith(magic):
            raise forms.ValidationError("Isi berkas tidak sesuai dengan jenisnya (JPG/PNG/PDF).")
        return upload

    def clean(self):
        data = super().clean()
        if not (data.get("body") or data.get("file") or data.get("video_url")):
            raise forms.ValidationError(
                "Isi materinya: teks, gambar/PDF, atau tautan video (paling tidak salah satu)."
            )
        return data


class QuizForm(forms.ModelForm):
    copy_from = forms.ModelChoiceField(
        queryset=Quiz.objects.none(),
        required=False,
        label="Salin soal dari",
        empty_label="(tidak, buat soal baru)",
        help_text="Pre-test dan post-test dengan soal yang sama bisa dibandingkan per soal.",
    )

    class Meta:
        model = Quiz
        fields = ["kind", "title", "pass_mark"]
        labels = {"kind": "Jenis", "title": "Judul", "pass_mark": "Nilai lulus (%)"}
        widgets = {
            "title": forms.TextInput(attrs={"maxlength": 150}),
            "pass_mark": forms.NumberInput(attrs={"min": 0, "max": 100}),
        }

    def __init__(self, programme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["copy_from"]
        else:
            self.fields["copy_from"].queryset = programme.quizzes.annotate(
                n=Count("questions")
            ).filter(n__gt=0)

    def clean_pass_mark(self):
        mark = self.cleaned_data["pass_mark"]
        if not 0 <= mark <= 100:
            raise forms.ValidationError("Nilai lulus antara 0 dan 100.")
        return mark


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Pertanyaan", max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    choices = forms.CharField(
        label="Pilihan jawaban",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Satu pilihan per baris, {learning.MIN_CHOICES} sampai {learning.MAX_CHOICES} "
        f"pilihan, masing-masing paling banyak {learning.CHOICE_MAX} karakter. Huruf A, B, C… "
        "ditambahkan otomatis.",
    )
    correct = forms.CharField(
        label="Jawaban benar",
        max_length=2,
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "off"}),
        help_text="Huruf pilihan yang benar, mis. B.",
    )

    def clean_choices(self):
        choices = learning.parse_choices(self.cleaned_data["choices"])
        if not learning.MIN_CHOICES <= len(choices) <= learning.MAX_CHOICES:
            raise forms.ValidationError(
                f"Tulis {learning.MIN_CHOICES} sampai {learning.MAX_CHOICES} pilihan, satu per "
                f"baris (sekarang {len(choices)})."
            )
        for i, choice in enumerate(choices):
            if len(choice) > learning.CHOICE_MAX:
                raise forms.ValidationError(
                    f"Pilihan {learning.letter(i)} terlalu panjang ({len(choice)} karakter; paling "
                    f"banyak {learning.CHOICE_MAX})."
                )
        if len({c.lower() for c in choices}) != len(choices):
            raise forms.ValidationError("Ada pilihan yang sama; setiap pilihan harus berbeda.")
        return choices

    def clean(self):
        data = super().clean()
        choices, correct = data.get("choices"), data.get("correct")
        if choices and correct:
            index = learning.parse_letter(correct, len(choices))
            if index is None:
                self.add_error(
                    "correct",
                    f"Isi huruf A sampai {learning.letter(len(choices) - 1)} sesuai pilihan.",
                )
            else:
                data["correct"] = index
        return data


# --- helpers --------------------------------------------------------------------------------


def _go(staff, programme, name, *args):
    return redirect(reverse(f"programmes:{name}", args=[staff.village.slug, programme.code, *args]))


def _ctx(staff, programme, **extra):
    return {"programme": programme, "can_manage": staff.can("manage_programmes"), **extra}


def _lesson(programme, code):
    return access_in_programme(programme, Lesson, code)


def _quiz(programme, code):
    return access_in_programme(programme, Quiz, code)


def _question(quiz, number: int) -> Question:
    questions = list(quiz.questions.all())
    if not 1 <= number <= len(questions):
        raise Http404
    return questions[number - 1]


# --- lessons --------------------------------------------------------------------------------


@staff_view("view_programmes")
def lessons(request, staff, code):
    programme = access_programme(staff, code)
    items = programme.lessons.annotate(delivered=Count("deliveries"))
    return render(
        request,
        "programmes/learning_lessons.html",
        _ctx(
            staff,
            programme,
            lessons=[(lesson, learning.lesson_contents(lesson)) for lesson in items],
            active=active_participants(programme).count(),
        ),
    )


@staff_view("manage_programmes")
def lesson_add(request, staff, code):
    programme = access_programme(staff, code)
    lesson = Lesson(programme=programme)
    form = LessonForm(request.POST or None, request.FILES or None, instance=lesson)
    if request.method == "POST" and form.is_valid():
        lesson = learning.do_save_lesson(form.save(commit=False), request.user)
        messages.success(request, f"Materi “{lesson.title}” sudah disimpan.")
        return _go(staff, programme, "lessons")
    return render(
        request, "programmes/learning_lesson.html", _ctx(staff, programme, form=form, lesson=None)
    )


@staff_view("view_programmes")
def lesson_detail(request, staff, code, lesson):
    programme = access_programme(staff, code)
    item = _lesson(programme, lesson)
    form = None
    if request.method == "POST":
        staff.require("manage_programmes")
    if staff.can("manage_programmes"):
        old_file = item.file.name
        form = LessonForm(request.POST or None, request.FILES or None, instance=item)
        if request.method == "POST" and form.is_valid():
            learning.do_save_lesson(form.save(commit=False), request.user, old_file=old_file)
            messages.success(request, "Materi sudah disimpan.")
            return _go(staff, programme, "lessons")
    sent = {d.participant_id: d.sent_at for d in item.deliveries.all()}
    people = [(p, sent.get(p.pk)) for p in active_participants(programme)]
    return render(
        request,
        "programmes/learning_lesson.html",
        _ctx(
            staff,
            programme,
            form=form,
            lesson=item,
            kind=learning.lesson_kind(item),
            link=learning.lesson_link(item) if item.file else "",
            people=people,
            received=sum(1 for _p, at in people if at),
        ),
    )


@staff_view("manage_programmes")
@require_POST
def lesson_send(request, staff, code, lesson):
    programme = access_programme(staff, code)
    item = _lesson(programme, lesson)
    try:
        sent, already = learning.do_send_lesson(item, request.user)
    except learning.LearningError as e:
        messages.error(request, str(e))
    else:
        if sent:
            note = f" ({already} sudah menerimanya sebelumnya)" if already else ""
            messages.success(request, f"Materi “{item.title}” dikirim ke {sent} peserta{note}.")
        elif already:
            messages.success(request, "Semua peserta yang bersedia sudah menerima materi ini.")
        else:
            messages.error(request, "Belum ada peserta yang bersedia; materi belum dikirim.")
    return _go(staff, programme, "lessons")


@staff_view("manage_programmes")
def lesson_delete(request, staff, code, lesson):
    programme = access_programme(staff, code)
    item = _lesson(programme, lesson)
    if request.method == "POST":
        learning.do_delete_lesson(item, request.user)
        messages.success(request, f"Materi “{item.title}” sudah dihapus.")
        return _go(staff, programme, "lessons")
    return render(
        request,
        "programmes/learning_lesson_delete.html",
        _ctx(staff, programme, lesson=item, delivered=item.deliveries.count()),
    )


def lesson_file(request, token):
    """A lesson's image or PDF for Meta (which fetches WhatsApp media from this link) and
    the participant: a signed, expiring token for that one file, no login."""
    item = learning.lesson_from_token(token)
    if item is None:
        raise Http404
    _kind, content_type, _magic = learning.file_type(item.file.name)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=content_type, filename=learning.lesson_filename(item)
    )
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


# --- quizzes --------------------------------------------------------------------------------


@staff_view("view_programmes")
def quizzes(request, staff, code):
    programme = access_programme(staff, code)
    items = programme.quizzes.annotate(
        n_questions=Count("questions", distinct=True),
        n_finished=Count(
            "attempts",
            filter=Q(attempts__finished_at__isnull=False, attempts__participant__consent="given"),
            distinct=True,
        ),
    )
    return render(
        request,
        "programmes/learning_quizzes.html",
        _ctx(
            staff,
            programme,
            quizzes=[(q, learning.STATE_LABELS[learning.quiz_state(q)]) for q in items],
            active=active_participants(programme).count(),
            pairs=len(learning.pair_quizzes(programme)),
        ),
    )


@staff_view("manage_programmes")
def quiz_add(request, staff, code):
    programme = access_programme(staff, code)
    form = QuizForm(programme, request.POST or None, instance=Quiz(programme=programme))
    if request.method == "POST" and form.is_valid():
        quiz = learning.do_save_quiz(
            form.save(commit=False), request.user, copy_from=form.cleaned_data.get("copy_from")
        )
        messages.success(request, f"{quiz} sudah dibuat. Tambahkan soalnya di bawah.")
        return _go(staff, programme, "quiz", quiz.code)
    return render(request, "programmes/learning_quiz_add.html", _ctx(staff, programme, form=form))


@staff_view("view_programmes")
def quiz_detail(request, staff, code, quiz):
    programme = access_programme(staff, code)
    item = _quiz(programme, quiz)
    if request.method == "POST":
        staff.require("manage_programmes")
    form = QuizForm(programme, request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        learning.do_save_quiz(form.save(commit=False), request.user)
        messages.success(request, "Kuis sudah disimpan.")
        return _go(staff, programme, "quiz", item.code)
    questions = [
        (number, q, [(learning.letter(i), c) for i, c in enumerate(q.choices)])
        for number, q in enumerate(item.questions.all(), start=1)
    ]
    results = learning.quiz_results(item)
    return render(
        request,
        "programmes/learning_quiz.html",
        _ctx(
            staff,
            programme,
            quiz=item,
            form=form,
            state=learning.quiz_state(item),
            state_label=learning.STATE_LABELS[learning.quiz_state(item)],
            questions=questions,
            locked=learning.is_locked(item),
            results=results,
            waiting=sum(1 for r in results.participants if r.score is None),
            has_attempts=item.attempts.exists(),
        ),
    )


@staff_view("manage_programmes")
def quiz_delete(request, staff, code, quiz):
    programme = access_programme(staff, code)
    item = _quiz(programme, quiz)
    if request.method == "POST":
        try:
            learning.do_delete_quiz(item, request.user)
        except learning.LearningError as e:
            messages.error(request, str(e))
            return _go(staff, programme, "quiz", item.code)
        messages.success(request, f"{item} sudah dihapus.")
        return _go(staff, programme, "quizzes")
    return render(
        request,
        "programmes/learning_quiz_delete.html",
        _ctx(staff, programme, quiz=item, has_attempts=item.attempts.exists()),
    )


def _quiz_action(request, staff, code, quiz, action, done):
    """Run ``action`` on the quiz; ``done(result)`` is the message for the staff member."""
    programme = access_programme(staff, code)
    item = _quiz(programme, quiz)
    try:
        result = action(item, request.user)
    except learning.LearningError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, done(result))
    return _go(staff, programme, "quiz", item.code)


@staff_view("manage_programmes")
@require_POST
def quiz_open(request, staff, code, quiz):
    return _quiz_action(
        request, staff, code, quiz, learning.do_open_quiz,
        lambda _: "Kuis dibuka. Peserta bisa mengerjakannya dengan mengetik kuis, atau tekan "
        "Kirim kuis.",
    )  # fmt: skip


@staff_view("manage_programmes")
@require_POST
def quiz_close(request, staff, code, quiz):
    return _quiz_action(
        request, staff, code, quiz, learning.do_close_quiz,
        lambda _: "Kuis ditutup. Jawaban baru tidak diterima lagi.",
    )  # fmt: skip


def _sent_text(sent: int) -> str:
    if sent:
        return f"Soal dikirim ke {sent} peserta yang belum selesai."
    return (
        "Tidak ada yang dikirim: semua peserta yang bersedia sudah selesai, atau belum ada "
        "peserta yang bersedia."
    )


@staff_view("manage_programmes")
@require_POST
def quiz_send(request, staff, code, quiz):
    return _quiz_action(request, staff, code, quiz, learning.do_send_quiz, _sent_text)


def _question_page(request, staff, programme, item, question, number):
    locked = learning.is_locked(item)
    initial = {}
    if question is not None:
        initial = {
            "text": question.text,
            "choices": "\n".join(question.choices),
            "correct": learning.letter(question.correct) if question.correct < 10 else "",
        }
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            learning.do_save_question(
                item,
                request.user,
                question=question,
                text=form.cleaned_data["text"].strip(),
                choices=form.cleaned_data["choices"],
                correct=form.cleaned_data["correct"],
            )
        except learning.LearningError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "Soal sudah disimpan.")
            if "lagi" in request.POST:
                return _go(staff, programme, "question_add", item.code)
        return _go(staff, programme, "quiz", item.code)
    return render(
        request,
        "programmes/learning_question.html",
        _ctx(
            staff, programme, quiz=item, form=form, question=question, number=number, locked=locked
        ),
    )


@staff_view("manage_programmes")
def question_add(request, staff, code, quiz):
    programme = access_programme(staff, code)
    item = _quiz(programme, quiz)
    return _question_page(request, staff, programme, item, None, item.questions.count() + 1)


@staff_view("manage_programmes")
def question_edit(request, staff, code, quiz, number):
    programme = access_programme(staff, code)
    item = _quiz(programme, quiz)
    return _question_page(request, staff, programme, item, _question(item, number), number)


@staff_view("manage_programmes")
@require_POST
def question_delete(request, staff, code, quiz, number):
    programme = access_programme(staff, code)
    item = _quiz(programme, quiz)
    question = _question(item, number)
    try:
        learning.do_delete_question(item, question, request.user)
    except learning.LearningError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Soal {number} sudah dihapus.")
    return _go(staff, programme, "quiz", item.code)


@staff_view("view_programmes")
def quiz_results(request, staff, code, quiz):
    programme = access_programme(staff, code)
    item = _quiz(programme, quiz)
    results = learning.quiz_results(item)
    questions = [
        (
            q,
            [
                (learning.letter(i), choice, q.counts[i], i == q.question.correct)
                for i, choice in enumerate(q.question.choices)
            ],
        )
        for q in results.questions
    ]
    return render(
        request,
        "programmes/learning_results.html",
        _ctx(staff, programme, quiz=item, results=results, questions=questions),
    )


@staff_view("view_programmes")
def quiz_compare(request, staff, code):
    programme = access_programme(staff, code)
    return render(
        request,
        "programmes/learning_compare.html",
        _ctx(staff, programme, comparisons=learning.pre_post(programme)),
    )
