"""Ready-to-post social media content for a product: images and an Indonesian caption.

``do_generate_posts(product)`` draws the product at 1080×1080 (square, what Facebook and
Instagram show best in the feed) and 1080×1350 (portrait 4:5, the tallest Instagram accepts)
in one of a few styles, and stores them as ``Post`` rows with their caption.
``do_send_posts_to_seller(product, posts)`` sends them to the seller on WhatsApp, each image
with the caption ready to forward, then the caption alone for copying.

Meta's limits the images respect (checked in ``encode_jpeg`` and the tests):

- Instagram, ``POST /<IG_ID>/media`` with ``image_url``: JPEG only, at most 8 MB, aspect
  ratio between 4:5 and 1.91:1 (developers.facebook.com/docs/instagram-platform/
  instagram-graph-api/reference/ig-user/media, "Image specifications"; the error codes page
  answers 36000/2207004 "It should be less than 8 MiB").
- Facebook Page photos (``POST /<PAGE_ID>/photos``): 4 MB per photo, the figure Meta's Page
  Photos reference gives for uploads (developers.facebook.com/docs/graph-api/reference/page/
  photos). Third-party publishing tools quote 10 MB; the stricter figure is the one kept.
- WhatsApp images: 5 MB (reference/whatsapp.md §2.8).

So every image is a baseline-compatible JPEG under ``MAX_JPEG_BYTES`` (4 MB, the smallest of
the three); in practice they weigh 100–400 KB.

Text is laid out before it is drawn: every piece of text gets a box, is wrapped to the box's
width, shrunk down to a floor size, and cut with "…" if it still does not fit, and the ink
bounding box of every drawn line is recorded in the ``Layout`` so that tests (and anyone
curious) can check that nothing leaves its box or the canvas.
"""

import functools
import io
import logging
import re
import shutil
import subprocess
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from PIL import Image, ImageDraw, ImageFont, ImageOps

from balai.market.models import Category, Post, Product, Stock
from balai.whatsapp import messages as build

logger = logging.getLogger(__name__)

WIDTH = 1080
FORMATS = {Post.Format.SQUARE: (1080, 1080), Post.Format.PORTRAIT: (1080, 1350)}
MAX_JPEG_BYTES = 4 * 1024 * 1024  # Facebook Page photo limit; Instagram allows 8 MB
INSTAGRAM_MAX_BYTES = 8 * 1024 * 1024
INSTAGRAM_ASPECT = (4 / 5, 1.91)  # width / height, inclusive
CAPTION_MAX = 2200  # Instagram rejects longer captions
HASHTAGS_MAX = 30  # Instagram's hard limit; Balai writes 3–5
MARGIN = 64
PHOTO_MAX = 2 * WIDTH  # product photos are scaled down to this before layout

# --- Fonts ------------------------------------------------------------------------------------

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
FONT_FILES = {
    (False, False): "DejaVuSans.ttf",
    (True, False): "DejaVuSans-Bold.ttf",
    (False, True): "DejaVuSerif.ttf",
    (True, True): "DejaVuSerif-Bold.ttf",
}
FC_PATTERNS = {
    (False, False): "DejaVu Sans",
    (True, False): "DejaVu Sans:bold",
    (False, True): "DejaVu Serif",
    (True, True): "DejaVu Serif:bold",
}


@functools.cache
def font_path(bold: bool = False, serif: bool = False) -> str | None:
    """Debian's DejaVu (installed with WeasyPrint's fonts-dejavu-core), found in its usual
    folders or through fontconfig; None when it is not there."""
    name = FONT_FILES[(bold, serif)]
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}", FC_PATTERNS[(bold, serif)]],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found).name == name:
            return found
    logger.warning(
        "DejaVu font %s not found: social media images use Pillow's built-in font "
        "(install fonts-dejavu-core for the intended look)",
        name,
    )
    return None


@functools.cache
def font(size: int, bold: bool = False, serif: bool = False) -> ImageFont.FreeTypeFont:
    path = font_path(bold, serif)
    if path:
        # Basic layout: Latin text needs no shaping, and measuring is several times faster.
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
    return ImageFont.load_default(size=size)


# --- Styles -----------------------------------------------------------------------------------

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Style:
    key: str
    label: str
    about: str
    background: RGB
    ink: RGB
    muted: RGB
    accent: RGB  # price tag / pill
    accent_ink: RGB
    band: RGB  # footer band
    band_ink: RGB
    panel: RGB  # the typographic panel when a product has no photo
    panel_ink: RGB
    serif: bool = False


