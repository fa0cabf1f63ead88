"""Letter types (per-village catalogue) and letter requests with their history.

A request is made on WhatsApp (balai.conversations.flows.letter) and worked by staff; every
state change is an event row and is pushed to the resident (balai.letters.actions).
"""

import datetime as dt

from django.conf import settings
from django.db import models

from balai.residents.models import Resident
from balai.villages.models import Village
from balai.whatsapp.models import Media


class LetterTypeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True).order_by("position", "pk")


class LetterType(models.Model):
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="letter_types")
    slug = models.SlugField(max_length=40)
    name = models.CharField("nama surat", max_length=150)
    keyword = models.CharField(
        "kata kunci",
        max_length=30,
        help_text="Warga mengetik LAYANAN <kata kunci> untuk langsung memulai, mis. SKTM.",
    )
    summary = models.CharField("kegunaan", max_length=300, blank=True)
    requirements = models.TextField("persyaratan", blank=True)
    documents = models.JSONField("dokumen", default=list, blank=True)
    fields = models.JSONField("isian", default=list, blank=True)
    head_of_family_only = models.BooleanField("hanya kepala keluarga", default=False)
    days = models.PositiveSmallIntegerField("lama proses (hari kerja)", default=3)
    cost = models.PositiveIntegerField("biaya (Rp)", default=0)
    classification_code = models.CharField(
        "kode klasifikasi", max_length=20, default="470", help_text="Kode arsip, mis. 470, 500"
    )
    number_format = models.CharField(
        "format nomor",
        max_length=120,
        default="[kode_klasifikasi]/[nomor:3]/[kode_desa]/[bulan_romawi]/[tahun]",
    )
    validity_days = models.PositiveSmallIntegerField("masa berlaku (hari)", default=30)
    position = models.PositiveSmallIntegerField("urutan", default=0)
    is_active = models.BooleanField("aktif", default=True)

    objects = LetterTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "jenis surat"
        verbose_name_plural = "jenis surat"
        constraints = [
            models.UniqueConstraint(fields=["village", "slug"], name="letter_type_slug_unique"),
            models.UniqueConstraint(
                fields=["village", "keyword"], name="letter_type_keyword_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def deep_link_text(self) -> str:
        return f"LAYANAN {self.keyword}"

    def requirement_lines(self) -> list[str]:
        lines = [
            f"{d['label']}{'' if d.get('required', True) else ' (bila ada)'}"
            for d in self.documents
        ]
        return lines

    def due_date(self, start: dt.date) -> dt.date:
        """``days`` working days after ``start`` (weekends skipped; holidays per village)."""
        day, left = start, self.days
        holidays = set(self.village.holidays.values_list("date", flat=True))
        while left > 0:
            day += dt.timedelta(days=1)
            if day.weekday() < 5 and day not in holidays:
                left -= 1
        return day


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", "Diajukan"
    IN_REVIEW = "in_review", "Sedang diperiksa"
    NEEDS_INFO = "needs_info", "Perlu data tambahan"
    AWAITING_SIGNATURE = "awaiting_signature", "Menunggu tanda tangan"
    READY = "ready", "Siap diambil"
    COMPLETED = "completed", "Selesai"
    REJECTED = "rejected", "Ditolak"
    CANCELLED = "cancelled", "Dibatalkan"


OPEN_STATES = [
    RequestState.SUBMITTED,
    RequestState.IN_REVIEW,
    RequestState.NEEDS_INFO,
    RequestState.AWAITING_SIGNATURE,
    RequestState.READY,
]


class LetterRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def of_contact(self, resident: Resident):
        """Requests a WhatsApp user made, or that are about them."""
        return self.filter(models.Q(contact=resident) | models.Q(resident=resident))


class LetterRequest(models.Model):
    class Identity(models.TextChoices):
        MATCHED = "matched", "Cocok dengan data desa"
        NEW = "new", "Warga baru, belum diperiksa"
        MISMATCH = "mismatch", "NIK terdaftar, nama/tanggal lahir berbeda"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="letter_requests")
    code = models.CharField("nomor tiket", max_length=20, unique=True)
    letter_type = models.ForeignKey(LetterType, on_delete=models.PROTECT, related_name="requests")
    # Whom the letter is about, and who asked for it on WhatsApp (often the same person).
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="letter_requests")
    contact = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="letter_requests_made",
    )
    identity = models.CharField(max_length=10, choices=Identity.choices)
    answers = models.JSONField("isian", default=dict)
    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.SUBMITTED
    )
    # Position in the village's approval chain (balai.letters.workflow): 0 = first step.
    stage = models.PositiveSmallIntegerField(default=0)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    submitted_at = models.DateTimeField()
    due_date = models.DateField("target selesai")
    completed_at = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    objects = LetterRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = "permohonan surat"
        verbose_name_plural = "permohonan surat"
        indexes = [
            models.Index(fields=["village", "state", "submitted_at"]),
            # The queue: open requests by due date (make bench-console: 91 → 6 ms).
            models.Index(
                fields=["village", "due_date", "submitted_at"],
                condition=models.Q(state__in=OPEN_STATES),
                name="letter_request_open_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.letter_type}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def answer_lines(self) -> list[tuple[str, str]]:
        labels = {f["key"]: f["label"] for f in self.letter_type.fields}
        return [(labels.get(k, k), str(v)) for k, v in self.answers.items()]


class RequestAttachment(models.Model):
    request = models.ForeignKey(LetterRequest, on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=40)
    label = models.CharField(max_length=150)
    media = models.ForeignKey(Media, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return self.label


class RequestEvent(models.Model):
    """One step in a request's history, as the resident and staff see it. Append-only:
    events are never edited or deleted."""

    request = models.ForeignKey(LetterRequest, on_delete=models.CASCADE, related_name="events")
    state = models.CharField(max_length=20, choices=RequestState.choices)
    # What happened: submitted, approve:<step>, need_info, info_received, reject, sign,
    # deliver, ready, picked_up, note (internal), cancel.
    action = models.CharField(max_length=40, blank=True)
    note = models.TextField("catatan untuk warga", blank=True)
    internal = models.BooleanField("catatan internal", default=False)
    media = models.ForeignKey(Media, on_delete=models.SET_NULL, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created = models.DateTimeField()

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.request.code}: {self.state}"


class Paper(models.TextChoices):
    A4 = "A4", "A4 (210 × 297 mm)"
    F4 = "F4", "F4 / folio (215 × 330 mm)"


class LetterTemplate(models.Model):
    """The HTML of one letter type's letter in one village, with [placeholders]."""

    letter_type = models.OneToOneField(
        LetterType, on_delete=models.CASCADE, related_name="template"
    )
    html = models.TextField("isi surat (HTML)")
    paper = models.CharField("kertas", max_length=2, choices=Paper.choices, default=Paper.A4)
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    def __str__(self) -> str:
        return f"Templat {self.letter_type}"


class IssuedLetter(models.Model):
    """A signed letter: its number (taken when the kades signs, never earlier), the PDF as
    issued, its SHA-256, and the token behind the QR code on it."""

    request = models.OneToOneField(LetterRequest, on_delete=models.PROTECT, related_name="issued")
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="letters")
    number = models.CharField("nomor surat", max_length=120)
    sequence = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    valid_until = models.DateField(null=True, blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    signer_name = models.CharField(max_length=150)
    signer_title = models.CharField(max_length=100)
    pdf = models.FileField(upload_to="letters/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    verify_token = models.CharField(max_length=40, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="letter_number_unique")
        ]

    def __str__(self) -> str:
        return self.number
