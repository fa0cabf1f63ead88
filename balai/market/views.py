"""The UMKM console: sellers, products with photos, sales and the catalogue's counters.

Facilitators and the village office manage (``manage_market``); DPL and everyone else who
may see the market read (``view_market``). Each view needs one capability: forms post to
their own addresses.
"""

import csv
import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from balai.market import actions, catalogue, sales
from balai.market import posters as market_posters
from balai.market.forms import ProductForm, SaleForm, SellerAddForm, SellerEditForm
from balai.market.models import DailyCount, Product, ProductPhoto, Sale, Seller, Stock
from balai.market.parsing import rupiah
from balai.market.photos import PhotoError, do_add_photo, do_move_photo_first, do_remove_photo
from balai.residents.models import Resident
from balai.villages.access import access_product, access_seller, staff_view

COUNT_DAYS = 30
SALES_PAGE = 50


def _go(staff, name, *args):
    return redirect(reverse(f"market:{name}", args=[staff.village.slug, *args]))


def _ctx(staff, **extra):
    return {"can_manage": staff.can("manage_market"), **extra}


def _counts(village, days=COUNT_DAYS) -> dict[int, dict]:
    since = village.local_now().date() - dt.timedelta(days=days - 1)
    rows = (
        DailyCount.objects.filter(product__village=village, day__gte=since)
        .values("product_id")
        .annotate(views=Sum("views"), clicks=Sum("order_clicks"))
    )
    return {r["product_id"]: r for r in rows}


# --- overview and sellers -------------------------------------------------------------------


@staff_view("view_market")
def overview(request, staff):
    village = staff.village
    today = village.local_now().date()
    month = sales.month_start(today)
    month_sales = sales.monthly_totals(sales.sales_of(village, first=month, last=month))
    sellers = (
        Seller.objects.filter(village=village)
        .select_related("resident")
        .annotate(
            n_published=Count("products", filter=Q(products__is_published=True), distinct=True),
            n_drafts=Count("products", filter=Q(products__is_published=False), distinct=True),
        )
        .order_by("-is_active", "business_name")
    )
    counts = _counts(village)
    return render(
        request,
        "market/overview.html",
        _ctx(
            staff,
            sellers=[(s, month_sales.get((s.pk, month), sales.Totals())) for s in sellers],
            month=month,
            month_total=sum(month_sales.values(), sales.Totals()),
            published=catalogue.visible(village).count(),
            views=sum(r["views"] or 0 for r in counts.values()),
            clicks=sum(r["clicks"] or 0 for r in counts.values()),
            catalogue_url=catalogue.catalogue_url(village),
            poster=market_posters.catalogue_poster(village) is not None,
        ),
    )


def _resident_for(village, data) -> Resident:
    if data.get("participant") is not None:
        return data["participant"].resident
    resident = Resident.objects.filter(village=village, phone=data["phone"]).first()
    if resident is None:
        resident = Resident.objects.create(village=village, name=data["name"], phone=data["phone"])
    return resident


@staff_view("manage_market")
def seller_add(request, staff):
    form = SellerAddForm(staff.village, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                resident = _resident_for(staff.village, data)
                seller = actions.do_add_seller(
                    staff.village,
                    resident,
                    business_name=data["business_name"] or resident.name,
                    description=data["description"],
                    order_via_village=data["order_via_village"],
                    actor=request.user,
                )
        except actions.MarketError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request,
                f"{seller.business_name} sudah menjadi penjual. Ia bisa menambah produk dengan "
                "mengirim foto dan keterangan ke WhatsApp desa.",
            )
            return _go(staff, "seller", seller.code)
    return render(request, "market/seller_add.html", _ctx(staff, form=form))


@staff_view("view_market")
def seller_detail(request, staff, code):
    seller = access_seller(staff, code)
    village = staff.village
    today = village.local_now().date()
    first = sales.add_months(sales.month_start(today), -5)
    table = sales.monthly_table(village, first, today, by="product", sellers=[seller])
    counts = _counts(village)
    products = list(
        seller.products.select_related("village")
        .prefetch_related("photos")
        .order_by("-is_published", "name")
    )
    return render(
        request,
        "market/seller.html",
        _ctx(
            staff,
            seller=seller,
            products=[(p, counts.get(p.pk, {}), _cover(p)) for p in products],
            table=table,
            public_url=catalogue.seller_url(seller),
            poster=market_posters.seller_poster(seller) is not None,
            recent=seller.sales.select_related("product")[:10],
        ),
    )


