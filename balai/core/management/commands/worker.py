import contextlib
import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, connections

from balai.core.schedule import run_scheduler

logger = logging.getLogger(__name__)
# While the database is unreachable the worker waits this long between tries, doubling up to
# the maximum, instead of exiting (django-tasks-db's loop raises on any database error).
DB_RETRY_SECONDS = 1.0
DB_RETRY_MAX_SECONDS = 30.0


class Command(BaseCommand):
    help = "Run a background task worker (database backend, or RQ with TASK_BACKEND=rq)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queues",
            default=",".join(settings.TASK_QUEUES),
            help="Comma-separated queue names (default: all).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run what is due, then exit (database backend only).",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not enqueue periodic jobs from this worker.",
        )

    def handle(self, *args, queues, batch, no_scheduler, **options):
        stop = threading.Event()
        handles_messages = "inbox" in queues.split(",")
        if (
            handles_messages
            and settings.WHATSAPP_MESSAGE_HANDLER.startswith("balai.conversations.")
            and not batch
        ):
            # Load and train the message recogniser now (a few seconds, mostly importing
            # scikit-learn) rather than on a resident's first message; RQ's forked job
            # processes inherit it.
            from balai.nlu import recognise

            recognise.model()
        if not (no_scheduler or batch):
            # Any number of workers may run it: a shared-cache lock enqueues each periodic
            # job once per interval across the deployment.
            threading.Thread(
                target=run_scheduler, args=(stop,), daemon=True, name="balai-scheduler"
            ).start()
        try:
            if settings.TASK_BACKEND == "rq":
                if batch:
                    raise CommandError("--batch is for the database backend only")
                call_command(
                    "rqworker",
                    *queues.split(","),
                    job_class="django_tasks_rq.Job",
                    with_scheduler=True,
                )
            elif settings.TASK_BACKEND == "db":
                self.run_db_worker(queues, batch, options["verbosity"], stop)
            else:
                self.stderr.write(
                    f"TASK_BACKEND={settings.TASK_BACKEND} runs tasks in-process; no worker needed."
                )
        finally:
            stop.set()

    def run_db_worker(self, queues: str, batch: bool, verbosity: int, stop) -> None:
        """django-tasks-db's worker, started again when the database goes away under it (a
        restart, a failover): the task it was running is picked up again by the sweepers."""
        delay = DB_RETRY_SECONDS
        while True:
            started = time.monotonic()
            try:
                call_command(
                    "db_worker",
                    queue_name=queues,
                    batch=batch,
                    reload=False,
                    interval=0.2,
                    startup_delay=False,
                    verbosity=verbosity,
                )
                return
            except (OperationalError, InterfaceError) as e:
                if batch:
                    raise
                if time.monotonic() - started > 60:
                    delay = DB_RETRY_SECONDS  # it had been working: a new outage
                logger.warning(
                    "database unavailable (%s); the worker tries again in %.0f s",
                    str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__,
                    delay,
                )
                with contextlib.suppress(Exception):
                    connections.close_all()
                if stop.wait(delay):
                    return
                delay = min(delay * 2, DB_RETRY_MAX_SECONDS)
