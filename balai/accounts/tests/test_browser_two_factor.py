"""Two-step login in a real browser: turn it on from Akun saya (the QR code on screen
decodes to the otpauth URI), then log out and in again with a code from the app."""

import io
import time

import pyotp
import pytest
import zxingcpp
from PIL import Image

from balai.accounts.models import TwoFactor
from balai.test import PASSWORD, make_village
from balai.villages.actions import do_add_staff


@pytest.fixture
def kasi(transactional_db):
    village = make_village("pondok", "Pondok", "Asia/Jakarta", "33.11.02.2010", "Jawa Tengah")
    return do_add_staff(
        village, username="kasi.pondok", full_name="Kasi Pondok", role="kasi_pelayanan",
        password=PASSWORD,
    ).user  # fmt: skip


def log_in(page, url):
    page.goto(f"{url}/masuk/")
    page.fill("input[name=username]", "kasi.pondok")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_turn_on_two_step_login_then_log_in_with_a_code(page, live_server, kasi, shots_dir):
    log_in(page, live_server.url)
    page.wait_for_url(f"{live_server.url}/desa/pondok/")
    page.click("details.user-menu summary")
    page.click("details.user-menu >> text=Akun saya")
    page.wait_for_url("**/akun/")
    page.click("text=Aktifkan login dua langkah")
    page.wait_for_url("**/akun/dua-langkah/")

    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))]
    secret = TwoFactor.objects.get(user=kasi).secret
    assert decoded == [f"otpauth://totp/Balai:kasi.pondok?secret={secret}&issuer=Balai"]
    assert page.locator("#secret").inner_text().replace(" ", "") == secret
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=shots_dir / "two-factor-setup.png", full_page=True)

    page.fill("input[name=code]", "000000")
    page.click("button:has-text('Aktifkan')")
    assert "Kode tidak cocok" in page.locator(".error").inner_text()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("button:has-text('Aktifkan')")
    assert page.locator("ul.recovery-codes li").count() == 10

    page.goto(f"{live_server.url}/desa/pondok/")
    page.click("details.user-menu summary")
    page.click("details.user-menu button:has-text('Keluar')")
    page.wait_for_url(f"{live_server.url}/masuk/")

    log_in(page, live_server.url)
    page.wait_for_url(f"{live_server.url}/masuk/kode/")
    assert page.locator("input[name=code]").get_attribute("autocomplete") == "one-time-code"
    # The next 30-second step's code: the one used to confirm is spent.
    page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desa/pondok/")
    assert "Desa Pondok" in page.locator("h1").inner_text()
