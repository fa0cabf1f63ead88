"""A storm of signed webhooks against the production configuration (`make bench-load`).

On this machine, in a fresh PostgreSQL database ``balai_bench_load`` (migrated once into a
template ``balai_bench_load_tpl``, then copied for each run):

1. **Storm, once per task backend** (the database backend, then RQ on Redis): villages with
   simulated numbers (the simulator is the fake Cloud API), residents of whom some are in the
   middle of a letter request or a complaint, some browse the menu, ask for a letter's status
   or write a complaint, and some are new (unknown phone numbers). ``balai serve`` (granian)
   serves Balai's webhook and the simulator's fake Cloud API; ``--workers`` ``balai worker``
   processes run the inbox, the outbox and the simulator's status webhooks.
   ``balai.simulator.storm`` (asyncio, 32 keep-alive connections) POSTs every resident's ten
   messages, signed as Meta signs them, in waves (each resident's n-th message in
   wave n, so a conversation moves on in order), each body once. Then the bench waits until
   every message is processed and every reply is in a final state, and checks in the
   database: each message stored once (unique wamid) and processed once (one read receipt,
   the processing mark, and with the database backend the task rows), every queued reply
   accepted by the fake Cloud API exactly once for its resident, no outbox row left queued or
   sending. The bare endpoint (``GET /healthz`` on the same server) is measured before it,
   with wrk.
2. **Growth**: the same smaller storm on databases with 1,000, 10,000 and 100,000 residents
   (each with a conversation, a contact and some message history), database backend.

Prints a summary and rewrites its own section of docs/benchmarks.md. Exit status 0 when every
check passed, 1 when one failed or on a setup error. ``--quick`` is a small run to try the
script. Size: every message costs the whole pipeline (engine, replies, the fake Cloud API,
two status webhooks per reply), about 0.2 s of CPU, so on two CPUs the default storm (300
residents × 10 messages per backend, 100 × 10 for growth) keeps the run near 20 minutes; the
issue's 50,000 messages from 5,000 residents is ``--residents 5000`` (over an hour here).
"""

import argparse
import base64
import contextlib
import datetime as dt
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
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LUA = ROOT / "scripts" / "bench_load.lua"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-load:start -->", "<!-- bench-load:end -->"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/balai_bench_load")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
CLEARED = [
    "ADMIN_URL", "ALLOWED_HOSTS", "BALAI_DATA_DIR", "BALAI_DEBUG", "BALAI_DEMO", "BEHIND_PROXY",
    "DATABASE_URL", "DB_CONN_MAX_AGE", "HSTS_SECONDS", "LOG_LEVEL", "MEDIA_ROOT", "REDIS_URL",
    "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "SECURE_COOKIES", "SECURE_SSL_REDIRECT",
    "SIMULATOR_ENABLED", "SITE_URL", "TASK_BACKEND", "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_MESSAGE_HANDLER", "ACCESS_LOG", "BIND",
    "WEB_CONCURRENCY", "WEB_THREADS", "TIME_ZONE", "WHATSAPP_PAIR_BURST",
    "WHATSAPP_PAIR_INTERVAL_SECONDS", "CONVERSATION_FLOOD_LIMIT", "CONVERSATION_FLOOD_SECONDS",
    "TASK_MAX_ATTEMPTS",
]  # fmt: skip
FINAL = {"sent", "delivered", "read", "failed"}
_t0 = time.monotonic()
_groups: list["Group"] = []


def say(message: str) -> None:
    print(f"[{time.monotonic() - _t0:6.1f} s] {message}", flush=True)


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------- what residents say
# Ten messages each. Mid-form residents already have a Conversation at the step their first
# message answers (seeded); the others start from nothing.
NIK_BASE = "33110215038"  # region 331102, born 15-03-85; + 5 digits of sequence


def nik(n: int) -> str:
    return f"{NIK_BASE}{10001 + n % 8999:05d}"


SCRIPTS = {
    # In the middle of a letter request: the next answer is the name.
    "letter_mid": [
        "budi santoso", "15 maret 1985", "ya", "untuk melamar kerja", "Jl. Melati 3 RT 02",
        "nanti", "nanti", "nanti", "kirim", "terima kasih",
    ],
    "letter_new": [
        "sy mw bkin srt domisili", "saya sendiri", "{nik}", "siti aminah", "5-1-1990", "ya",
        "untuk daftar sekolah anak", "Dusun Krajan RT 01", "nanti", "kirim",
    ],
    "complaint": [
        "ADUAN", "1", "lampu jalan depan masjid RT 03 mati sejak seminggu", "lewati",
        "lewati", "rahasiakan", "kirim", "terima kasih pak", "menu", "ok",
    ],
    "menu": [
        "halo", "menu", "1", "kembali", "2", "kembali", "3", "menu", "jam buka kantor desa?",
        "makasih",
    ],
    "status": [
        "assalamualaikum", "cek status", "surat saya sudah jadi belum ya", "menu", "4",
        "batal", "syarat surat keterangan usaha apa saja?", "ok", "cek status", "terima kasih",
    ],
}  # fmt: skip
MIX = [
    ("letter_mid", 0.25),
    ("letter_new", 0.2),
    ("complaint", 0.15),
    ("menu", 0.15),
    ("status", 0.15),
    ("new", 0.10),  # unknown phone numbers: "menu" script from a stranger
]
MESSAGES_EACH = 10


