"""Staff console at village scale (`make bench-console`).

1. Creates (drops first) the PostgreSQL database ``balai_bench_console`` (or, with
   ``--sqlite``, a temporary SQLite file), migrates it and loads the demo villages
   (``balai.core.demo.seed``).
2. Adds to village "pondok", with ``bulk_create``: 100 dusun/RT areas, 100,000 residents
   (NIK/KK encrypted by the model field, their lookup hashes set here because bulk_create
   skips ``Resident.save()``), 200,000 letter requests with one ``RequestEvent`` each,
   20,000 complaints with one ``ComplaintEvent`` each, 5,000 conversations (some waiting for
   staff), 100,000 audit-log entries and a 120-message WhatsApp transcript for the
   conversation page that is measured. Then ``VACUUM ANALYZE`` (PostgreSQL; ``ANALYZE`` on
   SQLite).
3. Measures the console's main pages in this process with Django's test ``Client`` (no
   network, no HTTP server), logged in as ``operator.pondok`` or ``kades.pondok``: 3 warm-up
   requests, then 30 timed ones each (median, p95, max), and the SQL queries of one more
   request (``CaptureQueriesContext``).

Prints a summary (a FAIL line for each page whose median misses the 100 ms target) and
rewrites its own section of docs/benchmarks.md. Exit status 0 whenever the run completes, so
the numbers are always recorded; 1 when the database cannot be set up or a page errors.
``--keep`` keeps the database for EXPLAIN ANALYZE; ``--reuse`` measures a kept one again.
"""

import argparse
import datetime as dt
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-console:start -->", "<!-- bench-console:end -->"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/balai_bench_console")
TARGET_MS = 100.0
VILLAGE = "pondok"
BATCH = 2000

# Settings the measured process must not inherit from the caller's shell.
CLEARED = [
    "ADMIN_URL",
    "BALAI_DEMO",
    "BEHIND_PROXY",
    "DB_CONN_MAX_AGE",
    "HSTS_SECONDS",
    "MEDIA_ROOT",
    "REDIS_URL",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SITE_URL",
    "SIMULATOR_ENABLED",
    "TIME_ZONE",
]

FIRST = {
    "L": [
        "Budi", "Slamet", "Joko", "Sutrisno", "Bambang", "Eko", "Hadi", "Teguh", "Sugeng",
        "Yanto", "Wahyudi", "Supriyadi", "Darmaji", "Mulyono", "Rudi", "Agus", "Heru",
        "Sukardi", "Suparno", "Tri", "Dwi", "Bayu", "Aris", "Imam", "Nur", "Rohmat",
    ],
    "P": [
        "Siti", "Sri", "Endang", "Sumarni", "Tri", "Suparmi", "Yuliani", "Ngatini", "Rini",
        "Kartini", "Sulastri", "Wartini", "Dwi", "Murni", "Painem", "Sumiyati", "Lestari",
        "Ratna", "Wulan", "Ayu", "Indah", "Puji", "Eni", "Tutik", "Suwarni", "Sarmi",
    ],
}  # fmt: skip
LAST = [
    "Santoso", "Riyadi", "Purnomo", "Wijaya", "Prasetyo", "Susanto", "Wibowo", "Raharjo",
    "Saputro", "Hartono", "Aminah", "Rahayu", "Susilowati", "Wulandari", "Astuti", "Lestari",
    "Hidayat", "Setiawan", "Kurniawan", "Nugroho", "Utami", "Handayani", "Suryani", "Pratama",
    "Sulistyo", "Widodo", "Haryanto", "Maryati", "Ningsih", "Safitri", "",
]  # fmt: skip
OCCUPATIONS = [
    "Petani", "Pedagang", "Perajin bambu", "Buruh harian lepas", "Wiraswasta",
    "Ibu rumah tangga", "Guru", "Pelajar/Mahasiswa", "Peternak", "Karyawan swasta",
]  # fmt: skip
DUSUN = [
    "Krajan Lor", "Krajan Kidul", "Ngasem Wetan", "Ngasem Kulon", "Kedungwungu Lor",
    "Kedungwungu Kidul", "Sidorejo", "Karanganyar", "Gondang", "Tegalsari",
]  # fmt: skip
# Letter types by how often residents ask for them (slugs of balai.letters.catalogue).
TYPE_WEIGHTS = {
    "domisili": 20, "sktm": 16, "usaha": 14, "skck": 12, "kelahiran": 6, "kematian": 3,
    "pindah": 4, "ktp": 8, "kk": 7, "belum_menikah": 5, "kehilangan": 3, "keramaian": 2,
}  # fmt: skip
# ~85% finished (completed/rejected/cancelled), the rest open across the chain's states.
STATE_WEIGHTS = {
    "completed": 78.0, "rejected": 6.0, "cancelled": 1.0, "submitted": 5.0,
    "in_review": 3.5, "needs_info": 2.5, "awaiting_signature": 3.0, "ready": 1.0,
}  # fmt: skip
COMPLAINT_STATES = {
    "closed": 55, "resolved": 20, "rejected": 10, "received": 8, "in_progress": 6, "reopened": 1,
}  # fmt: skip
COMPLAINT_TEXTS = [
    "Jalan di depan SD berlubang besar, bahaya untuk anak-anak.",
    "Lampu jalan di pertigaan masjid mati sejak seminggu.",
    "Sampah menumpuk di dekat jembatan, belum diangkut.",
    "Saluran air depan rumah mampet, kalau hujan banjir sampai jalan.",
    "Air PAM tidak mengalir tiga hari di RT kami.",
    "Usul: dibuat jadwal ronda baru karena ada pencurian motor.",
    "Bantuan sosial belum diterima padahal sudah terdaftar.",
    "Pelayanan di kantor desa lama, mohon ditambah petugas hari Senin.",
]


