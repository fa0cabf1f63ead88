"""A WhatsApp announcement to 10,000 residents through the simulator (`make bench-broadcast`).

1. Creates (drops first) the PostgreSQL database ``balai_bench_broadcast``, migrates it and
   writes one village whose simulated WhatsApp number is limited to 80 messages/second, an
   approved template for announcements, and 10,000 residents subscribed to its news (85 %
   wrote to the village within 24 hours and get the free-form message; 15 % get the
   template).
2. Starts the web server (``balai serve``: the simulator's fake Cloud API and Balai's
   webhook for the status callbacks) and ``--workers`` task workers (``balai worker``,
   database task backend), each in its own process group.
3. **Run 1 (pace):** starts the announcement (``sending.do_start``, what *Kirim* does) and
   waits until every recipient is served. The achieved rate is the number of messages the
   fake Cloud API accepted divided by the time from its first to its last; the limits are
   checked on what it received: the most messages in any one-second window, and per
   recipient the messages in any six seconds (Meta's pair limit: 1 per 6 s after a burst).
4. **Run 2 (crash):** a second announcement to the same residents; when half of them have
   been served, every worker is killed with SIGKILL, then as many are started again. The
   run ends when every recipient is served and no outbox row is left in ``sending`` (rows
   a killed worker left there are sent again by the outbox sweeper after 5 minutes: the
   bench waits for that in real time). Then it counts, from what the fake Cloud API
   received, the residents served once, more than once, and not at all.

Prints a summary and rewrites its own section of docs/benchmarks.md. Exit status 0 when the
runs complete (the numbers are recorded whether or not a target is met), 1 on a setup error.
"""

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-broadcast:start -->", "<!-- bench-broadcast:end -->"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/balai_bench_broadcast")
TARGET_SHARE = 0.95
PNID = "106540352242922"
CLEARED = [
    "ADMIN_URL", "BALAI_DEMO", "BEHIND_PROXY", "DB_CONN_MAX_AGE", "HSTS_SECONDS",
    "MEDIA_ROOT", "REDIS_URL", "SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SITE_URL",
    "SIMULATOR_ENABLED", "TIME_ZONE", "TASK_BACKEND", "WHATSAPP_PAIR_BURST",
    "WHATSAPP_PAIR_INTERVAL_SECONDS", "WHATSAPP_MESSAGE_HANDLER", "LOG_LEVEL",
]  # fmt: skip
_t0 = time.monotonic()
_groups: list["Group"] = []


def say(message: str) -> None:
    print(f"[{time.monotonic() - _t0:6.1f} s] {message}", flush=True)


# --------------------------------------------------------------------------- environment
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configure(args) -> tuple[dict, Path, str]:
    for name in CLEARED:
        os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-broadcast-"))
    port = free_port()
    os.environ.update(
        {
            "BALAI_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(40),
            "WHATSAPP_APP_SECRET": secrets.token_urlsafe(32),
            "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(32),
            "BALAI_DATA_DIR": str(data_dir),
            "TASK_BACKEND": "db",
            "SIMULATOR_ENABLED": "true",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "balai.settings",
        }
    )
    if args.redis:
        os.environ["REDIS_URL"] = args.redis
        os.environ["TASK_BACKEND"] = "db"  # Redis for the rate buckets and cache only
    url = urlsplit(args.pg_url)
    name = url.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"bench_broadcast: unexpected database name {name!r}")
    import psycopg

    try:
        admin = psycopg.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            dbname="postgres",
            connect_timeout=5,
            autocommit=True,
        )
    except psycopg.Error as e:
        safe = urlunsplit(url._replace(netloc=f"{url.hostname}:{url.port or 5432}"))
        sys.exit(f"bench_broadcast: PostgreSQL is not reachable at {safe} ({str(e).strip()}).")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = args.pg_url
    return dict(os.environ), data_dir, str(port)


# --------------------------------------------------------------------------- processes
class Group:
    """A child process in its own session; killed by its process group id."""

    def __init__(self, cmd: list[str], env: dict, log: Path, name: str):
        self.name, self.log = name, log
        self.out = log.open("a")
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=self.out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        _groups.append(self)

    @property
    def pgid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        if self in _groups:
            _groups.remove(self)
        self.out.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        self.kill()


