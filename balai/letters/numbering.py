"""Letter numbers ("nomor surat"): the format, and taking the next number when a letter is
signed.

A format is text with square-bracket codes, as in OpenSID:
``[kode_klasifikasi]/[nomor:3]/[kode_desa]/[bulan_romawi]/[tahun]`` → ``470/007/2010/X/2026``.

``[kode_desa]`` is the last segment of the village's Kemendagri code (33.11.02.**2010**): short
enough for a letter number, and the letterhead already names the village. ``[kode_wilayah]``
gives the full code with dots when a regency wants it.

Numbering restarts every year (in the village's time zone). A sequence belongs to a village,
a year and a *series*: the format with everything but the date and the running number filled
in. Letter types whose numbers look alike (same classification code and format, e.g. the
SKCK and lost-property letters, both 331) share a sequence, so they can never produce the
same number; a type with its own code has its own sequence, as in OpenSID's default
("penomoran surat per jenis surat"). Numbers are taken with ``balai.core.models.next_number``
inside the signing transaction, so simultaneous signatures never share a number and a
failed signature gives its number back.
"""

import datetime as dt
import hashlib
import re

from balai.core.models import next_number

ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]

# code → what staff see in the format help (Indonesian).
NUMBER_CODES = {
    "kode_klasifikasi": "kode klasifikasi arsip jenis surat, mis. 470",
    "nomor": "nomor urut; [nomor:3] diisi nol di depan sampai 3 angka (007)",
    "kode_desa": "kode desa: bagian terakhir kode Kemendagri, mis. 2010",
    "kode_wilayah": "kode Kemendagri lengkap, mis. 33.11.02.2010",
    "bulan_romawi": "bulan dalam angka Romawi, I–XII",
    "bulan": "bulan dalam dua angka, 01–12",
    "tahun": "tahun, mis. 2026",
}
# OpenSID's spellings, accepted so formats copied from OpenSID work unchanged.
ALIASES = {"kode_surat": "kode_klasifikasi", "nomor_surat": "nomor"}
DATE_CODES = {"bulan_romawi", "bulan", "tahun"}
MAX_PADDING = 10

TOKEN = re.compile(r"\[([^\[\]]*)\]")


class NumberFormatError(ValueError):
    """A number format staff typed cannot be used; the message says why, in Indonesian."""


def _parse_code(inner: str) -> tuple[str, int]:
    """``nomor:3`` or OpenSID's ``nomor_surat, 3`` → ("nomor", 3); ``tahun`` → ("tahun", 0)."""
    match = re.fullmatch(r"\s*([^:,]*?)\s*(?:([:,])\s*(.*?)\s*)?", inner)
    name, sep, arg = match.group(1).lower(), match.group(2), match.group(3) or ""
    name = ALIASES.get(name, name)
    if name not in NUMBER_CODES:
        known = ", ".join(f"[{code}]" for code in NUMBER_CODES)
        raise NumberFormatError(
            f"Kode [{inner}] tidak dikenal dalam format nomor surat. Yang bisa dipakai: {known}."
        )
    if not sep:
        return name, 0
    if name != "nomor":
        raise NumberFormatError(f"Hanya [nomor] yang boleh diberi jumlah angka, bukan [{inner}].")
    if not arg.isdigit() or not 1 <= int(arg) <= MAX_PADDING:
        raise NumberFormatError(
            f"Jumlah angka pada [{inner}] harus 1 sampai {MAX_PADDING}, mis. [nomor:3]."
        )
    return name, int(arg)


def _pieces(fmt: str) -> list[str | tuple[str, int]]:
    """Literal text and parsed codes, in order; raises NumberFormatError."""
    pieces: list[str | tuple[str, int]] = []
    position = 0
    for match in TOKEN.finditer(fmt):
        pieces.append(fmt[position : match.start()])
        pieces.append(_parse_code(match.group(1)))
        position = match.end()
    pieces.append(fmt[position:])
    for text in pieces:
        if isinstance(text, str) and ("[" in text or "]" in text):
            raise NumberFormatError(
                "Tanda kurung siku tidak berpasangan dalam format nomor surat: "
                "setiap kode ditulis seperti [nomor:3]."
            )
    return pieces


