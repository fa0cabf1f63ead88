"""The login and the first console pages in a real browser, on a phone-sized screen."""

import pytest

from balai.core import demo
from balai.residents.models import Resident


@pytest.fixture
def demo_data(transactional_db):
    demo.seed()


def test_login_and_browse_residents_on_a_phone(page, live_server, demo_data):
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/masuk/")
    page.fill("input[name=username]", "kasi.pondok")
    page.fill("input[name=password]", "salah-sekali")
    page.click("button[type=submit]")
    assert page.locator(".errors").inner_text().startswith("Nama pengguna atau kata sandi salah")

    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desa/pondok/")
    assert "Desa Pondok" in page.locator("h1").inner_text()

    page.click("nav.tabs >> text=Warga")
    page.wait_for_url("**/desa/pondok/warga/")
    rows = page.locator("table.table tbody tr")
    # The register plus the programme participants of the demo (one page of 50).
    assert rows.count() == Resident.objects.filter(village__slug="pondok").count()
    # Masked NIKs only; the page fits a 360-px screen without sideways scrolling.
    first_nik = rows.first.locator("td.mono").first.inner_text()
    assert "********" in first_nik
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.fill("input[name=q]", "Siti")
    page.click("form.search button")
    assert page.locator("table.table tbody tr").count() == 1
    page.locator("table.table tbody a").first.click()
    page.click("text=Tampilkan NIK/KK lengkap")
    nik = page.locator("dl.facts dd.mono").first.inner_text()
    assert len(nik) == 16 and nik.isdigit()
