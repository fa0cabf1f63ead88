"""Consent over WhatsApp, kept as evidence (the field reports' "surat permohonan kesediaan
… sebagai bentuk legalitas"; UU No. 27/2022 on personal data protection).

The request says who asks, why, what data is kept, and how to withdraw, with the buttons
*Bersedia* / *Tidak bersedia*. A new participant has never written to the village, so the
outbox sends the village's approved ``programme_consent`` template first (Meta allows only
templates outside the 24-hour window); the full request follows as soon as they reply.
Every request, reminder and answer is a ConsentEvent with its time and message id.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from balai.conversations.hooks import reply_handler, word_handler
from balai.programmes.models import ConsentEvent, ConsentState, Participant
from balai.whatsapp import messages as build
from balai.whatsapp.outbox import NoChannel, do_send

PURPOSE = "programme_consent"
REMIND_AFTER = dt.timedelta(days=2)
MAX_REMINDERS = 2
YES_WORDS = {"bersedia", "ya bersedia", "saya bersedia", "setuju", "ya setuju"}
NO_WORDS = {"tidak bersedia", "tidak", "tidak setuju", "belum bersedia", "ga bersedia"}


class ConsentError(Exception):
    pass


def _facilitator(participant: Participant) -> str:
    user = participant.programme.facilitators.order_by("pk").first()
    return (user.get_full_name() or user.username) if user else "pendamping program"


def request_text(participant: Participant) -> str:
    programme = participant.programme
    who = _facilitator(participant)
    org = ", ".join(x for x in [programme.university, programme.cohort] if x)
    purpose = " ".join(programme.purpose.split())
    if len(purpose) > 220:
        purpose = purpose[:217].rsplit(" ", 1)[0] + "…"
    return (
        f"Yth. Bapak/Ibu {participant.resident.name},\n"
        f"saya {who}{f' ({org})' if org else ''}, pendamping program *{programme.title}* "
        f"di {programme.village}.\n\n"
        f"Tujuan: {purpose}\n\n"
        "Bila Bapak/Ibu bersedia ikut, kami mencatat nama, nomor WhatsApp, usaha, jenis "
        "kelamin, kelompok umur, dusun, kehadiran, jawaban kuis, foto kegiatan, dan angka "
        "penjualan yang Bapak/Ibu kirim. Data hanya dipakai untuk program ini dan laporannya.\n\n"
        "Bapak/Ibu bisa berhenti kapan saja dengan mengetik *berhenti*; sesudah itu data "
        "Bapak/Ibu tidak kami proses lagi.\n\nApakah Bapak/Ibu bersedia ikut?"
    )


def request_message(participant: Participant, text: str):
    return build.buttons(
        text,
        [
            (f"consent:{participant.code}:yes", "Bersedia"),
            (f"consent:{participant.code}:no", "Tidak bersedia"),
        ],
    )


def _send_request(participant: Participant, kind: str, actor=None, at=None) -> ConsentEvent:
    text = request_text(participant)
    row = do_send(
        participant.resident,
        request_message(participant, text),
        purpose=PURPOSE,
        template_values={
            "pendamping": _facilitator(participant),
            "program": participant.programme.title,
        },
        sent_by=actor,
    )
    return ConsentEvent.objects.create(
        participant=participant, kind=kind, text=text, outbound=row, at=at or timezone.now()
    )


def do_request_consent(participant: Participant, actor=None) -> ConsentEvent:
    """Ask (or ask again, after a refusal or withdrawal) on WhatsApp."""
    if participant.consent == ConsentState.GIVEN:
        raise ConsentError(f"{participant.resident.name} sudah bersedia.")
    if not participant.resident.phone and not participant.resident.wa_user_id:
        raise ConsentError(f"{participant.resident.name} belum punya nomor WhatsApp.")
    with transaction.atomic():
        try:
            event = _send_request(participant, ConsentEvent.Kind.REQUESTED, actor)
        except NoChannel:
            raise ConsentError("Desa ini belum punya nomor WhatsApp yang tersambung.") from None
        Participant.objects.filter(pk=participant.pk).update(consent=ConsentState.ASKED)
        participant.consent = ConsentState.ASKED
    return event


def do_answer_consent(participant: Participant, yes: bool, *, wamid: str, text: str) -> bool:
    """Record a resident's answer; False when it changes nothing (a repeated tap)."""
    now = timezone.now()
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if yes:
            if participant.consent == ConsentState.GIVEN:
                return False
            state, kind = ConsentState.GIVEN, ConsentEvent.Kind.GIVEN
        else:
            if participant.consent in {ConsentState.REFUSED, ConsentState.WITHDRAWN}:
                return False
            was_in = participant.consent == ConsentState.GIVEN
            state = ConsentState.WITHDRAWN if was_in else ConsentState.REFUSED
            kind = ConsentEvent.Kind.WITHDRAWN if was_in else ConsentEvent.Kind.REFUSED
        participant.consent, participant.consent_at = state, now
        participant.save(update_fields=["consent", "consent_at"])
        ConsentEvent.objects.create(
            participant=participant, kind=kind, text=text, wamid=wamid, at=now
        )
    return True


