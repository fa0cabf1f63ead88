"""In a real browser on a 360-px phone, against a real server and real workers: the operator
writes an announcement with a picture to every subscriber, submits it; the sekdes checks the
audience and cost and approves it; the send runs in the background workers under the
number's pace, and the page's progress bar moves without a reload until it reaches 100 %.
Then the public news post, and what the simulated phones received.

The server (``balai serve``) and two ``balai worker`` processes share a SQLite file with
this test, so the pump's ticks, the outbox and the status webhooks run as in production.
Screenshots go to ``shots_dir`` (var/screenshots)."""

import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from balai.core.demo import DEMO_PASSWORD

EXTRA = 300  # subscribers added to the demo's, so the send takes a while
THROUGHPUT = 40  # messages/second for the village's number (90 %: 36/s for announcements)

SEED = f"""
from django.utils import timezone
from balai.announcements.demo import seed_announcements
from balai.announcements.models import Subscription, Topic
from balai.core import demo
from balai.residents.models import Resident
from balai.whatsapp.models import Contact
for village in demo.seed():
    seed_announcements(village)
v = [x for x in demo.seed() if x.slug == "pondok"][0]
v.whatsapp.throughput_per_second = {THROUGHPUT}
v.whatsapp.save()
umum = Topic.objects.get(village=v, slug="umum")
people = Resident.objects.bulk_create(
    Resident(village=v, name=f"Warga Uji {{i:03d}}", phone=f"+62819{{i:08d}}")
    for i in range({EXTRA}))
Subscription.objects.bulk_create(
    Subscription(village=v, resident=r, topic=umum, opt_in_text="LANGGANAN") for r in people)
Contact.objects.bulk_create(
    Contact(resident=r, village=v, last_inbound_at=timezone.now()) for r in people[:250])
"""

