"""The complaints desk in the console: the queue and one complaint's page."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from balai.complaints import desk
from balai.complaints.models import OPEN_STATES, Category, Complaint, ComplaintState
from balai.villages.access import staff_view
from balai.villages.actions import do_audit


def _complaints(staff):
    return Complaint.objects.filter(village=staff.village).select_related(
        "category", "resident", "assigned_to", "photo", "duplicate_of"
    )


@staff_view("handle_complaints")
def desk_list(request, staff):
    qs = _complaints(staff)
    state = request.GET.get("status", "open")
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in ComplaintState.values:
        qs = qs.filter(state=state)
    category = request.GET.get("kategori", "")
    if category:
        qs = qs.filter(category__slug=category)
    kind = request.GET.get("jenis", "")
    if kind in Complaint.Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("submitted_at"), 50).get_page(request.GET.get("hal"))
    return render(
        request,
        "complaints/desk.html",
        {
            "page": page,
            "states": [("open", "Belum selesai"), *ComplaintState.choices],
            "categories": Category.objects.filter(village=staff.village),
            "kinds": Complaint.Kind.choices,
            "chosen": {"status": state, "kategori": category, "jenis": kind},
        },
    )


def _get(staff, code) -> Complaint:
    return get_object_or_404(_complaints(staff), code=code)


@staff_view("handle_complaints")
def desk_detail(request, staff, code):
    complaint = _get(staff, code)
    do_audit(request.user, staff.village, "complaint.view", complaint)
    return render(
        request,
        "complaints/desk_detail.html",
        {
            "complaint": complaint,
            "next_states": [(s, ComplaintState(s).label) for s in desk.NEXT[complaint.state]],
            "events": complaint.events.select_related("actor"),
            "duplicates": complaint.duplicates.all(),
            "candidates": _complaints(staff)
            .filter(category=complaint.category, state__in=OPEN_STATES, duplicate_of=None)
            .exclude(pk=complaint.pk)[:20],
            "colleagues": get_user_model().objects.filter(
                memberships__village=staff.village, memberships__is_active=True
            ),
        },
    )


@staff_view("handle_complaints")
@require_POST
def desk_action(request, staff, code, action):
    complaint = _get(staff, code)
    post = request.POST
    try:
        if action == "status":
            desk.do_move(complaint, staff, post.get("state", ""), post.get("note", ""))
            done = "Status pengaduan diperbarui dan warga sudah diberi tahu."
        elif action == "balas":
            desk.do_reply(complaint, staff, post.get("note", ""))
            done = "Balasan dikirim ke warga."
        elif action == "catatan":
            desk.do_note(complaint, staff, post.get("note", ""))
            done = "Catatan internal disimpan."
        elif action == "tugaskan":
            user_id = post.get("user", "")
            user = None
            if user_id:
                user = get_object_or_404(
                    get_user_model(),
                    pk=int(user_id) if user_id.isdigit() else -1,
                    memberships__village=staff.village,
                    memberships__is_active=True,
                )
            desk.do_assign(complaint, staff, user)
            done = "Penanggung jawab diperbarui."
        elif action == "moderasi":
            desk.do_moderate(
                complaint,
                staff,
                public_text=post.get("public_text", ""),
                hidden=post.get("hidden") == "on",
                photo_hidden=post.get("photo_hidden") == "on",
            )
            done = "Tampilan publik diperbarui."
        elif action == "gabung":
            into = get_object_or_404(_complaints(staff), code=post.get("into", ""))
            desk.do_merge(complaint, into, staff)
            done = f"Digabung dengan {into.code}."
        else:
            raise Http404
    except desk.DeskError as e:
        messages.error(request, str(e))
    else:
        do_audit(request.user, staff.village, f"complaint.{action}", complaint)
        messages.success(request, done)
    return redirect("complaint_desk:detail", staff.village.slug, code)
