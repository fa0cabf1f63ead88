"""Periodic jobs: each enqueued once per interval, whichever workers run the scheduler."""

from unittest import mock

from django.core.cache import cache
from django.test import TestCase

from balai.core import schedule


class Job:
    def __init__(self, path):
        self.module_path = path
        self.enqueued = 0

    def enqueue(self):
        self.enqueued += 1


class TickTest(TestCase):
    def setUp(self):
        cache.clear()
        self.often, self.hourly = Job("balai.x.often"), Job("balai.x.hourly")
        patcher = mock.patch.object(schedule, "PERIODIC", [(self.often, 10), (self.hourly, 3600)])
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(cache.clear)

    def test_each_job_once_per_interval_across_ticks_and_workers(self):
        self.assertEqual(schedule.tick(), ["balai.x.often", "balai.x.hourly"])
        # The same second on another worker, and the next seconds: nothing is due.
        self.assertEqual(schedule.tick(), [])
        self.assertEqual(schedule.tick(), [])
        self.assertEqual((self.often.enqueued, self.hourly.enqueued), (1, 1))
        # The short interval ends (its key expires): only that job is due again.
        cache.delete("periodic:balai.x.often")
        self.assertEqual(schedule.tick(), ["balai.x.often"])
        self.assertEqual((self.often.enqueued, self.hourly.enqueued), (2, 1))

    def test_a_job_another_worker_just_took_is_not_enqueued_again(self):
        cache.add("periodic:balai.x.hourly", 1, timeout=3600)
        self.assertEqual(schedule.tick(), ["balai.x.often"])
        self.assertEqual(self.hourly.enqueued, 0)