def say(message: str) -> None:
    print(f"[{time.monotonic() - _t0:6.1f} s] {message}", flush=True)


_t0 = time.monotonic()


# --------------------------------------------------------------------------- environment
def configure(args) -> tuple[str, Path]:
    """Environment for Django's settings before they load: (database label, data dir)."""
    for name in CLEARED:
        os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-console-"))
    os.environ.update(
        {
            "BALAI_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            # Fixed, so a kept database (--keep) can be measured again (--reuse).
            "FIELD_ENCRYPTION_KEY": "bench-console-field-key-" + "k" * 32,
            "BALAI_DATA_DIR": str(data_dir),
            "TASK_BACKEND": "db",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "balai.settings",
        }
    )
    if args.sqlite:
        path = Path(args.sqlite_path or data_dir / "bench.sqlite3")
        if not args.reuse and path.exists():
            path.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return f"SQLite file {path}", data_dir
    url = urlsplit(args.pg_url)
    name = url.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"bench_console: unexpected database name {name!r} in {args.pg_url}")
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
        sys.exit(
            f"bench_console: PostgreSQL is not reachable at {safe} ({str(e).strip()}).\n"
            "Start it, point --pg-url (or BENCH_PG_URL) at a server, or run on SQLite with "
            "--sqlite."
        )
    with admin:
        if not args.reuse:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        elif not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            sys.exit(f"bench_console: --reuse, but database {name} does not exist")
    os.environ["DATABASE_URL"] = args.pg_url
    return f"PostgreSQL database {name}", data_dir


# --------------------------------------------------------------------------- seeding
def working_days_after(start: dt.date, days: int, holidays: set) -> dt.date:
    """``LetterType.due_date`` without its query per call."""
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            left -= 1
    return day


def weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    cum = []
    total = 0.0
    for k in keys:
        total += weights[k]
        cum.append(total)

    def pick():
        x = rng.random() * total
        return keys[next(i for i, c in enumerate(cum) if c >= x)]

    return pick


