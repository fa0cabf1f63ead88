"""The "Layanan WhatsApp" section: what the village's WhatsApp assistant offers, and the
FAQ staff write for it.

The overview lists letter types (edited in ``balai.letters.views``), complaint categories
(``balai.complaints.views``) and the FAQ (here). Every staff member may read it; those who
manage the village change it. The assistant reads these rows on every message, so a change
applies to the next message a resident sends.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from balai.complaints.models import Category
from balai.letters.models import LetterType
from balai.villages.access import access_object, staff_view
from balai.villages.actions import (
    do_add_faq,
    do_delete_faq,
    do_move_faq,
    do_set_faq_active,
    do_update_faq,
)
from balai.villages.models import Faq


class FaqForm(forms.ModelForm):
    class Meta:
        model = Faq
        fields = ["question", "answer"]
        labels = {"question": "Pertanyaan", "answer": "Jawaban"}
        help_texts = {
            "question": "Paling banyak 200 karakter. Di daftar WhatsApp sekitar 20 huruf pertama "
            "menjadi judul, jadi taruh kata pentingnya di depan.",
            "answer": "Paling banyak 3000 karakter. Dikirim apa adanya kepada warga.",
        }
        widgets = {
            "question": forms.TextInput(attrs={"maxlength": 200}),
            "answer": forms.Textarea(attrs={"rows": 6, "maxlength": 3000}),
        }
        error_messages = {
            "question": {
                "max_length": "Pertanyaan paling banyak 200 karakter (sekarang %(show_value)d)."
            },
            "answer": {
                "max_length": "Jawaban paling banyak 3000 karakter (sekarang %(show_value)d)."
            },
        }


def _back(staff):
    return redirect(reverse("villages:services", args=[staff.village.slug]) + "#tanya-jawab")


@staff_view()
def services(request, staff):
    village = staff.village
    return render(
        request,
        "villages/services.html",
        {
            "letter_types": LetterType.objects.filter(village=village).order_by("position", "pk"),
            "categories": Category.objects.filter(village=village).order_by("position", "pk"),
            "faqs": Faq.objects.filter(village=village).order_by("position", "pk"),
            "can_manage": staff.can("manage_village"),
        },
    )


@staff_view("manage_village")
def faq_create(request, staff):
    form = FaqForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_add_faq(staff.village, actor=request.user, **form.cleaned_data)
        messages.success(request, "Tanya jawab sudah ditambahkan dan langsung tampil di WhatsApp.")
        return _back(staff)
    return render(request, "villages/faq_form.html", {"form": form, "faq": None})


@staff_view("manage_village")
def faq_edit(request, staff, code):
    faq = access_object(staff, Faq, code=code)
    form = FaqForm(request.POST or None, instance=faq)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if do_update_faq(faq, changes, request.user):
            messages.success(request, "Tanya jawab sudah disimpan.")
        return _back(staff)
    return render(request, "villages/faq_form.html", {"form": form, "faq": faq})


@staff_view("manage_village")
@require_POST
def faq_toggle(request, staff, code):
    faq = access_object(staff, Faq, code=code)
    active = request.POST.get("tampil") == "1"
    do_set_faq_active(faq, active, request.user)
    if active:
        messages.success(request, "Tanya jawab tampil lagi di WhatsApp.")
    else:
        messages.success(request, "Tanya jawab disembunyikan dari WhatsApp.")
    return _back(staff)


@staff_view("manage_village")
@require_POST
def faq_move(request, staff, code):
    faq = access_object(staff, Faq, code=code)
    do_move_faq(faq, -1 if request.POST.get("arah") == "naik" else 1, request.user)
    return _back(staff)


@staff_view("manage_village")
def faq_delete(request, staff, code):
    faq = access_object(staff, Faq, code=code)
    if request.method == "POST":
        do_delete_faq(faq, request.user)
        messages.success(request, "Tanya jawab sudah dihapus.")
        return _back(staff)
    return render(request, "villages/faq_delete.html", {"faq": faq})
