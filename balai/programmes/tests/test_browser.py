"""The facilitator's and the DPL's views of a programme in a real browser on a phone."""

import pytest

from balai.core import demo
from balai.programmes.models import Attendance, Programme


@pytest.fixture
def site(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url
    demo.seed()
    return live_server.url


def login(page, site, username):
    page.goto(f"{site}/masuk/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}/desa/pondok/")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_facilitator_and_dpl(page, site, shots_dir):
    programme = Programme.objects.get(title="Pendampingan Protokol")
    base = f"{site}/desa/pondok/program/{programme.code}"

    login(page, site, "pendamping.pondok")
    page.click("nav.tabs >> text=Program")
    page.wait_for_url("**/program/")
    assert "6 dari 6 peserta bersedia" in page.locator("ul.list").inner_text()
    page.screenshot(path=shots_dir / "programme-list.png", full_page=True)

    page.click("text=Pendampingan Protokol")
    assert "Terlaksananya jadwal kegiatan" in page.content()
    page.screenshot(path=shots_dir / "programme-detail.png", full_page=True)
    assert fits(page)

    page.click("nav.subtabs >> text=Peserta")
    assert page.locator("table.table tbody tr").count() == 6
    assert page.locator("text=Bersedia").count() >= 6
    page.screenshot(path=shots_dir / "programme-participants.png", full_page=True)

    # The next activity: mark who came.
    page.goto(base + "/kegiatan/")
    page.screenshot(path=shots_dir / "programme-activities.png", full_page=True)
    page.click("text=Evaluasi dan post-test")
    boxes = page.locator("input[name=hadir]")
    assert boxes.count() == 6
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("text=Simpan kehadiran")
    assert "2 peserta hadir" in page.locator(".messages").inner_text()
    activity = programme.activities.get(title="Evaluasi dan post-test")
    assert Attendance.objects.filter(activity=activity, present=True).count() == 2
    page.screenshot(path=shots_dir / "programme-attendance.png", full_page=True)

    # The DPL reads everything but has no buttons that change anything.
    page.context.clear_cookies()
    login(page, site, "dpl.pondok")
    page.goto(base + "/")
    assert "Ubah data program" not in page.content()
    page.goto(base + "/kegiatan/" + activity.code + "/")
    assert page.locator("input[name=hadir]:disabled").count() == 6
    assert page.locator("text=Simpan kehadiran").count() == 0
    page.goto(base + "/peserta/")
    assert "Minta persetujuan" not in page.content()
    assert fits(page)
    page.screenshot(path=shots_dir / "programme-dpl.png", full_page=True)
