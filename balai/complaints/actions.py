"""Writes for complaints: submit from WhatsApp, move through states, the follow-up."""

import contextlib

from django.db import transaction
from django.utils import timezone

from balai.complaints.models import Category, Complaint, ComplaintEvent, ComplaintState
from balai.residents.models import Resident
from balai.whatsapp import messages as build
from balai.whatsapp.models import Media
from balai.whatsapp.outbox import NoChannel, do_send

STATUS_PURPOSE = "status_update"
FOLLOW_UP_PREFIX = "fu"


def do_submit_complaint(
    *,
    resident: Resident,
    kind: str,
    category: Category,
    description: str,
    show_name: bool,
    photo_id: int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    location_text: str = "",
) -> Complaint:
    village = resident.village
    now = timezone.now()
    with transaction.atomic():
        photo = Media.objects.filter(village=village, pk=photo_id).first() if photo_id else None
        complaint = Complaint.objects.create(
            village=village,
            code=village.next_ticket_code(now),
            kind=kind,
            category=category,
            description=description,
            resident=resident,
            show_name=show_name,
            photo=photo,
            latitude=latitude,
            longitude=longitude,
            location_text=location_text[:300],
            submitted_at=now,
        )
        ComplaintEvent.objects.create(
            complaint=complaint, state=ComplaintState.RECEIVED, created=now
        )
    return complaint


def status_text(complaint: Complaint, note: str = "") -> str:
    lines = [
        f"Kabar {complaint.get_kind_display().lower()} *{complaint.code}* "
        f"({complaint.category.name}):",
        f"Status: *{complaint.get_state_display()}*",
    ]
    if note:
        lines.append(f"Catatan petugas: {note}")
    return "\n".join(lines)


def follow_up_message(complaint: Complaint, note: str = ""):
    return build.buttons(
        f"{status_text(complaint, note)}\n\nApakah masalahnya sudah beres?",
        [
            (f"{FOLLOW_UP_PREFIX}:{complaint.code}:ya", "Sudah beres"),
            (f"{FOLLOW_UP_PREFIX}:{complaint.code}:belum", "Belum beres"),
            (f"{FOLLOW_UP_PREFIX}:{complaint.code}:sebagian", "Sebagian"),
        ],
        footer="Atau ketik: ya / belum / sebagian",
    )


def do_change_state(complaint: Complaint, state: str, *, actor=None, note: str = ""):
    """Move a complaint to ``state``, record it, and tell the resident; a resolution asks
    "sudah beres?" with buttons, as FixMyStreet's questionnaire does."""
    now = timezone.now()
    with transaction.atomic():
        complaint.state = state
        fields = ["state", "updated"]
        if state == ComplaintState.RESOLVED:
            complaint.resolved_at = now
            complaint.follow_up_sent_at = now
            complaint.follow_up_answer = ""
            fields += ["resolved_at", "follow_up_sent_at", "follow_up_answer"]
        complaint.save(update_fields=fields)
        event = ComplaintEvent.objects.create(
            complaint=complaint, state=state, note=note, actor=actor, created=now
        )
        built = (
            follow_up_message(complaint, note)
            if state == ComplaintState.RESOLVED
            else build.text(status_text(complaint, note))
        )
        # A village without WhatsApp: staff tell the resident themselves.
        with contextlib.suppress(NoChannel):
            do_send(
                complaint.resident,
                built,
                purpose=STATUS_PURPOSE,
                template_values={
                    "tiket": complaint.code,
                    "status": complaint.get_state_display(),
                },
            )
    return event


def do_answer_follow_up(complaint: Complaint, answer: str) -> Complaint:
    """The resident's answer to "sudah beres?": anything but yes reopens it."""
    now = timezone.now()
    with transaction.atomic():
        complaint.follow_up_answer = answer
        fields = ["follow_up_answer", "updated"]
        if answer == Complaint.FollowUp.YES:
            complaint.state = ComplaintState.CLOSED
        else:
            complaint.state = ComplaintState.REOPENED
            complaint.resolved_at = None
            fields.append("resolved_at")
        fields.append("state")
        complaint.save(update_fields=fields)
        label = Complaint.FollowUp(answer).label
        ComplaintEvent.objects.create(
            complaint=complaint,
            state=complaint.state,
            note=f"Jawaban warga: {label}",
            created=now,
        )
    return complaint


def do_seed_categories(village) -> int:
    from balai.complaints.models import DEFAULT_CATEGORIES

    have = set(Category.objects.filter(village=village).values_list("slug", flat=True))
    new = [
        Category(village=village, slug=slug, name=name, position=position)
        for position, (slug, name) in enumerate(DEFAULT_CATEGORIES)
        if slug not in have
    ]
    Category.objects.bulk_create(new)
    return len(new)
