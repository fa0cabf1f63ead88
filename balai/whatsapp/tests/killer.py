"""A message handler for the worker-killed test: it queues a reply, then on its first run the
worker process is killed (SIGKILL) before the transaction commits."""

import os
import signal
from pathlib import Path

from balai.whatsapp.inbox import acknowledge


def handler(message):
    acknowledge(message)
    marker = Path(os.environ["KILL_MARKER"])
    if not marker.exists():
        marker.write_text("killed once")
        os.kill(os.getpid(), signal.SIGKILL)