def start_server(env, port, workers, threads, logs) -> Group:
    server = Group(
        [sys.executable, "-m", "balai", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads)],
        env, logs / "server.log", "server",
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        if server.proc.poll() is not None:
            sys.exit(f"server exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"server not answering:\n{server.log.read_text()[-3000:]}")
        time.sleep(0.2)


# ``--profile``: the workers run under cProfile timed by CPU time (not wall time, which on a
# shared machine mostly measures waiting), and write their stats on SIGTERM.
PROFILE_WORKER = """
import cProfile, runpy, sys, time
out = sys.argv[1]
profile = cProfile.Profile(time.process_time)
sys.argv = ["balai", "worker", "--queues", "outbox,default"]
profile.enable()
try:
    runpy.run_module("balai", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profile.disable()
    profile.dump_stats(out)
"""
PROFILE = False


def start_workers(env, count, logs, generation) -> list[Group]:
    groups = []
    for i in range(count):
        if PROFILE:
            out = logs / f"worker-{generation}-{i}.prof"
            command = [sys.executable, "-c", PROFILE_WORKER, str(out)]
        else:
            command = [sys.executable, "-m", "balai", "worker", "--queues", "outbox,default"]
        groups.append(
            Group(command, env, logs / f"worker-{generation}-{i}.log", f"worker {generation}.{i}")
        )
    return groups


# --------------------------------------------------------------------------- CPU accounting
CLK = os.sysconf("SC_CLK_TCK")


def cpu_snapshot(groups: dict[str, list[int]]) -> dict:
    """Busy CPU seconds so far: the machine, each named set of process groups, and
    PostgreSQL: the live backends of the benchmark database plus every backend that has
    ended (the postmaster's reaped children: connections are recycled after
    ``DB_CONN_MAX_AGE``, so a run outlives most of its backends)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    snap = {"total": (sum(fields) - fields[3] - fields[4]) / CLK, "postgres": 0.0}
    snap.update({name: 0.0 for name in groups})
    owner = {pgid: name for name, pgids in groups.items() for pgid in pgids}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            rest = stat.rsplit(")", 1)[1].split()
            used = (int(rest[11]) + int(rest[12])) / CLK
            group = owner.get(int(rest[2]))
            if group:
                snap[group] += used
            elif "(postgres)" in stat:
                cmdline = Path(f"/proc/{entry.name}/cmdline").read_text(errors="replace")
                if "balai_bench_broadcast" in cmdline:
                    snap["postgres"] += used
                elif " -D" in cmdline.replace("\0", " "):  # the postmaster: ended backends
                    snap["postgres"] += (int(rest[13]) + int(rest[14])) / CLK
        except (OSError, IndexError, ValueError):
            continue
    return snap


# --------------------------------------------------------------------------- seeding
def seed(args) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from balai.announcements.models import NewsSettings, Subscription, Topic
    from balai.residents.models import Resident
    from balai.villages.models import Village
    from balai.whatsapp.models import Contact, Template, WhatsAppNumber

    now = timezone.now()
    with transaction.atomic():
        village = Village.objects.create(
            slug="pondok", name="Pondok", official_code="33.11.02.2010", kecamatan="Nguter",
            kabupaten="Sukoharjo", provinsi="Jawa Tengah", timezone="Asia/Jakarta",
        )  # fmt: skip
        number = WhatsAppNumber.objects.create(
            village=village, phone_number_id=PNID, display_number="15550783881",
            waba_id="102290129340398", is_simulated=True,
            throughput_per_second=args.throughput,
        )  # fmt: skip
        Template.objects.create(
            village=village, name="balai_kabar_desa", language="id", purpose="announcement",
            category="marketing", status="approved",
            body="Halo {{1}}, ada kabar dari {{2}}: *{{3}}*. {{4}} Selengkapnya: {{5}}",
            parameters=["nama", "desa", "judul", "ringkasan", "tautan"],
        )  # fmt: skip
        settings = NewsSettings.of(village)
        settings.normal_share = args.share
        settings.save()
        umum = Topic.objects.get(village=village, slug="umum")
        residents = Resident.objects.bulk_create(
            Resident(village=village, name=f"Warga {i:05d}", phone=f"+6281{i:09d}")
            for i in range(args.recipients)
        )
        Subscription.objects.bulk_create(
            Subscription(village=village, resident=r, topic=umum, opt_in_text="LANGGANAN")
            for r in residents
        )
        inside = int(args.recipients * 0.85)
        Contact.objects.bulk_create(
            Contact(resident=r, village=village, last_inbound_at=now - dt.timedelta(hours=2))
            for r in residents[:inside]
        )
    return {"village": village, "number": number, "inside": inside}


# --------------------------------------------------------------------------- measuring
def received(code: str) -> list[tuple[str, float]]:
    """(wa_id, time) of every message the fake Cloud API accepted for this announcement."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT wa_id, extract(epoch from created) FROM simulator_simmessage "
            "WHERE direction = 'out' AND payload::text LIKE %s ORDER BY created",
            [f"%/kabar/{code}/%"],
        )
        return [(w, float(t)) for w, t in cur.fetchall()]


