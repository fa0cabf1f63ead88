"""Reading a resident register from CSV or XLSX and checking every row before import.

Two layouts are understood, with headers matched loosely (case, spaces, dots, underscores):
OpenSID's population export/import (``nik``, ``no_kk``, ``nama``, ``sex``, ``tempatlahir``,
``tanggallahir``, ``kk_level``, ``dusun``, ``rw``, ``rt``, ``pekerjaan_id`` …) and Balai's
own template (``TEMPLATE_HEADERS``). Columns we do not keep (agama, pendidikan …) are
ignored.

``plan_import`` never writes: it returns an ``ImportPlan`` with the cleaned rows, the errors
(row, column, message, masked NIK) and notes. ``balai.residents.actions.do_import_residents``
writes a plan that has no errors. NIK/KK values are never put into messages unmasked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from balai.lib.crypto import lookup_hash, lookup_hashes
from balai.residents.identity import (
    clean_digits,
    mask_identity,
    normalise_phone,
    validate_kk,
    validate_nik,
)
from balai.residents.models import Resident
from balai.villages.models import Area, Village

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# An XLSX is a zip: refuse archives that would inflate far beyond any real register.
MAX_XLSX_INFLATED = 200 * 1024 * 1024
# Rows scanned for the header line (OpenSID and Excel exports sometimes put a title above).
HEADER_SCAN_ROWS = 10

TEMPLATE_HEADERS = [
    "nama",
    "nik",
    "no_kk",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "kepala_keluarga",
    "dusun",
    "rw",
    "rt",
    "alamat",
    "pekerjaan",
    "no_hp",
]

# Field → header spellings, compared after lower-casing and dropping everything but letters
# and digits ("Tanggal Lahir", "TANGGAL_LAHIR" and "tanggallahir" are the same header).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("nama", "namalengkap", "namapenduduk", "name"),
    "nik": ("nik", "nomornik", "nonik", "niktp", "nomorindukkependudukan"),
    "kk": ("nokk", "nomorkk", "kk", "nokartukeluarga", "nomorkartukeluarga"),
    "gender": ("jeniskelamin", "sex", "jk", "kelamin", "gender", "lp"),
    "birth_place": ("tempatlahir", "tmplahir", "tempatlhr"),
    "birth_date": ("tanggallahir", "tgllahir", "tanggallhr", "tgllhr"),
    "head": (
        "kepalakeluarga",
        "kklevel",
        "shdk",
        "hubungankeluarga",
        "hubkeluarga",
        "hubungandalamkeluarga",
        "statushubungandalamkeluarga",
    ),
    "dusun": ("dusun", "namadusun", "lingkungan", "banjar"),
    "rw": ("rw", "norw", "nomorrw"),
    "rt": ("rt", "nort", "nomorrt"),
    "address": ("alamat", "alamatlengkap", "alamatsekarang"),
    "occupation": ("pekerjaan", "namapekerjaan"),
    "occupation_id": ("pekerjaanid", "idpekerjaan", "kodepekerjaan"),
    "phone": ("nohp", "nomorhp", "hp", "telepon", "notelepon", "telp", "notelp", "nowa", "wa"),
}
REQUIRED = ("name", "nik")
FIELD_LABELS = {
    "name": "nama",
    "nik": "nik",
    "kk": "no_kk",
    "gender": "jenis_kelamin",
    "birth_place": "tempat_lahir",
    "birth_date": "tanggal_lahir",
    "head": "kepala_keluarga",
    "dusun": "dusun",
    "rw": "rw",
    "rt": "rt",
    "address": "alamat",
    "occupation": "pekerjaan",
    "occupation_id": "pekerjaan_id",
    "phone": "no_hp",
}
MAX_LENGTHS = {"name": 150, "birth_place": 100, "address": 250, "occupation": 100}
# Header spellings only OpenSID uses (lower-cased, spaces as underscores).
OPENSID_MARKERS = {
    "sex",
    "tanggallahir",
    "tempatlahir",
    "kk_level",
    "pekerjaan_id",
    "agama_id",
    "status_dasar",
}

# OpenSID's ``tweb_penduduk_pekerjaan`` (the Dukcapil/SIAK list), for ``pekerjaan_id``.
OPENSID_OCCUPATIONS = dict(
    enumerate(
        [
            "Belum/Tidak Bekerja",
            "Mengurus Rumah Tangga",
            "Pelajar/Mahasiswa",
            "Pensiunan",
            "Pegawai Negeri Sipil (PNS)",
            "Tentara Nasional Indonesia (TNI)",
            "Kepolisian RI (POLRI)",
            "Perdagangan",
            "Petani/Pekebun",
            "Peternak",
            "Nelayan/Perikanan",
            "Industri",
            "Konstruksi",
            "Transportasi",
            "Karyawan Swasta",
            "Karyawan BUMN",
            "Karyawan BUMD",
            "Karyawan Honorer",
            "Buruh Harian Lepas",
            "Buruh Tani/Perkebunan",
            "Buruh Nelayan/Perikanan",
            "Buruh Peternakan",
            "Pembantu Rumah Tangga",
            "Tukang Cukur",
            "Tukang Listrik",
            "Tukang Batu",
            "Tukang Kayu",
            "Tukang Sol Sepatu",
            "Tukang Las/Pandai Besi",
            "Tukang Jahit",
            "Tukang Gigi",
            "Penata Rias",
            "Penata Busana",
            "Penata Rambut",
            "Mekanik",
            "Seniman",
            "Tabib",
            "Paraji",
            "Perancang Busana",
            "Penterjemah",
            "Imam Masjid",
            "Pendeta",
            "Pastor",
            "Wartawan",
            "Ustadz/Mubaligh",
            "Juru Masak",
            "Promotor Acara",
            "Anggota DPR-RI",
            "Anggota DPD",
            "Anggota BPK",
            "Presiden",
            "Wakil Presiden",
            "Anggota Mahkamah Konstitusi",
            "Anggota Kabinet/Kementerian",
            "Duta Besar",
            "Gubernur",
            "Wakil Gubernur",
            "Bupati",
            "Wakil Bupati",
            "Walikota",
            "Wakil Walikota",
            "Anggota DPRD Provinsi",
            "Anggota DPRD Kabupaten/Kota",
            "Dosen",
            "Guru",
            "Pilot",
            "Pengacara",
            "Notaris",
            "Arsitek",
            "Akuntan",
            "Konsultan",
            "Dokter",
            "Bidan",
            "Perawat",
            "Apoteker",
            "Psikiater/Psikolog",
            "Penyiar Televisi",
            "Penyiar Radio",
            "Pelaut",
            "Peneliti",
            "Sopir",
            "Pialang",
            "Paranormal",
            "Pedagang",
            "Perangkat Desa",
            "Kepala Desa",
            "Biarawati",
            "Wiraswasta",
            "Lainnya",
        ],
        start=1,
    )
)

MALE = {"l", "lk", "laki", "lakilaki", "pria", "1"}
FEMALE = {"p", "pr", "perempuan", "wanita", "2"}
YES = {"ya", "y", "iya", "1", "true", "benar", "x", "v", "kepalakeluarga", "kk"}
NO = {"tidak", "t", "n", "no", "bukan", "0", "false", "salah", "-"}
EMPTY = {"", "-", "--", "0", "null", "none", "n/a", "na"}
DATE_FORMATS = ("%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d")


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, empty, missing columns)."""


