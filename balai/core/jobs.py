"""Background jobs on Django's Tasks API, with the retry policy the API leaves to us.

``@job`` turns a function into a ``django.tasks`` task that, when it raises, enqueues itself
again with exponential backoff (``RETRY_BASE_SECONDS * 4**(attempt-1)``, jittered, capped)
until ``TASK_MAX_ATTEMPTS``; the last failure is written to ``TaskFailure`` for operators.
``PermanentError`` skips the retries. Tasks take ids, never model instances, and are
enqueued after the surrounding transaction commits (``enqueue_on_commit``).
"""

import datetime as dt
import logging
import random
import traceback
from functools import partial, wraps

from django.conf import settings
from django.db import transaction
from django.tasks import task, task_backends
from django.utils import timezone

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 60 * 60


class PermanentError(Exception):
    """Retrying cannot help (bad input, a permanent provider error)."""


def retry_delay(attempt: int) -> float:
    delay = min(RETRY_BASE_SECONDS * 4 ** (attempt - 1), RETRY_MAX_SECONDS)
    return delay * random.uniform(0.8, 1.2)


def job(*, queue_name: str = "default", priority: int = 0, max_attempts: int | None = None):
    def decorator(func):
        @wraps(func)
        def runner(*args, _attempt: int = 1, **kwargs):
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                limit = max_attempts or settings.TASK_MAX_ATTEMPTS
                if isinstance(exc, PermanentError) or _attempt >= limit:
                    _record_failure(wrapped, args, kwargs, _attempt, exc)
                    raise
                _schedule_retry(wrapped, args, kwargs, _attempt)
                raise

        # RQ has no per-task priority (its queues are the order); the database backend has.
        wanted = priority if task_backends["default"].supports_priority else 0
        wrapped = task(queue_name=queue_name, priority=wanted)(runner)
        return wrapped

    return decorator


def _schedule_retry(t, args, kwargs, attempt: int) -> None:
    delay = retry_delay(attempt)
    backend = t.get_backend()
    if backend.supports_defer:
        t = t.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    logger.warning("task %s failed (attempt %s), retrying in %.0fs", t.name, attempt, delay)
    t.enqueue(*args, _attempt=attempt + 1, **kwargs)


def _record_failure(t, args, kwargs, attempt: int, exc: Exception) -> None:
    from balai.core.models import TaskFailure

    logger.error("task %s failed for good after %s attempt(s): %r", t.name, attempt, exc)
    TaskFailure.objects.create(
        task_path=t.module_path,
        args=list(args),
        kwargs=kwargs,
        attempts=attempt,
        error_class=f"{type(exc).__module__}.{type(exc).__qualname__}",
        error_message=str(exc)[:2000],
        traceback=traceback.format_exc()[-8000:],
    )


def enqueue_on_commit(t, *args, **kwargs) -> None:
    transaction.on_commit(partial(t.enqueue, *args, **kwargs))


def enqueue_durably(t, *args, **kwargs) -> None:
    """Enqueue so that the task exists exactly when the surrounding transaction commits.

    The database backend writes its task row inside the transaction: the work and its task
    commit together, in one commit. Other backends enqueue after the commit; if the process
    dies in between, the periodic sweepers find the row and enqueue it again.
    """
    from django_tasks_db.backend import DatabaseBackend

    backend = t.get_backend()
    if isinstance(backend, DatabaseBackend):
        _insert_db_task(backend, t, args, kwargs)
    else:
        enqueue_on_commit(t, *args, **kwargs)


def enqueue_many_durably(t, calls: list[tuple]) -> None:
    """``enqueue_durably(t, *args)`` for each ``args`` in ``calls``; with the database backend
    all the task rows are one multi-row INSERT (the webhook's group commit)."""
    from django_tasks_db.backend import DatabaseBackend

    backend = t.get_backend()
    if not isinstance(backend, DatabaseBackend):
        for args in calls:
            enqueue_on_commit(t, *args)
        return
    from django_tasks_db.models import DBTaskResult

    from balai.lib.sql import insert_rows

    insert_rows(DBTaskResult, [_db_task_row(backend, t, args, {}) for args in calls])


def _db_task_row(backend, t, args, kwargs) -> dict:
    from django.tasks.base import TaskResultStatus
    from django.utils.json import normalize_json
    from django_tasks_db.models import get_date_max

    backend.validate_task(t)
    return {
        "id": backend._get_id(),
        "status": TaskResultStatus.READY,
        "enqueued_at": timezone.now(),
        "args_kwargs": normalize_json({"args": list(args), "kwargs": kwargs}),
        "priority": t.priority,
        "task_path": t.module_path,
        "queue_name": t.queue_name,
        "backend_name": backend.alias,
        "run_after": t.run_after or get_date_max(),
        "worker_ids": [],
        "return_value": None,
        "exception_class_path": "",
        "traceback": "",
    }


def _insert_db_task(backend, t, args, kwargs) -> None:
    """The row ``DatabaseBackend.enqueue`` would write, in one direct INSERT.

    On the webhook's hot path ``Task.enqueue()`` (ORM create, ``pre_save`` hook, the
    ``task_enqueued`` signal) was over a third of the CPU per request (docs/benchmarks.md).
    The columns are django-tasks-db's own; ``test_worker_killed`` runs its real worker on
    rows written here.
    """
    from django_tasks_db.models import DBTaskResult

    from balai.lib.sql import insert_row

    insert_row(DBTaskResult, _db_task_row(backend, t, args, kwargs))


def defer(t, seconds: float, *args, **kwargs) -> bool:
    """Enqueue ``t`` to run in ``seconds``. Backends that cannot defer (the immediate test
    backend) get nothing: the periodic sweepers pick the work up instead. Returns whether a
    task was enqueued."""
    backend = t.get_backend()
    if not backend.supports_defer:
        return False
    run_after = timezone.now() + dt.timedelta(seconds=max(seconds, 0))
    enqueue_on_commit(t.using(run_after=run_after), *args, **kwargs)
    return True
