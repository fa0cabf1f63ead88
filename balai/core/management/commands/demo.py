import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from balai.core import demo


class Command(BaseCommand):
    help = "Run Balai with demo data: migrate, seed, web server and worker, until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--data-dir",
            help="Where the database, secrets and media live "
            "(default: ./var). Read before settings load.",
        )
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args, port, data_dir, no_worker, **options):
        if not settings.DEMO:
            self.stderr.write("Run this as `balai demo` (it sets up demo mode).")
            sys.exit(2)
        call_command("migrate", interactive=False, verbosity=0)
        demo.seed()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "SITE_URL": base}
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "balai",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                ],
                env=env,
            )
        ]
        if not no_worker:
            children.append(subprocess.Popen([sys.executable, "-m", "balai", "worker"], env=env))
        self._banner(base)
        try:
            # Stop everything when any child dies, so a crash is never hidden.
            os.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()

    def _banner(self, base):
        lines = [
            "",
            "Balai demo is running.",
            f"  Console login   {base}/masuk/",
            f"  Admin (platform operators)  {base}/{settings.ADMIN_URL}",
            f"  WhatsApp simulator  {base}/simulator/",
            f"  Webhook         {base}/whatsapp/webhook",
            f"    WHATSAPP_APP_SECRET={settings.WHATSAPP_APP_SECRET}",
            f"    WHATSAPP_VERIFY_TOKEN={settings.WHATSAPP_VERIFY_TOKEN}",
            f"  Data directory  {settings.DATA_DIR}",
            "",
            f"Demo logins (password for all: {demo.DEMO_PASSWORD}):",
            "  admin                 platform operator (all villages, Django admin)",
        ]
        for spec in demo.VILLAGES:
            for username, full_name, role, _title in spec["staff"]:
                lines.append(f"  {username:<22}{role.label} — {full_name}")
        lines += ["", "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
