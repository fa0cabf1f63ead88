"""Staff pages for keeping the register whole: import from CSV/XLSX (OpenSID or Balai's
template), and the queue of residents first met on WhatsApp (verify or merge).

The uploaded file lives only between preview and confirm, in the shared cache under a random
key that only the session knows; nothing personal goes into a URL.
"""

import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import F, Func, OuterRef, Q, Subquery
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rapidfuzz import fuzz, process

from balai.letters.models import LetterRequest
from balai.residents.actions import (
    MergeError,
    do_import_residents,
    do_merge_residents,
    do_verify_resident,
)
from balai.residents.identity import clean_digits
from balai.residents.importer import (
    MAX_BYTES,
    MAX_ROWS,
    TEMPLATE_HEADERS,
    ImportFileError,
    plan_import,
    template_csv,
)
from balai.residents.models import Resident
from balai.villages.access import access_object, staff_view

SESSION_KEY = "resident_import"
CACHE_PREFIX = "resident-import:"
CACHE_SECONDS = 60 * 60
SHOWN_ROWS = 500
NAME_MATCH = 75
CANDIDATES = 8
COLUMN_NAMES = {
    "name": "Nama",
    "nik": "NIK",
    "kk": "Nomor KK",
    "gender": "Jenis kelamin",
    "birth_place": "Tempat lahir",
    "birth_date": "Tanggal lahir",
    "head": "Kepala keluarga",
    "dusun": "Dusun",
    "rw": "RW",
    "rt": "RT",
    "address": "Alamat",
    "occupation": "Pekerjaan",
    "occupation_id": "Pekerjaan (kode OpenSID)",
    "phone": "Nomor HP",
}


def _forget_upload(request) -> None:
    token = request.session.pop(SESSION_KEY, None)
    if token:
        cache.delete(CACHE_PREFIX + token)


def _preview(request, plan, status=200, changed=False):
    return render(
        request,
        "residents/import_preview.html",
        {
            "plan": plan,
            "recognised": [(h, COLUMN_NAMES[f]) for f, h in plan.columns.items()],
            "errors": plan.errors[:SHOWN_ROWS],
            "notes": plan.notes[:SHOWN_ROWS],
            "updates": plan.updates[:SHOWN_ROWS],
            "shown": SHOWN_ROWS,
            "changed": changed,
        },
        status=status,
    )


@staff_view("manage_residents")
def resident_import(request, staff):
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("berkas")
        if upload is None:
            error = "Pilih berkas CSV atau Excel (.xlsx) terlebih dahulu."
        elif upload.size > MAX_BYTES:
            error = "Berkas terlalu besar (lebih dari 5 MB). Bagi datanya menjadi beberapa berkas."
        else:
            data = upload.read()
            _forget_upload(request)
            try:
                plan = plan_import(staff.village, data, upload.name)
            except ImportFileError as problem:
                error = str(problem)
            else:
                if plan.ok:
                    token = secrets.token_urlsafe(24)
                    cache.set(
                        CACHE_PREFIX + token,
                        {
                            "village": staff.village.pk,
                            "user": request.user.pk,
                            "name": upload.name,
                            "data": data,
                            "counts": (plan.new_count, plan.update_count),
                        },
                        CACHE_SECONDS,
                    )
                    request.session[SESSION_KEY] = token
                return _preview(request, plan)
    return render(
        request,
        "residents/import.html",
        {"error": error, "headers": TEMPLATE_HEADERS, "max_rows": MAX_ROWS},
        status=400 if error else 200,
    )


@staff_view("manage_residents")
@require_POST
def resident_import_confirm(request, staff):
    token = request.session.get(SESSION_KEY)
    stored = cache.get(CACHE_PREFIX + token) if token else None
    if not stored or stored["village"] != staff.village.pk or stored["user"] != request.user.pk:
        messages.error(
            request,
            "Tidak ada berkas yang siap diimpor (mungkin sudah lewat satu jam, atau ada baris "
            "yang salah). Silakan unggah lagi.",
        )
        return redirect("residents:import", staff.village.slug)
    try:
        plan = plan_import(staff.village, stored["data"], stored["name"])
    except ImportFileError as problem:
        _forget_upload(request)
        messages.error(request, str(problem))
        return redirect("residents:import", staff.village.slug)
    if not plan.ok:
        _forget_upload(request)
        return _preview(request, plan, status=400)
    counts = (plan.new_count, plan.update_count)
    if counts != tuple(stored["counts"]):
        # The register changed since the preview: show the new numbers before writing.
        stored["counts"] = counts
        cache.set(CACHE_PREFIX + token, stored, CACHE_SECONDS)
        return _preview(request, plan, status=409, changed=True)
    try:
        result = do_import_residents(staff.village, plan, request.user)
    except IntegrityError:
        messages.error(
            request,
            "Data warga berubah ketika impor berjalan, jadi tidak ada yang disimpan. "
            "Silakan unggah berkasnya lagi.",
        )
        _forget_upload(request)
        return redirect("residents:import", staff.village.slug)
    _forget_upload(request)
    messages.success(
        request,
        f"Impor selesai: {result['created']} warga baru, {result['updated']} diperbarui"
        + (f", {result['areas_created']} wilayah baru." if result["areas_created"] else "."),
    )
    return redirect("residents:list", staff.village.slug)