# --------------------------------------------------------------------------- environment
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    for name in CLEARED:
        env.pop(f"{name}_FILE", None)
    env.update(
        {
            "BALAI_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(40),
            "WHATSAPP_APP_SECRET": secrets.token_urlsafe(32),
            "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(32),
            "BALAI_DATA_DIR": str(data_dir),
            "TASK_BACKEND": "db",
            "SIMULATOR_ENABLED": "true",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "balai.settings",
        }
    )
    return env


def pg_admin(url: str):
    import psycopg

    u = urlsplit(url)
    return psycopg.connect(
        host=u.hostname or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
        password=u.password, dbname="postgres", connect_timeout=5, autocommit=True,
    )  # fmt: skip


def db_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or "bench" not in name:
        sys.exit(f"bench_load: refusing database name {name!r} (it must contain 'bench')")
    return name


def recreate(url: str, template: str | None) -> None:
    from django.db import connection

    connection.close()
    name = db_name(url)
    with pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            admin.execute(f'CREATE DATABASE "{name}"')


def drop(url: str) -> None:
    from django.db import connection

    connection.close()
    with contextlib.suppress(Exception), pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name(url)}" WITH (FORCE)')


# --------------------------------------------------------------------------- processes
class Group:
    """A child process in its own session; stopped by its process group id."""

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

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        if self in _groups:
            _groups.remove(self)
        self.out.close()


def stop_all() -> None:
    for group in list(_groups):
        group.stop()


def start_server(env: dict, port: int, args, logs: Path) -> Group:
    server = Group(
        [sys.executable, "-m", "balai", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.web_workers), "--threads", str(args.web_threads)],
        env, logs / "server.log", "server",
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while True:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server not answering:\n{server.log.read_text()[-3000:]}")
        time.sleep(0.3)


