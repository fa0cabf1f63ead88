"""Health checks and the operators' metrics endpoint."""

import datetime as dt
import re

import redis
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from balai.conftest import require_service
from balai.core import views
from balai.core.models import TaskFailure
from balai.test import ChannelTestCase
from balai.whatsapp.models import InboundMessage, OutboundMessage

TOKEN = "metrics-token-0123456789abcdef"
REDIS_URL = "redis://127.0.0.1:6379/13"
SAMPLE = re.compile(r'^([a-z_]+)(\{([a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*)\})? (-?\d+(\.\d+)?)$')


def parse(text: str) -> dict[str, float]:
    """Prometheus text format → {"name{labels}": value}; every line must be well formed."""
    values, declared = {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            declared.add(line.split()[2])
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        assert match.group(1) in declared, f"{match.group(1)} has no HELP/TYPE"
        key = match.group(1) + (f"{{{match.group(3)}}}" if match.group(3) else "")
        values[key] = float(match.group(5))
    return values


class HealthTest(ChannelTestCase):
    def setUp(self):
        views._migrations_ok_until = 0.0

    def test_liveness_touches_no_database(self):
        with self.assertNumQueries(0):
            response = self.client.get("/healthz")
        self.assertEqual(response.content, b"ok")

    @override_settings(TASK_BACKEND="db")
    def test_ready(self):
        response = self.client.get("/healthz/ready")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "tasks": "ok"}},
        )
        self.assertIn("no-cache", response["Cache-Control"])
        # The migration check is remembered once everything is applied.
        with self.assertNumQueries(2):
            self.client.get("/healthz/ready")

    def test_not_ready_while_a_migration_is_pending(self):
        with connection.cursor() as cur:
            cur.execute(
                "DELETE FROM django_migrations WHERE app = 'whatsapp' AND name = "
                "(SELECT MAX(name) FROM django_migrations WHERE app = 'whatsapp')"
            )
        response = self.client.get("/healthz/ready")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["status"], "fail")
        self.assertEqual(response.json()["checks"]["migrations"], "1 pending: run balai migrate")

    @override_settings(TASK_BACKEND="rq", REDIS_URL="redis://127.0.0.1:1/0")
    def test_not_ready_without_the_task_queue(self):
        with self.assertLogs("balai.core.views", "WARNING") as logs:
            response = self.client.get("/healthz/ready")
        self.assertEqual(response.status_code, 503)
        checks = response.json()["checks"]
        self.assertEqual(checks["tasks"], "unreachable")
        self.assertEqual(checks["redis"], "unreachable")
        self.assertEqual(checks["database"], "ok")
        self.assertNotIn("127.0.0.1:1", response.content.decode())  # details stay in the log
        self.assertIn("readiness check tasks failed", logs.output[0])


class MetricsTest(ChannelTestCase):
    def get(self, token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get("/metrics", headers=headers)

    def test_off_without_a_token(self):
        self.assertEqual(self.get().status_code, 404)

    @override_settings(METRICS_TOKEN=TOKEN)
    def test_token_required(self):
        missing = self.get(token=None)
        self.assertEqual(missing.status_code, 401)
        self.assertIn("Bearer", missing["WWW-Authenticate"])
        self.assertEqual(self.get(token=TOKEN[:-1] + "x").status_code, 403)
        self.assertEqual(self.client.get(f"/metrics?token={TOKEN}").status_code, 401)

    def outbound(self, state, **fields):
        return OutboundMessage.objects.create(
            village=self.village,
            number=self.number,
            to="6281234567890",
            kind="text",
            payload={"type": "text"},
            state=state,
            **fields,
        )

    @override_settings(METRICS_TOKEN=TOKEN, TASK_BACKEND="db")
    def test_values(self):
        now = timezone.now()
        self.outbound("queued", next_attempt_at=now - dt.timedelta(seconds=120))
        self.outbound(
            "queued",
            created=now - dt.timedelta(hours=2),
            next_attempt_at=now + dt.timedelta(minutes=5),
        )
        self.outbound("sending")
        self.outbound("failed", failed_at=now, needs_attention=True)
        self.outbound("failed", failed_at=now - dt.timedelta(hours=3))
        self.outbound("sent")
        InboundMessage.objects.create(
            village=self.village,
            number=self.number,
            wamid="wamid.m1",
            type="text",
            message={},
            sent_at=now,
            received_at=now - dt.timedelta(seconds=30),
        )
        InboundMessage.objects.create(
            village=self.village,
            number=self.number,
            wamid="wamid.m2",
            type="text",
            message={},
            sent_at=now,
            state="processed",
        )
        TaskFailure.objects.create(
            task_path="x", attempts=6, error_class="E", error_message="", traceback=""
        )
        self.other_number.paused_at = now
        self.other_number.save()
        from django_tasks_db.models import DBTaskResult, get_date_max

        for run_after in [
            get_date_max(),
            now - dt.timedelta(seconds=5),
            now + dt.timedelta(hours=1),
        ]:
            DBTaskResult.objects.create(
                args_kwargs={"args": [], "kwargs": {}},
                task_path="balai.whatsapp.outbox.send_outbound",
                queue_name="outbox",
                backend_name="default",
                run_after=run_after,
            )

        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        values = parse(response.content.decode())
        self.assertEqual(values['balai_outbox_messages{state="queued"}'], 2)
        self.assertEqual(values['balai_outbox_messages{state="sending"}'], 1)
        self.assertEqual(values['balai_outbox_messages{state="failed"}'], 2)
        self.assertAlmostEqual(values["balai_outbox_lag_seconds"], 120, delta=10)
        self.assertAlmostEqual(values["balai_outbox_oldest_queued_age_seconds"], 7200, delta=10)
        self.assertEqual(values["balai_outbox_failed_last_hour"], 1)
        self.assertEqual(values["balai_outbox_needs_attention"], 1)
        self.assertEqual(values["balai_inbound_unprocessed"], 1)
        self.assertAlmostEqual(values["balai_inbound_oldest_unprocessed_age_seconds"], 30, delta=10)
        self.assertEqual(values['balai_tasks_queued{queue="outbox"}'], 2)  # due
        self.assertEqual(values['balai_tasks_queued{queue="inbox"}'], 0)
        self.assertEqual(values["balai_task_failures_last_hour"], 1)
        self.assertEqual(values["balai_whatsapp_numbers_paused"], 1)
        self.assertEqual(values['balai_whatsapp_number_paused{village="tigawasa"}'], 1)
        self.assertNotIn("6281234567890", response.content.decode())

    @override_settings(METRICS_TOKEN=TOKEN, TASK_BACKEND="rq", REDIS_URL=REDIS_URL)
    def test_queue_depth_on_redis(self):
        try:
            up = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except redis.RedisError:
            up = False
        require_service(up, "Redis is not running on 127.0.0.1:6379")
        from rq import Queue

        conn = redis.Redis.from_url(REDIS_URL)
        conn.flushdb()
        self.addCleanup(conn.flushdb)
        Queue("inbox", connection=conn).enqueue("os.getcwd")
        Queue("inbox", connection=conn).enqueue("os.getcwd")
        values = parse(self.get().content.decode())
        self.assertEqual(values['balai_tasks_queued{queue="inbox"}'], 2)
        self.assertEqual(values['balai_tasks_queued{queue="outbox"}'], 0)
        self.assertEqual(values['balai_tasks_scheduled{queue="inbox"}'], 0)
