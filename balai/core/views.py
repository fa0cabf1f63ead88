"""Bare views of the platform itself (no village, no login): health checks and metrics.

- ``/healthz``: liveness; the process answers. No database access, so a load balancer may
  call it every second.
- ``/healthz/ready``: readiness; the database answers, every migration is applied, the task
  queue is reachable (and Redis, when configured). 200 or 503 with the failing checks.
- ``/metrics``: operators' numbers in Prometheus text format, behind ``METRICS_TOKEN``
  (``Authorization: Bearer …``); 404 while no token is set.
"""

import hmac
import logging
import time

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Once every migration is applied it stays so for the life of the process (a deploy restarts
# it); the check is repeated after this many seconds anyway.
MIGRATIONS_OK_SECONDS = 300
_migrations_ok_until = 0.0


def healthz(request):
    """Liveness for load balancers and ops checks: the process answers; no database access."""
    return HttpResponse("ok", content_type="text/plain")


def _check_database() -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return "ok"


def _check_migrations() -> str:
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} pending: run balai migrate"
    _migrations_ok_until = time.monotonic() + MIGRATIONS_OK_SECONDS
    return "ok"


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def _check_tasks() -> str:
    if settings.TASK_BACKEND == "rq":
        _redis().ping()
    elif settings.TASK_BACKEND == "db":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.only("id").first()
    return "ok"


def _check_cache() -> str:
    _redis().ping()
    return "ok"


@never_cache
def healthz_ready(request):
    """Readiness: may this process take traffic? 200 when every check is ``ok``, else 503."""
    checks = {"database": _check_database, "migrations": _check_migrations}
    checks["tasks"] = _check_tasks
    if settings.REDIS_URL:
        checks["redis"] = _check_cache
    results = {}
    for name, check in checks.items():
        if name == "migrations" and results.get("database") != "ok":
            results[name] = "unknown (no database)"
            continue
        try:
            results[name] = check()
        except Exception as e:
            # The reason goes to the log; the public answer only names the failing part.
            logger.warning("readiness check %s failed: %r", name, e)
            results[name] = "unreachable"
    healthy = all(v == "ok" for v in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503
    )


# --- Prometheus metrics ---------------------------------------------------------------------


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    """Builds the Prometheus text exposition format (version 0.0.4)."""

    def __init__(self):
        self.lines: list[str] = []

    def add(self, name: str, help_text: str, samples, kind: str = "gauge") -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        if not isinstance(samples, list):
            samples = [({}, samples)]
        for labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            number = float(value)
            shown = str(int(number)) if number.is_integer() else f"{number:.3f}"
            self.lines.append(
                f"{name}{{{label_text}}} {shown}" if label_text else f"{name} {shown}"
            )

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _age(now, oldest) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


