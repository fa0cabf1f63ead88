"""One-file backups of a Balai deployment: the database, the media files and a manifest.

``create_backup`` writes a ``.tar.gz`` holding

- ``database/db.sqlite3`` (SQLite: an online, consistent copy through SQLite's backup API,
  safe while the web server and workers write) or ``database/db.pgdump`` (PostgreSQL:
  ``pg_dump --format=custom`` run on an exported snapshot, so the row counts in the manifest
  are those of the very snapshot that was dumped);
- ``media/…``: every file under ``MEDIA_ROOT``;
- ``manifest.json``: format, Balai and Django versions, engine, applied migrations, the row
  count of every table, the sha256 and size of every file in the archive, the creation time,
  and fingerprints of the encryption keys in use (never the keys).

``restore_backup`` checks the whole archive first (safe paths, every checksum, nothing extra),
refuses a database or media folder that already holds data unless forced, restores, then
compares the restored database's row counts and migrations with the manifest.

The keys (``FIELD_ENCRYPTION_KEY``, ``SECRET_KEY``, ``WHATSAPP_APP_SECRET``) are not in the
archive: NIK/KK numbers and access tokens in it stay encrypted, and the keys must be kept
separately (docs/deploy.md, "Backups").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection, connections

FORMAT = "balai-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/db.sqlite3"
PG_MEMBER = "database/db.pgdump"
MEDIA_PREFIX = "media/"
KEYS_NOTE = (
    "The encryption keys are NOT in this backup. Keep FIELD_ENCRYPTION_KEY (and SECRET_KEY, "
    "WHATSAPP_APP_SECRET) safe, separately from the backups: without FIELD_ENCRYPTION_KEY the "
    "NIK/KK numbers and WhatsApp access tokens in it cannot be read."
)
# Rows a freshly migrated database has before anyone uses it: these do not make it
# "non-empty" for restore.
BOOKKEEPING_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "balai_cache",
    "sqlite_sequence",
}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass
class Result:
    path: Path
    manifest: dict
    messages: list[str] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------------------------


def engine() -> str:
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"database engine {vendor!r} is not supported (SQLite or PostgreSQL)")
    return vendor


def key_fingerprint(key: str) -> str:
    """A short, one-way name for an encryption key (to tell keys apart, not to recover them)."""
    return hashlib.sha256(b"balai-key-fingerprint\0" + key.encode()).hexdigest()[:16]


def _balai_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("balai")
    except PackageNotFoundError:
        return "unknown"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """A file wrapper that hashes what tarfile reads from it."""

    def __init__(self, f):
        self.f = f
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.f.read(size)
        self.digest.update(data)
        return data


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                files.append(path)
    return files


def _pg_settings() -> dict:
    db = settings.DATABASES["default"]
    return {
        "name": db["NAME"],
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
        "sslmode": (db.get("OPTIONS") or {}).get("sslmode", ""),
    }


def _pg_env() -> dict:
    """libpq environment for pg_dump/pg_restore: the password never goes on a command line."""
    pg = _pg_settings()
    env = dict(os.environ)
    for var, value in [
        ("PGDATABASE", pg["name"]),
        ("PGUSER", pg["user"]),
        ("PGPASSWORD", pg["password"]),
        ("PGHOST", pg["host"]),
        ("PGPORT", pg["port"]),
        ("PGSSLMODE", pg["sslmode"]),
    ]:
        if value:
            env[var] = value
        else:
            env.pop(var, None)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} is not installed: PostgreSQL backups need the PostgreSQL client tools of "
            f"the server's major version or newer (Debian: apt-get install postgresql-client)."
        )
    return path


def _pg_connect():
    import psycopg

    pg = _pg_settings()
    params = {k: v for k, v in pg.items() if v and k != "name"}
    return psycopg.connect(dbname=pg["name"], **params)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _pg_tables(cur) -> list[str]:
    cur.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    return [r[0] for r in cur.fetchall()]


def _counts(cur, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cur.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (names from the catalogue)
        counts[table] = cur.fetchone()[0]
    return counts


def _migrations(cur, tables: list[str]) -> dict[str, list[str]]:
    if "django_migrations" not in tables:
        return {}
    cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cur.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _code_migrations() -> dict[str, list[str]]:
    """The migrations this checkout knows, per app."""
    from django.db.migrations.loader import MigrationLoader

    known: dict[str, list[str]] = {}
    for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations:
        known.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in known.items()}


# --- backup -----------------------------------------------------------------------------------


def default_name(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"balai-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(output: Path) -> Result:
    """Write a backup archive to ``output`` (atomically: a temporary file renamed at the end)."""
    kind = engine()
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    media = _media_root()
    with tempfile.TemporaryDirectory(prefix="balai-backup-") as tmp:
        tmp = Path(tmp)
        if kind == "sqlite":
            db_file, member = tmp / "db.sqlite3", SQLITE_MEMBER
            counts, migrations = _dump_sqlite(db_file)
        else:
            db_file, member = tmp / "db.pgdump", PG_MEMBER
            counts, migrations = _dump_postgres(db_file)
        files = {member: {"sha256": _sha256_file(db_file), "size": db_file.stat().st_size}}

        fd, partial = tempfile.mkstemp(prefix=".balai-backup-", suffix=".part", dir=output.parent)
        os.close(fd)
        partial = Path(partial)
        try:
            os.chmod(partial, 0o600)  # personal data: readable by the owner only
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                tar.add(db_file, arcname=member, recursive=False)
                for path in _media_files(media):
                    rel = path.relative_to(media).as_posix()
                    arcname = MEDIA_PREFIX + rel
                    info = tar.gettarinfo(str(path), arcname=arcname)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with path.open("rb") as f:
                        reader = _HashingReader(f)
                        tar.addfile(info, reader)
                    files[arcname] = {"sha256": reader.digest.hexdigest(), "size": info.size}
                manifest = {
                    "format": FORMAT,
                    "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "balai_version": _balai_version(),
                    "django_version": _django_version(),
                    "engine": kind,
                    "database": member,
                    "migrations": migrations,
                    "tables": counts,
                    "files": files,
                    "media_files": sum(1 for name in files if name.startswith(MEDIA_PREFIX)),
                    "media_bytes": sum(
                        v["size"] for name, v in files.items() if name.startswith(MEDIA_PREFIX)
                    ),
                    "encryption_keys": {
                        "included": False,
                        "fingerprints": [
                            key_fingerprint(k) for k in settings.FIELD_ENCRYPTION_KEYS
                        ],
                        "note": KEYS_NOTE,
                    },
                }
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    return Result(output, manifest, [KEYS_NOTE])


def _django_version() -> str:
    import django

    return django.get_version()


def _dump_sqlite(target: Path):
    source = Path(settings.DATABASES["default"]["NAME"])
    if not source.exists():
        raise BackupError(f"the SQLite database {source} does not exist (run balai migrate first)")
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # one consistent snapshot, even while other processes write
        finally:
            dst.close()
    finally:
        src.close()
    copy = sqlite3.connect(target)
    try:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        cur = copy.cursor()
        tables = _sqlite_tables(copy)
        return _counts(cur, tables), _migrations(cur, tables)
    finally:
        copy.close()


def _dump_postgres(target: Path):
    pg_dump = _pg_tool("pg_dump")
    with _pg_connect() as conn:
        import psycopg

        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            tables = _pg_tables(cur)
            counts = _counts(cur, tables)
            migrations = _migrations(cur, tables)
            # pg_dump reads the very snapshot counted above (the transaction stays open).
            result = subprocess.run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
                check=False,
            )
        conn.rollback()
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-1500:]}")
    return counts, migrations


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` ``balai-backup-*.tar.gz`` files in ``directory``."""
    backups = sorted(Path(directory).glob("balai-backup-*.tar.gz"))
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