def accepted_since(mark: int) -> int:
    """Messages the fake Cloud API accepted after ``mark`` (a cheap count for polling)."""
    from balai.simulator.models import SimMessage

    return SimMessage.objects.filter(pk__gt=mark, direction="out").count()


def sim_mark() -> int:
    from balai.simulator.models import SimMessage

    return SimMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def outbox_states(code: str) -> Counter:
    from balai.announcements.models import Recipient

    rows = Recipient.objects.filter(broadcast__announcement__code=code)
    counts = Counter()
    for state, out in rows.values_list("state", "outbound__state"):
        counts[out or state] += 1
    return counts


def max_in_window(times: list[float], width: float) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - width + 1e-9:
            j += 1
        best = max(best, i - j + 1)
    return best


def pair_violations(got: list[tuple[str, float]], burst: int, interval: float) -> int:
    """Recipients who got more than Meta's pair limit allows: more than ``burst`` messages
    in ``burst × interval`` seconds (reference/whatsapp.md §3.3)."""
    per: dict[str, list[float]] = {}
    for wa_id, t in got:
        per.setdefault(wa_id, []).append(t)
    bad = 0
    for times in per.values():
        if len(times) > burst and max_in_window(times, burst * interval) > burst:
            bad += 1
    return bad


def min_gap_same_recipient(got: list[tuple[str, float]]) -> float | None:
    last: dict[str, float] = {}
    gap = None
    for wa_id, t in got:
        if wa_id in last:
            d = t - last[wa_id]
            gap = d if gap is None else min(gap, d)
        last[wa_id] = t
    return gap


def start_announcement(village, title: str):
    from balai.announcements.models import Announcement, Topic
    from balai.announcements.sending import do_start

    post = Announcement.objects.create(
        village=village,
        title=title,
        body="Kerja bakti membersihkan saluran air di setiap RT, Minggu pukul 07.00. Bawa "
        "cangkul dan karung. Konsumsi disediakan oleh ibu-ibu PKK.",
        topic=Topic.objects.get(village=village, slug="umum"),
    )
    broadcast = do_start(post, None)
    return post, broadcast


def wait_until(done, what: str, timeout: float, every: float = 2.0, report=None):
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout:.0f} s")
        if report:
            report()
        time.sleep(every)


def served(code: str, total: int) -> bool:
    from balai.announcements.models import Broadcast, Recipient
    from balai.whatsapp.models import OutboundMessage

    broadcast = Broadcast.objects.get(announcement__code=code)
    if broadcast.state != Broadcast.State.FINISHED:
        return False
    left = Recipient.objects.filter(
        broadcast=broadcast,
        outbound__state__in=[OutboundMessage.State.QUEUED, OutboundMessage.State.SENDING],
    ).exists()
    return not left and Recipient.objects.filter(broadcast=broadcast).count() == total