@dataclass
class RowError:
    row: int
    column: str
    message: str
    nik_masked: str = ""


@dataclass
class RowNote:
    row: int
    column: str
    message: str
    nik_masked: str = ""


@dataclass
class PlannedRow:
    row: int
    values: dict
    existing_id: int | None = None
    existing_name: str = ""

    @property
    def nik_masked(self) -> str:
        return mask_identity(self.values["nik"])


@dataclass
class ImportPlan:
    filename: str
    layout: str
    columns: dict[str, str]
    ignored: list[str]
    total_rows: int = 0
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[RowNote] = field(default_factory=list)
    new_areas: list[str] = field(default_factory=list)

    @property
    def new_count(self) -> int:
        return sum(1 for r in self.rows if r.existing_id is None)

    @property
    def update_count(self) -> int:
        return sum(1 for r in self.rows if r.existing_id is not None)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def updates(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.existing_id is not None]


# --- Reading the file ------------------------------------------------------------------------


def compact(header) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header or "").lower())


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    # Spreadsheet users type a leading apostrophe to keep long numbers as text.
    return str(value).strip().lstrip("'").strip()


def read_rows(data: bytes, filename: str) -> Iterator[list]:
    """Rows of raw cell values (first sheet of an XLSX), or ImportFileError."""
    name = (filename or "").lower()
    if not data or not data.strip():
        raise ImportFileError(
            "Berkas kosong. Pilih berkas CSV atau Excel (.xlsx) yang berisi data."
        )
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            "Berkas terlalu besar (lebih dari 5 MB). Bagi datanya menjadi beberapa berkas."
        )
    if data[:4] == b"\xd0\xcf\x11\xe0" or name.endswith(".xls"):
        raise ImportFileError(
            "Berkas Excel lama (.xls) belum bisa dibaca. Simpan ulang sebagai .xlsx atau CSV, "
            "lalu unggah lagi."
        )
    if data[:4] == b"PK\x03\x04":
        if not name.endswith((".xlsx", ".xlsm")):
            raise ImportFileError(
                "Jenis berkas tidak didukung. Unggah berkas CSV atau Excel (.xlsx)."
            )
        return _read_xlsx(data)
    if name.endswith((".csv", ".txt")):
        return _read_csv(data)
    raise ImportFileError("Jenis berkas tidak didukung. Unggah berkas CSV atau Excel (.xlsx).")