@staff_view("manage_market")
def seller_edit(request, staff, code):
    seller = access_seller(staff, code)
    form = SellerEditForm(request.POST or None, instance=seller)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        seller.refresh_from_db()
        try:
            actions.do_update_seller(seller, changes, actor=request.user)
        except actions.MarketError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "Data penjual sudah disimpan.")
            return _go(staff, "seller", seller.code)
    return render(request, "market/seller_edit.html", _ctx(staff, form=form, seller=seller))


def _poster_response(village, poster, fmt: str):
    if poster is None:
        return None
    data = market_posters.render(village, poster, fmt)
    filename = poster.filename_pdf if fmt == "pdf" else poster.filename_png
    response = HttpResponse(data, content_type="application/pdf" if fmt == "pdf" else "image/png")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@staff_view("view_market")
def seller_poster(request, staff, code, fmt):
    seller = access_seller(staff, code)
    if fmt not in {"pdf", "png"}:
        raise Http404
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    response = _poster_response(staff.village, market_posters.seller_poster(seller), fmt)
    return response or render(request, "posters/unavailable.html", status=404)


@staff_view("view_market")
@require_GET
def catalogue_poster(request, staff, fmt="pdf"):
    poster = market_posters.catalogue_poster(staff.village)
    response = _poster_response(staff.village, poster, fmt)
    return response or render(request, "posters/unavailable.html", status=404)


# --- products -------------------------------------------------------------------------------


def _cover(product) -> str:
    photos = list(product.photos.all())
    return catalogue.signed_photo_url(photos[0], "kecil.webp") if photos else ""


@staff_view("view_market")
def products(request, staff):
    village = staff.village
    items = (
        Product.objects.filter(village=village)
        .select_related("seller", "village")
        .prefetch_related("photos")
        .order_by("seller__business_name", "name", "pk")
    )
    state = request.GET.get("status", "")
    if state == "draf":
        items = items.filter(is_published=False)
    elif state in Stock.values:
        items = items.filter(is_published=True, stock=state)
    query = request.GET.get("q", "").strip()[:60]
    if query:
        items = items.filter(Q(name__icontains=query) | Q(seller__business_name__icontains=query))
    counts = _counts(village)
    page = Paginator(items, 50).get_page(request.GET.get("hal"))
    return render(
        request,
        "market/products.html",
        _ctx(
            staff,
            page_obj=page,
            rows=[(p, counts.get(p.pk, {}), _cover(p)) for p in page.object_list],
            state=state,
            query=query,
            stocks=Stock.choices,
        ),
    )


@staff_view("view_market")
def product_detail(request, staff, code):
    product = access_product(staff, code)
    village = staff.village
    today = village.local_now().date()
    since = today - dt.timedelta(days=COUNT_DAYS - 1)
    daily = {
        c.day: c for c in DailyCount.objects.filter(product=product, day__gte=since).order_by("day")
    }
    days = [(today - dt.timedelta(days=i)) for i in range(COUNT_DAYS)]
    totals = DailyCount.objects.filter(product=product).aggregate(
        views=Sum("views"), clicks=Sum("order_clicks")
    )
    photos = list(product.photos.order_by("position", "pk"))
    try:
        content_url = reverse("market:content_product", args=[village.slug, product.code])
    except NoReverseMatch:  # the social media pages, when installed
        content_url = ""
    return render(
        request,
        "market/product.html",
        _ctx(
            staff,
            product=product,
            photos=[
                (i, catalogue.signed_photo_url(p, "kecil.webp"), catalogue.signed_photo_url(p))
                for i, p in enumerate(photos)
            ],
            can_add_photo=len(photos) < ProductPhoto.MAX,
            max_photos=ProductPhoto.MAX,
            daily=[(d, daily.get(d)) for d in days if d in daily],
            last30=(
                sum(c.views for c in daily.values()),
                sum(c.order_clicks for c in daily.values()),
            ),
            totals=totals,
            public_url=catalogue.product_url(product) if product.is_published else "",
            order_link=catalogue.order_link(product),
            sales_total=sales.total(product.sales.all()),
            content_url=content_url,
        ),
    )