def run_pace(args, ctx, env, logs) -> dict:
    workers = start_workers(env, args.workers, logs, "pace")
    time.sleep(3)  # let them import Django and connect
    names = {"server": [ctx["server"].pgid], "workers": [w.pgid for w in workers]}
    mark = sim_mark()
    load_start = os.getloadavg()
    before = cpu_snapshot(names)
    wall = time.monotonic()
    post, _ = start_announcement(ctx["village"], "Kerja bakti Minggu pagi (tempo)")
    say(f"run 1: announcement {post.code} started to {args.recipients:,} residents")

    def report():
        say(f"  accepted by the fake Cloud API: {accepted_since(mark):,}")

    wait_until(lambda: served(post.code, args.recipients), "run 1", args.timeout, 5, report)
    after = cpu_snapshot(names)
    load_end = os.getloadavg()
    seconds_wall = time.monotonic() - wall
    got = received(post.code)
    # Statuses arrive after the sends; give them a moment before counting.
    time.sleep(10)
    states = outbox_states(post.code)
    for w in workers:
        w.stop()
    times = [t for _, t in got]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    per = Counter(w for w, _ in got)
    cpu = {k: after[k] - before[k] for k in after}
    from balai.whatsapp.models import OutboundMessage

    errors = Counter(
        OutboundMessage.objects.filter(last_error_code__isnull=False).values_list(
            "last_error_code", flat=True
        )
    )
    return {
        "code": post.code,
        "accepted": len(got),
        "span": span,
        "rate": rate,
        "wall": seconds_wall,
        "max_1s": max_in_window(times, 1.0),
        "pair_bad": pair_violations(got, args.pair_burst, args.pair_interval),
        "duplicates": sum(n - 1 for n in per.values() if n > 1),
        "missing": args.recipients - len(per),
        "states": states,
        "errors": errors,
        "cpu": cpu,
        "cpu_seconds": seconds_wall,
        "workers": args.workers,
        "load": (load_start, load_end),
    }  # fmt: skip


def run_crash(args, ctx, env, logs) -> dict:
    from balai.whatsapp.models import OutboundMessage

    workers = start_workers(env, args.workers, logs, "crash-a")
    time.sleep(3)
    mark = sim_mark()
    post, _ = start_announcement(ctx["village"], "Kerja bakti Minggu pagi (mati listrik)")
    say(f"run 2: announcement {post.code} started; workers are killed at half")
    half = args.recipients // 2
    wait_until(lambda: accepted_since(mark) >= half, "run 2 half", args.timeout, 0.25)
    for w in workers:
        w.kill()
    killed_at = time.monotonic()
    at_kill = accepted_since(mark)
    sending = OutboundMessage.objects.filter(
        purpose="announcement", state=OutboundMessage.State.SENDING
    ).count()
    say(f"  killed {len(workers)} workers with SIGKILL: {at_kill:,} accepted, "
        f"{sending} outbox rows left in 'sending'")  # fmt: skip
    time.sleep(2)
    workers = start_workers(env, args.workers, logs, "crash-b")
    say(f"  started {len(workers)} new workers")

    def report():
        stuck = OutboundMessage.objects.filter(
            purpose="announcement", state=OutboundMessage.State.SENDING
        ).count()
        say(f"  accepted: {accepted_since(mark):,}; rows in 'sending': {stuck}")

    # Rows in 'sending' are sent again by the outbox sweeper after 5 minutes (real time).
    wait_until(lambda: served(post.code, args.recipients), "run 2", args.timeout + 420, 10,
               report)  # fmt: skip
    finished = time.monotonic() - killed_at
    time.sleep(10)
    got = received(post.code)
    states = outbox_states(post.code)
    for w in workers:
        w.stop()
    per = Counter(w for w, _ in got)
    from balai.announcements.models import Recipient

    outbox_rows = Recipient.objects.filter(
        broadcast__announcement__code=post.code, outbound__isnull=False
    )
    return {
        "code": post.code,
        "killed": args.workers,
        "at_kill": at_kill,
        "sending_at_kill": sending,
        "accepted": len(got),
        "once": sum(1 for n in per.values() if n == 1),
        "twice_or_more": sum(1 for n in per.values() if n > 1),
        "extra": sum(n - 1 for n in per.values() if n > 1),
        "missing": args.recipients - len(per),
        "outbox_rows": outbox_rows.count(),
        "outbox_rows_distinct": outbox_rows.values("outbound").distinct().count(),
        "states": states,
        "after_kill": finished,
        "min_gap": min_gap_same_recipient(got),
    }