def _read_xlsx(data: bytes) -> Iterator[list]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportFileError(
            "Berkas Excel rusak atau tidak lengkap. Simpan ulang lalu unggah lagi."
        ) from None
    if inflated > MAX_XLSX_INFLATED:
        raise ImportFileError(
            "Isi berkas Excel terlalu besar. Bagi datanya menjadi beberapa berkas."
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(
            "Berkas Excel tidak bisa dibaca. Pastikan formatnya .xlsx, lalu unggah lagi."
        ) from None

    def rows():
        try:
            sheet = book.active or book.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield list(values)
        finally:
            book.close()

    return rows()


def _read_csv(data: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise ImportFileError("Huruf di berkas CSV tidak terbaca. Simpan ulang sebagai CSV UTF-8.")
    if "\x00" in text:
        raise ImportFileError("Jenis berkas tidak didukung. Unggah berkas CSV atau Excel (.xlsx).")
    head = text[:4096]
    # Excel in Indonesian settings writes ";" between columns.
    delimiter = max([",", ";", "\t", "|"], key=head.count)
    return iter(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _find_header(rows: Iterator[list]) -> tuple[int, list, dict[str, int], list[list]]:
    """The header row (1-based number), its cells, field → column index, and rows read past
    it that are already data."""
    lookup = {alias: fieldname for fieldname, names in ALIASES.items() for alias in names}
    seen: list[list] = []
    best = None
    for number, cells in enumerate(rows, 1):
        seen.append(cells)
        mapping: dict[str, int] = {}
        for index, cell in enumerate(cells):
            fieldname = lookup.get(compact(cell))
            if fieldname and fieldname not in mapping:
                mapping[fieldname] = index
        if ("name" in mapping or "nik" in mapping) and (
            best is None or len(mapping) > len(best[2])
        ):
            best = (number, cells, mapping)
        if len(seen) >= HEADER_SCAN_ROWS or (best and len(best[2]) >= 3):
            break
    if not any(any(_cell_text(c) for c in cells) for cells in seen):
        raise ImportFileError(
            "Berkas kosong. Pilih berkas CSV atau Excel (.xlsx) yang berisi data."
        )
    if best is None:
        raise ImportFileError(
            "Baris judul kolom tidak ditemukan. Baris pertama harus berisi nama kolom, "
            "misalnya: nama, nik, no_kk, tanggal_lahir. Unduh templat bila perlu."
        )
    number, cells, mapping = best
    missing = [FIELD_LABELS[f] for f in REQUIRED if f not in mapping]
    if missing:
        raise ImportFileError(
            "Kolom wajib tidak ada: "
            + ", ".join(missing)
            + ". Tambahkan kolom itu lalu unggah lagi."
        )
    return number, cells, mapping, seen[number:]


# --- Cleaning values -------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """A cell value fit for an error message: 16-digit numbers are masked."""
    return re.sub(r"\d{16}", lambda m: mask_identity(m.group()), value)[:60]


def mask_raw(value: str) -> str:
    digits = clean_digits(value)
    if len(digits) >= 12:
        return mask_identity(digits)
    return "*" * min(len(digits), 16)


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        result = value.date()
    elif isinstance(value, dt.date):
        result = value
    elif (isinstance(value, int | float) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 5
    ):
        # An Excel serial day number (a date cell without a date format, or copied to CSV).
        from openpyxl.utils.datetime import from_excel

        value = float(value)
        try:
            converted = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            raise ValidationError("Tanggal lahir tidak dikenali.") from None
        result = converted.date() if isinstance(converted, dt.datetime) else converted
    else:
        text = _cell_text(value)
        text = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2})?$", "", text)  # "1990-01-05 00:00:00"
        result = None
        for fmt in DATE_FORMATS:
            try:
                result = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        if result is None:
            raise ValidationError(
                f"Tanggal lahir “{safe_text(text)}” tidak dikenali. "
                "Tulis seperti 25-12-1990, 1990-12-25 atau 25/12/1990."
            )
    if not dt.date(1900, 1, 1) <= result <= dt.date.today():
        raise ValidationError("Tanggal lahir di luar rentang yang masuk akal.")
    return result


def parse_gender(text: str) -> str:
    key = compact(text)
    if key in MALE:
        return Resident.Gender.MALE
    if key in FEMALE:
        return Resident.Gender.FEMALE
    raise ValidationError(
        f"Jenis kelamin “{safe_text(text)}” tidak dikenali. Isi L atau P (OpenSID: 1 atau 2)."
    )


def parse_head(text: str, header: str) -> bool:
    key = compact(text)
    if compact(header) in {"kklevel", "shdk"} and key.isdigit():
        return int(key) == 1  # SHDK 1 = kepala keluarga
    if key in YES or "kepala" in key:
        return True
    if key in NO or not key.isdigit():
        # SHDK names (istri, anak, cucu …) are not the head of the family.
        return False
    raise ValidationError("Kepala keluarga: isi ya atau tidak.")


def area_name(text: str, kind: str) -> str:
    text = re.sub(r"\s+", " ", text.replace("_", " ")).strip()
    if kind == "dusun":
        text = re.sub(r"^dusun\s+", "", text, flags=re.IGNORECASE)
        return text.title() if text.isupper() else text
    text = re.sub(rf"^{kind}\s*", "", text, flags=re.IGNORECASE)
    return f"{int(text):03d}" if text.isdigit() else text


def area_key(name: str) -> str:
    key = name.strip().lower()
    return str(int(key)) if key.isdigit() else key


# --- Areas -----------------------------------------------------------------------------------


class AreaIndex:
    """The village's dusun → RW → RT tree, looked up by name; new nodes are remembered so a
    plan can list them and the import can create each once."""

    def __init__(self, village: Village):
        self.village = village
        self.nodes: dict[tuple, Area] = {}
        for area in Area.objects.filter(village=village):
            self.nodes[(area.parent_id, area.kind, area_key(area.name))] = area
        self.planned: dict[tuple, str] = {}

    def resolve(self, dusun: str, rw: str, rt: str, create: bool = False) -> Area | str | None:
        """The deepest area for these names: an Area, or (planning) a label of a new one."""
        parent: Area | str | None = None
        labels = []
        for kind, name in (("dusun", dusun), ("rw", rw), ("rt", rt)):
            if not name:
                continue
            labels.append("Dusun " + name if kind == "dusun" else f"{kind.upper()} {name}")
            parent_key = parent.pk if isinstance(parent, Area) else parent
            key = (parent_key, kind, area_key(name))
            node = self.nodes.get(key)
            if node is None and create:
                node = Area.objects.create(
                    village=self.village,
                    kind=kind,
                    name=name,
                    parent=parent if isinstance(parent, Area) else None,
                )
                self.nodes[key] = node
            if node is None:
                label = ", ".join(reversed(labels))
                self.planned.setdefault(key, label)
                node = label  # a placeholder standing for the new area
            parent = node
        return parent


# --- The plan --------------------------------------------------------------------------------


def plan_import(village: Village, data: bytes, filename: str) -> ImportPlan:
    rows = read_rows(data, filename)
    header_row, header_cells, mapping, pending = _find_header(rows)
    headers = [_cell_text(c) for c in header_cells]
    used = set(mapping.values())
    spelled = {re.sub(r"\s+", "_", headers[i].strip().lower()) for i in used}
    if spelled <= set(TEMPLATE_HEADERS):
        layout = "templat Balai"
    elif spelled & OPENSID_MARKERS:
        layout = "OpenSID"
    else:
        layout = "umum"
    plan = ImportPlan(
        filename=filename,
        layout=layout,
        columns={f: headers[i] for f, i in mapping.items()},
        ignored=[h for i, h in enumerate(headers) if h and i not in used],
    )

    existing = {
        nik_hash: (pk, name, phone)
        for pk, name, phone, nik_hash in Resident.objects.filter(village=village)
        .exclude(nik_hash="")
        .values_list("pk", "name", "phone", "nik_hash")
    }
    phones = dict(
        Resident.objects.filter(village=village).exclude(phone="").values_list("phone", "pk")
    )
    names_by_pk = {pk: name for pk, name, _ in existing.values()}
    areas = AreaIndex(village)
    seen_nik: dict[str, int] = {}
    seen_phone: dict[str, int] = {}

    def all_rows() -> Iterable[tuple[int, list]]:
        number = header_row
        for cells in pending:
            number += 1
            yield number, cells
        for cells in rows:
            number += 1
            yield number, cells

    for number, cells in all_rows():
        raw = {f: (cells[i] if i < len(cells) else None) for f, i in mapping.items()}
        if not any(_cell_text(v) for v in raw.values()):
            continue  # blank line
        plan.total_rows += 1
        if plan.total_rows > MAX_ROWS:
            raise ImportFileError(
                f"Berkas berisi lebih dari {MAX_ROWS:,} baris data".replace(",", ".")
                + ". Bagi menjadi beberapa berkas."
            )
        planned = _plan_row(plan, number, raw, areas)
        if planned is None:
            continue
        values = planned.values
        nik_hash = lookup_hash(values["nik"])
        if values["nik"] in seen_nik:
            plan.errors.append(
                RowError(
                    number,
                    plan.columns["nik"],
                    f"NIK sama dengan baris {seen_nik[values['nik']]}. "
                    "Setiap warga cukup satu baris.",
                    planned.nik_masked,
                )
            )
            continue
        seen_nik[values["nik"]] = number
        # Any key's hash: a register entry may still carry an old key's (see rotate_keys).
        match = existing.get(nik_hash) or next(
            (existing[h] for h in lookup_hashes(values["nik"])[1:] if h in existing), None
        )
        if match:
            planned.existing_id, planned.existing_name = match[0], match[1]
        phone = values.get("phone", "")
        if phone:
            owner = phones.get(phone)
            if phone in seen_phone:
                values["phone"] = ""
                plan.notes.append(
                    RowNote(
                        number,
                        plan.columns["phone"],
                        f"Nomor HP sama dengan baris {seen_phone[phone]}; hanya disimpan untuk "
                        "baris itu.",
                        planned.nik_masked,
                    )
                )
            elif owner is not None and owner != planned.existing_id:
                values["phone"] = ""
                plan.notes.append(
                    RowNote(
                        number,
                        plan.columns["phone"],
                        f"Nomor HP sudah dipakai {names_by_pk.get(owner, 'warga lain')} di "
                        "Balai, jadi tidak disimpan. Bila orangnya sama, gabungkan lewat "
                        "antrean verifikasi.",
                        planned.nik_masked,
                    )
                )
            elif match and match[2] and match[2] != phone:
                values["phone"] = ""
                plan.notes.append(
                    RowNote(
                        number,
                        plan.columns["phone"],
                        "Nomor HP berbeda dengan yang tersimpan; nomor yang tersimpan tetap "
                        "dipakai.",
                        planned.nik_masked,
                    )
                )
            else:
                seen_phone[phone] = number
        plan.rows.append(planned)

    if plan.total_rows == 0:
        raise ImportFileError("Berkas hanya berisi judul kolom, belum ada data warga.")
    plan.new_areas = sorted(set(areas.planned.values()))
    return plan


def _plan_row(plan: ImportPlan, number: int, raw: dict, areas: AreaIndex) -> PlannedRow | None:
    values: dict = {}
    errors: list[tuple[str, str]] = []
    nik_masked = mask_raw(_cell_text(raw.get("nik")))

    def fail(fieldname: str, message: str) -> None:
        errors.append((plan.columns.get(fieldname, FIELD_LABELS[fieldname]), message))

    name = re.sub(r"\s+", " ", _cell_text(raw.get("name")))
    if not name:
        fail("name", "Nama wajib diisi.")
    values["name"] = name

    for fieldname, validator, label in (("nik", validate_nik, "NIK"), ("kk", validate_kk, "KK")):
        text = _cell_text(raw.get(fieldname))
        if fieldname == "kk" and compact(text) in EMPTY:
            values["kk"] = ""
            continue
        if not text:
            fail(fieldname, "NIK wajib diisi.")
            continue
        if re.search(r"\d[.,]\d+e\+?\d+", text, re.IGNORECASE):
            fail(
                fieldname,
                f"{label} tertulis sebagai angka ilmiah (mis. 3,31E+15) sehingga angkanya "
                "hilang. Ubah format kolom menjadi Teks lalu isi ulang.",
            )
            continue
        try:
            values[fieldname] = validator(text)
        except ValidationError as error:
            fail(fieldname, error.messages[0])

    text = _cell_text(raw.get("gender"))
    if text and compact(text) not in EMPTY:
        try:
            values["gender"] = parse_gender(text)
        except ValidationError as error:
            fail("gender", error.messages[0])

    birth = raw.get("birth_date")
    if _cell_text(birth) and compact(_cell_text(birth)) not in EMPTY:
        try:
            values["birth_date"] = parse_date(birth)
        except ValidationError as error:
            fail("birth_date", error.messages[0])

    text = _cell_text(raw.get("head"))
    if text:
        try:
            values["is_head_of_family"] = parse_head(text, plan.columns.get("head", ""))
        except ValidationError as error:
            fail("head", error.messages[0])

    for fieldname in ("birth_place", "address", "occupation"):
        text = re.sub(r"\s+", " ", _cell_text(raw.get(fieldname)))
        if text and text != "-":
            values[fieldname] = text
    code = compact(_cell_text(raw.get("occupation_id")))
    if "occupation" not in values and code:
        if code.isdigit() and int(code) in OPENSID_OCCUPATIONS:
            values["occupation"] = OPENSID_OCCUPATIONS[int(code)]
        else:
            fail("occupation_id", "Kode pekerjaan OpenSID harus angka 1–89.")
    for fieldname, limit in MAX_LENGTHS.items():
        if len(values.get(fieldname, "")) > limit:
            fail(fieldname, f"Terlalu panjang (paling banyak {limit} huruf).")

    text = _cell_text(raw.get("phone"))
    if text and compact(text) not in EMPTY:
        try:
            values["phone"] = normalise_phone(text)
        except ValidationError as error:
            fail("phone", error.messages[0])

    names = {}
    for kind in ("dusun", "rw", "rt"):
        text = _cell_text(raw.get(kind))
        empty = compact(text) in EMPTY or (kind != "dusun" and not compact(text).strip("0"))
        names[kind] = "" if empty else area_name(text, kind)
        if len(names[kind]) > 100:
            fail(kind, "Terlalu panjang (paling banyak 100 huruf).")
    if any(names.values()) and not errors:
        values["area_names"] = (names["dusun"], names["rw"], names["rt"])
        areas.resolve(*values["area_names"])

    if errors:
        for column, message in errors:
            plan.errors.append(RowError(number, column, message, nik_masked))
        return None
    return PlannedRow(number, values)


def template_csv() -> str:
    """Balai's import template: the header line only (a sample row would get imported)."""
    out = io.StringIO()
    csv.writer(out).writerow(TEMPLATE_HEADERS)
    return out.getvalue()
