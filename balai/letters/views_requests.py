"""The requests queue and a request's page: data, attachments, resident, history, and the
actions of the approval chain (balai.letters.workflow)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from balai.letters import workflow
from balai.letters.models import (
    OPEN_STATES,
    IssuedLetter,
    LetterRequest,
    LetterType,
    RequestState,
)
from balai.villages.access import staff_view
from balai.villages.actions import do_audit
from balai.villages.models import Area

FILTER_STATES = [("open", "Dalam proses"), ("overdue", "Terlambat"), ("mine", "Menunggu saya")]
FILTER_STATES += [(s.value, s.label) for s in RequestState]
AGES = [("", "Semua umur"), ("1", "> 1 hari"), ("3", "> 3 hari"), ("7", "> 7 hari")]


def _requests(staff):
    return LetterRequest.objects.filter(village=staff.village).select_related(
        # Area.label walks up the dusun → RW → RT tree: load it with the row.
        "letter_type",
        "resident__area__parent__parent",
        "assigned_to",
    )


@staff_view("process_requests")
def request_list(request, staff):
    today = staff.village.local_now().date()
    qs = _requests(staff)
    state = request.GET.get("status", "open")
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state == "overdue":
        qs = qs.filter(state__in=OPEN_STATES, due_date__lt=today)
    elif state == "mine":
        qs = qs.filter(workflow.waiting_for(staff))
    elif state in RequestState.values:
        qs = qs.filter(state=state)
    kind = request.GET.get("jenis", "")
    if kind:
        qs = qs.filter(letter_type__slug=kind)
    area = request.GET.get("wilayah", "")
    if area:
        qs = qs.filter(Q(resident__area__code=area) | Q(resident__area__parent__code=area))
    age = request.GET.get("umur", "")
    if age.isdigit():
        qs = qs.filter(submitted_at__lt=timezone.now() - dt.timedelta(days=int(age)))
    qs = qs.order_by("due_date", "submitted_at", "pk")
    # Page through ids only, then load the 50 rows: a deep page then skips narrow index
    # entries instead of thousands of joined rows (make bench-console, page 100).
    page = Paginator(qs.values_list("pk", flat=True), 50).get_page(request.GET.get("hal"))
    by_pk = {r.pk: r for r in _requests(staff).filter(pk__in=list(page))}
    rows = [by_pk[pk] for pk in page if pk in by_pk]
    for r in rows:
        r.village = staff.village  # already known: no query per row
        r.overdue = r.is_open and r.due_date < today
        r.for_me = workflow.can_act(staff, r)
    return render(
        request,
        "letters/requests.html",
        {
            "page": page,
            "rows": rows,
            "states": FILTER_STATES,
            "ages": AGES,
            "types": LetterType.objects.filter(village=staff.village),
            "areas": Area.objects.filter(village=staff.village, kind="dusun"),
            "chosen": {"status": state, "jenis": kind, "wilayah": area, "umur": age},
        },
    )


def _get(staff, code) -> LetterRequest:
    return get_object_or_404(_requests(staff), code=code)


@staff_view("process_requests")
def request_detail(request, staff, code):
    letter = _get(staff, code)
    do_audit(request.user, staff.village, "letter_request.view", letter)
    stage = workflow.stage_of(letter)
    today = staff.village.local_now().date()
    return render(
        request,
        "letters/request.html",
        {
            "letter": letter,
            "stage": stage,
            "stages": workflow.chain(staff.village),
            "can_act": workflow.can_act(staff, letter),
            "overdue": letter.is_open and letter.due_date < today,
            "events": letter.events.select_related("actor", "media"),
            "attachments": letter.attachments.select_related("media"),
            "issued": IssuedLetter.objects.filter(request=letter).first(),
            "brought": letter.answers.get("_dibawa_ke_kantor", []),
            "colleagues": get_user_model().objects.filter(
                memberships__village=staff.village, memberships__is_active=True
            ),
        },
    )


ACTIONS = {
    "setujui": lambda letter, staff, post: workflow.do_approve(letter, staff, post.get("note", "")),
    "minta-data": lambda letter, staff, post: workflow.do_request_info(
        letter, staff, post.get("note", "")
    ),
    "tolak": lambda letter, staff, post: workflow.do_reject(letter, staff, post.get("note", "")),
    "diambil": lambda letter, staff, post: workflow.do_mark_picked_up(letter, staff),
    "catatan": lambda letter, staff, post: workflow.do_add_note(
        letter, staff, post.get("note", "")
    ),
}
DONE = {
    "setujui": "Baik, tahap Anda sudah selesai.",
    "minta-data": "Permintaan data sudah dikirim ke warga.",
    "tolak": "Permohonan ditolak; alasannya sudah dikirim ke warga.",
    "diambil": "Tercatat: surat sudah diambil.",
    "catatan": "Catatan internal disimpan.",
}


@staff_view("process_requests")
@require_POST
def request_action(request, staff, code, action):
    if action not in ACTIONS:
        raise Http404
    letter = _get(staff, code)
    try:
        ACTIONS[action](letter, staff, request.POST)
    except workflow.WorkflowError as e:
        messages.error(request, str(e))
    else:
        do_audit(request.user, staff.village, f"letter_request.{action}", letter)
        messages.success(request, DONE[action])
    return redirect("letter_requests:detail", staff.village.slug, code)


@staff_view("process_requests")
@require_POST
def request_assign(request, staff, code):
    letter = _get(staff, code)
    user_id = request.POST.get("user", "")
    user = None
    if user_id:
        user = get_object_or_404(
            get_user_model(),
            pk=user_id if user_id.isdigit() else -1,
            memberships__village=staff.village,
            memberships__is_active=True,
        )
    workflow.do_assign(letter, staff, user)
    do_audit(request.user, staff.village, "letter_request.assign", letter)
    messages.success(request, "Penanggung jawab permohonan diperbarui.")
    return redirect("letter_requests:detail", staff.village.slug, code)


def download(request, token):
    """The signed PDF for the resident (and for Meta, which fetches the WhatsApp document
    from this link): a signed, expiring token, no login."""
    issued = workflow.issued_from_token(token)
    if issued is None or not issued.pdf:
        raise Http404
    response = FileResponse(
        issued.pdf.open("rb"), content_type="application/pdf", filename=f"{issued.request.code}.pdf"
    )
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response
