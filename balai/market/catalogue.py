"""The public catalogue (no login): the village's products, a seller's page, a product page
with its "Pesan lewat WhatsApp" link, and the photos.

Light like the other public pages: server-rendered, no JavaScript, one small stylesheet,
resized photos loaded lazily. An order link goes through Balai (``order``), which counts the
click and sends the buyer on to WhatsApp with the product and price already typed; product
pages count their views. Counts only — no cookies, nothing about the visitor is kept.
"""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from rapidfuzz import fuzz, process, utils

from balai.market.actions import do_count
from balai.market.models import Category, Product, ProductPhoto, Seller
from balai.public import links
from balai.villages.access import public_village

PAGE_SIZE = 24
QUERY_MAX = 60
PHOTO_SALT = "balai.market.photo"
PHOTO_LINK_DAYS = 7
VARIANTS = {
    "besar.jpg": ("jpeg", "image/jpeg"),
    "besar.webp": ("webp", "image/webp"),
    "kecil.webp": ("thumb", "image/webp"),
}
# Link previews and crawlers open pages too; they are not buyers.
NOT_A_PERSON = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|whatsapp|telegram|preview|headless|curl|wget",
    re.IGNORECASE,
)


# --- addresses ------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def catalogue_url(village) -> str:
    return absolute(reverse("catalogue:index", args=[village.slug]))


def seller_url(seller: Seller) -> str:
    return absolute(reverse("catalogue:seller", args=[seller.village.slug, seller.slug]))


def product_path(product: Product) -> str:
    return reverse("catalogue:product", args=[product.village.slug, product.code])


def product_url(product: Product) -> str:
    return absolute(product_path(product))


def order_path(product: Product) -> str:
    return reverse("catalogue:order", args=[product.village.slug, product.code])


def photo_path(product: Product, index: int, variant: str = "besar.jpg") -> str:
    """A published product's photo by its place (0 = the cover)."""
    return reverse("catalogue:photo", args=[product.village.slug, product.code, index, variant])


def signed_photo_url(photo: ProductPhoto, variant: str = "besar.jpg") -> str:
    """A photo of any product, drafts too, behind a signed link that expires: what WhatsApp
    fetches to show a seller the draft, and what the console shows."""
    token = signing.dumps({"p": photo.pk, "f": photo.jpeg.name}, salt=PHOTO_SALT, compress=True)
    return absolute(
        reverse("catalogue:signed_photo", args=[photo.product.village.slug, token, variant])
    )


def order_text(product: Product) -> str:
    """What WhatsApp has typed when a buyer taps "Pesan lewat WhatsApp"."""
    seller = product.seller
    price = f"{product.price_label} per {product.unit}" if product.unit else product.price_label
    if _via_village(seller):
        return (
            f"PESAN {product.code}\nHalo, saya mau pesan *{product.name}* ({price}) dari "
            f"{seller.business_name}. Nomor WhatsApp saya boleh diteruskan ke penjual."
        )
    return (
        f"Halo {seller.business_name}, saya mau pesan *{product.name}* ({price}) dari "
        f"katalog {product.village}.\n{product_url(product)}"
    )


def _via_village(seller: Seller) -> bool:
    return seller.order_via_village or not seller.resident.phone


def order_link(product: Product) -> str:
    """The wa.me link: the seller's own WhatsApp, or the village's number, which relays the
    order to the seller (per seller, or when the seller has no number). Empty if neither."""
    seller = product.seller
    if _via_village(seller):
        return links.wa_link(product.village, order_text(product))
    return links.wa_link_to(seller.resident.phone, order_text(product))


def seller_chat_link(seller: Seller) -> str:
    text = f"Halo {seller.business_name}, saya melihat katalog {seller.village}."
    if _via_village(seller):
        return ""
    return links.wa_link_to(seller.resident.phone, text)


# --- queries --------------------------------------------------------------------------------


def visible(village):
    """Products buyers may see: published, of an active seller."""
    return Product.objects.filter(village=village, is_published=True, seller__is_active=True)


def published(village):
    """``visible`` with what a card or page shows (seller, photos)."""
    return (
        visible(village)
        .select_related("seller__resident", "village")
        .prefetch_related(
            Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "pk"))
        )
    )


def search(products, query: str):
    """Every word must appear in the name, the description or the seller's name; with no
    result, names close to the words (typos: "sokas bundar")."""
    terms = utils.default_process(query).split()
    if not terms:
        return products
    found = products
    for term in terms:
        found = found.filter(
            Q(name__icontains=term)
            | Q(description__icontains=term)
            | Q(seller__business_name__icontains=term)
        )
    if found.exists():
        return found
    names = dict(products.values_list("pk", "name")[:2000])
    close = process.extract(
        utils.default_process(query),
        {pk: utils.default_process(name) for pk, name in names.items()},
        scorer=fuzz.token_set_ratio,
        processor=None,
        limit=PAGE_SIZE,
        score_cutoff=75,
    )
    return products.filter(pk__in=[pk for _name, _score, pk in close])


def page(request, village, template, context=None, status=200):
    """``balai.public.views.page``, imported when a page is rendered: this module is loaded
    with the app (the WhatsApp hooks use its addresses) and must not pull in every public
    view while apps are still loading."""
    from balai.public.views import page as render_page

    return render_page(request, village, template, context, status=status)


