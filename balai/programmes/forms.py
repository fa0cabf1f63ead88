from django import forms
from django.contrib.auth import get_user_model

from balai.programmes.models import Activity, AgeGroup, Programme
from balai.residents.models import Resident
from balai.villages.roles import Role


def _staff_of(village, roles):
    return (
        get_user_model()
        .objects.filter(memberships__village=village, memberships__role__in=roles,
                        memberships__is_active=True)
        .order_by("first_name", "username")
    )  # fmt: skip


class UserChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class ProgrammeForm(forms.ModelForm):
    objectives_text = forms.CharField(
        label="Sasaran",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Satu sasaran per baris, mis. “Terlaksananya jadwal kegiatan.”",
    )
    facilitators = UserChoice(
        queryset=None, label="Pendamping", widget=forms.CheckboxSelectMultiple
    )
    supervisors = UserChoice(
        queryset=None, label="DPL (dosen pembimbing)", required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = Programme
        fields = [
            "title",
            "purpose",
            "target_group",
            "starts_on",
            "ends_on",
            "university",
            "cohort",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 5}),
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        office = [Role.OPERATOR, Role.KASI_PELAYANAN, Role.SEKDES, Role.KADES]
        self.fields["facilitators"].queryset = _staff_of(village, [Role.PENDAMPING, *office])
        self.fields["supervisors"].queryset = _staff_of(village, [Role.DPL])
        if self.instance.pk:
            self.fields["objectives_text"].initial = "\n".join(self.instance.objectives)
            self.fields["facilitators"].initial = self.instance.facilitators.all()
            self.fields["supervisors"].initial = self.instance.supervisors.all()

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "Tanggal selesai tidak boleh sebelum tanggal mulai.")
        self.instance.objectives = [
            line.strip(" -•\t") for line in data.get("objectives_text", "").splitlines()
            if line.strip(" -•\t")
        ]  # fmt: skip
        return data


class ParticipantForm(forms.Form):
    name = forms.CharField(label="Nama", max_length=150)
    phone = forms.CharField(label="Nomor WhatsApp", max_length=30, help_text="Mis. 0812 3456 7890")
    business = forms.CharField(label="Usaha / komoditas", max_length=150, required=False)
    gender = forms.ChoiceField(
        label="Jenis kelamin", choices=[("", "—"), *Resident.Gender.choices], required=False
    )
    age_group = forms.ChoiceField(
        label="Kelompok umur", choices=[("", "—"), *AgeGroup.choices], required=False
    )
    area = forms.ModelChoiceField(label="Dusun", queryset=None, required=False)

    def __init__(self, village, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = village.areas.filter(kind="dusun").order_by("name")


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["title", "starts_at", "ends_at", "place", "online_link", "materials"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "materials": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "Waktu selesai harus sesudah waktu mulai.")
        return data


class GroupForm(forms.Form):
    name = forms.CharField(label="Nama grup", max_length=100)
    formed_on = forms.DateField(
        label="Tanggal dibentuk", widget=forms.DateInput(attrs={"type": "date"})
    )
    invite_link = forms.URLField(
        label="Tautan undangan", required=False, help_text="https://chat.whatsapp.com/…"
    )
    opening_info = forms.CharField(
        label="Informasi awal", widget=forms.Textarea(attrs={"rows": 5}), max_length=3000,
        required=False, help_text="Dikirim bersama tautan grup ke setiap peserta yang bersedia.",
    )  # fmt: skip
    send = forms.BooleanField(
        label="Kirim tautan dan informasi awal ke semua peserta yang bersedia", required=False
    )

    def clean_invite_link(self):
        link = self.cleaned_data["invite_link"]
        if link and not link.startswith("https://chat.whatsapp.com/"):
            raise forms.ValidationError(
                "Tautan undangan grup WhatsApp diawali https://chat.whatsapp.com/"
            )
        return link


class FollowUpForm(forms.ModelForm):
    """Monthly follow-up after the programme ends (balai.programmes.followup)."""

    class Meta:
        model = Programme
        fields = ["followup_months", "followup_day", "followup_question"]
        widgets = {
            "followup_months": forms.NumberInput(attrs={"min": 0, "max": 12}),
            "followup_day": forms.NumberInput(attrs={"min": 1, "max": 28}),
        }