# --- restore ----------------------------------------------------------------------------------

_SAFE_MEMBER = re.compile(r"^(manifest\.json|database/db\.(sqlite3|pgdump)|media/.+)$")


def read_archive(archive: Path, into: Path) -> dict:
    """Extract ``archive`` into ``into`` and check it against its manifest; return the manifest.

    Refuses unsafe paths (absolute, ``..``, links, devices), files missing from or not listed in
    the manifest, and any checksum or size that differs.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as e:
        raise BackupError(f"{archive} is not a Balai backup (cannot read it as tar.gz: {e})") from e
    seen: dict[str, dict] = {}
    manifest = None
    with tar:
        try:
            for info in tar:
                name = info.name
                parts = PurePosixPath(name).parts
                if info.isdir():
                    continue
                if (
                    not info.isfile()
                    or name.startswith("/")
                    or ".." in parts
                    or not _SAFE_MEMBER.match(name)
                ):
                    raise BackupError(f"{archive}: unexpected entry {name!r}: not a Balai backup")
                f = tar.extractfile(info)
                if name == MANIFEST:
                    try:
                        manifest = json.loads(f.read(10 * CHUNK))
                    except ValueError as e:
                        raise BackupError(f"{archive}: the manifest is not valid JSON") from e
                    continue
                target = into / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with target.open("wb") as out:
                    while chunk := f.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[name] = {"sha256": digest.hexdigest(), "size": size}
        except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
            raise BackupError(f"{archive} is damaged or cut short ({e})") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: no Balai manifest ({MANIFEST}) in it: not a Balai backup")
    expected = manifest.get("files") or {}
    problems = []
    for name, meta in sorted(expected.items()):
        got = seen.get(name)
        if got is None:
            problems.append(f"missing: {name}")
        elif got != {"sha256": meta.get("sha256"), "size": meta.get("size")}:
            problems.append(f"checksum differs: {name}")
    problems += [f"not in the manifest: {name}" for name in sorted(set(seen) - set(expected))]
    if problems:
        shown = "; ".join(problems[:5]) + (
            f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        )
        raise BackupError(f"{archive} does not match its manifest: {shown}")
    if manifest.get("database") not in seen:
        raise BackupError(f"{archive}: the database file is missing")
    return manifest


def existing_data() -> dict[str, int]:
    """Tables of the configured database that hold rows beyond a fresh ``migrate``'s."""
    with connection.cursor() as cur:
        tables = connection.introspection.table_names(cur)
        counts = _counts(cur, [t for t in tables if t not in BOOKKEEPING_TABLES])
    return {t: n for t, n in counts.items() if n}