def validate_number_format(fmt: str) -> None:
    """Raise NumberFormatError (a ValueError) unless ``fmt`` can number letters: known codes,
    a running number, and the year (numbering restarts every year)."""
    if not fmt.strip():
        raise NumberFormatError("Format nomor surat tidak boleh kosong.")
    codes = {piece[0] for piece in _pieces(fmt) if isinstance(piece, tuple)}
    if "nomor" not in codes:
        raise NumberFormatError("Format nomor surat harus memuat nomor urut, mis. [nomor:3].")
    if "tahun" not in codes:
        raise NumberFormatError(
            "Format nomor surat harus memuat [tahun]: nomor urut dimulai lagi dari 1 setiap "
            "tahun, jadi tanpa tahun nomor tahun depan sama dengan tahun ini."
        )


def number_format_validator(value: str) -> None:
    """The same check for a Django form or model field."""
    from django.core.exceptions import ValidationError

    try:
        validate_number_format(value)
    except NumberFormatError as e:
        raise ValidationError(str(e)) from None


def village_code(village) -> str:
    """[kode_desa]: the last segment of the Kemendagri code (33.11.02.2010 → 2010)."""
    return village.official_code.rsplit(".", 1)[-1]


def _value(name: str, width: int, *, sequence, letter_type, village, at: dt.date) -> str:
    if name == "nomor":
        return str(sequence).zfill(width) if width else str(sequence)
    return {
        "kode_klasifikasi": letter_type.classification_code.strip(),
        "kode_desa": village_code(village),
        "kode_wilayah": village.official_code,
        "bulan_romawi": ROMAN_MONTHS[at.month - 1],
        "bulan": f"{at.month:02d}",
        "tahun": str(at.year),
    }[name]


def _local_date(village, at: dt.date | dt.datetime) -> dt.date:
    if isinstance(at, dt.datetime):
        return at.astimezone(village.tz).date() if at.tzinfo else at.date()
    return at


def format_number(fmt: str, *, sequence: int, letter_type, village, at) -> str:
    """The number of the ``sequence``-th letter under format ``fmt``, dated ``at`` (a date,
    or an aware datetime read in the village's time zone). Unknown codes raise
    NumberFormatError (a ValueError)."""
    day = _local_date(village, at)
    out = []
    for piece in _pieces(fmt):
        if isinstance(piece, str):
            out.append(piece)
        else:
            out.append(
                _value(*piece, sequence=sequence, letter_type=letter_type, village=village, at=day)
            )
    return "".join(out)


def series(letter_type, village) -> str:
    """The format with the classification code and village filled in and the date codes and
    running number left as they are: letter types with the same series share a sequence."""
    out = []
    for piece in _pieces(letter_type.number_format):
        if isinstance(piece, str):
            out.append(piece)
        elif piece[0] == "nomor" or piece[0] in DATE_CODES:
            out.append(f"[{piece[0]}:{piece[1]}]")
        else:
            out.append(
                _value(*piece, sequence=0, letter_type=letter_type, village=village, at=dt.date.min)
            )
    return "".join(out)


def sequence_scope(letter_type, village, year: int) -> str:
    digest = hashlib.sha256(series(letter_type, village).encode()).hexdigest()[:16]
    return f"letter:{village.pk}:{year}:{digest}"


def take_number(request, at: dt.datetime) -> tuple[int, str]:
    """(sequence, number) for the letter of ``request`` signed at ``at``. Call inside the
    signing transaction: the sequence row stays locked until it commits, and a rollback
    gives the number back, so numbers have no gaps and are never shared."""
    from balai.letters.models import IssuedLetter

    letter_type, village = request.letter_type, request.village
    day = _local_date(village, at)
    scope = sequence_scope(letter_type, village, day.year)
    taken = IssuedLetter.objects.filter(village=village)
    # Only a hand-made clash (two series that happen to print alike, or a format changed
    # mid-year) can make a number exist already; skip it rather than fail the signature.
    for _ in range(1000):
        sequence = next_number(scope)
        number = format_number(
            letter_type.number_format,
            sequence=sequence,
            letter_type=letter_type,
            village=village,
            at=day,
        )
        if not taken.filter(number=number).exists():
            return sequence, number
    raise RuntimeError(f"no free letter number in {scope}")
