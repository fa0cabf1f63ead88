"""Periodic jobs (sweepers, reminders) without cron.

``@periodic(seconds)`` registers a task; every worker runs ``run_scheduler`` in a thread,
and a shared-cache ``add`` makes one of them enqueue each job once per interval across the
whole deployment. The jobs themselves are idempotent, so a rare double run is harmless.
"""

import logging
import threading

from django.core.cache import cache
from django.db import close_old_connections

logger = logging.getLogger(__name__)
PERIODIC: list[tuple[object, int]] = []


def periodic(seconds: int):
    def register(t):
        PERIODIC.append((t, seconds))
        return t

    return register


def tick() -> list[str]:
    enqueued = []
    keys = {t: f"periodic:{t.module_path}" for t, _ in PERIODIC}
    # One read for all the jobs each second; only a job whose key is gone (due) is raced for
    # with ``add`` — every worker runs this, and the cache may be a database table.
    running = cache.get_many(list(keys.values()))
    for t, seconds in PERIODIC:
        if keys[t] not in running and cache.add(keys[t], 1, timeout=seconds):
            t.enqueue()
            enqueued.append(t.module_path)
    return enqueued


def run_scheduler(stop: threading.Event, interval: float = 1.0) -> None:
    while not stop.is_set():
        try:
            tick()
        except Exception:
            logger.exception("scheduler tick failed")
        finally:
            close_old_connections()
        stop.wait(interval)
