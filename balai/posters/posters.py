"""Printable QR posters: one per active letter type, one for the village's menu, one for
complaints. Each is an A4 PDF (WeasyPrint) and a PNG of that PDF (pdfium), with a large QR
code that opens the village's WhatsApp with the deep-link text already typed.

Links come only from ``balai.public.links``, so a poster's QR always carries the text the
conversation engine understands. Without a WhatsApp number there is nothing to link to, and
no poster is made.
"""

import hashlib
import io
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string

from balai.complaints.models import Category
from balai.letters.catalogue import DEFAULT_REQUIREMENTS
from balai.letters.documents import logo_data_uri, render_document
from balai.letters.models import LetterType, Paper
from balai.posters.models import PosterStyle
from balai.public.links import MENU_TEXT, short_url, wa_link, whatsapp_digits
from balai.villages.actions import do_audit
from balai.villages.models import WEEKDAYS, Village

MENU_KEY = "utama"
COMPLAINT_KEY = "aduan"
COMPLAINT_TEXT = "ADUAN"
RESERVED_KEYS = {MENU_KEY, COMPLAINT_KEY}
PNG_DPI = 150
THUMB_DPI = 30
# A poster is read from a metre away: a long list would shrink the text, so show the first
# few and send people to WhatsApp for the rest.
MAX_ITEMS = 7
MAX_MENU_ITEMS = 14
MAX_NOTE = 160
DENSITIES = 3  # normal, smaller, smallest (see _fit)
# Bump when the poster template changes, so cached files from the old layout are not served.
LAYOUT_VERSION = 2

DAY_NAMES = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
SCAN_STEP = ("Pindai kode QR", "Arahkan kamera HP ke kode QR, lalu tekan Kirim di WhatsApp.")


@dataclass
class Poster:
    key: str  # "utama", "aduan", or the letter type's slug
    kind: str  # "menu", "letter" or "complaint"
    kicker: str  # the small line above the title
    title: str
    summary: str
    items_heading: str
    badge: str  # a word beside the heading, e.g. "Semua gratis"
    items: list[tuple[str, str]]  # (what, detail), e.g. ("Foto KTP", "")
    more: int  # items left off the list
    facts: list[tuple[str, str]]
    steps: list[tuple[str, str]]
    text: str  # what WhatsApp has typed when the QR opens it
    link: str
    short: str
    stem: str  # file name without extension: poster-pondok-sktm
    note: str = ""

    @property
    def filename_pdf(self) -> str:
        return f"{self.stem}.pdf"

    @property
    def filename_png(self) -> str:
        return f"{self.stem}.png"


def _stem(village: Village, key: str) -> str:
    return f"poster-{village.slug}-{key.replace('_', '-')}"


# --- What each poster says ------------------------------------------------------------------


def duration(days: int) -> str:
    return "Hari itu juga" if days <= 0 else f"± {days} hari kerja"


def rupiah(amount: int) -> str:
    return "Gratis" if not amount else "Rp" + f"{amount:,}".replace(",", ".")


def office_hours(village: Village) -> list[str]:
    """["Senin–Kamis 08.00–15.00", "Jumat 08.00–11.00"]: days with the same hours run
    together, closed days are left out."""
    groups: list[list] = []  # [first day, last day, hours]
    for i, day in enumerate(WEEKDAYS):
        spans = village.office_hours.get(day) or []
        hours = ", ".join(f"{a.replace(':', '.')}–{b.replace(':', '.')}" for a, b in spans)
        if hours and groups and groups[-1][2] == hours and groups[-1][1] == i - 1:
            groups[-1][1] = i
        elif hours:
            groups.append([i, i, hours])
    parts = []
    for first, last, hours in groups:
        days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}–{DAY_NAMES[last]}"
        parts.append(f"{days} {hours}")
    return parts


