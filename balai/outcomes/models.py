"""Outcome monitoring: indicators with a baseline and targets per period, values that
facilitators enter by hand, and the tokens BI tools read the JSON API with.

Ready-made indicators (``kind`` other than ``manual``) are computed from Balai's own data
by ``balai.outcomes.indicators``; nothing computed is stored. Periods are months, stored
as the first day of the month.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from balai.lib.codes import new_code
from balai.programmes.models import Programme
from balai.villages.models import Village


class Direction(models.TextChoices):
    HIGHER = "higher", "Makin tinggi makin baik"
    LOWER = "lower", "Makin rendah makin baik"


class Kind(models.TextChoices):
    """The ready-made indicators (``balai.outcomes.indicators.SPECS`` computes each) and
    ``manual`` for values typed in per period."""

    POST_PASS = "post_pass", "Peserta lulus post-test"
    SCORE_GAIN = "score_gain", "Kenaikan nilai pre-test → post-test"
    SALES = "sales", "Penjualan per peserta per bulan"
    SALES_ROSE = "sales_rose", "Peserta yang penjualannya naik"
    ORDERS = "orders", "Klik pesan lewat WhatsApp di katalog"
    CATALOGUE = "catalogue", "Peserta dengan produk di katalog"
    POSTS = "posts", "Konten promosi dibuat"
    PUBLISHED = "published", "Konten terbit di media sosial"
    CONSENT = "consent", "Peserta yang bersedia"
    ATTENDANCE = "attendance", "Kehadiran di kegiatan"
    QUIZ_DONE = "quiz_done", "Kuis yang diselesaikan"
    CHECKIN = "checkin", "Laporan bulanan yang dijawab"
    MANUAL = "manual", "Diisi manual"


def month_start(day):
    return day.replace(day=1) if day else day


class Indicator(models.Model):
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="indicators")
    # Empty = a village-level indicator over every programme of the village.
    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name="program",
    )
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    kind = models.CharField("jenis", max_length=12, choices=Kind.choices, default=Kind.MANUAL)
    short = models.CharField(
        "kode indikator", max_length=20, blank=True, help_text="Mis. IKU-1 (boleh kosong)"
    )
    name = models.CharField("nama indikator", max_length=200)
    unit = models.CharField("satuan", max_length=30, help_text="Mis. %, Rp, peserta, poin")
    direction = models.CharField(
        "arah", max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )
    baseline_value = models.DecimalField(
        "nilai baseline",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Kosongkan pada indikator siap pakai agar dihitung dari data periode baseline.",
    )
    baseline_start = models.DateField("baseline dari bulan", null=True, blank=True)
    baseline_end = models.DateField("baseline sampai bulan", null=True, blank=True)
    notes = models.TextField("catatan / definisi", max_length=2000, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "indikator"
        verbose_name_plural = "indikator"

    def __str__(self) -> str:
        return self.name

    @property
    def is_manual(self) -> bool:
        return self.kind == Kind.MANUAL

    def clean(self):
        super().clean()
        if self.programme_id and self.programme.village_id != self.village_id:
            raise ValidationError("Program harus dari desa yang sama.")
        self.baseline_start = month_start(self.baseline_start)
        self.baseline_end = month_start(self.baseline_end)
        if bool(self.baseline_start) != bool(self.baseline_end):
            raise ValidationError(
                {"baseline_end": "Isi bulan awal dan akhir baseline, atau kosongkan keduanya."}
            )
        if self.baseline_start and self.baseline_end < self.baseline_start:
            raise ValidationError({"baseline_end": "Bulan akhir baseline sebelum bulan awalnya."})


class Target(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    period = models.DateField("bulan")
    value = models.DecimalField("target", max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="target_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period:%Y-%m}: {self.value}"


class ManualValue(models.Model):
    """A value typed in by a facilitator. Append-only: a correction is a newer row for the
    same period and group, and the newest one counts."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    period = models.DateField("bulan")
    value = models.DecimalField("nilai", max_digits=16, decimal_places=2)
    # Disaggregation: "" = the whole group; else one of indicators.DIMENSIONS and its group.
    dimension = models.CharField("rincian", max_length=12, blank=True)
    group = models.CharField("kelompok", max_length=60, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "entered_at", "pk"]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period:%Y-%m}: {self.value}"


TOKEN_PREFIX = "blt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """Read-only access to one village's outcome tables for a BI tool. Only the SHA-256 of
    the token is stored (the token is random, 32 bytes, so a plain hash is enough); it is
    shown once, when it is made."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="api_tokens")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField("nama pemakai", max_length=100, help_text="Mis. Power BI Bappeda")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False)  # first characters, to recognise it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def generate() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    @property
    def active(self) -> bool:
        return self.revoked_at is None
