"""Community programmes run by facilitators (KKN students, digital trainers) in a village:
participants and their consent, the WhatsApp group, activities with reminders and
attendance, lessons, quizzes, documentation, logbook and the supervising lecturer's
comments. Everything here is evidence for the programme report, so histories are
append-only rows, not overwritten fields."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from balai.lib.codes import new_code
from balai.residents.models import Resident
from balai.villages.models import Area, Village
from balai.whatsapp.models import Media, OutboundMessage


def validate_followup_months(value: int) -> None:
    if value and not 6 <= value <= 12:
        raise ValidationError("Isi 0 (tidak ada) atau 6 sampai 12 bulan.")


def validate_followup_day(value: int) -> None:
    if not 1 <= value <= 28:
        raise ValidationError("Isi tanggal 1 sampai 28.")


class Programme(models.Model):
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="programmes")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    title = models.CharField("judul", max_length=150)
    purpose = models.TextField("latar belakang dan tujuan", max_length=4000)
    objectives = models.JSONField("sasaran", default=list, blank=True)
    target_group = models.CharField(
        "kelompok sasaran", max_length=150, help_text="Mis. pedagang pasar, perajin sokasi"
    )
    starts_on = models.DateField("mulai")
    ends_on = models.DateField("selesai")
    university = models.CharField("perguruan tinggi / lembaga", max_length=150, blank=True)
    cohort = models.CharField("angkatan / skema", max_length=100, blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="programmes_facilitated", blank=True
    )
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="programmes_supervised", blank=True
    )
    # The WhatsApp group is made by people in the app (the Cloud API's groups are too
    # small); Balai records it and keeps its own roster as the truth.
    group_name = models.CharField("nama grup WhatsApp", max_length=100, blank=True)
    group_formed_on = models.DateField("tanggal grup dibentuk", null=True, blank=True)
    group_invite_link = models.URLField("tautan undangan grup", blank=True)
    opening_info = models.TextField("informasi awal", max_length=3000, blank=True)
    # Minutes before an activity at which participants are reminded.
    reminder_offsets = models.JSONField(default=list, blank=True)
    # Monthly follow-up on WhatsApp after the programme ends (followup.py): 0 = off, else
    # 6–12 months, asked on ``followup_day`` of each month about the month before.
    followup_months = models.PositiveSmallIntegerField(
        "lama pendampingan lanjutan (bulan)",
        default=0,
        validators=[validate_followup_months],
        help_text="0 = tidak ada; 6–12 bulan sesudah program selesai",
    )
    followup_question = models.CharField(
        "pertanyaan tambahan",
        max_length=300,
        blank=True,
        help_text="Mis. Berapa pesanan yang datang lewat WhatsApp bulan ini?",
    )
    followup_day = models.PositiveSmallIntegerField(
        "tanggal bertanya tiap bulan",
        default=1,
        validators=[validate_followup_day],
        help_text="1–28",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = "program"
        verbose_name_plural = "program"

    def __str__(self) -> str:
        return self.title


class AgeGroup(models.TextChoices):
    UNDER_25 = "<25", "di bawah 25"
    FROM_25 = "25-39", "25–39"
    FROM_40 = "40-54", "40–54"
    FROM_55 = "55+", "55 ke atas"


class ConsentState(models.TextChoices):
    NOT_ASKED = "not_asked", "Belum ditanya"
    ASKED = "asked", "Menunggu jawaban"
    GIVEN = "given", "Bersedia"
    REFUSED = "refused", "Tidak bersedia"
    WITHDRAWN = "withdrawn", "Mengundurkan diri"


class Participant(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="participants")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="programmes")
    business = models.CharField("usaha / komoditas", max_length=150, blank=True)
    age_group = models.CharField(
        "kelompok umur", max_length=5, choices=AgeGroup.choices, blank=True
    )
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, verbose_name="dusun"
    )
    consent = models.CharField(
        max_length=10, choices=ConsentState.choices, default=ConsentState.NOT_ASKED
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    in_group = models.BooleanField("anggota grup", default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resident__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "resident"], name="participant_once_per_programme"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident.name} ({self.programme})"

    @property
    def active(self) -> bool:
        """Only participants who said yes (and have not withdrawn) get programme messages."""
        return self.consent == ConsentState.GIVEN


class ConsentEvent(models.Model):
    """Evidence for the consent register: what was asked, what was answered, when, and the
    WhatsApp message id. Append-only."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Permohonan dikirim"
        REMINDED = "reminded", "Pengingat dikirim"
        GIVEN = "given", "Bersedia"
        REFUSED = "refused", "Tidak bersedia"
        WITHDRAWN = "withdrawn", "Mengundurkan diri"

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="consent_events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True, help_text="The request as sent, or the answer as typed")
    # The answer's inbound message id; for a request, the outbound row (its wamid once sent).
    wamid = models.CharField(max_length=200, blank=True)
    outbound = models.ForeignKey(
        OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.participant}: {self.get_kind_display()}"