def _is_person(request) -> bool:
    return request.method == "GET" and not NOT_A_PERSON.search(
        request.headers.get("User-Agent", "")
    )


def _cards(products) -> list[dict]:
    out = []
    for product in products:
        photos = list(product.photos.all())
        out.append(
            {
                "product": product,
                "thumb": photo_path(product, 0, "kecil.webp") if photos else "",
                "thumb_size": _thumb_size(photos[0]) if photos else (480, 480),
                "order": order_path(product),
            }
        )
    return out


def _thumb_size(photo: ProductPhoto) -> tuple[int, int]:
    from balai.market.photos import THUMB

    width, height = photo.width or THUMB, photo.height or THUMB
    scale = min(1.0, THUMB / max(width, height))
    return round(width * scale), round(height * scale)


# --- views ----------------------------------------------------------------------------------


@require_safe
def index(request, slug):
    village = public_village(slug)
    products = published(village)
    counts = dict(visible(village).order_by().values_list("category").annotate(n=Count("pk")))
    category = request.GET.get("kategori", "")
    if category not in Category.values:
        category = ""
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    shown = products.filter(category=category) if category else products
    shown = (
        search(shown, query).order_by("-updated", "pk")
        if query
        else shown.order_by("-updated", "pk")
    )
    paginator = Paginator(shown, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("hal"))

    def page_link(number):
        params = {k: v for k, v in {"q": query, "kategori": category, "hal": number}.items() if v}
        return "?" + urlencode(params)

    return page(
        request,
        village,
        "market/catalogue.html",
        {
            "cards": _cards(page_obj.object_list),
            "page_obj": page_obj,
            "prev_link": page_link(page_obj.previous_page_number())
            if page_obj.has_previous()
            else "",
            "next_link": page_link(page_obj.next_page_number()) if page_obj.has_next() else "",
            "query": query,
            "category": category,
            "category_label": Category(category).label if category else "",
            "categories": [(v, label, counts[v]) for v, label in Category.choices if v in counts],
            "total": sum(counts.values()),
            "sellers": Seller.objects.filter(
                village=village, is_active=True, products__is_published=True
            )
            .distinct()
            .order_by("business_name"),
        },
    )


@require_safe
def seller(request, slug, seller_slug):
    village = public_village(slug)
    seller = get_object_or_404(
        Seller.objects.select_related("resident"), village=village, slug=seller_slug, is_active=True
    )
    products = published(village).filter(seller=seller).order_by("name", "pk")
    cards = _cards(products)
    first = next((card for card in cards if card["thumb"]), None)
    return page(
        request,
        village,
        "market/catalogue_seller.html",
        {
            "seller": seller,
            "cards": cards,
            "chat_link": seller_chat_link(seller),
            "og_image": absolute(photo_path(first["product"], 0)) if first else "",
        },
    )


@require_safe
def product(request, slug, code):
    village = public_village(slug)
    product = get_object_or_404(published(village), code=code)
    if _is_person(request):
        do_count(product, "views", village.local_now().date())
    photos = list(product.photos.all())
    more = published(village).filter(seller=product.seller).exclude(pk=product.pk)
    return page(
        request,
        village,
        "market/catalogue_product.html",
        {
            "product": product,
            "seller": product.seller,
            "photos": [
                {
                    "jpeg": photo_path(product, i),
                    "webp": photo_path(product, i, "besar.webp"),
                    "thumb": photo_path(product, i, "kecil.webp"),
                    "width": p.width or 1200,
                    "height": p.height or 1200,
                }
                for i, p in enumerate(photos)
            ],
            "order": order_path(product),
            "can_order": bool(order_link(product)),
            "via_village": _via_village(product.seller),
            "more": _cards(more.order_by("-updated")[:4]),
            "og_image": absolute(photo_path(product, 0)) if photos else "",
        },
    )


@require_safe
def order(request, slug, code):
    """The "Pesan lewat WhatsApp" link: count the click, then on to wa.me."""
    village = public_village(slug)
    product = get_object_or_404(published(village), code=code)
    target = order_link(product)
    if not target:
        return page(request, village, "public/no_whatsapp.html", status=404)
    if _is_person(request):
        do_count(product, "order_clicks", village.local_now().date())
    response = HttpResponseRedirect(target)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _file(photo: ProductPhoto, variant: str):
    if variant not in VARIANTS:
        raise Http404
    name, content_type = VARIANTS[variant]
    field = getattr(photo, name)
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except OSError:
        raise Http404 from None
    return FileResponse(handle, content_type=content_type)


@require_safe
@cache_control(public=True, max_age=86400)
def photo(request, slug, code, index, variant):
    village = public_village(slug)
    product = get_object_or_404(published(village), code=code)
    photos = list(product.photos.all())
    if index >= len(photos):
        raise Http404
    return _file(photos[index], variant)


@require_safe
@cache_control(private=True, max_age=3600)
def signed_photo(request, slug, token, variant):
    try:
        data = signing.loads(token, salt=PHOTO_SALT, max_age=PHOTO_LINK_DAYS * 86400)
    except signing.BadSignature:
        raise Http404 from None
    photo = (
        ProductPhoto.objects.select_related("product")
        .filter(pk=data.get("p"), jpeg=data.get("f"), product__village__slug=slug)
        .first()
    )
    if photo is None:
        raise Http404
    return _file(photo, variant)
