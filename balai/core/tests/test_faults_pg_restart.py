"""PostgreSQL restarted, stopped and killed while signed webhooks keep coming.

A private PostgreSQL server (``private_pg.py``: initdb into a temporary directory, its own
port; the shared server is never touched), a real ``balai serve`` and two ``balai worker``
processes (database task backend), replies to a small fake Cloud API served by this test.
Webhooks are POSTed over keep-alive connections while the server is restarted with
``pg_ctl restart -m fast``, stopped outright, and killed with SIGKILL (the postmaster and
every backend at once, then started again: crash recovery). Webhooks not answered 200 are
sent again afterwards, as Meta retries them.

After recovery: every message answered 200 was stored (never a 200 without the row), every
webhook sent while the database was down got a non-200, every message is stored once and
processed once (one read receipt, one reply), the workers carried on without being
restarted, and a reply reached the API twice only for an outbox row caught in ``sending``
when the database went away (the documented duplicate window).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.test import SimpleTestCase

from balai.conftest import require_service
from balai.core.tests import private_pg
from balai.simulator.storm import post_all, signed

PNID = "106540352242922"
SECRET = "fault-test-app-secret-0123456789"
NOW = int(time.time())  # Meta sends a retried webhook with the same body


class FakeCloudAPI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.replies: list[str] = []  # the inbound wamid each reply answers
        self.reads: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            if body.get("status") == "read":
                self.server.reads.append(body["message_id"])
                answer = {"success": True}
            else:
                self.server.replies.append((body.get("context") or {}).get("message_id", ""))
                n = len(self.server.replies)
                answer = {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.R{n}"}]}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def envelope(wamid: str, sender: str, text: str) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Warga"}, "wa_id": sender}],
        "messages": [
            {"from": sender, "id": wamid, "timestamp": str(NOW),
             "text": {"body": text}, "type": "text"}
        ],
    }  # fmt: skip
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def bodies(prefix: str, count: int) -> list[tuple[str, bytes, str]]:
    out = []
    for i in range(count):
        wamid = f"wamid.{prefix}{i:04d}"
        body = envelope(wamid, f"62857{i % 40:08d}", f"pesan {prefix} {i}")
        out.append((wamid, body, signed(body, SECRET)))
    return out


SETUP = """
from balai.villages.models import Village
from balai.whatsapp.models import WhatsAppNumber
v = Village.objects.create(slug="pondok", name="Pondok", official_code="33", kecamatan="K",
                           kabupaten="K", provinsi="P")
WhatsAppNumber.objects.create(village=v, phone_number_id="{pnid}", is_simulated=False,
                              access_token="token", api_base_url="{api}")
