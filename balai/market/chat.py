"""Sellers on WhatsApp: a photo with a caption becomes a product draft (shown back with
*Simpan* / *Ubah* / *Batal*), typed commands change their products ("ubah harga sokasi
30rb", "habis sokasi bundar", "tersedia …"), and sales are reported in their own words
("laku 3 sokasi 75rb") and confirmed with *Benar* / *Salah* before they are saved.

A seller is a resident with an active ``Seller`` row in the village; for everyone else the
assistant answers as it always does. Buyers get the catalogue link ("katalog"), and orders
sent to the village's number ("PESAN <kode>") are passed on to the seller.

Conversation state stays small: ``conv.step`` is ``produk:<kode>`` while a draft is shown
(photos without a caption join it) and ``produk-ubah:<kode>`` after *Ubah* (the next text
corrects it). Taps carry what they confirm in their ids (``prod:…``).
"""

import datetime as dt
import importlib.util
import logging

from django.db import transaction
from django.db.models import Count
from django.utils import formats
from django.utils.text import slugify

from balai.conversations.hooks import reply_handler, word_handler
from balai.conversations.steps import words
from balai.core.jobs import enqueue_on_commit, job
from balai.market import actions, catalogue, parsing
from balai.market.models import Category, Product, ProductPhoto, Sale, Seller, Stock
from balai.market.photos import PhotoError, do_add_photo
from balai.market.sales import seller_month
from balai.nlu.normalise import parse_quantity
from balai.whatsapp import messages as build
from balai.whatsapp.models import InboundMessage, Media

logger = logging.getLogger(__name__)

PREFIX = "prod"
STEP_DRAFT = "produk:"
STEP_EDIT = "produk-ubah:"
DRAFT_HOURS = 24
ORDER_PURPOSE = "market_order"

STOCK_WORDS = {
    "habis": Stock.SOLD_OUT, "kosong": Stock.SOLD_OUT, "sold": Stock.SOLD_OUT,
    "tersedia": Stock.AVAILABLE, "ready": Stock.AVAILABLE, "redi": Stock.AVAILABLE,
    "restok": Stock.AVAILABLE, "ada": Stock.AVAILABLE,
    "pesanan": Stock.TO_ORDER, "po": Stock.TO_ORDER,
}  # fmt: skip
# "ada" alone is a question from anyone ("ada sokasi?"): only after "stok".
STOCK_FIRST = set(STOCK_WORDS) - {"ada", "sold"}
PRICE_STARTS = ("ubah harga", "ganti harga", "harga baru", "update harga", "ubah hrg", "ganti hrg")
LIST_WORDS = {"produk saya", "daftar produk", "produkku", "produk ku", "lihat produk saya"}
SUMMARY_WORDS = {"rekap", "rekap penjualan", "laporan penjualan", "rekap jualan", "omzet",
                 "penjualan bulan ini", "total penjualan"}  # fmt: skip
HELP_WORDS = {"jualan", "menu jualan", "bantuan jualan", "cara jualan", "menu penjual"}
CATALOGUE_WORDS = {"katalog", "katalog produk", "produk desa", "lihat katalog"}
OWN_CATALOGUE = {"katalog saya", "katalogku", "katalog ku"}
CATALOGUE_IGNORE = {"katalog", "produk", "umkm", "desa", "beli", "mau", "cari", "lihat", "apa",
                    "berapa", "pesan", "saya", "aku", "ingin", "pengen", "di", "ini", "gak", "ga",
                    "nggak", "ya", "kah", "dong", "nya", "siapa", "dimana", "mana"}  # fmt: skip

EDIT_FIRST = {"kategori", "satuan", "per", "ket", "keterangan", "deskripsi", "harga", "nama"}
# What a seller may still mean otherwise while a draft waits for a correction after *Ubah*.
NOT_EDITS = {"aduan", "pengaduan", "lapor", "aspirasi", "usulan", "saran", "info", "langganan",
             "status", "cek status", "halo", "hai", "hallo", "pagi", "selamat pagi",
             "selamat siang", "selamat sore", "selamat malam", "terima kasih", "makasih",
             "trima kasih", "ok", "oke", "ya", "tidak", "assalamualaikum",
             "om swastyastu"}  # fmt: skip
