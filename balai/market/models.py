"""Small businesses of the village (UMKM): sellers, their products with photos, the public
catalogue's counters, ready-to-post social media content, optional publishing to a Facebook
Page or Instagram account, and sales reported by sellers."""

from django.conf import settings
from django.db import models

from balai.lib.codes import new_code
from balai.lib.crypto import EncryptedCharField
from balai.residents.models import Resident
from balai.villages.models import Village
from balai.whatsapp.models import InboundMessage


class Seller(models.Model):
    """A resident who sells (often a programme participant)."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="sellers")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="sellers")
    business_name = models.CharField("nama usaha", max_length=100)
    description = models.TextField("tentang usaha", max_length=1000, blank=True)
    slug = models.SlugField(max_length=60, help_text="Alamat katalog penjual")
    # Orders go to the seller's own WhatsApp, or through the village's number (which relays).
    order_via_village = models.BooleanField("pesanan lewat nomor desa", default=False)
    is_active = models.BooleanField("aktif", default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["business_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["village", "resident"], name="seller_once"),
            models.UniqueConstraint(fields=["village", "slug"], name="seller_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.business_name


class Category(models.TextChoices):
    CRAFT = "kerajinan", "Kerajinan"
    FOOD = "makanan", "Makanan"
    DRINK = "minuman", "Minuman"
    CLOTHING = "pakaian", "Pakaian"
    FARM = "pertanian", "Hasil tani"
    FISH = "perikanan", "Hasil laut/ikan"
    OFFERING = "upakara", "Sarana upakara"
    OTHER = "lainnya", "Lainnya"


class Stock(models.TextChoices):
    AVAILABLE = "tersedia", "Tersedia"
    SOLD_OUT = "habis", "Habis"
    TO_ORDER = "pesanan", "Pesan dulu"


class Product(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="products")
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="products")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    name = models.CharField("nama produk", max_length=100)
    category = models.CharField(
        "kategori", max_length=12, choices=Category.choices, default=Category.OTHER
    )
    price = models.PositiveIntegerField("harga (Rp)")
    unit = models.CharField("satuan", max_length=30, default="buah")
    description = models.TextField("keterangan", max_length=2000, blank=True)
    stock = models.CharField("stok", max_length=10, choices=Stock.choices, default=Stock.AVAILABLE)
    # Simple variants: [{"name": "Ukuran", "options": ["kecil", "besar"]}]
    variants = models.JSONField("varian", default=list, blank=True)
    # Drafts come from a photo + caption on WhatsApp and wait for the seller's *Simpan*.
    is_published = models.BooleanField("tampil di katalog", default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["village", "is_published", "category"])]

    def __str__(self) -> str:
        return self.name

    @property
    def price_label(self) -> str:
        return "Rp " + f"{self.price:,}".replace(",", ".")


class ProductPhoto(models.Model):
    """Up to five per product; the original is kept, and resized JPEG and WebP copies serve
    the catalogue (Pillow)."""

    MAX = 5

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=0)
    original = models.FileField(upload_to="market/original/%Y/%m/")
    jpeg = models.FileField(upload_to="market/jpeg/%Y/%m/", blank=True)
    webp = models.FileField(upload_to="market/webp/%Y/%m/", blank=True)
    thumb = models.FileField(upload_to="market/thumb/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.product} #{self.position}"


class DailyCount(models.Model):
    """Catalogue views and order-link clicks per product per day: counts only, no visitor
    data."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="counts")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    order_clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "day"], name="count_per_day")]

    def __str__(self) -> str:
        return f"{self.product} {self.day}"


class Post(models.Model):
    """A ready-to-post social media image and caption for a product."""

    class Format(models.TextChoices):
        SQUARE = "square", "1080×1080"
        PORTRAIT = "portrait", "1080×1350"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="posts")
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    style = models.CharField(max_length=20)
    format = models.CharField(max_length=10, choices=Format.choices)
    image = models.FileField(upload_to="market/posts/%Y/%m/")
    caption = models.TextField(max_length=2200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "pk"]

    def __str__(self) -> str:
        return f"{self.product} ({self.style}, {self.format})"


class SocialAccount(models.Model):
    """A Facebook Page or Instagram professional account a village or a seller connected."""

    class Kind(models.TextChoices):
        FACEBOOK = "facebook", "Halaman Facebook"
        INSTAGRAM = "instagram", "Instagram"

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="social_accounts")
    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, null=True, blank=True, related_name="social_accounts"
    )
    code = models.CharField(max_length=12, unique=True, default=new_code, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    account_id = models.CharField("ID halaman / akun", max_length=40)
    name = models.CharField(max_length=150, blank=True)
    access_token = EncryptedCharField(blank=True)
    api_base_url = models.URLField(blank=True, help_text="Kosong = Graph API Meta")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name or self.account_id}"


class Publication(models.Model):
    """One post published (or tried) to one account."""

    class State(models.TextChoices):
        QUEUED = "queued", "Menunggu"
        PROCESSING = "processing", "Diproses Meta"
        PUBLISHED = "published", "Terbit"
        FAILED = "failed", "Gagal"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="publications")
    account = models.ForeignKey(
        SocialAccount, on_delete=models.CASCADE, related_name="publications"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    container_id = models.CharField(max_length=60, blank=True)
    remote_id = models.CharField(max_length=60, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.post} → {self.account}: {self.state}"


class Sale(models.Model):
    class Source(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        CONSOLE = "console", "Konsol"
        CHECKIN = "checkin", "Laporan bulanan"

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="sales")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="sales"
    )
    quantity = models.PositiveIntegerField(default=1)
    amount = models.PositiveBigIntegerField("jumlah (Rp)")
    sold_on = models.DateField("tanggal")
    source = models.CharField(max_length=10, choices=Source.choices)
    text = models.CharField("pesan asli", max_length=500, blank=True)
    message = models.ForeignKey(
        InboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sold_on", "-pk"]
        indexes = [models.Index(fields=["seller", "sold_on"])]

    def __str__(self) -> str:
        return f"{self.seller}: {self.quantity} × {self.product or '-'} = {self.amount}"
