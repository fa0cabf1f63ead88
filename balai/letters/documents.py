"""Letter documents: templates with [placeholders], PDFs, signing, and verification.

A letter type's letter is HTML with OpenSID-like square-bracket placeholders (``[nama]``,
``[form_keperluan]``, ``[qr_code]`` …, listed in ``PLACEHOLDERS``). A village may store its
own (``LetterTemplate``); otherwise the default is put together from the files in
``templates/letters/pdf/``: ``base.html`` (letterhead, title, number, closing, signature and
QR) around the letter type's body (``<slug>.html``, or ``_umum.html`` for types without one),
with the shared snippets ``_pembuka.html`` and ``_identitas.html`` where a body says
``<!-- PEMBUKA -->`` / ``<!-- IDENTITAS -->``.

Values are HTML-escaped; only the blocks Balai builds itself (letterhead, logo, QR, the
answers table) are inserted as HTML. PDFs are made by WeasyPrint with a URL fetcher that
refuses everything but ``data:`` URIs, so a letter never reaches the network or the disk;
the village logo is read from storage and inlined.

The NIK is printed in full on the letter (an official document); nothing here logs it.
"""

import base64
import datetime as dt
import hashlib
import hmac
import logging
import mimetypes
import re
import secrets
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from balai.letters.models import (
    IssuedLetter,
    LetterRequest,
    LetterTemplate,
    LetterType,
    Paper,
    RequestState,
)
from balai.letters.numbering import format_number, take_number, village_code
from balai.villages.actions import do_audit
from balai.villages.models import Membership, Village
from balai.villages.roles import Role

# WeasyPrint logs seven INFO lines per PDF; its warnings (e.g. a refused URL) still show.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF_DIR = Path(__file__).parent / "templates" / "letters" / "pdf"
PAGE_SIZES = {Paper.A4: (210, 297), Paper.F4: (215, 330)}  # millimetres
MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
QR_CAPTION = "Pindai untuk memeriksa keaslian surat ini"

# Placeholder → what it prints (Indonesian, shown in the template editor). Each letter
# type's own fields add ``[form_<kunci>]`` (see ``placeholders_for``).
PLACEHOLDERS = {
    # The letter
    "judul_surat": "Judul surat dengan huruf besar, mis. SURAT KETERANGAN DOMISILI",
    "nama_surat": "Nama jenis surat, mis. Surat Keterangan Domisili",
    "nomor_surat": "Nomor surat, diberikan saat surat ditandatangani",
    "kode_klasifikasi": "Kode klasifikasi arsip jenis surat, mis. 470",
    "tanggal_surat": "Tanggal surat ditandatangani, mis. 5 Januari 2027",
    "berlaku_sampai": "Tanggal akhir masa berlaku surat",
    "masa_berlaku": "Lama masa berlaku, mis. 30 hari",
    "kode_tiket": "Nomor tiket permohonan, mis. PDK-2611-0042",
    "isian_surat": "Tabel semua isian yang dijawab warga untuk surat ini",
    # The person the letter is about
    "nama": "Nama lengkap warga",
    "nik": "NIK warga, lengkap (16 angka)",
    "ttl": "Tempat dan tanggal lahir, mis. Sukoharjo, 5 Januari 1990",
    "tempat_lahir": "Tempat lahir",
    "tanggal_lahir": "Tanggal lahir, mis. 5 Januari 1990",
    "usia": "Usia dalam tahun pada tanggal surat",
    "jenis_kelamin": "Laki-laki atau Perempuan",
    "pekerjaan": "Pekerjaan",
    "alamat": "Alamat warga (alamat, atau dusun/RT/RW, dan nama desa)",
    "wilayah": "Dusun/RW/RT warga",
    # The village
    "nama_desa": "Nama desa/kelurahan, mis. Pondok",
    "sebutan_desa": "Desa atau Kelurahan",
    "nama_kecamatan": "Nama kecamatan",
    "nama_kabupaten": "Nama kabupaten/kota",
    "nama_provinsi": "Nama provinsi",
    "alamat_desa": "Alamat kantor desa",
    "kode_pos": "Kode pos",
    "telepon_desa": "Telepon kantor desa",
    "email_desa": "Email kantor desa",
    "kode_desa": "Kode desa (bagian terakhir kode Kemendagri), mis. 2010",
    "kode_wilayah": "Kode wilayah Kemendagri lengkap, mis. 33.11.02.2010",
    "kop_surat": "Kop surat: logo, baris kop (Pengaturan desa), dan garis",
    "logo": "Logo desa saja (kosong bila belum diunggah)",
    # Signature and verification
    "jabatan_penandatangan": "Jabatan penandatangan, mis. Kepala Desa",
    "nama_penandatangan": "Nama lengkap penandatangan",
    "qr_code": "Kode QR untuk memeriksa keaslian surat",
    "url_verifikasi": "Alamat halaman pemeriksaan keaslian surat",
}
REQUIRED_PLACEHOLDERS = ("nomor_surat", "qr_code")

