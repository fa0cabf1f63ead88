"""End to end in a real browser: a letter requested through the WhatsApp simulator, approved
by the operator, the sekdes and the kades on a 360-px phone, arrives in the resident's chat
as a signed PDF; then the resident asks for a person and the inbox answers, inside the
24-hour window with free text and outside it with an approved template.

Everything talks over real HTTP to pytest-django's live server: the test's "phone" uses the
simulator's JSON API, the simulator posts signed webhooks to ``SITE_URL/whatsapp/webhook``,
and Balai's outbox posts to ``SITE_URL/simulator/graph/v25.0`` (the live server answers each
request in its own thread, so these nested calls do not wait on each other). The test task
backend is immediate, so every call returns only once its whole chain has run.
"""

import base64
import datetime as dt
import hashlib
import itertools
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import segno
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from balai.conftest import require_service
from balai.core import demo
from balai.letters import documents
from balai.letters.models import IssuedLetter, LetterRequest
from balai.simulator.tests.base import PNG
from balai.whatsapp.models import Contact

PNID = "106540352242922"  # Desa Pondok's simulated number
WA_ID = "6285799990001"  # nobody in the register: a new resident
NIK = "3311021503850007"  # Jawa Tengah, born 15-03-1985
TICKET = re.compile(r"\*([A-Z]{3}-\d{4}-\d{4})\*")
# [kode_klasifikasi]/[nomor:3]/[kode_desa]/[bulan_romawi]/[tahun]; Pondok is 33.11.02.2010.
ROMAN = "I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII"
NUMBER = re.compile(rf"470/(\d{{3}})/2010/({ROMAN})/(\d{{4}})")
REPO = Path(__file__).resolve().parents[3]
WIDTH = 360
# The innermost elements reaching past the right edge that no scrolling box clips: what
# makes a page scroll sideways.
WIDE_ELEMENTS = """(limit) => {
  const clipped = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + [...e.classList].map(c => '.' + c).join('');
  const path = (e) => {
    const parts = [];
    for (; e && e !== document.body; e = e.parentElement) parts.unshift(name(e));
    return parts.join(' > ');
  };
  const wide = [...document.body.querySelectorAll('*')].filter(
    e => e.getBoundingClientRect().right > limit + 0.5 && !clipped(e));
  return wide.filter(e => !wide.some(o => o !== e && e.contains(o))).slice(0, 5).map(
    e => path(e) + ' "' + e.textContent.trim().slice(0, 40) + '" right='
      + Math.round(e.getBoundingClientRect().right));
}"""


# --- the resident's phone: the simulator's JSON API over HTTP ------------------------------


