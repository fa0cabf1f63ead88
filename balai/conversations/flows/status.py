"""Cek status: the resident's letter requests and complaints, or one ticket's history.
Only tickets the sender made (or that are about them) are shown."""

import re

from django.db.models import Q
from django.utils import dateformat

from balai.complaints.models import Complaint
from balai.letters.models import LetterRequest

TICKET = re.compile(r"\b([A-Za-z]{2,5})-?(\d{4})-?(\d{4})\b")
SHOWN = 5


def find_ticket(text: str) -> str | None:
    m = TICKET.search(text)
    return f"{m[1].upper()}-{m[2]}-{m[3]}" if m else None


def _local(village, moment) -> str:
    return dateformat.format(moment.astimezone(village.tz), "j M Y H.i")


def _history(village, events) -> list[str]:
    lines = []
    for event in events:
        line = f"• {_local(village, event.created)} — {event.get_state_display()}"
        if event.note:
            line += f": {event.note}"
        lines.append(line)
    return lines


def show(turn, code: str | None = None) -> None:
    resident, village = turn.resident, turn.village
    requests = LetterRequest.objects.filter(village=village).of_contact(resident)
    complaints = Complaint.objects.filter(village=village, resident=resident)
    if code:
        request = requests.filter(code=code).select_related("letter_type").first()
        if request is not None:
            lines = [
                f"*{request.code}* — {request.letter_type.name}",
                f"Status: *{request.get_state_display()}*",
            ]
            if request.is_open:
                lines.append(f"Perkiraan selesai: {dateformat.format(request.due_date, 'j F Y')}")
            lines += ["", "Riwayat:", *_history(village, request.events.filter(internal=False))]
            turn.say("\n".join(lines))
            return
        complaint = complaints.filter(code=code).select_related("category").first()
        if complaint is not None:
            lines = [
                f"*{complaint.code}* — {complaint.get_kind_display()}: {complaint.category}",
                f"Status: *{complaint.get_state_display()}*",
                "",
                "Riwayat:",
                *_history(village, complaint.events.filter(internal=False)),
            ]
            turn.say("\n".join(lines))
            return
        from balai.residents.privacy import data_request_status

        data_request = resident.data_requests.filter(village=village, code=code).first()
        if data_request is not None:  # a UU PDP request (balai.residents.privacy)
            turn.say(data_request_status(data_request))
            return
        turn.say(
            f"Tiket {code} tidak ditemukan untuk nomor WhatsApp ini. Periksa lagi nomornya, "
            "atau ketik *cek status* untuk melihat semua permohonan Anda."
        )
        return
    recent_requests = list(requests.select_related("letter_type")[:SHOWN])
    recent_complaints = list(complaints.select_related("category")[:SHOWN])
    if not recent_requests and not recent_complaints:
        turn.say(
            "Belum ada permohonan atau pengaduan dari nomor WhatsApp ini. Ketik *menu* untuk "
            "memulai."
        )
        return
    lines = []
    if recent_requests:
        lines.append("*Permohonan surat*")
        for r in recent_requests:
            due = (
                f" (perkiraan selesai {dateformat.format(r.due_date, 'j M')})" if r.is_open else ""
            )
            lines.append(f"• {r.code} — {r.letter_type.name}: *{r.get_state_display()}*{due}")
    if recent_complaints:
        if lines:
            lines.append("")
        lines.append("*Pengaduan dan aspirasi*")
        for c in recent_complaints:
            lines.append(f"• {c.code} — {c.category}: *{c.get_state_display()}*")
    lines.append("\nKetik nomor tiket untuk melihat riwayatnya.")
    turn.say("\n".join(lines))


def awaiting_follow_up(resident):
    """The resolved complaint whose "sudah beres?" question this resident has not answered."""
    return (
        Complaint.objects.filter(resident=resident, follow_up_answer="")
        .filter(~Q(follow_up_sent_at=None), state="resolved")
        .order_by("-follow_up_sent_at")
        .first()
    )