PLACEHOLDER = re.compile(r"\[([a-z][a-z0-9_]*)\]")
STYLE = re.compile(r"(<style\b.*?</style\s*>)", re.IGNORECASE | re.DOTALL)


# --- Dates and small formatting --------------------------------------------------------


def tanggal(day: dt.date | None) -> str:
    """5 Januari 2027 (Indonesian, whatever the active language)."""
    if day is None:
        return "-"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def mask_name(name: str) -> str:
    """Siti Aminah → Si*** Am****: two letters of each word, the rest hidden (at least three
    stars, so a short name's length does not show)."""
    words = []
    for word in name.split():
        keep = 1 if len(word) <= 2 else 2
        words.append(word[:keep] + "*" * max(3, len(word) - keep))
    return " ".join(words)


def _answer_text(spec: dict | None, value) -> str:
    if value is None or value == "":
        return "-"
    kind = (spec or {}).get("kind", "text")
    if kind == "date" and isinstance(value, str):
        try:
            return tanggal(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if kind == "amount" and isinstance(value, int | float):
        return "Rp" + f"{int(value):,}".replace(",", ".")
    return str(value)


# --- Default templates --------------------------------------------------------------------


@cache
def _read(name: str) -> str:
    return (PDF_DIR / name).read_text(encoding="utf-8")


def default_html(letter_type: LetterType) -> str:
    """The letter as Balai ships it for this type (the editor's "Kembalikan ke bawaan")."""
    slug = letter_type.slug
    body_file = f"{slug}.html"
    known = re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug) and (PDF_DIR / body_file).is_file()
    body = _read(body_file if known else "_umum.html")
    body = body.replace("<!-- PEMBUKA -->", _read("_pembuka.html").strip())
    body = body.replace("<!-- IDENTITAS -->", _read("_identitas.html").strip())
    return _read("base.html").replace("<!-- ISI SURAT -->", body.strip())


def template_for(letter_type: LetterType) -> tuple[str, str]:
    """(html, paper) the village uses for this letter type: its own, or the default."""
    stored = LetterTemplate.objects.filter(letter_type=letter_type).first()
    if stored:
        return stored.html, stored.paper
    return default_html(letter_type), Paper.A4


def placeholders_for(letter_type: LetterType) -> dict[str, str]:
    """Every placeholder this letter type's template may use, with its description."""
    names = dict(PLACEHOLDERS)
    for field in letter_type.fields:
        names[f"form_{field['key']}"] = f"Isian warga: {field.get('label', field['key'])}"
    return names


def _outside_styles(html: str):
    """The template split into (is_style, text) parts: placeholders live outside <style>,
    where CSS attribute selectors such as td[colspan] also use square brackets."""
    for i, part in enumerate(STYLE.split(html)):
        yield i % 2 == 1, part


def used_placeholders(html: str) -> list[str]:
    found = []
    for is_style, part in _outside_styles(html):
        if not is_style:
            found += [m.group(1) for m in PLACEHOLDER.finditer(part)]
    return list(dict.fromkeys(found))


def template_errors(letter_type: LetterType, html: str) -> list[str]:
    """What is wrong with a template staff wrote (Indonesian sentences); empty if usable."""
    errors = []
    known = placeholders_for(letter_type)
    used = used_placeholders(html)
    unknown = [name for name in used if name not in known]
    if unknown:
        errors.append(
            "Kode tidak dikenal: "
            + ", ".join(f"[{name}]" for name in unknown)
            + ". Pakai kode dari daftar di samping."
        )
    missing = [name for name in REQUIRED_PLACEHOLDERS if name not in used]
    if missing:
        errors.append(
            "Templat harus memuat "
            + " dan ".join(f"[{name}]" for name in missing)
            + ": tanpa itu surat tidak bernomor atau tidak bisa diperiksa keasliannya."
        )
    return errors


