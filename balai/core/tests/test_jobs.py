import datetime as dt

from django.core.management import call_command
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from balai.core.jobs import retry_delay
from balai.core.models import TaskFailure
from balai.core.tests import jobs_for_tests as jobs


class RetryPolicyTest(TestCase):
    def setUp(self):
        jobs.CALLS.clear()

    def test_a_transient_failure_is_retried_until_it_succeeds(self):
        jobs.flaky.enqueue("a", 2)
        self.assertEqual(jobs.CALLS, ["a", "a", "a"])
        self.assertFalse(TaskFailure.objects.exists())

    def test_giving_up_after_max_attempts_is_recorded_for_operators(self):
        jobs.flaky.enqueue("b", 10)
        self.assertEqual(jobs.CALLS, ["b", "b", "b"])
        failure = TaskFailure.objects.get()
        self.assertEqual(failure.task_path, "balai.core.tests.jobs_for_tests.flaky")
        self.assertEqual((failure.attempts, failure.args), (3, ["b", 10]))
        self.assertIn("boom b", failure.error_message)
        self.assertIn("RuntimeError", failure.traceback)

    def test_permanent_errors_are_not_retried(self):
        jobs.refuses.enqueue()
        self.assertEqual(jobs.CALLS, ["refuses"])
        self.assertEqual(TaskFailure.objects.get().attempts, 1)

    def test_backoff_grows_by_four_and_is_capped(self):
        self.assertTrue(4 <= retry_delay(1) <= 6)
        self.assertTrue(16 <= retry_delay(2) <= 24)
        self.assertTrue(retry_delay(20) <= 3600 * 1.2)


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
)
class DatabaseBackendRetryTest(TransactionTestCase):
    # The worker closes its database connection between tasks, as in production, so this
    # test cannot run inside a rolled-back transaction.

    def setUp(self):
        jobs.CALLS.clear()

    def test_worker_runs_the_task_and_defers_the_retry(self):
        jobs.flaky.enqueue("c", 1)
        before = timezone.now()
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
        self.assertEqual(jobs.CALLS, ["c"])
        first, retry = DBTaskResult.objects.order_by("enqueued_at")
        self.assertEqual(first.status, "FAILED")
        self.assertEqual(retry.status, "READY")
        self.assertEqual(retry.args_kwargs["kwargs"], {"_attempt": 2})
        self.assertGreater(retry.run_after, before + dt.timedelta(seconds=3))
        # Not due yet: a batch run leaves it alone.
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
        self.assertEqual(jobs.CALLS, ["c"])
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
        self.assertEqual(jobs.CALLS, ["c", "c"])
        retry.refresh_from_db()
        self.assertEqual(retry.status, "SUCCESSFUL")

    def test_rows_written_by_enqueue_durably_are_run_by_the_worker(self):
        import tempfile
        from pathlib import Path

        from django.db import transaction

        from balai.core.jobs import enqueue_durably

        target = Path(tempfile.mkdtemp()) / "out.txt"
        with transaction.atomic():
            enqueue_durably(jobs.write_file, str(target), "tersimpan")
            enqueue_durably(jobs.flaky.using(priority=10), "d", 0)
        rows = {r.task_path.rsplit(".", 1)[1]: r for r in DBTaskResult.objects.all()}
        self.assertEqual(rows["flaky"].priority, 10)
        self.assertEqual(rows["write_file"].task_result.args, [str(target), "tersimpan"])
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
        self.assertEqual(target.read_text(), "tersimpan")
        self.assertEqual(jobs.CALLS, ["d"])
        self.assertEqual(set(DBTaskResult.objects.values_list("status", flat=True)), {"SUCCESSFUL"})
