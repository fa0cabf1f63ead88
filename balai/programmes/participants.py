"""Adding participants one by one or from a CSV/XLSX list. A participant is a resident of
the village: found by phone number, or added to the register as unverified (staff verify
or merge them in the register's queue, as for people first met on WhatsApp)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from balai.programmes.models import AgeGroup, Participant, Programme
from balai.residents.identity import normalise_phone
from balai.residents.importer import (
    ImportFileError,
    _cell_text,
    compact,
    parse_gender,
    read_rows,
    safe_text,
)
from balai.residents.models import Resident
from balai.villages.actions import do_audit

COLUMNS = {
    "name": {"nama", "namalengkap", "name"},
    "phone": {"nohp", "nomorhp", "hp", "telepon", "nowa", "nomorwa", "whatsapp", "phone"},
    "business": {"usaha", "komoditas", "jenisusaha", "usahakomoditas", "dagangan"},
    "gender": {"jeniskelamin", "jk", "kelamin", "gender", "lp"},
    "age_group": {"kelompokumur", "umur", "usia", "kelompokusia"},
    "dusun": {"dusun", "banjar", "wilayah"},
}
REQUIRED = ("name", "phone")
AGE_WORDS = {compact(v): v for v in AgeGroup.values} | {
    compact(label): value for value, label in AgeGroup.choices
}


class ParticipantError(Exception):
    pass


def parse_age_group(text: str) -> str:
    if not text:
        return ""
    key = compact(text)
    if key in AGE_WORDS:
        return AGE_WORDS[key]
    if key.isdigit():
        age = int(key)
        if 10 <= age < 25:
            return AgeGroup.UNDER_25
        if age < 40:
            return AgeGroup.FROM_25
        if age < 55:
            return AgeGroup.FROM_40
        if age < 120:
            return AgeGroup.FROM_55
    raise ValidationError(
        f"Kelompok umur “{safe_text(text)}” tidak dikenali. Isi umur (mis. 34) atau "
        "<25, 25-39, 40-54, 55+."
    )


def _area(programme: Programme, name: str):
    if not name:
        return None
    area = programme.village.areas.filter(kind="dusun", name__iexact=name.strip()).first()
    if area is None:
        raise ValidationError(f"Dusun “{safe_text(name)}” tidak ada di {programme.village}.")
    return area


def do_add_participant(
    programme: Programme,
    *,
    name: str,
    phone: str,
    business: str = "",
    gender: str = "",
    age_group: str = "",
    area=None,
    actor=None,
) -> Participant:
    """Add someone to the programme (not yet asked for consent). ValidationError on bad
    input, ParticipantError if they are already in it."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Nama wajib diisi.")
    phone = normalise_phone(phone)
    village = programme.village
    with transaction.atomic():
        resident = Resident.objects.filter(village=village, phone=phone).first()
        if resident is None:
            resident = Resident.objects.create(
                village=village, name=name[:150], phone=phone, gender=gender or "", area=area
            )
        elif gender and not resident.gender:
            Resident.objects.filter(pk=resident.pk).update(gender=gender)
        try:
            with transaction.atomic():
                participant = Participant.objects.create(
                    programme=programme,
                    resident=resident,
                    business=business[:150],
                    age_group=age_group,
                    area=area or resident.area,
                    added_by=actor,
                )
        except IntegrityError:
            raise ParticipantError(f"{resident.name} sudah menjadi peserta program ini.") from None
        if actor is not None:
            do_audit(actor, village, "programme.participant_add", participant)
    return participant


@dataclass
class ImportResult:
    added: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (row number, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def do_import_participants(programme: Programme, data: bytes, filename: str, actor) -> ImportResult:
    """All rows or none: every row is checked first and each problem reported with its row
    number; only a clean file is imported."""
    result = ImportResult()
    try:
        rows = list(read_rows(data, filename))
    except ImportFileError as e:
        result.errors.append((0, str(e)))
        return result
    header_at = next((i for i, row in enumerate(rows) if any(_cell_text(c) for c in row)), None)
    if header_at is None:
        result.errors.append((0, "Berkas tidak berisi data."))
        return result
    index = {}
    for col, title in enumerate(rows[header_at]):
        for key, names in COLUMNS.items():
            if compact(title) in names and key not in index:
                index[key] = col
    missing = [k for k in REQUIRED if k not in index]
    if missing:
        result.errors.append(
            (header_at + 1, "Kolom wajib tidak ada: nama dan nomor HP (judul kolom: Nama, No HP).")
        )
        return result
    planned, seen = [], set()
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = {k: _cell_text(row[i]) if i < len(row) else "" for k, i in index.items()}
        if not any(cells.values()):
            continue
        try:
            if not cells["name"]:
                raise ValidationError("Nama kosong.")
            phone = normalise_phone(cells["phone"])
            if phone in seen:
                raise ValidationError("Nomor HP ini sudah ada di baris lain.")
            if programme.participants.filter(resident__phone=phone).exists():
                raise ValidationError("Orang dengan nomor HP ini sudah menjadi peserta.")
            seen.add(phone)
            planned.append(
                {
                    "name": cells["name"],
                    "phone": phone,
                    "business": cells.get("business", ""),
                    "gender": parse_gender(cells["gender"]) if cells.get("gender") else "",
                    "age_group": parse_age_group(cells.get("age_group", "")),
                    "area": _area(programme, cells.get("dusun", "")),
                }
            )
        except ValidationError as e:
            result.errors.append((number, " ".join(e.messages)))
    if result.errors:
        return result
    with transaction.atomic():
        for values in planned:
            result.added.append(do_add_participant(programme, **values, actor=None))
        do_audit(actor, programme.village, "programme.participant_import", programme)
    return result


def template_csv() -> str:
    return "Nama,No HP,Usaha,Jenis kelamin,Umur,Dusun\nNi Made Sari,081234567890,Sokasi,P,42,\n"