# --- Context --------------------------------------------------------------------------------


def logo_data_uri(village: Village) -> str:
    if not village.logo:
        return ""
    content_type = mimetypes.guess_type(village.logo.name)[0]
    if content_type not in LOGO_TYPES:
        return ""
    try:
        if village.logo.size > MAX_LOGO_BYTES:
            return ""
        with village.logo.open("rb") as f:
            data = f.read()
    except OSError:
        return ""  # a missing file: the letter goes out without the logo
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def letterhead_html(village: Village):
    """Kop surat: the logo (if any) beside the letterhead lines, then a double rule. Without
    letterhead lines: Pemerintah Kabupaten …, Kecamatan …, Desa …, and the office address."""
    lines = village.letterhead_lines()
    if lines:
        heading, address = lines, []
        last = lines[-1]
        if len(lines) > 1 and (last != last.upper() or any(ch.isdigit() for ch in last)):
            heading, address = lines[:-1], lines[-1:]
    else:
        heading = [
            f"PEMERINTAH KABUPATEN {village.kabupaten.upper()}",
            f"KECAMATAN {village.kecamatan.upper()}",
            f"{village.get_kind_display().upper()} {village.name.upper()}",
        ]
        contact = ", ".join(
            part
            for part in [
                village.address,
                village.postal_code and f"Kode Pos {village.postal_code}",
                village.phone and f"Telp. {village.phone}",
                village.email,
            ]
            if part
        )
        address = [contact] if contact else []
    classes = ["b1", "b2"] + ["b3"] * len(heading)
    rows = format_html_join(
        "\n", '<p class="{}">{}</p>', ((classes[i], line) for i, line in enumerate(heading))
    ) + format_html_join("\n", '<p class="alamat">{}</p>', ((line,) for line in address))
    logo = logo_data_uri(village)
    logo_cell = format_html('<td class="logo"><img src="{}" alt="Logo"></td>', logo) if logo else ""
    return format_html(
        '<table class="kop"><tr>{}<td class="baris">{}</td>{}</tr></table><hr class="garis-kop">',
        logo_cell,
        rows,
        mark_safe('<td class="logo"></td>') if logo else "",  # keeps the lines centred
    )


def verify_url(token: str) -> str:
    """The public page that checks a letter (the QR code on the letter points here)."""
    return f"{settings.SITE_URL}/v/{token}"


