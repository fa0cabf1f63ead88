"""Login throttling: after N failures for a username (or from an address) within the
lockout window, further attempts are refused with a clear message. Kept in the shared cache
so every web process sees the same counts."""

import hashlib

from django.conf import settings
from django.core.cache import cache

from balai.lib import ratelimit


def _keys(username: str, ip: str) -> list[str]:
    user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:u:{user}", f"login-fail:ip:{ip}"]


def _limits(key: str) -> int:
    # An address may fail more often than one username (an office shares one address).
    return settings.LOGIN_MAX_FAILURES * (4 if ":ip:" in key else 1)


def is_locked(username: str, ip: str) -> bool:
    return any(ratelimit.count(k) >= _limits(k) for k in _keys(username, ip))


def record_failure(username: str, ip: str) -> None:
    for key in _keys(username, ip):
        ratelimit.record(key, settings.LOGIN_LOCKOUT_MINUTES * 60)


def clear(username: str, ip: str) -> None:
    cache.delete(_keys(username, ip)[0])


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