def seed_volume(args, rng: random.Random) -> dict:
    """Bulk rows in Pondok; returns what the measurements need (codes, a NIK)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from balai.complaints.models import Category, Complaint, ComplaintEvent
    from balai.conversations.models import Conversation
    from balai.letters.models import LetterRequest, LetterType, RequestEvent
    from balai.lib.crypto import lookup_hash
    from balai.residents.models import Resident
    from balai.villages.models import Area, AuditEvent, Village
    from balai.whatsapp.models import InboundMessage, OutboundMessage, WhatsAppNumber

    village = Village.objects.get(slug=VILLAGE)
    tz = village.tz
    now = timezone.now()
    holidays = set(village.holidays.values_list("date", flat=True))
    staff = {u.username: u for u in get_user_model().objects.filter(username__endswith=".pondok")}
    office = [staff[n] for n in ("operator.pondok", "kasi.pondok", "sekdes.pondok", "kades.pondok")]
    out: dict = {}
    span = 2 * 365 * 86400

    with transaction.atomic():
        # Areas: 10 dusun with 10 RTs each, beside the demo's 3 dusun / 7 RTs.
        t = time.monotonic()
        dusun = Area.objects.bulk_create(Area(village=village, kind="dusun", name=n) for n in DUSUN)
        rts = Area.objects.bulk_create(
            Area(village=village, kind="rt", name=f"{i * 10 + j + 8:03d}", parent=d)
            for i, d in enumerate(dusun)
            for j in range(10)
        )
        rts += list(Area.objects.filter(village=village, kind="rt"))
        rts = list({a.pk: a for a in rts}.values())

        # Residents: unique phone and NIK; families of ~4 share a KK number.
        region = "331102"
        used_nik: set[str] = set()
        resident_ids: list[int] = []
        unverified = 0
        n = args.residents
        say(f"residents: {n:,}")
        batch: list[Resident] = []
        kk = ""
        for i in range(n):
            gender = "L" if rng.random() < 0.5 else "P"
            birth = dt.date(rng.randint(1940, 2020), rng.randint(1, 12), rng.randint(1, 28))
            day = birth.day + (40 if gender == "P" else 0)
            base = f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
            serial = rng.randint(1, 9999)
            while f"{base}{serial:04d}" in used_nik:
                serial = serial % 9999 + 1
            nik = f"{base}{serial:04d}"
            used_nik.add(nik)
            if i % 4 == 0:
                kk = f"{region}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}"
                kk += f"{rng.randint(10, 24):02d}{rng.randint(1, 9999):04d}"
            area = rng.choice(rts)
            verified = rng.random() > 0.02  # the rest were first met on WhatsApp
            unverified += not verified
            last = rng.choice(LAST)
            batch.append(
                Resident(
                    village=village,
                    name=f"{rng.choice(FIRST[gender])} {last}".strip(),
                    phone=f"+62812{i:08d}",
                    nik=nik,
                    nik_hash=lookup_hash(nik),
                    kk=kk,
                    kk_hash=lookup_hash(kk),
                    gender=gender,
                    birth_place="Sukoharjo",
                    birth_date=birth,
                    area=area,
                    address=f"{area.name}",
                    occupation=rng.choice(OCCUPATIONS),
                    is_head_of_family=i % 4 == 0,
                    is_verified=verified,
                )
            )
            if i == n // 2:
                out["nik"] = nik
            if len(batch) == BATCH or i == n - 1:
                resident_ids += [r.pk for r in Resident.objects.bulk_create(batch)]
                batch = []
        say(f"  {n:,} residents in {time.monotonic() - t:.1f} s")

        # Ticket codes: one monthly sequence shared by requests and complaints, 6 digits
        # (the demo's own are 4), so none collides with codes the app hands out.
        sequence: dict[str, int] = {}

        def code(at: dt.datetime) -> str:
            period = at.astimezone(tz).strftime("%y%m")
            sequence[period] = sequence.get(period, 0) + 1
            return f"{village.prefix}-{period}-{sequence[period]:06d}"

        # Letter requests, each with its "submitted" event.
        t = time.monotonic()
        types = {lt.slug: lt for lt in LetterType.objects.filter(village=village)}
        pick_type = weighted(rng, {s: w for s, w in TYPE_WEIGHTS.items() if s in types})
        pick_state = weighted(rng, STATE_WEIGHTS)
        n = args.requests
        say(f"letter requests: {n:,}")
        batch = []
        for i in range(n):
            state = pick_state()
            if state in {"completed", "rejected", "cancelled"}:
                age = rng.random() * span
            else:  # open requests are mostly recent; a tail of old ones nobody closed
                age = min(rng.expovariate(1 / (30 * 86400)), span)
            submitted = now - dt.timedelta(seconds=age)
            letter_type = types[pick_type()]
            due = working_days_after(submitted.astimezone(tz).date(), letter_type.days, holidays)
            stage = {
                "submitted": 0,
                "in_review": 1,
                "awaiting_signature": 2,
                "ready": 2,
                "completed": 2,
            }.get(state, rng.randint(0, 2))
            resident = rng.choice(resident_ids)
            contact = resident if rng.random() < 0.9 else rng.choice(resident_ids)
            finished = None
            if state == "completed":
                finished = min(submitted + dt.timedelta(hours=rng.uniform(2, 120)), now)
            batch.append(
                LetterRequest(
                    village=village,
                    code=code(submitted),
                    letter_type=letter_type,
                    resident_id=resident,
                    contact_id=contact,
                    identity="matched",
                    answers={},
                    state=state,
                    stage=stage,
                    assigned_to=rng.choice(office) if rng.random() < 0.1 else None,
                    submitted_at=submitted,
                    due_date=due,
                    completed_at=finished,
                )
            )
            if len(batch) == BATCH or i == n - 1:
                made = LetterRequest.objects.bulk_create(batch)
                RequestEvent.objects.bulk_create(
                    RequestEvent(request=r, state="submitted", created=r.submitted_at) for r in made
                )
                for r in made:
                    if r.state == "in_review" and "request" not in out:
                        out["request"] = r.code
                batch = []
        say(f"  {n:,} requests + events in {time.monotonic() - t:.1f} s")

        # Complaints, each with its "received" event.
        t = time.monotonic()
        categories = list(Category.objects.filter(village=village))
        pick_complaint = weighted(rng, COMPLAINT_STATES)
        n = args.complaints
        batch = []
        for i in range(n):
            state = pick_complaint()
            open_ = state in {"received", "in_progress", "reopened"}
            age = min(rng.expovariate(1 / (20 * 86400)), span) if open_ else rng.random() * span
            submitted = now - dt.timedelta(seconds=age)
            batch.append(
                Complaint(
                    village=village,
                    code=code(submitted),
                    kind="complaint" if rng.random() < 0.85 else "suggestion",
                    category=rng.choice(categories),
                    description=rng.choice(COMPLAINT_TEXTS),
                    resident_id=rng.choice(resident_ids),
                    show_name=rng.random() < 0.3,
                    state=state,
                    submitted_at=submitted,
                    resolved_at=None if open_ else submitted + dt.timedelta(days=3),
                    assigned_to=rng.choice(office) if rng.random() < 0.2 else None,
                )
            )
            if len(batch) == BATCH or i == n - 1:
                made = Complaint.objects.bulk_create(batch)
                ComplaintEvent.objects.bulk_create(
                    ComplaintEvent(complaint=c, state="received", created=c.submitted_at)
                    for c in made
                )
                batch = []
        say(f"  {n:,} complaints + events in {time.monotonic() - t:.1f} s")

        # Conversations: one per resident; ~2% waiting for a person.
        t = time.monotonic()
        talkers = rng.sample(resident_ids, args.conversations)
        conversations = []
        for i, resident in enumerate(talkers):
            last = now - dt.timedelta(seconds=rng.random() * 90 * 86400)
            waiting = i % 50 == 0
            conversations.append(
                Conversation(
                    village=village,
                    resident_id=resident,
                    last_activity=last,
                    handoff_at=last if waiting else None,
                    handoff_reason="Warga minta bicara dengan petugas" if waiting else "",
                    assigned_to=rng.choice(office) if waiting and i % 3 == 0 else None,
                )
            )
        Conversation.objects.bulk_create(conversations, batch_size=BATCH)
        say(f"  {len(conversations):,} conversations in {time.monotonic() - t:.1f} s")

        # A transcript for the conversation page: 60 messages each way.
        chat = Resident.objects.get(pk=talkers[0])
        Conversation.objects.filter(resident=chat).update(handoff_at=now)
        number = WhatsAppNumber.objects.get(village=village)
        wa_id = chat.phone.lstrip("+")
        start = now - dt.timedelta(hours=3)
        InboundMessage.objects.bulk_create(
            InboundMessage(
                village=village,
                number=number,
                wamid=f"wamid.bench.{i}",
                wa_id=wa_id,
                type="text",
                message={"from": wa_id, "type": "text", "text": {"body": f"pesan {i}"}},
                sent_at=start + dt.timedelta(minutes=3 * i),
                state="processed",
                resident=chat,
            )
            for i in range(60)
        )
        OutboundMessage.objects.bulk_create(
            OutboundMessage(
                village=village,
                number=number,
                resident=chat,
                to=wa_id,
                kind="text",
                payload={"type": "text", "text": {"body": f"balasan {i}"}},
                state="delivered",
                created=start + dt.timedelta(minutes=3 * i + 1),
            )
            for i in range(60)
        )
        out["conversation"] = chat.code

        # The audit log: staff viewing requests, residents, complaints, conversations.
        t = time.monotonic()
        actions = [
            ("letter_request.view", "letterrequest"),
            ("resident.view", "resident"),
            ("complaint.view", "complaint"),
            ("conversation.view", "resident"),
            ("letter_request.setujui", "letterrequest"),
        ]
        AuditEvent.objects.bulk_create(
            (
                AuditEvent(
                    village=village,
                    actor=rng.choice(office),
                    action=action,
                    object_type=kind,
                    object_code=f"{village.prefix}-2601-{rng.randint(1, 999999):06d}",
                    created=now - dt.timedelta(seconds=rng.random() * span),
                )
                for action, kind in (rng.choice(actions) for _ in range(args.audit))
            ),
            batch_size=BATCH,
        )
        say(f"  {args.audit:,} audit events in {time.monotonic() - t:.1f} s")
    out["unverified"] = unverified
    return out


def lookups() -> dict:
    """With --reuse: what seed_volume would have returned."""
    from balai.conversations.models import Conversation
    from balai.letters.models import LetterRequest
    from balai.residents.models import Resident

    chat = (
        Conversation.objects.filter(village__slug=VILLAGE, resident__whatsapp_inbound__isnull=False)
        .select_related("resident")
        .first()
    )
    sample = Resident.objects.filter(village__slug=VILLAGE).exclude(nik="").order_by("pk")
    return {
        "request": LetterRequest.objects.filter(village__slug=VILLAGE, state="in_review")
        .order_by("pk")
        .values_list("code", flat=True)
        .first(),
        "conversation": chat.resident.code if chat else "",
        "nik": sample[sample.count() // 2].nik,
    }


def sizes() -> dict:
    from balai.complaints.models import Complaint
    from balai.conversations.models import Conversation
    from balai.letters.models import LetterRequest, RequestEvent
    from balai.residents.models import Resident
    from balai.villages.models import Area, AuditEvent

    pondok = {"village__slug": VILLAGE}
    requests = LetterRequest.objects.filter(**pondok)
    return {
        "residents": Resident.objects.filter(**pondok).count(),
        "unverified residents": Resident.objects.filter(**pondok, is_verified=False).count(),
        "areas (dusun + RT)": Area.objects.filter(**pondok).count(),
        "letter requests": requests.count(),
        "open letter requests": requests.open().count(),
        "request events": RequestEvent.objects.filter(request__village__slug=VILLAGE).count(),
        "complaints": Complaint.objects.filter(**pondok).count(),
        "open complaints": Complaint.objects.filter(**pondok).open().count(),
        "conversations": Conversation.objects.filter(**pondok).count(),
        "waiting for staff": Conversation.objects.filter(
            **pondok, handoff_at__isnull=False
        ).count(),
        "audit events": AuditEvent.objects.filter(**pondok).count(),
    }


# --------------------------------------------------------------------------- measuring
TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[int, tuple[float, str]]:
    """{pid: (CPU seconds used so far, command line)} for every process we may read."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            rest = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{entry.name}/cmdline").read_text(errors="replace")
            out[int(entry.name)] = ((int(rest[11]) + int(rest[12])) / TICK, cmd)
        except (OSError, IndexError, ValueError):
            continue
    return out


