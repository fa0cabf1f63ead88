"""Permohonan surat: choose the letter, say who it is for (NIK, name, birth date), fill the
letter's own fields, attach documents, confirm, get a ticket code.

The steps come from the village's LetterType row, so staff change a letter's fields and
documents in the console without touching code.
"""

from django.db import IntegrityError, transaction
from django.utils import dateformat
from rapidfuzz import fuzz

from balai.conversations import steps as s
from balai.conversations import texts
from balai.conversations.form import Form
from balai.letters.actions import do_submit_request
from balai.letters.models import LetterRequest, LetterType
from balai.residents.models import Resident
from balai.whatsapp import messages as build

NAME_MATCH = 85  # rapidfuzz token_sort_ratio: "Siti Aminah" vs "SITI AMINAH S." still match


def short_name(letter: LetterType) -> str:
    for prefix in ("Surat Keterangan ", "Surat Pengantar ", "Surat "):
        if letter.name.startswith(prefix):
            return letter.name.removeprefix(prefix)
    return letter.name


class LetterChoice(s.ChoiceStep):
    def options_for(self, turn, data):
        return [
            (lt.slug, short_name(lt), lt.summary)
            for lt in LetterType.objects.active().filter(village=turn.village)
        ]

    def parse(self, turn, data):
        typed = turn.message.type == "text" and not turn.text.strip().isdigit()
        # "sktm", "surat usaha", "domisli": the recogniser knows the letter types' names.
        wanted = turn.understanding.letter_type if typed else None
        if wanted and any(v == wanted for v, _t, _d in self.options_for(turn, data)):
            return wanted
        return super().parse(turn, data)


def _field_step(spec: dict) -> s.Step:
    common = {
        "key": f"f_{spec['key']}",
        "label": spec["label"],
        "question": spec.get("prompt") or f"{spec['label']}?",
        "example": spec.get("example", ""),
    }
    kind = spec.get("kind", "text")
    if kind == "choice":
        return s.ChoiceStep(**common, options=[(c, c, "") for c in spec.get("choices", [])])
    if kind == "date":
        return s.DateStep(**common, past=spec.get("past", False), future=spec.get("future", False))
    if kind == "number":
        return s.NumberStep(**common, maximum=spec.get("max", 1000))
    if kind == "amount":
        return s.AmountStep(**common)
    return s.TextStep(**common, max_length=spec.get("max_length", 500))


class SelfOnly:
    """Mixin: identity steps are skipped when the letter is for the sender and their
    NIK is already on file."""

    def applies(self, turn, data):
        return not (data.get("subject") == "self" and turn.resident.nik)


class NikStep(SelfOnly, s.NikStep):
    pass


class NameStep(SelfOnly, s.NameStep):
    pass


class BirthStep(SelfOnly, s.DateStep):
    pass


class HeadOfFamilyStep(s.YesNoStep):
    def applies(self, turn, data):
        letter = LetterForm.letter(turn)
        return bool(letter and letter.head_of_family_only and data.get("_identity") != "matched")

    def parse(self, turn, data):
        if not super().parse(turn, data):
            raise s.Stop(_head_of_family_only(LetterForm.letter(turn)))
        return True


def _head_of_family_only(letter) -> str:
    return (
        f"Mohon maaf, {letter.name} hanya dapat diajukan oleh kepala keluarga. Silakan minta "
        "kepala keluarga Anda mengajukannya dari nomor WhatsApp-nya, atau ketik *petugas* "
        "untuk bertanya."
    )


