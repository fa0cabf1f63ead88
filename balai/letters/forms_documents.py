from django import forms

from balai.letters.documents import template_errors
from balai.letters.models import Paper

MAX_TEMPLATE_CHARS = 200_000


class LetterTemplateForm(forms.Form):
    """The HTML of one letter type's letter, with [placeholders], and its paper size."""

    html = forms.CharField(
        label="Isi surat (HTML)",
        max_length=MAX_TEMPLATE_CHARS,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 28,
                "spellcheck": "false",
                "wrap": "off",
                "style": "font-family: monospace; font-size: 0.85rem; width: 100%",
            }
        ),
        help_text="Kode dalam kurung siku, mis. [nama] atau [form_keperluan], diganti dengan "
        "data surat. Gambar dari internet tidak dimuat.",
        error_messages={"required": "Isi surat tidak boleh kosong."},
    )
    paper = forms.ChoiceField(label="Kertas", choices=Paper.choices, initial=Paper.A4)

    def __init__(self, letter_type, *args, **kwargs):
        self.letter_type = letter_type
        super().__init__(*args, **kwargs)

    def clean_html(self):
        html = self.cleaned_data["html"]
        errors = template_errors(self.letter_type, html)
        if errors:
            raise forms.ValidationError(errors)
        return html
