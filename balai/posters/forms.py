from django import forms

from balai.posters.models import DEFAULT_ACCENT, DEFAULT_PRIMARY, DEFAULT_TAGLINE, PosterStyle


class PosterStyleForm(forms.ModelForm):
    class Meta:
        model = PosterStyle
        fields = ["primary", "accent", "tagline"]
        labels = {
            "primary": "Warna utama",
            "accent": "Warna aksen",
            "tagline": "Kalimat ajakan",
        }
        help_texts = {
            "primary": f"Pita atas dan bawah poster. Bawaan: {DEFAULT_PRIMARY}.",
            "accent": f"Nomor langkah, titik daftar, dan garis. Bawaan: {DEFAULT_ACCENT}.",
            "tagline": f"Satu kalimat pendek di pita bawah, paling banyak 80 karakter. "
            f"Bawaan: “{DEFAULT_TAGLINE}”. Kosongkan bila tidak perlu.",
        }
        widgets = {
            "primary": forms.TextInput(attrs={"type": "color"}),
            "accent": forms.TextInput(attrs={"type": "color"}),
            "tagline": forms.TextInput(attrs={"maxlength": 80}),
        }
        error_messages = {
            "tagline": {
                "max_length": "Kalimat ajakan paling banyak 80 karakter (sekarang %(show_value)d)."
            },
        }

    def clean_primary(self):
        return self.cleaned_data["primary"].lower()

    def clean_accent(self):
        return self.cleaned_data["accent"].lower()

    def clean_tagline(self):
        return " ".join(self.cleaned_data["tagline"].split())