def whatsapp_display(village: Village) -> str:
    """+62 812-3456-7890: the number people can save and message if they cannot scan."""
    import phonenumbers

    digits = whatsapp_digits(village)
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return "+" + digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _shorten(items: list, limit: int) -> tuple[list[tuple[str, str]], int]:
    """At most ``limit`` rows (the last becomes "dan N lainnya"); plain strings become
    (text, "") rows."""
    rows = [item if isinstance(item, tuple) else (item, "") for item in items]
    if len(rows) <= limit:
        return rows, 0
    return rows[: limit - 1], len(rows) - (limit - 1)


def _delivery_step(village: Village) -> tuple[str, str]:
    if village.deliver_on_whatsapp:
        return ("Surat dikirim ke WhatsApp", "Surat jadi (PDF) kami kirim ke WhatsApp Anda.")
    return ("Ambil di kantor desa", "Kami kabari lewat WhatsApp saat surat siap diambil.")


def letter_poster(village: Village, letter_type: LetterType) -> Poster:
    items = letter_type.requirement_lines()
    if letter_type.head_of_family_only:
        items.append("Diajukan oleh kepala keluarga")
    # The catalogue's default note only repeats the steps; a village's own note is kept.
    note = letter_type.requirements.strip()
    if note == DEFAULT_REQUIREMENTS:
        note = ""
    if not items and note:
        items, note = [line.strip("•-* ") for line in note.splitlines() if line.strip()], ""
    if len(note) > MAX_NOTE:
        note = note[: MAX_NOTE - 1].rstrip() + "…"
    items, more = _shorten(items, MAX_ITEMS)
    return Poster(
        key=letter_type.slug,
        stem=_stem(village, letter_type.slug),
        kind="letter",
        kicker="Layanan surat lewat WhatsApp",
        title=letter_type.name,
        summary=letter_type.summary,
        items_heading="Yang perlu disiapkan",
        badge="",
        items=items,
        more=more,
        note=note,
        facts=[("Lama proses", duration(letter_type.days)), ("Biaya", rupiah(letter_type.cost))],
        steps=[
            SCAN_STEP,
            ("Jawab dan kirim foto", "Jawab beberapa pertanyaan, lalu kirim foto dokumennya."),
            _delivery_step(village),
        ],
        text=letter_type.deep_link_text,
        link=wa_link(village, letter_type.deep_link_text),
        short=short_url(village, letter_type.keyword),
    )


def menu_poster(village: Village, letter_types: list[LetterType]) -> Poster:
    items = [
        (lt.name, f"± {lt.days} hari" + (f", {rupiah(lt.cost)}" if lt.cost else ""))
        for lt in letter_types
    ]
    items, more = _shorten(items, MAX_MENU_ITEMS)
    return Poster(
        key=MENU_KEY,
        stem=_stem(village, MENU_KEY),
        kind="menu",
        kicker="Layanan desa lewat WhatsApp",
        title="Urus surat dari rumah",
        summary="Ajukan surat, sampaikan aduan, dan cek status permohonan. Cukup kirim pesan "
        "WhatsApp, kapan saja.",
        items_heading="Surat yang bisa diajukan",
        badge="Semua gratis" if letter_types and not any(lt.cost for lt in letter_types) else "",
        items=items,
        more=more,
        facts=[],
        steps=[
            SCAN_STEP,
            ("Pilih layanan", "Menu layanan desa muncul. Pilih yang Anda perlukan."),
            ("Pantau lewat WhatsApp", "Cek status permohonan atau aduan Anda kapan saja."),
        ],
        text=MENU_TEXT,
        link=wa_link(village, MENU_TEXT),
        short=short_url(village),
    )


