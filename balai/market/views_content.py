"""Console pages for social media content: per product, make posts in a chosen style,
preview and download them, send them to the seller on WhatsApp, publish them to a connected
Facebook Page or Instagram account; connect and disconnect accounts; the publication history.

Reading needs ``view_market`` (DPL included); every change needs ``manage_market``.
"""

import io
import zipfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from balai.market import content, publishing
from balai.market.models import Post, Product, Publication, Seller, SocialAccount
from balai.villages.access import access_object, staff_view
from balai.whatsapp.outbox import NoChannel

Kind = SocialAccount.Kind


# --- fetching, always within the staff member's village ----------------------------------------


def _product(staff, code: str) -> Product:
    return access_object(
        staff, Product.objects.select_related("seller__resident", "village"), code=code
    )


def _post(staff, code: str) -> Post:
    # Posts belong to the village through their product.
    return get_object_or_404(
        Post.objects.select_related("product__seller", "product__village"),
        product__village=staff.village,
        code=code,
    )


def _account(staff, code: str) -> SocialAccount:
    return access_object(staff, SocialAccount.objects.select_related("seller"), code=code)


def _to_product(staff, product: Product):
    return redirect(reverse("market:content_product", args=[staff.village.slug, product.code]))


def _accounts_for(product: Product):
    """Connected accounts a product may go to: the village's and its seller's own."""
    return (
        SocialAccount.objects.filter(village_id=product.village_id)
        .filter(Q(seller__isnull=True) | Q(seller_id=product.seller_id))
        .exclude(access_token="")
        .select_related("seller")
        .order_by("kind", "name")
    )


# --- products ----------------------------------------------------------------------------------


@staff_view("view_market")
def index(request, staff):
    latest = Post.objects.filter(product=OuterRef("pk"), format=Post.Format.SQUARE).order_by(
        "-created", "-pk"
    )
    products = (
        Product.objects.filter(village=staff.village)
        .select_related("seller")
        .annotate(
            n_posts=Count("posts", distinct=True),
            preview=Subquery(latest.values("code")[:1]),
        )
        .order_by("-updated", "-pk")
    )
    query = request.GET.get("q", "").strip()
    if query:
        products = products.filter(
            Q(name__icontains=query) | Q(seller__business_name__icontains=query)
        )
    page = Paginator(products, 30).get_page(request.GET.get("hal"))
    accounts = SocialAccount.objects.filter(village=staff.village).exclude(access_token="").count()
    return render(
        request,
        "market/content_index.html",
        {"page": page, "query": query, "connected": accounts, "styles": content.STYLES},
    )


def _post_sets(product: Product) -> list[dict]:
    """The newest square + portrait of each style, newest style first."""
    sets = []
    seen = set()
    for style in product.posts.order_by("-created", "-pk").values_list("style", flat=True):
        if style in seen or style not in content.STYLES:
            continue
        seen.add(style)
        sets.append({"style": content.STYLES[style], "posts": content.latest_posts(product, style)})
    return sets


@staff_view("view_market")
def product(request, staff, code):
    item = _product(staff, code)
    sets = _post_sets(item)
    accounts = list(_accounts_for(item))
    publications = (
        Publication.objects.filter(post__product=item)
        .select_related("account", "post")
        .order_by("-created", "-pk")[:20]
    )
    return render(
        request,
        "market/content_product.html",
        {
            "product": item,
            "sets": sets,
            "styles": content.STYLES.values(),
            "default_style": (sets[0]["style"].key if sets else content.default_style(item)),
            "accounts": accounts,
            "publications": publications,
            "can_manage": staff.can("manage_market"),
            "catalogue_url": content.catalogue_link(item) if item.is_published else "",
        },
    )


@staff_view("manage_market")
@require_POST
def generate(request, staff, code):
    item = _product(staff, code)
    style = request.POST.get("gaya") or content.default_style(item)
    if style not in content.STYLES:
        messages.error(request, "Gaya tidak dikenal. Pilih salah satu gaya yang ada.")
        return _to_product(staff, item)
    content.do_generate_posts(item, style)
    messages.success(
        request,
        f"Konten gaya “{content.STYLES[style].label}” sudah dibuat: gambar persegi dan tegak, "
        f"dengan keterangan.",
    )
    return _to_product(staff, item)