PRICE_IGNORE = {"ubah", "ganti", "harga", "hrg", "baru", "update", "jadi", "menjadi", "rp"}
MORE_PHOTOS = "kirim foto lain tanpa keterangan untuk menambah"
NO_PRODUCTS = (
    "Bapak/Ibu belum punya produk di katalog. Kirim foto produk dengan keterangan nama dan "
    "harga untuk menambah, mis. *sokasi bundar 25rb*."
)
SELLER_HELP = (
    "Yang bisa Bapak/Ibu lakukan di sini sebagai penjual:\n"
    "• Kirim *foto produk* dengan keterangan nama dan harga, mis. _sokasi bundar 25rb_\n"
    "• *laku 3 sokasi 75rb*: catat penjualan\n"
    "• *ubah harga sokasi 30rb*\n"
    "• *habis sokasi bundar* / *tersedia sokasi bundar*\n"
    "• *produk saya*: daftar produk\n"
    "• *rekap*: penjualan bulan ini\n"
    "• *katalog saya*: alamat katalog Bapak/Ibu"
)
NEED_CAPTION = (
    "Foto sudah kami terima. Untuk menambah produk ke katalog, kirim lagi fotonya dengan "
    "keterangan nama dan harga, mis. *sokasi bundar 25rb*."
)
EDIT_HELP = (
    "Silakan ketik yang benar, mis.:\n"
    "• *sokasi bundar besar 30rb* (nama dan harga)\n"
    "• *30rb* (harga saja)\n"
    "• *kategori makanan*\n"
    "• *satuan pasang*\n"
    "• *ket anyaman bambu halus, diameter 20 cm* (keterangan)\n"
    "Untuk menambah foto, kirim foto tanpa keterangan."
)


def active_seller(resident, village) -> Seller | None:
    if resident is None:
        return None
    return (
        Seller.objects.filter(village=village, resident=resident, is_active=True)
        .select_related("village", "resident")
        .first()
    )


