"""Console page for one letter type of the village (part of "Layanan WhatsApp").

Every staff member of the village may read it; those who manage the village may edit what
residents see on WhatsApp. The documents and fields lists are shown but not edited here.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from balai.letters.actions import do_update_letter_type
from balai.letters.forms import LetterTypeForm
from balai.letters.models import LetterType
from balai.villages.access import access_object, staff_view

FIELD_KINDS = {
    "text": "Teks",
    "number": "Angka",
    "date": "Tanggal",
    "choice": "Pilihan",
    "amount": "Nominal (Rp)",
}


def field_rows(letter_type: LetterType) -> list[dict]:
    """The fields a resident fills in, as labels staff can read."""
    return [
        {
            "label": f.get("label", f.get("key", "")),
            "prompt": f.get("prompt", ""),
            "kind": FIELD_KINDS.get(f.get("kind", "text"), f.get("kind", "")),
            "example": f.get("example", ""),
            "choices": ", ".join(str(c) for c in f.get("choices", [])),
        }
        for f in letter_type.fields
    ]


@staff_view()
def letter_type(request, staff, slug):
    letter_type = access_object(staff, LetterType, slug=slug)
    can_manage = staff.can("manage_village")
    form = LetterTypeForm(request.POST or None, instance=letter_type) if can_manage else None
    if request.method == "POST":
        staff.require("manage_village")
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            if do_update_letter_type(letter_type, changes, request.user):
                messages.success(request, f"{letter_type.name} sudah disimpan.")
            else:
                messages.info(request, "Tidak ada yang berubah.")
            return redirect(reverse("villages:services", args=[staff.village.slug]) + "#surat")
        # Show the stored values beside the form, not the rejected ones.
        letter_type.refresh_from_db()
    return render(
        request,
        "letters/letter_type.html",
        {
            "letter_type": letter_type,
            "form": form,
            "can_manage": can_manage,
            "documents": letter_type.documents,
            "fields": field_rows(letter_type),
        },
    )