def _save_photos(request, product) -> int:
    added = 0
    for upload in request.FILES.getlist("photos"):
        if upload.size > 10 << 20:
            messages.error(request, f"{upload.name}: foto terlalu besar (paling besar 10 MB).")
            continue
        try:
            do_add_photo(product, upload.read(), upload.name)
        except PhotoError as e:
            messages.error(request, f"{upload.name}: {e}")
        else:
            added += 1
    return added


@staff_view("manage_market")
def product_edit(request, staff, code=None):
    product = access_product(staff, code) if code else Product(village=staff.village)
    if not code and request.GET.get("penjual"):
        product.seller = Seller.objects.filter(
            village=staff.village, code=request.GET["penjual"]
        ).first()
    form = ProductForm(
        staff.village, request.POST or None, instance=product, initial={"is_published": True}
    )
    if request.method == "POST" and form.is_valid():
        product = form.save(commit=False)
        actions.do_save_product(product, request.user, fields=list(form.changed_data))
        added = _save_photos(request, product)
        messages.success(
            request,
            f"Produk “{product.name}” sudah disimpan"
            + (f" dengan {added} foto." if added else "."),
        )
        return _go(staff, "product", product.code)
    return render(
        request,
        "market/product_edit.html",
        _ctx(staff, form=form, product=product if code else None, max_photos=ProductPhoto.MAX),
    )


@staff_view("manage_market")
@require_POST
def photo_add(request, staff, code):
    product = access_product(staff, code)
    if not request.FILES.getlist("photos"):
        messages.error(request, "Pilih foto yang akan diunggah.")
    else:
        added = _save_photos(request, product)
        if added:
            messages.success(request, f"{added} foto ditambahkan.")
    return _go(staff, "product", product.code)


@staff_view("manage_market")
@require_POST
def photo_action(request, staff, code, index):
    product = access_product(staff, code)
    photos = list(product.photos.order_by("position", "pk"))
    if index >= len(photos):
        messages.error(request, "Foto itu sudah tidak ada.")
        return _go(staff, "product", product.code)
    photo = photos[index]
    if request.POST.get("aksi") == "hapus":
        do_remove_photo(photo)
        messages.success(request, "Foto dihapus.")
    elif request.POST.get("aksi") == "sampul":
        do_move_photo_first(photo)
        messages.success(request, "Foto ini sekarang menjadi foto utama.")
    return _go(staff, "product", product.code)


@staff_view("manage_market")
@require_POST
def product_stock(request, staff, code):
    product = access_product(staff, code)
    stock = request.POST.get("stok", "")
    if request.POST.get("tampil") in {"ya", "tidak"}:
        actions.do_update_product(product, is_published=request.POST["tampil"] == "ya")
        messages.success(request, "Tampilan di katalog sudah diubah.")
    elif stock in Stock.values:
        actions.do_set_stock(product, stock, actor=request.user)
        messages.success(request, f"Stok “{product.name}”: {Stock(stock).label.lower()}.")
    return _go(staff, "product", product.code)


@staff_view("manage_market")
def product_delete(request, staff, code):
    product = access_product(staff, code)
    if request.method == "POST":
        name = product.name
        actions.do_delete_product(product, actor=request.user)
        messages.success(request, f"Produk “{name}” sudah dihapus. Catatan penjualannya tetap ada.")
        return _go(staff, "products")
    return render(request, "market/product_delete.html", _ctx(staff, product=product))


# --- sales ----------------------------------------------------------------------------------


def _month_param(value: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value + "-01") if value else default
    except ValueError:
        return default


@staff_view("view_market")
def sales_list(request, staff):
    village = staff.village
    items = Sale.objects.filter(seller__village=village).select_related("seller", "product")
    seller_code = request.GET.get("penjual", "")
    seller = Seller.objects.filter(village=village, code=seller_code or "-").first()
    if seller:
        items = items.filter(seller=seller)
    month = request.GET.get("bulan", "")
    if month:
        first = _month_param(month, sales.month_start(village.local_now().date()))
        items = items.filter(sold_on__gte=first, sold_on__lte=sales.month_end(first))
    page = Paginator(items, SALES_PAGE).get_page(request.GET.get("hal"))
    return render(
        request,
        "market/sales.html",
        _ctx(
            staff,
            page_obj=page,
            sellers=Seller.objects.filter(village=village).order_by("business_name"),
            seller=seller,
            month=month,
            total=sales.total(items),
        ),
    )