def other_cpu(before: dict, after: dict, backend: int | None) -> float:
    """CPU seconds used between two ``cpu_by_process`` snapshots by processes other than this
    one, its PostgreSQL backend and that backend's parallel workers. Processes that started
    and ended in between are not seen."""
    mine = {os.getpid(), backend}
    used = 0.0
    for pid, (seconds, cmd) in after.items():
        if pid in mine or pid not in before:
            continue
        if backend and f"parallel worker for PID {backend}" in cmd:
            continue
        used += max(seconds - before[pid][0], 0.0)
    return used


def wait_quiet(seconds: float) -> float:
    """Wait up to ``seconds`` for other processes to leave the CPUs nearly idle; returns the
    CPUs they used in the last second."""
    deadline = time.monotonic() + seconds
    while True:
        before = cpu_by_process()
        time.sleep(1.0)
        other = other_cpu(before, cpu_by_process(), None)
        if other < 0.25 or time.monotonic() >= deadline:
            return other
        say(f"machine busy ({other:.2f} CPUs used by other processes), waiting…")


def pages(found: dict) -> list[tuple[str, str, str]]:
    """(label, user, path) of the pages to measure."""
    base = f"/desa/{VILLAGE}"
    op, kades = "operator.pondok", "kades.pondok"
    return [
        ("dashboard", op, f"{base}/"),
        ("dashboard", kades, f"{base}/"),
        ("requests queue (open)", op, f"{base}/permohonan/"),
        ("requests queue, menunggu saya", op, f"{base}/permohonan/?status=mine"),
        ("requests queue, menunggu saya", kades, f"{base}/permohonan/?status=mine"),
        ("requests queue, terlambat", op, f"{base}/permohonan/?status=overdue"),
        ("requests queue, type SKTM", op, f"{base}/permohonan/?jenis=sktm"),
        ("requests queue, page 100", op, f"{base}/permohonan/?hal=100"),
        ("request page", op, f"{base}/permohonan/{found['request']}/"),
        ("residents", op, f"{base}/warga/"),
        ("residents, name search", op, f"{base}/warga/?q=sulastri"),
        # A NIK is posted, never put in a URL: the page measured is where the post lands.
        ("residents, exact NIK", op, f"POST {base}/warga/ q={found['nik']}"),
        ("verify queue", op, f"{base}/verifikasi-warga/"),
        ("inbox, waiting", op, f"{base}/kotak-masuk/"),
        ("inbox, all", op, f"{base}/kotak-masuk/?tampil=semua"),
        ("conversation page", op, f"{base}/kotak-masuk/{found['conversation']}/"),
        ("complaints desk", op, f"{base}/pengaduan/"),
        ("services", op, f"{base}/layanan/"),
        ("audit log", op, f"{base}/log-audit/"),
    ]


