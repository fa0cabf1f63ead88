"""Rate limits shared by every process: token buckets in Redis, or in the database.

Two limits apply to each send (reference/whatsapp.md §3.3): the sending number's throughput
(default 80 messages/second) and Meta's pair limit per recipient (sustained 1 per 6 seconds,
short bursts allowed). ``acquire`` takes one token or says how long to wait.
"""

import time

from django.conf import settings
from django.db import IntegrityError, transaction

from balai.whatsapp.models import RateBucket

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


def _db_acquire(key: str, capacity: float, rate: float, now: float) -> float:
    for _ in range(3):
        with transaction.atomic():
            bucket = RateBucket.objects.select_for_update().filter(key=key).first()
            if bucket is None:
                try:
                    with transaction.atomic():
                        RateBucket.objects.create(key=key, tokens=capacity - 1, updated=now)
                    return 0.0
                except IntegrityError:
                    continue  # created by another process a moment ago: read it
            tokens = min(capacity, bucket.tokens + max(now - bucket.updated, 0) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            RateBucket.objects.filter(key=key).update(tokens=tokens, updated=now)
            return wait
    return 1.0 / rate


def acquire(key: str, capacity: float, per_second: float, now: float | None = None) -> float:
    """Take a token from bucket ``key``; return 0, or the seconds to wait before retrying."""
    now = time.time() if now is None else now
    if settings.REDIS_URL:
        return _redis_acquire(key, capacity, per_second, now)
    return _db_acquire(key, capacity, per_second, now)


def acquire_send(number, recipient: str, now: float | None = None) -> float:
    """Both limits for one message: the pair limit first (the one bursts to one person hit),
    then the number's throughput."""
    wait = acquire(
        f"pair:{number.pk}:{recipient}",
        settings.WHATSAPP_PAIR_BURST,
        1 / settings.WHATSAPP_PAIR_INTERVAL_SECONDS,
        now,
    )
    if wait:
        return wait
    return acquire(
        f"num:{number.pk}", number.throughput_per_second, number.throughput_per_second, now
    )
