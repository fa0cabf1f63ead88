"""Fixed-window counters in the shared cache, so every web process sees the same counts
(Redis in production, the database cache otherwise)."""

from django.core.cache import cache


def count(key: str) -> int:
    return cache.get(key) or 0


def record(key: str, window_seconds: int) -> int:
    """Add one to ``key``'s count; the window starts with the first hit."""
    if cache.add(key, 1, window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_seconds)
        return 1
