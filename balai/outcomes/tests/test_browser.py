"""The outcome dashboards in a real browser: desktop and a 360-px phone (no sideways
scroll), charts drawn, a target set from the phone; screenshots in var/screenshots/."""

import pytest

from balai.core import demo
from balai.outcomes.models import Indicator, Kind
from balai.programmes.models import Programme


@pytest.fixture
def site(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url
    demo.seed()
    return live_server.url


def login(page, site, username, lands="**/desa/**"):
    page.goto(f"{site}/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lands)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def charts_drawn(page) -> int:
    return page.evaluate(
        "[...document.querySelectorAll('img.chart')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length"
    )


def both_widths(page, shots_dir, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=shots_dir / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    assert fits(page), f"{name} scrolls sideways at 360 px"
    page.screenshot(path=shots_dir / f"{name}-phone.png", full_page=True)


def test_dashboards_on_desktop_and_phone(page, site, shots_dir):
    programme = Programme.objects.get(title="Pemasaran Online Sokasi")
    login(page, site, "pendamping.tigawasa")

    page.click("nav.tabs >> text=Hasil")
    page.wait_for_url("**/desa/tigawasa/hasil/")
    assert "Pemasaran Online Sokasi" in page.locator("#program + .scroll").inner_text()
    assert charts_drawn(page) >= 3
    both_widths(page, shots_dir, "outcomes-village")

    page.goto(f"{site}/desa/tigawasa/program/{programme.code}/")
    page.click("nav.subtabs >> text=Hasil")
    page.wait_for_url(f"**/hasil/program/{programme.code}/")
    table = page.locator("table.indicators")
    assert table.locator("tbody tr").count() == 13
    assert "Penjualan per peserta per bulan" in table.inner_text()
    assert charts_drawn(page) == 4  # funnel, sales, per participant, pre/post scores
    both_widths(page, shots_dir, "outcomes-programme")

    # A target for the manual indicator, typed on the phone.
    manual = Indicator.objects.get(programme=programme, kind=Kind.MANUAL)
    page.click(f"text={manual.name}")
    page.fill("input[name=period]", "2027-03")
    page.fill("input[name=value]", "10")
    page.click("text=Simpan target")
    assert "Target Maret 2027 sudah disimpan." in page.locator(".messages").inner_text()
    assert manual.targets.filter(period="2027-03-01", value=10).exists()
    both_widths(page, shots_dir, "outcomes-indicator")

    # The regency view for platform operators.
    page.context.clear_cookies()
    login(page, site, "admin", lands="**/")
    page.goto(f"{site}/kabupaten/hasil/?kabupaten=Buleleng")
    assert "Tigawasa" in page.locator("table.data").inner_text()
    assert charts_drawn(page) == 1
    both_widths(page, shots_dir, "outcomes-regency")
