"""Forms for a village's WhatsApp number and its message templates (staff console)."""

import re
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator

from balai.whatsapp.models import Template, WhatsAppNumber

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


class NumberForm(forms.ModelForm):
    """Connection details for the village's number. The access token is write-only."""

    access_token = forms.CharField(
        label="Token akses",
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text="Kosongkan bila tidak ingin mengganti token yang tersimpan.",
    )
    throughput_per_second = forms.IntegerField(
        label="Batas kirim per detik",
        initial=80,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Bawaan Meta 80 pesan per detik; bisa naik sampai 1000.",
    )

    field_order = [
        "phone_number_id",
        "waba_id",
        "display_number",
        "access_token",
        "api_base_url",
        "auth_header",
        "throughput_per_second",
        "is_simulated",
    ]

    class Meta:
        model = WhatsAppNumber
        fields = [
            "phone_number_id",
            "waba_id",
            "display_number",
            "api_base_url",
            "auth_header",
            "throughput_per_second",
            "is_simulated",
        ]
        labels = {
            "phone_number_id": "Phone number ID",
            "waba_id": "WhatsApp Business Account ID",
            "display_number": "Nomor WhatsApp",
            "api_base_url": "URL API",
            "auth_header": "Nama header otorisasi",
            "is_simulated": "Pakai simulator",
        }
        help_texts = {
            "phone_number_id": "Angka dari WhatsApp Manager → API Setup, bukan nomor teleponnya.",
            "display_number": "Diisi otomatis saat nomor diperiksa. Tanpa +, mis. 6281234567890.",
            "api_base_url": "Kosongkan untuk langsung ke Graph API Meta. Isi bila memakai "
            "penyedia (BSP).",
            "auth_header": "Biasanya Authorization. Beberapa BSP memakai header lain, "
            "mis. D360-API-KEY.",
            "is_simulated": "Centang selama belum memakai nomor asli: pesan hanya masuk ke "
            "simulator, tidak ke WhatsApp warga.",
        }
        error_messages = {
            "phone_number_id": {"unique": "Phone number ID ini sudah terdaftar untuk desa lain."}
        }
        widgets = {"api_base_url": forms.URLInput(attrs={"placeholder": ""})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["api_base_url"].widget.attrs["placeholder"] = settings.WHATSAPP_API_BASE
        self.fields["auth_header"].initial = "Authorization"
        if not self.has_stored_token:
            self.fields["access_token"].help_text = (
                "Belum ada token tersimpan. Token dari Meta (System User) atau dari BSP Anda; "
                "setelah disimpan, token tidak ditampilkan lagi."
            )

    @property
    def has_stored_token(self) -> bool:
        return bool(self.instance.pk and self.instance.access_token)

    def clean_phone_number_id(self):
        value = self.cleaned_data["phone_number_id"].strip()
        if not value.isdigit():
            raise forms.ValidationError("Phone number ID hanya berisi angka.")
        return value

    def clean_waba_id(self):
        value = self.cleaned_data["waba_id"].strip()
        if value and not value.isdigit():
            raise forms.ValidationError("WhatsApp Business Account ID hanya berisi angka.")
        return value

    def clean_display_number(self):
        value = self.cleaned_data["display_number"]
        digits = re.sub(r"[\s().+-]", "", value)
        if digits and not digits.isdigit():
            raise forms.ValidationError("Tulis nomor dengan angka saja, mis. 6281234567890.")
        return digits

    def clean_api_base_url(self):
        value = self.cleaned_data["api_base_url"].strip().rstrip("/")
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme != "https" and (parts.hostname or "") not in LOCAL_HOSTS:
            raise forms.ValidationError(
                "URL API harus diawali https:// (http hanya boleh untuk 127.0.0.1 atau localhost)."
            )
        return value

    def clean_auth_header(self):
        value = self.cleaned_data["auth_header"].strip()
        if not HEADER_NAME.match(value):
            raise forms.ValidationError("Nama header hanya boleh huruf, angka, dan tanda -.")
        return value

    def clean(self):
        cleaned = super().clean()
        token = cleaned.get("access_token")
        if cleaned.get("is_simulated") is False and not token and not self.has_stored_token:
            self.add_error(
                "access_token",
                "Isi token akses dulu sebelum berhenti memakai simulator.",
            )
        return cleaned

    def save(self, commit=True):
        token = self.cleaned_data.get("access_token")
        if token:
            self.instance.access_token = token
        elif self.instance.access_token is None:
            # EncryptedCharField reads an empty column back as None; the column is NOT NULL.
            self.instance.access_token = ""
        return super().save(commit)

    @property
    def token_replaced(self) -> bool:
        return bool(self.is_bound and self.cleaned_data.get("access_token"))


class TemplateForm(forms.ModelForm):
    parameter_names = forms.CharField(
        label="Nama parameter",
        required=False,
        help_text="Pisahkan dengan koma, urut sesuai {{1}}, {{2}}, … "
        "Balai bisa mengisi otomatis: nama, desa.",
    )

    class Meta:
        model = Template
        fields = ["name", "language", "category", "purpose", "body"]
        labels = {
            "name": "Nama template",
            "language": "Bahasa",
            "category": "Kategori",
            "purpose": "Keperluan",
            "body": "Isi pesan",
        }
        help_texts = {
            "name": "Huruf kecil, angka, dan garis bawah, mis. balai_kabar_baru.",
            "language": "Kode bahasa di Meta: id untuk Bahasa Indonesia.",
            "purpose": "reengage = dipakai bila balasan ke warga lewat dari 24 jam.",
            "body": "Tandai bagian yang berubah dengan {{1}}, {{2}}, dan seterusnya.",
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.village = village
        self.fields["language"].initial = "id"

    def clean_name(self):
        value = self.cleaned_data["name"].strip()
        if not TEMPLATE_NAME.match(value):
            raise forms.ValidationError(
                "Nama template hanya boleh huruf kecil, angka, dan garis bawah (_)."
            )
        return value

    def clean_language(self):
        value = self.cleaned_data["language"].strip()
        if not LANGUAGE.match(value):
            raise forms.ValidationError("Kode bahasa tidak dikenal. Contoh: id, en_US.")
        return value

    def clean_purpose(self):
        return self.cleaned_data["purpose"].strip().lower()

    def clean_parameter_names(self):
        raw = self.cleaned_data["parameter_names"]
        names = [name.strip() for name in raw.split(",")] if raw.strip() else []
        if any(not name for name in names):
            raise forms.ValidationError("Ada nama parameter yang kosong. Periksa tanda komanya.")
        if len(set(names)) != len(names):
            raise forms.ValidationError("Setiap nama parameter harus berbeda.")
        return names

    def clean(self):
        cleaned = super().clean()
        body, names = cleaned.get("body"), cleaned.get("parameter_names")
        if body is not None and names is not None:
            numbers = sorted({int(n) for n in PLACEHOLDER.findall(body)})
            if numbers != list(range(1, len(numbers) + 1)):
                self.add_error(
                    "body",
                    "Nomor penanda harus berurutan mulai dari {{1}}, tanpa ada yang terlewat.",
                )
            elif len(numbers) != len(names):
                self.add_error(
                    "parameter_names",
                    f"Isi pesan punya {len(numbers)} penanda {{{{n}}}}, tetapi nama parameternya "
                    f"{len(names)}. Jumlahnya harus sama.",
                )
        name, language = cleaned.get("name"), cleaned.get("language")
        if (
            name
            and language
            and Template.objects.filter(
                village=self.instance.village, name=name, language=language
            ).exists()
        ):
            self.add_error("name", "Template dengan nama dan bahasa ini sudah ada.")
        return cleaned

    def save(self, commit=True):
        self.instance.parameters = self.cleaned_data["parameter_names"]
        return super().save(commit)


class TemplateStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=Template.Status.choices)