@staff_view("manage_market")
@require_POST
def send(request, staff, code):
    item = _product(staff, code)
    style = request.POST.get("gaya")
    style = style if style in content.STYLES else None
    posts = content.latest_posts(item, style) or content.do_generate_posts(item, style)
    try:
        sent = content.do_send_posts_to_seller(item, posts, sent_by=request.user)
    except NoChannel:
        messages.error(
            request,
            "Desa belum punya nomor WhatsApp, jadi konten belum bisa dikirim. Unduh gambarnya "
            "di bawah dan kirim sendiri, atau hubungkan nomor WhatsApp desa dulu.",
        )
        return _to_product(staff, item)
    except ValueError:
        messages.error(request, "Penjual ini belum punya nomor WhatsApp yang tercatat.")
        return _to_product(staff, item)
    messages.success(
        request,
        f"{sent} pesan dikirim ke WhatsApp {item.seller.business_name}: gambar dengan "
        f"keterangannya, lalu keterangannya saja untuk disalin.",
    )
    return _to_product(staff, item)


@staff_view("view_market")
def download_zip(request, staff, code):
    item = _product(staff, code)
    sets = _post_sets(item)
    if not sets:
        messages.info(request, "Belum ada konten untuk produk ini. Buat dulu.")
        return _to_product(staff, item)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for group in sets:
            for post in group["posts"]:
                with post.image.open("rb") as f:
                    archive.writestr(content.download_name(post), f.read())
        archive.writestr("keterangan.txt", sets[0]["posts"][0].caption.encode())
    name = content.tag_word(item.name)[:40] or "produk"
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="konten-{name}.zip"'
    return response


@staff_view("view_market")
def image(request, staff, code):
    post = _post(staff, code)
    try:
        handle = post.image.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    download = bool(request.GET.get("unduh"))
    return FileResponse(
        handle,
        content_type="image/jpeg",
        as_attachment=download,
        filename=content.download_name(post),
    )


@staff_view("view_market")
def caption(request, staff, code):
    post = _post(staff, code)
    response = HttpResponse(post.caption, content_type="text/plain; charset=utf-8")
    if request.GET.get("unduh"):
        name = content.download_name(post).rsplit("-", 2)[0]
        response["Content-Disposition"] = f'attachment; filename="{name}-keterangan.txt"'
    return response


@staff_view("manage_market")
@require_POST
def publish(request, staff, code):
    post = _post(staff, code)
    item = post.product
    account = _accounts_for(item).filter(code=request.POST.get("akun", "")).first()
    if account is None:
        messages.error(request, "Pilih akun Facebook atau Instagram yang tersambung dulu.")
        return _to_product(staff, item)
    try:
        publishing.do_publish(post, account)
    except publishing.PublishRefused as refusal:
        messages.error(request, str(refusal))
        return _to_product(staff, item)
    messages.success(
        request,
        f"Postingan sedang dikirim ke {account.get_kind_display()} “{account.name}”. "
        f"Hasilnya tampil di riwayat di bawah dalam beberapa saat.",
    )
    return _to_product(staff, item)


# --- accounts ----------------------------------------------------------------------------------


@staff_view("view_market")
def accounts(request, staff):
    items = (
        SocialAccount.objects.filter(village=staff.village)
        .select_related("seller")
        .annotate(
            n_published=Count("publications", filter=Q(publications__state="published")),
            n_failed=Count("publications", filter=Q(publications__state="failed")),
        )
        .order_by("seller__business_name", "kind", "name")
    )
    last_error = {
        account_id: error
        for account_id, error in Publication.objects.filter(
            account__village=staff.village, state=Publication.State.FAILED
        )
        .order_by("account_id", "created")  # the newest failure is written last
        .values_list("account_id", "error")
    }
    rows = [
        {
            "account": a,
            "connected": publishing.is_connected(a),
            "token": publishing.masked_token(a.access_token),
            "last_error": last_error.get(a.pk, "") if a.n_failed else "",
            "simulated": bool(a.api_base_url),
        }
        for a in items
    ]
    return render(
        request,
        "market/content_accounts.html",
        {"rows": rows, "can_manage": staff.can("manage_market")},
    )