STYLES = {
    "bersih": Style(
        key="bersih",
        label="Bersih",
        about="Latar terang, foto besar, harga di label hijau. Cocok untuk semua produk.",
        background=(250, 248, 243),
        ink=(29, 37, 33),
        muted=(84, 97, 90),
        accent=(11, 110, 79),
        accent_ink=(255, 255, 255),
        band=(11, 110, 79),
        band_ink=(255, 255, 255),
        panel=(226, 240, 233),
        panel_ink=(11, 80, 58),
    ),
    "pasar": Style(
        key="pasar",
        label="Pasar",
        about="Kuning cerah dengan label harga merah, ramai seperti lapak pasar. Cocok untuk "
        "makanan dan hasil bumi.",
        background=(255, 203, 64),
        ink=(33, 24, 10),
        muted=(79, 58, 20),
        accent=(200, 30, 45),
        accent_ink=(255, 255, 255),
        band=(33, 24, 10),
        band_ink=(255, 214, 102),
        panel=(200, 30, 45),
        panel_ink=(255, 255, 255),
    ),
    "tradisi": Style(
        key="tradisi",
        label="Tradisi",
        about="Cokelat tua dan emas dengan bingkai anyaman dan huruf berkait. Cocok untuk "
        "kerajinan dan sarana upakara.",
        background=(74, 36, 24),
        ink=(250, 238, 214),
        muted=(222, 200, 160),
        accent=(214, 170, 70),
        accent_ink=(214, 170, 70),
        band=(58, 28, 18),
        band_ink=(236, 214, 170),
        panel=(110, 58, 36),
        panel_ink=(250, 238, 214),
        serif=True,
    ),
}
DEFAULT_STYLE_BY_CATEGORY = {
    Category.CRAFT: "tradisi",
    Category.OFFERING: "tradisi",
    Category.FOOD: "pasar",
    Category.DRINK: "pasar",
    Category.FARM: "pasar",
    Category.FISH: "pasar",
}


def default_style(product: Product) -> str:
    return DEFAULT_STYLE_BY_CATEGORY.get(product.category, "bersih")


# --- Text layout ------------------------------------------------------------------------------

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass
class TextBlock:
    """Text fitted into ``box``: its lines, the font, where each line is drawn and the ink
    bounding box of each line as Pillow will draw it."""

    name: str
    box: Box
    lines: list[str]
    face: ImageFont.FreeTypeFont
    size: int
    fill: RGB
    origins: list[tuple[int, int]] = field(default_factory=list)
    bboxes: list[Box] = field(default_factory=list)
    cut: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def bbox(self) -> Box | None:
        if not self.bboxes:
            return None
        return (
            min(b[0] for b in self.bboxes),
            min(b[1] for b in self.bboxes),
            max(b[2] for b in self.bboxes),
            max(b[3] for b in self.bboxes),
        )


LINE_GAP = 0.12  # extra space between lines, as a share of the font's line height
ELLIPSIS = "…"


def _line_height(face) -> int:
    ascent, descent = face.getmetrics()
    return ascent + descent


def _break_word(word: str, face, width: int) -> list[str]:
    """A word wider than the box (a long name without spaces), cut into pieces that fit."""
    pieces, piece = [], ""
    for ch in word:
        if face.getlength(piece + ch) <= width or not piece:
            piece += ch
        else:
            pieces.append(piece)
            piece = ch
    if piece:
        pieces.append(piece)
    return pieces


