"""Informasi: office hours, address and contacts, a letter's requirements, and the
village's own questions and answers."""

from django.utils import dateformat

from balai.conversations import steps as s
from balai.conversations.flows.letter import LetterChoice, requirements_message
from balai.conversations.form import Form
from balai.letters.models import LetterType
from balai.villages.models import WEEKDAYS, Faq

DAY_NAMES = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def office_text(village, now) -> str:
    local = now.astimezone(village.tz)
    lines = [f"*Kantor {village}*"]
    if village.address:
        lines.append(village.address)
    lines.append("")
    lines.append("Jam pelayanan:")
    for index, day in enumerate(WEEKDAYS):
        spans = village.office_hours.get(day, [])
        hours = ", ".join(f"{a.replace(':', '.')}–{b.replace(':', '.')}" for a, b in spans)
        lines.append(
            f"• {DAY_NAMES[index]}: {hours or 'tutup'} {village.tz_label if spans else ''}".rstrip()
        )
    today = village.hours_on(local.date())
    if village.is_open(now):
        lines.append("\nSaat ini kantor *buka*.")
    else:
        opening = village.next_opening(now)
        note = "\nSaat ini kantor *tutup*"
        if not today and village.holidays.filter(date=local.date()).exists():
            note += " (hari libur)"
        if opening is not None:
            note += f"; buka lagi {dateformat.format(opening, 'l, j F')} pukul {opening:%H.%M}"
        lines.append(note + ".")
    contacts = [c for c in (village.phone, village.email) if c]
    if contacts:
        lines.append("Kontak: " + " · ".join(contacts))
    return "\n".join(lines)


class FaqChoice(s.ChoiceStep):
    def applies(self, turn, data):
        return data.get("topic") == "faq"

    def options_for(self, turn, data):
        return [
            (f.code, f.question[:24], f.question[24:96])
            for f in Faq.objects.filter(village=turn.village, is_active=True)
        ]


class SyaratChoice(LetterChoice):
    def applies(self, turn, data):
        return data.get("topic") == "syarat"


class InfoForm(Form):
    name = "info"
    title = "Informasi"
    confirm = False

    def steps(self, turn):
        topics = [
            ("kantor", "Jam & alamat kantor", "Jam pelayanan, alamat, kontak"),
            ("syarat", "Syarat surat", "Dokumen yang perlu disiapkan"),
        ]
        if Faq.objects.filter(village=turn.village, is_active=True).exists():
            topics.append(("faq", "Tanya jawab", "Pertanyaan yang sering diajukan"))
        topics.append(("data", "Data pribadi saya", "Minta salinan atau penghapusan"))
        return [
            s.ChoiceStep(
                key="topic",
                label="Topik",
                question="Informasi apa yang Anda perlukan?",
                options=topics,
                button="Pilih topik",
            ),
            SyaratChoice(
                key="letter",
                label="Jenis surat",
                question="Syarat surat apa?",
                button="Pilih surat",
            ),
            FaqChoice(key="faq", label="Pertanyaan", question="Pilih pertanyaan:"),
        ]

    def submit(self, turn, data):
        if data["topic"] == "kantor":
            turn.say(office_text(turn.village, turn.now))
        elif data["topic"] == "syarat":
            letter = LetterType.objects.filter(village=turn.village, slug=data["letter"]).first()
            if letter is not None:
                turn.say(requirements_message(letter, turn.village))
        elif data["topic"] == "data":
            from balai.residents.chat import start

            start(turn)  # the UU PDP requests (balai.residents.chat)
        else:
            faq = Faq.objects.filter(village=turn.village, code=data["faq"]).first()
            if faq is not None:
                turn.say(f"*{faq.question}*\n{faq.answer}")
