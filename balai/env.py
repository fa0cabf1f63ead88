"""Small helpers that read settings from the environment.

Every helper also honours a ``NAME_FILE`` variant (the value is read from that file), so
secrets can come from Docker/systemd credentials. Bad values raise ``ImproperlyConfigured``
with one line that says what to fix.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envraw(name: str) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(
                f"{name}_FILE={file_name}: cannot read ({e.strerror})"
            ) from e
    return os.environ.get(name)


def envstr(name: str, default: str = "") -> str:
    value = envraw(name)
    return default if value is None else value


def envbool(name: str, default: bool) -> bool:
    value = envraw(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false")


def envint(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = envraw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is too small: the minimum is {minimum}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is too large: the maximum is {maximum}")
    return number


def envsecret(name: str, *, fallback_file: Path | None, min_length: int = 32) -> str:
    """A secret from the environment, or (demo/debug only) one generated into ``fallback_file``.

    In production ``fallback_file`` is None and a missing secret stops start-up.
    """
    value = envraw(name)
    if value:
        if len(value) < min_length:
            raise ImproperlyConfigured(f"{name} is too short: use at least {min_length} characters")
        return value
    if fallback_file is None:
        raise ImproperlyConfigured(
            f"{name} is not set: production mode (DEBUG off) needs it; "
            f"generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if fallback_file.exists():
        return fallback_file.read_text().strip()
    import secrets

    fallback_file.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fallback_file.write_text(value + "\n")
    fallback_file.chmod(0o600)
    return value