def wrap(text: str, face, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels, broken at spaces (or inside a word
    that is wider than the box on its own)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if face.getlength(trial) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        if face.getlength(word) <= width:
            line = word
            continue
        pieces = _break_word(word, face, width)
        lines.extend(pieces[:-1])
        line = pieces[-1]
    if line:
        lines.append(line)
    return lines


def _ellipsize(line: str, face, width: int) -> str:
    line = line.rstrip(" ,.;:-")
    while line and face.getlength(line + ELLIPSIS) > width:
        line = line[:-1].rstrip(" ,.;:-")
    return line + ELLIPSIS


def _place(block: TextBlock, draw, align: str, valign: str) -> bool:
    """Work out each line's origin and ink box; False if any ink leaves the box."""
    left, top, right, bottom = block.box
    face = block.face
    step = round(_line_height(face) * (1 + LINE_GAP))
    total = _line_height(face) + step * (len(block.lines) - 1)
    if valign == "middle":
        y = top + (bottom - top - total) // 2
    elif valign == "bottom":
        y = bottom - total
    else:
        y = top
    block.origins, block.bboxes = [], []
    for line in block.lines:
        length = face.getlength(line)
        if align == "center":
            x = left + (right - left - length) / 2
        elif align == "right":
            x = right - length
        else:
            x = left
        x = round(x)
        bbox = draw.textbbox((x, y), line, font=face, anchor="la")
        block.origins.append((x, y))
        block.bboxes.append(tuple(int(v) for v in bbox))
        y += step
    return all(
        b[0] >= left and b[1] >= top and b[2] <= right and b[3] <= bottom for b in block.bboxes
    )


def fit_text(
    draw,
    name: str,
    text: str,
    box: Box,
    *,
    fill: RGB,
    max_size: int,
    min_size: int,
    max_lines: int = 1,
    bold: bool = True,
    serif: bool = False,
    align: str = "left",
    valign: str = "top",
) -> TextBlock:
    """The largest size from ``max_size`` down to ``min_size`` at which ``text`` fits
    ``box`` in at most ``max_lines`` lines; below that, the floor size with the text cut
    and ended with "…". The returned block's ink boxes all lie inside ``box``."""
    text = " ".join(str(text).split())
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    size = max_size
    while True:
        face = font(size, bold, serif)
        lines = wrap(text, face, width) or [""]
        step = _line_height(face) * (1 + LINE_GAP)
        room = max(1, min(max_lines, int((height - _line_height(face)) // step) + 1))
        cut = len(lines) > room
        if cut and size > min_size:
            size = max(min_size, size - 2)
            continue
        if cut:
            lines = lines[:room]
            lines[-1] = _ellipsize(lines[-1], face, width)
        block = TextBlock(name, box, lines, face, size, fill, cut=cut)
        if _place(block, draw, align, valign):
            return block
        if size <= 8:
            # Nothing fits (a box smaller than any text): draw nothing rather than overflow.
            block.lines, block.origins, block.bboxes = [], [], []
            return block
        size -= 2
        min_size = min(min_size, size)


def draw_text(draw, block: TextBlock) -> None:
    for (x, y), line in zip(block.origins, block.lines, strict=True):
        draw.text((x, y), line, font=block.face, fill=block.fill, anchor="la")


# --- What goes on the image -------------------------------------------------------------------


@dataclass
class Facts:
    """Everything drawn, read once from the product (so layout needs no database)."""

    name: str
    price: str
    unit: str
    seller: str
    village: str
    category: str
    description: str
    stock: str
    photo: Image.Image | None = None


def product_facts(product: Product, *, with_photo: bool = True) -> Facts:
    seller = product.seller
    return Facts(
        name=product.name,
        price=product.price_label,
        unit=product.unit,
        seller=seller.business_name,
        village=str(product.village),
        category=product.get_category_display(),
        description=" ".join(product.description.split()),
        stock=product.stock,
        photo=load_photo(product) if with_photo else None,
    )


def load_photo(product: Product) -> Image.Image | None:
    """The product's first photo, upright and in RGB; None without a readable photo."""
    photo = product.photos.order_by("position", "pk").first()
    if photo is None:
        return None
    for file in (photo.jpeg, photo.original):
        if not file:
            continue
        try:
            with file.open("rb") as f, Image.open(f) as img:
                img.draft("RGB", (PHOTO_MAX, PHOTO_MAX))  # JPEG: decode at a reduced scale
                img = ImageOps.exif_transpose(img).convert("RGB")
                # Once, for both formats: no post needs more than 2 × its 1080 px.
                img.thumbnail((PHOTO_MAX, PHOTO_MAX), Image.Resampling.LANCZOS, reducing_gap=3.0)
                return img
        except (OSError, ValueError, Image.DecompressionBombError):
            logger.warning("photo %s of product %s unreadable", file.name, product.code)
    return None


def unit_line(facts: Facts) -> str:
    line = f"per {facts.unit}" if facts.unit else ""
    if facts.stock == Stock.TO_ORDER:
        line = f"{line} · pesan dulu" if line else "Pesan dulu"
    return line


@dataclass
class Layout:
    """A drawn post: the image and every text block on it (with ink boxes)."""

    style: str
    format: str
    size: tuple[int, int]
    image: Image.Image
    blocks: dict[str, TextBlock]
    has_photo: bool


def _paste_photo(canvas: Image.Image, photo: Image.Image, box: Box, radius: int = 0) -> None:
    left, top, right, bottom = box
    fitted = ImageOps.fit(photo, (right - left, bottom - top), Image.Resampling.LANCZOS)
    if radius:
        mask = Image.new("L", fitted.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle(
            [0, 0, fitted.width - 1, fitted.height - 1], radius=radius, fill=255
        )
        canvas.paste(fitted, (left, top), mask)
    else:
        canvas.paste(fitted, (left, top))


def _weave(draw, box: Box, light: RGB, dark: RGB, cell: int = 20) -> None:
    """A woven-bamboo (anyaman) pattern: alternating horizontal and vertical strips."""
    left, top, right, bottom = box
    draw.rectangle(box, fill=dark)
    for row, y in enumerate(range(top, bottom, cell)):
        for col, x in enumerate(range(left, right, cell)):
            x2, y2 = min(x + cell, right) - 1, min(y + cell, bottom) - 1
            if x2 - x < 12 or y2 - y < 12:
                continue  # a sliver at the edge
            if (row + col) % 2:
                draw.rectangle([x + 2, y + 5, x2 - 2, y2 - 5], fill=light)
            else:
                draw.rectangle([x + 5, y + 2, x2 - 5, y2 - 2], fill=light)


def _stripes(draw, box: Box, colour: RGB, gap: int = 36, width: int = 10) -> None:
    left, top, right, bottom = box
    span = bottom - top
    for x in range(left - span, right, gap):
        draw.line([(x, bottom), (x + span, top)], fill=colour, width=width)


def _no_photo_panel(canvas, draw, style: Style, box: Box, facts: Facts) -> TextBlock:
    """Without a photo the panel carries the name in large type over a quiet pattern."""
    left, top, right, bottom = box
    panel = Image.new("RGB", (right - left, bottom - top), style.panel)
    pdraw = ImageDraw.Draw(panel)
    tint = tuple(min(255, round(c * 0.88 + 255 * 0.12)) for c in style.panel)
    if style.key == "tradisi":
        _weave(pdraw, (0, 0, panel.width, panel.height), tint, style.panel, cell=28)
    else:
        _stripes(pdraw, (0, 0, panel.width, panel.height), tint)
    inner = (left + 56, top + 56, right - 56, bottom - 56)
    card = Image.new("RGB", (inner[2] - inner[0] + 48, inner[3] - inner[1] + 48), style.panel)
    panel.paste(card, (inner[0] - left - 24, inner[1] - top - 24))
    canvas.paste(panel, (left, top))
    return fit_text(
        draw,
        "name",
        facts.name,
        inner,
        fill=style.panel_ink,
        max_size=104,
        min_size=44,
        max_lines=4,
        serif=style.serif,
        align="center",
        valign="middle",
    )


def _subtitle(facts: Facts) -> str:
    """The line under the panel when there is no photo: the description's first sentence,
    else the category and the village."""
    if facts.description:
        first = re.split(r"(?<=[.!?])\s", facts.description, maxsplit=1)[0]
        return first
    return f"{facts.category} dari {facts.village}"


def _layout_bersih(canvas, draw, style: Style, facts: Facts, h: int) -> dict[str, TextBlock]:
    square = h == 1080
    photo_bottom = 590 if square else 800
    name_box = (MARGIN, photo_bottom + 22, WIDTH - MARGIN, photo_bottom + (158 if square else 232))
    price_top = name_box[3] + 12
    band_top = h - 124
    blocks = {}
    photo_box = (MARGIN, MARGIN, WIDTH - MARGIN, photo_bottom)
    if facts.photo is not None:
        _paste_photo(canvas, facts.photo, photo_box, radius=28)
        blocks["name"] = fit_text(
            draw,
            "name",
            facts.name,
            name_box,
            fill=style.ink,
            max_size=66 if square else 72,
            min_size=40,
            max_lines=2 if square else 3,
        )
    else:
        blocks["name"] = _no_photo_panel(canvas, draw, style, photo_box, facts)
        blocks["about"] = fit_text(
            draw,
            "about",
            _subtitle(facts),
            name_box,
            fill=style.muted,
            max_size=40,
            min_size=30,
            max_lines=2 if square else 3,
            bold=False,
        )
    # Price in a pill: fit the text to the widest pill, then draw the pill around its ink.
    pad_x, pad_y = 30, 18
    price_box = (MARGIN + pad_x, price_top + pad_y, WIDTH - MARGIN - pad_x, price_top + 108)
    price = fit_text(
        draw,
        "price",
        facts.price,
        price_box,
        fill=style.accent_ink,
        max_size=76,
        min_size=44,
        valign="middle",
    )
    if price.bbox:
        right = price.bbox[2]
        draw.rounded_rectangle(
            [MARGIN, price_box[1] - pad_y, right + pad_x, price_box[3] + pad_y // 2],
            radius=24,
            fill=style.accent,
        )
    blocks["price"] = price
    unit_box = (MARGIN, price_box[3] + 16, WIDTH - MARGIN, band_top - 8)
    blocks["unit"] = fit_text(
        draw,
        "unit",
        unit_line(facts),
        unit_box,
        fill=style.muted,
        max_size=34,
        min_size=26,
        bold=False,
    )
    draw.rectangle([0, band_top, WIDTH, h], fill=style.band)
    blocks["seller"] = fit_text(
        draw,
        "seller",
        facts.seller,
        (MARGIN, band_top + 16, WIDTH - MARGIN, band_top + 64),
        fill=style.band_ink,
        max_size=38,
        min_size=28,
    )
    blocks["brand"] = fit_text(
        draw,
        "brand",
        f"UMKM {facts.village} · Pesan lewat WhatsApp",
        (MARGIN, band_top + 70, WIDTH - MARGIN, h - 14),
        fill=style.band_ink,
        max_size=30,
        min_size=24,
        bold=False,
    )
    return blocks


def _layout_pasar(canvas, draw, style: Style, facts: Facts, h: int) -> dict[str, TextBlock]:
    square = h == 1080
    photo_bottom = 600 if square else 800
    footer_top = h - 96
    blocks = {}
    name_box = (MARGIN, photo_bottom + 92, WIDTH - MARGIN, photo_bottom + (242 if square else 300))
    if facts.photo is not None:
        _paste_photo(canvas, facts.photo, (0, 0, WIDTH, photo_bottom))
        blocks["name"] = fit_text(
            draw,
            "name",
            facts.name,
            name_box,
            fill=style.ink,
            max_size=68 if square else 74,
            min_size=40,
            max_lines=2 if square else 3,
        )
    else:
        blocks["name"] = _no_photo_panel(canvas, draw, style, (0, 0, WIDTH, photo_bottom), facts)
        blocks["about"] = fit_text(
            draw,
            "about",
            _subtitle(facts),
            name_box,
            fill=style.muted,
            max_size=40,
            min_size=30,
            max_lines=2 if square else 3,
            bold=False,
        )
    # The red price tag over the photo's lower edge, right-aligned.
    tag_right = WIDTH - MARGIN - 28
    price_box = (MARGIN + 28, photo_bottom - 74, tag_right, photo_bottom + 16)
    unit_box = (MARGIN + 28, photo_bottom + 20, tag_right, photo_bottom + 58)
    price = fit_text(
        draw,
        "price",
        facts.price,
        price_box,
        fill=style.accent_ink,
        max_size=80,
        min_size=44,
        align="right",
        valign="bottom",
    )
    unit = fit_text(
        draw,
        "unit",
        unit_line(facts),
        unit_box,
        fill=style.accent_ink,
        max_size=32,
        min_size=24,
        bold=False,
        align="right",
    )
    inks = [b for b in (price.bbox, unit.bbox) if b]
    if inks:
        x0 = min(b[0] for b in inks) - 28
        draw.rounded_rectangle(
            [x0, price_box[1] - 22, WIDTH - MARGIN, unit_box[3] + 16], radius=22, fill=style.accent
        )
    blocks["price"], blocks["unit"] = price, unit
    seller_top = name_box[3] + 10
    blocks["seller"] = fit_text(
        draw,
        "seller",
        facts.seller,
        (MARGIN, seller_top, WIDTH - MARGIN, seller_top + 48),
        fill=style.muted,
        max_size=36,
        min_size=26,
    )
    draw.rectangle([0, footer_top, WIDTH, h], fill=style.band)
    blocks["brand"] = fit_text(
        draw,
        "brand",
        f"UMKM {facts.village} · Pesan lewat WhatsApp",
        (MARGIN, footer_top + 18, WIDTH - MARGIN, h - 18),
        fill=style.band_ink,
        max_size=34,
        min_size=24,
        valign="middle",
    )
    return blocks


def _layout_tradisi(canvas, draw, style: Style, facts: Facts, h: int) -> dict[str, TextBlock]:
    square = h == 1080
    gold, strip = style.accent, 40
    _weave(draw, (0, 0, WIDTH, strip), gold, style.band)
    _weave(draw, (0, h - strip, WIDTH, h), gold, style.band)
    frame = (MARGIN, 76, WIDTH - MARGIN, 560 if square else 760)
    blocks = {}
    name_box = (MARGIN, frame[3] + 26, WIDTH - MARGIN, frame[3] + (170 if square else 230))
    if facts.photo is not None:
        draw.rectangle(frame, fill=gold)
        inner = (frame[0] + 12, frame[1] + 12, frame[2] - 12, frame[3] - 12)
        _paste_photo(canvas, facts.photo, inner)
        blocks["name"] = fit_text(
            draw,
            "name",
            facts.name,
            name_box,
            fill=style.ink,
            serif=True,
            max_size=64 if square else 70,
            min_size=40,
            max_lines=2 if square else 3,
            align="center",
        )
    else:
        draw.rectangle(frame, fill=gold)
        inner = (frame[0] + 12, frame[1] + 12, frame[2] - 12, frame[3] - 12)
        blocks["name"] = _no_photo_panel(canvas, draw, style, inner, facts)
        blocks["about"] = fit_text(
            draw,
            "about",
            _subtitle(facts),
            name_box,
            fill=style.muted,
            serif=True,
            max_size=40,
            min_size=30,
            max_lines=2 if square else 3,
            bold=False,
            align="center",
        )
    price_box = (MARGIN, name_box[3] + 12, WIDTH - MARGIN, name_box[3] + 108)
    blocks["price"] = fit_text(
        draw,
        "price",
        facts.price,
        price_box,
        fill=gold,
        max_size=84,
        min_size=44,
        align="center",
        valign="middle",
    )
    unit_box = (MARGIN, price_box[3] + 4, WIDTH - MARGIN, price_box[3] + 44)
    blocks["unit"] = fit_text(
        draw,
        "unit",
        unit_line(facts),
        unit_box,
        fill=style.muted,
        max_size=32,
        min_size=24,
        bold=False,
        align="center",
    )
    rule_y = unit_box[3] + 16
    draw.line([(WIDTH // 2 - 120, rule_y), (WIDTH // 2 + 120, rule_y)], fill=gold, width=3)
    seller_box = (MARGIN, rule_y + 14, WIDTH - MARGIN, rule_y + 62)
    blocks["seller"] = fit_text(
        draw,
        "seller",
        facts.seller,
        seller_box,
        fill=style.ink,
        serif=True,
        max_size=38,
        min_size=28,
        align="center",
    )
    blocks["brand"] = fit_text(
        draw,
        "brand",
        f"UMKM {facts.village} · Pesan lewat WhatsApp",
        (MARGIN, seller_box[3] + 4, WIDTH - MARGIN, h - strip - 10),
        fill=style.band_ink,
        max_size=30,
        min_size=24,
        bold=False,
        align="center",
    )
    return blocks


LAYOUTS = {"bersih": _layout_bersih, "pasar": _layout_pasar, "tradisi": _layout_tradisi}


def render(facts: Facts, style_key: str, fmt: str) -> Layout:
    """Draw one post image (no database, no files)."""
    style = STYLES[style_key]
    width, height = FORMATS[fmt]
    canvas = Image.new("RGB", (width, height), style.background)
    draw = ImageDraw.Draw(canvas)
    blocks = LAYOUTS[style_key](canvas, draw, style, facts, height)
    for block in blocks.values():
        draw_text(draw, block)
    return Layout(style_key, fmt, (width, height), canvas, blocks, facts.photo is not None)


def encode_jpeg(image: Image.Image, limit: int = MAX_JPEG_BYTES) -> bytes:
    """A progressive JPEG with no metadata, under ``limit`` bytes (quality steps down in the
    unlikely case a busy photo makes it heavier)."""
    for quality in (88, 80, 72, 64, 56, 48):
        out = io.BytesIO()
        image.save(
            out,
            "JPEG",
            quality=quality,
            optimize=True,
            progressive=True,
            subsampling="4:4:4" if quality >= 80 else "4:2:0",
        )
        data = out.getvalue()
        if len(data) <= limit:
            return data
    raise ValueError(f"JPEG still {len(data)} bytes at quality {quality}")


# --- Caption ----------------------------------------------------------------------------------

PROVINCE_TAGS = {
    "bali": "bali",
    "jawa tengah": "jateng",
    "jawa timur": "jatim",
    "jawa barat": "jabar",
    "di yogyakarta": "jogja",
    "daerah istimewa yogyakarta": "jogja",
    "banten": "banten",
    "dki jakarta": "jakarta",
    "nusa tenggara barat": "ntb",
    "nusa tenggara timur": "ntt",
    "sulawesi selatan": "sulsel",
    "sulawesi utara": "sulut",
    "sumatera utara": "sumut",
    "sumatera barat": "sumbar",
    "sumatera selatan": "sumsel",
    "lampung": "lampung",
    "aceh": "aceh",
    "riau": "riau",
    "jambi": "jambi",
    "bengkulu": "bengkulu",
    "kalimantan barat": "kalbar",
    "kalimantan timur": "kaltim",
    "kalimantan selatan": "kalsel",
    "kalimantan tengah": "kalteng",
    "papua": "papua",
    "maluku": "maluku",
    "gorontalo": "gorontalo",
}
CATEGORY_TAGS = {
    Category.CRAFT: "kerajinan",
    Category.FOOD: "kuliner",
    Category.DRINK: "minuman",
    Category.CLOTHING: "fashion",
    Category.FARM: "hasiltani",
    Category.FISH: "hasillaut",
    Category.OFFERING: "saranaupakara",
    Category.OTHER: "produklokal",
}
# Words that say nothing about what a product is.
NAME_STOPWORDS = {
    "aneka",
    "paket",
    "set",
    "isi",
    "ukuran",
    "kecil",
    "sedang",
    "besar",
    "baru",
    "murah",
    "promo",
    "asli",
    "khas",
    "super",
    "jumbo",
    "mini",
    "dan",
    "atau",
    "untuk",
    "dengan",
    "yang",
    "the",
    "pak",
    "bu",
    "ibu",
    "bapak",
    "home",
    "made",
    "homemade",
}
FALLBACK_TAGS = ["produklokal", "banggabuatanindonesia"]


def tag_word(text: str) -> str:
    """A hashtag body: lower-case ASCII letters and digits only (no spaces, no accents)."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _usable(tag: str) -> bool:
    return 3 <= len(tag) <= 30 and not tag.isdigit()


def hashtags(product: Product) -> list[str]:
    """3–5 hashtags from the product's name, category and village, no duplicates."""
    village = product.village
    words = [w for w in (tag_word(w) for w in product.name.split()) if w]
    meaningful = [w for w in words if w not in NAME_STOPWORDS and not w.isdigit() and len(w) >= 3]
    name_tags = []
    if meaningful:
        name_tags.append(meaningful[0])
        if len(meaningful) >= 2 and len(meaningful[0] + meaningful[1]) <= 18:
            name_tags.append(meaningful[0] + meaningful[1])
    category = CATEGORY_TAGS.get(product.category, "produklokal")
    region = PROVINCE_TAGS.get(" ".join(village.provinsi.lower().split()), "")
    if region and category != "produklokal":
        category += region
    ordered = [
        *name_tags[:1],
        category,
        "umkmdesa",
        tag_word(village.name),
        *name_tags[1:],
        *FALLBACK_TAGS,
    ]
    tags: list[str] = []
    for tag in ordered:
        if _usable(tag) and tag not in tags:
            tags.append(tag)
    core = tags[:5]
    # The fallbacks only fill up to three; they are not worth a fourth or fifth place.
    while len(core) > 3 and core[-1] in FALLBACK_TAGS:
        core.pop()
    return ["#" + t for t in core]


def order_message(product: Product) -> str:
    return (
        f"Halo {product.seller.business_name}, saya mau pesan {product.name} "
        f"({product.price_label}). Apakah masih ada?"
    )


def _reverse_absolute(name: str, *args) -> str:
    try:
        return settings.SITE_URL + reverse(name, args=list(args))
    except NoReverseMatch:
        return ""


def order_link(product: Product) -> str:
    """How a buyer orders. A published product: the catalogue's short "Pesan" address,
    which counts the click and opens WhatsApp with the order typed. A draft: the catalogue's
    WhatsApp link itself; failing that, ``balai.public.links`` (the seller's own number,
    else the village's)."""
    village = product.village
    if product.is_published:
        found = _reverse_absolute("catalogue:order", village.slug, product.code)
        if found:
            return found
    try:
        from balai.market.catalogue import order_link as catalogue_order_link
    except ImportError:
        catalogue_order_link = None
    if catalogue_order_link is not None:
        return catalogue_order_link(product)
    from balai.public import links

    phone = product.seller.resident.phone
    to_seller = getattr(links, "wa_link_to", None)
    if to_seller and phone and not product.seller.order_via_village:
        return to_seller(phone, order_message(product))
    return links.wa_link(village, order_message(product))


def catalogue_link(product: Product) -> str:
    """The product's page in the public catalogue (the seller's page, or the village's
    catalogue, for a draft)."""
    village, seller = product.village, product.seller
    if product.is_published:
        found = _reverse_absolute("catalogue:product", village.slug, product.code)
        if found:
            return found
    return _reverse_absolute("catalogue:seller", village.slug, seller.slug) or _reverse_absolute(
        "catalogue:index", village.slug
    )


STOCK_LINES = {
    Stock.AVAILABLE: "Stok tersedia.",
    Stock.TO_ORDER: "Dibuat sesuai pesanan; tanyakan dulu kapan bisa jadi.",
    Stock.SOLD_OUT: "Stok sedang habis; tanyakan kapan ada lagi.",
}


def _trim(text: str, room: int) -> str:
    text = text.strip()
    if len(text) <= room:
        return text
    cut = text[: max(room - 1, 0)].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    return cut + ELLIPSIS


def build_caption(
    product: Product, *, order: str | None = None, catalogue: str | None = None
) -> str:
    """The Indonesian caption: what it is, what makes it special (the seller's own words),
    the price, how to order, and 3–5 hashtags; under Instagram's 2,200 characters."""
    seller, village = product.seller, product.village
    order = order_link(product) if order is None else order
    catalogue = catalogue_link(product) if catalogue is None else catalogue
    head = (
        f"{product.name}\n{product.get_category_display()} dari {seller.business_name}, {village}"
    )
    about = " ".join(product.description.split())
    price = f"💰 Harga {product.price_label}" + (f" per {product.unit}" if product.unit else "")
    how = []
    if order:
        how.append(f"🛒 Pesan lewat WhatsApp: {order}")
    else:
        how.append(f"🛒 Pesan lewat WhatsApp ke {seller.business_name}.")
    if catalogue and product.is_published:
        how.append(f"🔎 Lihat di katalog: {catalogue}")
    elif catalogue:
        how.append(f"🔎 Produk lain dari {seller.business_name}: {catalogue}")
    support = f"Dengan membeli, Anda ikut mendukung usaha warga {village}. Terima kasih!"
    tags = " ".join(hashtags(product))
    parts = [
        head,
        about,
        f"{price}\n📦 {STOCK_LINES.get(product.stock, '')}".rstrip(),
        "\n".join(how),
        support,
        tags,
    ]
    fixed = len("\n\n".join(p for i, p in enumerate(parts) if i != 1 and p))
    if about:
        parts[1] = _trim(about, CAPTION_MAX - fixed - 2)
    caption = "\n\n".join(p for p in parts if p)
    if len(caption) > CAPTION_MAX:  # only with absurdly long links or names
        caption = _trim(caption[: CAPTION_MAX - len(tags) - 2], CAPTION_MAX - len(tags) - 2)
        caption += "\n\n" + tags
    return caption


def whatsapp_caption(caption: str) -> str:
    """The caption under a WhatsApp image (1,024 characters at most): the whole caption when
    it fits, else its opening with the price, order link and hashtags kept."""
    if len(caption) <= build.CAPTION_MAX:
        return caption
    paragraphs = caption.split("\n\n")
    head, tail = paragraphs[0], paragraphs[2:]
    rest = "\n\n".join(tail)
    room = build.CAPTION_MAX - len(head) - len(rest) - 4
    about = _trim(paragraphs[1], room) if room > 20 else ""
    short = "\n\n".join(p for p in (head, about, rest) if p)
    return short if len(short) <= build.CAPTION_MAX else _trim(short, build.CAPTION_MAX)


# --- Posts ------------------------------------------------------------------------------------


def post_filename(product: Product, style: str, fmt: str) -> str:
    slug = tag_word(product.name)[:40] or "produk"
    return f"{slug}-{style}-{fmt}.jpg"


def do_generate_posts(product: Product, style: str | None = None) -> list[Post]:
    """Draw the product in ``style`` (by default the one suiting its category) in both
    formats and store them with the caption. Returns the new posts, square first."""
    style = style if style in STYLES else default_style(product)
    facts = product_facts(product)
    caption = build_caption(product)
    started = time.perf_counter()
    images = []
    for fmt in (Post.Format.SQUARE, Post.Format.PORTRAIT):
        layout = render(facts, style, fmt)
        images.append((fmt, encode_jpeg(layout.image)))
    logger.info(
        "posts for %s (%s): %d images in %.0f ms",
        product.code,
        style,
        len(images),
        (time.perf_counter() - started) * 1000,
    )
    posts = []
    with transaction.atomic():
        for fmt, data in images:
            post = Post(product=product, style=style, format=fmt, caption=caption)
            post.image.save(post_filename(product, style, fmt), ContentFile(data), save=False)
            post.save()
            posts.append(post)
    return posts


def latest_posts(product: Product, style: str | None = None) -> list[Post]:
    """The newest square and portrait post of a product (of one style, if given)."""
    found: dict[str, Post] = {}
    posts = product.posts.all()
    if style:
        posts = posts.filter(style=style)
    for post in posts.order_by("-created", "-pk"):
        found.setdefault(post.format, post)
        if len(found) == len(FORMATS):
            break
    return [found[f] for f in FORMATS if f in found]


# --- Public, signed links to the images (WhatsApp and Meta fetch them) ------------------------

LINK_SALT = "balai.market.content.post-image"
LINK_MAX_AGE = 7 * 24 * 3600  # long enough for WhatsApp to fetch and a seller to forward


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=LINK_SALT, sep=".")


def image_token(post: Post) -> str:
    return _signer().sign(post.code)


def post_from_token(token: str) -> Post | None:
    """The post a token was made for, or None when forged, altered or expired."""
    try:
        code = _signer().unsign(token, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return Post.objects.filter(code=code).first()


def image_url(post: Post) -> str:
    """A public, signed, expiring address of the post's image: no login needed, nothing to
    guess, and useless after ``LINK_MAX_AGE``."""
    path = reverse("market:post_image", args=[image_token(post)])
    return settings.SITE_URL + path


def download_name(post: Post) -> str:
    return post_filename(post.product, post.style, post.format)


# --- WhatsApp ---------------------------------------------------------------------------------

SEND_PURPOSE = "market_content"


def do_send_posts_to_seller(product: Product, posts: list[Post], *, sent_by=None) -> int:
    """Send each post's image to the seller on WhatsApp with its caption (forward it as it
    is, or save and post it), then the caption alone as a text for copying. Returns the
    number of messages queued. Raises ``balai.whatsapp.outbox.NoChannel`` when the village
    has no WhatsApp number."""
    from balai.whatsapp.outbox import do_send

    posts = [p for p in posts if p.image]
    if not posts:
        return 0
    resident = product.seller.resident
    values = {"produk": product.name}
    queued = 0
    with transaction.atomic():
        for post in posts:
            do_send(
                resident,
                build.image(link=image_url(post), caption=whatsapp_caption(post.caption)),
                purpose=SEND_PURPOSE,
                template_values=values,
                sent_by=sent_by,
            )
            queued += 1
        do_send(
            resident,
            build.text(posts[0].caption),
            purpose=SEND_PURPOSE,
            template_values=values,
            sent_by=sent_by,
        )
        queued += 1
    return queued
