import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from balai.market.models import Category, Product, Seller, Stock
from balai.market.parsing import money_spans
from balai.programmes.models import Participant
from balai.residents.identity import normalise_phone


class RupiahField(forms.Field):
    """ "25000", "25.000", "Rp 25.000" or "25rb" → 25000."""

    widget = forms.TextInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", "Mis. 25.000 atau 25rb")
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "maxlength": "20"})

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value

    def to_python(self, value):
        value = str(value or "").strip()[:20]
        if not value:
            return None
        plain = value.lower().replace(" ", "")
        if plain.isdigit():
            return int(plain)
        spans = money_spans(value.lower())
        if not spans:
            raise ValidationError("Tulis jumlah rupiah, mis. 25.000 atau 25rb.")
        return spans[0][2]

    def validate(self, value):
        super().validate(value)
        if value is not None and not 0 <= value <= 10_000_000_000:
            raise ValidationError("Jumlah ini tidak masuk akal.")


class SellerAddForm(forms.Form):
    participant = forms.ModelChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        label="Peserta program",
        empty_label="— bukan peserta, isi nama dan nomor di bawah —",
        help_text="Peserta program pendampingan yang belum menjadi penjual.",
    )
    name = forms.CharField(label="Nama", max_length=150, required=False)
    phone = forms.CharField(
        label="Nomor WhatsApp",
        max_length=30,
        required=False,
        help_text="Mis. 0812 3456 7890. Warga yang sudah terdaftar ditemukan dari nomornya.",
    )
    business_name = forms.CharField(
        label="Nama usaha", max_length=100, required=False, help_text="Kosong = nama penjual."
    )
    description = forms.CharField(
        label="Tentang usaha",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Tampil di katalog, mis. “Anyaman sokasi buatan tangan sejak 1998.”",
    )
    order_via_village = forms.BooleanField(
        label="Pesanan lewat nomor WhatsApp desa",
        required=False,
        help_text="Nomor penjual tidak tampil di katalog; pesanan diteruskan desa ke penjual.",
    )

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.village = village
        self.fields["participant"].queryset = (
            Participant.objects.filter(programme__village=village)
            .exclude(resident__sellers__village=village)
            .select_related("resident", "programme")
            .order_by("resident__name", "pk")
        )
        self.fields["participant"].label_from_instance = lambda p: (
            f"{p.resident.name} · {p.business or p.programme.title}"
        )

    def clean(self):
        data = super().clean()
        if data.get("participant") is None:
            if not data.get("name"):
                self.add_error("name", "Isi nama, atau pilih peserta program.")
            if not data.get("phone"):
                self.add_error("phone", "Isi nomor WhatsApp, atau pilih peserta program.")
            elif data.get("phone"):
                try:
                    data["phone"] = normalise_phone(data["phone"])
                except ValidationError as e:
                    self.add_error("phone", e)
        return data


class SellerEditForm(forms.ModelForm):
    class Meta:
        model = Seller
        fields = ["business_name", "description", "slug", "order_via_village", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "slug": "Alamat katalog penjual: huruf kecil, angka, dan tanda minus.",
            "order_via_village": "Nomor penjual tidak tampil; pesanan diteruskan desa.",
            "is_active": "Penjual nonaktif dan produknya tidak tampil di katalog.",
        }

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        taken = Seller.objects.filter(village=self.instance.village, slug=slug)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError("Alamat ini sudah dipakai penjual lain.")
        return slug


class ProductForm(forms.ModelForm):
    price = RupiahField(label="Harga (Rp)")
    variants_text = forms.CharField(
        label="Varian",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Satu baris per pilihan, mis. “Ukuran: kecil, sedang, besar”.",
    )

    class Meta:
        model = Product
        fields = [
            "seller",
            "name",
            "category",
            "price",
            "unit",
            "stock",
            "description",
            "is_published",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].queryset = Seller.objects.filter(village=village).order_by(
            "business_name"
        )
        self.fields["seller"].label = "Penjual"
        self.fields["category"].choices = Category.choices
        self.fields["stock"].choices = Stock.choices
        if self.instance.pk:
            self.fields["variants_text"].initial = "\n".join(
                f"{v['name']}: {', '.join(v['options'])}" for v in self.instance.variants
            )

    def clean_price(self):
        price = self.cleaned_data["price"]
        if not price:
            raise ValidationError("Isi harga produk.")
        return price

    def clean_variants_text(self):
        variants = []
        for line in self.cleaned_data["variants_text"].splitlines():
            if not line.strip():
                continue
            name, sep, options = line.partition(":")
            values = [o.strip() for o in options.split(",") if o.strip()]
            if not sep or not name.strip() or not values:
                raise ValidationError(f"Tulis “Nama: pilihan, pilihan”, bukan “{line.strip()}”.")
            variants.append({"name": name.strip()[:40], "options": [v[:40] for v in values][:12]})
        self.instance.variants = variants[:5]
        return self.cleaned_data["variants_text"]


class SaleForm(forms.Form):
    seller = forms.ModelChoiceField(queryset=Seller.objects.none(), label="Penjual")
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(),
        label="Produk",
        required=False,
        empty_label="— tidak ada di katalog —",
    )
    quantity = forms.IntegerField(label="Jumlah barang", min_value=1, max_value=100_000, initial=1)
    amount = RupiahField(label="Uang diterima (Rp)")
    sold_on = forms.DateField(label="Tanggal", widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label="Catatan", max_length=500, required=False)

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].queryset = Seller.objects.filter(village=village).order_by(
            "business_name"
        )
        self.fields["product"].queryset = (
            Product.objects.filter(village=village)
            .select_related("seller")
            .order_by("seller__business_name", "name")
        )
        self.fields["product"].label_from_instance = lambda p: f"{p.name} ({p.seller})"
        self.fields["sold_on"].initial = village.local_now().date()
        self.today = village.local_now().date()

    def clean(self):
        data = super().clean()
        seller, product = data.get("seller"), data.get("product")
        if seller and product and product.seller_id != seller.pk:
            self.add_error("product", "Produk ini milik penjual lain.")
        if data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", "Isi uang yang diterima.")
        sold_on = data.get("sold_on")
        if sold_on and sold_on > self.today:
            self.add_error("sold_on", "Tanggal tidak boleh setelah hari ini.")
        if sold_on and sold_on < self.today - dt.timedelta(days=3 * 366):
            self.add_error("sold_on", "Tanggal terlalu jauh ke belakang.")
        return data