def measure(found: dict, warmup: int, repeat: int) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    results = []
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    for label, username, path in pages(found):
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(get_user_model().objects.get(username=username))
        client = clients[username]
        if path.startswith("POST "):
            url, field = path[5:].split(" ", 1)
            name, value = field.split("=", 1)
            path = client.post(url, {name: value})["Location"]
        for _ in range(warmup):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} as {username}: HTTP {response.status_code}")
        times = []
        before, t0 = cpu_by_process(), time.monotonic()
        for _ in range(repeat):
            t = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - t) * 1000)
        wall = time.monotonic() - t0
        other = other_cpu(before, cpu_by_process(), backend) / wall
        timed: list[tuple[float, str]] = []

        def timer(execute, sql, params, many, context, timed=timed):
            t = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timed.append(((time.perf_counter() - t) * 1000, sql))

        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timer):
            client.get(path)
        if len(queries.captured_queries) != len(timed):
            raise RuntimeError(f"GET {path}: query count and timings disagree")
        sql = timed
        times.sort()
        row = {
            "label": label,
            "user": username,
            "path": path,
            "median": statistics.median(times),
            "p95": statistics.quantiles(times, n=20, method="inclusive")[-1],
            "max": times[-1],
            "queries": len(sql),
            "sql_ms": sum(ms for ms, _ in sql),
            "slowest": max(sql, default=(0.0, "")),
            "other_cpu": other,
        }
        results.append(row)
        mark = "ok  " if row["median"] < TARGET_MS else "FAIL"
        say(
            f"{mark} {label} ({username}): median {row['median']:.1f} ms, p95 "
            f"{row['p95']:.1f} ms, {row['queries']} queries ({row['sql_ms']:.1f} ms SQL), "
            f"other processes {other:.2f} CPUs"
        )
    return results


