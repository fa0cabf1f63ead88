"""Two-step login: TOTP codes (RFC 6238 via pyotp) from an authenticator app, and one-time
recovery codes kept only as password hashes.

A code is accepted for the current 30-second step or one step either side (phone clocks
drift), and only once: ``TwoFactor.last_step`` remembers the step last used. Wrong codes are
counted per user in the shared cache, as failed passwords are (``accounts/throttle.py``).
"""

import hmac
import re
import secrets
import time

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from balai.accounts.models import RecoveryCode, TwoFactor, TwoFactorRequirement
from balai.lib import ratelimit

ISSUER = "Balai"
STEP_SECONDS = 30
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
SESSION_PENDING = "two_factor_pending"  # password right, code still to come
SESSION_VERIFIED = "two_factor_verified"
SESSION_SETUP = "two_factor_setup_required"  # required, not set up yet (decided at login)


class TwoFactorError(Exception):
    """Something the staff member can fix; the message says what, in Indonesian."""


# --- who needs it ---------------------------------------------------------------------------


def is_enabled(user) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def is_required(user) -> bool:
    """Required for everyone (``TWO_FACTOR_REQUIRED`` or a requirement without a village),
    or for the staff of a village the user works in."""
    if settings.TWO_FACTOR_REQUIRED:
        return True
    return TwoFactorRequirement.objects.filter(
        Q(village__isnull=True)
        | Q(village__memberships__user=user, village__memberships__is_active=True)
    ).exists()


# --- codes ----------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def otpauth_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code image (an SVG data URI: no file, no request)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _clean(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def matching_step(secret: str, code: str, after_step: int = 0, now: float | None = None):
    """The 30-second step ``code`` belongs to (now or one step either side) if it is later
    than ``after_step``; else None."""
    code = _clean(code)
    if not re.fullmatch(r"[0-9]{6}", code):  # not \d: other scripts' digits are not codes
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(code: str) -> str:
    # Salted and slow like a password (not keyed by FIELD_ENCRYPTION_KEY, so a key
    # rotation leaves them working).
    return make_password(_clean(code))


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# --- throttle -------------------------------------------------------------------------------


def _fail_key(user) -> str:
    return f"two-factor-fail:{user.pk}"


def is_locked(user) -> bool:
    return ratelimit.count(_fail_key(user)) >= settings.TWO_FACTOR_MAX_FAILURES


def _record_failure(user) -> None:
    ratelimit.record(_fail_key(user), settings.LOGIN_LOCKOUT_MINUTES * 60)


# --- writes ---------------------------------------------------------------------------------


def do_start(user) -> TwoFactor:
    """A new secret waiting for its first code (any earlier unconfirmed one is replaced)."""
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().filter(user=user).first()
        if device and device.is_active:
            raise TwoFactorError("Login dua langkah sudah aktif.")
        if device is None:
            device = TwoFactor(user=user)
        device.secret = new_secret()
        device.created = timezone.now()
        device.save()
        return device


def do_confirm(user, code: str) -> list[str]:
    """Switch on with the first code from the app; returns the recovery codes (shown once)."""
    if is_locked(user):
        raise TwoFactorError(locked_message())
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().filter(user=user).first()
        if device is None or device.is_active:
            raise TwoFactorError("Mulai lagi dari halaman akun.")
        step = matching_step(device.secret, code)
        if step is None:
            _record_failure(user)
            raise TwoFactorError(
                "Kode tidak cocok. Ketik 6 angka yang sedang tampil di aplikasi, lalu coba lagi."
            )
        device.confirmed_at = timezone.now()
        device.last_step = step
        device.save(update_fields=["confirmed_at", "last_step"])
        return _replace_recovery_codes(user)


def do_verify(user, code: str) -> str | None:
    """Check a login code: "totp" or "recovery" (that recovery code is used up), or None.
    Raises TwoFactorError when too many wrong codes were tried."""
    if is_locked(user):
        raise TwoFactorError(locked_message())
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().filter(user=user).first()
        if device is None or not device.is_active:
            return None
        step = matching_step(device.secret, code, after_step=device.last_step)
        if step is not None:
            device.last_step = step
            device.save(update_fields=["last_step"])
            return "totp"
        cleaned = _clean(code)
        if re.fullmatch(r"[A-Z0-9]{10}", cleaned):
            for recovery in RecoveryCode.objects.select_for_update().filter(
                user=user, used_at__isnull=True
            ):
                if check_password(cleaned, recovery.code_hash):
                    recovery.used_at = timezone.now()
                    recovery.save(update_fields=["used_at"])
                    return "recovery"
    _record_failure(user)
    return None


def _replace_recovery_codes(user) -> list[str]:
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes
    )
    return codes


def do_new_recovery_codes(user) -> list[str]:
    if not is_enabled(user):
        raise TwoFactorError("Login dua langkah belum aktif.")
    with transaction.atomic():
        return _replace_recovery_codes(user)


def do_disable(user) -> None:
    with transaction.atomic():
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def remaining_recovery_codes(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def locked_message() -> str:
    return (
        "Terlalu banyak kode yang salah. Silakan coba lagi "
        f"{settings.LOGIN_LOCKOUT_MINUTES} menit lagi, atau minta bantuan operator platform."
    )
