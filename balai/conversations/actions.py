"""Writes on conversations from outside a message: staff hand back, and the sweep that ends
idle sessions and stale handoffs."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from balai.conversations import texts
from balai.conversations.models import Conversation
from balai.core.jobs import job
from balai.core.schedule import periodic
from balai.whatsapp import messages as build
from balai.whatsapp.outbox import contact_for, do_send

HANDED_BACK = (
    "Terima kasih, Bapak/Ibu. Percakapan dengan petugas sudah selesai. Ketik *menu* bila "
    "perlu layanan lain."
)
HANDOFF_TIMED_OUT = (
    "Mohon maaf, petugas belum sempat membalas. Bapak/Ibu bisa kembali memakai asisten "
    "(ketik *menu*) atau datang ke kantor desa pada jam kerja."
)


def _tell(conv: Conversation, text: str, now) -> None:
    """Only inside the 24-hour window: these notes are not worth a paid template."""
    if contact_for(conv.resident).window_open(now):
        do_send(conv.resident, build.text(text))


def do_hand_back(conv: Conversation, actor=None) -> None:
    """Staff are done: the assistant answers this resident again."""
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conv.pk)
        if conv.handoff_at is None:
            return
        conv.handoff_at, conv.handoff_reason, conv.assigned_to = None, "", None
        conv.save(update_fields=["handoff_at", "handoff_reason", "assigned_to"])
        _tell(conv, HANDED_BACK, timezone.now())


@periodic(seconds=60)
@job()
def sweep_conversations() -> dict:
    """End idle sessions politely (keeping a letter draft for 24 hours) and let the
    assistant answer again where a handoff waited longer than the village allows."""
    now = timezone.now()
    counts = {"ended": 0, "handoffs": 0}
    candidates = Conversation.objects.filter(last_activity__lt=now - dt.timedelta(hours=1)).exclude(
        flow="", handoff_at=None
    )
    for pk in candidates.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            conv = (
                Conversation.objects.select_for_update()
                .select_related("village", "resident")
                .get(pk=pk)
            )
            if conv.handoff_expired(now):
                conv.handoff_at, conv.handoff_reason, conv.assigned_to = None, "", None
                conv.save(update_fields=["handoff_at", "handoff_reason", "assigned_to"])
                _tell(conv, HANDOFF_TIMED_OUT, now)
                counts["handoffs"] += 1
            elif conv.idle_expired(now) and not conv.in_handoff:
                from balai.conversations.engine import save_draft_of

                save_draft_of(conv, now)
                conv.reset()
                conv.save()
                _tell(conv, texts.session_ended(conv.village, bool(conv.draft)), now)
                counts["ended"] += 1
    return counts


# --- the staff inbox ------------------------------------------------------------------------


class InboxError(Exception):
    """Not possible now; the message is for the staff member."""


def do_take_over(conv: Conversation, staff) -> None:
    """A staff member answers this resident themselves: the assistant stays quiet."""
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conv.pk)
        if conv.handoff_at is None:
            conv.handoff_at = timezone.now()
            conv.handoff_reason = "Diambil alih petugas"
        conv.assigned_to = staff.user
        conv.save(update_fields=["handoff_at", "handoff_reason", "assigned_to"])


def do_assign(conv: Conversation, user) -> None:
    Conversation.objects.filter(pk=conv.pk).update(assigned_to=user)


def do_staff_reply(conv: Conversation, staff, text: str):
    """Free text from staff: only inside the 24-hour window (Meta's rule)."""
    text = text.strip()
    if not text:
        raise InboxError("Pesan masih kosong.")
    if len(text) > 4096:
        raise InboxError("Pesan terlalu panjang (maksimal 4.096 huruf).")
    if not contact_for(conv.resident).window_open():
        raise InboxError(
            "Sudah lebih dari 24 jam sejak warga terakhir menulis: WhatsApp hanya mengizinkan "
            "templat yang disetujui. Pilih templat di bawah."
        )
    with transaction.atomic():
        if conv.handoff_at is None:  # a person answered: the assistant steps back
            Conversation.objects.filter(pk=conv.pk).update(
                handoff_at=timezone.now(), handoff_reason="Dibalas petugas"
            )
        if conv.assigned_to_id is None:
            Conversation.objects.filter(pk=conv.pk).update(assigned_to=staff.user)
        return do_send(conv.resident, build.text(text), sent_by=staff.user)


def do_staff_template(conv: Conversation, staff, template):
    """An approved template, the only thing that may go outside the 24-hour window."""
    from balai.whatsapp.models import Template

    if template.village_id != conv.village_id or template.status != Template.Status.APPROVED:
        raise InboxError("Templat ini tidak bisa dipakai.")
    known = {"nama": conv.resident.name, "desa": conv.village.name}
    params = [known.get(str(name).lower(), "-") for name in template.parameters]
    return do_send(
        conv.resident,
        build.template(template.name, template.language, params or None),
        sent_by=staff.user,
    )


def do_add_note(conv: Conversation, staff, text: str):
    from balai.conversations.models import ConversationNote

    text = text.strip()
    if not text:
        raise InboxError("Catatan masih kosong.")
    return ConversationNote.objects.create(conversation=conv, author=staff.user, text=text[:2000])


def do_add_quick_reply(village, staff, title: str, text: str):
    from balai.conversations.models import QuickReply

    title, text = title.strip(), text.strip()
    if not title or not text:
        raise InboxError("Isi judul dan teks balasan cepat.")
    position = QuickReply.objects.filter(village=village).count()
    return QuickReply.objects.create(
        village=village, title=title[:60], text=text[:1500], position=position
    )
