import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server (gunicorn) for production or the demo."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))

    def handle(self, *args, bind, workers, threads, **options):
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "balai.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread" if threads > 1 else "sync",
            "--graceful-timeout",
            "20",
            "--timeout",
            "60",
            "--no-control-socket",
        ]
        if os.environ.get("ACCESS_LOG"):
            # Without the flag gunicorn formats no access line at all (cheaper than /dev/null).
            argv += ["--access-logfile", "-"]
        os.execv(sys.executable, argv)