@staff_view("manage_market")
def sale_add(request, staff):
    form = SaleForm(staff.village, request.POST or None, initial=_sale_initial(request, staff))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_record_sale(
                data["seller"],
                product=data["product"],
                quantity=data["quantity"],
                amount=data["amount"],
                sold_on=data["sold_on"],
                source=Sale.Source.CONSOLE,
                text=data["text"],
                recorded_by=request.user,
            )
        except actions.MarketError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request,
                f"Penjualan {data['seller']} sebesar {rupiah(data['amount'])} sudah dicatat.",
            )
            return _go(staff, "sales")
    return render(request, "market/sale_add.html", _ctx(staff, form=form))


def _sale_initial(request, staff) -> dict:
    code = request.GET.get("penjual", "")
    seller = Seller.objects.filter(village=staff.village, code=code).first() if code else None
    return {"seller": seller} if seller else {}


@staff_view("manage_market")
@require_POST
def sale_delete(request, staff):
    try:
        pk = int(request.POST.get("penjualan", ""))
    except ValueError:
        pk = None
    sale = Sale.objects.filter(pk=pk, seller__village=staff.village).first() if pk else None
    if sale is None:
        messages.error(request, "Catatan penjualan itu tidak ditemukan.")
    else:
        actions.do_delete_sale(sale, request.user)
        messages.success(request, "Catatan penjualan sudah dihapus.")
    return _go(staff, "sales")


def _periods(request, village):
    """The months shown and the baseline they are compared with, from the query string:
    by default the last three months against the three before them."""
    this_month = sales.month_start(village.local_now().date())
    last = _month_param(request.GET.get("sampai", ""), this_month)
    first = _month_param(request.GET.get("dari", ""), sales.add_months(last, -2))
    if first > last:
        first, last = last, first
    base_last = _month_param(request.GET.get("dasar_sampai", ""), sales.add_months(first, -1))
    base_first = _month_param(request.GET.get("dasar_dari", ""), sales.add_months(base_last, -2))
    if base_first > base_last:
        base_first, base_last = base_last, base_first
    return (first, last), (base_first, base_last)


@staff_view("view_market")
def sales_monthly(request, staff):
    village = staff.village
    period, baseline = _periods(request, village)
    by = "product" if request.GET.get("per") == "produk" else "seller"
    shown_first = min(baseline[0], period[0])
    table = sales.monthly_table(village, shown_first, period[1], by=by)
    comparison = {
        (c.key.pk if c.key is not None else None): c
        for c in sales.compare_with_baseline(village, baseline, period, by=by)
    }
    village_change = sales.compare_with_baseline(village, baseline, period, by=None)[0]
    rows = [
        (row, comparison.get(row.key.pk if row.key is not None else None)) for row in table.rows
    ]
    return render(
        request,
        "market/sales_monthly.html",
        _ctx(
            staff,
            table=table,
            rows=rows,
            by=by,
            period=period,
            baseline=baseline,
            village_change=village_change,
            in_baseline=[baseline[0] <= m <= baseline[1] for m in table.months],
            in_period=[period[0] <= m <= period[1] for m in table.months],
        ),
    )


@staff_view("view_market")
@require_GET
def sales_csv(request, staff):
    """Monthly totals per seller and product, one row each, for spreadsheets."""
    village = staff.village
    period, baseline = _periods(request, village)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="penjualan-{village.slug}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 when the file starts with a BOM
    out = csv.writer(response)
    out.writerow(["bulan", "penjual", "produk", "jumlah_barang", "jumlah_rp", "jumlah_catatan"])
    for row in sales.monthly_rows(village, min(period[0], baseline[0]), period[1]):
        out.writerow(
            [
                row["month"].isoformat()[:7],
                row["seller"],
                row["product"] or "(tidak ada di katalog)",
                row["quantity"],
                row["amount"],
                row["count"],
            ]
        )
    return response
