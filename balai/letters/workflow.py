"""The approval chain a letter request walks through, per village.

A village picks one chain (``Village.approval_chain``); each stage says who may act. The
last stage is the signature: signing issues the letter (number, PDF, QR) and delivers it.
"""

import contextlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from balai.letters.models import RequestState
from balai.villages.roles import Role


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    action: str  # the button staff press
    roles: frozenset[str]
    state: str  # the request's state while it waits at this stage


VERIFY = Stage(
    "verify",
    "Verifikasi berkas",
    "Berkas lengkap, teruskan",
    frozenset({Role.OPERATOR, Role.KASI_PELAYANAN}),
    RequestState.SUBMITTED,
)
CHECK_KASI = Stage(
    "check_kasi",
    "Pemeriksaan kasi pelayanan",
    "Sudah diperiksa, teruskan",
    frozenset({Role.KASI_PELAYANAN}),
    RequestState.IN_REVIEW,
)
CHECK = Stage(
    "check",
    "Pemeriksaan sekretaris desa",
    "Sudah diperiksa, teruskan",
    frozenset({Role.SEKDES}),
    RequestState.IN_REVIEW,
)
SIGN = Stage(
    "sign",
    "Tanda tangan kepala desa",
    "Tandatangani surat",
    frozenset({Role.KADES}),
    RequestState.AWAITING_SIGNATURE,
)

CHAINS = {
    "operator-sekdes-kades": (VERIFY, CHECK, SIGN),
    "operator-kades": (VERIFY, SIGN),
    "operator-kasi-sekdes-kades": (VERIFY, CHECK_KASI, CHECK, SIGN),
}


def chain(village) -> tuple[Stage, ...]:
    return CHAINS.get(village.approval_chain, CHAINS["operator-sekdes-kades"])


def stage_of(request) -> Stage | None:
    stages = chain(request.village)
    return stages[request.stage] if request.stage < len(stages) else None


# --- writes ---------------------------------------------------------------------------------

DOWNLOAD_SALT = "balai.letters.download"
DOWNLOAD_DAYS = 30


class WorkflowError(Exception):
    """An action that is not allowed now; the message is for the staff member."""


def can_act(staff, request) -> bool:
    """Whether this staff member may take the request's current step."""
    stage = stage_of(request)
    return bool(
        stage
        and request.state == stage.state
        and staff.membership is not None
        and staff.membership.role in stage.roles
    )


def waiting_for(staff) -> Q:
    """The requests whose current step this staff member may take, as one SQL condition
    (the queue's "menunggu saya" and the dashboard count, without loading every request)."""
    role = staff.membership.role if staff.membership else None
    condition = Q(pk__in=[])
    for index, stage in enumerate(chain(staff.village)):
        if role in stage.roles:
            condition |= Q(stage=index, state=stage.state)
    return condition


def _locked(request):
    from balai.letters.models import LetterRequest

    return (
        LetterRequest.objects.select_for_update(of=("self",))
        .select_related("village", "letter_type", "resident", "contact")
        .get(pk=request.pk)
    )


def _record(request, action: str, *, actor=None, note="", internal=False, media=None, push=True):
    """Append an event and, unless internal, tell the resident what changed."""
    from balai.letters.actions import push_status
    from balai.letters.models import RequestEvent

    event = RequestEvent.objects.create(
        request=request,
        state=request.state,
        action=action,
        note=note,
        internal=internal,
        media=media,
        actor=actor,
        created=timezone.now(),
    )
    if push and not internal:
        push_status(request, note)
    return event


# What the console's note fields allow: a note to the resident goes out as one WhatsApp
# message; an internal note only shows on the request's page.
NOTE_MAX = 500
INTERNAL_NOTE_MAX = 2000


def _checked_note(note: str, limit: int = NOTE_MAX) -> str:
    note = (note or "").strip()
    if len(note) > limit:
        raise WorkflowError(
            f"Catatan terlalu panjang ({len(note)} karakter). Paling banyak {limit} karakter."
        )
    return note


def do_approve(request, staff, note: str = ""):
    """Take the current step: pass it on to the next stage, or (last stage) sign, which
    issues the letter and delivers it."""
    note = _checked_note(note)
    with transaction.atomic():
        request = _locked(request)
        if not can_act(staff, request):
            raise WorkflowError("Permohonan ini tidak sedang menunggu tindakan Anda.")
        stages = chain(request.village)
        stage = stages[request.stage]
        if stage.key == "sign":
            return _sign(request, staff, note)
        request.stage += 1
        following = stages[request.stage]
        request.state = following.state
        request.save(update_fields=["stage", "state", "updated"])
        message = note or f"{stage.label} selesai; sekarang tahap {following.label.lower()}."
        _record(request, f"approve:{stage.key}", actor=staff.user, note=message)
        notify_next(request, following)
        return request


def _sign(request, staff, note: str):
    from balai.letters.documents import do_issue_letter

    issued = do_issue_letter(request, signer=staff.user)
    _record(
        request,
        "sign",
        actor=staff.user,
        note=note or f"Surat sudah ditandatangani dengan nomor {issued.number}.",
        push=False,
    )
    if request.village.deliver_on_whatsapp:
        request.state = RequestState.COMPLETED
        request.completed_at = timezone.now()
        request.save(update_fields=["state", "completed_at", "updated"])
        _record(request, "deliver", actor=staff.user, note="Surat dikirim lewat WhatsApp.")
        _send_pdf(request, issued)
    else:
        request.state = RequestState.READY
        request.save(update_fields=["state", "updated"])
        _record(
            request,
            "ready",
            actor=staff.user,
            note="Surat sudah jadi dan bisa diambil di kantor desa pada jam kerja.",
        )
    return request


