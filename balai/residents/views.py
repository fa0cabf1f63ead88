import re
import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from balai.residents.forms import ResidentForm
from balai.residents.models import Resident
from balai.villages.access import access_resident, staff_view
from balai.villages.actions import do_audit

# Searches are posted and kept in the session under a short random key, so a NIK, KK or
# phone number typed into the box never lands in a URL (browser history, proxy logs).
SEARCHES = "resident_searches"
MAX_SEARCHES = 20
IDENTIFIER = re.compile(r"\d{6,}")


@staff_view("view_residents")
def resident_list(request, staff):
    if request.method == "POST":
        query = request.POST.get("q", "").strip()[:100]
        if not query:
            return redirect("residents:list", staff.village.slug)
        searches = request.session.get(SEARCHES, {})
        key = secrets.token_urlsafe(6)
        searches = dict(list(searches.items())[-(MAX_SEARCHES - 1) :], **{key: query})
        request.session[SEARCHES] = searches
        return redirect(f"{reverse('residents:list', args=[staff.village.slug])}?cari={key}")
    residents = Resident.objects.for_village(staff.village).select_related("area__parent")
    key = request.GET.get("cari", "")
    query = request.session.get(SEARCHES, {}).get(key, "") if key else ""
    if not key:
        # ?q= links (bookmarks, other pages) search names only; numbers go through the box.
        query = request.GET.get("q", "").strip()
        if IDENTIFIER.search(re.sub(r"[\s.+-]", "", query)):
            messages.info(request, "Untuk mencari NIK atau nomor HP, pakai kotak pencarian.")
            query = ""
    elif not query:
        messages.info(request, "Pencarian itu sudah kedaluwarsa. Silakan cari lagi.")
    if query:
        residents = residents.search(query)
    page = Paginator(residents, 50).get_page(request.GET.get("hal"))
    return render(request, "residents/list.html", {"page": page, "query": query, "search_key": key})


@staff_view("view_residents")
def resident_detail(request, staff, code):
    resident = access_resident(staff, code)
    do_audit(request.user, staff.village, "resident.view", resident)
    return render(
        request,
        "residents/detail.html",
        {"resident": resident, "can_reveal": staff.can("reveal_nik")},
    )


@staff_view("reveal_nik")
@require_POST
def resident_reveal(request, staff, code):
    """Show the full NIK/KK once; every reveal is written to the audit log."""
    resident = access_resident(staff, code)
    do_audit(request.user, staff.village, "resident.reveal_identity", resident)
    return render(request, "residents/detail.html", {"resident": resident, "revealed": True})


@staff_view("manage_residents")
def resident_edit(request, staff, code=None):
    resident = access_resident(staff, code) if code else None
    form = ResidentForm(staff.village, request.POST or None, instance=resident)
    if request.method == "POST" and form.is_valid():
        resident = form.save()
        do_audit(
            request.user,
            staff.village,
            "resident.update" if code else "resident.create",
            resident,
            fields=sorted(f for f in form.changed_data),
        )
        messages.success(request, f"Data {resident.name} sudah disimpan.")
        return redirect("residents:detail", staff.village.slug, resident.code)
    return render(request, "residents/edit.html", {"form": form, "resident": resident})
