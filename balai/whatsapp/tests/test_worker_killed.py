"""A worker killed with SIGKILL in the middle of processing a message loses nothing and
repeats nothing: after a restart the message is processed once, with one reply."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

from balai.whatsapp.tests.meta import envelope, message


class WorkerKilledTest(SimpleTestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="balai-kill-"))
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
            "BALAI_DATA_DIR": str(self.dir),
            "TASK_BACKEND": "db",
            "DATABASE_URL": f"sqlite:///{self.dir / 'kill.sqlite3'}",
            "WHATSAPP_MESSAGE_HANDLER": "balai.whatsapp.tests.killer.handler",
            "KILL_MARKER": str(self.dir / "killed"),
            "LOG_LEVEL": "ERROR",
        }

    def balai(self, *args, check=True):
        result = subprocess.run(
            [sys.executable, "-m", "balai", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            self.fail(f"balai {args[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result

    def shell(self, code: str) -> str:
        return self.balai("shell", "--no-imports", "-c", code).stdout.strip()

    def test_killed_mid_processing_then_restarted(self):
        self.balai("migrate", "-v0")
        self.shell(
            "from balai.villages.models import Village as V; "
            "from balai.whatsapp.models import WhatsAppNumber as N; "
            "v = V.objects.create(slug='pondok', name='Pondok', official_code='33', "
            "kecamatan='K', kabupaten='K', provinsi='P'); "
            "N.objects.create(village=v, phone_number_id='106540352242922')"
        )
        body = self.dir / "webhook.json"
        body.write_text(json.dumps(envelope(message("text", wamid="wamid.KILL"))))
        self.shell(
            f"from balai.whatsapp.webhook import ingest; ingest(open({str(body)!r}, 'rb').read())"
        )

        first = self.balai("worker", "--batch", "--queues", "inbox", check=False)
        self.assertEqual(first.returncode, -9, first.stderr[-2000:])
        self.assertTrue((self.dir / "killed").exists())
        state = self.shell(
            "from balai.whatsapp.models import InboundMessage as M, "
            "OutboundMessage as O; m = M.objects.get(wamid='wamid.KILL'); "
            "print(m.state, O.objects.count())"
        )
        self.assertEqual(state, "received 0")  # the half-done work was rolled back

        # Time passes; the sweeper finds the stuck message and a new worker finishes it.
        self.shell(
            "import datetime as dt; from django.utils import timezone; "
            "from balai.whatsapp.models import InboundMessage as M; "
            "M.objects.update(received_at=timezone.now() - dt.timedelta(minutes=5)); "
            "from balai.whatsapp.sweep import sweep_whatsapp; sweep_whatsapp.call()"
        )
        self.balai("worker", "--batch", "--queues", "inbox")
        state = self.shell(
            "from balai.whatsapp.models import InboundMessage as M, OutboundMessage as O; "
            "m = M.objects.get(wamid='wamid.KILL'); "
            "print(m.state, O.objects.filter(kind='text').count(), "
            "O.objects.filter(kind='read').count(), M.objects.count())"
        )
        self.assertEqual(state, "processed 1 1 1")
