"""Writes for sellers, products, sales and the catalogue's counters. Each ``do_*`` owns its
transaction; console changes are written to the audit log (changes a seller makes on
WhatsApp are recorded by the message itself)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from balai.market.models import DailyCount, Product, Sale, Seller, Stock
from balai.market.photos import delete_files
from balai.villages.actions import do_audit

SLUG_MAX = 60


class MarketError(Exception):
    """A change that cannot be made; the message is for the person who asked."""


def unique_slug(village, name: str, *, exclude=None) -> str:
    """A catalogue address for a seller: ``bu-sari-sokasi``, ``bu-sari-sokasi-2``…"""
    base = slugify(name)[: SLUG_MAX - 4].strip("-") or "penjual"
    taken = set(
        Seller.objects.filter(village=village, slug__startswith=base)
        .exclude(pk=getattr(exclude, "pk", None))
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- sellers --------------------------------------------------------------------------------


def do_add_seller(
    village,
    resident,
    *,
    business_name: str,
    description: str = "",
    order_via_village: bool = False,
    actor=None,
) -> Seller:
    """Make a resident of ``village`` a seller (again, if they had stopped)."""
    if resident.village_id != village.pk:
        raise MarketError("Warga ini bukan warga desa ini.")
    business_name = " ".join(business_name.split()) or resident.name
    existing = Seller.objects.filter(village=village, resident=resident).first()
    if existing is not None:
        if existing.is_active:
            raise MarketError(f"{resident.name} sudah terdaftar sebagai penjual.")
        existing.is_active = True
        existing.save(update_fields=["is_active"])
        do_audit(actor, village, "market.seller_reactivate", existing)
        return existing
    try:
        with transaction.atomic():
            seller = Seller.objects.create(
                village=village,
                resident=resident,
                business_name=business_name[:100],
                description=description,
                slug=unique_slug(village, business_name),
                order_via_village=order_via_village,
            )
            do_audit(actor, village, "market.seller_add", seller)
    except IntegrityError:
        raise MarketError(f"{resident.name} sudah terdaftar sebagai penjual.") from None
    return seller


def do_update_seller(seller: Seller, changes: dict, actor=None) -> Seller:
    fields = sorted(k for k, v in changes.items() if getattr(seller, k) != v)
    if not fields:
        return seller
    if "slug" in fields:
        taken = Seller.objects.filter(village=seller.village, slug=changes["slug"])
        if taken.exclude(pk=seller.pk).exists():
            raise MarketError("Alamat katalog ini sudah dipakai penjual lain.")
    with transaction.atomic():
        for name in fields:
            setattr(seller, name, changes[name])
        seller.save(update_fields=fields)
        do_audit(actor, seller.village, "market.seller_edit", seller, fields=fields)
    return seller


# --- products -------------------------------------------------------------------------------


def do_save_product(product: Product, actor=None, *, fields: list[str] | None = None) -> Product:
    """Create or update a product from the console."""
    created = product.pk is None
    product.village = product.seller.village
    with transaction.atomic():
        product.save()
        do_audit(
            actor,
            product.village,
            "market.product_add" if created else "market.product_edit",
            product,
            **({"fields": fields} if fields else {}),
        )
    return product


def do_create_draft(seller: Seller, *, name: str, price: int, unit: str, category: str,
                    description: str = "") -> Product:  # fmt: skip
    """A product from a photo and caption on WhatsApp: not in the catalogue until *Simpan*."""
    return Product.objects.create(
        seller=seller,
        village=seller.village,
        name=name[:100],
        price=price,
        unit=unit or "buah",
        category=category,
        description=description[:2000],
        is_published=False,
    )


def do_update_product(product: Product, **changes) -> Product:
    fields = [k for k, v in changes.items() if getattr(product, k) != v]
    for name in fields:
        setattr(product, name, changes[name])
    if fields:
        product.save(update_fields=[*fields, "updated"])
    return product


def do_publish(product: Product) -> Product:
    if not product.price:
        raise MarketError("Harga produk belum diisi.")
    return do_update_product(product, is_published=True)


def do_discard_draft(product: Product) -> None:
    """Throw away a draft the seller cancelled, with its photo files."""
    if product.is_published or product.sales.exists():
        raise MarketError("Produk ini sudah tampil di katalog.")
    with transaction.atomic():
        photos = list(product.photos.all())
        product.delete()
        delete_files(photos)


def do_delete_product(product: Product, actor=None) -> None:
    """Remove a product; its sales stay (recorded without the product)."""
    with transaction.atomic():
        photos = list(product.photos.all())
        do_audit(actor, product.village, "market.product_delete", product, name=product.name)
        product.delete()
        delete_files(photos)


def do_set_stock(product: Product, stock: str, actor=None) -> Product:
    if stock not in Stock.values:
        raise MarketError("Status stok tidak dikenal.")
    with transaction.atomic():
        before = product.stock
        do_update_product(product, stock=stock)
        if actor is not None and before != stock:
            do_audit(actor, product.village, "market.stock", product, stock=stock)
    return product


def do_set_price(product: Product, price: int, actor=None) -> Product:
    if not 0 < price <= 1_000_000_000:
        raise MarketError("Harga tidak masuk akal. Tulis mis. 25rb atau 25.000.")
    with transaction.atomic():
        before = product.price
        do_update_product(product, price=price)
        if actor is not None and before != price:
            do_audit(actor, product.village, "market.price", product, before=before, price=price)
    return product


# --- sales ----------------------------------------------------------------------------------


def do_record_sale(
    seller: Seller,
    *,
    product: Product | None,
    quantity: int,
    amount: int,
    sold_on: dt.date,
    source: str,
    text: str = "",
    message=None,
    recorded_by=None,
) -> Sale:
    if product is not None and product.seller_id != seller.pk:
        raise MarketError("Produk ini milik penjual lain.")
    if quantity < 1 or quantity > 100_000:
        raise MarketError("Jumlah barang tidak masuk akal.")
    if amount < 0 or amount > 10_000_000_000:
        raise MarketError("Jumlah uang tidak masuk akal.")
    with transaction.atomic():
        sale = Sale.objects.create(
            seller=seller,
            product=product,
            quantity=quantity,
            amount=amount,
            sold_on=sold_on,
            source=source,
            text=text[:500],
            message=message,
            recorded_by=recorded_by,
        )
        if recorded_by is not None:
            do_audit(
                recorded_by, seller.village, "market.sale_add", seller,
                quantity=quantity, amount=amount, sold_on=sold_on.isoformat(),
            )  # fmt: skip
    return sale


def do_delete_sale(sale: Sale, actor) -> None:
    seller = sale.seller
    with transaction.atomic():
        do_audit(
            actor, seller.village, "market.sale_delete", seller,
            quantity=sale.quantity, amount=sale.amount, sold_on=sale.sold_on.isoformat(),
            text=sale.text[:200],
        )  # fmt: skip
        sale.delete()


# --- counters -------------------------------------------------------------------------------

COUNTED = {"views", "order_clicks"}


def do_count(product: Product, field: str, day: dt.date) -> None:
    """One more catalogue view or order click for ``product`` on ``day`` (the village's
    date). Counts only: nothing about the visitor is stored."""
    if field not in COUNTED:
        raise ValueError(field)
    bump = {field: F(field) + 1}
    if DailyCount.objects.filter(product=product, day=day).update(**bump):
        return
    try:
        with transaction.atomic():
            DailyCount.objects.create(product=product, day=day, **{field: 1})
    except IntegrityError:  # a concurrent first visit of the day created the row
        DailyCount.objects.filter(product=product, day=day).update(**bump)
