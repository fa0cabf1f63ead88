"""`balai worker` on the Redis backend, as separate processes like in production (the
database backend's worker is exercised by balai/whatsapp/tests/test_worker_killed.py)."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from django.test import SimpleTestCase

from balai.conftest import require_service

REDIS_URL = "redis://127.0.0.1:6379/14"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class WorkerProcessTest(SimpleTestCase):
    def run_balai(self, env, *args):
        result = subprocess.run(
            [sys.executable, "-m", "balai", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        return result.stdout

    def env(self, **extra):
        tmp = Path(tempfile.mkdtemp(prefix="balai-worker-"))
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(
            BALAI_DATA_DIR=str(tmp),
            DATABASE_URL=f"sqlite:///{tmp / 'w.sqlite3'}",
            LOG_LEVEL="ERROR",
            **extra,
        )
        return env, tmp

    def enqueue_and_work(self, env, tmp):
        target = tmp / "done.txt"
        self.run_balai(
            env,
            "shell",
            "--no-imports",
            "-c",
            "from balai.core.tests.jobs_for_tests import write_file; "
            f"write_file.enqueue({str(target)!r}, 'selesai')",
        )
        self.assertFalse(target.exists())
        worker = subprocess.Popen(
            [sys.executable, "-m", "balai", "worker", "--queues", "default"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            # Wait for the outcome itself (bounded), not for a fixed time.
            deadline = time.monotonic() + 60
            while not target.exists() and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.1)
            self.assertTrue(target.exists(), "the RQ worker did not run the task within 60 s")
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        self.assertEqual(target.read_text(), "selesai")

    def test_redis_backend_worker(self):
        require_service(redis_up(), "Redis is not running on 127.0.0.1:6379")
        redis.Redis.from_url(REDIS_URL).flushdb()
        env, tmp = self.env(REDIS_URL=REDIS_URL, TASK_BACKEND="rq")
        self.enqueue_and_work(env, tmp)
