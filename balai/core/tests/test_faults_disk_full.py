"""The media storage fills up while residents send photos.

The storage is a real full filesystem: a 256 KiB tmpfs mounted over ``MEDIA_ROOT`` (the test
needs root and ``mount``; without them it skips locally, and fails under CI=true), filled with
a file until the kernel answers ENOSPC, then given back a little room, less than the photo.
The photo comes through the simulator, the real webhook, inbox and conversation engine, in
the middle of a complaint.

While the disk is full: the message is kept and processed, the resident gets the next
question of the form (no error, no silence), the download is retried without using up the
media's attempts, and no half-written file is left behind. After space is freed and the
sweeper runs, the photo lands, byte for byte, once, and the complaint has it.
"""

import base64
import datetime as dt
import errno
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.test import override_settings
from django.utils import timezone

from balai.complaints.models import Complaint
from balai.conftest import require_service
from balai.conversations.tests.base import PNG, ConversationTestCase
from balai.whatsapp.models import InboundMessage, Media
from balai.whatsapp.sweep import MEDIA_MAX_ATTEMPTS, sweep_whatsapp

SIZE = 256 * 1024
PHOTO = PNG + os.urandom(60 * 1024)  # a PNG header and 60 KiB: more than the room left


def mount_tmpfs(path: Path) -> str | None:
    """Mount a small tmpfs at ``path``; the reason it cannot be done, or None."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a small filesystem needs root and mount"
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if result.returncode == 0 else f"mount -t tmpfs failed: {result.stderr.strip()}"


def fill(path: Path, leave: int) -> Path:
    """Write until the filesystem is full, then free ``leave`` bytes."""
    filler = path / "filler.bin"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
    with filler.open("r+b") as f:
        f.truncate(max(filler.stat().st_size - leave, 0))
    return filler


class DiskFullTest(ConversationTestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(tempfile.mkdtemp(prefix="balai-full-"))
        self.addCleanup(shutil.rmtree, self.root, True)
        reason = mount_tmpfs(self.root)
        require_service(reason is None, str(reason))
        self.addCleanup(subprocess.run, ["umount", "-l", str(self.root)], check=False)
        self.enterContext(override_settings(MEDIA_ROOT=str(self.root)))

    def stored_files(self) -> list[Path]:
        return [p for p in self.root.rglob("*") if p.is_file() and p.name != "filler.bin"]

    def photo_of(self, data: bytes):
        spec = {"mime_type": "image/png", "data": base64.b64encode(data).decode()}
        return self.send(image=spec)

    def test_photo_while_the_disk_is_full_lands_once_space_is_freed(self):
        (categories,) = self.send("ADUAN")[-1:]
        self.tap(categories, "Lampu jalan")
        (ask_photo,) = self.send("Lampu jalan depan masjid RT 03 mati sejak seminggu")
        self.assertIn("foto", self.body(ask_photo))

        filler = fill(self.root, leave=16 * 1024)
        with self.assertLogs("balai", "WARNING"):
            (where,) = self.photo_of(PHOTO)
        # The resident is not left waiting: the form goes on to its next question.
        self.assertIn("Lokasi", self.body(where))
        message = InboundMessage.objects.get(type="image")
        self.assertEqual(message.state, InboundMessage.State.PROCESSED)
        media = Media.objects.get(message=message)
        self.assertEqual(media.state, Media.State.PENDING)
        self.assertEqual(self.stored_files(), [])  # no half-written file takes the room
        # Tried again (the test backend runs the retries at once) without spending attempts.
        self.assertEqual(media.attempts, 0)
        self.assertIn("No space left on device", media.error)

        # The sweeper keeps trying while the disk is full, and the media is never given up.
        for _ in range(MEDIA_MAX_ATTEMPTS + 2):
            Media.objects.update(created=timezone.now() - dt.timedelta(minutes=5))
            with self.round_trip(), self.assertLogs("balai", "WARNING"):
                sweep_whatsapp.call()
        media.refresh_from_db()
        self.assertEqual(media.state, Media.State.PENDING)
        self.assertEqual(self.stored_files(), [])

        # The form finishes while the photo waits.
        (public,) = self.send(
            location={"latitude": -7.7169, "longitude": 110.8372, "name": "Masjid"}
        )
        (confirm,) = self.tap(public, "Rahasiakan")
        self.assertIn("• Foto: terlampir ✓", self.body(confirm))
        (done,) = self.tap(confirm, "Kirim")
        self.assertIn("sudah kami terima", self.body(done).lower())

        # Space is freed; the next sweep brings the photo in.
        filler.unlink()
        Media.objects.update(created=timezone.now() - dt.timedelta(minutes=5))
        with self.round_trip():
            sweep_whatsapp.call()
        media.refresh_from_db()
        self.assertEqual(media.state, Media.State.STORED)
        (path,) = self.stored_files()
        self.assertEqual(path.read_bytes(), PHOTO)
        self.assertEqual(media.file.read(), PHOTO)
        complaint = Complaint.objects.get()
        self.assertEqual(complaint.photo, media)
        self.assertEqual(complaint.photo.state, Media.State.STORED)
