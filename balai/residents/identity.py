"""NIK/KK validation and masking, and phone-number normalisation.

A NIK is 16 digits: 6 for the region (province, regency, district), 6 for the birth date
(DDMMYY, women add 40 to the day) and 4 for a serial number. A KK number has the same
region prefix and length.
"""

import datetime as dt
import re

import phonenumbers
from django.core.exceptions import ValidationError

# Province codes in use (Kemendagri), including the Papua provinces created in 2022.
PROVINCES = {
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    21,
    31,
    32,
    33,
    34,
    35,
    36,
    51,
    52,
    53,
    61,
    62,
    63,
    64,
    65,
    71,
    72,
    73,
    74,
    75,
    76,
    81,
    82,
    91,
    92,
    93,
    94,
    95,
    96,
    97,
}


def clean_digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def _check_region(digits: str, label: str) -> None:
    if int(digits[:2]) not in PROVINCES:
        raise ValidationError(
            f"{label} tidak valid: dua angka pertama ({digits[:2]}) bukan kode provinsi."
        )
    if digits[2:4] == "00" or digits[4:6] == "00":
        raise ValidationError(
            f"{label} tidak valid: kode kabupaten/kecamatan (angka 3–6) tidak boleh 00."
        )


def nik_birth_date(nik: str) -> dt.date | None:
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    this_year = dt.date.today().year % 100
    century = 2000 if year <= this_year else 1900
    try:
        return dt.date(century + year, month, day)
    except ValueError:
        return None


def nik_is_female(nik: str) -> bool:
    return int(nik[6:8]) > 40


def validate_nik(value: str) -> str:
    """Return the NIK as 16 digits, or raise ValidationError saying what is wrong."""
    nik = clean_digits(value)
    if not nik.isdigit():
        raise ValidationError("NIK hanya berisi angka.")
    if len(nik) != 16:
        raise ValidationError(f"NIK harus 16 angka (yang Anda tulis {len(nik)} angka).")
    _check_region(nik, "NIK")
    if nik_birth_date(nik) is None:
        raise ValidationError(
            "NIK tidak valid: angka ke-7 sampai ke-12 harus tanggal lahir (TTBBTT)."
        )
    if nik[12:] == "0000":
        raise ValidationError("NIK tidak valid: empat angka terakhir tidak boleh 0000.")
    return nik


def validate_kk(value: str) -> str:
    kk = clean_digits(value)
    if not kk.isdigit() or len(kk) != 16:
        raise ValidationError("Nomor KK harus 16 angka.")
    _check_region(kk, "Nomor KK")
    return kk


def mask_identity(number: str | None) -> str:
    """``3201********0001``: enough to recognise, not enough to misuse."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def normalise_phone(value: str, region: str = "ID") -> str:
    """E.164 (``+6281234567890``) or ValidationError. Accepts 0812…, 62812…, +62 812-…"""
    raw = (value or "").strip()
    if raw.isdigit() and raw.startswith("62"):
        raw = "+" + raw
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Nomor telepon tidak dikenali. Contoh: 0812 3456 7890.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Nomor telepon tidak valid. Contoh: 0812 3456 7890.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    if not e164:
        return ""
    return e164[:5] + "•" * max(len(e164) - 8, 0) + e164[-3:]