@staff_view("manage_residents")
def resident_import_template(request, staff):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="templat-data-warga-balai.csv"'
    return response


# --- Residents first met on WhatsApp ---------------------------------------------------------


def _request_count():
    requests = (
        LetterRequest.objects.filter(Q(resident=OuterRef("pk")) | Q(contact=OuterRef("pk")))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Subquery(requests)


@staff_view("manage_residents")
def verify_queue(request, staff):
    residents = (
        Resident.objects.for_village(staff.village)
        .filter(is_verified=False)
        .select_related("area__parent")
        .annotate(request_count=_request_count())
        .order_by("-created", "-pk")
    )
    page = Paginator(residents, 50).get_page(request.GET.get("hal"))
    return render(request, "residents/verify_queue.html", {"page": page})


@staff_view("manage_residents")
@require_POST
def verify_resident(request, staff, code):
    resident = access_object(staff, Resident, code=code)
    if do_verify_resident(resident, request.user):
        messages.success(request, f"Data {resident.name} ditandai sudah diperiksa.")
    else:
        messages.info(request, f"Data {resident.name} sudah diperiksa sebelumnya.")
    return redirect("residents:verify_queue", staff.village.slug)


def _candidates(duplicate: Resident) -> list[tuple[Resident, list[str]]]:
    """Register entries that may be the same person: same NIK or KK, similar name."""
    others = Resident.objects.for_village(duplicate.village).exclude(pk=duplicate.pk)
    reasons: dict[int, list[str]] = {}
    if duplicate.nik_hash:
        for pk in others.filter(nik_hash=duplicate.nik_hash).values_list("pk", flat=True):
            reasons.setdefault(pk, []).append("NIK sama")
    names = dict(others.values_list("pk", "name"))
    for _name, score, pk in process.extract(
        duplicate.name,
        names,
        scorer=fuzz.token_sort_ratio,
        processor=str.lower,
        limit=CANDIDATES,
        score_cutoff=NAME_MATCH,
    ):
        reasons.setdefault(pk, []).append(f"nama mirip ({round(score)}%)")
    found = {r.pk: r for r in others.filter(pk__in=reasons).select_related("area__parent")}
    result = []
    for pk, why in reasons.items():
        resident = found[pk]
        if duplicate.birth_date and resident.birth_date == duplicate.birth_date:
            why.append("tanggal lahir sama")
        result.append((resident, why))
    result.sort(key=lambda item: ("NIK sama" not in item[1], -len(item[1])))
    return result[:CANDIDATES]


@staff_view("manage_residents")
def merge_resident(request, staff, code):
    duplicate = access_object(
        staff, Resident.objects.select_related("area__parent", "village"), code=code
    )
    context = {"duplicate": duplicate, "query": "", "results": None, "target": None}
    if request.method == "POST" and "target" in request.POST:
        target = access_object(staff, Resident, code=request.POST["target"])
        if target.pk == duplicate.pk:
            messages.error(request, "Pilih warga lain sebagai data yang dipertahankan.")
            return redirect("residents:merge", staff.village.slug, duplicate.code)
        name = duplicate.name
        take_phone = request.POST.get("nomor") == "whatsapp"
        try:
            do_merge_residents(target, duplicate, request.user, take_phone=take_phone)
        except MergeError as e:
            messages.error(request, str(e))
            return redirect("residents:merge", staff.village.slug, duplicate.code)
        messages.success(
            request, f"Data {name} sudah digabungkan ke {target.name} dan ditandai sudah diperiksa."
        )
        return redirect("residents:detail", staff.village.slug, target.code)
    if request.method == "POST":
        # Searching is a POST so a NIK typed here never lands in a URL or an access log.
        query = request.POST.get("q", "").strip()
        # A NIK typed here is not written back into the page.
        context["query"] = "" if len(clean_digits(query)) >= 12 else query
        if query:
            context["results"] = list(
                Resident.objects.for_village(staff.village)
                .exclude(pk=duplicate.pk)
                .search(query)
                .select_related("area__parent")[:20]
            )
    chosen = request.GET.get("ke")
    if chosen:
        target = access_object(staff, Resident.objects.select_related("area__parent"), code=chosen)
        if target.pk != duplicate.pk:
            context["target"] = target
    if context["target"] is None:
        context["candidates"] = _candidates(duplicate)
    context["request_count"] = LetterRequest.objects.of_contact(duplicate).count()
    context["complaint_count"] = duplicate.complaints.count()
    return render(request, "residents/merge.html", context)