# --------------------------------------------------------------------------- stages
def run_stages(args, ctx) -> dict:
    """CPU per message by stage, everything in this one process and nothing else of the
    benchmark running: the pump, the send tasks and the simulator's status tasks run one after
    another through django-tasks-db's own worker code, and the fake Cloud API and the webhook
    answer in process (``httpx.WSGITransport``), each request timed on its own. The
    announcement is cancelled once ``--stages`` recipients are served."""
    import httpx
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    from balai import wsgi
    from balai.announcements import sending
    from balai.announcements.models import Pump
    from balai.lib import http

    cpu: Counter = Counter()
    count: Counter = Counter()
    queries: Counter = Counter()

    webhook_name = ["webhook"]

    class Timed(httpx.WSGITransport):
        def handle_request(self, request):
            is_webhook = request.url.path.rstrip("/").endswith("webhook")
            name = webhook_name[0] if is_webhook else "cloud api"
            t, q = time.process_time(), len(connection.queries_log)
            try:
                return super().handle_request(request)
            finally:
                cpu[f"server: {name}"] += time.process_time() - t
                count[f"server: {name}"] += 1
                queries[f"server: {name}"] += len(connection.queries_log) - q

    worker = Worker(
        queue_names=["outbox", "default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="stages", excluded_queue_names=[],
    )  # fmt: skip

    def run_ready() -> int:
        ran = 0
        while True:
            t = time.process_time()
            served = cpu["server: webhook"] + cpu["server: cloud api"]
            served_q = queries["server: webhook"] + queries["server: cloud api"]
            with CaptureQueriesContext(connection) as captured:
                tasks = DBTaskResult.objects.ready().exclude(task_path__endswith=".pump")
                with exclusive_transaction(tasks.db):
                    row = tasks.get_locked()
                    if row is None:
                        return ran
                    row.claim(worker.worker_id)
                worker.run_task(row)
            name = "task " + row.task_path.rsplit(".", 1)[-1]
            server = cpu["server: webhook"] + cpu["server: cloud api"] - served
            cpu[name] += time.process_time() - t - server
            count[name] += 1
            queries[name] += len(captured) - (
                queries["server: webhook"] + queries["server: cloud api"] - served_q
            )
            ran += 1

    # The application `balai serve` runs (the webhook on its lean path).
    http.set_default_transport(Timed(app=wsgi.application))
    try:
        post, broadcast = start_announcement(ctx["village"], "Kerja bakti (biaya CPU)")
        number_id = ctx["number"].pk
        chain = Pump.objects.get(number_id=number_id).chain
        now, released = time.time(), 0
        while released < args.stages:
            t = time.process_time()
            with CaptureQueriesContext(connection) as captured:
                result = sending.tick(number_id, chain, now=now)
            cpu["pump"] += time.process_time() - t
            queries["pump"] += len(captured)
            count["pump"] += 1
            released += int(result.split()[1]) if result.startswith("released") else 0
            now += sending.TICK
            run_ready()
        sending.do_cancel(broadcast)
        run_ready()
        # Meta usually posts one status per webhook; the simulator shares webhooks among the
        # messages accepted together. Balai's cost for the usual shape: "read" statuses for
        # up to 100 of these messages, one webhook each.
        from balai.simulator.models import SimMessage
        from balai.simulator.webhooks import post_status

        webhook_name[0] = "webhook, one status each"
        with CaptureQueriesContext(connection):
            for message in SimMessage.objects.filter(
                phone_number_id=PNID, direction="out", status="delivered"
            )[:100]:
                post_status(ctx["number"], message, "read")
    finally:
        http.set_default_transport(None)
        # Runs 1 and 2 start their own pump chains.
        DBTaskResult.objects.filter(task_path__endswith=".pump").delete()
        Pump.objects.update(ticked_at=0, lease_until=0, credit=0)
    sent = len(received(post.code))
    per = {name: used * 1000 / max(sent, 1) for name, used in cpu.items()}
    single = "server: webhook, one status each"
    per[single] = cpu[single] * 1000 / max(count[single], 1)  # per status, not per message
    say(f"stages: {sent} messages; CPU per message "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in sorted(per.items())))  # fmt: skip
    return {"sent": sent, "per": per, "count": dict(count), "queries": dict(queries)}


# --------------------------------------------------------------------------- report
def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    return (
        f"{cpus} CPUs ({model or platform.machine()}), {kb / 1024 / 1024:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"Django {version('django')}, granian {version('granian')}, PostgreSQL {pg}"
    )


def other_cpu(run: dict) -> float:
    cpu = run["cpu"]
    return (
        max(cpu["total"] - sum(v for k, v in cpu.items() if k != "total"), 0) / run["cpu_seconds"]
    )


def fmt_cpu(cpu: dict, seconds: float) -> str:
    parts = [f"{name} {used / seconds:.2f}" for name, used in cpu.items() if name != "total"]
    other = cpu["total"] - sum(v for k, v in cpu.items() if k != "total")
    return ", ".join(parts) + f", other processes on the machine {max(other, 0) / seconds:.2f}"


def fmt_load(load) -> str:
    return " / ".join(f"{x:.1f}" for x in load)


