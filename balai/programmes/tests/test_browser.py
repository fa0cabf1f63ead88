"""The facilitator's and the DPL's views of a programme in a real browser on a phone."""

import pytest
from django.conf import settings
from django.template.defaultfilters import date as date_format
from django.utils import translation

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


def test_followup_on_a_phone(page, site, shots_dir):
    """The *Tindak lanjut* tab of the demo's finished programme: the monthly grid in every
    state, the settings the facilitator changes, and the DPL's read-only view."""
    from balai.programmes.models import CheckIn

    programme = Programme.objects.get(
        village__slug="pondok", title="Pelatihan Media Sosial untuk UMKM"
    )
    states = set(programme.checkins.values_list("state", flat=True))
    assert {CheckIn.State.ANSWERED, CheckIn.State.STOPPED} <= states  # the demo has them

    login(page, site, "pendamping.pondok")
    page.goto(f"{site}/desa/pondok/program/{programme.code}/")
    page.click("nav.subtabs >> text=Tindak lanjut")
    page.wait_for_url("**/tindak-lanjut/")
    grid = page.locator("table.table")
    rows = grid.locator("tbody tr")
    assert rows.count() == programme.participants.count()
    text = grid.inner_text()
    assert "dijawab" in text and "berhenti" in text
    answered = programme.checkins.filter(state=CheckIn.State.ANSWERED).first()
    assert f"Rp {answered.sales_amount:,.0f}".replace(",", ".") in text
    assert fits(page)
    # On a phone the table's head is hidden: each cell says its month.
    first = programme.checkins.order_by("period").first().period
    with translation.override(settings.LANGUAGE_CODE):
        label = date_format(first, "M Y")  # as the page writes it ("Agu 2026")
    assert label in rows.first.inner_text()
    page.screenshot(path=shots_dir / "programme-followup.png", full_page=True)

    page.fill("input[name=followup_months]", "9")
    page.fill("input[name=followup_day]", "10")
    page.fill("[name=followup_question]", "Berapa pelanggan baru bulan ini?")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/tindak-lanjut/")
    programme.refresh_from_db()
    assert (programme.followup_months, programme.followup_day) == (9, 10)
    assert programme.followup_question == "Berapa pelanggan baru bulan ini?"
    assert "Berapa pelanggan baru bulan ini?" in page.content()

    page.context.clear_cookies()
    login(page, site, "dpl.pondok")
    page.goto(f"{site}/desa/pondok/program/{programme.code}/tindak-lanjut/")
    assert page.locator("form.card").count() == 0
    assert "9 bulan" in page.locator("dl.facts").inner_text()
    assert fits(page)
    page.screenshot(path=shots_dir / "programme-followup-dpl.png", full_page=True)