"""

# Time passes: rows a worker left in "sending" when the database went away are sent again
# after 5 minutes, messages stuck in "received" after 60 s; then the sweeper runs.
TIME_PASSES = """
import datetime as dt
from django.db.models import F
from balai.whatsapp.models import InboundMessage as M, OutboundMessage as O
from balai.whatsapp.sweep import sweep_whatsapp
six = dt.timedelta(minutes=6)
print(O.objects.filter(state="sending").count())
O.objects.filter(state="sending").update(sending_since=F("sending_since") - six)
O.objects.filter(state="queued").update(next_attempt_at=F("next_attempt_at") - six)
M.objects.filter(state="received").update(received_at=F("received_at") - six)
sweep_whatsapp.call()
"""

COUNTS = """
import json
from django.db.models import Count
from balai.whatsapp.models import InboundMessage as M, OutboundMessage as O
print(json.dumps({
    "stored": M.objects.count(),
    "distinct": M.objects.values("wamid").distinct().count(),
    "processed": M.objects.filter(state="processed").count(),
    "open": O.objects.filter(state__in=["queued", "sending"]).count(),
    "texts": O.objects.filter(kind="text").count(),
    "reads": O.objects.filter(kind="read").count(),
    "texts_per_message": sorted(set(
        O.objects.filter(kind="text").values("payload__context__message_id")
        .annotate(n=Count("pk")).values_list("n", flat=True))),
    "states": sorted(set(O.objects.values_list("state", flat=True))),
    "wamids": list(M.objects.values_list("wamid", flat=True)),
}))
"""


class PostgresRestartTest(SimpleTestCase):
    def setUp(self):
        require_service(
            private_pg.unavailable_reason() is None, str(private_pg.unavailable_reason())
        )
        self.pg = private_pg.PrivatePostgres()
        self.addCleanup(self.pg.destroy)
        self.pg.init()
        self.pg.createdb("balai_fault")
        self.api = FakeCloudAPI()
        threading.Thread(target=self.api.serve_forever, daemon=True).start()
        self.addCleanup(self.api.shutdown)
        self.dir = Path(tempfile.mkdtemp(prefix="balai-pg-fault-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.port = private_pg.free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
            "BALAI_DATA_DIR": str(self.dir),
            "BALAI_DEBUG": "0",
            "SECRET_KEY": "fault-test-secret-key-" + "x" * 40,
            "FIELD_ENCRYPTION_KEY": "fault-test-field-key-" + "y" * 30,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "fault-test-verify-token",
            "TASK_BACKEND": "db",
            "DATABASE_URL": self.pg.url("balai_fault"),
            "WHATSAPP_MESSAGE_HANDLER": "balai.whatsapp.inbox.acknowledge",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "LOG_LEVEL": "ERROR",
        }

    def balai(self, *args) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "balai", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if result.returncode != 0:
            self.fail(f"balai {args[0]} failed: {result.stderr[-2000:]}")
        return result.stdout.strip()

    def spawn(self, name: str, *args) -> subprocess.Popen:
        out = (self.dir / f"{name}.log").open("w")
        self.addCleanup(out.close)
        proc = subprocess.Popen(
            [sys.executable, "-m", "balai", *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.addCleanup(self.stop, proc)
        return proc

    @staticmethod
    def stop(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def send(self, batch, connections=8):
        return post_all("127.0.0.1", self.port, "/whatsapp/webhook", batch,
                        connections=connections, timeout=15)  # fmt: skip

    def send_while(self, batch, fault, after: int):
        """Send ``batch``; once ``after`` answers have come back, run ``fault``."""
        answers = []
        done = threading.Event()

        def sending():
            answers.extend(self.send(batch[:after], connections=4))
            done.set()
            answers.extend(self.send(batch[after:], connections=4))

        thread = threading.Thread(target=sending)
        thread.start()
        done.wait(120)
        fault()
        thread.join(180)
        return answers

    def wait_for(self, done, seconds, what):
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                self.fail(f"{what} did not happen in {seconds} s")
            time.sleep(0.5)

    def test_restart_stop_and_kill_under_load(self):
        self.balai("migrate", "-v0")
        api = f"http://127.0.0.1:{self.api.server_address[1]}/v25.0"
        self.balai("shell", "--no-imports", "-c", SETUP.format(pnid=PNID, api=api))
        server = self.spawn("server", "serve", "--bind", f"127.0.0.1:{self.port}",
                            "--workers", "2", "--threads", "4")  # fmt: skip
        workers = [self.spawn(f"worker-{i}", "worker") for i in range(2)]
        self.wait_for(lambda: self.send(bodies("WARM", 1))[0].status == 200, 60, "server up")

        answers = {}  # wamid -> every status it was answered, in order
        phases = {}

        def record(name, got):
            phases[name] = got
            for a in got:
                answers.setdefault(a.key, []).append(a.status)

        # 1. Steady load.
        record("steady", self.send(bodies("A", 40)))
        # 2. pg_ctl restart -m fast while webhooks keep coming.
        record("restart", self.send_while(bodies("B", 80), self.pg.restart, after=20))
        # 3. The database is down: every webhook must get a non-200.
        self.pg.stop()
        record("outage", self.send(bodies("C", 20), connections=4))
        self.pg.start()

        # 4. The postmaster and every backend killed at once, then started (crash recovery).
        def crash():
            self.assertGreater(self.pg.kill9(), 1)
            time.sleep(1)
            self.pg.start()

        record("crash", self.send_while(bodies("D", 80), crash, after=20))

        # Meta sends again whatever was not answered 200, until it is.
        everything = {b[0]: b for p in ("A", "B", "C", "D") for b in bodies(p, 200)}
        for _ in range(30):
            missing = [everything[k] for k, s in answers.items() if 200 not in s]
            if not missing:
                break
            for a in self.send(missing, connections=4):
                answers[a.key].append(a.status)
            time.sleep(1)
        self.assertEqual([k for k, s in answers.items() if 200 not in s], [])

        # Every message processed and every reply sent; the workers were never restarted.
        def settled():
            counts = json.loads(self.balai("shell", "--no-imports", "-c", COUNTS))
            return counts["processed"] == counts["stored"] and counts["open"] == 0

        deadline = time.monotonic() + 120
        stuck = 0
        while not settled():
            if time.monotonic() > deadline:
                self.fail("messages or replies still waiting after 120 s")
            time.sleep(5)
            stuck += int(self.balai("shell", "--no-imports", "-c", TIME_PASSES).splitlines()[0])
        for proc in [server, *workers]:
            self.assertIsNone(proc.poll(), "a process died instead of riding out the outage")
        time.sleep(1)  # a reply in flight
        counts = json.loads(self.balai("shell", "--no-imports", "-c", COUNTS))

        # Never a 200 without storing; the database has exactly the messages sent, once each.
        acknowledged = {k for k, s in answers.items() if 200 in s}
        self.assertEqual(set(counts["wamids"]) - {"wamid.WARM0000"}, acknowledged)
        self.assertEqual(counts["stored"], counts["distinct"])
        # While the database was down nothing was acknowledged.
        self.assertEqual([a.status for a in phases["outage"] if a.status == 200], [])
        self.assertEqual(len(phases["outage"]), 20)
        # Processed once: one read receipt and one reply per message, all sent.
        self.assertEqual(counts["processed"], counts["stored"])
        self.assertEqual(counts["reads"], counts["stored"])
        self.assertEqual(counts["texts"], counts["stored"])
        self.assertEqual(counts["texts_per_message"], [1])
        self.assertEqual(counts["states"], ["sent"])
        replied = {}
        for wamid in self.api.replies:
            replied[wamid] = replied.get(wamid, 0) + 1
        self.assertEqual(set(replied), set(counts["wamids"]))
        duplicates = sum(n - 1 for n in replied.values())
        # A reply goes twice only if the API accepted it while its row's "sent" could not be
        # committed (the row stayed in "sending" and was sent again after 5 minutes).
        self.assertLessEqual(duplicates, stuck)
        print(
            f"\n  answers: { {p: sorted({a.status for a in g}) for p, g in phases.items()} }; "
            f"messages {counts['stored']}; left in 'sending' {stuck}; duplicates {duplicates}"
        )
