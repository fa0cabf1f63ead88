from django import forms
from django.utils.text import slugify

from balai.complaints.models import Category


class CategoryForm(forms.Form):
    name = forms.CharField(
        label="Nama kategori",
        max_length=60,
        help_text="Singkat saja, sebaiknya di bawah 20 huruf: daftar pilihan di WhatsApp "
        "memotong judul yang panjang.",
    )

    def __init__(self, village, *args, category: Category | None = None, **kwargs):
        if category is not None:
            kwargs.setdefault("initial", {"name": category.name})
        super().__init__(*args, **kwargs)
        self.village = village
        self.category = category

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not slugify(name):
            raise forms.ValidationError("Nama kategori harus memuat huruf atau angka.")
        same = Category.objects.filter(village=self.village, name__iexact=name)
        if self.category is not None:
            same = same.exclude(pk=self.category.pk)
        if same.exists():
            raise forms.ValidationError(f"Kategori “{name}” sudah ada. Pakai nama lain.")
        return name
