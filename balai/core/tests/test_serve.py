"""``balai serve``: the granian command line it runs, and a real server finishing the request
in flight when it is told to stop (SIGTERM, as systemd and ``balai demo`` stop it)."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import CommandError
from django.test import SimpleTestCase

from balai.core.management.commands.serve import granian_argv


class ArgvTest(SimpleTestCase):
    def option(self, argv, name):
        return argv[argv.index(name) + 1]

    def test_options(self):
        argv = granian_argv("127.0.0.1:8001", 2, 16, access_log=False)
        self.assertEqual(argv[1:3], ["-m", "granian"])
        self.assertEqual(argv[-1], "balai.wsgi:application")
        self.assertEqual(self.option(argv, "--interface"), "wsgi")
        self.assertEqual(self.option(argv, "--host"), "127.0.0.1")
        self.assertEqual(self.option(argv, "--port"), "8001")
        self.assertEqual(self.option(argv, "--workers"), "2")
        self.assertEqual(self.option(argv, "--blocking-threads"), "16")
        self.assertEqual(self.option(argv, "--workers-kill-timeout"), "20")
        self.assertIn("--respawn-failed-workers", argv)
        self.assertNotIn("--access-log", argv)
        self.assertIn("--access-log", granian_argv("127.0.0.1:8001", 1, 1, access_log=True))

    def test_binds(self):
        argv = granian_argv("[::1]:9000", 1, 4, access_log=False)
        self.assertEqual(
            (self.option(argv, "--host"), self.option(argv, "--port")), ("::1", "9000")
        )
        argv = granian_argv("unix:/run/balai/web.sock", 1, 4, access_log=False)
        self.assertEqual(self.option(argv, "--uds"), "/run/balai/web.sock")
        for bad in ["8000", "localhost", ":8000", "host:port"]:
            with self.subTest(bind=bad), self.assertRaises(CommandError):
                granian_argv(bad, 1, 1, access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GracefulStopTest(SimpleTestCase):
    def wait_for(self, done, seconds, what):
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                self.fail(f"{what} did not happen in {seconds} s")
            time.sleep(0.1)

    def accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def test_sigterm_finishes_the_request_in_flight(self):
        self.port = free_port()
        data = Path(tempfile.mkdtemp(prefix="balai-serve-"))
        env = {**os.environ, "BALAI_DATA_DIR": str(data), "WHATSAPP_APP_SECRET": "s" * 20}
        log = (data / "serve.log").open("w")
        self.addCleanup(log.close)
        bind = f"127.0.0.1:{self.port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "balai", "serve", "--bind", bind, "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def kill():
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)

        self.addCleanup(kill)
        self.wait_for(self.accepts, 60, "the server accepting connections")

        # A webhook whose body is still on its way: the view is reading it.
        body = b'{"object": "whatsapp_business_account"}'
        request = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.addCleanup(request.close)
        request.sendall(
            b"POST /whatsapp/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:10]
        )
        server.send_signal(signal.SIGTERM)
        self.wait_for(lambda: not self.accepts(), 30, "the server refusing new connections")
        self.assertIsNone(server.poll())
        request.sendall(body[10:])
        answer = request.recv(4096)
        self.assertTrue(answer.startswith(b"HTTP/1.1 403"), answer[:200])  # wrong signature
        self.assertEqual(server.wait(30), 0, (data / "serve.log").read_text()[-2000:])
