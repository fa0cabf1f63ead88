"""Demo data for the UMKM catalogue: the sokasi makers of Tigawasa (seed 001) and the
market traders of Pondok (seed 000), with products, drawn product photos, six months of
sales (fewer before the programme began, the baseline of seed 004) and a month of catalogue
counts. ``seed_market(village, rng)`` is called once per village by ``balai.core.demo``."""

import datetime as dt
import io
import math
import random

from balai.market.actions import do_add_seller, do_create_draft
from balai.market.models import Category, DailyCount, Product, Sale, Seller, Stock
from balai.market.photos import do_add_photo
from balai.residents.models import Resident

PHOTO_SIZE = 640
PROGRAMME_DAYS_AGO = 50  # when the demo programmes started (balai.programmes.demo)

# (resident name, business name, description, [(product, category, price, unit, shape,
# colour, description)])
TIGAWASA = [
    (
        "Ni Ketut Sariani",
        "Sokasi Bu Sariani",
        "Anyaman sokasi bambu buatan tangan, diwarisi turun-temurun di Banjar Dinas Dauh Pura.",
        [
            (
                "Sokasi bundar kecil",
                Category.CRAFT,
                25_000,
                "buah",
                "round",
                (196, 154, 92),
                "Diameter 20 cm, anyaman rapat, cocok untuk tempat canang.",
            ),
            (
                "Sokasi bundar besar",
                Category.CRAFT,
                45_000,
                "buah",
                "round",
                (176, 128, 70),
                "Diameter 35 cm dengan tutup.",
            ),
            (
                "Sokasi tiga susun",
                Category.CRAFT,
                150_000,
                "set",
                "stack",
                (150, 104, 60),
                "Tiga sokasi bertumpuk, hiasan prada emas.",
            ),
        ],
    ),
    (
        "I Wayan Sudiarta",
        "Kerajinan Bambu Sudiarta",
        "Sokasi dan keben untuk upacara dan oleh-oleh.",
        [
            (
                "Keben persegi",
                Category.CRAFT,
                85_000,
                "buah",
                "square",
                (120, 84, 50),
                "Keben anyaman bambu, 30 × 30 cm.",
            ),
            (
                "Sokasi cat merah",
                Category.CRAFT,
                60_000,
                "buah",
                "round",
                (170, 52, 44),
                "Sokasi bundar dicat merah dengan motif emas.",
            ),
        ],
    ),
    (
        "Ni Made Rastini",
        "Rastini Sokasi",
        "",
        [
            (
                "Sokasi motif poleng",
                Category.CRAFT,
                55_000,
                "buah",
                "round",
                (60, 60, 60),
                "Motif kotak hitam-putih khas Bali.",
            ),
            (
                "Tempat tisu anyaman",
                Category.CRAFT,
                35_000,
                "buah",
                "square",
                (205, 170, 110),
                "Tempat tisu dari anyaman bambu halus.",
            ),
        ],
    ),
    (
        "Ni Nyoman Suartini",
        "Sokasi Suartini",
        "",
        [
            (
                "Sokasi mini (isi 5)",
                Category.CRAFT,
                50_000,
                "pak",
                "round",
                (214, 180, 120),
                "Lima sokasi kecil, untuk suvenir pernikahan.",
            ),
        ],
    ),
    (
        "I Ketut Widana",
        "Widana Keben & Sokasi",
        "Keben besar untuk seserahan.",
        [
            (
                "Keben seserahan",
                Category.CRAFT,
                250_000,
                "buah",
                "square",
                (140, 40, 36),
                "Keben besar berukir, lengkap dengan tutup.",
            ),
            (
                "Dulang anyaman",
                Category.OFFERING,
                120_000,
                "buah",
                "stack",
                (160, 116, 64),
                "Dulang untuk sarana upakara.",
            ),
        ],
    ),
    (
        "Ni Luh Sukerni",
        "Sukerni Craft",
        "",
        [
            (
                "Tas anyaman bambu",
                Category.CRAFT,
                95_000,
                "buah",
                "bag",
                (186, 140, 82),
                "Tas jinjing anyaman bambu dengan tali kulit.",
            ),
        ],
    ),
    (
        "I Made Arsana",
        "Anyaman Pak Arsana",
        "Besek dan keranjang bambu.",
        [
            (
                "Besek (isi 10)",
                Category.CRAFT,
                30_000,
                "pak",
                "square",
                (200, 164, 100),
                "Besek bambu untuk wadah makanan, isi 10.",
            ),
            ("Keranjang bambu", Category.CRAFT, 40_000, "buah", "bag", (170, 130, 76), ""),
        ],
    ),
    (
        "Ni Putu Ayu Wulandari",
        "Ayu Sokasi Modern",
        "Sokasi warna-warni untuk hiasan rumah.",
        [
            (
                "Sokasi pastel",
                Category.CRAFT,
                65_000,
                "buah",
                "round",
                (120, 170, 190),
                "Sokasi dicat warna pastel, untuk hiasan dan hampers.",
            ),
        ],
    ),
]

