import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from balai.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `balai backup` into the configured database and media "
        "folder, after checking every checksum; then compare the restored row counts with "
        "its manifest. Stop the web server and workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="The .tar.gz written by balai backup.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database and media folder that already hold data.",
        )

    def handle(self, *args, archive, force, **options):
        started = time.monotonic()
        try:
            result = backup.restore_backup(archive, force=force)
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        m = result.manifest
        self.stdout.write(
            f"Restored {archive} (made {m['created']} by Balai {m['balai_version']}): "
            f"{sum(m['tables'].values())} rows in {len(m['tables'])} tables and "
            f"{m['media_files']} media files, checksums and row counts verified "
            f"({time.monotonic() - started:.1f} s)."
        )
        for message in result.messages:
            self.stderr.write(message)
        self.stderr.write(backup.KEYS_NOTE)
