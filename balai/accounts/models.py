"""Two-step login for staff: a TOTP app (RFC 6238, 6 digits, 30 s) and one-time recovery
codes, and where platform operators require it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from balai.lib.crypto import EncryptedCharField


class TwoFactor(models.Model):
    """A staff member's authenticator app. Active once confirmed with a first code."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    secret = EncryptedCharField()  # base32, encrypted like NIK/KK
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step a code was accepted for: a code works once.
    last_step = models.BigIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "login dua langkah"
        verbose_name_plural = "login dua langkah"

    def __str__(self):
        return f"{self.user} ({'aktif' if self.confirmed_at else 'belum dikonfirmasi'})"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code for when the phone is lost; only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=200)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "kode pemulihan"
        verbose_name_plural = "kode pemulihan"

    def __str__(self):
        return f"{self.user} ({'terpakai' if self.used_at else 'belum dipakai'})"


class TwoFactorRequirement(models.Model):
    """Platform operators require two-step login for a village's staff, or (no village) for
    every staff member."""

    village = models.OneToOneField(
        "villages.Village",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="Kosongkan untuk mewajibkan semua petugas di semua desa.",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "kewajiban login dua langkah"
        verbose_name_plural = "kewajiban login dua langkah"

    def __str__(self):
        return f"Wajib: {self.village or 'semua desa'}"
