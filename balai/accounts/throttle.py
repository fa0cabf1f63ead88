"""Login throttling: after N failures for a username (or from an address) within the
lockout window, further attempts are refused with a clear message. Kept in the shared cache
so every web process sees the same counts."""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, ip: str) -> list[str]:
    user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:u:{user}", f"login-fail:ip:{ip}"]


def _limits(key: str) -> int:
    # An address may fail more often than one username (an office shares one address).
    return settings.LOGIN_MAX_FAILURES * (4 if ":ip:" in key else 1)


def is_locked(username: str, ip: str) -> bool:
    return any((cache.get(k) or 0) >= _limits(k) for k in _keys(username, ip))


def record_failure(username: str, ip: str) -> None:
    timeout = settings.LOGIN_LOCKOUT_MINUTES * 60
    for key in _keys(username, ip):
        if not cache.add(key, 1, timeout):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout)


def clear(username: str, ip: str) -> None:
    cache.delete(_keys(username, ip)[0])


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
