from django import forms
from django.core.exceptions import ValidationError

from balai.residents.identity import normalise_phone, validate_kk, validate_nik
from balai.residents.models import Resident
from balai.villages.models import Area


class ResidentForm(forms.ModelForm):
    # Typed fresh each time: the stored NIK/KK is never sent back to the browser.
    nik_input = forms.CharField(
        label="NIK",
        required=False,
        max_length=25,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    kk_input = forms.CharField(
        label="Nomor KK",
        required=False,
        max_length=25,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = Resident
        fields = [
            "name",
            "phone",
            "gender",
            "birth_place",
            "birth_date",
            "area",
            "address",
            "occupation",
            "is_head_of_family",
            "is_verified",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "placeholder": "0812 3456 7890"}),
        }

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.village = village
        self.instance.village = village
        self.fields["area"].queryset = Area.objects.filter(village=village)
        if not self.instance.pk:
            self.fields["is_verified"].initial = True  # staff enter people from the register
        if self.instance.pk and self.instance.nik:
            self.fields[
                "nik_input"
            ].help_text = f"Tersimpan: {self.instance.nik_masked}. Kosongkan bila tidak diubah."
        if self.instance.pk and self.instance.kk:
            self.fields[
                "kk_input"
            ].help_text = f"Tersimpan: {self.instance.kk_masked}. Kosongkan bila tidak diubah."

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if not phone:
            return ""
        phone = normalise_phone(phone)
        taken = Resident.objects.filter(village=self.village, phone=phone)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError("Nomor ini sudah dipakai warga lain di desa ini.")
        return phone

    def clean_nik_input(self):
        value = self.cleaned_data["nik_input"]
        if not value:
            return ""
        nik = validate_nik(value)
        taken = Resident.objects.filter(village=self.village).with_nik(nik)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError("NIK ini sudah terdaftar untuk warga lain di desa ini.")
        return nik

    def clean_kk_input(self):
        value = self.cleaned_data["kk_input"]
        return validate_kk(value) if value else ""

    def save(self, commit=True):
        if self.cleaned_data.get("nik_input"):
            self.instance.nik = self.cleaned_data["nik_input"]
        if self.cleaned_data.get("kk_input"):
            self.instance.kk = self.cleaned_data["kk_input"]
        return super().save(commit)
