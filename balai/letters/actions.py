"""Writes for letter requests: submit from WhatsApp, move through states, tell the resident."""

import contextlib

from django.db import transaction
from django.utils import timezone

from balai.letters.models import (
    LetterRequest,
    LetterType,
    RequestAttachment,
    RequestEvent,
    RequestState,
)
from balai.residents.models import Resident
from balai.villages.actions import do_audit
from balai.whatsapp import messages as build
from balai.whatsapp.models import Media
from balai.whatsapp.outbox import NoChannel, do_send

STATUS_PURPOSE = "status_update"


def do_submit_request(
    *,
    letter_type: LetterType,
    resident: Resident,
    contact: Resident,
    identity: str,
    answers: dict,
    attachments: list[tuple[str, str, int]],
) -> LetterRequest:
    """Create a request with its ticket code and first event. ``attachments`` are
    (key, label, media id) triples from the conversation."""
    village = letter_type.village
    now = timezone.now()
    with transaction.atomic():
        request = LetterRequest.objects.create(
            village=village,
            code=village.next_ticket_code(now),
            letter_type=letter_type,
            resident=resident,
            contact=contact,
            identity=identity,
            answers=answers,
            submitted_at=now,
            due_date=letter_type.due_date(now.astimezone(village.tz).date()),
        )
        media = Media.objects.filter(village=village, pk__in=[m for _k, _l, m in attachments])
        by_id = {m.pk: m for m in media}
        RequestAttachment.objects.bulk_create(
            RequestAttachment(request=request, key=key, label=label, media=by_id[media_id])
            for key, label, media_id in attachments
            if media_id in by_id
        )
        RequestEvent.objects.create(
            request=request, state=RequestState.SUBMITTED, created=now, note=""
        )
    return request


def status_text(request: LetterRequest, note: str = "") -> str:
    lines = [
        f"Kabar permohonan *{request.code}* ({request.letter_type.name}):",
        f"Status: *{request.get_state_display()}*",
    ]
    if note:
        lines.append(f"Catatan petugas: {note}")
    if request.state == RequestState.NEEDS_INFO:
        lines.append("Silakan balas pesan ini dengan data atau foto yang diminta.")
    lines.append("Ketik *cek status* untuk melihat riwayatnya.")
    return "\n".join(lines)


def do_change_state(
    request: LetterRequest, state: str, *, actor=None, note: str = ""
) -> RequestEvent:
    """Move a request to ``state``, record it, and tell the resident on WhatsApp (inside
    the 24-hour window as a message, outside it through the approved status template)."""
    now = timezone.now()
    with transaction.atomic():
        request.state = state
        fields = ["state", "updated"]
        if state == RequestState.COMPLETED:
            request.completed_at = now
            fields.append("completed_at")
        request.save(update_fields=fields)
        event = RequestEvent.objects.create(
            request=request, state=state, note=note, actor=actor, created=now
        )
        push_status(request, note)
    return event


def push_status(request: LetterRequest, note: str = "") -> None:
    """Tell whoever asked for the letter where it stands: a message inside the 24-hour
    window, the village's approved status template outside it."""
    # A village without WhatsApp: staff tell the resident themselves.
    with contextlib.suppress(NoChannel):
        do_send(
            request.contact or request.resident,
            build.text(status_text(request, note)),
            purpose=STATUS_PURPOSE,
            template_values={"tiket": request.code, "status": request.get_state_display()},
        )


def do_seed_catalogue(village) -> int:
    """Give a village the default letter types it does not have yet (by slug)."""
    from balai.letters.catalogue import DEFAULT_LETTER_TYPES, default_letter_types

    have = set(LetterType.objects.filter(village=village).values_list("slug", flat=True))
    new = default_letter_types(LetterType, village, have)
    codes = {spec["slug"]: spec.get("classification_code", "470") for spec in DEFAULT_LETTER_TYPES}
    for letter_type in new:
        letter_type.classification_code = codes[letter_type.slug]
    LetterType.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def do_update_letter_type(letter_type: LetterType, changes: dict, actor) -> list[str]:
    """Save staff edits (field → new value, e.g. a form's changed fields) and audit them.
    The WhatsApp side reads the row on every turn, so the change applies at once."""
    fields = sorted(changes)
    if not fields:
        return []
    for name in fields:
        setattr(letter_type, name, changes[name])
    letter_type.save(update_fields=fields)
    do_audit(
        actor,
        letter_type.village,
        "letter_type.update",
        letter_type,
        slug=letter_type.slug,
        fields=fields,
    )
    return fields