PONDOK = [
    (
        "Sumiyati",
        "Nasi Bu Sumi",
        "Nasi rames dan nasi kotak untuk acara.",
        [
            (
                "Nasi kotak ayam",
                Category.FOOD,
                20_000,
                "kotak",
                "plate",
                (230, 190, 80),
                "Nasi, ayam goreng, sayur, sambal, kerupuk.",
            ),
            ("Nasi pecel", Category.FOOD, 10_000, "porsi", "plate", (120, 160, 70), ""),
        ],
    ),
    (
        "Darmaji",
        "Ikan Segar Pak Darmaji",
        "",
        [
            ("Lele segar", Category.FISH, 28_000, "kg", "fish", (110, 120, 110), ""),
            ("Nila segar", Category.FISH, 35_000, "kg", "fish", (150, 160, 170), ""),
        ],
    ),
    (
        "Tumini",
        "Busana Bu Tumini",
        "",
        [
            (
                "Daster batik",
                Category.CLOTHING,
                45_000,
                "potong",
                "cloth",
                (60, 80, 140),
                "Ukuran M sampai XXL.",
            ),
        ],
    ),
    (
        "Ngatini",
        "Bunga Bu Ngatini",
        "Kembang setaman dan bunga tabur.",
        [
            (
                "Kembang setaman",
                Category.OFFERING,
                10_000,
                "bungkus",
                "flowers",
                (220, 80, 110),
                "",
            ),
        ],
    ),
    (
        "Slamet Riyadi",
        "Sayur Pak Slamet",
        "",
        [
            ("Paket sayur asem", Category.FARM, 8_000, "bungkus", "flowers", (90, 150, 60), ""),
            ("Cabai rawit", Category.FARM, 40_000, "kg", "flowers", (200, 40, 30), ""),
        ],
    ),
    (
        "Wagiyem",
        "Jajan Pasar Mbok Wagiyem",
        "Jajanan pasar dibuat pagi hari.",
        [
            ("Klepon (isi 10)", Category.FOOD, 10_000, "kotak", "plate", (70, 150, 70), ""),
            ("Kue lapis", Category.FOOD, 12_000, "kotak", "plate", (200, 90, 120), ""),
        ],
    ),
]
SELLERS = {"tigawasa": TIGAWASA, "pondok": PONDOK}