class ConnectForm(forms.Form):
    kind = forms.ChoiceField(label="Jenis akun", choices=Kind.choices, initial=Kind.FACEBOOK)
    owner = forms.ChoiceField(label="Milik", required=False)
    account_id = forms.RegexField(
        label="ID Halaman / ID akun Instagram",
        regex=r"^\d{5,30}$",
        max_length=30,
        error_messages={"invalid": "ID hanya berisi angka, seperti 102345678901234."},
        help_text="Angka ID, bukan nama halaman. Ada di Meta Business Suite → Pengaturan → "
        "Info halaman/akun.",
    )
    access_token = forms.CharField(
        label="Token akses",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        max_length=1000,
        help_text="Token halaman Facebook (izin pages_manage_posts) atau token Instagram "
        "(izin instagram_content_publish). Disimpan terenkripsi dan tidak ditampilkan lagi.",
    )
    simulated = forms.BooleanField(
        label="Uji coba dengan simulator Meta (bukan akun sungguhan)", required=False
    )

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sellers = {s.code: s for s in Seller.objects.filter(village=village, is_active=True)}
        self.fields["owner"].choices = [("", f"{village} (untuk semua penjual)")] + [
            (code, s.business_name) for code, s in self.sellers.items()
        ]
        if not settings.SIMULATOR_ENABLED:
            del self.fields["simulated"]

    def clean_access_token(self):
        token = self.cleaned_data["access_token"].strip()
        if len(token) < 16 or any(ch.isspace() for ch in token):
            raise forms.ValidationError("Token ini tidak lengkap. Salin seluruh token tanpa spasi.")
        return token

    def clean_owner(self):
        code = self.cleaned_data.get("owner") or ""
        if code and code not in self.sellers:
            raise forms.ValidationError("Pilih penjual dari daftar.")
        return self.sellers.get(code)


@staff_view("manage_market")
def connect(request, staff):
    form = ConnectForm(staff.village, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = publishing.do_connect(
                staff.village,
                kind=data["kind"],
                account_id=data["account_id"],
                token=data["access_token"],
                seller=data["owner"],
                simulated=data.get("simulated", False),
            )
        except publishing.GraphError as error:
            form.add_error(None, "Meta menolak sambungan ini. " + publishing.plain_error(error))
        else:
            messages.success(
                request,
                f"{account.get_kind_display()} “{account.name}” tersambung. Postingan produk "
                f"sekarang bisa langsung diterbitkan ke sana.",
            )
            return redirect(reverse("market:content_accounts", args=[staff.village.slug]))
    return render(request, "market/content_connect.html", {"form": form})


@staff_view("manage_market")
@require_POST
def disconnect(request, staff, code):
    account = _account(staff, code)
    publishing.do_disconnect(account)
    messages.success(
        request,
        f"{account.get_kind_display()} “{account.name}” diputuskan. Tokennya sudah dihapus; "
        f"riwayat postingannya tetap tersimpan.",
    )
    return redirect(reverse("market:content_accounts", args=[staff.village.slug]))


@staff_view("view_market")
def history(request, staff):
    items = (
        Publication.objects.filter(account__village=staff.village)
        .select_related("account", "post__product__seller")
        .order_by("-created", "-pk")
    )
    state = request.GET.get("status", "")
    if state in Publication.State.values:
        items = items.filter(state=state)
    page = Paginator(items, 50).get_page(request.GET.get("hal"))
    return render(
        request,
        "market/content_history.html",
        {"page": page, "state": state, "states": Publication.State.choices},
    )


# --- public: the signed image address ------------------------------------------------------------


@require_safe
def public_image(request, token):
    """A post's image for WhatsApp and Meta to fetch: no login; the signed token is the key
    and stops working after ``content.LINK_MAX_AGE``."""
    post = content.post_from_token(token)
    if post is None or not post.image:
        raise Http404
    try:
        handle = post.image.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Robots-Tag"] = "noindex"
    return response
