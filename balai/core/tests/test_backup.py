"""`balai backup` / `balai restore`: archive checks in process, and real round trips on SQLite
and PostgreSQL (separate processes and databases, committed data) that compare contents."""

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from django.db import connection
from django.test import SimpleTestCase, override_settings

from balai.conftest import require_service
from balai.core import backup
from balai.core.tests import ops_support as ops

SHELL = "from balai.core.tests import ops_support as o; o.{}()"


def write_archive(path: Path, members: dict[str, bytes], manifest: dict | None = None, **extra):
    """A hand-made archive: ``members`` plus a manifest that lists them (unless given)."""
    files = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in members.items()
    }
    manifest = manifest or {
        "format": backup.FORMAT,
        "engine": connection.vendor,
        "database": backup.SQLITE_MEMBER,
        "files": files,
        "tables": {},
        "migrations": {},
        **extra,
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [*members.items(), ("manifest.json", json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


class ArchiveChecksTest(SimpleTestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="balai-archive-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def read(self, path):
        return backup.read_archive(path, self.tmp / "out")

    def test_a_good_archive_reads_back(self):
        path = write_archive(self.tmp / "a.tar.gz", {"database/db.sqlite3": b"db", "media/x": b"1"})
        manifest = self.read(path)
        self.assertEqual((self.tmp / "out/media/x").read_bytes(), b"1")
        self.assertEqual(set(manifest["files"]), {"database/db.sqlite3", "media/x"})

    def test_a_changed_file_is_refused(self):
        members = {"database/db.sqlite3": b"db", "media/x": b"1"}
        manifest = {
            "format": backup.FORMAT,
            "database": "database/db.sqlite3",
            "files": {
                "database/db.sqlite3": {"sha256": hashlib.sha256(b"db").hexdigest(), "size": 2},
                "media/x": {"sha256": hashlib.sha256(b"2").hexdigest(), "size": 1},
            },
        }
        path = write_archive(self.tmp / "a.tar.gz", members, manifest)
        with self.assertRaisesMessage(backup.BackupError, "checksum differs: media/x"):
            self.read(path)

    def test_missing_and_unlisted_files_are_refused(self):
        manifest = {
            "format": backup.FORMAT,
            "database": "database/db.sqlite3",
            "files": {"media/gone": {"sha256": "0" * 64, "size": 1}},
        }
        path = write_archive(self.tmp / "a.tar.gz", {"database/db.sqlite3": b"db"}, manifest)
        with self.assertRaisesMessage(backup.BackupError, "missing: media/gone"):
            self.read(path)
        with self.assertRaisesMessage(backup.BackupError, "not in the manifest: database/db"):
            self.read(path)

    def test_unsafe_entries_are_refused(self):
        for name in ["../evil", "/etc/evil", "media/../../evil", "other/file"]:
            path = write_archive(self.tmp / "a.tar.gz", {"database/db.sqlite3": b"", name: b"x"})
            with (
                self.subTest(name=name),
                self.assertRaisesMessage(backup.BackupError, "unexpected"),
            ):
                self.read(path)
            self.assertFalse((self.tmp / "evil").exists())
        link = self.tmp / "link.tar.gz"
        with tarfile.open(link, "w:gz") as tar:
            info = tarfile.TarInfo("media/link")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        with self.assertRaisesMessage(backup.BackupError, "unexpected entry 'media/link'"):
            self.read(link)

    def test_not_a_backup(self):
        junk = self.tmp / "junk.tar.gz"
        junk.write_bytes(b"this is not a tar file at all")
        with self.assertRaisesMessage(backup.BackupError, "not a Balai backup"):
            self.read(junk)
        no_manifest = self.tmp / "n.tar.gz"
        with tarfile.open(no_manifest, "w:gz") as tar:
            tar.addfile(tarfile.TarInfo("database/db.sqlite3"), io.BytesIO(b""))
        with self.assertRaisesMessage(backup.BackupError, "no Balai manifest"):
            self.read(no_manifest)
        with self.assertRaisesMessage(backup.BackupError, "no such file"):
            self.read(self.tmp / "nothing.tar.gz")

    def test_a_cut_short_archive_is_refused(self):
        path = write_archive(
            self.tmp / "a.tar.gz", {"database/db.sqlite3": bytes(range(256)) * 400}
        )
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        with self.assertRaisesMessage(backup.BackupError, "damaged or cut short"):
            self.read(path)

    def test_wrong_engine_is_refused_before_touching_anything(self):
        other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
        member = backup.PG_MEMBER if other == "postgresql" else backup.SQLITE_MEMBER
        path = write_archive(self.tmp / "a.tar.gz", {member: b"db"}, engine=other, database=member)
        with (
            override_settings(MEDIA_ROOT=str(self.tmp / "media")),
            self.assertRaisesMessage(backup.BackupError, f"this backup is of a {other} database"),
        ):
            backup.restore_backup(path)

    def test_key_fingerprints_warn_about_a_missing_key(self):
        with override_settings(FIELD_ENCRYPTION_KEYS=["new-key-" * 5, "old-key-" * 5]):
            used_old = {
                "encryption_keys": {"fingerprints": [backup.key_fingerprint("old-key-" * 5)]}
            }
            self.assertEqual(backup._check_keys(used_old), [])
            used_other = {"encryption_keys": {"fingerprints": [backup.key_fingerprint("x" * 40)]}}
            [warning] = backup._check_keys(used_other)
        self.assertIn("will not decrypt", warning)
        self.assertNotIn("x" * 40, warning)

    def test_prune_keeps_the_newest(self):
        for stamp in ["20260101-000000", "20260102-000000", "20260103-000000"]:
            (self.tmp / f"balai-backup-{stamp}.tar.gz").write_bytes(b"")
        (self.tmp / "other.tar.gz").write_bytes(b"")
        removed = backup.prune(self.tmp, keep=2)
        self.assertEqual([p.name for p in removed], ["balai-backup-20260101-000000.tar.gz"])
        self.assertEqual(len(list(self.tmp.glob("*.tar.gz"))), 3)


class RoundTrip:
    """Seed a source database, back it up, restore into an empty one, compare everything."""

    def urls(self, tmp: Path) -> tuple[str, str]:
        raise NotImplementedError

    def round_trip(self):
        tmp = Path(tempfile.mkdtemp(prefix="balai-roundtrip-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        src_url, dst_url = self.urls(tmp)
        src = ops.base_env(tmp / "src", DATABASE_URL=src_url)
        dst = ops.base_env(tmp / "dst", DATABASE_URL=dst_url)
        (tmp / "src").mkdir(exist_ok=True)
        (tmp / "dst").mkdir(exist_ok=True)
        seeded = ops.balai(
            src, "shell", "--no-imports", "-c", SHELL.format("seed") + "; o.snapshot()"
        )
        before = json.loads(seeded.stdout)
        archive = tmp / "b.tar.gz"

        made = ops.balai(src, "backup", "--output", str(archive))
        self.assertIn("Backup written", made.stdout)
        self.assertIn("encryption keys are NOT in this backup", made.stderr)
        self.assertEqual(archive.stat().st_mode & 0o777, 0o600)
        with tarfile.open(archive) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        self.assertEqual(manifest["tables"]["residents_resident"], 3)
        self.assertEqual(manifest["media_files"], 3)
        self.assertFalse(manifest["encryption_keys"]["included"])
        self.assertIn("0001_initial", manifest["migrations"]["residents"])
        self.assertNotIn(ops.NIKS[0], archive.read_bytes().decode("latin-1"))

        restored = ops.balai(dst, "restore", str(archive))
        self.assertIn("checksums and row counts verified", restored.stdout)
        # The restored contents, then a write (fresh ids, NIK search), in one process.
        checked = ops.balai(
            dst,
            "shell",
            "--no-imports",
            "-c",
            SHELL.format("snapshot") + "; o.write_after_restore()",
        )
        after, wrote = map(json.loads, checked.stdout.splitlines())
        self.assertEqual(after["counts"], before["counts"])
        self.assertEqual(after["samples"], before["samples"])
        self.assertEqual(after["media"], before["media"])
        self.assertEqual([r[1] for r in after["identity"]], ops.NIKS)  # NIKs still decrypt
        self.assertEqual(after["identity"], before["identity"])
        self.assertEqual(after["tokens"], [ops.TOKEN])

        # A second restore would overwrite data: refused, unless forced.
        again = ops.balai(dst, "restore", str(archive), check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already holds data", again.stderr)
        self.assertGreater(wrote["new"], wrote["before"])
        self.assertEqual(wrote["found_by_nik"], 1)
        other_key = ops.base_env(tmp / "dst", DATABASE_URL=dst_url, FIELD_ENCRYPTION_KEY="k" * 44)
        forced = ops.balai(other_key, "restore", "--force", str(archive))
        self.assertIn("WARNING: none of the FIELD_ENCRYPTION_KEY keys", forced.stderr)
        self.assertIn("media.before-restore-", forced.stderr)
        again = json.loads(
            ops.balai(dst, "shell", "--no-imports", "-c", SHELL.format("snapshot")).stdout
        )
        self.assertEqual(again["counts"], before["counts"])  # the extra resident is gone
        self.assertEqual(again["media"], before["media"])
        moved = list((tmp / "dst").glob("media.before-restore-*"))
        self.assertEqual(len(moved), 1)
        return tmp, src, archive


class SQLiteRoundTripTest(RoundTrip, SimpleTestCase):
    def urls(self, tmp):
        (tmp / "src").mkdir()
        ops.migrated_sqlite(tmp / "src" / "db.sqlite3")
        return f"sqlite:///{tmp / 'src' / 'db.sqlite3'}", f"sqlite:///{tmp / 'dst' / 'db.sqlite3'}"

    def test_round_trip(self):
        self.round_trip()


SRC, DST = f"balai_ops_src_{os.getpid()}", f"balai_ops_dst_{os.getpid()}"


class PostgresRoundTripTest(RoundTrip, SimpleTestCase):
    def urls(self, tmp):
        ops.migrated_postgres(SRC)
        ops.pg_admin(f"DROP DATABASE IF EXISTS {DST}", f"CREATE DATABASE {DST}")
        self.addCleanup(
            ops.pg_admin,
            f"DROP DATABASE IF EXISTS {SRC} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {DST} WITH (FORCE)",
        )
        return ops.pg_url(SRC), ops.pg_url(DST)

    def test_round_trip(self):
        require_service(ops.pg_up(), "PostgreSQL is not running on 127.0.0.1:5432")
        tmp, src, archive = self.round_trip()
        with tarfile.open(archive) as tar:
            self.assertIn("database/db.pgdump", tar.getnames())
        # Without pg_dump on the PATH: one clear line, no archive.
        no_tools = dict(src, PATH=str(tmp))
        missing = ops.balai(no_tools, "backup", "--output", str(tmp / "x.tar.gz"), check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("pg_dump is not installed", missing.stderr)
        self.assertFalse((tmp / "x.tar.gz").exists())