def _media_entries(root: Path) -> list[Path]:
    return sorted(root.iterdir()) if root.is_dir() else []


def restore_backup(archive: Path, *, force: bool = False) -> Result:
    kind = engine()
    media = _media_root()
    messages: list[str] = []
    # The extracted copy sits beside the media folder, so moving it in is a rename.
    media.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".balai-restore-", dir=media.parent) as tmp:
        tmp = Path(tmp)
        manifest = read_archive(archive, tmp)
        if manifest.get("engine") != kind:
            raise BackupError(
                f"this backup is of a {manifest.get('engine')} database and this Balai uses "
                f"{kind}: restore it with the same DATABASE_URL kind it was made with"
            )
        messages += _check_keys(manifest)
        newer = _unknown_migrations(manifest)
        if newer:
            raise BackupError(
                "this backup comes from a newer Balai (migrations this checkout does not have: "
                + ", ".join(newer[:5])
                + "): install that version first, then restore"
            )
        if not force:
            present = existing_data()
            if present:
                sample = ", ".join(f"{t}: {n}" for t, n in sorted(present.items())[:3])
                raise BackupError(
                    f"the database already holds data ({sum(present.values())} rows in "
                    f"{len(present)} tables, e.g. {sample}). Restoring replaces everything in "
                    f"it: restore into a new empty database, or run again with --force."
                )
            if _media_entries(media):
                raise BackupError(
                    f"the media folder {media} is not empty. Restoring replaces it: empty it, "
                    f"or run again with --force (the old files are moved aside, not deleted)."
                )
        db_file = tmp / manifest["database"]
        connections.close_all()
        if kind == "sqlite":
            _restore_sqlite(db_file)
        else:
            _restore_postgres(db_file)
        connections.close_all()
        _verify_database(manifest)
        moved = _restore_media(tmp / "media", media)
        if moved:
            messages.append(f"The media files that were there before are in {moved}.")
    pending = _pending_migrations(manifest)
    if pending:
        messages.append(
            f"The backup's schema is older than this Balai ({len(pending)} migrations to apply): "
            f"run balai migrate next."
        )
    return Result(Path(archive), manifest, messages)


