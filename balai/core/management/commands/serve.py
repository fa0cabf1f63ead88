import os
import sys

from django.core.management.base import BaseCommand, CommandError


def granian_argv(bind: str, workers: int, threads: int, access_log: bool) -> list[str]:
    """The granian command line ``balai serve`` runs (docs/deploy.md lists what each does)."""
    if bind.startswith("unix:"):
        where = ["--uds", bind.removeprefix("unix:")]
    else:
        host, sep, port = bind.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise CommandError(f"--bind {bind!r}: use HOST:PORT (e.g. 127.0.0.1:8000) or unix:PATH")
        where = ["--host", host.removeprefix("[").removesuffix("]"), "--port", port]
    argv = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        *where,
        "--workers",
        str(workers),
        # Python threads per worker process that run requests. Concurrent webhooks in one
        # process share one database commit (balai.whatsapp.webhook.GroupCommit), so more
        # threads mean bigger batches under load; each thread may keep a database connection.
        "--blocking-threads",
        str(threads),
        "--http",
        "1",
        "--no-ws",
        # On SIGTERM/SIGINT: stop accepting, finish the requests in flight, then exit; a
        # worker still busy after 20 s is killed. A worker that dies is started again.
        "--workers-kill-timeout",
        "20",
        "--respawn-failed-workers",
    ]
    if access_log:
        argv.append("--access-log")
    return [*argv, "balai.wsgi:application"]


class Command(BaseCommand):
    help = "Run the web server (granian, WSGI) for production or the demo."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=os.environ.get("BIND", "127.0.0.1:8000"),
            help="HOST:PORT or unix:PATH (env BIND; 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="worker processes (env WEB_CONCURRENCY; 2)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("WEB_THREADS", "16")),
            help="request threads per worker (env WEB_THREADS; 16)",
        )

    def handle(self, *args, bind, workers, threads, **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        argv = granian_argv(bind, workers, threads, bool(os.environ.get("ACCESS_LOG")))
        os.execv(sys.executable, argv)
