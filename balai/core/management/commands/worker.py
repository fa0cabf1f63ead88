from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run a background task worker (database backend, or RQ when REDIS_URL is set)."

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

    def handle(self, *args, queues, batch, **options):
        if settings.TASK_BACKEND == "rq":
            call_command(
                "rqworker", *queues.split(","), job_class="django_tasks_rq.Job", with_scheduler=True
            )
        elif settings.TASK_BACKEND == "db":
            call_command(
                "db_worker",
                queue_name=queues,
                batch=batch,
                reload=False,
                interval=0.5,
                verbosity=options["verbosity"],
            )
        else:
            self.stderr.write(
                f"TASK_BACKEND={settings.TASK_BACKEND} runs tasks in-process; no worker needed."
            )
