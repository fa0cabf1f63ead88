"""Helpers for the operations tests: migrated template databases, data to back up, and a
snapshot of a database's contents to compare before and after a restore.

``seed`` and ``snapshot`` run inside ``balai shell`` subprocesses (real, committed data in
their own databases), so the backup tools see what they would see in production.
"""

import contextlib
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
REPO = Path(__file__).resolve().parents[3]
TEMPLATES = Path(tempfile.gettempdir()) / "balai-ops-templates"


def pg_up() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def pg_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def pg_admin(*statements: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def migrations_key() -> str:
    """Changes whenever a migration file (or Django) changes: names the template databases."""
    import django
    import django_tasks_db

    digest = hashlib.sha256(f"{django.get_version()} {django_tasks_db.__file__}".encode())
    for path in sorted((REPO / "balai").glob("*/migrations/*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def base_env(tmp: Path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "TASK_BACKEND"}
    }
    env.update(
        BALAI_DATA_DIR=str(tmp),
        MEDIA_ROOT=str(tmp / "media"),
        LOG_LEVEL="ERROR",
        TASK_BACKEND="dummy",
        PYTHONWARNINGS="ignore",
    )
    env.setdefault("SECRET_KEY", "ops-secret-key-" + "s" * 40)
    env.setdefault("FIELD_ENCRYPTION_KEY", "ops-field-key-" + "f" * 40)
    env.update(extra)
    return env


def balai(env: dict, *args: str, check: bool = True, timeout: int = 180):
    result = subprocess.run(
        [sys.executable, "-m", "balai", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env.get("BALAI_DATA_DIR"),
    )
    if check and result.returncode != 0:
        raise AssertionError(f"balai {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


def migrated_sqlite(target: Path) -> None:
    """Copy a migrated SQLite database to ``target`` (migrating once per set of migrations)."""
    import shutil

    TEMPLATES.mkdir(exist_ok=True)
    template = TEMPLATES / f"migrated-{migrations_key()}.sqlite3"
    if not template.exists():
        with tempfile.TemporaryDirectory() as tmp:
            partial = Path(tmp) / "db.sqlite3"
            balai(base_env(Path(tmp), DATABASE_URL=f"sqlite:///{partial}"), "migrate", "-v0")
            import sqlite3

            db = sqlite3.connect(partial)
            db.execute("PRAGMA journal_mode=DELETE")
            db.close()
            part = template.with_name(f"{template.name}.{os.getpid()}.part")
            shutil.copy(partial, part)
            os.replace(part, template)
    shutil.copy(template, target)


def migrated_postgres(name: str) -> None:
    """Create database ``name`` from a migrated template (migrating once per migrations set)."""
    template = f"balai_ops_tpl_{migrations_key()}"
    part = f"{template}_{os.getpid()}"

    def exists(conn) -> bool:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        return found.fetchone() is not None

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        ready = exists(conn)
        if not ready:
            conn.execute(f'CREATE DATABASE "{part}"')
    if not ready:
        with tempfile.TemporaryDirectory() as tmp:
            balai(base_env(Path(tmp), DATABASE_URL=pg_url(part)), "migrate", "-v0")
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            if exists(conn):  # another run finished first
                conn.execute(f'DROP DATABASE "{part}"')
            else:
                conn.execute(f'ALTER DATABASE "{part}" RENAME TO "{template}"')
            # Templates of older migration sets are not needed any more.
            for (old,) in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'balai_ops_tpl_%%' "
                "AND datname <> %s AND datname NOT LIKE %s",
                [template, f"{template}_%"],
            ).fetchall():
                # (skipped while another run is using it)
                with contextlib.suppress(psycopg.errors.ObjectInUse):
                    conn.execute(f'DROP DATABASE IF EXISTS "{old}"')
    pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


# --- run inside `balai shell` -----------------------------------------------------------------

NIKS = ["3311024501900001", "3311025203850003", "3311021707700005"]
TOKEN = "EAAG-access-token-kept-encrypted"


def seed() -> None:
    """A village, residents with NIK/KK, a connected number, a received photo, other files."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from balai.core.models import TaskFailure
    from balai.residents.models import Resident
    from balai.test import make_village
    from balai.whatsapp.models import InboundMessage, Media, WhatsAppNumber

    village = make_village("pondok", "Pondok", "Asia/Jakarta", "33.11.02.2010", "Jawa Tengah")
    number = WhatsAppNumber.objects.create(
        village=village,
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        display_number="15550783881",
        access_token=TOKEN,
        is_simulated=False,
    )
    residents = [
        Resident.objects.create(
            village=village,
            name=f"Warga {i}",
            phone=f"+62812345678{i:02d}",
            nik=nik,
            kk=f"33110201011000{i:02d}",
            birth_date=dt.date(1990, 1, i + 1),
        )
        for i, nik in enumerate(NIKS)
    ]
    message = InboundMessage.objects.create(
        village=village,
        number=number,
        wamid="wamid.backup-test-1",
        wa_id="6281234567800",
        type="image",
        message={"type": "image", "image": {"id": "m1", "caption": "foto jalan"}},
        sent_at=dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC),
        resident=residents[0],
    )
    media = Media.objects.create(village=village, message=message, media_id="m1")
    media.file.save("jalan.jpg", ContentFile(b"\xff\xd8\xff\xe0 not really a jpeg " * 100))
    default_storage.save("letters/2026/surat keterangan ñ.pdf", ContentFile(b"%PDF-1.7 " * 500))
    default_storage.save("posters/kosong.txt", ContentFile(b""))
    TaskFailure.objects.create(
        task_path="balai.x", attempts=6, error_class="E", error_message="m", traceback="t"
    )


def snapshot() -> None:
    """Print the database's contents and the media files' hashes as JSON."""
    from django.conf import settings
    from django.db import connection

    from balai.residents.models import Resident
    from balai.whatsapp.models import WhatsAppNumber

    out: dict = {"counts": {}, "samples": {}}
    with connection.cursor() as cur:
        for table in sorted(connection.introspection.table_names(cur)):
            if table == "balai_cache":
                continue  # expiring entries (locks, rate limits) are not data
            cur.execute(f'SELECT COUNT(*) FROM "{table}"')
            out["counts"][table] = cur.fetchone()[0]
            cur.execute(f'SELECT * FROM "{table}" ORDER BY 1 LIMIT 5')
            out["samples"][table] = [[str(v) for v in row] for row in cur.fetchall()]
    out["identity"] = [(r.code, r.nik, r.kk, r.nik_hash) for r in Resident.objects.order_by("pk")]
    out["tokens"] = [n.access_token for n in WhatsAppNumber.objects.order_by("pk")]
    root = Path(settings.MEDIA_ROOT)
    out["media"] = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    print(json.dumps(out, sort_keys=True))


def write_after_restore() -> None:
    """New rows after a restore get fresh ids (sequences restored) and a NIK search works."""
    from balai.residents.models import Resident
    from balai.villages.models import Village

    before = Resident.objects.order_by("-pk").values_list("pk", flat=True).first()
    new = Resident.objects.create(
        village=Village.objects.get(slug="pondok"), name="Warga baru", nik="3311020101010009"
    )
    found = Resident.objects.with_nik(NIKS[1]).count()
    print(json.dumps({"before": before, "new": new.pk, "found_by_nik": found}))