class LetterForm(Form):
    name = "letter"
    title = "Permohonan surat"
    keeps_draft = True
    fixed_steps = {"letter", "subject"}

    @staticmethod
    def letter(turn, data: dict | None = None) -> LetterType | None:
        slug = (turn.conv.data if data is None else data).get("letter")
        if not slug:
            return None
        return LetterType.objects.active().filter(village=turn.village, slug=slug).first()

    def steps(self, turn):
        result = [
            LetterChoice(
                key="letter",
                label="Jenis surat",
                question="Surat apa yang Anda perlukan?",
                button="Pilih surat",
                example='ketik 2, atau tulis "SKTM"',
            ),
            s.ChoiceStep(
                key="subject",
                label="Untuk",
                question="Surat ini untuk siapa?",
                options=[("self", "Saya sendiri", ""), ("other", "Orang lain", "")],
            ),
            NikStep(
                key="nik",
                label="NIK",
                question="Ketik NIK (16 angka di KTP atau KK) orang yang dibuatkan surat.",
                hint="NIK adalah Nomor Induk Kependudukan, 16 angka di bagian atas KTP atau "
                "di kolom NIK pada Kartu Keluarga.",
                # Never a whole NIK, not even an example: it could be a real person's.
                example="16 angka tanpa spasi, tersusun 3311 02 (wilayah) + 150385 "
                "(tanggal lahir) + 0007 (nomor urut)",
            ),
            NameStep(
                key="nama",
                label="Nama lengkap",
                question="Ketik nama lengkap sesuai KTP.",
                example="Siti Aminah",
            ),
            BirthStep(
                key="tgl_lahir",
                label="Tanggal lahir",
                question="Ketik tanggal lahir (tanggal-bulan-tahun).",
                hint="Tanggal lahir sesuai KTP, dengan format tanggal-bulan-tahun.",
                example="05-01-1990 atau 5 Januari 1990",
                past=True,
                nik_key="nik",
            ),
            HeadOfFamilyStep(
                key="kepala_keluarga",
                label="Kepala keluarga",
                question="Apakah yang dibuatkan surat adalah kepala keluarga di KK?",
            ),
        ]
        letter = self.letter(turn)
        if letter is not None:
            result += [_field_step(spec) for spec in letter.fields]
            result += [
                s.MediaStep(
                    key=f"doc_{doc['key']}",
                    label=doc["label"],
                    question=f"Kirim {doc['label']} (foto yang jelas atau PDF).",
                    hint="Ketuk 📎 di kolom pesan, pilih Kamera atau Galeri untuk foto, atau "
                    "Dokumen untuk PDF.",
                    example="foto KTP yang terang, tidak terpotong",
                    required=doc.get("required", True),
                )
                for doc in letter.documents
            ]
        return result

    def intro(self, turn):
        letter = self.letter(turn)  # started by a deep link or "mau bikin surat domisili"
        return requirements_text(letter, turn.village) if letter is not None else None

    def after(self, turn, step):
        data = turn.conv.data
        letter = self.letter(turn)
        if step.key == "letter" and letter is not None:
            turn.say(requirements_text(letter, turn.village))
        if step.key == "subject" and data["subject"] == "self" and turn.resident.nik:
            self._identify(turn)
        if step.key in {"nik", "nama", "tgl_lahir"} and all(
            k in data for k in ("nik", "nama", "tgl_lahir")
        ):
            self._identify(turn)

    def _identify(self, turn):
        """Match the person against the village register; SKTM and the like are refused
        here when the register says they are not the head of the family."""
        data = turn.conv.data
        letter = self.letter(turn)
        contact = turn.resident
        if data.get("subject") == "self" and contact.nik:
            person, identity = contact, "matched" if contact.is_verified else "new"
        else:
            person = Resident.objects.for_village(turn.village).with_nik(data["nik"]).first()
            identity = "new"
            if person is not None:
                same_name = fuzz.token_sort_ratio(person.name.lower(), data["nama"].lower())
                same_birth = person.birth_date is None or (
                    person.birth_date.isoformat() == data["tgl_lahir"]
                )
                matched = same_name >= NAME_MATCH and same_birth and person.is_verified
                identity = "matched" if matched else "mismatch"
        data["_identity"] = identity
        data["_person"] = person.pk if person is not None else None
        if (
            letter is not None
            and letter.head_of_family_only
            and identity == "matched"
            and not person.is_head_of_family
        ):
            raise s.Stop(_head_of_family_only(letter))

    def submit(self, turn, data):
        letter = self.letter(turn, data)
        if letter is None:
            turn.say(texts.FLOW_CHANGED)
            return
        person = _subject(turn, data)
        answers = {}
        for spec in letter.fields:
            value = data.get(f"f_{spec['key']}")
            if value is not None:
                answers[spec["key"]] = value
        attachments, later = [], []
        for doc in letter.documents:
            value = data.get(f"doc_{doc['key']}")
            if isinstance(value, int):
                attachments.append((doc["key"], doc["label"], value))
            elif value == "later":
                later.append(doc["label"])
        if later:
            answers["_dibawa_ke_kantor"] = later
        request = do_submit_request(
            letter_type=letter,
            resident=person,
            contact=turn.resident,
            identity=data.get("_identity", "new"),
            answers=answers,
            attachments=attachments,
        )
        turn.say(submitted_text(request, turn, later))


def _subject(turn, data) -> Resident:
    """The register entry the letter is about, or a new, unverified one."""
    contact = turn.resident
    if data.get("_person"):
        person = Resident.objects.filter(village=turn.village, pk=data["_person"]).first()
        if person is not None:
            return person
    fields = {"nik": data["nik"], "name": data["nama"], "birth_date": data["tgl_lahir"]}
    if data.get("subject") == "self" and not contact.nik:
        try:
            with transaction.atomic():
                for key, value in fields.items():
                    setattr(contact, key, value)
                contact.is_verified = False
                contact.save()
            return contact
        except IntegrityError:
            contact.refresh_from_db()
    existing = Resident.objects.for_village(turn.village).with_nik(data["nik"]).first()
    if existing is not None:
        return existing
    return Resident.objects.create(village=turn.village, is_verified=False, **fields)


def requirements_text(letter: LetterType, village) -> str:
    lines = [f"*{letter.name}*"]
    if letter.summary:
        lines.append(letter.summary)
    lines.append("\nYang perlu disiapkan:")
    lines += [f"• {line}" for line in letter.requirement_lines()]
    if letter.requirements:
        lines.append(letter.requirements)
    if letter.head_of_family_only:
        lines.append("• Diajukan oleh kepala keluarga")
    cost = "gratis" if not letter.cost else f"Rp{letter.cost:,}".replace(",", ".")
    lines.append(f"\nLama proses: {letter.days} hari kerja. Biaya: {cost}.")
    return "\n".join(lines)


def requirements_message(letter: LetterType, village):
    return build.buttons(
        requirements_text(letter, village)[:1000],
        [(f"req:{letter.slug}", "Ajukan sekarang"), ("global:menu", "Menu")],
        footer=f"Atau ketik LAYANAN {letter.keyword}",
    )


def submitted_text(request: LetterRequest, turn, later: list[str]) -> str:
    due = dateformat.format(request.due_date, "l, j F Y")
    lines = [
        "Baik, Bapak/Ibu. Permohonan Anda sudah kami terima.",
        f"Nomor tiket: *{request.code}*",
        f"Surat: {request.letter_type.name}",
        f"Perkiraan selesai: {due}",
    ]
    if later:
        lines.append("Mohon bawa ke kantor desa: " + ", ".join(later) + ".")
    if not turn.village.is_open(turn.now):
        lines.append(texts.when_staff_answer(turn.village, turn.now))
    lines.append(
        "Simpan nomor tiket ini. Ketik *cek status* atau nomor tiketnya kapan saja untuk "
        "melihat perkembangannya. Kami juga akan mengabari Anda di sini."
    )
    return "\n".join(lines)
