"""Residents' UU PDP requests in the console: the queue with its 3 × 24-hour deadlines, one
request, and what staff do with it (balai.residents.privacy)."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from balai.residents import privacy
from balai.residents.models import DataRequest
from balai.villages.access import access_data_request, access_resident, staff_view

DONE_SHOWN = 30


@staff_view("view_data_requests")
def data_requests(request, staff):
    base = DataRequest.objects.filter(village=staff.village).select_related("resident")
    pending = list(base.pending().order_by("due_at", "pk"))
    done = list(
        base.exclude(state__in=DataRequest.PENDING_STATES).order_by("-done_at")[:DONE_SHOWN]
    )
    now = timezone.now()
    return render(
        request,
        "residents/privacy_list.html",
        {
            "pending": [(r, r.is_overdue(now)) for r in pending],
            "done": done,
            "hours": DataRequest.RESPONSE_HOURS,
        },
    )


@staff_view("view_data_requests")
def data_request_detail(request, staff, code):
    data_request = access_data_request(staff, code)
    resident = data_request.resident
    blockers = (
        privacy.erasure_blockers(resident)
        if data_request.kind == DataRequest.Kind.ERASURE and data_request.is_pending
        else []
    )
    return render(
        request,
        "residents/privacy_detail.html",
        {
            "data_request": data_request,
            "resident": resident,
            "blockers": blockers,
            "overdue": data_request.is_overdue(timezone.now()),
            "deadline": privacy.deadline_text(data_request),
            "can_handle": staff.can("handle_data_requests"),
            "reachable": bool(resident.phone or resident.wa_user_id),
        },
    )


@staff_view("handle_data_requests")
@require_POST
def data_request_process(request, staff, code):
    """Carry out the request: build and send the copy, or erase. Needs the ticked box."""
    data_request = access_data_request(staff, code)
    back = redirect("residents:data_request", staff.village.slug, data_request.code)
    if request.POST.get("confirm") != "ya":
        messages.error(request, "Centang kotak persetujuan dulu, lalu tekan tombolnya lagi.")
        return back
    try:
        if data_request.kind == DataRequest.Kind.EXPORT:
            privacy.do_start_export(data_request, request.user)
            messages.success(
                request,
                "Salinan data sedang disiapkan dan akan dikirim ke WhatsApp warga.",
            )
        else:
            privacy.do_erase(data_request, request.user)
            messages.success(request, "Data pribadi warga sudah dihapus; warga sudah dikabari.")
    except privacy.PrivacyError as e:
        messages.error(request, str(e))
    return back


@staff_view("handle_data_requests")
@require_POST
def data_request_refuse(request, staff, code):
    data_request = access_data_request(staff, code)
    try:
        privacy.do_refuse(data_request, request.user, request.POST.get("reason", ""))
        messages.success(request, "Permintaan ditolak; alasannya sudah dikirim ke warga.")
    except privacy.PrivacyError as e:
        messages.error(request, str(e))
    return redirect("residents:data_request", staff.village.slug, data_request.code)


@staff_view("view_data_requests")
@require_POST
def data_request_record(request, staff, code):
    """A request made in person at the office, recorded on the resident's page."""
    resident = access_resident(staff, code)
    kind = request.POST.get("kind", "")
    if kind not in DataRequest.Kind.values:
        messages.error(request, "Pilih jenis permintaan: salinan data atau penghapusan.")
        return redirect("residents:detail", staff.village.slug, resident.code)
    if resident.erased_at:
        messages.error(request, "Data warga ini sudah dihapus.")
        return redirect("residents:detail", staff.village.slug, resident.code)
    data_request, created = privacy.do_receive_data_request(
        resident, kind, via="kantor", actor=request.user, note=request.POST.get("note", "")
    )
    if created:
        messages.success(request, f"Permintaan {data_request.code} dicatat.")
    else:
        messages.info(request, f"Permintaan yang sama masih berjalan: {data_request.code}.")
    return redirect("residents:data_request", staff.village.slug, data_request.code)


def data_download(request, token):
    """The export for the resident (and for Meta, which fetches the WhatsApp document from
    this link): a signed, expiring token, no login; no NIK anywhere in the URL."""
    found = privacy.file_from_token(token)
    if found is None:
        raise Http404
    data_request, part = found
    field = data_request.export_file if part == "zip" else data_request.summary_file
    if not field:
        raise Http404
    response = FileResponse(
        field.open("rb"),
        content_type="application/zip" if part == "zip" else "application/pdf",
        filename=f"data-{data_request.code}.{part}",
        as_attachment=part == "zip",
    )
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response