def collect_metrics() -> str:
    import datetime as dt

    from balai.core.models import TaskFailure
    from balai.whatsapp.models import (
        ChannelAlert,
        InboundMessage,
        OutboundMessage,
        WebhookProblem,
        WhatsAppNumber,
    )

    started = time.monotonic()
    now = timezone.now()
    hour_ago = now - dt.timedelta(hours=1)
    m = Metrics()
    m.add("balai_up", "1 when this process answers and reaches its database.", 1)

    out = OutboundMessage.objects
    per_state = dict(
        out.filter(state__in=["queued", "sending", "failed"])
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    m.add(
        "balai_outbox_messages",
        "Outbox messages not yet sent (queued, sending) and failed for good, by state.",
        [({"state": s}, per_state.get(s, 0)) for s in ["queued", "sending", "failed"]],
    )
    due = out.filter(state="queued", next_attempt_at__lte=now).aggregate(t=Min("next_attempt_at"))
    m.add(
        "balai_outbox_lag_seconds",
        "How long the oldest due queued message has waited past its send time (outbox lag).",
        _age(now, due["t"]),
    )
    oldest = out.filter(state="queued").aggregate(t=Min("created"))
    m.add(
        "balai_outbox_oldest_queued_age_seconds",
        "Age of the oldest queued message, retries and paused numbers included.",
        _age(now, oldest["t"]),
    )
    m.add(
        "balai_outbox_failed_last_hour",
        "Messages that failed for good in the last hour.",
        out.filter(state="failed", failed_at__gte=hour_ago).count(),
    )
    m.add(
        "balai_outbox_needs_attention",
        "Failed messages marked for an operator's attention in the last 7 days.",
        out.filter(
            state="failed", needs_attention=True, failed_at__gte=now - dt.timedelta(days=7)
        ).count(),
    )

    inbound = InboundMessage.objects.filter(state="received").aggregate(
        n=Count("id"), t=Min("received_at")
    )
    m.add("balai_inbound_unprocessed", "Received messages not processed yet.", inbound["n"])
    m.add(
        "balai_inbound_oldest_unprocessed_age_seconds",
        "Age of the oldest received message not processed yet.",
        _age(now, inbound["t"]),
    )
    m.add(
        "balai_inbound_failed",
        "Received messages whose processing failed for good.",
        InboundMessage.objects.filter(state="failed").count(),
    )

    _task_metrics(m, now)
    m.add(
        "balai_task_failures_last_hour",
        "Background tasks that failed for good (after their retries) in the last hour.",
        TaskFailure.objects.filter(created__gte=hour_ago).count(),
    )
    m.add(
        "balai_task_failures_unresolved",
        "Background tasks that failed for good and are not marked resolved.",
        TaskFailure.objects.filter(resolved=False).count(),
    )

    paused = list(
        WhatsAppNumber.objects.filter(paused_at__isnull=False).values_list(
            "village__slug", flat=True
        )
    )
    m.add("balai_whatsapp_numbers_paused", "Village numbers paused (sending stopped).", len(paused))
    m.add(
        "balai_whatsapp_number_paused",
        "1 for each paused village number.",
        [({"village": slug}, 1) for slug in sorted(paused)],
    )
    m.add(
        "balai_channel_alerts_open",
        "Channel alerts waiting for a village's operators.",
        ChannelAlert.objects.filter(resolved_at__isnull=True).count(),
    )
    m.add(
        "balai_webhook_problems_last_hour",
        "Webhook content no village could take (unknown numbers, Meta errors) in the last hour.",
        WebhookProblem.objects.filter(received_at__gte=hour_ago).count(),
    )
    m.add(
        "balai_metrics_collect_seconds",
        "Time taken to collect these metrics.",
        time.monotonic() - started,
    )
    return m.text()


def _task_metrics(m: Metrics, now) -> None:
    queues = list(settings.TASK_QUEUES)
    if settings.TASK_BACKEND == "db":
        from django_tasks_db.models import DBTaskResult

        ready = dict(
            DBTaskResult.objects.ready()
            .values_list("queue_name")
            .annotate(n=Count("id"))
            .values_list("queue_name", "n")
        )
        oldest = DBTaskResult.objects.ready().aggregate(t=Min("enqueued_at"))["t"]
        m.add(
            "balai_tasks_queued",
            "Background tasks due and waiting for a worker, by queue (the queue depth).",
            [({"queue": q}, ready.get(q, 0)) for q in queues],
        )
        # (No count of running tasks here: the task table keeps finished rows and has no index
        # for them, so it would read the whole table at every scrape.)
        m.add(
            "balai_tasks_oldest_queued_age_seconds",
            "Age of the oldest task waiting for a worker.",
            _age(now, oldest),
        )
    elif settings.TASK_BACKEND == "rq":
        from rq import Queue

        conn = _redis()
        rq_queues = [Queue(q, connection=conn) for q in queues]
        m.add(
            "balai_tasks_queued",
            "Background tasks due and waiting for a worker, by queue (the queue depth).",
            [({"queue": q.name}, q.count) for q in rq_queues],
        )
        m.add(
            "balai_tasks_running",
            "Background tasks being run by a worker, by queue.",
            [({"queue": q.name}, q.started_job_registry.count) for q in rq_queues],
        )
        m.add(
            "balai_tasks_scheduled",
            "Background tasks waiting for their retry time, by queue.",
            [({"queue": q.name}, q.scheduled_job_registry.count) for q in rq_queues],
        )


@never_cache
def metrics(request):
    """Prometheus metrics for operators; ``Authorization: Bearer <METRICS_TOKEN>``."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse(
            "Metrics are off: set METRICS_TOKEN.\n", status=404, content_type="text/plain"
        )
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer "):
        response = HttpResponse(
            "Authorization: Bearer <METRICS_TOKEN> needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="balai-metrics"'
        return response
    if not hmac.compare_digest(given.removeprefix("Bearer ").strip().encode(), token.encode()):
        return HttpResponse("Wrong metrics token.\n", status=403, content_type="text/plain")
    return HttpResponse(collect_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")