def _title(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unit(product: Product) -> str:
    return product.unit or "buah"


def _day_label(turn, day: dt.date) -> str:
    date = formats.date_format(day, "j F Y")
    if day == turn.today:
        return f"hari ini, {date}"
    if day == turn.today - dt.timedelta(days=1):
        return f"kemarin, {date}"
    return date


# --- drafts from photos ----------------------------------------------------------------------


def _draft(turn, seller: Seller, prefix: str) -> Product | None:
    step = turn.conv.step or ""
    if not step.startswith(prefix):
        return None
    return (
        seller.products.filter(
            code=step.removeprefix(prefix),
            is_published=False,
            updated__gte=turn.now - dt.timedelta(hours=DRAFT_HOURS),
        )
        .select_related("village")
        .first()
    )


def _media(turn) -> Media | None:
    # Read afresh: the inbox stored the file after the message object was loaded.
    return Media.objects.filter(message=turn.message).first()


def _photo_bytes(media: Media | None) -> bytes | None:
    if media is None or media.state != Media.State.STORED or not media.file:
        return None
    with media.file.open("rb") as f:
        return f.read()


def _default_category(seller: Seller) -> str:
    top = (
        seller.products.values("category")
        .annotate(n=Count("pk"))
        .order_by("-n", "category")
        .values_list("category", flat=True)
        .first()
    )
    return top or Category.OTHER


def draft_summary(product: Product) -> str:
    photos = product.photos.count()
    lines = [
        f"Draf produk untuk katalog {product.village}:",
        "",
        f"*{product.name or '(nama belum ada)'}*",
        f"Harga: {product.price_label} per {_unit(product)}"
        if product.price
        else "Harga: (belum ada)",
        f"Kategori: {product.get_category_display()}",
        f"Foto: {photos}" + (f" ({MORE_PHOTOS})" if photos < ProductPhoto.MAX else ""),
    ]
    if product.description:
        lines.append(f"Keterangan: {_title(product.description, 300)}")
    return "\n".join(lines)


def show_draft(turn, product: Product, *, with_photo: bool = False) -> None:
    """The draft back to the seller: its photo, what was understood, and the buttons. A
    draft without a name or price asks for it first."""
    if with_photo:
        cover = product.photos.order_by("position", "pk").first()
        if cover is not None:
            turn.say(
                build.image(
                    link=catalogue.signed_photo_url(cover),
                    caption=f"Foto untuk *{product.name or 'produk baru'}*",
                )
            )
    summary = draft_summary(product)
    code = product.code
    if not product.name or not product.price:
        missing = " dan ".join(
            what for what, ok in [("nama", product.name), ("harga", product.price)] if not ok
        )
        turn.conv.step = STEP_EDIT + code
        turn.say(
            build.buttons(
                f"{summary}\n\nMohon ketik {missing} produknya, mis. *sokasi bundar 25rb*.",
                [(f"{PREFIX}:batal:{code}", "Batal")],
            )
        )
        return
    turn.conv.step = STEP_DRAFT + code
    turn.say(
        build.buttons(
            f"{summary}\n\nSudah benar? Tekan *Simpan* agar tampil di katalog desa.",
            [
                (f"{PREFIX}:simpan:{code}", "Simpan"),
                (f"{PREFIX}:ubah:{code}", "Ubah"),
                (f"{PREFIX}:batal:{code}", "Batal"),
            ],
        )
    )


def on_seller_photo(turn) -> bool:
    """The route's hook for images: True when the sender is a seller and the photo was
    taken as (part of) a product; False leaves it to the assistant."""
    seller = active_seller(turn.resident, turn.village)
    if seller is None:
        return False
    caption = turn.text
    if caption and _seller_command(turn, seller, words(caption), caption):
        return True  # "laku 3 sokasi 75rb" with a picture of the sale
    draft = _draft(turn, seller, STEP_DRAFT) or _draft(turn, seller, STEP_EDIT)
    if not caption and draft is None:
        turn.say(NEED_CAPTION)
        return True
    media = _media(turn)
    data = _photo_bytes(media)
    if data is None:
        turn.say("Mohon maaf, fotonya belum sampai ke kami. Silakan kirim sekali lagi.")
        return True
    if not caption:
        try:
            do_add_photo(draft, data, media.filename)
        except PhotoError as e:
            turn.say(str(e))
            return True
        name = draft.name or "produk baru"
        turn.say(f"Foto ke-{draft.photos.count()} untuk *{name}* sudah ditambahkan.")
        show_draft(turn, draft)
        return True
    parsed = parsing.parse_caption(caption, _default_category(seller))
    try:
        with transaction.atomic():
            product = actions.do_create_draft(
                seller,
                name=parsed.name,
                price=parsed.price or 0,
                unit=parsed.unit,
                category=parsed.category,
                description=parsed.description,
            )
            do_add_photo(product, data, media.filename)
    except PhotoError as e:
        turn.say(str(e))
        return True
    show_draft(turn, product, with_photo=True)
    return True


def _edit_draft(turn, seller: Seller, product: Product, text: str) -> None:
    plain = words(text)
    first, _, rest = plain.partition(" ")
    raw_rest = text.strip().split(None, 1)[1] if len(text.split()) > 1 else ""
    if first == "kategori" and rest:
        choices = {value: label for value, label in Category.choices}
        found = parsing.match_products(rest, [_Named(v, label) for v, label in choices.items()])
        if len(found) != 1:
            names = ", ".join(label.lower() for label in choices.values())
            turn.say(f"Kategori tidak dikenali. Pilih salah satu: {names}.")
            return
        actions.do_update_product(product, category=found[0].value)
    elif first in {"satuan", "per"} and rest:
        unit = parsing.UNITS.get(rest.split()[0], rest.split()[0])[:30]
        actions.do_update_product(product, unit=unit)
    elif first in {"ket", "keterangan", "deskripsi"} and raw_rest:
        actions.do_update_product(product, description=raw_rest[:2000])
    elif first == "nama" and raw_rest and not parsing.money_spans(rest):
        actions.do_update_product(product, name=parsing.tidy_name(raw_rest))
    else:
        parsed = parsing.parse_caption(text, product.category)
        changes = {}
        if parsed.price:
            changes["price"] = parsed.price
        if parsed.unit:
            changes["unit"] = parsed.unit
        if parsed.name:
            changes["name"] = parsed.name
            if product.category == Category.OTHER:
                changes["category"] = parsed.category
        if parsed.description:
            changes["description"] = parsed.description
        if not changes:
            turn.say(EDIT_HELP)
            return
        actions.do_update_product(product, **changes)
    show_draft(turn, product)


class _Named:
    """A category dressed as a product for ``match_products``."""

    def __init__(self, value, label):
        self.value, self.name = value, label


# --- posts for social media (the content helper's functions) ---------------------------------


def content_available() -> bool:
    return importlib.util.find_spec("balai.market.content") is not None


@job()
def make_posts(product_id: int) -> str:
    """After *Simpan*: ready-to-post images and a caption, sent to the seller on WhatsApp."""
    from balai.market.content import do_generate_posts, do_send_posts_to_seller

    product = (
        Product.objects.filter(pk=product_id, is_published=True)
        .select_related("seller__resident", "village")
        .first()
    )
    if product is None:
        return "not published"
    posts = do_generate_posts(product)
    sent = do_send_posts_to_seller(product, posts)
    return f"{len(posts)} posts, {sent} sent"


# --- taps ----------------------------------------------------------------------------------


@reply_handler(PREFIX)
def on_tap(turn, rest: str) -> bool:
    seller = active_seller(turn.resident, turn.village)
    if seller is None:
        return False
    action, _, arg = rest.partition(":")
    handler = TAPS.get(action)
    return bool(handler and handler(turn, seller, arg) is not False)


def _own(seller: Seller, code: str, **filters) -> Product | None:
    return seller.products.filter(code=code, **filters).select_related("village").first()


def _tap_save(turn, seller, code):
    product = _own(seller, code)
    if product is None:
        turn.say(
            "Draf produk ini sudah tidak ada. Kirim lagi fotonya dengan keterangan nama dan harga."
        )
        return
    if product.is_published:
        turn.say(f"*{product.name}* sudah tampil di katalog: {catalogue.product_url(product)}")
        return
    if not product.name or not product.price:
        show_draft(turn, product)
        return
    actions.do_publish(product)
    turn.conv.step = ""
    lines = [
        f"Baik, Bapak/Ibu. *{product.name}* sudah tampil di katalog {product.village}:",
        catalogue.product_url(product),
        "",
        "Pembeli bisa langsung memesan lewat WhatsApp dari halaman itu.",
    ]
    if content_available():
        lines.append(
            "Gambar dan keterangan siap unggah untuk Facebook dan Instagram sedang kami buat "
            "dan segera kami kirim ke sini."
        )
        enqueue_on_commit(make_posts, product.pk)
    turn.say("\n".join(lines))


def _tap_edit(turn, seller, code):
    product = _own(seller, code, is_published=False)
    if product is None:
        turn.say("Draf produk ini sudah tidak ada atau sudah disimpan.")
        return
    turn.conv.step = STEP_EDIT + code
    turn.say(EDIT_HELP)


def _tap_cancel(turn, seller, code):
    product = _own(seller, code)
    if product is None or product.is_published:
        turn.say("Tidak ada draf yang perlu dibatalkan.")
        return
    name = product.name
    actions.do_discard_draft(product)
    turn.conv.step = ""
    turn.say(f"Baik, draf *{name or 'produk baru'}* dibatalkan dan tidak kami simpan.")


def _tap_stock(turn, seller, arg):
    code, _, stock = arg.partition(":")
    product = _own(seller, code)
    if product is None or stock not in Stock.values:
        return False
    _set_stock(turn, product, stock)


def _tap_price(turn, seller, arg):
    code, _, amount = arg.partition(":")
    product = _own(seller, code)
    if product is None or not amount.isdigit():
        return False
    _set_price(turn, product, int(amount))


def _sale_args(arg: str):
    """``<message>:<quantity>:<amount>:<per unit 0/1>:<product code or ->:<days ago>``"""
    parts = arg.split(":")
    if len(parts) != 6 or not all(p.isdigit() for p in parts[:4] + parts[5:]):
        return None
    message, quantity, amount, per_unit, code, days = parts
    return int(message), int(quantity), int(amount), per_unit == "1", code, int(days)


def _tap_pick(turn, seller, arg):
    """A product picked from the list for a sale: now confirm it."""
    args = _sale_args(arg)
    if args is None:
        return False
    message, quantity, amount, per_unit, code, days = args
    product = _own(seller, code) if code != "-" else None
    sale = parsing.SaleText(quantity, amount or None, per_unit, "", "", False)
    confirm_sale(turn, message, sale, product, days)


def _tap_sale(turn, seller, arg):
    args = _sale_args(arg)
    if args is None:
        return False
    message_id, quantity, amount, _per_unit, code, days = args
    message = InboundMessage.objects.filter(pk=message_id, resident=turn.resident).first()
    if message is None:
        return False
    if Sale.objects.filter(message=message).exists():
        turn.say("Penjualan ini sudah tercatat sebelumnya. Terima kasih.")
        return
    product = _own(seller, code) if code != "-" else None
    day = turn.today - dt.timedelta(days=min(days, 31))
    try:
        actions.do_record_sale(
            seller,
            product=product,
            quantity=quantity,
            amount=amount,
            sold_on=day,
            source=Sale.Source.WHATSAPP,
            text=message.text,
            message=message,
        )
    except actions.MarketError as e:
        turn.say(str(e))
        return
    month = seller_month(seller, day)
    month_name = formats.date_format(day, "F Y")
    turn.say(
        f"Tercatat. Terima kasih, Bapak/Ibu.\n\nPenjualan {month_name}: {month.quantity} "
        f"barang, total {parsing.rupiah(month.amount)}."
    )


def _tap_wrong(turn, seller, arg):
    turn.say(
        "Baik, tidak kami catat. Silakan ketik ulang penjualannya, mis. *laku 3 sokasi 75rb* "
        "(jumlah barang, nama produk, dan uang yang diterima)."
    )


TAPS = {
    "simpan": _tap_save,
    "ubah": _tap_edit,
    "batal": _tap_cancel,
    "stok": _tap_stock,
    "harga": _tap_price,
    "pilih": _tap_pick,
    "laku": _tap_sale,
    "salah": _tap_wrong,
}


# --- typed commands -------------------------------------------------------------------------


@word_handler
def on_words(turn, plain: str) -> bool:
    if not plain:
        return False
    first = plain.split(" ", 1)[0]
    if plain in CATALOGUE_WORDS or (first == "katalog" and plain not in OWN_CATALOGUE):
        answer_catalogue(turn, plain.removeprefix("katalog").strip())
        return True
    if first == "pesan" and _relay_order(turn, plain):
        return True
    step = turn.conv.step or ""
    # While a draft is shown, "kategori makanan", "harga 30rb" or "satuan pasang" correct it;
    # after *Ubah*, any text does.
    correcting = step.startswith(STEP_DRAFT) and (
        first in EDIT_FIRST or bool(parsing.money_spans(plain))
    )
    editing = step.startswith(STEP_EDIT) and not (
        plain in NOT_EDITS or plain.startswith(("layanan ", "langganan "))
    )
    if not (
        editing
        or correcting
        or first in STOCK_FIRST
        or first in {"stok", "stock"}
        or plain.startswith(PRICE_STARTS)
        or plain in LIST_WORDS | SUMMARY_WORDS | HELP_WORDS | OWN_CATALOGUE
        or parsing.is_sale(plain)
    ):
        return False
    seller = active_seller(turn.resident, turn.village)
    if seller is None:
        return False
    if _seller_command(turn, seller, plain, turn.text):
        return True
    draft = (_draft(turn, seller, STEP_EDIT) if editing else None) or (
        _draft(turn, seller, STEP_DRAFT) if correcting else None
    )
    if draft is not None:
        _edit_draft(turn, seller, draft, turn.text)
        return True
    return False


def _seller_command(turn, seller: Seller, plain: str, text: str) -> bool:
    first, _, rest = plain.partition(" ")
    if plain in HELP_WORDS:
        turn.say(SELLER_HELP)
    elif plain in LIST_WORDS:
        _list_products(turn, seller)
    elif plain in OWN_CATALOGUE:
        turn.say(f"Katalog {seller.business_name}:\n{catalogue.seller_url(seller)}")
    elif plain in SUMMARY_WORDS:
        _month_summary(turn, seller)
    elif plain.startswith(PRICE_STARTS):
        _price_command(turn, seller, text)
    elif first in {"stok", "stock"} and rest.split(" ", 1)[0] in STOCK_WORDS:
        state_word, _, query = rest.partition(" ")
        _stock_command(turn, seller, STOCK_WORDS[state_word], query)
    elif first in STOCK_FIRST and not parsing.is_sale(plain):
        _stock_command(turn, seller, STOCK_WORDS[first], rest)
    elif parsing.is_sale(plain):
        handle_sale(turn, seller, text)
    else:
        return False
    return True


def _choose(turn, body: str, button: str, rows: list[tuple[str, str, str]]) -> None:
    turn.say(build.list_message(body, button, [("", rows[: build.LIST_ROWS_MAX])]))


def _product_rows(products, make_id) -> list[tuple[str, str, str]]:
    return [
        (
            make_id(p),
            _title(p.name or "(tanpa nama)", build.ROW_TITLE_MAX),
            _title(
                f"{p.price_label} per {_unit(p)} · {p.get_stock_display()}",
                build.ROW_DESCRIPTION_MAX,
            ),
        )
        for p in products
    ]


def _find(seller: Seller, query: str) -> tuple[list[Product], list[Product]]:
    products = list(seller.products.order_by("name", "pk"))
    if not query:
        return ([products[0]] if len(products) == 1 else []), products
    return parsing.match_products(query, products), products


def _stock_command(turn, seller, stock: str, query: str) -> None:
    found, products = _find(seller, query)
    if not products:
        turn.say(NO_PRODUCTS)
    elif len(found) == 1:
        _set_stock(turn, found[0], stock)
    else:
        label = Stock(stock).label.lower()
        _choose(
            turn,
            f"Produk mana yang {label}?",
            "Pilih produk",
            _product_rows(found or products, lambda p: f"{PREFIX}:stok:{p.code}:{stock}"),
        )


def _set_stock(turn, product: Product, stock: str) -> None:
    actions.do_set_stock(product, stock)
    if stock == Stock.SOLD_OUT:
        text = (
            f"Baik, *{product.name}* kami tandai *habis*. Ketik *tersedia "
            f"{product.name.lower()}* bila sudah ada lagi."
        )
    elif stock == Stock.TO_ORDER:
        text = f"Baik, *{product.name}* kami tandai *pesan dulu* (dibuat setelah dipesan)."
    else:
        text = f"Baik, *{product.name}* kami tandai *tersedia* lagi."
    turn.say(text)


def _price_command(turn, seller, text: str) -> None:
    low = text.lower()
    spans = parsing.money_spans(low)
    if not spans:
        turn.say("Harga barunya berapa? Ketik mis. *ubah harga sokasi bundar 30rb*.")
        return
    amount = spans[0][2]
    query = parsing._cut(low, [(s, e) for s, e, _ in spans[:1]])
    query = " ".join(w for w in words(query).split() if w not in PRICE_IGNORE)
    found, products = _find(seller, query)
    if not products:
        turn.say(NO_PRODUCTS)
    elif len(found) == 1:
        _set_price(turn, found[0], amount)
    else:
        _choose(
            turn,
            f"Harga produk mana yang diubah menjadi {parsing.rupiah(amount)}?",
            "Pilih produk",
            _product_rows(found or products, lambda p: f"{PREFIX}:harga:{p.code}:{amount}"),
        )


def _set_price(turn, product: Product, amount: int) -> None:
    before = product.price_label
    try:
        actions.do_set_price(product, amount)
    except actions.MarketError as e:
        turn.say(str(e))
        return
    turn.say(
        f"Baik, harga *{product.name}* sekarang {product.price_label} per {_unit(product)} "
        f"(sebelumnya {before})."
    )


def _list_products(turn, seller) -> None:
    products = list(seller.products.order_by("-is_published", "name", "pk")[:30])
    if not products:
        turn.say("Bapak/Ibu belum punya produk. " + NEED_CAPTION.split(". ", 1)[1])
        return
    lines = [f"Produk {seller.business_name}:"]
    for p in products:
        state = p.get_stock_display().lower() if p.is_published else "draf, belum disimpan"
        lines.append(f"• {p.name or '(tanpa nama)'}: {p.price_label} ({state})")
    lines += ["", f"Katalog: {catalogue.seller_url(seller)}"]
    turn.say("\n".join(lines))


def _month_summary(turn, seller) -> None:
    month = seller_month(seller, turn.today)
    name = formats.date_format(turn.today, "F Y")
    if not month.count:
        turn.say(
            f"Belum ada penjualan tercatat di {name}. Catat dengan mengetik mis. "
            "*laku 3 sokasi 75rb*."
        )
        return
    turn.say(
        f"Penjualan {seller.business_name} di {name}: {month.count} kali, {month.quantity} "
        f"barang, total {parsing.rupiah(month.amount)}."
    )


# --- sales ----------------------------------------------------------------------------------


def handle_sale(turn, seller: Seller, text: str) -> None:
    """ "laku 3 sokasi 75rb" → the product, quantity and amount, shown back to confirm."""
    sale = parsing.parse_sale(text)
    products = list(seller.products.filter(is_published=True).order_by("name", "pk"))
    days = 1 if sale.yesterday else 0
    message = turn.message.pk
    candidates = parsing.product_for_sale(sale, products)
    if len(candidates) == 1:
        confirm_sale(turn, message, sale, candidates[0], days)
        return
    if not products:
        confirm_sale(turn, message, sale, None, days)
        return
    per = "1" if sale.per_unit else "0"
    amount = sale.amount or 0
    base = f"{PREFIX}:pilih:{message}:{sale.quantity}:{amount}:{per}"
    rows = _product_rows((candidates or products)[:9], lambda p: f"{base}:{p.code}:{days}")
    if sale.amount:
        rows.append((f"{base}:-:{days}", "Produk lain", "Tidak ada di daftar"))
    _choose(
        turn,
        f"Produk apa yang laku ({sale.quantity} {sale.unit or 'barang'})?",
        "Pilih produk",
        rows,
    )


def confirm_sale(turn, message_id: int, sale, product: Product | None, days: int) -> None:
    amount = sale.total(product.price if product else None)
    if amount is None:
        turn.say(
            "Berapa uang yang diterima? Mohon ketik lagi lengkap dengan jumlahnya, mis. "
            "*laku 3 sokasi 75rb*."
        )
        return
    unit = _unit(product) if product else (sale.unit or "barang")
    each = ""
    if sale.quantity > 1 and amount % sale.quantity == 0:
        each = f" ({sale.quantity} × {parsing.rupiah(amount // sale.quantity)})"
    day = turn.today - dt.timedelta(days=days)
    lines = [
        "Mohon periksa penjualan ini:",
        "",
        f"• Produk: {product.name if product else '(tidak ada di katalog)'}",
        f"• Jumlah: {sale.quantity} {unit}",
        f"• Uang diterima: {parsing.rupiah(amount)}{each}",
        f"• Tanggal: {_day_label(turn, day)}",
    ]
    if sale.amount is None and product is not None:
        lines.append(f"  (dihitung dari harga katalog {product.price_label})")
    code = product.code if product else "-"
    turn.say(
        build.buttons(
            "\n".join(lines) + "\n\nSudah benar?",
            [
                (f"{PREFIX}:laku:{message_id}:{sale.quantity}:{amount}:0:{code}:{days}", "Benar"),
                (f"{PREFIX}:salah", "Salah"),
            ],
        )
    )


def answer_sales_intent(turn, text: str) -> None:
    """The recogniser heard a sales report ("hari ini laku 7 pcs") or a question about one."""
    seller = active_seller(turn.resident, turn.village)
    if seller is None:
        turn.say(
            "Pencatatan penjualan lewat WhatsApp ini untuk penjual yang terdaftar di katalog "
            f"{turn.village}. Bila Bapak/Ibu berjualan dan ingin didaftarkan, hubungi "
            "pendamping atau kantor desa."
        )
        return
    low = text.lower()
    if parsing.money_spans(low) or parse_quantity(low):
        handle_sale(turn, seller, text)
        return
    _month_summary(turn, seller)
    turn.say("Untuk mencatat penjualan, ketik mis. *laku 3 sokasi 75rb*.")


# --- buyers ---------------------------------------------------------------------------------


def answer_catalogue(turn, text: str = "") -> None:
    """The catalogue link; with a product in the question ("ada jual sokasi?") the closest
    products with their own links."""
    village = turn.village
    products = catalogue.visible(village).select_related("seller", "village")
    total = products.count()
    if not total:
        turn.say(
            f"Katalog produk UMKM {village} belum berisi produk. Ketik *menu* untuk layanan lain."
        )
        return
    lines = []
    query = " ".join(
        w
        for w in words(text).split()
        if w not in parsing.FILLER and w not in CATALOGUE_IGNORE and not w.isdigit()
    )
    seller = Seller.objects.filter(village=village, is_active=True, slug=slugify(text)).first()
    if seller is not None and text:
        turn.say(f"Produk {seller.business_name}:\n{catalogue.seller_url(seller)}")
        return
    if query:
        found = parsing.match_products(query, list(products.order_by("name")[:500]), limit=5)
        for product in found[:5]:
            lines.append(
                f"• *{product.name}*: {product.price_label} ({product.seller.business_name})\n"
                f"  {catalogue.product_url(product)}"
            )
    head = f"Katalog produk UMKM {village}: {total} produk buatan warga."
    if lines:
        head += "\n\nYang cocok dengan pencarian Anda:\n" + "\n".join(lines)
    turn.say(
        build.text(
            f"{head}\n\nSemua produk: {catalogue.catalogue_url(village)}\nPilih produknya, lalu "
            "tekan *Pesan lewat WhatsApp*.",
            preview_url=not lines,
        )
    )


def _relay_order(turn, plain: str) -> bool:
    """ "PESAN <kode> …" from a catalogue link of a seller who takes orders through the
    village's number: passed to the seller, with the buyer's number the buyer agreed to
    share (the typed text says so)."""
    from balai.whatsapp.outbox import NoChannel, do_send

    parts = plain.split()
    if len(parts) < 2:
        return False
    product = (
        catalogue.visible(turn.village)
        .filter(code=parts[1].upper())
        .select_related("seller__resident", "village")
        .first()
    )
    if product is None:
        return False
    seller = product.seller
    buyer = turn.resident
    phone = buyer.phone or "(nomor tidak diketahui)"
    note = turn.text.strip().split("\n", 1)[1].strip() if "\n" in turn.text.strip() else ""
    text = (
        f"Pesanan baru dari katalog {product.village}:\n*{product.name}* "
        f"({product.price_label} per {_unit(product)})\n\nPembeli: {buyer.name} {phone}\n"
        + (f"Pesan: {_title(note, 500)}\n" if note else "")
        + f"\nSilakan hubungi pembeli lewat WhatsApp: https://wa.me/{phone.lstrip('+')}"
    )
    try:
        do_send(
            seller.resident,
            build.text(text),
            purpose=ORDER_PURPOSE,
            template_values={"produk": product.name},
        )
    except NoChannel:
        return False
    turn.say(
        f"Terima kasih, Bapak/Ibu. Pesanan *{product.name}* sudah kami teruskan ke "
        f"{seller.business_name} bersama nomor WhatsApp Anda. Penjual akan menghubungi Anda "
        "untuk harga akhir, ongkos kirim, dan pembayaran."
    )
    return True