def start_workers(env: dict, count: int, logs: Path, label: str) -> list[Group]:
    """Half the workers on the inbox, half on the outbox and the rest (the simulator's status
    webhooks): the split the settings recommend, so a backlog of received messages never
    holds the replies back."""
    inbox = max(1, count // 2)
    return [
        Group(
            [
                sys.executable,
                "-m",
                "balai",
                "worker",
                "--queues",
                "inbox" if i < inbox else "outbox,default",
            ],
            env,
            logs / f"worker-{label}-{i}.log",
            f"worker {i}",
        )
        for i in range(count)
    ]


# --------------------------------------------------------------------------- CPU accounting
CLK = os.sysconf("SC_CLK_TCK")


def cpu_snapshot(groups: dict[str, list[int]], database: str) -> dict:
    """Busy CPU seconds so far: the machine, each named set of process groups, the
    PostgreSQL backends of the benchmark database and the Redis server."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    snap = {"total": (sum(fields) - fields[3] - fields[4]) / CLK, "postgres": 0.0, "redis": 0.0}
    snap.update({name: 0.0 for name in groups})
    owner = {pgid: name for name, pgids in groups.items() for pgid in pgids}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            rest = stat.rsplit(")", 1)[1].split()
            used = (int(rest[11]) + int(rest[12])) / CLK
            group = owner.get(int(rest[2]))
            if group:
                # With the children it has reaped: RQ runs each job in a forked work horse.
                snap[group] += used + (int(rest[13]) + int(rest[14])) / CLK
            elif comm == "redis-server":
                snap["redis"] += used
            elif comm == "postgres" and f" {database} " in Path(
                f"/proc/{entry.name}/cmdline"
            ).read_text(errors="replace"):
                snap["postgres"] += used
        except (OSError, IndexError, ValueError):
            continue
    return snap


def cpu_delta(before: dict, after: dict) -> dict:
    d = {k: after[k] - before[k] for k in after}
    d["other"] = max(d["total"] - sum(v for k, v in d.items() if k != "total"), 0.0)
    return d


def wait_quiet(seconds: float) -> float:
    """Wait up to ``seconds`` for the machine to be nearly idle; the busy CPUs seen last."""
    deadline = time.monotonic() + seconds
    while True:
        a = cpu_snapshot({}, "-")["total"]
        time.sleep(1.0)
        busy = cpu_snapshot({}, "-")["total"] - a
        if busy < 0.3 or time.monotonic() >= deadline:
            return busy
        say(f"  machine busy ({busy:.2f} CPUs used by others), waiting…")


# --------------------------------------------------------------------------- seeding
def seed(args, residents: int, active: int, rng: random.Random) -> dict:
    """Villages with simulated numbers; ``residents`` registered residents (one in
    ``MIX['new']`` of the ``active`` ones is not registered); conversations in progress for the
    active mid-form residents."""
    from django.db import transaction
    from django.utils import timezone

    from balai.conversations.models import Conversation
    from balai.residents.models import Resident
    from balai.villages.models import Village
    from balai.whatsapp.models import WhatsAppNumber

    now = timezone.now()
    villages, numbers = [], []
    with transaction.atomic():
        for v in range(args.villages):
            village = Village.objects.create(
                slug=f"desa-{v:02d}", name=f"Desa {v:02d}", official_code=f"33.11.02.{2000 + v}",
                kecamatan="Nguter", kabupaten="Sukoharjo", provinsi="Jawa Tengah",
                timezone="Asia/Jakarta", ticket_prefix=f"D{v:02d}",
            )  # fmt: skip
            villages.append(village)
            numbers.append(
                WhatsAppNumber.objects.create(
                    village=village,
                    phone_number_id=f"2065403522{v:05d}",
                    display_number=f"1555078{v:04d}",
                    waba_id=f"1022901293{v:05d}",
                    is_simulated=True,
                )
            )
    # Residents: phone +62812<8 digits>, village by index.
    batch = []
    for i in range(residents):
        batch.append(
            Resident(
                village=villages[i % len(villages)],
                name=f"Warga {i:06d}",
                phone=f"+62812{i:08d}",
            )
        )
    Resident.objects.bulk_create(batch, batch_size=5000)
    ids = dict(Resident.objects.values_list("phone", "pk"))

    # Who writes, and what.
    kinds = []
    for kind, share in MIX:
        kinds += [kind] * round(share * active)
    kinds = (kinds + ["menu"] * active)[:active]
    rng.shuffle(kinds)
    writers = []
    for n, kind in enumerate(kinds):
        if kind == "new":
            phone = f"62813{n:08d}"
            script = SCRIPTS["menu"]
        else:
            phone = f"62812{n * (residents // active):08d}"
            script = SCRIPTS[kind]
        village = (
            (n * (residents // active)) % len(villages) if kind != "new" else n % len(villages)
        )
        writers.append({"wa_id": phone, "kind": kind, "script": script, "village": village})

    with transaction.atomic():
        convs = []
        for n, w in enumerate(writers):
            if w["kind"] != "letter_mid":
                continue
            convs.append(
                Conversation(
                    village=villages[w["village"]],
                    resident_id=ids[f"+{w['wa_id']}"],
                    flow="letter",
                    step="nama",
                    data={"letter": "domisili", "subject": "other", "nik": nik(n)},
                    greeted_at=now - dt.timedelta(minutes=20),
                    last_activity=now - dt.timedelta(minutes=10),
                )
            )
        Conversation.objects.bulk_create(convs, batch_size=2000)
    return {"villages": villages, "numbers": numbers, "writers": writers}


numbers_by_village: dict[int, int] = {}


def make_storm(ctx: dict, prefix: str, secret: str, rng: random.Random) -> list:
    """Signed bodies in waves (each resident's n-th message in wave n, waves shuffled), and
    the simulator's record of each as a message a resident sent (so the read receipts Balai
    sends for them name messages the fake Cloud API knows)."""
    from balai.simulator.models import SimMessage
    from balai.simulator.storm import signed

    numbers = ctx["numbers"]
    now = int(time.time())
    sim_rows, bodies = [], []
    for wave in range(MESSAGES_EACH):
        order = list(range(len(ctx["writers"])))
        rng.shuffle(order)
        for n in order:
            w = ctx["writers"][n]
            number = numbers[w["village"]]
            text = w["script"][wave].replace("{nik}", nik(n))
            wamid = f"wamid.{prefix}{n:06d}{wave:02d}" + base64.b32encode(
                rng.randbytes(10)
            ).decode().rstrip("=")
            # Meta's timestamps: a resident's messages a minute apart (never a flood).
            sent = now - (MESSAGES_EACH - wave) * 60
            message = {
                "from": w["wa_id"], "id": wamid, "timestamp": str(sent),
                "text": {"body": text}, "type": "text",
            }  # fmt: skip
            envelope = {
                "object": "whatsapp_business_account",
                "entry": [{
                    "id": number.waba_id,
                    "changes": [{
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": number.display_number,
                                "phone_number_id": number.phone_number_id,
                            },
                            "contacts": [{"profile": {"name": f"Warga {n}"},
                                          "wa_id": w["wa_id"]}],
                            "messages": [message],
                        },
                        "field": "messages",
                    }],
                }],
            }  # fmt: skip
            body = json.dumps(envelope, separators=(",", ":")).encode()
            bodies.append((wamid, body, signed(body, secret)))
            sim_rows.append(
                SimMessage(
                    phone_number_id=number.phone_number_id,
                    wa_id=w["wa_id"],
                    name=f"Warga {n}",
                    direction="in",
                    wamid=wamid,
                    payload=message,
                    status="sent",
                )
            )
    SimMessage.objects.bulk_create(sim_rows, batch_size=5000)
    return bodies


# --------------------------------------------------------------------------- wrk
def wrk(url: str, args, seconds: float, log: Path) -> dict:
    """The bare endpoint, for a fixed time, with wrk (the stack's ceiling)."""
    cmd = ["wrk", "-t", "1", "-c", str(args.connections), "-d", f"{seconds:g}s",
           "--timeout", "10s", "--latency", url]  # fmt: skip
    t0 = time.monotonic()
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 120, check=False, cwd=ROOT
    )
    wall = time.monotonic() - t0
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n{out.stdout}{out.stderr}\n")
    if out.returncode:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-2000:]}{out.stderr}")
    return parse_wrk_text(out.stdout, wall)


def send_storm(port: int, bodies: list, connections: int) -> dict:
    """POST every body once; acknowledged rate and latency."""
    from balai.simulator.storm import post_all

    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    answers = post_all("127.0.0.1", port, "/whatsapp/webhook", bodies, connections=connections)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    ok = [a for a in answers if a.status == 200]
    latencies = [a.seconds * 1e6 for a in answers]
    return {
        "ok": len(ok),
        "other": len(answers) - len(ok),
        "statuses": Counter(a.status for a in answers),
        "seconds": wall,
        "wall": wall,
        "p50": percentile(latencies, 0.5),
        "p90": percentile(latencies, 0.9),
        "p99": percentile(latencies, 0.99),
        "client_cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    }


def parse_wrk_text(text: str, wall: float) -> dict:
    def to_ms(value: str) -> float:
        m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
        n, unit = float(m.group(1)), m.group(2)
        return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    d = {"wall": wall}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    d["requests"] = int(m.group(1))
    d["seconds"] = to_ms(m.group(2) + m.group(3)) / 1000
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M)
        d[f"p{pct}"] = to_ms(m.group(1)) * 1000 if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    d["other"] = int(m.group(1)) if m else 0
    return d


