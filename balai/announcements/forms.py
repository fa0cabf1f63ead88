import io

from django import forms
from django.core.files.base import ContentFile
from django.utils.text import slugify

from balai.announcements.models import (
    TOPICS_ACTIVE_MAX,
    Announcement,
    NewsSettings,
    Topic,
)
from balai.villages.models import Area
from balai.whatsapp.models import Template

IMAGE_MAX = 5 << 20  # what WhatsApp accepts for an image
IMAGE_SIDE = 1600
PDF_MAX = 10 << 20
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
# A few KB of PNG can declare a picture that takes gigabytes to decode: refuse it before.
IMAGE_MAX_PIXELS = 40_000_000


def prepare_image(upload) -> ContentFile:
    """A JPEG of at most 1600 px a side, without the phone's metadata (EXIF carries the GPS
    position where the photo was taken)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size > IMAGE_MAX:
        raise forms.ValidationError("Gambar terlalu besar: paling besar 5 MB.")
    try:
        with Image.open(upload) as image:
            if image.format not in IMAGE_FORMATS:
                raise forms.ValidationError("Gambar harus JPG, PNG, atau WebP.")
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise forms.ValidationError(
                    "Ukuran gambar terlalu besar. Pakai foto dari kamera HP biasa."
                )
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((IMAGE_SIDE, IMAGE_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82, optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        raise forms.ValidationError("Berkas itu bukan gambar yang bisa dibuka.") from None
    return ContentFile(out.getvalue(), name="gambar.jpg")


def check_pdf(upload) -> None:
    if upload.size > PDF_MAX:
        raise forms.ValidationError("Lampiran terlalu besar: paling besar 10 MB.")
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise forms.ValidationError("Lampiran harus berkas PDF.")


class AreaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class AnnouncementForm(forms.ModelForm):
    image_upload = forms.FileField(
        label="Gambar (opsional)",
        required=False,
        help_text="JPG/PNG, paling besar 5 MB. Dengan gambar, teks di WhatsApp menjadi "
        "keterangan gambar dan dipotong pada 1.024 huruf; selengkapnya di halaman kabar.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    attachment_upload = forms.FileField(
        label="Lampiran PDF (opsional)",
        required=False,
        help_text="Mis. jadwal atau surat edaran, paling besar 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    remove_image = forms.BooleanField(label="Hapus gambar", required=False)
    remove_attachment = forms.BooleanField(label="Hapus lampiran", required=False)

    class Meta:
        model = Announcement
        fields = [
            "title",
            "body",
            "topic",
            "audience_all",
            "audience_topics",
            "audience_areas",
            "audience_programmes",
            "template",
        ]
        labels = {
            "audience_all": "Kirim ke semua pelanggan kabar desa (semua topik)",
            "audience_topics": "Pelanggan topik",
            "audience_areas": "Hanya warga di wilayah",
            "audience_programmes": "Peserta program (yang sudah bersedia)",
            "template": "Templat untuk warga di luar jendela 24 jam",
        }
        help_texts = {
            "title": "Singkat dan jelas, mis. “Posyandu balita Sabtu 12 Desember”.",
            "body": "Apa, kapan, di mana, siapa yang diundang, apa yang perlu dibawa.",
            "audience_topics": "Kosong = pelanggan topik pengumuman ini.",
            "audience_areas": "Kosong = seluruh desa. Dusun termasuk RT di dalamnya.",
            "template": "Warga yang lebih dari 24 jam tidak menulis ke nomor desa hanya bisa "
            "dikirimi templat yang disetujui Meta, dan Meta menagih tiap templat yang sampai.",
        }
        widgets = {
            "title": forms.TextInput(attrs={"maxlength": 120}),
            "body": forms.Textarea(attrs={"rows": 8, "maxlength": 3000}),
            "audience_topics": forms.CheckboxSelectMultiple,
            "audience_programmes": forms.CheckboxSelectMultiple,
        }

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from balai.programmes.models import Programme

        self.village = village
        topics = Topic.objects.filter(village=village, is_active=True)
        self.fields["topic"].queryset = topics
        self.fields["topic"].label = "Topik"
        self.fields["topic"].empty_label = None
        self.fields["audience_topics"].queryset = topics
        self.fields["audience_areas"] = AreaChoiceField(
            queryset=Area.objects.filter(village=village).order_by("parent_id", "name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=self.Meta.labels["audience_areas"],
            help_text=self.Meta.help_texts["audience_areas"],
        )
        self.fields["audience_programmes"].queryset = Programme.objects.filter(village=village)
        if not self.fields["audience_programmes"].queryset.exists():
            del self.fields["audience_programmes"]
        self.fields["template"].queryset = Template.objects.filter(
            village=village, status=Template.Status.APPROVED
        )
        self.fields["template"].empty_label = "Templat kabar desa (otomatis)"
        self.fields["template"].label_from_instance = lambda t: (
            f"{t.name} ({t.get_category_display()})"
        )
        if not self.instance.image:
            del self.fields["remove_image"]
        if not self.instance.attachment:
            del self.fields["remove_attachment"]

    def clean_image_upload(self):
        upload = self.cleaned_data.get("image_upload")
        return prepare_image(upload) if upload else None

    def clean_attachment_upload(self):
        upload = self.cleaned_data.get("attachment_upload")
        if upload:
            check_pdf(upload)
        return upload

    def save(self, commit=True):
        announcement = super().save(commit=False)
        announcement.village = self.village
        data = self.cleaned_data
        if data.get("remove_image"):
            announcement.image = ""
        if data.get("image_upload"):
            announcement.image.save("gambar.jpg", data["image_upload"], save=False)
        if data.get("remove_attachment"):
            announcement.attachment, announcement.attachment_name = "", ""
        upload = data.get("attachment_upload")
        if upload:
            name = upload.name.rsplit("/", 1)[-1][:100] or "lampiran.pdf"
            if not name.lower().endswith(".pdf"):
                name += ".pdf"
            announcement.attachment_name = name
            announcement.attachment.save("lampiran.pdf", upload, save=False)
        if commit:
            announcement.save()
            self.save_m2m()
        return announcement


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("setujui", "Setujui"), ("tolak", "Tolak")])
    note = forms.CharField(required=False, max_length=1000)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "tolak" and not data.get("note", "").strip():
            raise forms.ValidationError("Tuliskan alasan penolakan untuk penulis.")
        return data


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "description", "keywords", "is_default", "is_emergency", "is_active"]
        help_texts = {"name": "Paling panjang 22 huruf (muat di daftar WhatsApp)."}

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.village = village

    def clean(self):
        data = super().clean()
        if data.get("is_active", True):
            others = Topic.objects.filter(village=self.village, is_active=True)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.count() >= TOPICS_ACTIVE_MAX:
                raise forms.ValidationError(
                    f"Paling banyak {TOPICS_ACTIVE_MAX} topik aktif, agar muat di satu daftar "
                    "pilihan WhatsApp. Nonaktifkan topik lain dulu."
                )
        name = data.get("name", "")
        if name and not self.instance.pk:
            slug = slugify(name)[:40] or "topik"
            if Topic.objects.filter(village=self.village, slug=slug).exists():
                raise forms.ValidationError("Sudah ada topik dengan nama itu.")
            self.instance.slug = slug
        return data

    def save(self, commit=True):
        topic = super().save(commit=False)
        topic.village = self.village
        if commit:
            topic.save()
        return topic


class NewsSettingsForm(forms.ModelForm):
    class Meta:
        model = NewsSettings
        fields = [
            "approval_threshold",
            "messaging_limit",
            "normal_share",
            "rate_marketing",
            "rate_utility",
            "rate_authentication",
        ]
        help_texts = {
            "rate_marketing": "Harga per templat yang sampai, menurut daftar tarif Meta untuk "
            "nomor Indonesia (berubah tiap awal kuartal). Kosong = biaya tidak diperkirakan.",
        }
