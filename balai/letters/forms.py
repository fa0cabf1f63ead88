import re

from django import forms

from balai.letters.models import LetterType
from balai.letters.numbering import number_format_validator

KEYWORD = re.compile(r"[A-Z0-9]{2,30}")


class LetterTypeForm(forms.ModelForm):
    """What staff may change about a letter type; documents and fields stay as seeded."""

    days = forms.IntegerField(
        label="Lama proses (hari kerja)",
        min_value=1,
        max_value=60,
        error_messages={
            "min_value": "Lama proses paling sedikit 1 hari kerja.",
            "max_value": "Lama proses paling lama 60 hari kerja.",
        },
    )
    cost = forms.IntegerField(
        label="Biaya (Rp)",
        min_value=0,
        max_value=10_000_000,
        help_text="Isi 0 bila gratis.",
        error_messages={"min_value": "Biaya tidak boleh kurang dari 0."},
    )

    number_format = forms.CharField(
        label="Format nomor surat",
        max_length=120,
        validators=[number_format_validator],
        help_text="Mis. [kode_klasifikasi]/[nomor:3]/[kode_desa]/[bulan_romawi]/[tahun]. "
        "Nomor diambil saat kepala desa menandatangani.",
    )

    class Meta:
        model = LetterType
        fields = [
            "name",
            "keyword",
            "summary",
            "requirements",
            "days",
            "cost",
            "head_of_family_only",
            "is_active",
            "position",
            "classification_code",
            "number_format",
            "validity_days",
        ]
        labels = {
            "summary": "Kegunaan singkat",
            "head_of_family_only": "Hanya kepala keluarga yang boleh mengajukan",
            "is_active": "Aktif (bisa diajukan lewat WhatsApp)",
            "position": "Urutan di daftar",
        }
        help_texts = {
            "keyword": "Huruf besar dan angka tanpa spasi, 2–30 karakter. Warga mengetik "
            "LAYANAN <kata kunci>, mis. LAYANAN SKTM.",
            "requirements": "Ditampilkan kepada warga sebelum mengajukan.",
            "position": "Angka kecil tampil lebih dulu.",
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "requirements": forms.Textarea(attrs={"rows": 5}),
            "keyword": forms.TextInput(
                attrs={"autocapitalize": "characters", "spellcheck": "false"}
            ),
        }

    def clean_keyword(self):
        keyword = self.cleaned_data["keyword"].strip().upper()
        if not KEYWORD.fullmatch(keyword):
            raise forms.ValidationError(
                "Kata kunci hanya boleh huruf dan angka tanpa spasi, 2–30 karakter (mis. SKTM)."
            )
        clash = (
            LetterType.objects.filter(village=self.instance.village, keyword__iexact=keyword)
            .exclude(pk=self.instance.pk)
            .first()
        )
        if clash:
            raise forms.ValidationError(
                f"Kata kunci {keyword} sudah dipakai untuk {clash.name}. Pilih kata kunci lain."
            )
        return keyword
