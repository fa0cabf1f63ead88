"""The building blocks of a flow: a question (``Step``) and its kinds.

A step asks (``prompt``), reads the answer (``parse``: a value, or ``Invalid`` with what was
wrong), explains itself with an example when the resident is stuck (``explain``), and
renders its answer for the summary (``show``). ``applies`` skips steps that don't apply.
"""

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from balai.conversations import fields as f
from balai.conversations.fields import Invalid
from balai.whatsapp import messages as build

SKIP_WORDS = {"lewati", "skip", "tidak ada", "ga ada", "gak ada", "tidak", "nggak ada", "-"}
LATER_WORDS = {"nanti", "bawa", "dibawa", "bawa ke kantor"}


class Reprompt(Exception):
    """Show this message and stay on the step without counting a failure (e.g. page 2)."""

    def __init__(self, built):
        super().__init__("reprompt")
        self.built = built


class Stop(Exception):
    """End the flow with this message (e.g. the resident may not request this letter)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


def words(text: str) -> str:
    """Lower-case words without punctuation: how typed answers are compared."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@dataclass
class Step:
    key: str
    label: str
    question: str = ""
    example: str = ""
    hint: str = ""

    def applies(self, turn, data: dict) -> bool:
        return True

    def prompt(self, turn, data: dict):
        return build.text(self.question)

    def parse(self, turn, data: dict):
        raise NotImplementedError

    def explain(self) -> str:
        parts = [f"*{self.label}*: {self.hint or self.question}"]
        if self.example:
            parts.append(f"Contoh: {self.example}")
        return "\n".join(parts)

    def show(self, turn, value, data: dict) -> str:
        return str(value)


def require_text(turn) -> str:
    if turn.message.type != "text" or not turn.text.strip():
        raise Invalid("Mohon jawab dengan mengetik pesan teks.")
    return turn.text


@dataclass
class TextStep(Step):
    min_length: int = 3
    max_length: int = 500

    def parse(self, turn, data):
        return f.parse_text(
            require_text(turn), min_length=self.min_length, max_length=self.max_length
        )


@dataclass
class NikStep(Step):
    def parse(self, turn, data):
        return f.parse_nik(require_text(turn))

    def show(self, turn, value, data):
        from balai.residents.identity import mask_identity

        return mask_identity(value)  # never echo a full NIK


@dataclass
class NameStep(Step):
    def parse(self, turn, data):
        return f.parse_name(require_text(turn))


@dataclass
class DateStep(Step):
    past: bool = False
    future: bool = False
    nik_key: str = ""

    def parse(self, turn, data):
        date = f.parse_date(
            require_text(turn), today=turn.today, past=self.past, future=self.future
        )
        if self.nik_key and data.get(self.nik_key):
            f.check_birth_date(data[self.nik_key], date)
        return date.isoformat()

    def show(self, turn, value, data):
        import datetime as dt

        from django.utils import dateformat

        return dateformat.format(dt.date.fromisoformat(value), "j F Y")


@dataclass
class NumberStep(Step):
    maximum: int = 1000

    def parse(self, turn, data):
        return f.parse_number(require_text(turn), maximum=self.maximum)


@dataclass
class AmountStep(Step):
    def parse(self, turn, data):
        return f.parse_amount(require_text(turn))

    def show(self, turn, value, data):
        return f.rupiah(value)


@dataclass
class ChoiceStep(Step):
    """Pick one of ``options`` [(value, title, description)]: a tapped button or list row,
    a typed number, or typed words close to a title."""

    options: list = field(default_factory=list)
    button: str = "Pilih"
    page_size: int = 9

    def options_for(self, turn, data) -> list[tuple[str, str, str]]:
        return [
            (o + ("",) * (3 - len(o))) if isinstance(o, tuple) else (o, o, "") for o in self.options
        ]

    def prompt(self, turn, data, page: int = 0):
        options = self.options_for(turn, data)
        return choice_message(self.key, self.question, options, self.button, page, self.page_size)

    def parse(self, turn, data):
        options = self.options_for(turn, data)
        reply = turn.reply_id
        if reply.startswith(f"{self.key}:"):
            value = reply.split(":", 1)[1]
            if value.startswith("_page"):
                page = int(value.removeprefix("_page") or 0)
                raise Reprompt(self.prompt(turn, data, page=page))
            for option in options:
                if option[0] == value:
                    return value
        text = require_text(turn) if not reply else turn.text
        return match_option(text, options)

    def show(self, turn, value, data):
        return next((title for v, title, _d in self.options_for(turn, data) if v == value), value)


def match_option(text: str, options) -> str:
    t = words(text)
    number = re.fullmatch(r"(?:no\.?\s*|nomor\s*)?(\d{1,2})", t)
    if number:
        index = int(number[1])
        if 1 <= index <= len(options):
            return options[index - 1][0]
        raise Invalid(f"Pilih angka 1 sampai {len(options)}.")
    titles = {words(title): value for value, title, _d in options}
    if t in titles:
        return titles[t]
    best = process.extractOne(t, list(titles), scorer=fuzz.WRatio, score_cutoff=86)
    if best:
        return titles[best[0]]
    raise Invalid(
        f"Pilihan itu tidak ada. Ketuk salah satu pilihan, atau ketik angka 1-{len(options)}."
    )