def complaint_poster(village: Village) -> Poster:
    categories = list(
        Category.objects.filter(village=village, is_active=True)
        .order_by("position", "pk")
        .values_list("name", flat=True)
    )
    items, more = _shorten(categories, MAX_ITEMS + 1)  # short names: room for one more
    return Poster(
        key=COMPLAINT_KEY,
        stem=_stem(village, COMPLAINT_KEY),
        kind="complaint",
        kicker="Pengaduan dan aspirasi warga",
        title="Ada masalah di lingkungan Anda?",
        summary="Jalan rusak, lampu jalan mati, atau punya usulan untuk desa? "
        "Sampaikan lewat WhatsApp.",
        items_heading="Yang bisa disampaikan, misalnya",
        badge="",
        items=items,
        more=more,
        facts=[("Bisa dikirim", "Kapan saja"), ("Biaya", "Gratis")],
        steps=[
            SCAN_STEP,
            ("Ceritakan masalahnya", "Kirim penjelasan singkat, foto, dan lokasinya."),
            ("Pantau tindak lanjutnya", "Anda mendapat nomor tiket dan kabar lewat WhatsApp."),
        ],
        text=COMPLAINT_TEXT,
        link=wa_link(village, COMPLAINT_TEXT),
        short=short_url(village, COMPLAINT_KEY),
    )


def can_make_posters(village: Village) -> bool:
    """Posters need the village's WhatsApp number: the QR has nothing to open without it."""
    return bool(wa_link(village))


def posters_for(village: Village) -> list[Poster]:
    """Every poster of the village, in print order: the menu, each active letter type, then
    complaints. Empty when the village has no WhatsApp number yet."""
    if not can_make_posters(village):
        return []
    letter_types = list(LetterType.objects.filter(village=village).active())
    return [
        menu_poster(village, letter_types),
        *(letter_poster(village, lt) for lt in letter_types),
        complaint_poster(village),
    ]


def poster_for(village: Village, key: str) -> Poster | None:
    """One poster by its key, or None (unknown key, inactive letter type, no number)."""
    if not can_make_posters(village):
        return None
    if key == MENU_KEY:
        return menu_poster(village, list(LetterType.objects.filter(village=village).active()))
    if key == COMPLAINT_KEY:
        return complaint_poster(village)
    letter_type = LetterType.objects.filter(village=village, slug=key).active().first()
    return letter_poster(village, letter_type) if letter_type else None


# --- Colours --------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


INK = "#1d2521"


def ink_on(colour: str) -> str:
    """White or dark text, whichever contrasts more with ``colour``: staff pick any colour
    and the words on it must stay readable."""
    lum = _luminance(colour)
    on_white = 1.05 / (lum + 0.05)
    on_ink = (lum + 0.05) / (_luminance(INK) + 0.05)
    return "#ffffff" if on_white >= on_ink else INK


def tint(colour: str, share: float) -> str:
    """``colour`` mixed with white (``share`` of the colour kept): light panels that print
    well in any theme."""
    return "#" + "".join(f"{round(255 - (255 - c) * share):02x}" for c in _rgb(colour))


def readable(colour: str) -> str:
    """``colour`` as text on white: itself if dark enough, else the ink colour."""
    return colour if ink_on(colour) == "#ffffff" else INK


# --- Rendering ------------------------------------------------------------------------------


def qr_svg_uri(link: str) -> str:
    import segno

    # Level Q survives a poster that gets wet, torn or faded on a notice board; four modules
    # of quiet zone is what scanners need.
    return segno.make(link, error="q").svg_data_uri(border=4, dark="#000", light="#fff")


def poster_html(village: Village, poster: Poster, style: PosterStyle, density: int = 0) -> str:
    """The poster as HTML for WeasyPrint; ``density`` 1 and 2 set smaller type and QR for
    posters whose text does not fit at the normal size (see ``_fit``)."""
    primary, accent = style.primary.lower(), style.accent.lower()
    return render_to_string(
        "posters/poster.html",
        {
            "density": density,
            "village": village,
            "poster": poster,
            "style": style,
            "colours": {
                "primary": primary,
                "on_primary": ink_on(primary),
                "accent": accent,
                "on_accent": ink_on(accent),
                "primary_text": readable(primary),
                "panel": tint(primary, 0.10),
                "line": tint(primary, 0.35),
            },
            "logo": logo_data_uri(village),
            "qr": qr_svg_uri(poster.link),
            "short": poster.short.split("://", 1)[-1],
            "number": whatsapp_display(village),
            "hours": office_hours(village),
            "place": ", ".join(
                part
                for part in [
                    village.kecamatan and f"Kecamatan {village.kecamatan}",
                    village.kabupaten and f"Kabupaten {village.kabupaten}",
                ]
                if part
            ),
        },
    )


