"""The staff inbox: conversations waiting for a person, the transcript, replies (free text
inside the 24-hour window, approved templates outside it), notes, assignment, hand back."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from balai.conversations import actions
from balai.conversations.models import Conversation, QuickReply
from balai.villages.access import staff_view
from balai.villages.actions import do_audit
from balai.whatsapp.models import InboundMessage, OutboundMessage, Template
from balai.whatsapp.outbox import contact_for

TRANSCRIPT = 80


@dataclass
class Item:
    """One line of the transcript."""

    incoming: bool
    at: object
    text: str
    kind: str
    sender: str = ""
    state: str = ""
    media_code: str = ""
    media_image: bool = False


def _outbound_text(row: OutboundMessage) -> str:
    p = row.payload
    kind = p.get("type")
    if kind == "text":
        return p["text"]["body"]
    if kind == "interactive":
        inter = p["interactive"]
        body = inter.get("body", {}).get("text", "")
        if inter.get("type") == "button":
            titles = [b["reply"]["title"] for b in inter["action"]["buttons"]]
        else:
            titles = [r["title"] for s in inter["action"]["sections"] for r in s["rows"]]
        return f"{body}\n[{' | '.join(titles)}]"
    if kind == "template":
        return f"(templat {p['template']['name']})"
    if kind == "document":
        return f"📄 {p['document'].get('filename', 'dokumen')}"
    return f"({kind})"


def _items(conv, *, after_in: int = 0, after_out: int = 0) -> tuple[list[Item], int, int]:
    inbound = list(
        InboundMessage.objects.filter(resident=conv.resident, pk__gt=after_in)
        .exclude(type__in=["reaction", "edit", "revoke", "system"])
        .select_related("media")
        .order_by("-pk")[:TRANSCRIPT]
    )
    outbound = list(
        OutboundMessage.objects.filter(resident=conv.resident, pk__gt=after_out)
        .exclude(kind=OutboundMessage.Kind.READ)
        .select_related("sent_by")
        .order_by("-pk")[:TRANSCRIPT]
    )
    items = []
    for m in inbound:
        media = getattr(m, "media", None) if hasattr(m, "media") else None
        label = m.text or {"location": "📍 lokasi", "audio": "🎤 pesan suara"}.get(m.type, "")
        items.append(
            Item(
                incoming=True,
                at=m.received_at,  # stored order: sent_at has whole seconds only
                text=label or f"({m.type})",
                kind=m.type,
                media_code=media.code if media and media.state == "stored" else "",
                media_image=bool(media and media.mime_type.startswith("image/")),
            )
        )
    for row in outbound:
        sender = row.sent_by.get_full_name() or row.sent_by.username if row.sent_by else "Asisten"
        items.append(
            Item(
                incoming=False,
                at=row.created,
                text=_outbound_text(row),
                kind=row.kind,
                sender=sender,
                state=row.get_state_display(),
            )
        )
    items.sort(key=lambda i: i.at)
    last_in = max([m.pk for m in inbound], default=after_in)
    last_out = max([r.pk for r in outbound], default=after_out)
    return items[-TRANSCRIPT:], last_in, last_out


def _conversations(staff):
    return Conversation.objects.filter(village=staff.village).select_related(
        "resident", "assigned_to"
    )


def _get(staff, code) -> Conversation:
    return get_object_or_404(_conversations(staff), resident__code=code)


@staff_view("handle_inbox")
def inbox(request, staff):
    show = request.GET.get("tampil", "menunggu")
    qs = _conversations(staff)
    if show == "menunggu":
        qs = qs.waiting_for_staff().order_by("-handoff_at")
    else:
        qs = qs.order_by("-last_activity")
    return render(
        request,
        "conversations/inbox.html",
        {
            "conversations": qs[:100],
            "quick_replies": QuickReply.objects.filter(village=staff.village),
            "show": show,
            "waiting": qs.model.objects.filter(
                village=staff.village, handoff_at__isnull=False
            ).count(),
        },
    )


@staff_view("handle_inbox")
def conversation(request, staff, code):
    conv = _get(staff, code)
    do_audit(request.user, staff.village, "conversation.view", conv.resident)
    items, last_in, last_out = _items(conv)
    window_open = contact_for(conv.resident).window_open()
    return render(
        request,
        "conversations/conversation.html",
        {
            "conv": conv,
            "items": items,
            "last_in": last_in,
            "last_out": last_out,
            "window_open": window_open,
            "templates": Template.objects.filter(
                village=staff.village, status=Template.Status.APPROVED
            ),
            "quick_replies": QuickReply.objects.filter(village=staff.village),
            "notes": conv.notes.select_related("author"),
            "colleagues": get_user_model().objects.filter(
                memberships__village=staff.village, memberships__is_active=True
            ),
        },
    )


@staff_view("handle_inbox")
def conversation_updates(request, staff, code):
    """New lines since the last ones the page has: polled by inbox.js every few seconds."""
    conv = _get(staff, code)
    try:
        after_in = int(request.GET.get("in", 0))
        after_out = int(request.GET.get("out", 0))
    except ValueError:
        return JsonResponse({"error": "in/out harus angka"}, status=400)
    items, last_in, last_out = _items(conv, after_in=after_in, after_out=after_out)
    html = render_to_string("conversations/_items.html", {"items": items, "staff": staff})
    return JsonResponse(
        {"html": html if items else "", "in": last_in, "out": last_out, "at": timezone.now()}
    )


def _user(staff, user_id):
    if not user_id:
        return None
    return get_object_or_404(
        get_user_model(),
        pk=int(user_id) if str(user_id).isdigit() else -1,
        memberships__village=staff.village,
        memberships__is_active=True,
    )


@staff_view("handle_inbox")
@require_POST
def conversation_action(request, staff, code, action):
    conv = _get(staff, code)
    post = request.POST
    try:
        if action == "balas":
            actions.do_staff_reply(conv, staff, post.get("text", ""))
            done = "Pesan dikirim."
        elif action == "templat":
            template = get_object_or_404(Template, village=staff.village, pk=post.get("template"))
            actions.do_staff_template(conv, staff, template)
            done = f"Templat {template.name} dikirim."
        elif action == "ambil-alih":
            actions.do_take_over(conv, staff)
            done = "Percakapan Anda ambil alih; asisten otomatis berhenti membalas."
        elif action == "kembalikan":
            actions.do_hand_back(conv, staff.user)
            done = "Percakapan dikembalikan ke asisten otomatis."
        elif action == "tugaskan":
            actions.do_assign(conv, _user(staff, post.get("user")))
            done = "Penanggung jawab diperbarui."
        elif action == "catatan":
            actions.do_add_note(conv, staff, post.get("text", ""))
            done = "Catatan disimpan."
        else:
            raise Http404
    except actions.InboxError as e:
        messages.error(request, str(e))
    else:
        do_audit(request.user, staff.village, f"conversation.{action}", conv.resident)
        messages.success(request, done)
    return redirect("inbox:detail", staff.village.slug, code)


@staff_view("handle_inbox")
@require_POST
def quick_replies(request, staff):
    """Add a canned answer, or remove one (``hapus`` = its code)."""
    code = request.POST.get("hapus", "")
    if code:
        reply = get_object_or_404(QuickReply, village=staff.village, code=code)
        reply.delete()
        do_audit(request.user, staff.village, "quick_reply.delete", reply)
        messages.success(request, "Balasan cepat dihapus.")
    else:
        try:
            reply = actions.do_add_quick_reply(
                staff.village, staff, request.POST.get("title", ""), request.POST.get("text", "")
            )
        except actions.InboxError as e:
            messages.error(request, str(e))
        else:
            do_audit(request.user, staff.village, "quick_reply.add", reply)
            messages.success(request, "Balasan cepat ditambahkan.")
    return redirect(reverse("inbox:list", args=[staff.village.slug]) + "#balasan-cepat")
