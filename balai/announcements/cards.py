"""A ready-to-post square image (1080×1080, what Instagram and Facebook show best) for an
announcement: the village, the topic, the title, the picture if there is one, the date and
the address of the post. Pillow only; DejaVu fonts when installed (Debian's
fonts-dejavu-core), else Pillow's own scalable font."""

import functools
import io
import textwrap
from pathlib import Path

from django.utils import dateformat, timezone
from PIL import Image, ImageDraw, ImageFont, ImageOps

from balai.announcements import content

SIZE = 1080
MARGIN = 72
BRAND = (11, 110, 79)
DANGER = (180, 35, 24)
INK = (29, 37, 33)
MUTED = (93, 107, 100)
PAPER = (246, 248, 247)
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


@functools.cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


def wrap(text: str, face, width: int, max_lines: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels; the last one ends in "…" if cut."""
    words = text.split()
    lines: list[str] = []
    line = ""
    for word in words:
        trial = f"{line} {word}".strip()
        if face.getlength(trial) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        while face.getlength(word) > width:  # one very long word: break it
            cut = max(1, int(len(word) * width / face.getlength(word)) - 1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and face.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _fit_title(draw, title: str, width: int, height: int):
    """The largest bold size (84 → 44 px) at which the title fits the box."""
    for size in range(84, 43, -4):
        face = font(size, bold=True)
        lines = wrap(title, face, width, max(1, height // int(size * 1.22)))
        if len(lines) * size * 1.22 <= height and not lines[-1].endswith("…"):
            return face, lines
    face = font(44, bold=True)
    return face, wrap(title, face, width, max(1, height // 54))


def render_card(announcement) -> bytes:
    village = announcement.village
    emergency = announcement.topic.is_emergency
    band = DANGER if emergency else BRAND
    image = Image.new("RGB", (SIZE, SIZE), PAPER)
    draw = ImageDraw.Draw(image)
    width = SIZE - 2 * MARGIN

    # Band: the village and the topic.
    draw.rectangle([0, 0, SIZE, 170], fill=band)
    label = "PENGUMUMAN DARURAT" if emergency else f"KABAR {str(village).upper()}"
    draw.text((MARGIN, 44), label, font=font(46, bold=True), fill="white")
    draw.text((MARGIN, 108), announcement.topic.name, font=font(34), fill=(220, 240, 230))

    top = 220
    bottom = SIZE - 170
    if announcement.image:
        try:
            with announcement.image.open("rb") as f, Image.open(f) as photo:
                photo = ImageOps.fit(photo.convert("RGB"), (SIZE, 470))
                image.paste(photo, (0, 170))
            top = 690
        except (OSError, ValueError):
            pass
    face, lines = _fit_title(draw, announcement.title, width, bottom - top - 20)
    y = top
    line_height = int(face.size * 1.22)
    for line in lines:
        draw.text((MARGIN, y), line, font=face, fill=INK)
        y += line_height
    # Without a picture, the start of the text under the title.
    if not announcement.image and y + 60 < bottom:
        body = font(36)
        room = (bottom - y - 30) // 48
        if room > 0:
            y += 24
            text = " ".join(announcement.body.split())
            for line in wrap(text, body, width, min(room, 6)):
                draw.text((MARGIN, y), line, font=body, fill=MUTED)
                y += 48

    # Footer: date and where to read it all.
    draw.line([MARGIN, SIZE - 150, SIZE - MARGIN, SIZE - 150], fill=(217, 224, 220), width=3)
    when = announcement.published_at or timezone.now()
    date = dateformat.format(when.astimezone(village.tz), "j F Y")
    draw.text((MARGIN, SIZE - 128), f"{village} · {date}", font=font(32, bold=True), fill=INK)
    url = content.post_url(announcement).split("://", 1)[-1]
    small = font(28)
    draw.text(
        (MARGIN, SIZE - 80),
        textwrap.shorten(url, 70, placeholder="…") if small.getlength(url) > width else url,
        font=small,
        fill=band,
    )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
