"""Signed-webhook ingest benchmark with the real server stack (`make bench-webhook`).

For SQLite (WAL, the default database) and PostgreSQL (skipped with a reason when it is not
reachable), in a throw-away data directory / database:

1. ``balai migrate`` and ``balai seed_demo`` with production settings (BALAI_DEBUG off,
   explicit secrets, TASK_BACKEND=db, no Redis, no task workers);
2. a short sweep of workers x threads combinations of ``balai serve`` (granian), each
   measured after a warm-up; the fastest error-free one is then measured for the full
   duration;
3. wrk (a separate process, scripts/bench_webhook.lua) POSTs pre-generated, distinct,
   HMAC-signed Meta envelopes (one text message each, to Pondok's number, from a few thousand
   senders) to /whatsapp/webhook, each body once, and then GETs /healthz, a bare endpoint of
   the same server that does no work (the ceiling of the stack on this machine);
4. every run is checked in the database: the stored InboundMessage rows of that run lie
   between the 2xx responses wrk counted and the requests it sent (the difference is what was
   in flight when wrk stopped), no wamid twice, and exactly one process_inbound task each.

Prints a table and rewrites its own section of docs/benchmarks.md. Exit status: 0 when all
runs passed the database check, 1 otherwise (2 with --require-target when a target is missed).
``--verify PREFIX SINCE`` is the internal database check, run with the server's environment.
"""

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "scripts" / "bench_webhook.lua"
DOC = ROOT / "docs" / "benchmarks.md"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/balai_bench")
PHONE_NUMBER_ID = "106540352242922"  # Pondok (balai/core/demo.py)
TASK_PATH = "balai.whatsapp.inbox.process_inbound"
START, END = "<!-- bench-webhook:start -->", "<!-- bench-webhook:end -->"
DEFAULT_CONFIGS = "2x16,1x32,2x8"  # balai serve's default (2 x 16) first

# Settings the server must not inherit from the caller's shell (each also has a _FILE form).
CLEARED = {
    "ADMIN_URL",
    "ALLOWED_HOSTS",
    "BALAI_DATA_DIR",
    "BALAI_DEBUG",
    "BALAI_DEMO",
    "BEHIND_PROXY",
    "DATABASE_URL",
    "DB_CONN_MAX_AGE",
    "HSTS_SECONDS",
    "LOG_LEVEL",
    "MEDIA_ROOT",
    "REDIS_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SIMULATOR_ENABLED",
    "SITE_URL",
    "TASK_BACKEND",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_MESSAGE_HANDLER",
    "ACCESS_LOG",
    "BIND",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
}

TEXTS = [
    "sy mw bkin srt domisili gmn y",
    "Assalamualaikum pak, saya mau tanya syarat surat keterangan usaha apa saja?",
    "selamat pagi bu, surat pengantar SKCK saya sudah jadi belum ya",
    "lampu jalan di RT 03 mati sudah seminggu, mohon ditindaklanjuti",
    "permisi, kantor desa buka jam berapa hari sabtu?",
    "mau urus surat keterangan tidak mampu untuk beasiswa anak saya",
    "iya",
    "terima kasih banyak pak 🙏",
    "Saluran air depan rumah saya mampet, kalau hujan banjir sampai jalan. Mohon bantuannya.",
    "surat kematian untuk almarhumah ibu saya, apa yang harus dibawa?",
    "menu",
    "kk saya hilang, bagaimana cara mengurus yang baru",
    "jalan di dusun Ngasem berlubang besar dekat masjid, bahaya buat motor malam hari",
    "bisa minta surat keterangan belum menikah? untuk daftar kerja",
    "Pak, bantuan pupuk untuk kelompok tani kapan dibagikan?",
    "ok sip",
    "saya pindah dari desa sebelah, perlu surat pindah datang",
    "ada pelatihan UMKM bulan ini? saya jualan keripik tempe",
]
FIRST = [
    "Siti",
    "Budi",
    "Agus",
    "Dewi",
    "Sri",
    "Wahyu",
    "Rina",
    "Joko",
    "Ani",
    "Eko",
    "Yuni",
    "Bambang",
    "Ratna",
    "Slamet",
    "Tri",
    "Nur",
]
LAST = [
    "Aminah",
    "Santoso",
    "Lestari",
    "Wahyuni",
    "Hidayat",
    "Saputra",
    "Rahayu",
    "Purnomo",
    "Susanti",
    "Kurniawan",
]