def welcome_text(participant: Participant) -> str:
    programme = participant.programme
    lines = [
        f"Terima kasih, Bapak/Ibu {participant.resident.name}. Bapak/Ibu sudah terdaftar "
        f"sebagai peserta *{programme.title}*."
    ]
    if programme.group_invite_link:
        lines.append(
            f"Silakan bergabung ke grup WhatsApp *{programme.group_name or programme.title}*: "
            f"{programme.group_invite_link}"
        )
    if programme.opening_info:
        lines += ["", programme.opening_info]
    lines += ["", "Ketik *materi* untuk membaca materi, atau *berhenti* bila ingin berhenti."]
    return "\n".join(lines)


def _answer(turn, participant: Participant, yes: bool) -> None:
    changed = do_answer_consent(
        participant, yes, wamid=turn.message.wamid, text=turn.text or turn.reply_id
    )
    if yes:
        if changed:
            turn.say(welcome_text(participant))
        else:
            turn.say(f"Bapak/Ibu sudah terdaftar sebagai peserta {participant.programme}.")
    else:
        turn.say(
            f"Baik, terima kasih, Bapak/Ibu. Kami tidak akan mengirim pesan program "
            f"{participant.programme} lagi. Layanan desa tetap bisa dipakai; ketik *menu*."
        )


@reply_handler("consent")
def on_consent_tap(turn, rest: str) -> bool:
    code, _, answer = rest.rpartition(":")
    participant = (
        Participant.objects.filter(code=code, resident=turn.resident)
        .select_related("programme__village", "resident")
        .first()
    )
    if participant is None or answer not in {"yes", "no"}:
        return False
    _answer(turn, participant, answer == "yes")
    return True


@word_handler
def on_consent_words(turn, plain: str) -> bool:
    """Typed answers, and the template's own quick-reply buttons (their payload is the
    button's text): they answer the one programme still waiting for this resident."""
    if plain not in YES_WORDS and plain not in NO_WORDS:
        return False
    waiting = list(
        Participant.objects.filter(resident=turn.resident, consent=ConsentState.ASKED)
        .select_related("programme__village", "resident")
        .order_by("-pk")[:2]
    )
    if len(waiting) != 1:
        return False
    _answer(turn, waiting[0], plain in YES_WORDS)
    return True


def on_stop(sender, resident, **kwargs) -> str | None:
    """``berhenti``: withdraw from every programme; facilitators see it in the roster."""
    names = []
    for participant in Participant.objects.filter(
        resident=resident, consent__in=[ConsentState.GIVEN, ConsentState.ASKED]
    ).select_related("programme"):
        if do_answer_consent(participant, False, wamid="", text="berhenti"):
            names.append(participant.programme.title)
    if not names:
        return None
    return "Keikutsertaan di program " + ", ".join(names)


def remind_unanswered(now: dt.datetime | None = None) -> int:
    """Ask again those who have not answered after REMIND_AFTER, at most MAX_REMINDERS
    times; the newest request or reminder decides the next one."""
    now = now or timezone.now()
    sent = 0
    for participant in Participant.objects.filter(consent=ConsentState.ASKED).select_related(
        "programme__village", "resident"
    ):
        events = list(participant.consent_events.order_by("at"))
        reminders = sum(e.kind == ConsentEvent.Kind.REMINDED for e in events)
        if not events or reminders >= MAX_REMINDERS or events[-1].at > now - REMIND_AFTER:
            continue
        with transaction.atomic():
            # Locked so two workers running the periodic job do not both remind.
            locked = Participant.objects.select_for_update().get(pk=participant.pk)
            if locked.consent_events.filter(at__gt=now - REMIND_AFTER).exists():
                continue
            try:
                _send_request(participant, ConsentEvent.Kind.REMINDED, at=now)
            except NoChannel:
                continue
        sent += 1
    return sent
