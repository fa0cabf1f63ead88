"""Console pages for a village's complaint categories (part of "Layanan WhatsApp").

Categories are listed on the services overview (``villages:services``); here staff who
manage the village add, rename, reorder and switch them on or off. A category is never
deleted: complaints keep pointing at it, so it is switched off instead.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from balai.complaints.actions import (
    do_add_category,
    do_move_category,
    do_rename_category,
    do_set_category_active,
)
from balai.complaints.forms import CategoryForm
from balai.complaints.models import Category
from balai.villages.access import access_object, staff_view


def _back(staff):
    return redirect(reverse("villages:services", args=[staff.village.slug]) + "#kategori")


@staff_view("manage_village")
def category_create(request, staff):
    form = CategoryForm(staff.village, request.POST or None)
    if request.method == "POST" and form.is_valid():
        category = do_add_category(
            staff.village, name=form.cleaned_data["name"], actor=request.user
        )
        messages.success(request, f"Kategori “{category.name}” sudah ditambahkan.")
        return _back(staff)
    return render(request, "complaints/category_form.html", {"form": form, "category": None})


@staff_view("manage_village")
def category_edit(request, staff, slug):
    category = access_object(staff, Category, slug=slug)
    form = CategoryForm(staff.village, request.POST or None, category=category)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["name"] != category.name:
            do_rename_category(category, form.cleaned_data["name"], request.user)
            messages.success(request, f"Nama kategori sudah diganti menjadi “{category.name}”.")
        return _back(staff)
    return render(
        request,
        "complaints/category_form.html",
        {"form": form, "category": category, "complaint_count": category.complaints.count()},
    )


@staff_view("manage_village")
@require_POST
def category_toggle(request, staff, slug):
    category = access_object(staff, Category, slug=slug)
    active = request.POST.get("aktif") == "1"
    do_set_category_active(category, active, request.user)
    if active:
        messages.success(request, f"Kategori “{category.name}” aktif lagi di WhatsApp.")
    else:
        messages.success(
            request,
            f"Kategori “{category.name}” dinonaktifkan: tidak ditawarkan lagi di WhatsApp. "
            "Pengaduan lama tetap tersimpan.",
        )
    return _back(staff)


@staff_view("manage_village")
@require_POST
def category_move(request, staff, slug):
    category = access_object(staff, Category, slug=slug)
    do_move_category(category, -1 if request.POST.get("arah") == "naik" else 1, request.user)
    return _back(staff)