class Phone:
    """A simulated resident talking to Desa Pondok through the simulator's JSON API."""

    def __init__(self, base_url: str, wa_id: str, name: str):
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.wa_id, self.name = wa_id, name
        self.seen = 0

    def chat(self) -> list[dict]:
        response = self.http.get("/simulator/api/messages", params={"wa_id": self.wa_id})
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    def outbound(self) -> list[dict]:
        return [m["payload"] for m in self.chat() if m["direction"] == "out"]

    def replies(self) -> list[dict]:
        """What Balai sent since the last call."""
        out = self.outbound()
        new, self.seen = out[self.seen :], len(out)
        return new

    def send(self, text: str | None = None, **content) -> list[dict]:
        """Send one message; return Balai's replies to it (all sent before the API answers:
        the webhook's processing and the outbox run in the request, after commit)."""
        if text is not None:
            content["text"] = text
        body = {"village": PNID, "from": self.wa_id, "name": self.name, **content}
        response = self.http.post("/simulator/api/messages", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["webhook_status"] == 200, response.json()
        return self.replies()

    def tap(self, payload: dict, title: str) -> list[dict]:
        inter = payload["interactive"]
        if inter["type"] == "button":
            choices = [(b["reply"]["id"], b["reply"]["title"]) for b in inter["action"]["buttons"]]
            key = "button_reply"
        else:
            choices = [
                (r["id"], r["title"]) for s in inter["action"]["sections"] for r in s["rows"]
            ]
            key = "list_reply"
        for choice_id, choice_title in choices:
            if title in {choice_id, choice_title}:
                return self.send(**{key: {"id": choice_id, "title": choice_title}})
        raise AssertionError(f"no choice {title!r} in {choices}")

    def photo(self) -> list[dict]:
        return self.send(image={"mime_type": "image/png", "data": base64.b64encode(PNG).decode()})


def body(payload: dict) -> str:
    kind = payload["type"]
    if kind == "text":
        return payload["text"]["body"]
    if kind == "interactive":
        return payload["interactive"]["body"]["text"]
    if kind == "template":
        return payload["template"]["name"]
    return payload.get(kind, {}).get("caption", "")


def texts(payloads: list[dict]) -> str:
    return "\n---\n".join(body(p) for p in payloads)


# --- the browser ---------------------------------------------------------------------------


class Console:
    """The staff console in the 360-px page, with a screenshot of each main page."""

    def __init__(self, page, base_url: str, shots: Path):
        self.page, self.base, self.shots = page, base_url, shots
        self.saved: list[Path] = []
        self.too_wide: list[str] = []

    def login(self, username: str) -> None:
        self.page.goto(f"{self.base}/masuk/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", demo.DEMO_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base}/desa/pondok/")

    def logout(self) -> None:
        self.page.click("details.user-menu > summary")
        self.page.click("details.user-menu button:has-text('Keluar')")
        self.page.wait_for_url(f"{self.base}/masuk/**")

    def shot(self, name: str) -> None:
        """Screenshot the page and note it if it scrolls sideways at 360 px."""
        path = self.shots / f"{len(self.saved) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.saved.append(path)
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            culprits = self.page.evaluate(WIDE_ELEMENTS, WIDTH) or ["(element not found)"]
            where = f"{name} ({self.page.url}, scrollWidth {width})"
            self.too_wide += [f"{where}: {culprit}" for culprit in culprits]

    def tab(self, label: str, url_glob: str) -> None:
        self.page.click(f"nav.tabs >> text={label}")
        self.page.wait_for_url(url_glob)

    def approve(self, code: str, button: str) -> None:
        self.tab("Permohonan", "**/desa/pondok/permohonan/**")
        self.page.click(f"ul.requests a:has-text('{code}')")
        self.page.wait_for_url(f"**/permohonan/{code}/")
        self.page.click(f"section.actions button.primary:has-text('{button}')")
        expect(self.page.locator("ul.messages")).to_contain_text("Baik, tahap Anda sudah selesai")


# --- the PDF -------------------------------------------------------------------------------


def render_first_page(pdf: bytes, workdir: Path):
    """Page 1 of ``pdf`` as a greyscale Pillow image, rendered by poppler's pdftoppm."""
    from PIL import Image

    pdftoppm = shutil.which("pdftoppm")
    require_service(pdftoppm is not None, "pdftoppm is not installed (Debian: poppler-utils)")
    source = workdir / "letter.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [pdftoppm, "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", source, workdir / "p"],
        check=True,
        timeout=30,
    )
    return Image.open(workdir / "p.png").convert("L")