class _Cache:
    """Rendered files by the SHA-256 of their HTML, in this process, up to ``limit`` bytes.

    A PDF takes about half a second; the zip, the PNG and the console's thumbnails all start
    from the same PDF, and the HTML changes whenever anything printed on it does (style,
    letter type, number, logo), so its hash is a safe key. Kept out of Django's cache: the
    shared database cache culls by count and would push out login throttling entries.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        with self.lock:
            if key in self.items or len(value) > self.limit:
                return
            self.items[key] = value
            self.size += len(value)
            while self.size > self.limit:
                _, old = self.items.popitem(last=False)
                self.size -= len(old)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


_cache = _Cache(limit=32 * 1024 * 1024)


def digest(html: str) -> str:
    """What a rendered file depends on, in 32 hex digits (cache key, ETag)."""
    return hashlib.sha256(f"{LAYOUT_VERSION}:{html}".encode()).hexdigest()[:32]


def _cached(kind: str, html: str, make) -> bytes:
    key = f"{kind}:{digest(html)}"
    value = _cache.get(key)
    if value is None:
        value = make()
        _cache.put(key, value)
    return value


def pdf_to_png(pdf: bytes, dpi: int = PNG_DPI) -> bytes:
    """The PDF's first page as a PNG at ``dpi``."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    # Pillow's default compression: optimize=True takes five times as long for 3% less.
    image.save(out, "PNG")
    return out.getvalue()


def _fit(village: Village, poster: Poster, style: PosterStyle) -> bytes:
    """The poster's PDF on one page: staff write names, summaries and notes of any length,
    so a poster that runs over is laid out again with smaller type (and, last, a smaller
    QR that still scans from a metre away)."""
    for density in range(DENSITIES):
        document = render_document(poster_html(village, poster, style, density), Paper.A4)
        if len(document.pages) == 1:
            break
    return document.write_pdf()


def render_pdf(village: Village, poster: Poster, style: PosterStyle) -> bytes:
    html = poster_html(village, poster, style)
    return _cached("pdf", html, lambda: _fit(village, poster, style))


def render_png(village: Village, poster: Poster, style: PosterStyle, dpi: int = PNG_DPI) -> bytes:
    html = poster_html(village, poster, style)
    return _cached(f"png{dpi}", html, lambda: pdf_to_png(render_pdf(village, poster, style), dpi))


def zip_posters(village: Village) -> bytes:
    """Every poster's PDF and PNG in one zip (stored, not deflated: both are compressed)."""
    style = PosterStyle.for_village(village)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for poster in posters_for(village):
            archive.writestr(poster.filename_pdf, render_pdf(village, poster, style))
            archive.writestr(poster.filename_png, render_png(village, poster, style))
    return out.getvalue()


# --- Writes ---------------------------------------------------------------------------------


@transaction.atomic
def do_update_poster_style(village: Village, changes: dict, actor) -> PosterStyle:
    """Save the village's poster style (creating it on first save) and audit what changed."""
    style, _ = PosterStyle.objects.select_for_update().get_or_create(village=village)
    fields = sorted(name for name, value in changes.items() if getattr(style, name) != value)
    if not fields:
        return style
    for name in fields:
        setattr(style, name, changes[name])
    style.save(update_fields=[*fields, "updated"])
    do_audit(actor, village, "poster.style", style, fields=fields)
    return style