def _weave(draw, box, colour, rng_step=14):
    """Criss-cross strips inside ``box``: a woven look, in shades of ``colour``."""
    x0, y0, x1, y1 = box
    light = tuple(min(255, c + 40) for c in colour)
    dark = tuple(max(0, c - 40) for c in colour)
    for i, x in enumerate(range(x0, x1, rng_step)):
        draw.rectangle([x, y0, x + rng_step // 2, y1], fill=light if i % 2 else dark)
    for j, y in enumerate(range(y0, y1, rng_step * 2)):
        draw.rectangle([x0, y, x1, y + rng_step // 3], fill=dark if j % 2 else light)


def _soft(size: int, box: list[int], fill: int, blur: int):
    """A blurred ellipse as a mask, drawn and blurred at a quarter size (blur is costly)."""
    from PIL import Image, ImageDraw, ImageFilter

    small = Image.new("L", (size // 4, size // 4), 0)
    ImageDraw.Draw(small).ellipse([v // 4 for v in box], fill=fill)
    return small.filter(ImageFilter.GaussianBlur(blur / 4)).resize((size, size))


def demo_photo(shape: str, colour: tuple[int, int, int], rng: random.Random) -> bytes:
    """A stand-in product photo drawn with Pillow: a soft background and the product's
    rough shape (the demo has no real pictures)."""
    from PIL import Image, ImageDraw

    size = PHOTO_SIZE
    back = rng.choice([(244, 239, 230), (236, 242, 238), (246, 236, 226), (232, 236, 244)])
    image = Image.new("RGB", (size, size), back)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, size * 2 // 3, size, size], fill=tuple(max(0, c - 18) for c in back))
    mid = size // 2
    image.paste((60, 50, 40), mask=_soft(size, [size // 6, size * 3 // 4 - 30, size * 5 // 6,
                                                size * 3 // 4 + 40], 90, 18))  # fmt: skip
    draw = ImageDraw.Draw(image)
    pattern = Image.new("RGB", (size, size), colour)
    _weave(ImageDraw.Draw(pattern), (0, 0, size, size), colour)
    mask = Image.new("L", (size, size), 0)
    m = ImageDraw.Draw(mask)
    if shape == "round":
        m.ellipse([mid - 220, mid - 60, mid + 220, mid + 230], fill=255)
        m.rectangle([mid - 220, mid - 160, mid + 220, mid + 85], fill=255)
        m.ellipse([mid - 220, mid - 250, mid + 220, mid - 70], fill=255)
    elif shape == "stack":
        for k, w in enumerate([240, 190, 140]):
            top = mid + 120 - k * 130
            m.rounded_rectangle([mid - w, top - 70, mid + w, top + 60], radius=40, fill=255)
    elif shape == "square":
        m.rounded_rectangle([mid - 200, mid - 170, mid + 200, mid + 220], radius=24, fill=255)
    elif shape == "bag":
        m.polygon([(mid - 230, mid - 60), (mid + 230, mid - 60), (mid + 180, mid + 230),
                   (mid - 180, mid + 230)], fill=255)  # fmt: skip
        m.arc([mid - 130, mid - 250, mid + 130, mid - 20], 180, 360, fill=255, width=26)
    elif shape == "plate":
        m.ellipse([mid - 260, mid - 130, mid + 260, mid + 210], fill=255)
    elif shape == "fish":
        m.ellipse([mid - 250, mid - 90, mid + 150, mid + 110], fill=255)
        m.polygon([(mid + 120, mid), (mid + 260, mid - 110), (mid + 260, mid + 110)], fill=255)
    elif shape == "cloth":
        m.rounded_rectangle([mid - 230, mid - 140, mid + 230, mid + 200], radius=18, fill=255)
    else:  # flowers, vegetables
        for _ in range(24):
            x, y = rng.randint(mid - 200, mid + 200), rng.randint(mid - 160, mid + 180)
            r = rng.randint(40, 75)
            m.ellipse([x - r, y - r, x + r, y + r], fill=255)
    if shape in {"plate", "fish", "cloth", "flowers"}:
        pattern = Image.new("RGB", (size, size), colour)
        p = ImageDraw.Draw(pattern)
        for _ in range(60):
            x, y, r = rng.randint(0, size), rng.randint(0, size), rng.randint(6, 22)
            tone = tuple(min(255, c + rng.randint(-50, 60)) for c in colour)
            p.ellipse([x - r, y - r, x + r, y + r], fill=tone)
        if shape == "plate":
            draw.ellipse([mid - 290, mid - 150, mid + 290, mid + 240], fill=(250, 250, 248))
    image.paste(pattern, mask=mask)
    # A little light from the top left, as a photo by a window would have.
    image.paste(
        (255, 255, 255), mask=_soft(size, [-size // 3, -size // 3, size // 2, size // 2], 40, 60)
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _resident(village, name: str, rng: random.Random) -> Resident:
    """The programme participant of that name, else a resident created for the demo."""
    from balai.programmes.models import Participant

    participant = (
        Participant.objects.filter(programme__village=village, resident__name=name)
        .select_related("resident")
        .first()
    )
    if participant is not None:
        return participant.resident
    found = Resident.objects.filter(village=village, name=name).first()
    return found or Resident.objects.create(
        village=village, name=name, phone=f"+62858{rng.randint(10000000, 99999999)}"
    )


def seed_market(village, rng: random.Random) -> list[Seller]:
    spec = SELLERS.get(village.slug)
    if spec is None or Seller.objects.filter(village=village).exists():
        return []
    today = village.local_now().date()
    started = today - dt.timedelta(days=PROGRAMME_DAYS_AGO)
    sellers = []
    for n, (name, business, description, products) in enumerate(spec):
        seller = do_add_seller(
            village,
            _resident(village, name, rng),
            business_name=business,
            description=description,
            order_via_village=n == 3,  # one seller takes orders through the village's number
        )
        sellers.append(seller)
        made = []
        for p_name, category, price, unit, shape, colour, text in products:
            product = Product.objects.create(
                seller=seller,
                village=village,
                name=p_name,
                category=category,
                price=price,
                unit=unit,
                description=text,
                stock=rng.choices(Stock.values, weights=[8, 1, 2])[0],
                is_published=True,
            )
            do_add_photo(product, demo_photo(shape, colour, rng), "demo.jpg")
            if rng.random() < 0.3:
                shade = tuple(max(0, c - 25) for c in colour)
                do_add_photo(product, demo_photo(shape, shade, rng), "demo-2.jpg")
            made.append(product)
        _sales(seller, made, today, started, rng)
        _counts(made, today, rng)
    if sellers:
        # A draft a seller sent on WhatsApp and has not saved yet.
        draft = do_create_draft(
            sellers[0], name="Sokasi ukir prada", price=175_000, unit="buah",
            category=Category.CRAFT, description="Belum disimpan penjual.",
        )  # fmt: skip
        do_add_photo(draft, demo_photo("round", (190, 150, 40), rng), "draft.jpg")
    return sellers


def _sales(seller, products, today, started, rng) -> None:
    """Six months of sales: a few a month before the programme, more after it began."""
    first = (today.replace(day=1) - dt.timedelta(days=160)).replace(day=1)
    rows = []
    day = first
    while day <= today:
        after = day >= started
        chance = 0.22 if after else 0.07
        growth = 1 + 0.6 * math.tanh(max(0, (day - started).days) / 30) if after else 1
        if rng.random() < chance * growth:
            product = rng.choice(products)
            quantity = rng.choice([1, 1, 1, 2, 2, 3, 5])
            amount = product.price * quantity
            if rng.random() < 0.15:
                amount = amount * 9 // 10 // 1000 * 1000  # a discount, rounded
            rows.append(
                Sale(
                    seller=seller,
                    product=product,
                    quantity=quantity,
                    amount=amount,
                    sold_on=day,
                    source=Sale.Source.WHATSAPP if after else Sale.Source.CHECKIN,
                    text=f"laku {quantity} {product.name.lower()} {amount // 1000}rb"
                    if after
                    else "",
                )
            )
        day += dt.timedelta(days=1)
    Sale.objects.bulk_create(rows)


def _counts(products, today, rng) -> None:
    rows = []
    for product in products:
        for back in range(30):
            views = rng.randint(0, 14)
            if views:
                rows.append(
                    DailyCount(
                        product=product,
                        day=today - dt.timedelta(days=back),
                        views=views,
                        order_clicks=rng.randint(0, max(0, views // 4)),
                    )
                )
    DailyCount.objects.bulk_create(rows)