# --------------------------------------------------------------------------- waiting, checking
def progress(first_wamid_prefix: str) -> dict:
    from balai.whatsapp.models import InboundMessage, OutboundMessage

    inbound = InboundMessage.objects.filter(wamid__startswith=f"wamid.{first_wamid_prefix}")
    return {
        "stored": inbound.count(),
        "processed": inbound.exclude(state="received").count(),
        "open_outbox": OutboundMessage.objects.filter(state__in=["queued", "sending"]).count(),
    }


def wait_done(prefix: str, total: int, timeout: float, every: float = 5.0) -> tuple[bool, dict]:
    deadline = time.monotonic() + timeout
    last = None
    while True:
        p = progress(prefix)
        if p["processed"] >= total and p["open_outbox"] == 0:
            return True, p
        if time.monotonic() > deadline:
            return False, p
        if p != last:
            say(f"  stored {p['stored']:,}, processed {p['processed']:,} of {total:,}; "
                f"outbox rows queued or sending {p['open_outbox']:,}; load {load()}")  # fmt: skip
            last = p
        time.sleep(every)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


def check(prefix: str, expected: int, backend: str) -> dict:
    """What the database and the fake Cloud API hold after the storm."""
    from django.db import connection

    from balai.conversations.models import Conversation
    from balai.simulator.models import SimMessage
    from balai.whatsapp.models import InboundMessage, OutboundMessage

    inbound = InboundMessage.objects.filter(wamid__startswith=f"wamid.{prefix}")
    rows = list(
        inbound.values_list("pk", "wamid", "wa_id", "state", "received_at", "processed_at",
                            "attempts", "resident_id")
    )  # fmt: skip
    c = {"expected": expected, "stored": len(rows)}
    c["distinct"] = len({r[1] for r in rows})
    c["states"] = Counter(r[3] for r in rows)
    c["attempts"] = Counter(r[6] for r in rows)
    # One read receipt per message: written in the transaction that marks it processed.
    reads = Counter(
        OutboundMessage.objects.filter(
            kind="read", payload__message_id__startswith=f"wamid.{prefix}"
        ).values_list("payload__message_id", flat=True)
    )
    c["read_once"] = sum(1 for r in rows if reads.get(r[1]) == 1)
    c["read_twice"] = sum(1 for n in reads.values() if n > 1)
    if backend == "db":
        from django_tasks_db.models import DBTaskResult

        with connection.cursor() as cur:
            cur.execute(
                "SELECT (args_kwargs->'args'->>0)::bigint, status "  # noqa: S608
                f"FROM {DBTaskResult._meta.db_table} "
                "WHERE task_path = 'balai.whatsapp.inbox.process_inbound'"
            )
            tasks = defaultdict(Counter)
            for pk, status in cur.fetchall():
                tasks[pk][status] += 1
        ids = {r[0] for r in rows}
        c["task_rows"] = sum(sum(tasks[i].values()) for i in ids)
        c["with_one_success"] = sum(1 for i in ids if tasks[i]["SUCCESSFUL"] >= 1)
        c["tasks_not_done"] = sum(
            n for i in ids for s, n in tasks[i].items() if s not in {"SUCCESSFUL", "FAILED"}
        )
        c["tasks_failed"] = sum(tasks[i]["FAILED"] for i in ids)
    # Replies: every outbox row final; each accepted by the fake Cloud API once, per resident.
    out = OutboundMessage.objects.exclude(kind="read").filter(wamid__startswith="wamid.SIM")
    out_all = OutboundMessage.objects.exclude(kind="read").exclude(wamid__startswith="wamid.H")
    c["outbox_states"] = Counter(
        OutboundMessage.objects.exclude(wamid__startswith="wamid.H").values_list("state", flat=True)
    )
    c["replies"] = out_all.count()
    per_resident = Counter(out.values_list("to", flat=True))
    accepted = Counter(SimMessage.objects.filter(direction="out").values_list("wa_id", flat=True))
    c["residents_with_replies"] = len(per_resident)
    c["residents_mismatch"] = sum(
        1 for wa in set(per_resident) | set(accepted) if per_resident[wa] != accepted[wa]
    )
    c["sim_accepted"] = sum(accepted.values())
    # Which message each reply answers: replies are queued in the transaction that marks the
    # message processed, and one resident's messages are handled one at a time (the
    # conversation row is locked), so a reply belongs to the resident's first message
    # processed at or after the reply was created.
    by_resident = defaultdict(list)
    for r in rows:
        if r[5] is not None:
            by_resident[r[7]].append((r[5], r[4], r[1]))
    for v in by_resident.values():
        v.sort()
    first_reply: dict[str, dt.datetime] = {}
    replies_of: Counter = Counter()
    for resident_id, created, sent_at in out_all.values_list("resident_id", "created", "sent_at"):
        msgs = by_resident.get(resident_id)
        if not msgs:
            continue
        lo, hi = 0, len(msgs)
        while lo < hi:
            mid = (lo + hi) // 2
            if msgs[mid][0] < created:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(msgs):
            continue
        wamid = msgs[lo][2]
        replies_of[wamid] += 1
        if sent_at is not None and (wamid not in first_reply or sent_at < first_reply[wamid]):
            first_reply[wamid] = sent_at
    received = {r[1]: r[4] for r in rows}
    latencies = [(first_reply[w] - received[w]).total_seconds() for w in first_reply]
    ack_to_done = [(r[5] - r[4]).total_seconds() for r in rows if r[5] is not None]
    c["answered"] = len(replies_of)
    c["unanswered"] = len(rows) - len(replies_of)
    handoff = set(
        Conversation.objects.filter(handoff_at__isnull=False).values_list("resident_id", flat=True)
    )
    c["unanswered_in_handoff"] = sum(1 for r in rows if r[1] not in replies_of and r[7] in handoff)
    c["handoffs"] = len(handoff)
    c["reply_p50"] = percentile(latencies, 0.5)
    c["reply_p95"] = percentile(latencies, 0.95)
    c["processed_p50"] = percentile(ack_to_done, 0.5)
    c["processed_p95"] = percentile(ack_to_done, 0.95)
    firsts = [r[4] for r in rows]
    lasts = [r[5] for r in rows if r[5] is not None]
    c["first_received"] = min(firsts) if firsts else None
    c["last_processed"] = max(lasts) if lasts else None
    sent = list(out_all.exclude(sent_at=None).values_list("sent_at", flat=True))
    c["last_reply"] = max(sent) if sent else None
    c["ok"] = (
        c["stored"] == expected
        and c["distinct"] == expected
        and c["states"].get("processed", 0) == expected
        and c["read_once"] == expected
        and c["read_twice"] == 0
        and c["residents_mismatch"] == 0
        and not (set(c["outbox_states"]) - FINAL)
        and c["outbox_states"].get("failed", 0) == 0
        and (backend != "db" or (c["with_one_success"] == expected and c["tasks_not_done"] == 0))
    )
    return c