_servers: list["Server"] = []
_t0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _t0:5.0f} s] {message}", flush=True)


# --------------------------------------------------------------------------- load bodies
def make_bodies(path: Path, prefix: str, count: int, secret: str, seed: int) -> None:
    """``count`` signed envelopes, one text message each, wamids ``prefix + n``."""
    rng = random.Random(seed)
    senders = []
    for _ in range(3000):
        wa_id = "628" + str(rng.randrange(10**9, 10**10))
        senders.append((wa_id, f"{rng.choice(FIRST)} {rng.choice(LAST)}"))
    key = secret.encode()
    now = int(time.time())
    with path.open("w") as out:
        for n in range(count):
            wa_id, name = senders[rng.randrange(len(senders))]
            tail = base64.b64encode(rng.randbytes(24)).decode()
            envelope = {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550783881",
                                        "phone_number_id": PHONE_NUMBER_ID,
                                    },
                                    "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                                    "messages": [
                                        {
                                            "from": wa_id,
                                            "id": f"{prefix}{n:08d}{tail}",
                                            "timestamp": str(now - rng.randrange(5)),
                                            "text": {"body": rng.choice(TEXTS)},
                                            "type": "text",
                                        }
                                    ],
                                },
                                "field": "messages",
                            }
                        ],
                    }
                ],
            }
            body = json.dumps(envelope, separators=(",", ":")).encode()
            sig = hmac.new(key, body, hashlib.sha256).hexdigest()
            out.write(f"sha256={sig}\t{body.decode()}\n")


# --------------------------------------------------------------------------- processes
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict, what: str, log: Path) -> None:
    result = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    log.write_text(result.stdout + result.stderr)
    if result.returncode:
        sys.exit(
            f"{what} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}"
        )


class Server:
    """``balai serve`` (granian) in its own session, stopped by its own process group id."""

    def __init__(self, env: dict, workers: int, threads: int, log: Path):
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "balai",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _servers.append(self)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not answering /healthz after 60 s:\n{self.tail()}")
            time.sleep(0.2)

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self in _servers:
            _servers.remove(self)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)  # granian's main process: graceful stop
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=25)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # any worker left of our own group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


def stop_all() -> None:
    for server in list(_servers):
        server.stop()


# --------------------------------------------------------------------------- CPU accounting
TICK = os.sysconf("SC_CLK_TCK")
PG_NAME = [urlsplit(PG_URL).path.lstrip("/")]  # set from --pg-url