class Activity(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="activities")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    title = models.CharField("topik", max_length=150)
    starts_at = models.DateTimeField("mulai")
    ends_at = models.DateTimeField("selesai", null=True, blank=True)
    place = models.CharField("tempat", max_length=200, blank=True)
    online_link = models.URLField("tautan daring", blank=True)
    materials = models.TextField("materi / catatan", max_length=3000, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = "kegiatan"
        verbose_name_plural = "kegiatan"

    def __str__(self) -> str:
        return self.title


class Reminder(models.Model):
    """One reminder to one participant for one activity at one offset: the unique key makes
    the periodic sender idempotent across workers and restarts."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="reminders")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    offset_minutes = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "participant", "offset_minutes"], name="reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity} → {self.participant} ({self.offset_minutes} min)"


class Attendance(models.Model):
    class Answer(models.TextChoices):
        COMING = "coming", "Akan hadir"
        CANNOT = "cannot", "Tidak bisa"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendance"
    )
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # What the facilitator recorded on the day; None = not marked yet.
    present = models.BooleanField(null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "participant"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.activity}"


class Lesson(models.Model):
    """Material sent to participants: text, an image or PDF, a video link."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="lessons")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField("judul", max_length=150)
    body = models.TextField("isi", max_length=3000, blank=True)
    file = models.FileField("gambar / PDF", upload_to="programmes/lessons/%Y/%m/", blank=True)
    video_url = models.URLField("tautan video", blank=True)
    send_at = models.DateTimeField("kirim otomatis pada", null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class LessonDelivery(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="deliveries")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lesson", "participant"], name="lesson_once")
        ]

    def __str__(self) -> str:
        return f"{self.lesson} → {self.participant}"


class Quiz(models.Model):
    class Kind(models.TextChoices):
        PRE = "pre", "Pre-test"
        POST = "post", "Post-test"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="quizzes")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    kind = models.CharField(max_length=4, choices=Kind.choices)
    title = models.CharField("judul", max_length=150)
    pass_mark = models.PositiveSmallIntegerField("nilai lulus (%)", default=70)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name_plural = "kuis"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField("pertanyaan", max_length=1000)
    choices = models.JSONField("pilihan", default=list)
    correct = models.PositiveSmallIntegerField("jawaban benar (urutan, mulai 0)")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class Attempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="attempts")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="percent")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["quiz", "participant"], name="attempt_once")]

    def __str__(self) -> str:
        return f"{self.participant} — {self.quiz}"


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choice = models.PositiveSmallIntegerField()
    is_correct = models.BooleanField()
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="answer_once")]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.question_id}"


class Photo(models.Model):
    """Documentation ("Foto 1 … Foto 4" of the field reports), from WhatsApp or uploaded."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="photos")
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    caption = models.CharField("keterangan", max_length=500, blank=True)
    file = models.FileField(upload_to="programmes/photos/%Y/%m/", blank=True)
    # PROTECT: received WhatsApp media may be cleaned up one day; documentation is evidence.
    media = models.ForeignKey(Media, on_delete=models.PROTECT, null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField()

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.caption or self.code


class LogEntry(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="log")
    date = models.DateField("tanggal")
    text = models.TextField("catatan", max_length=3000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date}: {self.text[:40]}"


class Comment(models.Model):
    """The supervising lecturer's (DPL) comments, and replies from facilitators."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(max_length=3000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.text[:40]


class CheckIn(models.Model):
    """One participant's monthly follow-up for one month (``period`` = the first day of the
    month reported on). The unique (participant, period) key makes asking idempotent across
    workers and crashes; the answer is kept here and, when the participant is a seller,
    also written as a ``market.Sale`` (source CHECKIN) dated the period."""

    class State(models.TextChoices):
        ASKED = "asked", "Ditanyakan"
        REMINDED = "reminded", "Sudah diingatkan"
        ANSWERED = "answered", "Dijawab"
        SKIPPED = "skipped", "Tidak dijawab"
        STOPPED = "stopped", "Berhenti"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="checkins")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="checkins")
    period = models.DateField("bulan")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ASKED)
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # Which question the conversation waits for: "sales", "custom" or "" (done).
    step = models.CharField(max_length=10, blank=True, default="sales")
    sales_amount = models.PositiveBigIntegerField("penjualan (Rp)", null=True, blank=True)
    sales_text = models.CharField("jawaban penjualan", max_length=500, blank=True)
    custom_answer = models.TextField("jawaban tambahan", max_length=1000, blank=True)
    custom_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    sale = models.ForeignKey(
        "market.Sale", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outbound = models.ForeignKey(
        OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["period", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "period"], name="checkin_once")
        ]
        indexes = [models.Index(fields=["programme", "period"])]

    def __str__(self) -> str:
        return f"{self.participant} {self.period:%Y-%m}"

    @property
    def is_open(self) -> bool:
        return self.state in {self.State.ASKED, self.State.REMINDED}


ACTIVE = Q(consent=ConsentState.GIVEN)
