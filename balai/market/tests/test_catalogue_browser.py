"""The public catalogue in a real browser on a 360-px phone, with the demo's sellers: it
reads without JavaScript, never scrolls sideways, weighs under 50 KB (images aside, which
load lazily with their size known), and "Pesan lewat WhatsApp" opens the seller's WhatsApp
with the product and price typed, counting the click."""

import random
from html import escape
from urllib.parse import parse_qs, urlsplit

import pytest

from balai.core import demo
from balai.market.demo import seed_market
from balai.market.models import DailyCount, Product, Seller
from balai.public.tests.test_browser import BUDGET, visit
from balai.villages.models import Village


@pytest.fixture
def site(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url
    demo.seed()
    for village in Village.objects.filter(slug__in=["tigawasa", "pondok"]):
        seed_market(village, random.Random(7))  # no-op once balai.core.demo seeds it
    return live_server.url


ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36"
)


@pytest.fixture
def phone(chromium):
    """A 360-px Android phone as buyers use (a headless browser is not counted as a buyer)."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="id-ID", user_agent=ANDROID
    )
    yield context.new_page()
    context.close()


def test_catalogue_on_a_phone(phone, site, shots_dir):
    page = phone
    scripts = []
    page.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url))
    product = (
        Product.objects.filter(
            village__slug="tigawasa", is_published=True, seller__is_active=True, stock="tersedia"
        )
        .exclude(photos=None)
        .select_related("seller")
        .order_by("name")
        .first()
    )
    seller_name = escape(product.seller.business_name)
    pages = [
        ("katalog", "/d/tigawasa/katalog/", "Produk UMKM Desa Tigawasa"),
        ("katalog-cari", "/d/tigawasa/katalog/?q=sokasi", "untuk “sokasi”"),
        ("katalog-kategori", "/d/pondok/katalog/?kategori=makanan", "Nasi kotak ayam"),
        ("produk", f"/d/tigawasa/katalog/{product.code}/", product.price_label),
        ("penjual", f"/d/tigawasa/katalog/penjual/{product.seller.slug}/", seller_name),
    ]  # fmt: skip
    for name, path, text in pages:
        weight = visit(page, site + path)
        assert text in page.content(), path
        assert weight <= BUDGET, f"{path}: {weight} bytes"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert page.locator('meta[property="og:title"]').count() == 1
        # Every picture has its size (no jumping layout) and all but the first load lazily.
        for img in page.locator("main img").all():
            assert img.get_attribute("width") and img.get_attribute("height"), path
        print(f"{path}: {weight} bytes")  # shown with -s: the figure in the docs
        # For the screenshot only: load the lazy pictures below the fold.
        page.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=shots_dir / f"katalog-{name}.png", full_page=True)
    assert scripts == []

    # The product page shares a preview with its own photo.
    page.goto(f"{site}/d/tigawasa/katalog/{product.code}/")
    og_image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert og_image.endswith(f"/katalog/{product.code}/foto/0/besar.jpg")
    assert page.locator(".hero img").evaluate("img => img.naturalWidth") > 0

    # "Pesan lewat WhatsApp": through Balai (counted), then to wa.me with the order typed.
    opened = []
    page.route(
        "https://wa.me/**",
        lambda route: (opened.append(route.request.url), route.fulfill(body="WhatsApp")),
    )
    before = sum(DailyCount.objects.filter(product=product).values_list("order_clicks", flat=True))
    page.click("a.btn-wa")
    page.wait_for_url("https://wa.me/**")
    target = urlsplit(opened[0])
    text = parse_qs(target.query)["text"][0]
    assert product.name in text and product.price_label in text
    assert target.path.strip("/").isdigit()
    after = sum(DailyCount.objects.filter(product=product).values_list("order_clicks", flat=True))
    assert after == before + 1


def test_catalogue_search_and_filter_without_javascript(page, site, shots_dir):
    page.goto(site + "/d/tigawasa/katalog/")
    page.fill("input[name=q]", "sokas bundar")  # a typo
    page.click(".cat-search button")
    # The form is a plain GET: wait for the results page before reading it.
    page.wait_for_url("**/katalog/?q=sokas+bundar")
    names = page.locator(".prod h2").all_inner_texts()
    assert names and all("okasi" in n for n in names), names
    page.goto(site + "/d/pondok/katalog/")
    page.click(".chips a:has-text('Hasil laut/ikan')")
    page.wait_for_url("**/katalog/?kategori=*")
    names = page.locator(".prod h2").all_inner_texts()
    assert sorted(names) == ["Lele segar", "Nila segar"]
    page.screenshot(path=shots_dir / "katalog-ikan.png", full_page=True)


def test_console_on_a_phone(page, site, shots_dir):
    """The facilitator's UMKM pages fit a phone: sellers, a seller, a product, the monthly
    table against its baseline."""
    page.goto(f"{site}/masuk/")
    page.fill("input[name=username]", "pendamping.tigawasa")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}/desa/tigawasa/")
    seller = Seller.objects.filter(village__slug="tigawasa").order_by("business_name").first()
    product = seller.products.filter(is_published=True).first()
    pages = [
        ("umkm", "/desa/tigawasa/umkm/", "UMKM desa"),
        ("umkm-penjual", f"/desa/tigawasa/umkm/penjual/{seller.code}/", "Penjualan 6 bulan"),
        ("umkm-produk", f"/desa/tigawasa/umkm/produk/{product.code}/", "Dilihat dan diklik"),
        ("umkm-bulanan", "/desa/tigawasa/umkm/penjualan/bulanan/", "Periode dasar"),
    ]
    for name, path, text in pages:
        page.goto(site + path)
        assert text in page.content(), path
        # Wide tables scroll inside their box; the page itself never does.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        page.screenshot(path=shots_dir / f"konsol-{name}.png", full_page=True)