def code_version() -> str:
    """The commit measured: ``BENCH_COMMIT`` (a clean export has no .git), else git's."""
    if os.environ.get("BENCH_COMMIT"):
        return f"commit {os.environ['BENCH_COMMIT']} (a clean export of it)"
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


def row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def states_text(states: Counter) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(states.items()))


def section(args, pace, crash, stages, started: str, took: float) -> str:
    limit = args.throughput
    target = TARGET_SHARE * limit
    met = pace["rate"] >= target
    buckets = "Redis for the rate buckets" if args.redis else "the rate buckets in PostgreSQL"
    per_msg = {k: v * 1000 / max(pace["accepted"], 1) for k, v in pace["cpu"].items()}
    ours = per_msg["workers"] + per_msg["server"] + per_msg["postgres"]
    lines = [
        f"## WhatsApp announcement to {args.recipients:,} residents (`make bench-broadcast`)",
        "",
        f"Measured {started} ({took / 60:.0f} min) with `make bench-broadcast`, which runs "
        "`uv run python scripts/bench_broadcast.py` (options: `--help`), on "
        f"{code_version()}.",
        "",
        f"**Machine.** {machine()}. The web server, the workers, PostgreSQL and the "
        "simulator (which plays Meta: it accepts each message and posts its `sent` and "
        "`delivered` status webhooks) share these CPUs, and so did other processes (below).",
        "",
        f"**Setup.** PostgreSQL (a fresh `balai_bench_broadcast` database), database task "
        f"backend, {buckets}; `balai serve` ({args.web_workers} granian workers × "
        f"{args.web_threads} threads) serving the simulator's fake Cloud API and Balai's "
        f"webhook; {args.workers} × `balai worker --queues outbox,default` (one task at a "
        f"time each). One village, its simulated number limited to **{limit} "
        "messages/second** (`throughput_per_second`), Meta's pair limit as configured "
        f"(burst {args.pair_burst}, then 1 per {args.pair_interval:g} s); "
        f"{args.recipients:,} subscribed residents, 85 % inside the 24-hour window "
        "(free-form message), 15 % outside (the approved template). A normal announcement "
        f"with the village's share for announcements set to {args.share} % (the default, "
        "90 %, keeps a tenth of the number's speed for conversation replies; emergencies "
        "always take 100 %)."
        ,
        "",
        "### Run 1: pace",
        "",
        row("measure", "result", "target"),
        row("---", "---:", "---"),
        row("messages accepted by the fake Cloud API", f"{pace['accepted']:,}",
            f"{args.recipients:,}"),
        row("from the first to the last", f"{pace['span']:.1f} s",
            f"{args.recipients / limit:.0f} s at {limit}/s"),
        row("**achieved rate**",
            f"**{pace['rate']:.1f} msg/s = {pace['rate'] / limit:.1%} of {limit}**",
            f"≥ {target:.0f}/s ({TARGET_SHARE:.0%}): **{'met' if met else 'NOT met'}**"),
        row("most messages in any 1 s", pace["max_1s"],
            f"≤ {2 * limit} (bucket: {limit}/s after a 1 s burst)"),
        row("recipients over the pair limit", pace["pair_bad"], "0"),
        row("130429 / 131056 errors",
            f"{pace['errors'].get(130429, 0)} / {pace['errors'].get(131056, 0)}", "0 / 0"),
        row("duplicates / missing", f"{pace['duplicates']} / {pace['missing']}", "0 / 0"),
        row("outbox states 10 s after", states_text(pace["states"]), ""),
        "",
        f"CPUs used during run 1 (average over {pace['cpu_seconds']:.0f} s; 2.00 = both "
        f"busy): {fmt_cpu(pace['cpu'], pace['cpu_seconds'])}. Load average (1, 5, 15 min) "
        f"at its start {fmt_load(pace['load'][0])}, at its end {fmt_load(pace['load'][1])}. "
        "PostgreSQL's figure is its backends for the benchmark database and those that "
        "ended during the run (connections are recycled every minute).",
        f"CPU time per message: workers {per_msg['workers']:.1f} ms, web server (the fake "
        f"Cloud API and the webhook) {per_msg['server']:.1f} ms, PostgreSQL "
        f"{per_msg['postgres']:.1f} ms: {ours:.1f} ms in all, so these two CPUs, if the "
        f"benchmark had them to itself, would carry at most about {2000 / ours:.0f} "
        "messages/second.",
        "",
    ]  # fmt: skip
    if not met:
        got = sum(v for k, v in pace["cpu"].items() if k != "total") / pace["cpu_seconds"]
        lines += [
            f"**Why the rate is short.** At {target:.0f} messages/second these processes "
            f"would need {target * ours / 1000:.2f} CPUs; they got {got:.2f}, and other "
            f"processes on the machine used {other_cpu(pace):.2f} of the 2 meanwhile. "
            "The stages below show how much of the cost per message is Balai's own.",
            "",
        ]
    if stages:
        per, q, n = stages["per"], stages["queries"], stages["count"]
        send = "task send_outbound_batch"
        single = "server: webhook, one status each"
        balai = per.get("pump", 0) + per.get(send, 0) + per.get("server: webhook", 0)
        meta = per.get("server: cloud api", 0) + per.get("task deliver", 0)
        unbatched = balai - per.get("server: webhook", 0) + 2 * per.get(single, 0)

        def each(name):
            return f"{q[name] / max(n[name], 1):.0f}" if name in q else "—"

        lines += [
            "### CPU per message by stage",
            "",
            f"Measured first, on {stages['sent']} recipients, in the benchmark's own process "
            "with nothing else of it running: the pump's ticks, then the queued tasks one by "
            "one through django-tasks-db's worker code, the fake Cloud API and the webhook "
            "answering in process (no HTTP server, no scheduler thread, no polling). It is the "
            "process's CPU time, which other load on the machine inflates far less than wall "
            "time, though somewhat (shared caches and cores).",
            "",
            row("stage", "whose work", "CPU per message", "queries"),
            row("---", "---", "---:", "---:"),
            row("pump: release (outbox rows, recipients' marks, a send task per ten)",
                "Balai", f"{per.get('pump', 0):.1f} ms", f"{each('pump')} per tick"),
            row("send task: ten messages (order and rate checks, claim, POST, commit, each)",
                "Balai", f"{per.get(send, 0):.1f} ms", f"{each(send)} per task"),
            row("webhook: the `sent` and `delivered` statuses, sharing webhooks with the "
                "messages accepted with it", "Balai",
                f"{per.get('server: webhook', 0):.1f} ms",
                f"{each('server: webhook')} per webhook"),
            row("fake Cloud API: accept the message", "simulator (Meta)",
                f"{per.get('server: cloud api', 0):.1f} ms", each("server: cloud api")),
            row("status task: post the statuses of the messages accepted meanwhile",
                "simulator (Meta)", f"{per.get('task deliver', 0):.1f} ms",
                f"{each('task deliver')} per task"),
            row("**Balai's own / with the simulator**", "",
                f"**{balai:.1f} / {balai + meta:.1f} ms**", ""),
            "",
            f"So two CPUs carry at most about {2000 / max(balai + meta, 0.1):.0f} "
            f"messages/second with the simulator on them, {2000 / max(balai, 0.1):.0f} with "
            "Meta's side elsewhere (as in production), before the processes' own overhead "
            "(above).",
            "",
            "The simulator puts the statuses of messages it accepted together into shared "
            "webhooks (Meta's envelope carries arrays: `entry[].changes[].value.statuses[]`). "
            "Meta usually posts one status per webhook: measured the same way, one `read` "
            f"status per webhook for {n.get(single, 0)} of these messages cost Balai "
            f"**{per.get(single, 0):.1f} ms** each ({each(single)} queries), so with two "
            f"statuses per message in webhooks of their own Balai's own cost is about "
            f"**{unbatched:.1f} ms** per message ({2000 / max(unbatched, 0.1):.0f} "
            "messages/second on two CPUs with Meta's side elsewhere).",
            "",
        ]  # fmt: skip
    if crash:
        c = crash
        ok = c["missing"] == 0 and c["extra"] <= c["killed"]
        gap = f"{c['min_gap']:.0f} s" if c["min_gap"] is not None else "—"
        lines += [
            "### Run 2: every worker killed half-way",
            "",
            f"A second announcement to the same {args.recipients:,} residents. When the fake "
            f"Cloud API had accepted {c['at_kill']:,}, all {c['killed']} workers were killed "
            f"with SIGKILL ({c['sending_at_kill']} outbox row(s) then in `sending`: a "
            "request in flight, or answered but not yet committed) and as many new workers "
            f"were started. Everything was served {c['after_kill']:.0f} s after the kill "
            "(rows left in `sending` wait 5 minutes for the outbox sweeper, in real time).",
            "",
            row("measure", "result"),
            row("---", "---:"),
            row("residents served exactly once", f"{c['once']:,}"),
            row("residents served twice", f"{c['twice_or_more']} ({c['extra']} extra)"),
            row("residents not served", c["missing"]),
            row("outbox rows for it / distinct",
                f"{c['outbox_rows']:,} / {c['outbox_rows_distinct']:,}"),
            row("shortest gap between two messages to one resident", gap),
            row("outbox states", states_text(c["states"])),
            "",
            "- **Every recipient served, duplicates at most one per killed worker:** "
            f"{'met' if ok else 'NOT met'} ({c['extra']} duplicate(s), {c['killed']} "
            "workers killed). A duplicate is a message the API accepted while its worker "
            "died before committing `sent`; the outbox sweeper sends it again after 5 "
            "minutes (`balai/announcements/sending.py`, \"The duplicate window\").",
            "",
        ]  # fmt: skip
    return "\n".join(lines)