# --------------------------------------------------------------------------- report
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def short_sql(sql: str) -> str:
    """``SELECT … FROM table … WHERE …``: the columns and joins left out."""
    sql = re.sub(r"\s+", " ", sql)
    table = re.search(r" FROM (\S+)", sql)
    where = re.search(r" WHERE .*", sql)
    if sql.startswith("SELECT") and table:
        sql = f"SELECT … FROM {table.group(1)}" + (f" …{where.group(0)}" if where else "")  # noqa: S608 (display only)
    return sql if len(sql) <= 400 else sql[:399] + "…"


HEADER = (
    "| page | as | URL | median ms | p95 ms | max ms | queries | SQL ms "
    "| other CPUs | target |\n|---|---|---|---:|---:|---:|---:|---:|---:|---|"
)


def report(results, counts, info) -> str:
    rows = []
    for r in results:
        verdict = "ok" if r["median"] < TARGET_MS else "**over**"
        rows.append(
            f"| {r['label']} | {r['user'].split('.')[0]} | `{r['path']}` "
            f"| {r['median']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {r['queries']} "
            f"| {r['sql_ms']:.1f} | {r['other_cpu']:.2f} | {verdict} |"
        )
    missed = [r for r in results if r["median"] >= TARGET_MS]
    if missed:
        verdict = (
            f"**{len(missed)} of {len(results)} pages miss the target** "
            f"(median ≥ {TARGET_MS:.0f} ms): "
            + ", ".join(f"{r['label']} ({r['user'].split('.')[0]})" for r in missed)
            + ". Their slowest SQL statement in the counted request:\n\n"
            + "\n".join(
                f"- {r['label']} ({r['user'].split('.')[0]}): {r['slowest'][0]:.1f} ms — "
                f"`{short_sql(r['slowest'][1])}`"
                for r in missed
            )
        )
    else:
        verdict = f"**All {len(results)} pages meet the target** (median < {TARGET_MS:.0f} ms)."
    busy = [r for r in results if r["other_cpu"] > 0.25]
    if busy:
        verdict += (
            f"\n\nCaution: other processes used more than 0.25 CPUs while {len(busy)} of these "
            'pages were measured (column "other CPUs"), so their times are higher than this '
            "machine does when quiet."
        )
    size_lines = "\n".join(f"| {k} | {v:,} |" for k, v in counts.items())
    return f"""## Staff console at village scale (`make bench-console`)

Measured {info["started"]} ({info["elapsed"]:.0f} s in all, seeding {info["seed_s"]:.0f} s) with
`make bench-console`, which runs `uv run python scripts/bench_console.py` (options: `--help`;
`--sqlite` for a temporary SQLite file instead of PostgreSQL, `--keep`/`--reuse` to keep the
database for `EXPLAIN ANALYZE` and measure it again).

**Machine.** {info["cpu"]}, {info["cores"]} cores, {info["memory"]} RAM, Linux
{info["kernel"]}; Python {info["python"]}, Django {info["django"]}, {info["db"]} on
127.0.0.1 (stock server settings). The benchmark and the database share these CPUs.

**Data.** {info["db_label"]}, freshly created and migrated; the demo villages
(`balai.core.demo.seed`), then bulk-inserted into village Pondok with `bulk_create` and
followed by {info["analyse"]}: residents
with unique phones and NIKs (encrypted by the model field, lookup hashes set by the script),
spread over 10 extra dusun with 10 RTs each; letter requests over the last two years (~85%
completed, rejected or cancelled; open ones mostly from the last weeks, each with a state
and stage consistent with the default chain operator → sekdes → kades, due dates in working
days) with one `RequestEvent` each; complaints with one `ComplaintEvent` each;
conversations (one in 50 waiting for staff); audit-log entries; and a 120-message WhatsApp
transcript for the measured conversation page.

| rows in Pondok | count |
|---|---:|
{size_lines}

**Method.** Each page is requested in this process through Django's test `Client` (the whole
middleware stack, session and login, template rendering; no network and no HTTP server) with
production settings (`BALAI_DEBUG` off, database cache and sessions), logged in as the demo
`operator.pondok` or `kades.pondok`: {info["warmup"]} warm-up requests, then {info["repeat"]}
timed ones (`time.perf_counter` around `client.get`). "Queries" and "SQL ms" are from one
more request under `CaptureQueriesContext` (SQL ms: the time spent in the database driver).
"Other CPUs": CPUs used during the timed requests by processes other than this one, its
PostgreSQL backend and that backend's parallel query workers (2.00 = both busy; processes
that start and end within a page's timed requests are not seen). Target: median under
{TARGET_MS:.0f} ms.

{HEADER}
{chr(10).join(rows)}

{verdict}

Reproduce: `make bench-console` (PostgreSQL at `{info["pg_hint"]}`, dropped and
recreated), or `uv run python scripts/bench_console.py --sqlite`.
"""


