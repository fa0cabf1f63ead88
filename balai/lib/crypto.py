"""Encryption at rest for identifying numbers (NIK, KK) and the keyed hash used to find them.

Values are encrypted with Fernet (AES-128-CBC + HMAC) under ``FIELD_ENCRYPTION_KEYS``; the
first key encrypts, all keys decrypt, so keys can be rotated. Lookups use an HMAC-SHA256 of
the normalised value under a key derived from the first key, so equal numbers can be found
without decrypting every row.
"""

import base64
import hashlib
import hmac
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _derive(secret: str, purpose: bytes) -> bytes:
    return hashlib.sha256(purpose + b"\0" + secret.encode()).digest()


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(_derive(k, b"balai-field-encryption"))) for k in keys]
    )


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt field: wrong FIELD_ENCRYPTION_KEY?") from None


def lookup_hash(value: str, secret: str | None = None) -> str:
    """The hash stored beside an encrypted value, under the first key (or ``secret``)."""
    key = _derive(secret or settings.FIELD_ENCRYPTION_KEYS[0], b"balai-lookup-hash")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def lookup_hashes(value: str) -> list[str]:
    """The value's hash under every key, newest first: what to search for while rows
    written under an older key wait for ``balai rotate_keys``."""
    return [lookup_hash(value, k) for k in settings.FIELD_ENCRYPTION_KEYS]


def current_fernet() -> MultiFernet:
    """The first key alone: a token it opens needs no re-encryption."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS[:1]))


def rotate(token: str) -> str:
    """Re-encrypt a token (under any listed key) with the first key."""
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).rotate(token.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt field: wrong FIELD_ENCRYPTION_KEY?") from None


class EncryptedCharField(models.TextField):
    """A text column holding ciphertext; Python code only ever sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return value if value in (None, "") else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None if self.null else ""
        return "" if value == "" else encrypt(value)


class EncryptedJSONField(models.TextField):
    """JSON encrypted as a whole: for state that may hold an identity number, such as a
    conversation's answers (a NIK typed halfway through a letter request)."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return None
        # Rows written before the column was encrypted hold plain JSON; Fernet tokens start
        # with "gAAAA" (version byte 0x80), which JSON never does.
        return json.loads(decrypt(value) if value.startswith("gAAAA") else value)

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, default=str))

    def to_python(self, value):
        if isinstance(value, str) and value:
            return self.from_db_value(value, None, None)
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, default=str)