COUNT = """
from django.db import connection
from balai.announcements.models import Announcement, Recipient
post = Announcement.objects.get(title="Posyandu balita Sabtu 12 Desember")
with connection.cursor() as cur:
    cur.execute("SELECT count(*), count(distinct wa_id) FROM simulator_simmessage "
                "WHERE direction = 'out' AND payload LIKE %s", ["%/kabar/" + post.code + "/%"])
    got, people = cur.fetchone()
print(post.code, Recipient.objects.filter(broadcast__announcement=post).count(), got, people)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def site(tmp_path_factory):
    folder = Path(tempfile.mkdtemp(prefix="balai-news-browser-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "BALAI_DATA_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'news.sqlite3'}",
        "TASK_BACKEND": "db",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SIMULATOR_ENABLED": "true",
        "BALAI_DEBUG": "0",
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
    }

    def balai(*args):
        done = subprocess.run(
            [sys.executable, "-m", "balai", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    balai("migrate", "-v0")
    balai("shell", "--no-imports", "-c", SEED)
    procs = []
    commands = [
        ["serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "8"],
        ["worker", "--queues", "outbox,default"],
        ["worker", "--queues", "outbox,default"],
    ]
    for index, command in enumerate(commands):
        log = (folder / f"process-{index}.log").open("w")
        procs.append(
            (
                subprocess.Popen(
                    [sys.executable, "-m", "balai", *command],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
                log,
            )
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, (folder / "process-0.log").read_text()[-3000:]
        time.sleep(0.3)
    yield base, balai
    for proc, log in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def picture(path: Path) -> Path:
    image = Image.new("RGB", (1200, 800), (240, 240, 230))
    for x in range(0, 1200, 60):
        image.paste((11, 110, 79), (x, 300, x + 30, 500))
    out = io.BytesIO()
    image.save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_compose_approve_send_and_watch_the_progress(page, site, shots_dir, tmp_path):
    base, balai = site
    shots = []

    def shot(name):
        path = shots_dir / f"pengumuman-{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name

    def login(username):
        page.goto(f"{base}/masuk/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/desa/pondok/")

    def logout():
        page.click("details.user-menu > summary")
        page.click("details.user-menu button:has-text('Keluar')")
        page.wait_for_url(f"{base}/masuk/**")

    # 1. The operator writes to every subscriber, with a picture.
    login("operator.pondok")
    page.goto(f"{base}/desa/pondok/pengumuman/")
    assert "pelanggan WhatsApp" in page.inner_text("main")
    shot("daftar")
    page.click("a:has-text('Tulis pengumuman')")
    page.fill("input[name=title]", "Posyandu balita Sabtu 12 Desember")
    page.fill(
        "textarea[name=body]",
        "Posyandu balita di balai dusun masing-masing, Sabtu 12 Desember pukul 08.00–11.00. "
        "Balita ditimbang dan mendapat vitamin A. Bawa buku KIA.",
    )
    page.select_option("select[name=topic]", label="Kesehatan/posyandu")
    page.check("input[name=audience_all]")
    page.set_input_files("input[name=image_upload]", str(picture(tmp_path / "posyandu.jpg")))
    shot("tulis")
    page.click("form.news-form button[type=submit]")
    page.wait_for_url("**/pengumuman/*/")
    estimate = page.inner_text("#perkiraan")
    assert "Di luar jendela 24 jam" in estimate
    assert "Perkiraan biaya Meta" in estimate and "Rp " in estimate
    assert "perlu persetujuan sekretaris desa atau kepala desa" in estimate
    shot("perkiraan")
    page.click("button:has-text('Ajukan persetujuan')")
    assert "Menunggu persetujuan" in page.inner_text("main")
    detail_url = page.url
    logout()

    # 2. The sekdes approves; the send starts in the background workers.
    login("sekdes.pondok")
    page.goto(detail_url)
    shot("persetujuan")
    page.fill("textarea[name=note]", "Sudah benar, silakan kirim.")
    page.click("button:has-text('Setujui dan kirim')")
    page.wait_for_selector("#progress-bar")
    total = int(page.inner_text("[data-field=total]"))
    assert total > EXTRA

    # 3. The bar moves without a reload until every recipient is processed.
    seen = []
    midway = False
    deadline = time.monotonic() + 240
    while True:
        value = page.eval_on_selector("#progress-bar", "e => e.value")
        if not seen or value != seen[-1]:
            seen.append(value)
        if 20 <= value < 100 and not midway:
            shot("terkirim-sebagian")
            midway = True
        if value >= 100:
            break
        assert time.monotonic() < deadline, f"progress stuck at {seen}"
        page.wait_for_timeout(1000)
    # Delivery statuses keep arriving after the last message left; wait for them.
    deadline = time.monotonic() + 120
    while int(page.inner_text("[data-count=queued]")) or int(page.inner_text("[data-count=sent]")):
        assert time.monotonic() < deadline, page.inner_text("#progress")
        page.wait_for_timeout(1000)
    shot("selesai")
    counts = {
        key: int(page.inner_text(f"[data-count={key}]"))
        for key in ("waiting", "queued", "sent", "delivered", "read", "failed", "skipped")
    }
    assert counts["delivered"] + counts["read"] == total, counts
    assert counts["failed"] == counts["skipped"] == 0, counts
    assert len(seen) >= 3, f"the bar did not move live: {seen}"
    assert seen == sorted(seen), seen

    # 4. Each subscriber got it once, on the simulated phones.
    code, recipients, got, people = balai("shell", "--no-imports", "-c", COUNT).split()
    assert int(recipients) == total
    assert int(got) == int(people) == total

    # 5. The public post (no scripts, under 50 KB) and the ready-made social card.
    scripts = []
    page.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url))
    response = page.goto(f"{base}/d/pondok/kabar/{code}/")
    assert response.status == 200
    assert "Posyandu balita Sabtu 12 Desember" in page.inner_text("h1")
    assert len(response.body()) < 50 * 1024
    shot("kabar-publik")
    assert scripts == []
    card = page.goto(f"{base}/d/pondok/kabar/{code}/kartu.png")
    assert card.headers["content-type"] == "image/png"
    print("\nscreenshots:\n" + "\n".join(f"  {p}" for p in shots))
