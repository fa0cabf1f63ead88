import datetime as dt
import re

from django import forms

from balai.outcomes import indicators as ind
from balai.outcomes.actions import defaults_for
from balai.outcomes.models import Indicator, Kind

MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*$")


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, dt.date):
            return f"{value:%Y-%m}"
        return value


class MonthField(forms.DateField):
    """A month as ``YYYY-MM`` (what ``<input type=month>`` sends), kept as its first day."""

    widget = MonthInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value.replace(day=1)
        match = MONTH.match(str(value))
        if not match:
            raise forms.ValidationError("Tulis bulan sebagai TTTT-BB, mis. 2026-07.")
        year, month = int(match[1]), int(match[2])
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise forms.ValidationError("Bulan itu tidak ada.")
        return dt.date(year, month, 1)


class IndicatorForm(forms.ModelForm):
    baseline_start = MonthField(label="Baseline dari bulan", required=False)
    baseline_end = MonthField(label="Baseline sampai bulan", required=False)

    class Meta:
        model = Indicator
        fields = [
            "kind", "name", "short", "unit", "direction", "baseline_value",
            "baseline_start", "baseline_end", "notes",
        ]  # fmt: skip
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["unit"].required = False
        self.fields["name"].help_text = "Kosongkan untuk memakai nama indikator siap pakai."
        self.fields["unit"].help_text = "Kosongkan untuk memakai satuan indikator siap pakai."

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        defaults = defaults_for(kind) if kind else {}
        for name in ("name", "unit"):
            if not data.get(name):
                if defaults.get(name):
                    data[name] = defaults[name]
                    setattr(self.instance, name, defaults[name])
                else:
                    self.add_error(name, "Wajib diisi untuk indikator manual.")
        return data


class TargetForm(forms.Form):
    period = MonthField(label="Bulan")
    value = forms.DecimalField(
        label="Target", max_digits=16, decimal_places=2, required=False,
        help_text="Kosongkan untuk menghapus target bulan itu.",
    )  # fmt: skip


class ValueForm(forms.Form):
    period = MonthField(label="Bulan")
    value = forms.DecimalField(label="Nilai", max_digits=16, decimal_places=2)
    dimension = forms.ChoiceField(
        label="Rincian (boleh kosong)",
        choices=[("", "Semua peserta"), *ind.DIMENSIONS.items()],
        required=False,
    )
    group = forms.CharField(
        label="Kelompok", max_length=60, required=False, help_text="Mis. Perempuan, 40–54, Krajan"
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("dimension")) != bool((data.get("group") or "").strip()):
            raise forms.ValidationError(
                "Isi rincian dan kelompoknya bersama-sama, atau kosongkan keduanya."
            )
        return data


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Nama pemakai", max_length=100, help_text="Mis. Power BI Bappeda, Looker Studio"
    )


KIND_CHOICES = Kind.choices