def pdf_text(path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    require_service(pdftotext is not None, "pdftotext is not installed (Debian: poppler-utils)")
    done = subprocess.run(
        [pdftotext, "-layout", path, "-"], check=True, capture_output=True, text=True, timeout=30
    )
    return done.stdout


def qr_region(image):
    """The bounding box (left, top, right, bottom) of the QR code on the rendered page: the
    three finder patterns (7×7 modules: dark ring, light ring, dark 3×3 core) are the only
    places where a row and a column both cross dark/light/dark/light/dark runs in the
    proportions 1:1:3:1:1."""
    import numpy as np

    dark = np.asarray(image) < 128

    def runs(line):
        edges = np.flatnonzero(np.diff(line.astype(np.int8))) + 1
        starts = np.concatenate(([0], edges))
        ends = np.concatenate((edges, [len(line)]))
        return starts, ends, line[starts]

    def centres(line):
        starts, ends, values = runs(line)
        lengths = ends - starts
        found = []
        for i in range(len(starts) - 4):
            if not values[i]:
                continue
            a, b, c, d, e = lengths[i : i + 5]
            unit = (a + b + c + d + e) / 7
            if unit < 1.5:
                continue
            if all(abs(x - unit) <= unit * 0.5 for x in (a, b, d, e)) and abs(c - 3 * unit) <= (
                unit * 1.0
            ):
                found.append(((starts[i] + ends[i + 4]) / 2, unit))
        return found

    candidates = []
    for y in range(dark.shape[0]):
        for x, unit in centres(dark[y]):
            column = dark[:, int(x)]
            for cy, _u in centres(column):
                if abs(cy - y) < unit:
                    candidates.append((x, y, unit))
    assert candidates, "no QR finder pattern on the page"
    # Cluster the candidates into finder patterns.
    clusters: list[list[tuple[float, float, float]]] = []
    for x, y, unit in candidates:
        for cluster in clusters:
            cx, cy, cu = cluster[0]
            if abs(cx - x) < 3 * cu and abs(cy - y) < 3 * cu:
                cluster.append((x, y, unit))
                break
        else:
            clusters.append([(x, y, unit)])
    # Each finder pattern is crossed by every row through its dark core, so it collects
    # many candidates; data modules can look like one by chance in a row or two. Take the
    # best supported three that sit like a QR code's: top left, top right, bottom left.
    finders = [
        (
            sum(p[0] for p in c) / len(c),
            sum(p[1] for p in c) / len(c),
            sum(p[2] for p in c) / len(c),
            len(c),
        )
        for c in sorted(clusters, key=len, reverse=True)[:12]
    ]

    def upright(tl, tr, bl):
        u = tl[2]
        return (
            abs(tl[1] - tr[1]) < u
            and abs(tl[0] - bl[0]) < u
            and tr[0] - tl[0] > 10 * u
            and abs((tr[0] - tl[0]) - (bl[1] - tl[1])) < 2 * u
            and all(abs(f[2] - u) < 0.35 * u for f in (tr, bl))
        )

    shapes = [t for t in itertools.permutations(finders, 3) if upright(*t)]
    assert shapes, f"no QR code (finder pattern candidates: {finders})"
    (x1, y1, u, _), (x2, _, _, _), (_, y3, _, _) = max(shapes, key=lambda t: sum(f[3] for f in t))
    half = 3.5 * u
    return x1 - half, y1 - half, x2 + half, y3 + half


def qr_modules(image, box, size: int) -> list[list[bool]]:
    """Sample the ``size``×``size`` module grid inside ``box`` (dark = True)."""
    import numpy as np

    dark = np.asarray(image) < 128
    left, top, right, bottom = box
    step_x, step_y = (right - left) / size, (bottom - top) / size
    return [
        [
            bool(dark[int(top + (r + 0.5) * step_y), int(left + (c + 0.5) * step_x)])
            for c in range(size)
        ]
        for r in range(size)
    ]


# --- the test ------------------------------------------------------------------------------


@pytest.fixture
def e2e(live_server, transactional_db, settings):
    # The simulator and Balai reach each other at the live server's address.
    settings.SITE_URL = live_server.url
    # (ALLOWED_HOSTS already has the live server's "localhost"; pytest-django adds it too.)
    settings.WHATSAPP_MESSAGE_HANDLER = "balai.conversations.engine.handle"
    # This resident answers within milliseconds: Meta's pair limit and the flood guard are
    # for people (as in balai/conversations/tests/base.py).
    settings.CONVERSATION_FLOOD_LIMIT = 1000
    settings.WHATSAPP_PAIR_BURST = 45
    settings.WHATSAPP_PAIR_INTERVAL_SECONDS = 1
    demo.seed()
    return live_server.url


@pytest.fixture
def phone(e2e):
    phone = Phone(e2e, WA_ID, "Budi")
    yield phone
    # Closing the kept-alive connection ends the live server's thread for it, and with it
    # that thread's database connection (else PostgreSQL cannot drop the test database).
    phone.http.close()


def test_letter_from_whatsapp_to_signed_pdf_and_inbox_reply(page, e2e, phone, shots_dir, tmp_path):
    base = e2e
    console = Console(page, base, shots_dir)
    if connection.vendor == "sqlite":
        # The live server shares the test's one in-memory SQLite connection between its
        # threads; the page's parallel image requests would race on it. PostgreSQL runs
        # load the images (and balai/conversations/tests/test_inbox.py tests the view).
        page.route("**/berkas/**", lambda route: route.fulfill(status=204))

    # 1. The resident requests a domicile letter through the simulator.
    replies = phone.send("LAYANAN DOMISILI")
    assert "Surat Keterangan Domisili" in texts(replies)
    assert body(replies[-1]) == "Surat ini untuk siapa?"
    (ask_nik,) = phone.tap(replies[-1], "Saya sendiri")
    assert "NIK" in body(ask_nik)
    (ask_name,) = phone.send(NIK)
    assert "nama lengkap" in body(ask_name)
    (ask_birth,) = phone.send("Budi Santoso")
    assert "tanggal lahir" in body(ask_birth).lower()
    (ask_address,) = phone.send("15-03-1985")
    assert "alamat tinggal" in body(ask_address).lower()
    (ask_purpose,) = phone.send("Dusun Krajan RT 002/RW 001")
    assert "keperluan" in body(ask_purpose)
    (ktp,) = phone.send("melamar pekerjaan")
    assert "Kirim Foto KTP" in body(ktp)
    (kk,) = phone.photo()
    assert "Kirim Foto Kartu Keluarga" in body(kk)
    (letter,) = phone.photo()
    assert "pengantar RT/RW" in body(letter)
    (confirm,) = phone.send("nanti")
    assert "• Nama lengkap: Budi Santoso" in body(confirm)
    (done,) = phone.tap(confirm, "Kirim")
    found = TICKET.search(body(done))
    assert found, body(done)
    code = found[1]
    assert "Permohonan Anda sudah kami terima" in body(done)
    request = LetterRequest.objects.get(code=code)
    assert (request.letter_type.slug, request.state) == ("domisili", "submitted")

    # 2. The approval chain in the browser: operator, sekdes, kades.
    console.login("operator.pondok")
    console.shot("operator-dashboard")
    console.tab("Permohonan", "**/desa/pondok/permohonan/**")
    console.shot("operator-requests")
    page.click(f"ul.requests a:has-text('{code}')")
    page.wait_for_url(f"**/permohonan/{code}/")
    console.shot("operator-request")
    page.click("section.actions button.primary:has-text('Berkas lengkap, teruskan')")
    expect(page.locator("section.actions")).to_contain_text("Menunggu: Pemeriksaan sekretaris desa")
    console.logout()

    console.login("sekdes.pondok")
    console.approve(code, "Sudah diperiksa, teruskan")
    console.shot("sekdes-request")
    console.logout()

    console.login("kades.pondok")
    console.shot("kades-dashboard")
    console.approve(code, "Tandatangani surat")
    issued = IssuedLetter.objects.get(request__code=code)
    assert issued.number in page.locator("p.card").inner_text()
    console.shot("kades-signed")
    console.logout()

    # 3. The resident heard of each step, and the signed PDF came last, as a document.
    pushes = phone.replies()
    assert [p["type"] for p in pushes] == ["text", "text", "text", "document"], pushes
    for push, status in zip(
        pushes, ("Sedang diperiksa", "Menunggu tanda tangan", "Selesai"), strict=False
    ):
        assert f"Kabar permohonan *{code}*" in body(push)
        assert f"Status: *{status}*" in body(push)
    document = pushes[-1]["document"]
    assert document["filename"] == f"{code}.pdf"
    assert f"Nomor {issued.number}" in document["caption"]
    assert f"Tiket {code}" in document["caption"]
    number = NUMBER.fullmatch(issued.number)
    assert number, issued.number
    signed_on = issued.issued_at.astimezone(issued.village.tz).date()
    assert number[3] == str(signed_on.year)
    assert number[2] == ROMAN.split("|")[signed_on.month - 1]
    assert int(number[1]) == issued.sequence

    response = httpx.get(document["link"], timeout=30)  # what Meta fetches
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == issued.sha256
    assert documents.matches(issued.verify_token, pdf)

    image = render_first_page(pdf, tmp_path)
    histogram = image.histogram()
    dark_share = sum(histogram[:128]) / (image.width * image.height)
    assert 0.01 < dark_share < 0.5, f"page 1 looks blank or black: {dark_share:.3%} dark"
    # The QR on the page is the verification URL's QR, module for module.
    expected = segno.make(documents.verify_url(issued.verify_token), error="m")
    size = len(expected.matrix)  # segno's matrix has no quiet zone
    got = qr_modules(image, qr_region(image), size)
    want = [[bool(v) for v in row] for row in expected.matrix]
    wrong = sum(
        g != w for gr, wr in zip(got, want, strict=True) for g, w in zip(gr, wr, strict=True)
    )
    assert wrong <= size * size // 100, f"{wrong} of {size * size} QR modules differ"
    # (The comparison does tell QR codes apart: another letter's differs in many modules.)
    other = segno.make(documents.verify_url(documents.new_token()), error="m")
    assert len(other.matrix) == size
    differ = sum(
        bool(a) != b
        for ra, rb in zip(other.matrix, got, strict=True)
        for a, b in zip(ra, rb, strict=True)
    )
    assert differ > size * size // 5
    text = pdf_text(tmp_path / "letter.pdf")
    assert f"Nomor: {issued.number}" in text
    assert "SURAT KETERANGAN DOMISILI" in text and "Budi Santoso" in text
    verify = httpx.get(documents.verify_url(issued.verify_token), timeout=30)

    # 4. The resident asks for a person; the operator answers from the inbox.
    (handoff,) = phone.send("petugas")
    assert "kami teruskan ke petugas desa" in body(handoff)
    console.login("operator.pondok")
    console.tab("Kotak masuk", "**/desa/pondok/kotak-masuk/**")
    console.shot("operator-inbox")
    page.click("ul.list a:has-text('Budi Santoso')")
    expect(page.locator("main h1")).to_have_text("Budi Santoso")
    conversation_url = page.url
    reply_text = "Selamat siang Pak Budi, surat Anda sudah kami kirim."
    page.fill("#reply textarea[name=text]", reply_text)
    page.click("#reply button[type=submit]")
    expect(page.locator("#transcript li.out").last).to_contain_text(reply_text)
    console.shot("operator-conversation")
    # The transcript is in the order the resident wrote.
    incoming = [t.strip() for t in page.locator("#transcript li.in .bubble").all_inner_texts()]
    transcript_in_order = incoming.index("LAYANAN DOMISILI") < incoming.index("Saya sendiri")
    (reply,) = phone.replies()
    assert reply["type"] == "text"
    assert reply["text"]["body"] == reply_text

    # 5. Without a reload, a new message from the resident appears (inbox.js polls every 5 s).
    assert phone.send("Terima kasih, Bu. Sudah saya terima.") == []  # a person has it
    expect(page.locator("#transcript")).to_contain_text("Sudah saya terima", timeout=12_000)

    # 6. Outside the 24-hour window only an approved template may go.
    Contact.objects.filter(resident__phone=f"+{WA_ID}").update(
        last_inbound_at=timezone.now() - dt.timedelta(hours=25)
    )
    page.goto(conversation_url)
    section = page.locator("main section.card").first
    expect(section).to_contain_text("Lewat 24 jam sejak warga terakhir menulis")
    expect(section).to_contain_text("hanya templat yang sudah disetujui Meta")
    assert page.locator("#reply").count() == 0
    options = page.locator("select[name=template] option").all_inner_texts()
    assert any(o.startswith("balai_kabar_baru") for o in options), options
    page.select_option("select[name=template]", label=next(o for o in options if "kabar" in o))
    console.shot("operator-conversation-template")
    page.click("button:has-text('Kirim templat')")
    expect(page.locator("#transcript li.out").last).to_contain_text("(templat balai_kabar_baru)")
    (template,) = phone.replies()
    assert template["type"] == "template"
    assert template["template"]["name"] == "balai_kabar_baru"
    assert "Budi Santoso" in str(template["template"].get("components"))  # {{1}}: nama

    console.tab("Pengaduan", "**/desa/pondok/pengaduan/**")
    console.shot("operator-complaints")

    print("\nscreenshots:\n" + "\n".join(f"  {p}" for p in console.saved))
    assert not console.too_wide, "pages scroll sideways at 360 px:\n" + "\n".join(console.too_wide)
    # Messages sent within the same second keep the order they were received in.
    assert transcript_in_order, "the inbox transcript is out of order"
    # The QR's page: the letter exists, its number and fingerprint.
    assert verify.status_code == 200
    assert issued.number in verify.text
    assert issued.sha256 in verify.text