def write_doc(section: str) -> None:
    block = f"{START}\n{section.rstrip()}\n{END}\n"
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
    p.add_argument("--sqlite", action="store_true", help="a temporary SQLite file, not PostgreSQL")
    p.add_argument("--sqlite-path", help="with --sqlite: this file (for --keep/--reuse)")
    p.add_argument("--pg-url", default=PG_URL, help=f"dropped and recreated ({PG_URL})")
    p.add_argument("--residents", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=200_000)
    p.add_argument("--complaints", type=int, default=20_000)
    p.add_argument("--conversations", type=int, default=5_000)
    p.add_argument("--audit", type=int, default=100_000, help="audit-log entries (100,000)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=60,
        help="before measuring, wait up to this many seconds for other processes to leave "
        "the CPUs idle (60)",
    )
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", action="store_true", help="measure a kept database, no seeding")
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = p.parse_args()
    if args.conversations > args.residents:
        p.error("--conversations cannot exceed --residents (one conversation per resident)")

    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    db_label, data_dir = configure(args)
    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from balai.core import demo

    say(f"database: {db_label}")
    seed_s = 0.0
    if args.reuse:
        found = lookups()
    else:
        call_command("migrate", verbosity=0)
        say("migrated")
        t = time.monotonic()
        demo.seed()
        found = seed_volume(args, random.Random(20261124))
        with connection.cursor() as cursor:
            # VACUUM too, not only ANALYZE: it sets the visibility map that index-only scans
            # (counts) rely on, which autovacuum does soon after bulk inserts in production.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        seed_s = time.monotonic() - t
        say(f"seeded and analysed in {seed_s:.0f} s")
    counts = sizes()
    other = wait_quiet(args.wait_quiet)
    say(f"other processes use {other:.2f} CPUs; measuring")
    try:
        results = measure(found, args.warmup, args.repeat)
    except RuntimeError as e:
        print(f"bench_console: {e}", file=sys.stderr)
        return 1
    pg = urlsplit(args.pg_url)
    info = {
        "started": started,
        "elapsed": time.monotonic() - _t0,
        "seed_s": seed_s,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory": memory(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": version("django"),
        "db": database_version(),
        "db_label": "SQLite (a temporary file)"
        if args.sqlite
        else f"PostgreSQL database `{pg.path.lstrip('/')}`",
        "analyse": "`ANALYZE`"
        if args.sqlite
        else "`VACUUM ANALYZE` (as autovacuum would do soon after such inserts)",
        "warmup": args.warmup,
        "repeat": args.repeat,
        "pg_hint": urlunsplit(pg._replace(netloc=f"{pg.hostname}:{pg.port or 5432}")),
    }
    text = report(results, counts, info)
    if not args.keep and not args.sqlite:
        connection.close()
        import psycopg

        with psycopg.connect(
            host=pg.hostname or "127.0.0.1",
            port=pg.port or 5432,
            user=pg.username or "postgres",
            password=pg.password,
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{pg.path.lstrip("/")}" WITH (FORCE)')
    if args.keep:
        say(f"kept {db_label}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    print()
    for r in results:
        if r["median"] >= TARGET_MS:
            print(
                f"FAIL {r['label']} ({r['user']}) {r['path']}: median {r['median']:.1f} ms "
                f">= {TARGET_MS:.0f} ms"
            )
    missed = sum(r["median"] >= TARGET_MS for r in results)
    print(f"{len(results) - missed}/{len(results)} pages under {TARGET_MS:.0f} ms median")
    if not args.no_doc:
        write_doc(text)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