# --------------------------------------------------------------------------- one run
class Run:
    def __init__(self, args, tmp: Path, env: dict):
        self.args, self.tmp, self.env = args, tmp, env

    def storm(self, label: str, backend: str, residents: int, active: int, history: bool,
              bare: bool, seed_no: int) -> dict:  # fmt: skip
        args = self.args
        rng = random.Random(seed_no)
        logs = self.tmp / label
        logs.mkdir()
        say(f"{label}: fresh database, {residents:,} residents, {active:,} writing "
            f"({backend} task backend)")  # fmt: skip
        recreate(args.pg_url, db_name(args.pg_url) + "_tpl")
        numbers_by_village.clear()
        t = time.monotonic()
        ctx = seed(args, residents, active, rng)
        if history:
            for village, number in zip(ctx["villages"], ctx["numbers"], strict=True):
                numbers_by_village[village.pk] = number.pk
            add_history(ctx)
        seeded = time.monotonic() - t
        prefix = f"L{label[:1].upper()}{seed_no}"
        bodies = make_storm(ctx, prefix, self.env["WHATSAPP_APP_SECRET"], rng)
        total = len(bodies)
        say(f"  seeded in {seeded:.0f} s; {total:,} signed webhooks ready")
        port = free_port()
        env = dict(self.env, SITE_URL=f"http://127.0.0.1:{port}", DATABASE_URL=args.pg_url)
        if backend == "rq":
            import redis

            redis.Redis.from_url(args.redis_url).flushdb()  # our own db number only
            env.update(REDIS_URL=args.redis_url, TASK_BACKEND="rq")
        server = start_server(env, port, args, logs)
        result = {"label": label, "backend": backend, "residents": residents, "active": active,
                  "messages": total, "seeded": seeded}  # fmt: skip
        database = db_name(args.pg_url)
        try:
            if bare:
                wait_quiet(args.wait_quiet)
                before = cpu_snapshot({"web": [server.pgid]}, database)
                b = wrk(f"http://127.0.0.1:{port}/healthz", args, args.bare_seconds,
                        logs / "wrk.log")  # fmt: skip
                result["bare"] = b
                result["bare_cpu"] = cpu_delta(before, cpu_snapshot({"web": [server.pgid]},
                                                                    database))  # fmt: skip
                say(f"  bare GET /healthz: {b['requests'] / b['seconds']:,.0f} req/s, "
                    f"median {b['p50'] / 1000:.1f} ms")  # fmt: skip
            workers = start_workers(env, args.workers, logs, label)
            time.sleep(args.worker_start)  # let them import Django and train the recogniser
            wait_quiet(args.wait_quiet)
            groups = {"web": [server.pgid], "workers": [w.pgid for w in workers]}
            result["load_before"] = load()
            before = cpu_snapshot(groups, database)
            started = time.monotonic()
            started_at = dt.datetime.now(dt.UTC)
            say(f"  storm: {total:,} webhooks, {args.connections} connections; load {load()}")
            w = send_storm(port, bodies, args.connections)
            at_ack = cpu_snapshot(groups, database)
            result["ack"] = w
            result["ack_cpu"] = cpu_delta(before, at_ack)
            result["load_storm"] = load()
            say(f"  acknowledged {w['ok']:,} ({w['other']} other answers) in {w['seconds']:.1f} s"
                f" = {w['ok'] / w['seconds']:,.0f}/s; median {w['p50'] / 1000:.1f} ms, "
                f"p99 {w['p99'] / 1000:.0f} ms")  # fmt: skip
            timeout = args.timeout if args.timeout is not None else 600 + total
            done, _p = wait_done(prefix, total, timeout)
            finished = time.monotonic()
            after = cpu_snapshot(groups, database)
            result["done"] = done
            result["all_cpu"] = cpu_delta(before, after)
            result["wall"] = finished - started
            result["load_end"] = load()
            time.sleep(2)  # status webhooks in flight
            for worker in workers:
                worker.stop()
        finally:
            server.stop()
            stop_all()
        result["check"] = c = check(prefix, total, backend)
        first, last = c["first_received"], c["last_processed"]
        if first and last:
            result["processed_rate"] = total / max((last - started_at).total_seconds(), 1e-3)
        say(f"  {'done' if done else 'NOT done (timeout)'} after {result['wall']:.0f} s: "
            f"check {'ok' if c['ok'] else 'FAILED'}; message→reply p50 {c['reply_p50']:.1f} s, "
            f"p95 {c['reply_p95']:.1f} s; load {load()}")  # fmt: skip
        if not c["ok"]:
            say(f"  check details: {json.dumps(c, default=str)[:3000]}")
        return result