def choice_message(key, question, options, button="Pilih", page=0, page_size=9):
    n = len(options)
    fallback = f"Atau ketik angka 1-{n}." if n > 1 else ""
    if n <= 3 and all(len(title) <= 20 for _v, title, _d in options):
        return build.buttons(
            question, [(f"{key}:{v}", title) for v, title, _d in options], footer=fallback or None
        )
    numbered = [
        (f"{key}:{v}", f"{i}. {title}"[:24], d[:72]) for i, (v, title, d) in enumerate(options, 1)
    ]
    if n <= 10:
        rows = numbered
    else:
        start = page * page_size
        rows = numbered[start : start + page_size]
        if start + page_size < n:
            rows.append(
                (f"{key}:_page{page + 1}", "Lainnya…", f"Pilihan {start + page_size + 1}-{n}")
            )
        else:
            rows.append((f"{key}:_page0", "Kembali ke awal", "Pilihan 1-" + str(page_size)))
    body = question
    if n > 10:  # every option typed out too, for the ones not on this page of the list
        body += "\n\n" + "\n".join(f"{i}. {title}" for i, (_v, title, _d) in enumerate(options, 1))
    return build.list_message(body[:1024], button, [("", rows)], footer=fallback or None)


@dataclass
class YesNoStep(Step):
    yes: str = "Ya"
    no: str = "Tidak"

    def prompt(self, turn, data):
        return build.buttons(
            self.question,
            [(f"{self.key}:ya", self.yes), (f"{self.key}:tidak", self.no)],
            footer="Atau ketik ya / tidak",
        )

    def parse(self, turn, data):
        if turn.reply_id in {f"{self.key}:ya", f"{self.key}:tidak"}:
            return turn.reply_id.endswith(":ya")
        t = words(turn.text)
        if t in {
            "ya",
            "iya",
            "y",
            "yes",
            "boleh",
            "bersedia",
            "benar",
            "betul",
            "ok",
            "oke",
            "nggih",
            "inggih",
            words(self.yes),
        }:
            return True
        if t in {
            "tidak",
            "tdk",
            "no",
            "ga",
            "gak",
            "enggak",
            "nggak",
            "bukan",
            "jangan",
            words(self.no),
        }:
            return False
        raise Invalid(f"Jawab dengan *{self.yes}* atau *{self.no}*.")

    def show(self, turn, value, data):
        return self.yes if value else self.no


MEDIA_LIMIT = {"image": 5 << 20, "document": 10 << 20}
DOCUMENT_TYPES = {"application/pdf"}


@dataclass
class MediaStep(Step):
    """A photo (or, when ``pdf_ok``, a PDF). Optional steps take *lewati*; documents that
    are required can be brought to the office instead (*nanti*), as OpenSID allows."""

    required: bool = True
    pdf_ok: bool = True
    later_ok: bool = True

    def prompt(self, turn, data):
        lines = [self.question]
        if not self.required:
            lines.append("Ketik *lewati* bila tidak ada.")
        elif self.later_ok:
            lines.append("Bila belum bisa mengirim, ketik *nanti* dan bawa aslinya ke kantor desa.")
        return build.text("\n".join(lines))

    def parse(self, turn, data):
        message = turn.message
        if message.type in {"image", "document"}:
            media = getattr(message, "media", None)
            mime = (media.mime_type if media else "") or ""
            if message.type == "document" and not (
                (mime in DOCUMENT_TYPES and self.pdf_ok) or mime.startswith("image/")
            ):
                raise Invalid(
                    "Jenis file ini tidak bisa kami terima. Kirim foto (JPG/PNG) atau PDF."
                )
            if media is None:
                raise Invalid("File tidak terbaca. Silakan kirim ulang fotonya.")
            if media.state == media.State.FAILED:
                raise Invalid("File tidak berhasil kami unduh. Silakan kirim ulang.")
            limit = MEDIA_LIMIT[message.type]
            if media.size and media.size > limit:
                raise Invalid(
                    f"Ukuran file terlalu besar. Maksimal {limit >> 20} MB; kirim foto biasa saja."
                )
            return media.pk
        if message.type in {"video", "audio", "sticker"}:
            raise Invalid("Yang kami perlukan foto atau PDF, bukan video, suara, atau stiker.")
        t = words(turn.text)
        if not self.required and t in SKIP_WORDS:
            return None
        if self.required and self.later_ok and t in LATER_WORDS:
            return "later"
        raise Invalid(
            "Kirim dengan tombol lampiran (📎) lalu pilih Kamera, Galeri, atau Dokumen."
            + (" Ketik *lewati* bila tidak ada." if not self.required else "")
        )

    def show(self, turn, value, data):
        if value is None:
            return "tidak ada"
        if value == "later":
            return "dibawa ke kantor desa"
        return "terlampir ✓"
