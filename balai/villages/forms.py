from django import forms

from balai.villages.models import WEEKDAYS, Area, Village, validate_office_hours
from balai.villages.roles import Role


class VillageForm(forms.ModelForm):
    office_hours_text = forms.CharField(
        label="Jam kantor",
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Satu hari per baris, mis. 'senin 08:00-15:00'. Kosongkan jamnya bila tutup; "
        "dua sesi dipisah koma: 'jumat 08:00-11:00, 13:00-15:00'.",
    )

    class Meta:
        model = Village
        fields = [
            "name",
            "kind",
            "official_code",
            "kecamatan",
            "kabupaten",
            "provinsi",
            "timezone",
            "address",
            "postal_code",
            "phone",
            "email",
            "letterhead",
            "ticket_prefix",
            "approval_chain",
            "deliver_on_whatsapp",
            "public_complaints",
            "session_idle_hours",
            "handoff_hours",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "letterhead": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office_hours_text"].initial = self.hours_to_text(self.instance.office_hours)

    @staticmethod
    def hours_to_text(hours: dict) -> str:
        return "\n".join(
            f"{day} " + ", ".join(f"{a}-{b}" for a, b in hours.get(day, [])) for day in WEEKDAYS
        )

    def clean_office_hours_text(self):
        hours = {day: [] for day in WEEKDAYS}
        for line in self.cleaned_data["office_hours_text"].splitlines():
            day, _, spans = line.strip().partition(" ")
            if not day:
                continue
            if day.lower() not in hours:
                raise forms.ValidationError(f"Hari '{day}' tidak dikenal. Pakai senin … minggu.")
            for span in filter(None, (s.strip() for s in spans.split(","))):
                start, sep, end = span.partition("-")
                if not sep:
                    raise forms.ValidationError(f"Tulis jam sebagai 08:00-15:00 (bukan '{span}').")
                hours[day.lower()].append([start.strip(), end.strip()])
        validate_office_hours(hours)
        return hours

    def save(self, commit=True):
        self.instance.office_hours = self.cleaned_data["office_hours_text"]
        return super().save(commit)


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["kind", "name", "parent"]

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.village = village
        self.fields["parent"].queryset = Area.objects.filter(village=village).exclude(kind="rt")
        self.fields["parent"].required = False


class StaffForm(forms.Form):
    username = forms.SlugField(
        label="Nama pengguna",
        max_length=150,
        help_text="Huruf kecil, angka, titik tidak boleh; mis. budi-pondok",
    )
    full_name = forms.CharField(label="Nama lengkap", max_length=150)
    role = forms.ChoiceField(label="Peran", choices=Role.choices)
    title = forms.CharField(label="Jabatan", max_length=100, required=False)
    password = forms.CharField(
        label="Kata sandi awal",
        widget=forms.PasswordInput,
        min_length=10,
        help_text="Minimal 10 karakter.",
    )
