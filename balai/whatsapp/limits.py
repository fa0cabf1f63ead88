"""Rate limits shared by every process: token buckets in Redis, or in the database.

Two limits apply to each send (reference/whatsapp.md §3.3): the sending number's throughput
(default 80 messages/second) and Meta's pair limit per recipient (sustained 1 per 6 seconds,
short bursts allowed). ``acquire`` takes one token or says how long to wait.
"""

import time

from django.conf import settings
from django.db import connection

_LUA = """
local tokens = tonumber(redis.call('HGET', KEYS[1], 't'))
local updated = tonumber(redis.call('HGET', KEYS[1], 'u'))
local capacity = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
if tokens == nil then tokens = capacity; updated = now end
tokens = math.min(capacity, tokens + (now - updated) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return tostring(wait)
"""
_script = None


def _redis_acquire(key: str, capacity: float, rate: float, now: float) -> float:
    global _script
    if _script is None:
        import redis

        _script = redis.Redis.from_url(settings.REDIS_URL).register_script(_LUA)
    return float(_script(keys=[f"balai:rate:{key}"], args=[capacity, rate, now]))


# One statement takes a token (PostgreSQL, SQLite ≥ 3.35): insert a full bucket less one, or
# refill the existing one and take a token only if one is there. When none is, the row is
# left as it was (refilling is linear, so not writing it changes nothing) and no row comes
# back. The row is locked for this statement only, not across round trips.
_T = "whatsapp_ratebucket"
_REFILL = f"(CASE WHEN %(now)s > {_T}.updated THEN %(now)s - {_T}.updated ELSE 0 END) * %(rate)s"
_AVAILABLE = (
    f"CASE WHEN {_T}.tokens + {_REFILL} > %(capacity)s THEN %(capacity)s"
    f" ELSE {_T}.tokens + {_REFILL} END"
)
# Only these constant fragments are interpolated; every value is a parameter.
_TAKE = (
    f'INSERT INTO {_T} ("key", tokens, updated) VALUES (%(key)s, %(capacity)s - 1, %(now)s)'  # noqa: S608
    f' ON CONFLICT ("key") DO UPDATE SET tokens = {_AVAILABLE} - 1, updated = %(now)s'
    f" WHERE {_AVAILABLE} >= 1 RETURNING {_T}.tokens"
)
_PEEK = f'SELECT {_AVAILABLE} FROM {_T} WHERE "key" = %(key)s'  # noqa: S608


def _db_acquire(key: str, capacity: float, rate: float, now: float) -> float:
    params = {"key": key, "capacity": float(capacity), "rate": float(rate), "now": float(now)}
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, params)
        if cursor.fetchone() is not None:
            return 0.0
        cursor.execute(_PEEK, params)
        row = cursor.fetchone()
    available = row[0] if row else 0.0
    return max((1 - available) / rate, 1e-3)


def acquire(key: str, capacity: float, per_second: float, now: float | None = None) -> float:
    """Take a token from bucket ``key``; return 0, or the seconds to wait before retrying."""
    now = time.time() if now is None else now
    if settings.REDIS_URL:
        return _redis_acquire(key, capacity, per_second, now)
    return _db_acquire(key, capacity, per_second, now)


def acquire_pair(number, recipient: str, now: float | None = None) -> float:
    """Meta's pair limit for one message to ``recipient`` (the limit bursts to one person
    hit): 0, or the seconds to wait. Taken before the number's token."""
    return acquire(
        f"pair:{number.pk}:{recipient}",
        settings.WHATSAPP_PAIR_BURST,
        1 / settings.WHATSAPP_PAIR_INTERVAL_SECONDS,
        now,
    )


def acquire_number(number, now: float | None = None) -> float:
    """The sending number's throughput for one message: 0, or the seconds to wait."""
    return acquire(
        f"num:{number.pk}", number.throughput_per_second, number.throughput_per_second, now
    )
