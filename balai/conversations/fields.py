"""Parsers for what residents type into a form: each returns a clean value or raises
``Invalid`` with a message that says only what was wrong and how to fix it."""

import datetime as dt
import re

from django.core.exceptions import ValidationError

from balai.residents.identity import clean_digits, nik_birth_date, validate_nik


class Invalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agu": 8, "agt": 8, "ags": 8, "agus": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "november": 11, "nov": 11, "nopember": 11, "desember": 12,
    "des": 12,
}  # fmt: skip


def parse_nik(text: str) -> str:
    digits = clean_digits(text)
    if not digits.isdigit():
        raise Invalid("NIK hanya berisi angka. Ketik 16 angka NIK tanpa huruf.")
    if len(digits) != 16:
        raise Invalid(f"NIK harus 16 angka, yang Anda kirim {len(digits)} angka.")
    try:
        return validate_nik(digits)
    except ValidationError as e:
        raise Invalid(e.messages[0]) from None


def parse_name(text: str) -> str:
    name = re.sub(r"\s+", " ", text).strip(" .,-")
    if not re.fullmatch(r"[^\W\d_]+(?:[ .'\-,][^\W\d_]*)*\.?", name):
        raise Invalid("Nama hanya berisi huruf (boleh titik, koma dan tanda petik).")
    if len(name) < 3 or len(name) > 100:
        raise Invalid("Nama harus 3 sampai 100 huruf. Ketik nama lengkap sesuai KTP.")
    return name.title() if name.isupper() or name.islower() else name


def _year(value: int, today: dt.date) -> int:
    if value >= 100:
        return value
    return 2000 + value if 2000 + value <= today.year + 1 else 1900 + value


def parse_date(text: str, *, today: dt.date, past: bool = False, future: bool = False) -> dt.date:
    """17-08-1990, 17/8/90, 17 agustus 1990, 17 agt 90."""
    t = text.lower().strip()
    m = re.fullmatch(r"(\d{1,2})\s*[-/. ]\s*(\d{1,2})\s*[-/. ]\s*(\d{2,4})", t)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{1,2})\s*[-/ ]?\s*([a-z]+)\.?\s*[-/ ]?\s*(\d{2,4})", t)
        if not m or m[2] not in MONTHS:
            raise Invalid("Format tanggal belum tepat. Ketik tanggal-bulan-tahun, mis. 17-08-1990.")
        day, month, year = int(m[1]), MONTHS[m[2]], int(m[3])
    try:
        date = dt.date(_year(year, today), month, day)
    except ValueError:
        raise Invalid(
            f"Tanggal {day}-{month}-{year} tidak ada di kalender. Periksa lagi."
        ) from None
    if date.year < 1900:
        raise Invalid("Tahunnya terlalu lama. Ketik tahun empat angka, mis. 1990.")
    if past and date > today:
        raise Invalid("Tanggal itu belum lewat. Ketik tanggal yang sudah terjadi.")
    if future and date < today:
        raise Invalid("Tanggal itu sudah lewat. Ketik tanggal hari ini atau yang akan datang.")
    return date


def check_birth_date(nik: str, birth_date: dt.date) -> None:
    """The NIK encodes the birth date (day + 40 for women); they must agree."""
    encoded = nik_birth_date(nik)
    if encoded and (encoded.day, encoded.month) != (birth_date.day, birth_date.month):
        raise Invalid(
            "Tanggal lahir tidak cocok dengan NIK yang Anda kirim. Ketik tanggal lahir "
            "sesuai KTP, atau ketik *kembali* untuk memperbaiki NIK."
        )


def parse_text(text: str, *, min_length: int = 3, max_length: int = 500) -> str:
    value = re.sub(r"[ \t]+", " ", text).strip()
    letters = sum(c.isalnum() for c in value)
    if letters < min_length:
        raise Invalid(f"Jawaban terlalu pendek. Tulis paling sedikit {min_length} huruf.")
    if len(value) > max_length:
        raise Invalid(f"Jawaban terlalu panjang ({len(value)} huruf). Maksimal {max_length}.")
    return value


def parse_number(text: str, *, maximum: int = 1000) -> int:
    digits = re.sub(r"[\s.]", "", text.lower().replace("orang", "").replace("org", ""))
    if not digits.isdigit():
        raise Invalid("Ketik jawabannya dengan angka saja, mis. 2.")
    value = int(digits)
    if value > maximum:
        raise Invalid(f"Angkanya terlalu besar. Maksimal {maximum}.")
    return value


def parse_amount(text: str) -> int:
    from balai.nlu.normalise import parse_amount as amount_in

    value = amount_in(text)
    if value is None:
        digits = re.sub(r"[\s.,]", "", text.lower().removeprefix("rp"))
        value = int(digits) if digits.isdigit() else None
    if value is None:
        raise Invalid("Ketik jumlahnya dalam rupiah, mis. 1500000 atau 1,5 juta.")
    return value


def rupiah(value: int) -> str:
    return "Rp" + f"{value:,}".replace(",", ".")
