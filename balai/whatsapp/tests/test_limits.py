import uuid

import pytest
from django.test import TestCase, override_settings

from balai.conftest import require_service
from balai.whatsapp import limits


class BucketBehaviour:
    """The same assertions for the database and the Redis implementation."""

    def key(self):
        return f"test:{uuid.uuid4().hex}"

    def test_burst_then_sustained_rate(self):
        key, t = self.key(), 1_000_000.0
        waits = [limits.acquire(key, 3, 1 / 6, now=t) for _ in range(3)]
        self.assertEqual(waits, [0, 0, 0])
        wait = limits.acquire(key, 3, 1 / 6, now=t)
        self.assertAlmostEqual(wait, 6.0, places=3)
        self.assertEqual(limits.acquire(key, 3, 1 / 6, now=t + 6.01), 0)
        self.assertGreater(limits.acquire(key, 3, 1 / 6, now=t + 6.02), 5.9)

    def test_throughput_bucket_allows_its_rate_per_second(self):
        key, t = self.key(), 2_000_000.0
        allowed = sum(limits.acquire(key, 80, 80, now=t) == 0 for _ in range(100))
        self.assertEqual(allowed, 80)
        allowed = sum(limits.acquire(key, 80, 80, now=t + 0.5) == 0 for _ in range(100))
        self.assertEqual(allowed, 40)

    def test_buckets_are_independent(self):
        a, b, t = self.key(), self.key(), 3_000_000.0
        limits.acquire(a, 1, 1, now=t)
        self.assertGreater(limits.acquire(a, 1, 1, now=t), 0)
        self.assertEqual(limits.acquire(b, 1, 1, now=t), 0)


@override_settings(REDIS_URL="")
class DatabaseBucketTest(BucketBehaviour, TestCase):
    def test_a_token_is_one_statement_and_a_refusal_two(self):
        key, t = self.key(), 4_000_000.0
        with self.assertNumQueries(1):
            self.assertEqual(limits.acquire(key, 1, 0.5, now=t), 0)
        with self.assertNumQueries(2):  # refused, then how long to wait
            self.assertAlmostEqual(limits.acquire(key, 1, 0.5, now=t + 1), 1.0, places=3)
        with self.assertNumQueries(1):
            self.assertEqual(limits.acquire(key, 1, 0.5, now=t + 2), 0)


REDIS = "redis://127.0.0.1:6379/15"


@override_settings(REDIS_URL=REDIS)
class RedisBucketTest(BucketBehaviour, TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import redis

        try:
            redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
            cls.redis_up = True
        except redis.RedisError:
            cls.redis_up = False

    def setUp(self):
        if not self.redis_up:
            try:
                require_service(False, "Redis is not running on 127.0.0.1:6379")
            except pytest.skip.Exception as e:
                self.skipTest(str(e))
        limits._script = None
        self.addCleanup(setattr, limits, "_script", None)