def add_history(ctx) -> None:
    """A conversation, a contact, one past message and two past replies for every registered
    resident not in the storm (the storm's own residents start as seeded)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from balai.conversations.models import Conversation
    from balai.residents.models import Resident
    from balai.whatsapp.models import Contact, InboundMessage, OutboundMessage

    now = timezone.now()
    past = now - dt.timedelta(days=3)
    writing = {f"+{w['wa_id']}" for w in ctx["writers"]}
    rows = [
        (pk, phone, village_id)
        for pk, phone, village_id in Resident.objects.values_list("pk", "phone", "village_id")
        if phone not in writing
    ]
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        with transaction.atomic():
            Conversation.objects.bulk_create(
                Conversation(village_id=v, resident_id=pk, greeted_at=past, last_activity=past)
                for pk, _, v in chunk
            )
            Contact.objects.bulk_create(
                Contact(resident_id=pk, village_id=v, last_inbound_at=past) for pk, _, v in chunk
            )
            InboundMessage.objects.bulk_create(
                InboundMessage(
                    village_id=v,
                    number_id=numbers_by_village[v],
                    wamid=f"wamid.HIST{pk:09d}",
                    wa_id=phone.lstrip("+"),
                    type="text",
                    message={"type": "text", "text": {"body": "halo"}},
                    sent_at=past,
                    received_at=past,
                    state="processed",
                    processed_at=past,
                    resident_id=pk,
                )
                for pk, phone, v in chunk
            )
            OutboundMessage.objects.bulk_create(
                OutboundMessage(
                    village_id=v,
                    number_id=numbers_by_village[v],
                    resident_id=pk,
                    to=phone.lstrip("+"),
                    kind=kind,
                    payload={
                        "messaging_product": "whatsapp",
                        "to": phone.lstrip("+"),
                        "type": "text",
                        "text": {"body": "Halo"},
                    },
                    state="read",
                    wamid=f"wamid.HOUT{kind[0]}{pk:09d}",
                    created=past,
                    sent_at=past,
                )
                for pk, phone, v in chunk
                for kind in ("read", "text")
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


# --------------------------------------------------------------------------- report
def machine() -> str:
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
    redis_version = "?"
    with contextlib.suppress(Exception):
        import redis

        redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    m = re.search(r"wrk (\S+)", wrk_version.stdout + wrk_version.stderr)
    return (
        f"{os.cpu_count()} CPUs ({model or platform.machine()}), {kb / 1024 / 1024:.1f} GiB "
        f"RAM, {platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"Django {version('django')}, granian {version('granian')}, PostgreSQL {pg}, "
        f"Redis {redis_version}, rq {version('rq')}, wrk {m.group(1) if m else '?'}"
    )


def row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def per_msg(cpu: dict, key: str, n: int) -> str:
    return f"{cpu.get(key, 0) * 1000 / max(n, 1):.1f}"


def cpus(cpu: dict, seconds: float) -> str:
    keys = ["web", "workers", "postgres", "redis", "other"]
    return " / ".join(f"{cpu.get(k, 0) / max(seconds, 1e-3):.2f}" for k in keys)


def states(counter: Counter) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items())) or "—"


def section(
    args, storms: list[dict], growth: list[dict], started: str, took: float, info: str
) -> str:
    names = {"db": "database task backend", "rq": f"RQ on Redis (`{args.redis_url}`)"}
    lines = [
        "## Webhook storm on the production configuration (`make bench-load`)",
        "",
        f"Measured {started} ({took / 60:.0f} min) with `make bench-load`, which installs wrk "
        "if needed and runs `uv run python scripts/bench_load.py"
        + (" --quick" if args.quick else "")
        + "` (options: `--help`; `--quick` for a small run).",
        "",
        f"**Machine.** {info}. The load generator, the web server (which is also the "
        "fake Cloud API), the task workers, PostgreSQL and Redis share these CPUs; other "
        "processes on the machine are counted apart (load averages below are 1/5/15-minute).",
        "",
        f"**Setup.** Production settings (`BALAI_DEBUG` off, explicit secrets, access log off, "
        f"`LOG_LEVEL=WARNING`); PostgreSQL (a fresh `{db_name(args.pg_url)}` database copied "
        f"from a migrated template for each run); `balai serve` ({args.web_workers} granian "
        f"workers × {args.web_threads} threads) serving Balai's webhook and the simulator's "
        f"fake Cloud API; {args.workers} × `balai worker`, {max(1, args.workers // 2)} on the "
        "`inbox` queue and the others on `outbox,default` (so a backlog of received messages "
        "never holds replies back; the scheduler in each runs the sweepers every 30 s); the "
        "conversation engine as the message handler. "
        f"{args.villages} villages, each with its own simulated number (80 msg/s). "
        f"Each writing resident sends {MESSAGES_EACH} text messages: in the middle of a letter "
        "request (the conversation seeded at the name question) 25 %, starting a letter "
        "request 20 %, a complaint 15 %, the menu 15 %, status and requirements questions "
        "15 %, and new people (phone numbers not in the register) 10 %. "
        "`balai.simulator.storm` (asyncio in the benchmark's process, "
        f"{args.connections} keep-alive connections) POSTs each signed body once, in ten "
        "waves (every resident's first message, then every "
        "second, …, each wave shuffled); Meta's timestamps put one resident's messages a "
        "minute apart. The fake Cloud API accepts every message and the worker posts its "
        "`sent` and `delivered` status webhooks back to Balai, as Meta does.",
        "",
        "**Measures.** *Acknowledged*: webhooks answered 200 per second of the storm (a 200 "
        "means the message and its processing task were committed). *Processed*: messages "
        "marked processed per second, from the storm's start to the last one processed "
        "(the whole pipeline: resident lookup, the conversation engine, replies queued). "
        "*Message → reply*: from the webhook storing a message to the fake Cloud API "
        "accepting the first reply to it. CPU per message: CPU time of that process group "
        "(with the children it reaped: RQ forks a work horse per job) divided by the "
        "messages; PostgreSQL's is its backends still connected at the end, so with RQ, "
        "whose every job opens and closes a connection, most of it is not seen. The bare "
        "endpoint is measured with wrk for a fixed time before the workers start.",
        "",
    ]
    if storms:
        lines += [
            row("run", "messages", "acknowledged/s", "ack median", "ack p99", "non-200",
                "processed/s (end to end)", "message → reply p50", "p95",
                "bare GET /healthz, same server"),
            row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"),
        ]  # fmt: skip
        for r in storms:
            a, c = r["ack"], r["check"]
            bare = r.get("bare")
            bare_text = (
                f"{bare['requests'] / bare['seconds']:,.0f} req/s, median "
                f"{bare['p50'] / 1000:.1f} ms" if bare else "—"
            )  # fmt: skip
            lines.append(
                row(
                    f"{r['active']:,} residents, {names[r['backend']]}",
                    f"{r['messages']:,}",
                    f"**{a['ok'] / a['seconds']:,.0f}**",
                    f"{a['p50'] / 1000:.1f} ms",
                    f"{a['p99'] / 1000:.0f} ms",
                    a["other"],
                    f"**{r.get('processed_rate', 0):,.1f}**",
                    f"{c['reply_p50']:.1f} s",
                    f"{c['reply_p95']:.1f} s",
                    bare_text,
                )
            )
        lines += [
            "",
            row("run", "CPUs during the storm: web / workers / PostgreSQL / Redis / other",
                "until all processed", "CPU ms per message: web", "workers", "PostgreSQL",
                "Redis", "load average before → end of storm → end"),
            row("---", "---", "---", "---:", "---:", "---:", "---:", "---"),
        ]  # fmt: skip
        for r in storms:
            n = r["messages"]
            allc = r["all_cpu"]
            lines.append(
                row(
                    names[r["backend"]],
                    cpus(r["ack_cpu"], r["ack"]["wall"]),
                    f"{cpus(allc, r['wall'])} over {r['wall']:.0f} s",
                    per_msg(allc, "web", n),
                    per_msg(allc, "workers", n),
                    per_msg(allc, "postgres", n),
                    per_msg(allc, "redis", n),
                    f"{r['load_before']} → {r['load_storm']} → {r['load_end']}",
                )
            )
        lines += [
            "",
            "**Checks after each storm** (in the database and in what the fake Cloud API "
            "received):",
            "",
            row("check", *[names[r["backend"]] for r in storms]),
            row("---", *["---" for _ in storms]),
        ]
        checks = [
            ("messages stored / sent", lambda c: f"{c['stored']:,} / {c['expected']:,}"),
            ("distinct wamids", lambda c: f"{c['distinct']:,}"),
            ("message states", lambda c: states(c["states"])),
            ("processed once (exactly one read receipt, written with the processed mark)",
             lambda c: f"{c['read_once']:,} (twice: {c['read_twice']})"),
            ("processing runs per message (`attempts`)", lambda c: states(c["attempts"])),
            ("`process_inbound` task rows / messages with a successful one",
             lambda c: f"{c['task_rows']:,} / {c['with_one_success']:,} (failed "
             f"{c['tasks_failed']}, unfinished {c['tasks_not_done']})"
             if "task_rows" in c else "— (RQ keeps no rows)"),
            ("messages answered / unanswered (of which after a hand-off to staff; the others "
             "are reported, not failed: the engine may stay quiet, e.g. on a bare \"ok\")",
             lambda c: f"{c['answered']:,} / {c['unanswered']:,} "
             f"({c['unanswered_in_handoff']:,}; {c['handoffs']} hand-offs)"),
            ("replies queued / accepted by the fake Cloud API",
             lambda c: f"{c['replies']:,} / {c['sim_accepted']:,}"),
            ("residents whose accepted replies ≠ their sent outbox rows",
             lambda c: c["residents_mismatch"]),
            ("outbox rows by state (replies and read receipts)",
             lambda c: states(c["outbox_states"])),
            ("**result**", lambda c: "**ok**" if c["ok"] else "**FAILED**"),
        ]  # fmt: skip
        for name, fn in checks:
            lines.append(row(name, *[fn(r["check"]) for r in storms]))
        lines += [""]
    if growth:
        lines += [
            f"### Cost as the data grows ({growth[0]['messages']:,} messages from "
            f"{growth[0]['active']:,} residents, database task backend)",
            "",
            "The same storm on databases holding 1,000 to 100,000 registered residents in "
            f"{args.villages} villages, each with a conversation, a WhatsApp contact, one past "
            "message and two past replies (read receipt and text), `ANALYZE`d.",
            "",
            row("registered residents", "rows of message history", "acknowledged/s",
                "ack median", "web CPU ms per message (webhooks, fake Cloud API)", "processed/s",
                "workers CPU ms per message", "PostgreSQL CPU ms per message",
                "message → reply p50", "check", "load average at the end"),
            row("---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---",
                "---"),
        ]  # fmt: skip
        for r in growth:
            a, c, n = r["ack"], r["check"], r["messages"]
            lines.append(
                row(
                    f"{r['residents']:,}",
                    f"{3 * (r['residents'] - r['active']):,}",
                    f"{a['ok'] / a['seconds']:,.0f}",
                    f"{a['p50'] / 1000:.1f} ms",
                    per_msg(r["all_cpu"], "web", n),
                    f"{r.get('processed_rate', 0):,.1f}",
                    per_msg(r["all_cpu"], "workers", n),
                    per_msg(r["all_cpu"], "postgres", n),
                    f"{c['reply_p50']:.1f} s",
                    "ok" if c["ok"] else "FAILED",
                    r["load_end"],
                )
            )
        lines.append("")
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
    p.add_argument("--quick", action="store_true", help="a small run to try the script")
    p.add_argument(
        "--residents",
        type=int,
        default=None,
        help="writing residents, 10 messages each (300; the issue's 50,000-message storm is "
        "--residents 5000, about 1.5 h here)",
    )
    p.add_argument("--villages", type=int, default=20)
    p.add_argument("--backends", default="db,rq", help="db,rq (both)")
    p.add_argument("--growth", default=None, help="registered residents, e.g. 1000,10000,100000")
    p.add_argument("--growth-writers", type=int, default=None, help="writing residents (100)")
    p.add_argument("--workers", type=int, default=4, help="balai worker processes (4)")
    p.add_argument("--web-workers", type=int, default=2)
    p.add_argument("--web-threads", type=int, default=4)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--bare-seconds", type=float, default=10)
    p.add_argument("--worker-start", type=float, default=8, help="seconds for workers to start")
    p.add_argument("--wait-quiet", type=float, default=15)
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds to wait after a storm for the last reply (600 + 1 s per message)",
    )
    p.add_argument("--pg-url", default=PG_URL, help=f"dropped and recreated ({PG_URL})")
    p.add_argument("--redis-url", default=REDIS_URL, help=f"flushed ({REDIS_URL}; not db 0)")
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--keep-logs", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.residents = args.residents or 50
        args.growth = args.growth or "1000,10000"
        args.growth_writers = args.growth_writers or 20
        args.bare_seconds = 5
    args.residents = args.residents or 300
    args.growth = args.growth if args.growth is not None else "1000,10000,100000"
    args.growth_writers = args.growth_writers or 100
    if urlsplit(args.redis_url).path.strip("/") in {"", "0"}:
        sys.exit("bench_load: use a Redis database other than 0 (e.g. redis://127.0.0.1:6379/5)")
    if not shutil.which("wrk"):
        sys.exit("bench_load: wrk is not installed (Debian: apt-get install wrk; "
                 "`make bench-load` installs it when run as root)")  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    tmp = Path(tempfile.mkdtemp(prefix="balai-bench-load-"))
    env = base_env(tmp)
    name = db_name(args.pg_url)
    template = f"{name}_tpl"
    # This process reads and seeds the same database as the server and workers.
    os.environ.update({k: v for k, v in env.items() if k != "SITE_URL"})
    os.environ["DATABASE_URL"] = args.pg_url
    try:
        with pg_admin(args.pg_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{template}"')
    except Exception as e:
        sys.exit(f"bench_load: PostgreSQL is not usable at {args.pg_url} ({e})")
    import django

    os.environ["DATABASE_URL"] = args.pg_url.rsplit("/", 1)[0] + "/" + template
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    say(f"migrating the template database {template}")
    call_command("migrate", verbosity=0)
    info = machine()  # while a database is there to ask its version
    connection.close()
    connection.settings_dict["NAME"] = name
    run = Run(args, tmp, env)
    storms, growth = [], []
    failed = False
    try:
        for i, backend in enumerate(b.strip() for b in args.backends.split(",") if b.strip()):
            r = run.storm(f"storm-{backend}", backend, args.residents, args.residents, False,
                          True, 11 + i)  # fmt: skip
            storms.append(r)
            failed |= not r["check"]["ok"]
        for size in [int(x) for x in args.growth.split(",") if x.strip()]:
            r = run.storm(f"growth-{size}", "db", size, min(args.growth_writers, size), True,
                          False, 7)  # fmt: skip
            growth.append(r)
            failed |= not r["check"]["ok"]
    except (RuntimeError, TimeoutError) as e:
        print(f"bench_load: {e}\n(logs in {tmp})", file=sys.stderr)
        args.keep_logs = True
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        stop_all()
        if not args.keep_logs:
            drop(args.pg_url)
            drop(args.pg_url.rsplit("/", 1)[0] + "/" + template)
    took = time.monotonic() - _t0
    try:
        text = section(args, storms, growth, started, took, info)
    except Exception:
        print(json.dumps({"storms": storms, "growth": growth}, default=str))  # not lost
        raise
    print("\n" + text)
    if not args.no_doc:
        write_doc(text)
        say(f"wrote {DOC.relative_to(ROOT)}")
    if args.keep_logs:
        say(f"logs in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