def _check_keys(manifest: dict) -> list[str]:
    used = (manifest.get("encryption_keys") or {}).get("fingerprints") or []
    if not used:
        return []
    here = {key_fingerprint(k) for k in settings.FIELD_ENCRYPTION_KEYS}
    if used[0] in here:
        return []
    return [
        "WARNING: none of the FIELD_ENCRYPTION_KEY keys set here is the key this backup's data "
        f"was encrypted with (fingerprint {used[0]}). NIK/KK numbers and access tokens will not "
        "decrypt until you set that key (see docs/deploy.md, Backups)."
    ]


def _unknown_migrations(manifest: dict) -> list[str]:
    known = _code_migrations()
    unknown = []
    for app, names in (manifest.get("migrations") or {}).items():
        if app not in known:
            continue  # an app removed from this checkout: its tables are simply unused
        unknown += [f"{app}.{n}" for n in names if n not in known[app]]
    return unknown


def _pending_migrations(manifest: dict) -> list[str]:
    applied = manifest.get("migrations") or {}
    return [
        f"{app}.{n}"
        for app, names in _code_migrations().items()
        for n in names
        if n not in applied.get(app, [])
    ]


def _restore_sqlite(db_file: Path) -> None:
    target = Path(settings.DATABASES["default"]["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            # Page by page under SQLite's lock: the target ends up an exact copy, WAL included.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def _restore_postgres(dump: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    # Start from an empty schema: drop whatever is there (with --force, or a fresh migrate's
    # empty tables), so nothing from another version is left behind.
    with _pg_connect() as conn, conn.cursor() as cur:
        tables = _pg_tables(cur)
        cur.execute(
            "SELECT sequence_name FROM information_schema.sequences "
            "WHERE sequence_schema = current_schema()"
        )
        sequences = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT viewname FROM pg_views WHERE schemaname = current_schema()")
        views = [r[0] for r in cur.fetchall()]
        if views:
            cur.execute("DROP VIEW IF EXISTS " + ", ".join(map(_quote, views)) + " CASCADE")
        if tables:
            cur.execute("DROP TABLE IF EXISTS " + ", ".join(map(_quote, tables)) + " CASCADE")
        if sequences:
            cur.execute("DROP SEQUENCE IF EXISTS " + ", ".join(map(_quote, sequences)) + " CASCADE")
        conn.commit()
    result = subprocess.run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_pg_settings()['name']}",
            str(dump),
        ],
        env=_pg_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            "pg_restore failed (the database is left empty; fix the cause and restore again): "
            + result.stderr.strip()[-1500:]
        )


def _verify_database(manifest: dict) -> None:
    expected = manifest.get("tables") or {}
    with connection.cursor() as cur:
        tables = connection.introspection.table_names(cur)
        counts = _counts(cur, [t for t in expected if t in tables])
        migrations = _migrations(cur, tables)
    problems = [f"table {t} is missing" for t in expected if t not in tables]
    problems += [
        f"{t}: {counts[t]} rows instead of {n}"
        for t, n in expected.items()
        if t in counts and counts[t] != n
    ]
    if migrations != (manifest.get("migrations") or {}):
        problems.append("the applied migrations differ from the manifest")
    if problems:
        raise BackupError(
            "the restored database does not match the manifest: " + "; ".join(problems[:5])
        )


def _restore_media(staged: Path, media: Path) -> Path | None:
    """Move the restored files into ``media``; earlier content goes to a sibling folder."""
    moved_to = None
    media.mkdir(parents=True, exist_ok=True)
    old = _media_entries(media)
    if old:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        moved_to = media.with_name(f"{media.name}.before-restore-{stamp}")
        moved_to.mkdir()
        for entry in old:
            shutil.move(str(entry), str(moved_to / entry.name))
    if staged.is_dir():
        for entry in sorted(staged.iterdir()):
            shutil.move(str(entry), str(media / entry.name))
    return moved_to
