"""Sales figures as plain functions: monthly totals per seller or product, and a period
compared with a baseline period ("did sellers sell more after the training?", seed 004).

The console's sales pages and the outcome-monitoring indicators both read these. Months
are the first day of the month (``dt.date``); ranges of months are inclusive. A sale's
date is the seller's own date (``Sale.sold_on``), so no time zone is involved.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth

from balai.market.models import Product, Sale, Seller

GROUPS = {None: None, "seller": "seller_id", "product": "product_id"}


@dataclass
class Totals:
    quantity: int = 0
    amount: int = 0
    count: int = 0  # sale records

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(
            self.quantity + other.quantity, self.amount + other.amount, self.count + other.count
        )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first``'s to ``last``'s, inclusive."""
    first, last = month_start(first), month_start(last)
    out = []
    while first <= last:
        out.append(first)
        first = add_months(first, 1)
    return out


def sales_of(
    village=None,
    *,
    sellers=None,
    products=None,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> QuerySet:
    """Sales of a village (or of some sellers or products) in the months ``first``…``last``."""
    sales = Sale.objects.all()
    if village is not None:
        sales = sales.filter(seller__village=village)
    if sellers is not None:
        sales = sales.filter(seller__in=sellers)
    if products is not None:
        sales = sales.filter(product__in=products)
    if first is not None:
        sales = sales.filter(sold_on__gte=month_start(first))
    if last is not None:
        sales = sales.filter(sold_on__lte=month_end(month_start(last)))
    return sales


def monthly_totals(sales: QuerySet, by: str | None = "seller") -> dict[tuple, Totals]:
    """{(seller id | product id | None, month): Totals} for the given sales, one query."""
    key = GROUPS[by]
    columns = ["month", *([key] if key else [])]
    rows = (
        sales.annotate(month=TruncMonth("sold_on"))
        .values(*columns)
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"), count=Count("pk"))
        .order_by()
    )
    out = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        out[(row[key] if key else None, month)] = Totals(
            row["quantity"] or 0, row["amount"] or 0, row["count"]
        )
    return out


def monthly_rows(village, first: dt.date, last: dt.date, **filters) -> list[dict]:
    """One row per month, seller and product (``product`` None for sales without one):
    {month, seller, seller_code, product, product_code, quantity, amount, count}."""
    rows = (
        sales_of(village, first=first, last=last, **filters)
        .annotate(month=TruncMonth("sold_on"))
        .values("month", "seller__business_name", "seller__code", "product__name", "product__code")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"), count=Count("pk"))
        .order_by("month", "seller__business_name", "product__name")
    )
    out = []
    for row in rows:
        month = row["month"]
        out.append(
            {
                "month": month.date() if isinstance(month, dt.datetime) else month,
                "seller": row["seller__business_name"],
                "seller_code": row["seller__code"],
                "product": row["product__name"],
                "product_code": row["product__code"],
                "quantity": row["quantity"] or 0,
                "amount": row["amount"] or 0,
                "count": row["count"],
            }
        )
    return out


def total(sales: QuerySet) -> Totals:
    row = sales.aggregate(quantity=Sum("quantity"), amount=Sum("amount"), count=Count("pk"))
    return Totals(row["quantity"] or 0, row["amount"] or 0, row["count"])


@dataclass
class Row:
    key: object  # a Seller, a Product, or None (sales without a product)
    cells: list[Totals]
    total: Totals


@dataclass
class Table:
    months: list[dt.date]
    rows: list[Row]
    column_totals: list[Totals]
    total: Totals = field(default_factory=Totals)


def monthly_table(village, first: dt.date, last: dt.date, by: str = "seller", **filters) -> Table:
    """Months across, sellers (or products) down, with every seller of the village (or
    every product) listed even in months without a sale."""
    month_list = months(first, last)
    sums = monthly_totals(sales_of(village, first=first, last=last, **filters), by)
    if by == "seller":
        keys = list(Seller.objects.filter(village=village).order_by("business_name", "pk"))
        if "sellers" in filters:
            keys = [s for s in keys if s in set(filters["sellers"])]
    else:
        products = Product.objects.filter(village=village).select_related("seller")
        if "sellers" in filters:
            products = products.filter(seller__in=filters["sellers"])
        keys = list(products.order_by("seller__business_name", "name", "pk"))
        if any(key is None for key, _m in sums):
            keys.append(None)
    rows = []
    for key in keys:
        pk = key.pk if key is not None else None
        cells = [sums.get((pk, month), Totals()) for month in month_list]
        rows.append(Row(key, cells, sum(cells, Totals())))
    column_totals = [sum((row.cells[i] for row in rows), Totals()) for i in range(len(month_list))]
    return Table(month_list, rows, column_totals, sum(column_totals, Totals()))


@dataclass
class Comparison:
    """A period against a baseline, per month on average (the periods may differ in
    length). ``change`` is the relative change of the monthly amount; None when the
    baseline sold nothing."""

    key: object
    baseline: Totals
    baseline_months: int
    period: Totals
    period_months: int

    @property
    def baseline_monthly(self) -> float:
        return self.baseline.amount / self.baseline_months if self.baseline_months else 0.0

    @property
    def period_monthly(self) -> float:
        return self.period.amount / self.period_months if self.period_months else 0.0

    @property
    def baseline_monthly_quantity(self) -> float:
        return self.baseline.quantity / self.baseline_months if self.baseline_months else 0.0

    @property
    def period_monthly_quantity(self) -> float:
        return self.period.quantity / self.period_months if self.period_months else 0.0

    @property
    def change(self) -> float | None:
        if not self.baseline_monthly:
            return None
        return (self.period_monthly - self.baseline_monthly) / self.baseline_monthly


def compare_with_baseline(
    village,
    baseline: tuple[dt.date, dt.date],
    period: tuple[dt.date, dt.date],
    by: str | None = "seller",
    **filters,
) -> list[Comparison]:
    """Each seller's (or product's, or the whole village's with ``by=None``) monthly sales
    in ``period`` against ``baseline``; both are inclusive month ranges."""
    base = monthly_totals(sales_of(village, first=baseline[0], last=baseline[1], **filters), by)
    now = monthly_totals(sales_of(village, first=period[0], last=period[1], **filters), by)
    n_base, n_now = len(months(*baseline)), len(months(*period))

    def per_key(sums):
        out: dict = {}
        for (key, _month), totals in sums.items():
            out[key] = out.get(key, Totals()) + totals
        return out

    base_by, now_by = per_key(base), per_key(now)
    if by == "seller":
        sellers = Seller.objects.filter(village=village).order_by("business_name", "pk")
        if "sellers" in filters:
            sellers = sellers.filter(pk__in=[s.pk for s in filters["sellers"]])
        keys = [(s.pk, s) for s in sellers]
    elif by == "product":
        ids = sorted(set(base_by) | set(now_by), key=lambda pk: (pk is None, pk or 0))
        products = Product.objects.in_bulk([pk for pk in ids if pk is not None])
        keys = [(pk, products.get(pk)) for pk in ids]
    else:
        keys = [(None, None)]
    return [
        Comparison(obj, base_by.get(pk, Totals()), n_base, now_by.get(pk, Totals()), n_now)
        for pk, obj in keys
    ]


def seller_month(seller: Seller, day: dt.date) -> Totals:
    """What a seller sold in the month of ``day`` (the WhatsApp reply after a sale)."""
    month = month_start(day)
    sales = Sale.objects.filter(seller=seller, sold_on__gte=month, sold_on__lte=month_end(month))
    return total(sales)
