"""Writes for complaints: submit from WhatsApp, move through states, the follow-up."""

import contextlib

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from balai.complaints.models import Category, Complaint, ComplaintEvent, ComplaintState
from balai.residents.models import Resident
from balai.villages.actions import do_audit, move_in_order
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


def category_slug(village, name: str) -> str:
    """A slug for a new category, unique in the village (``jalan``, ``jalan-2``, …)."""
    base = slugify(name)[:36].strip("-") or "kategori"
    taken = set(
        Category.objects.filter(village=village, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    taken.add("baru")  # the URL for adding a category
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def do_add_category(village, *, name: str, actor) -> Category:
    top = Category.objects.filter(village=village).aggregate(top=Max("position"))["top"]
    category = Category.objects.create(
        village=village,
        slug=category_slug(village, name),
        name=name,
        position=(top or 0) + 1,
    )
    do_audit(actor, village, "category.add", category, slug=category.slug, name=name)
    return category


@transaction.atomic
def do_rename_category(category: Category, name: str, actor) -> None:
    """Rename; the slug stays, so conversations already holding it keep working."""
    old = category.name
    category.name = name
    category.save(update_fields=["name"])
    do_audit(
        actor, category.village, "category.rename", category, slug=category.slug, old=old, name=name
    )


@transaction.atomic
def do_set_category_active(category: Category, active: bool, actor) -> None:
    """Categories are never deleted (complaints keep them): switching off hides them on WhatsApp."""
    if category.is_active == active:
        return
    category.is_active = active
    category.save(update_fields=["is_active"])
    action = "category.activate" if active else "category.deactivate"
    do_audit(actor, category.village, action, category, slug=category.slug)


@transaction.atomic
def do_move_category(category: Category, step: int, actor) -> bool:
    siblings = Category.objects.filter(village=category.village).order_by("position", "pk")
    moved = move_in_order(category, siblings, step)
    if moved:
        do_audit(
            actor,
            category.village,
            "category.move",
            category,
            slug=category.slug,
            position=category.position,
        )
    return moved