def write_doc(text: str) -> None:
    block = f"{START}\n{text.rstrip()}\n{END}\n"
    old = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        new = old.rstrip() + "\n\n" + block
    DOC.write_text(new)


# --------------------------------------------------------------------------- main
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pg-url", default=PG_URL, help=f"dropped and recreated ({PG_URL})")
    p.add_argument("--recipients", type=int, default=10_000)
    p.add_argument("--throughput", type=int, default=80, help="the number's limit (80/s)")
    p.add_argument("--share", type=int, default=100, help="normal announcements' %% (100)")
    p.add_argument("--workers", type=int, default=4, help="balai worker processes (4)")
    p.add_argument("--web-workers", type=int, default=2)
    p.add_argument("--web-threads", type=int, default=4)
    p.add_argument("--redis", default="", help="a Redis URL for the rate buckets (off)")
    p.add_argument("--no-crash", action="store_true", help="skip run 2")
    p.add_argument(
        "--stages",
        type=int,
        default=300,
        help="first measure the CPU per message by stage in one process, on this many "
        "recipients (300; 0 skips it)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="run the workers under cProfile (slower: for finding where the time goes, with "
        "--no-doc --keep-logs); prints their top functions",
    )
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--timeout", type=float, default=4 * 3600, help="per run, seconds")
    p.add_argument("--keep-logs", action="store_true")
    args = p.parse_args()
    global PROFILE
    PROFILE = args.profile
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    env, data_dir, port = configure(args)
    args.pair_burst = 20
    args.pair_interval = 6.0
    logs = data_dir / "logs"
    logs.mkdir()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    args.pair_burst = settings.WHATSAPP_PAIR_BURST
    args.pair_interval = float(settings.WHATSAPP_PAIR_INTERVAL_SECONDS)
    say("migrating")
    call_command("migrate", verbosity=0)
    say(f"seeding {args.recipients:,} subscribed residents")
    ctx = seed(args)
    stages = run_stages(args, ctx) if args.stages else None
    server = start_server(env, port, args.web_workers, args.web_threads, logs)
    ctx["server"] = server
    try:
        pace = run_pace(args, ctx, env, logs)
        say(f"run 1: {pace['accepted']:,} in {pace['span']:.1f} s = {pace['rate']:.1f} msg/s "
            f"({pace['rate'] / args.throughput:.1%}); duplicates {pace['duplicates']}, "
            f"missing {pace['missing']}; max in 1 s {pace['max_1s']}")  # fmt: skip
        crash = None
        if not args.no_crash:
            crash = run_crash(args, ctx, env, logs)
            say(f"run 2: once {crash['once']:,}, twice+ {crash['twice_or_more']}, missing "
                f"{crash['missing']}, extra {crash['extra']}")  # fmt: skip
    finally:
        for group in list(_groups):
            group.stop()
    took = time.monotonic() - _t0
    if PROFILE:
        import pstats

        files = [str(f) for f in sorted(logs.glob("worker-*.prof"))]
        if files:
            pstats.Stats(*files).sort_stats("cumulative").print_stats(60)
            pstats.Stats(*files).sort_stats("tottime").print_stats(40)
    text = section(args, pace, crash, stages, started, took)
    print("\n" + text)
    if not args.no_doc:
        write_doc(text)
        say(f"wrote {DOC.relative_to(ROOT)}")
    if not args.keep_logs:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        say(f"logs in {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
