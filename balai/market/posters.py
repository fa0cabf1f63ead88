"""QR posters for the catalogue and for each seller, made with the posters app's machinery
(its ``Poster``, A4 template, fitting and cache): the QR opens the catalogue page, and the
line under it tells people without a camera to send *KATALOG* to the village's WhatsApp,
which answers with the same link."""

from balai.market import catalogue
from balai.market.models import Seller
from balai.posters.models import PosterStyle
from balai.posters.posters import Poster, can_make_posters, render_pdf, render_png

MAX_ITEMS = 8
CATALOGUE_TEXT = "KATALOG"


def _items(products) -> tuple[list[tuple[str, str]], int]:
    rows = [(p.name, p.price_label) for p in products]
    if len(rows) <= MAX_ITEMS:
        return rows, 0
    return rows[: MAX_ITEMS - 1], len(rows) - (MAX_ITEMS - 1)


def _steps(who: str) -> list[tuple[str, str]]:
    return [
        ("Pindai kode QR", "Arahkan kamera HP ke kode QR: katalog produk terbuka."),
        ("Pilih produk", "Lihat foto, harga, dan keterangannya."),
        ("Pesan lewat WhatsApp", f"Tekan Pesan: WhatsApp {who} terbuka dengan pesanan Anda."),
    ]


def catalogue_poster(village) -> Poster | None:
    if not can_make_posters(village):
        return None
    products = list(
        catalogue.visible(village).select_related("seller").order_by("-updated", "pk")[:50]
    )
    sellers = len({p.seller_id for p in products})
    items, more = _items(products)
    url = catalogue.catalogue_url(village)
    return Poster(
        key="katalog",
        stem=f"poster-{village.slug}-katalog",
        kind="menu",
        kicker="Produk UMKM desa",
        title=f"Belanja produk warga {village.name}",
        summary="Kerajinan, makanan, dan hasil bumi buatan warga. Lihat katalognya dan pesan "
        "langsung ke penjual lewat WhatsApp.",
        items_heading="Sebagian produk kami",
        badge="",
        items=items,
        more=more,
        facts=[("Penjual", f"{sellers} warga")] if sellers else [],
        steps=_steps("penjual"),
        text=CATALOGUE_TEXT,
        link=url,
        short=url,
    )


def seller_poster(seller: Seller) -> Poster | None:
    village = seller.village
    if not can_make_posters(village):
        return None
    products = list(catalogue.visible(village).filter(seller=seller).order_by("name", "pk"))
    items, more = _items(products)
    url = catalogue.seller_url(seller)
    return Poster(
        key=f"penjual-{seller.slug}",
        stem=f"poster-{village.slug}-{seller.slug}",
        kind="menu",
        kicker=f"Produk UMKM {village}",
        title=seller.business_name,
        summary=(seller.description or "Buatan tangan warga desa. Pesan langsung lewat WhatsApp.")[
            :160
        ],
        items_heading="Produk dan harga",
        badge="",
        items=items,
        more=more,
        facts=[],
        steps=_steps(seller.business_name),
        text=f"{CATALOGUE_TEXT} {seller.slug.upper()}",
        link=url,
        short=url,
    )


def render(village, poster: Poster, fmt: str) -> bytes:
    style = PosterStyle.for_village(village)
    if fmt == "pdf":
        return render_pdf(village, poster, style)
    return render_png(village, poster, style)
