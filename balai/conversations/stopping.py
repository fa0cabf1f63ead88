"""``berhenti``: one word stops every message a resident signed up for.

UU PDP wants withdrawing consent to be as easy as giving it, and Meta expects a stop word
to work at any moment. Each app that sends unasked-for messages (announcements, programme
consent and reminders, follow-ups) connects a receiver to ``stop_requested``; the receiver
stops what it owns for ``resident`` and returns one short line saying what stopped, or None.
The conversation engine sends the resident those lines as one reply.
"""

from django.dispatch import Signal

stop_requested = Signal()


def do_stop_all(resident) -> list[str]:
    """Stop everything; the lines say what stopped (empty: nothing was running)."""
    from balai.whatsapp.outbox import do_record_opt_out

    do_record_opt_out(resident)
    lines = []
    for _receiver, line in stop_requested.send(sender=type(resident), resident=resident):
        if line:
            lines.append(line)
    return lines


def stopped_text(lines: list[str]) -> str:
    if not lines:
        return (
            "Baik, Bapak/Ibu. Kami tidak akan mengirim kabar atau pengingat ke nomor ini. "
            "Layanan surat dan pengaduan tetap bisa dipakai; ketik *menu*."
        )
    return "\n".join(
        [
            "Baik, Bapak/Ibu. Sudah kami hentikan:",
            *(f"• {line}" for line in lines),
            "",
            "Layanan surat dan pengaduan tetap bisa dipakai; ketik *menu*.",
        ]
    )