def qr_data_uri(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def qr_html(url: str):
    return format_html('<img class="qr-code" src="{}" alt="{}">', qr_data_uri(url), QR_CAPTION)


def answers_table(letter_type: LetterType, answers: dict):
    specs = {f["key"]: f for f in letter_type.fields}
    rows = [
        (specs.get(key, {}).get("label", key), _answer_text(specs.get(key), value))
        for key, value in answers.items()
        if not key.startswith("_")
    ]
    if not rows:
        return ""
    return format_html(
        '<table class="data">{}</table>',
        format_html_join(
            "",
            '<tr><td class="label">{}</td><td class="sep">:</td><td>{}</td></tr>',
            rows,
        ),
    )


def signer_title(signer, village: Village) -> str:
    membership = (
        Membership.objects.filter(user=signer, village=village, is_active=True).first()
        if signer is not None
        else None
    )
    title = membership.title.strip() if membership else ""
    if not title:
        if village.kind == Village.Kind.KELURAHAN:
            title = "Lurah"
        elif membership is None or membership.role == Role.KADES:
            title = "Kepala Desa"
        else:
            title = membership.get_role_display()
    # The templates say "[jabatan_penandatangan] [nama_desa]": "Kepala Desa Pondok", not
    # "Kepala Desa Pondok Pondok" when the title already names the village.
    return title.removesuffix(f" {village.name}").strip()


def signer_name(signer) -> str:
    return (signer.get_full_name() or signer.get_username()).strip()


def _age(birth: dt.date | None, on: dt.date) -> str:
    if birth is None:
        return "-"
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return f"{years} tahun"


def build_context(
    *,
    letter_type: LetterType,
    person: dict,
    answers: dict,
    number: str,
    issued_on: dt.date,
    signer_title_text: str,
    signer_name_text: str,
    token: str,
    ticket: str = "",
) -> dict:
    """Placeholder → value for one letter. ``person`` has name, nik, birth_place, birth_date,
    gender (label), occupation, address, area (label)."""
    village = letter_type.village
    valid_until = issued_on + dt.timedelta(days=letter_type.validity_days)
    birth_date = person.get("birth_date")
    ttl = ", ".join(p for p in [person.get("birth_place"), birth_date and tanggal(birth_date)] if p)
    address_parts = [person.get("address") or person.get("area") or ""]
    if str(village) not in address_parts[0]:
        address_parts.append(str(village))
    url = verify_url(token)
    logo = logo_data_uri(village)
    context = {
        "judul_surat": letter_type.name.upper(),
        "nama_surat": letter_type.name,
        "nomor_surat": number,
        "kode_klasifikasi": letter_type.classification_code,
        "tanggal_surat": tanggal(issued_on),
        "berlaku_sampai": tanggal(valid_until),
        "masa_berlaku": f"{letter_type.validity_days} hari",
        "kode_tiket": ticket or "-",
        "isian_surat": answers_table(letter_type, answers),
        "nama": person.get("name") or "-",
        "nik": person.get("nik") or "-",
        "ttl": ttl or "-",
        "tempat_lahir": person.get("birth_place") or "-",
        "tanggal_lahir": tanggal(birth_date),
        "usia": _age(birth_date, issued_on),
        "jenis_kelamin": person.get("gender") or "-",
        "pekerjaan": person.get("occupation") or "-",
        "alamat": ", ".join(p for p in address_parts if p),
        "wilayah": person.get("area") or "-",
        "nama_desa": village.name,
        "sebutan_desa": village.get_kind_display(),
        "nama_kecamatan": village.kecamatan,
        "nama_kabupaten": village.kabupaten,
        "nama_provinsi": village.provinsi,
        "alamat_desa": village.address or "-",
        "kode_pos": village.postal_code or "-",
        "telepon_desa": village.phone or "-",
        "email_desa": village.email or "-",
        "kode_desa": village_code(village),
        "kode_wilayah": village.official_code,
        "kop_surat": letterhead_html(village),
        "logo": format_html('<img class="logo" src="{}" alt="Logo">', logo) if logo else "",
        "jabatan_penandatangan": signer_title_text,
        "nama_penandatangan": signer_name_text,
        "qr_code": qr_html(url),
        "url_verifikasi": url,
    }
    specs = {f["key"]: f for f in letter_type.fields}
    for key, spec in specs.items():
        context[f"form_{key}"] = _answer_text(spec, answers.get(key))
    for key, value in answers.items():
        if not key.startswith("_") and key not in specs:
            context[f"form_{key}"] = _answer_text(None, value)
    return context


def request_person(request: LetterRequest) -> dict:
    resident = request.resident
    return {
        "name": resident.name,
        "nik": resident.nik,
        "birth_place": resident.birth_place,
        "birth_date": resident.birth_date,
        "gender": resident.get_gender_display() if resident.gender else "",
        "occupation": resident.occupation,
        "address": resident.address,
        "area": resident.area.label if resident.area else "",
    }


SAMPLE_PERSON = {
    "name": "Budi Santoso (contoh)",
    "nik": "1234567890123456",
    "birth_place": "Contoh",
    "birth_date": dt.date(1985, 8, 17),
    "gender": "Laki-laki",
    "occupation": "Wiraswasta",
    "address": "Dusun Contoh RT 001/RW 001",
    "area": "Dusun Contoh",
}


def sample_answers(letter_type: LetterType) -> dict:
    """An answer for every field of the type, from the field's example or first choice."""
    answers = {}
    for field in letter_type.fields:
        kind = field.get("kind", "text")
        if field.get("choices"):
            value = field["choices"][0]
        elif kind == "date":
            value = dt.date(2026, 8, 17).isoformat()
        elif kind == "amount":
            value = 1_500_000
        elif kind == "number":
            value = 2
        else:
            value = field.get("example") or field.get("label", field["key"])
        answers[field["key"]] = value
    return answers


# --- Rendering --------------------------------------------------------------------------------


def fill(html: str, context: dict) -> str:
    """Replace [placeholders] outside <style> with their HTML-escaped values; the blocks
    Balai builds (kop surat, logo, QR, answers table) are safe strings and go in as HTML.
    An unknown placeholder is left as written, so a mistake shows on the letter."""

    def value(match):
        name = match.group(1)
        if name not in context:
            if name.startswith("form_"):
                return "-"  # a field removed after the template was written
            return match.group(0)
        return str(conditional_escape(context[name]))

    return "".join(
        part if is_style else PLACEHOLDER.sub(value, part)
        for is_style, part in _outside_styles(html)
    )


def render_html(letter_type: LetterType, context: dict, html: str | None = None) -> str:
    """The letter's HTML: the village's template (or ``html``) with ``context`` filled in."""
    if html is None:
        html, _paper = template_for(letter_type)
    return fill(html, context)


PREVIEW_MARK = (
    '<div style="position: fixed; top: 110mm; left: 0; right: 0; text-align: center; '
    "font: bold 64pt 'DejaVu Sans', sans-serif; color: rgba(200, 0, 0, 0.18); "
    'transform: rotate(-30deg);">CONTOH</div>'
)


def preview_html(letter_type: LetterType, html: str | None = None) -> str:
    """The template (stored, default, or the draft ``html``) filled with made-up data: no
    real person, a number the letter would get next, and a "CONTOH" mark on every page."""
    village = letter_type.village
    now = village.local_now()
    try:
        number = format_number(
            letter_type.number_format,
            sequence=1,
            letter_type=letter_type,
            village=village,
            at=now.date(),
        )
    except ValueError:
        number = "(format nomor surat salah)"
    context = build_context(
        letter_type=letter_type,
        person=SAMPLE_PERSON,
        answers=sample_answers(letter_type),
        number=number,
        issued_on=now.date(),
        signer_title_text="Kepala Desa" if village.kind == Village.Kind.DESA else "Lurah",
        signer_name_text="Nama Penandatangan",
        token="CONTOH-PRATINJAU",
        ticket="CONTOH",
    )
    filled = render_html(letter_type, context, html)
    if re.search(r"</body\s*>", filled, re.IGNORECASE):
        return re.sub(
            r"</body\s*>", lambda _m: PREVIEW_MARK + "</body>", filled, count=1, flags=re.I
        )
    return filled + PREVIEW_MARK


def _fetcher():
    from weasyprint.urls import URLFetcher

    class LetterFetcher(URLFetcher):
        """data: URIs only: a letter never fetches from the network or reads local files."""

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                raise ValueError("Surat hanya boleh memuat gambar yang disisipkan (data:).")
            return super().fetch(url, headers)

    return LetterFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def page_css(paper: str) -> str:
    width, height = PAGE_SIZES.get(paper, PAGE_SIZES[Paper.A4])
    return f"@page {{ size: {width}mm {height}mm !important; }}"


def render_document(html: str, paper: str = Paper.A4):
    """The laid-out WeasyPrint document (pages with their sizes and boxes)."""
    from weasyprint import CSS, HTML

    fetcher = _fetcher()
    return HTML(string=html, url_fetcher=fetcher, base_url=None).render(
        stylesheets=[CSS(string=page_css(paper), url_fetcher=fetcher)]
    )


def render_pdf(html: str, paper: str = Paper.A4) -> bytes:
    """PDF bytes of ``html`` on A4 or F4 (215 × 330 mm) paper."""
    return render_document(html, paper).write_pdf()


# --- Issuing, verification ----------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 URL-safe characters


def do_issue_letter(request: LetterRequest, *, signer) -> IssuedLetter:
    """Sign ``request``'s letter: take its number, render the PDF with its QR code, store the
    file and its SHA-256. One transaction, so a failure gives the number back. Idempotent: a
    request that already has a letter gets that letter back."""
    with transaction.atomic():
        request = (
            LetterRequest.objects.select_for_update(of=("self",))
            .select_related("letter_type__village", "village", "resident__area")
            .get(pk=request.pk)
        )
        existing = IssuedLetter.objects.filter(request=request).first()
        if existing is not None:
            return existing
        if request.state in (RequestState.REJECTED, RequestState.CANCELLED):
            raise ValueError(f"{request.code} sudah {request.get_state_display().lower()}.")
        letter_type, village = request.letter_type, request.village
        now = timezone.now()
        issued_on = now.astimezone(village.tz).date()
        sequence, number = take_number(request, now)
        token = new_token()
        while IssuedLetter.objects.filter(verify_token=token).exists():
            token = new_token()
        title, name = signer_title(signer, village), signer_name(signer)
        context = build_context(
            letter_type=letter_type,
            person=request_person(request),
            answers=request.answers,
            number=number,
            issued_on=issued_on,
            signer_title_text=title,
            signer_name_text=name,
            token=token,
            ticket=request.code,
        )
        html, paper = template_for(letter_type)
        pdf = render_pdf(render_html(letter_type, context, html), paper)
        letter = IssuedLetter(
            request=request,
            village=village,
            number=number,
            sequence=sequence,
            issued_at=now,
            valid_until=issued_on + dt.timedelta(days=letter_type.validity_days),
            signer=signer,
            signer_name=name,
            signer_title=title,
            sha256=hashlib.sha256(pdf).hexdigest(),
            verify_token=token,
        )
        # Named by the ticket code, never by anything personal.
        letter.pdf.save(f"{request.code}.pdf", ContentFile(pdf), save=False)
        try:
            letter.save()
        except Exception:
            letter.pdf.delete(save=False)
            raise
    return letter


def verification(token: str) -> dict | None:
    """What the public verification page shows for a QR token, or None: the letter's number,
    type, village, dates, the person's name partly hidden, the signer, and the PDF's SHA-256.
    No NIK, address or answers."""
    if not token or len(token) > 40:
        return None
    letter = (
        IssuedLetter.objects.select_related("request__letter_type", "request__resident", "village")
        .filter(verify_token=token)
        .first()
    )
    if letter is None:
        return None
    village = letter.village
    today = village.local_now().date()
    return {
        "number": letter.number,
        "letter_type": letter.request.letter_type.name,
        "village": village,
        "issued_on": letter.issued_at.astimezone(village.tz).date(),
        "valid_until": letter.valid_until,
        "is_valid": letter.valid_until is None or today <= letter.valid_until,
        "name": mask_name(letter.request.resident.name),
        "signer_name": letter.signer_name,
        "signer_title": letter.signer_title,
        "sha256": letter.sha256,
    }


def matches(token: str, pdf_bytes: bytes) -> bool:
    """Whether ``pdf_bytes`` is exactly the letter issued under ``token``."""
    return matches_hash(token, hashlib.sha256(pdf_bytes).hexdigest())


def matches_hash(token: str, sha256: str) -> bool:
    """Whether ``sha256`` (hex, any case, spaces ignored) is the issued letter's SHA-256."""
    sha256 = "".join(sha256.split()).lower()
    letter = IssuedLetter.objects.filter(verify_token=token).only("sha256").first()
    # Only hex reaches compare_digest, which refuses str with non-ASCII characters.
    if letter is None or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        return False
    return hmac.compare_digest(sha256, letter.sha256)


# --- Template edits (console) -------------------------------------------------------------


@transaction.atomic
def do_save_template(letter_type: LetterType, *, html: str, paper: str, actor) -> LetterTemplate:
    template, created = LetterTemplate.objects.update_or_create(
        letter_type=letter_type, defaults={"html": html, "paper": paper, "updated_by": actor}
    )
    do_audit(
        actor,
        letter_type.village,
        "letter_template.create" if created else "letter_template.update",
        letter_type,
        slug=letter_type.slug,
        paper=paper,
        sha256=hashlib.sha256(html.encode()).hexdigest(),
    )
    return template


@transaction.atomic
def do_reset_template(letter_type: LetterType, *, actor) -> bool:
    """Go back to Balai's default letter; False if the village had not changed it."""
    deleted, _ = LetterTemplate.objects.filter(letter_type=letter_type).delete()
    if deleted:
        do_audit(
            actor, letter_type.village, "letter_template.reset", letter_type, slug=letter_type.slug
        )
    return bool(deleted)