def download_url(issued) -> str:
    token = signing.dumps({"letter": issued.pk}, salt=DOWNLOAD_SALT, compress=True)
    return settings.SITE_URL.rstrip("/") + reverse("letter_requests:download", args=[token])


def issued_from_token(token: str):
    """The letter behind a download link, or None if the link is forged or expired."""
    from balai.letters.models import IssuedLetter

    try:
        data = signing.loads(token, salt=DOWNLOAD_SALT, max_age=DOWNLOAD_DAYS * 86400)
    except signing.BadSignature:
        return None
    return IssuedLetter.objects.filter(pk=data.get("letter")).first()


def _send_pdf(request, issued) -> None:
    """The signed PDF as a WhatsApp document: Meta fetches it from a signed, expiring link."""
    from balai.letters.actions import STATUS_PURPOSE
    from balai.whatsapp import messages as build
    from balai.whatsapp.outbox import NoChannel, do_send

    with contextlib.suppress(NoChannel):
        do_send(
            request.contact or request.resident,
            build.document(
                link=download_url(issued),
                filename=f"{request.code}.pdf",
                caption=f"{request.letter_type.name}\nNomor {issued.number}\nTiket {request.code}",
            ),
            purpose=STATUS_PURPOSE,
            template_values={"tiket": request.code, "status": "Selesai"},
        )


def do_request_info(request, staff, note: str):
    """Ask the resident for more (a clearer photo, a missing document); the answer lands on
    the request (``do_receive_info``) and it returns to the same stage."""
    note = _checked_note(note)
    if not note:
        raise WorkflowError("Tulis data apa yang perlu dilengkapi warga.")
    with transaction.atomic():
        request = _locked(request)
        if not request.is_open or request.state == RequestState.READY:
            raise WorkflowError("Permohonan ini sudah tidak dalam proses.")
        request.state = RequestState.NEEDS_INFO
        request.save(update_fields=["state", "updated"])
        return _record(request, "need_info", actor=staff.user, note=note)


def do_receive_info(request, message) -> None:
    """The resident's answer (text, photo or PDF) to a request for more information."""
    media = getattr(message, "media", None) if message.type in {"image", "document"} else None
    with transaction.atomic():
        request = _locked(request)
        stage = stage_of(request)
        request.state = stage.state if stage else RequestState.SUBMITTED
        request.save(update_fields=["state", "updated"])
        _record(request, "info_received", note=message.text[:2000], media=media, push=False)


def do_reject(request, staff, reason: str):
    reason = _checked_note(reason)
    if not reason:
        raise WorkflowError("Tulis alasan penolakan; warga akan menerimanya.")
    with transaction.atomic():
        request = _locked(request)
        if not request.is_open:
            raise WorkflowError("Permohonan ini sudah selesai atau ditutup.")
        request.state = RequestState.REJECTED
        request.save(update_fields=["state", "updated"])
        return _record(request, "reject", actor=staff.user, note=reason)


def do_mark_picked_up(request, staff):
    with transaction.atomic():
        request = _locked(request)
        if request.state != RequestState.READY:
            raise WorkflowError("Surat ini belum siap diambil.")
        request.state = RequestState.COMPLETED
        request.completed_at = timezone.now()
        request.save(update_fields=["state", "completed_at", "updated"])
        return _record(request, "picked_up", actor=staff.user, note="Surat sudah diambil.")


def do_add_note(request, staff, note: str):
    """An internal note for colleagues: never sent to the resident."""
    note = _checked_note(note, INTERNAL_NOTE_MAX)
    if not note:
        raise WorkflowError("Catatan masih kosong.")
    return _record(request, "note", actor=staff.user, note=note, internal=True)


def do_assign(request, staff, user):
    from balai.letters.models import LetterRequest

    LetterRequest.objects.filter(pk=request.pk).update(assigned_to=user)
    name = (user.get_full_name() or user.username) if user else "tidak ada"
    return _record(request, "assign", actor=staff.user, note=f"Ditangani: {name}", internal=True)


def notify_next(request, stage: Stage) -> int:
    """Tell the staff of the next stage who opted in, on WhatsApp (the console's
    "menunggu Anda" is everyone's notice). Staff are reached through a resident row for
    their number in this village, like anyone else the village's number writes to."""
    from balai.residents.identity import normalise_phone
    from balai.residents.models import Resident
    from balai.villages.models import Membership
    from balai.whatsapp import messages as build
    from balai.whatsapp.outbox import NoChannel, do_send

    link = settings.SITE_URL.rstrip("/") + reverse(
        "letter_requests:detail", args=[request.village.slug, request.code]
    )
    text = (
        f"Permohonan {request.code} ({request.letter_type.name}) menunggu "
        f"{stage.label.lower()} oleh Anda: {link}"
    )
    sent = 0
    members = Membership.objects.filter(
        village=request.village, is_active=True, notify_whatsapp=True, role__in=stage.roles
    ).exclude(whatsapp_phone="")
    for member in members.select_related("user"):
        try:
            phone = normalise_phone(member.whatsapp_phone)
        except ValidationError:  # no longer a valid number: the console still shows the work
            continue
        person, _ = Resident.objects.get_or_create(
            village=request.village,
            phone=phone,
            defaults={"name": member.user.get_full_name() or member.user.username},
        )
        with contextlib.suppress(NoChannel):
            do_send(person, build.text(text), purpose="staff_notice")
            sent += 1
    return sent
