import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from balai.core import backup


class Command(BaseCommand):
    help = (
        "Write one archive (.tar.gz) with the database, the media files and a manifest. "
        "The encryption keys are not included: back them up separately."
    )

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--output",
            type=Path,
            help="The archive to write (default: ./balai-backup-<UTC time>.tar.gz).",
        )
        where.add_argument(
            "--output-dir",
            type=Path,
            help="Write balai-backup-<UTC time>.tar.gz into this folder (for timers).",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help="With --output-dir: keep only the newest N backups there (0: keep all).",
        )

    def handle(self, *args, output, output_dir, keep, **options):
        if keep < 0:
            raise CommandError("--keep must be 0 (keep all) or more")
        if keep and not output_dir:
            raise CommandError("--keep works with --output-dir only")
        if output is None:
            output = (output_dir or Path.cwd()) / backup.default_name()
        if output.exists():
            raise CommandError(f"{output} already exists: choose another --output")
        started = time.monotonic()
        try:
            result = backup.create_backup(output)
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        m = result.manifest
        size = result.path.stat().st_size
        self.stdout.write(
            f"Backup written: {result.path} ({size / 1e6:.1f} MB, {m['engine']}, "
            f"{sum(m['tables'].values())} rows in {len(m['tables'])} tables, "
            f"{m['media_files']} media files, {time.monotonic() - started:.1f} s)"
        )
        if keep:
            for path in backup.prune(output_dir, keep):
                self.stdout.write(f"Removed old backup {path}")
        self.stderr.write(backup.KEYS_NOTE)
