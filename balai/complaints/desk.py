"""The complaints desk: move a complaint through its states, answer the resident publicly
or note internally, moderate what the public board shows, merge duplicates."""

import contextlib

from django.db import transaction
from django.utils import timezone

from balai.complaints.actions import STATUS_PURPOSE, do_change_state, status_text
from balai.complaints.models import Complaint, ComplaintEvent, ComplaintState
from balai.whatsapp import messages as build
from balai.whatsapp.outbox import NoChannel, do_send

# Where each state may go next (reopened comes from the resident's "belum beres").
NEXT = {
    ComplaintState.RECEIVED: [ComplaintState.IN_PROGRESS, ComplaintState.REJECTED],
    ComplaintState.REOPENED: [ComplaintState.IN_PROGRESS, ComplaintState.REJECTED],
    ComplaintState.IN_PROGRESS: [ComplaintState.RESOLVED, ComplaintState.REJECTED],
    ComplaintState.RESOLVED: [ComplaintState.IN_PROGRESS],
    ComplaintState.CLOSED: [],
    ComplaintState.REJECTED: [ComplaintState.IN_PROGRESS],
}


class DeskError(Exception):
    """Not possible now; the message is for the staff member."""


def do_move(complaint: Complaint, staff, state: str, note: str = "") -> ComplaintEvent:
    note = note.strip()
    if state not in NEXT.get(complaint.state, []):
        raise DeskError("Perubahan status ini tidak bisa dilakukan dari status sekarang.")
    if state == ComplaintState.REJECTED and not note:
        raise DeskError("Tulis alasannya: warga akan menerimanya.")
    event = do_change_state(complaint, state, actor=staff.user, note=note)
    ComplaintEvent.objects.filter(pk=event.pk).update(action=f"state:{state}")
    for duplicate in complaint.duplicates.select_related("resident", "category"):
        _tell(duplicate, f"{status_text(complaint, note)}\n(Laporan Anda {duplicate.code} "
              f"digabung dengan laporan ini.)")  # fmt: skip
    return event


def _tell(complaint: Complaint, text: str) -> None:
    with contextlib.suppress(NoChannel):
        do_send(
            complaint.resident,
            build.text(text),
            purpose=STATUS_PURPOSE,
            template_values={"tiket": complaint.code, "status": complaint.get_state_display()},
        )


def do_reply(complaint: Complaint, staff, text: str) -> ComplaintEvent:
    """A public answer: sent to the resident and kept in the history they see."""
    text = text.strip()
    if not text:
        raise DeskError("Balasan masih kosong.")
    with transaction.atomic():
        event = ComplaintEvent.objects.create(
            complaint=complaint,
            state=complaint.state,
            action="reply",
            note=text[:2000],
            actor=staff.user,
            created=timezone.now(),
        )
        _tell(complaint, status_text(complaint, text))
    return event


def do_note(complaint: Complaint, staff, text: str) -> ComplaintEvent:
    text = text.strip()
    if not text:
        raise DeskError("Catatan masih kosong.")
    return ComplaintEvent.objects.create(
        complaint=complaint,
        state=complaint.state,
        action="note",
        note=text[:2000],
        internal=True,
        actor=staff.user,
        created=timezone.now(),
    )


def do_assign(complaint: Complaint, staff, user) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(assigned_to=user)
    name = (user.get_full_name() or user.username) if user else "tidak ada"
    do_note(complaint, staff, f"Ditangani: {name}")


def do_moderate(complaint: Complaint, staff, *, public_text: str, hidden: bool, photo_hidden: bool):
    """What the public board may show. The resident's own words are never changed."""
    public_text = public_text.strip()
    if public_text == complaint.description.strip():
        public_text = ""
    Complaint.objects.filter(pk=complaint.pk).update(
        public_text=public_text[:4000],
        hidden=hidden,
        photo_hidden=photo_hidden,
        moderated_at=timezone.now(),
    )
    changes = []
    if public_text:
        changes.append("teks publik disunting")
    if hidden:
        changes.append("disembunyikan dari publik")
    if photo_hidden:
        changes.append("foto disembunyikan")
    do_note(complaint, staff, "Moderasi: " + (", ".join(changes) or "tampil apa adanya"))


def do_merge(duplicate: Complaint, into: Complaint, staff) -> None:
    """The same problem reported twice: the duplicate closes and its reporter hears of the
    original's progress from now on (FixMyStreet's "subscribe to the existing report")."""
    if duplicate.pk == into.pk or into.village_id != duplicate.village_id:
        raise DeskError("Pilih laporan lain di desa ini.")
    if into.duplicate_of_id:
        into = into.duplicate_of
    with transaction.atomic():
        Complaint.objects.filter(duplicates=duplicate).update(duplicate_of=into)
        Complaint.objects.filter(duplicate_of=duplicate).update(duplicate_of=into)
        duplicate.duplicate_of = into
        duplicate.state = ComplaintState.CLOSED
        duplicate.save(update_fields=["duplicate_of", "state", "updated"])
        ComplaintEvent.objects.create(
            complaint=duplicate,
            state=ComplaintState.CLOSED,
            action="merge",
            note=f"Digabung dengan {into.code}.",
            actor=staff.user,
            created=timezone.now(),
        )
        _tell(
            duplicate,
            f"Laporan Anda {duplicate.code} sama dengan laporan {into.code} yang sudah kami "
            f"terima ({into.get_state_display().lower()}). Kabar selanjutnya kami kirim di sini.",
        )
