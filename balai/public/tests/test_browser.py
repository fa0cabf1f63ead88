"""Every public page in a real browser on a 360-px phone: content, no sideways scrolling,
no JavaScript, and the bytes it costs (everything but images) under 50 KB."""

import pytest

from balai.core import demo
from balai.letters.models import LetterRequest

BUDGET = 50 * 1024


@pytest.fixture
def site(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url
    demo.seed()
    return live_server.url


def visit(page, url: str) -> int:
    """Open ``url`` and return the bytes transferred for it, images aside."""
    responses = []

    def keep(response):
        responses.append(response)

    page.on("response", keep)
    page.goto(url, wait_until="load")
    page.remove_listener("response", keep)
    total = 0
    for response in responses:
        if response.request.resource_type == "image":
            continue
        sizes = response.request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


PAGES = [
    ("home", "/d/pondok/", "Desa Pondok"),
    ("layanan", "/d/pondok/layanan/", "Surat Keterangan Tidak Mampu"),
    ("layanan-sktm", "/d/pondok/layanan/sktm/", "Cara mengajukan"),
    ("status", "/d/pondok/status/", "Cek status"),
    ("aduan", "/d/pondok/aduan/", "Papan aduan warga"),
    ("transparansi", "/d/pondok/transparansi/", "Transparansi"),
    ("home-tigawasa", "/d/tigawasa/", "Desa Tigawasa"),
]


def test_public_pages_on_a_phone(page, site, shots_dir):
    scripts = []
    page.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url))
    for name, path, heading in PAGES:
        weight = visit(page, site + path)
        assert heading in page.content(), path
        assert weight <= BUDGET, f"{path}: {weight} bytes"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert page.locator('meta[property="og:title"]').count() == 1
        page.screenshot(path=shots_dir / f"public-{name}.png", full_page=True)
    assert scripts == []

    # The service button opens WhatsApp with that service's keyword.
    page.goto(site + "/d/pondok/layanan/sktm/")
    link = page.locator("a.btn-wa").first.get_attribute("href")
    assert link == "https://wa.me/15550783881?text=LAYANAN%20SKTM"


def test_status_lookup_in_the_browser(page, site, shots_dir):
    request = LetterRequest.objects.filter(village__slug="pondok", state="needs_info").first()
    phone = (request.contact or request.resident).phone
    page.goto(site + "/d/pondok/status/")
    page.fill("input[name=ticket]", request.code)
    page.fill("input[name=phone_suffix]", "0000" if not phone.endswith("0000") else "1111")
    page.click("form button[type=submit]")
    assert "tidak cocok" in page.locator("[role=alert]").inner_text()
    assert page.locator(".history").count() == 0

    page.fill("input[name=ticket]", request.code)
    page.fill("input[name=phone_suffix]", phone[-4:])
    page.click("form button[type=submit]")
    assert page.locator(".badge").inner_text() == "Perlu data tambahan"
    history = page.locator(".history li").all_inner_texts()
    assert any("Diajukan" in item for item in history)
    assert request.resident.name not in page.content()
    # The phone digits are not written back into the page.
    assert page.locator("input[name=phone_suffix]").input_value() == ""
    page.screenshot(path=shots_dir / "public-status-result.png", full_page=True)