def cpu_snapshot(pgid: int | None) -> dict:
    """Busy CPU seconds of the machine, of the server's process group, and of the PostgreSQL
    backends serving the benchmark database, at this moment."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    snap = {"total": (sum(fields) - fields[3] - fields[4]) / TICK, "server": 0.0, "pg": 0.0}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            rest = stat.rsplit(")", 1)[1].split()
            used = (int(rest[11]) + int(rest[12])) / TICK
            if pgid is not None and int(rest[2]) == pgid:
                snap["server"] += used
            elif (
                "postgres" in stat
                and PG_NAME[0]
                in Path(f"/proc/{entry.name}/cmdline")
                .read_text(errors="replace")
                .replace("\0", " ")
                .split()
            ):
                # "postgres: 15/main: USER DATABASE HOST(PORT) STATE": this run's database
                # only (other benchmarks' databases are named balai_bench_… too).
                snap["pg"] += used
        except (OSError, IndexError, ValueError):
            continue
    return snap


def cpu_quiet(wait: float) -> float:
    """Wait up to ``wait`` seconds for the machine to be nearly idle; the busy CPUs seen last."""
    deadline = time.monotonic() + wait
    while True:
        a = cpu_snapshot(None)["total"]
        time.sleep(1.0)
        busy = cpu_snapshot(None)["total"] - a
        if busy < 0.25 or time.monotonic() >= deadline:
            return busy
        print(f"   machine busy ({busy:.2f} CPUs used by other processes), waiting…")


# --------------------------------------------------------------------------- wrk
@dataclass
class Result:
    label: str
    requests: int = 0
    seconds: float = 0.0
    non2xx: int = 0
    socket_errors: dict = field(default_factory=dict)
    p50: float = 0.0  # ms
    p90: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    sent: int = 0
    reused: int = 0
    check: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)  # CPUs used during the run, by whom

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok2xx(self) -> int:
        return self.requests - self.non2xx

    @property
    def errors(self) -> str:
        parts = [f"{self.non2xx} non-2xx"] if self.non2xx else []
        parts += [f"{v} {k}" for k, v in self.socket_errors.items() if v]
        return ", ".join(parts) or "0"


def wrk(
    url: str, seconds: float, args, bodies: Path | None, label: str, log: Path, pgid: int
) -> Result:
    cmd = [
        "wrk",
        "-t",
        str(args.wrk_threads),
        "-c",
        str(args.connections),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        url,
        "--",
        str(bodies) if bodies else "-",
        str(args.wrk_threads),
    ]
    before, children = cpu_snapshot(pgid), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 120, check=False, cwd=ROOT
    )
    wall = time.monotonic() - t0
    after, children_after = cpu_snapshot(pgid), resource.getrusage(resource.RUSAGE_CHILDREN)
    used = {k: (after[k] - before[k]) / wall for k in before}
    used["wrk"] = (
        children_after.ru_utime + children_after.ru_stime - children.ru_utime - children.ru_stime
    ) / wall
    used["other"] = max(used["total"] - used["server"] - used["pg"] - used["wrk"], 0.0)
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n{out.stdout}{out.stderr}\n")
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode or not line:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-2000:]}{out.stderr}")
    d = json.loads(line.removeprefix("BENCH_JSON "))
    return Result(
        label=label,
        requests=d["requests"],
        seconds=d["duration_us"] / 1e6,
        non2xx=d["status"],
        socket_errors={k: d[k] for k in ("connect", "read", "write", "timeout")},
        p50=d["p50"] / 1000,
        p90=d["p90"] / 1000,
        p99=d["p99"] / 1000,
        max=d["max"] / 1000,
        sent=d["sent"],
        reused=d["reused"],
        cpu=used,
    )


# --------------------------------------------------------------------------- database check
def verify_main(runs: str) -> None:
    """Run inside the server's environment: print what the database holds for each run
    (``runs``: a JSON list of [wamid prefix, ISO time the run started])."""
    from collections import Counter

    import django

    django.setup()
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from balai.whatsapp.models import InboundMessage, WebhookProblem

    runs = json.loads(runs)
    tasks = Counter()
    first = min(dt.datetime.fromisoformat(since) for _, since in runs)
    for args_kwargs in DBTaskResult.objects.filter(
        task_path=TASK_PATH, enqueued_at__gte=first
    ).values_list("args_kwargs", flat=True):
        task_args = args_kwargs.get("args") or []
        if len(task_args) == 1:
            tasks[task_args[0]] += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "PRAGMA journal_mode" if connection.vendor == "sqlite" else "SHOW server_version"
        )
        db = cursor.fetchone()[0]
    problems = WebhookProblem.objects.count()
    out = []
    for prefix, _ in runs:
        rows = InboundMessage.objects.filter(wamid__startswith=prefix)
        ids = set(rows.values_list("id", flat=True))
        out.append(
            {
                "stored": len(ids),
                "distinct_wamids": rows.values("wamid").distinct().count(),
                "with_task": sum(1 for i in ids if tasks[i] >= 1),
                "extra_tasks": sum(tasks[i] - 1 for i in ids if tasks[i] > 1),
                "problems": problems,
                "db": db,
            }
        )
    print(json.dumps(out))


def verify(env: dict, runs: list[tuple[str, str, "Result"]]) -> None:
    """Check every run of one database in its database (after its servers have stopped, so
    nothing is still in flight)."""
    out = subprocess.run(
        [sys.executable, __file__, "--verify", json.dumps([(p, s) for p, s, _ in runs])],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"database check failed:\n{out.stdout}{out.stderr[-3000:]}")
    checks = json.loads(out.stdout.strip().splitlines()[-1])
    for (_, _, result), c in zip(runs, checks, strict=True):
        c["in_flight"] = c["stored"] - result.ok2xx
        c["ok"] = (
            result.ok2xx <= c["stored"] <= result.sent
            and c["distinct_wamids"] == c["stored"]
            and c["with_task"] == c["stored"]
            and c["extra_tasks"] == 0
            and c["problems"] == 0
            and result.reused == 0
        )
        result.check = c


# --------------------------------------------------------------------------- one database
class Bench:
    def __init__(self, args, tmp: Path):
        self.args, self.tmp = args, tmp
        self.secret = secrets.token_hex(24)
        self.run_no = 0
        self.runs: list[tuple[str, str, Result]] = []  # checked in the database at the end
        self.results: dict[str, dict] = {}

    def env(self, data_dir: Path, database_url: str | None) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env = {k: v for k, v in env.items() if not (k.endswith("_FILE") and k[:-5] in CLEARED)}
        env.update(
            BALAI_DATA_DIR=str(data_dir),
            SECRET_KEY=secrets.token_urlsafe(48),
            FIELD_ENCRYPTION_KEY=secrets.token_urlsafe(48),
            WHATSAPP_APP_SECRET=self.secret,
            WHATSAPP_VERIFY_TOKEN=secrets.token_urlsafe(24),
            TASK_BACKEND="db",
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_COOKIES="false",
            PYTHONUNBUFFERED="1",
            # A variant of the settings can be measured before it is made (e.g. a module that
            # imports balai.settings and changes one thing, on PYTHONPATH).
            DJANGO_SETTINGS_MODULE=os.environ.get("BENCH_DJANGO_SETTINGS", "balai.settings"),
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        return env

    def webhook_run(self, server: Server, env: dict, name: str, warmup: float, seconds: float):
        """Warm up, then a timed run with fresh bodies; checked in the database."""
        log = self.tmp / f"{name}.wrk.log"
        url = server.base + "/whatsapp/webhook"
        self.run_no += 1
        warm_bodies = self.tmp / "warm.txt"
        make_bodies(
            warm_bodies,
            f"wamid.HBgNWARM{self.run_no:03d}x",
            int(warmup * 8000) + 1000,
            self.secret,
            self.run_no,
        )
        warm = wrk(url, warmup, self.args, warm_bodies, "warm-up", log, server.proc.pid)
        # Enough bodies that none is sent twice: three times the warm-up's rate (which can be
        # far below the steady one), and at least 6,000 a second.
        count = min(int(max(warm.rate * 3, 6000) * seconds), 600_000)
        prefix = f"wamid.HBgNBENCH{self.run_no:03d}x"
        bodies = self.tmp / "bodies.txt"
        make_bodies(bodies, prefix, count, self.secret, 1000 + self.run_no)
        cpu_quiet(self.args.wait_quiet)
        since = dt.datetime.now(dt.UTC).isoformat()
        result = wrk(url, seconds, self.args, bodies, "webhook", log, server.proc.pid)
        self.runs.append((prefix, since, result))
        return result

    def database(self, db: str) -> None:
        args = self.args
        data_dir = self.tmp / db
        data_dir.mkdir()
        url = None
        if db == "postgresql":
            reason = pg_recreate(args.pg_url)
            if reason:
                say(f"SKIPPED PostgreSQL: {reason}")
                self.results[db] = {"skipped": reason}
                return
            url = args.pg_url
        env = self.env(data_dir, url)
        self.runs = []
        say(f"{db}: migrate + seed_demo (production settings)")
        for command in (["migrate", "--no-input"], ["seed_demo"]):
            log = self.tmp / f"{db}.{command[0]}.log"
            run([sys.executable, "-m", "balai", *command], env, command[0], log)
        sweep = []
        for workers, threads in args.configs:
            name = f"{db}-{workers}x{threads}-sweep"
            server = Server(env, workers, threads, self.tmp / f"{name}.server.log")
            try:
                r = self.webhook_run(server, env, name, args.sweep_warmup, args.sweep_duration)
            finally:
                server.stop()
            r.label = f"{workers}x{threads}"
            sweep.append(((workers, threads), r))
            say(
                f"  {workers} workers x {threads} threads: {r.rate:6.0f} req/s, median "
                f"{r.p50:.1f} ms, p99 {r.p99:.1f} ms, errors {r.errors}, "
                f"other processes used {r.cpu['other']:.2f} CPUs"
            )
        clean = [s for s in sweep if s[1].errors == "0"] or sweep
        (workers, threads), _ = max(clean, key=lambda s: (s[1].rate, -s[1].p99))
        say(f"  best: {workers} workers x {threads} threads; {args.duration:g} s runs")
        name = f"{db}-{workers}x{threads}"
        server = Server(env, workers, threads, self.tmp / f"{name}.server.log")
        try:
            hook = self.webhook_run(server, env, name, args.warmup, args.duration)
            say(
                f"  webhook: {hook.rate:.0f} req/s, median {hook.p50:.1f} ms, p99 {hook.p99:.1f} ms"
            )
            log = self.tmp / f"{name}-bare.wrk.log"
            pgid = server.proc.pid
            wrk(server.base + "/healthz", args.sweep_warmup, args, None, "warm-up", log, pgid)
            cpu_quiet(args.wait_quiet)
            bare = wrk(server.base + "/healthz", args.duration, args, None, "bare", log, pgid)
            say(
                f"  bare:    {bare.rate:.0f} req/s, median {bare.p50:.1f} ms, p99 {bare.p99:.1f} ms"
            )
        finally:
            server.stop()
        verify(env, self.runs)
        bad = sum(1 for _, _, r in self.runs if not r.check["ok"])
        say(f"  database check of {len(self.runs)} runs: {'ok' if not bad else f'{bad} FAILED'}")
        self.results[db] = {
            "config": (workers, threads),
            "webhook": hook,
            "bare": bare,
            "sweep": sweep,
            "db_version": hook.check["db"],
        }
        if db == "postgresql" and not args.keep:
            pg_drop(args.pg_url)


def _pg_connect(url: str):
    import psycopg

    u = urlsplit(url)
    return psycopg.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        dbname="postgres",
        connect_timeout=3,
        autocommit=True,
    )


def pg_recreate(url: str) -> str | None:
    """Drop and create the benchmark database; the reason it cannot, or None."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        return f"refusing to drop database {name!r}: its name must contain 'bench'"
    try:
        with _pg_connect(url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as e:
        return f"no usable server at {url} ({str(e).strip().splitlines()[0]})"
    return None


def pg_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with contextlib.suppress(psycopg.Error), _pg_connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# --------------------------------------------------------------------------- report
def machine() -> dict:
    info = {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        info["memory"] = f"{kb / 1024 / 1024:.1f} GiB"
    info["kernel"] = platform.release()
    info["python"] = platform.python_version()
    from importlib.metadata import version

    info["django"] = version("django")
    info["granian"] = version("granian")
    info["psycopg"] = version("psycopg")
    info["sqlite"] = sqlite3.sqlite_version
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    m = re.search(r"wrk (\S+)", wrk_version.stdout + wrk_version.stderr)
    info["wrk"] = m.group(1) if m else "?"
    return info


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def cpu_cols(r: Result) -> str:
    per_request = r.cpu["server"] / r.rate * 1000 if r.rate else 0
    pg = f" + {r.cpu['pg']:.2f}" if r.cpu["pg"] >= 0.005 else " + 0"
    return (
        f"{per_request:.2f} ms | {r.cpu['server']:.2f}{pg} + {r.cpu['wrk']:.2f} "
        f"| {r.cpu['other']:.2f}"
    )


def report(results: dict, args, info: dict, started: str, elapsed: float) -> tuple[str, dict]:
    verdict = {}
    rows = [
        "| target | req/s | median | p99 | errors | server CPU per request "
        "| CPUs used: server + PostgreSQL + wrk | CPUs used by other processes |",
        "|---|---:|---:|---:|---|---:|---|---:|",
    ]
    integrity = [
        "| run | 2xx counted by wrk | requests sent | rows stored | in flight at stop "
        "| duplicate wamids | with one task | check |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    sweep_rows = [
        "| database | workers x threads | req/s | median | p99 | errors "
        "| CPUs used by other processes |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    names = {"sqlite": "SQLite (WAL)", "postgresql": "PostgreSQL"}
    for db, res in results.items():
        if "skipped" in res:
            rows.append(f"| webhook, {names[db]} | skipped: {res['skipped']} | | | |")
            continue
        hook, bare = res["webhook"], res["bare"]
        w, t = res["config"]
        rows.append(
            f"| webhook POST, {names[db]} ({w}x{t}) | {hook.rate:,.0f} | {ms(hook.p50)} "
            f"| {ms(hook.p99)} | {hook.errors} | {cpu_cols(hook)} |"
        )
        rows.append(
            f"| bare GET /healthz, same server ({w}x{t}) | {bare.rate:,.0f} "
            f"| {ms(bare.p50)} | {ms(bare.p99)} | {bare.errors} | {cpu_cols(bare)} |"
        )
        ratio = hook.rate / bare.rate if bare.rate else 0
        verdict[db] = {"rate": hook.rate, "ratio": ratio}
        runs = [(f"{names[db]} full run ({w}x{t})", hook)] + [
            (f"{names[db]} sweep {r.label}", r) for _, r in res["sweep"]
        ]
        for label, r in runs:
            c = r.check
            integrity.append(
                f"| {label} | {r.ok2xx:,} | {r.sent:,} | {c['stored']:,} | {c['in_flight']} "
                f"| {c['stored'] - c['distinct_wamids']} | {c['with_task']:,} "
                f"| {'ok' if c['ok'] else 'FAILED'} |"
            )
        for (sw, st), r in res["sweep"]:
            best = " (chosen)" if (sw, st) == (w, t) else ""
            sweep_rows.append(
                f"| {names[db]} | {sw} x {st}{best} | {r.rate:,.0f} | {ms(r.p50)} "
                f"| {ms(r.p99)} | {r.errors} | {r.cpu['other']:.2f} |"
            )
    pg = verdict.get("postgresql")
    lines = []
    if pg:
        lines.append(
            f"- **≥ 1,000 messages/s acknowledged on PostgreSQL:** "
            f"{'met' if pg['rate'] >= 1000 else 'NOT met'} ({pg['rate']:,.0f}/s)."
        )
        lines.append(
            f"- **≥ half of the bare endpoint's rate (PostgreSQL):** "
            f"{'met' if pg['ratio'] >= 0.5 else 'NOT met'} (webhook/bare = {pg['ratio']:.2f})."
        )
    else:
        lines.append("- PostgreSQL was not measured, so the PostgreSQL target is not assessed.")
    if "sqlite" in verdict:
        lines.append(f"- SQLite: webhook/bare = {verdict['sqlite']['ratio']:.2f}.")
    pg_version = next(
        (
            r.get("db_version")
            for d, r in results.items()
            if d == "postgresql" and "skipped" not in r
        ),
        None,
    )
    configs = ", ".join(f"{w}x{t}" for w, t in args.configs)
    chosen = "; ".join(
        f"{names[d]}: {r['config'][0]} workers x {r['config'][1]} threads"
        for d, r in results.items()
        if "skipped" not in r
    )
    for db, res in results.items():
        for kind in ("webhook", "bare"):
            other = res[kind].cpu["other"] if "skipped" not in res else 0
            if other > 0.25:
                lines.append(
                    f"- Caution: other processes used {other:.2f} CPUs during the {kind} run on "
                    f"{names[db]}, so that run's numbers are lower than this machine can do."
                )
    bare_rates = [r["bare"].rate for r in results.values() if "skipped" not in r]
    if bare_rates:
        lines.append(
            f"- The bare endpoint's {min(bare_rates):,.0f}–{max(bare_rates):,.0f} requests/s is "
            "the most any request can reach with this server stack on this machine."
        )
    text = f"""## Webhook ingest (`make bench-webhook`)

Measured {started} ({elapsed:.0f} s) with `make bench-webhook`, which installs wrk if needed
and runs `uv run python scripts/bench_webhook.py` (options: `--help`; e.g.
`make bench-webhook BENCH_ARGS="--duration 30"`).

**Machine.** {info["cpus"]} CPUs ({info["cpu"]}), {info.get("memory", "?")} RAM,
Linux {info["kernel"]}; Python {info["python"]}, Django {info["django"]},
granian {info["granian"]}, psycopg {info["psycopg"]}, SQLite {info["sqlite"]},
PostgreSQL {pg_version or "not measured"}, wrk {info["wrk"]}.
The load generator, the server and the database share these CPUs.

**Setup.**

- Server: `balai serve` (granian, WSGI; its options in docs/deploy.md) with production
  settings: `BALAI_DEBUG` off, explicit secrets, `TASK_BACKEND=db`, no Redis, access log
  off, `LOG_LEVEL` and `DB_CONN_MAX_AGE` at their defaults; the demo villages seeded.
  Workers x threads: the fastest error-free of {configs} in a {args.sweep_duration:g} s
  sweep ({chosen}).
- Databases: SQLite in WAL mode (the default: a file in `BALAI_DATA_DIR`), and PostgreSQL
  in a freshly created `balai_bench` database on 127.0.0.1 (stock server settings).
- Load: wrk, {args.wrk_threads} thread, {args.connections} keep-alive connections, 10 s
  timeout; {args.warmup:g} s warm-up, then {args.duration:g} s measured.
- Webhook: `POST /whatsapp/webhook` with pre-generated Meta envelopes, each carrying one
  text message (so requests/s = messages/s) with its own wamid, to Pondok's number from
  3,000 different senders, signed `X-Hub-Signature-256: sha256=HMAC-SHA256(app secret,
  exact body)`. Each body is sent once. A 200 means the message and its `process_inbound`
  task row were committed, in one transaction. Concurrent webhooks in one server process
  share that transaction (the group commit, docs/whatsapp.md): on PostgreSQL one statement
  and one commit per batch. No task worker runs: this measures the acknowledgement only.
- Bare endpoint: `GET /healthz` on the same server process right after (Django's full
  middleware stack; the view returns `ok` without touching the database). The webhook's
  POST takes a shorter path (`balai/wsgi.py`, `webhook.WebhookApplication`: the host and
  HTTPS checks and SecurityMiddleware's headers, without Django's request cycle), as in
  production.
- Latency is wrk's closed-loop time per request: with {args.connections} connections the
  median is roughly {args.connections} / throughput. "Server CPU per request" is the CPU time
  of the server's processes divided by the requests; the CPU columns are averages over the
  run (2.00 = both CPUs busy), "other processes" is everything on the machine not part of
  the benchmark.

{chr(10).join(rows)}

{chr(10).join(lines)}

Workers x threads sweep ({args.sweep_duration:g} s each, after a {args.sweep_warmup:g} s warm-up):

{chr(10).join(sweep_rows)}

Database check of every run, after its server stopped: the rows stored with the run's wamids
lie between the 2xx responses wrk counted and the requests it sent (the difference was in
flight when wrk stopped its clock), no wamid is stored twice, and each row has exactly one
`process_inbound` task.

{chr(10).join(integrity)}
"""
    return text, verdict


def write_doc(section: str) -> None:
    block = f"{START}\n{section.rstrip()}\n{END}\n"
    if DOC.exists():
        old = DOC.read_text()
        if START in old and END in old:
            head, rest = old.split(START, 1)
            new = head + block + rest.split(END, 1)[1].lstrip("\n")
        else:
            new = old.rstrip() + "\n\n" + block
    else:
        new = (
            "# Benchmarks\n\nMeasurements of Balai on a stated machine. Each section is written "
            "by the command it names,\nwhich rewrites only that section (between its HTML "
            "comment markers).\n\n" + block
        )
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(new)


# --------------------------------------------------------------------------- main
def configs(value: str) -> list[tuple[int, int]]:
    out = []
    for item in value.split(","):
        w, t = item.lower().split("x")
        out.append((int(w), int(t)))
    return out


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        verify_main(sys.argv[2])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=15, help="timed run, seconds (15)")
    p.add_argument("--warmup", type=float, default=3, help="warm-up before it (3)")
    p.add_argument("--sweep-duration", type=float, default=5, help="each sweep run (5)")
    p.add_argument("--sweep-warmup", type=float, default=2, help="warm-up before each (2)")
    p.add_argument(
        "--configs",
        type=configs,
        default=configs(DEFAULT_CONFIGS),
        help=f"balai serve WORKERSxTHREADS to try ({DEFAULT_CONFIGS})",
    )
    p.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    p.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument(
        "--databases", default="sqlite,postgresql", help="any of sqlite,postgresql (both)"
    )
    p.add_argument("--pg-url", default=PG_URL, help=f"dropped and recreated ({PG_URL})")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=20,
        help="before each timed run, wait up to this many seconds for other "
        "processes to leave the CPUs idle (20)",
    )
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--keep", action="store_true", help="keep the temp dir and the PG database")
    p.add_argument(
        "--require-target",
        action="store_true",
        help="exit 2 when a target (1,000/s on PostgreSQL, half of bare) is missed",
    )
    args = p.parse_args()
    if not shutil.which("wrk"):
        print(
            "bench_webhook: wrk is not installed (Debian: apt-get install wrk; "
            "`make bench-webhook` installs it when run as root)",
            file=sys.stderr,
        )
        return 1
    PG_NAME[0] = urlsplit(args.pg_url).path.lstrip("/")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="balai-bench-"))
    bench = Bench(args, tmp)
    try:
        for db in args.databases.split(","):
            bench.database(db.strip())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except RuntimeError as e:
        print(f"bench_webhook: {e}\n(logs in {tmp})", file=sys.stderr)
        args.keep = True
        return 1
    finally:
        stop_all()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    text, verdict = report(bench.results, args, machine(), started, time.monotonic() - t0)
    print()
    print(text)
    if not args.no_doc:
        write_doc(text)
        print(f"wrote {DOC.relative_to(ROOT)}")
    checks = [
        r.check["ok"]
        for res in bench.results.values()
        if "skipped" not in res
        for r in [res["webhook"]] + [s for _, s in res["sweep"]]
    ]
    if not all(checks):
        print("bench_webhook: a database check FAILED (see the table)", file=sys.stderr)
        return 1
    pg = verdict.get("postgresql")
    if args.require_target and (not pg or pg["rate"] < 1000 or pg["ratio"] < 0.5):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
