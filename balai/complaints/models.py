"""Complaints (pengaduan) and suggestions (aspirasi): one flow, two kinds.

States follow FixMyStreet's open/closed/fixed split: a resolved complaint gets a
"sudah beres?" follow-up whose answer can reopen it.
"""

from django.conf import settings
from django.db import models

from balai.residents.models import Resident
from balai.villages.models import Village
from balai.whatsapp.models import Media

DEFAULT_CATEGORIES = [
    ("jalan", "Jalan/jembatan"),
    ("lampu", "Lampu jalan"),
    ("air", "Air bersih"),
    ("sampah", "Sampah/lingkungan"),
    ("bansos", "Bantuan sosial"),
    ("keamanan", "Keamanan"),
    ("pelayanan", "Pelayanan desa"),
    ("lainnya", "Lainnya"),
]


class Category(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.CASCADE, related_name="complaint_categories"
    )
    slug = models.SlugField(max_length=40)
    name = models.CharField("nama", max_length=60)
    position = models.PositiveSmallIntegerField("urutan", default=0)
    is_active = models.BooleanField("aktif", default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "kategori pengaduan"
        verbose_name_plural = "kategori pengaduan"
        constraints = [
            models.UniqueConstraint(fields=["village", "slug"], name="category_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ComplaintState(models.TextChoices):
    RECEIVED = "received", "Diterima"
    IN_PROGRESS = "in_progress", "Sedang ditangani"
    RESOLVED = "resolved", "Selesai ditangani"
    CLOSED = "closed", "Ditutup"
    REJECTED = "rejected", "Tidak dapat ditindaklanjuti"
    REOPENED = "reopened", "Dibuka kembali"


OPEN_STATES = [ComplaintState.RECEIVED, ComplaintState.IN_PROGRESS, ComplaintState.REOPENED]


class ComplaintQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES)


class Complaint(models.Model):
    class Kind(models.TextChoices):
        COMPLAINT = "complaint", "Pengaduan"
        SUGGESTION = "suggestion", "Aspirasi/usulan"

    class FollowUp(models.TextChoices):
        YES = "ya", "Sudah beres"
        NO = "belum", "Belum beres"
        PARTLY = "sebagian", "Sebagian"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="complaints")
    code = models.CharField("nomor tiket", max_length=20, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.COMPLAINT)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="complaints")
    description = models.TextField("isi", max_length=4000)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="complaints")
    show_name = models.BooleanField("nama boleh ditampilkan", default=False)
    photo = models.ForeignKey(Media, on_delete=models.SET_NULL, null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_text = models.CharField("lokasi", max_length=300, blank=True)
    state = models.CharField(
        max_length=20, choices=ComplaintState.choices, default=ComplaintState.RECEIVED
    )
    submitted_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    follow_up_sent_at = models.DateTimeField(null=True, blank=True)
    follow_up_answer = models.CharField(max_length=10, choices=FollowUp.choices, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
    )
    # Moderation before anything is public: the resident's own words stay as sent
    # (``description``); the public board shows ``public_text`` when staff redacted it.
    public_text = models.TextField("teks untuk publik", max_length=4000, blank=True)
    hidden = models.BooleanField("sembunyikan dari publik", default=False)
    photo_hidden = models.BooleanField("sembunyikan foto dari publik", default=False)
    # Set when staff have looked at what the public board would show; until then nothing of
    # the complaint is public, whatever the village's board setting.
    moderated_at = models.DateTimeField("diperiksa untuk publik", null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    updated = models.DateTimeField(auto_now=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = "pengaduan"
        verbose_name_plural = "pengaduan"
        indexes = [
            models.Index(fields=["village", "state", "submitted_at"]),
            models.Index(
                fields=["village", "submitted_at"],
                condition=models.Q(state__in=OPEN_STATES),
                name="complaint_open_desk",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.category}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def shown_text(self) -> str:
        return self.public_text or self.description

    @property
    def public_name(self) -> str:
        return self.resident.name if self.show_name else "Warga (nama dirahasiakan)"


class ComplaintEvent(models.Model):
    """Append-only history; ``internal`` notes are for staff only."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    state = models.CharField(max_length=20, choices=ComplaintState.choices)
    action = models.CharField(max_length=40, blank=True)
    note = models.TextField("catatan untuk warga", blank=True)
    internal = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created = models.DateTimeField()

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint.code}: {self.state}"
