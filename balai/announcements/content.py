"""What an announcement looks like on WhatsApp, as a template's parameters, and as a
social-media caption. Written once by staff; each form is built here."""

import re

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone

from balai.whatsapp import messages as build

STOP_LINE = "Ketik *berhenti* bila tidak ingin menerima kabar lagi."
SUMMARY_MAX = 300


def post_url(announcement) -> str:
    return settings.SITE_URL + reverse(
        "news:post", args=[announcement.village.slug, announcement.code]
    )


def image_url(announcement) -> str:
    return settings.SITE_URL + reverse(
        "news:image", args=[announcement.village.slug, announcement.code]
    )


def attachment_url(announcement) -> str:
    return settings.SITE_URL + reverse(
        "news:attachment", args=[announcement.village.slug, announcement.code]
    )


def card_url(announcement) -> str:
    return settings.SITE_URL + reverse(
        "news:card", args=[announcement.village.slug, announcement.code]
    )


def heading(announcement) -> str:
    village = announcement.village
    if announcement.topic.is_emergency:
        return f"⚠️ *PENGUMUMAN DARURAT* · {village}"
    return f"📢 *Kabar {village}* · {announcement.topic.name}"


def _fit(body: str, room: int) -> str:
    """``body`` cut at a word to ``room`` characters, with "…" when cut."""
    body = body.strip()
    if len(body) <= room:
        return body
    cut = body[: max(room - 1, 0)].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + "…"


def whatsapp_text(announcement, limit: int = build.TEXT_MAX) -> str:
    """The free-form message: heading, title, text, link to the post, how to stop."""
    head = f"{heading(announcement)}\n\n*{announcement.title}*\n"
    tail = f"\n\nSelengkapnya: {post_url(announcement)}\n{STOP_LINE}"
    room = limit - len(head) - len(tail)
    return head + _fit(announcement.body, room) + tail


def free_message(announcement):
    """``(kind, body)`` for residents inside their 24-hour window: the picture with the
    text as its caption, the PDF with it, or the text alone."""
    if announcement.image:
        return build.image(
            link=image_url(announcement),
            caption=whatsapp_text(announcement, build.CAPTION_MAX),
        )
    if announcement.attachment:
        return build.document(
            link=attachment_url(announcement),
            filename=announcement.attachment_name or f"{announcement.code}.pdf",
            caption=whatsapp_text(announcement, build.CAPTION_MAX),
        )
    return build.text(whatsapp_text(announcement))


def _one_line(text: str) -> str:
    # Meta refuses template parameters with new lines, tabs or more than 4 spaces in a row.
    return re.sub(r"\s+", " ", text).strip()


def summary(announcement) -> str:
    return _fit(_one_line(announcement.body), SUMMARY_MAX)


def template_values(announcement) -> dict:
    """Values for a template's named parameters (``nama`` is filled per resident)."""
    published = announcement.published_at or timezone.now()
    return {
        "desa": str(announcement.village),
        "judul": _one_line(announcement.title),
        "ringkasan": summary(announcement),
        "isi": summary(announcement),
        "tautan": post_url(announcement),
        "topik": announcement.topic.name,
        "tanggal": dateformat.format(published.astimezone(announcement.village.tz), "j F Y"),
    }


def template_message(template, values: dict, name: str):
    """The template for one resident, its parameters filled by name ("-" if unknown)."""
    known = {"nama": _one_line(name) or "Bapak/Ibu", **values}
    params = [known.get(str(p).lower(), "-") for p in template.parameters]
    return build.template(template.name, template.language, params or None)


def template_preview(template, values: dict, name: str = "Bapak/Ibu") -> str:
    """The template's text as the resident will read it."""
    known = {"nama": name, **values}
    text = template.body
    for index, param in enumerate(template.parameters, 1):
        text = text.replace(f"{{{{{index}}}}}", known.get(str(param).lower(), "-"))
    return text


def caption(announcement) -> str:
    """A ready caption for Facebook/Instagram: the text, the link, and hashtags."""
    village = announcement.village
    tags = [
        "#" + re.sub(r"\W", "", f"Desa{village.name}"),
        "#KabarDesa",
        "#" + re.sub(r"\W", "", announcement.topic.name.split("/")[0].title()),
    ]
    return (
        f"{announcement.title}\n\n{announcement.body.strip()}\n\n"
        f"Selengkapnya: {post_url(announcement)}\n"
        f"Ingin kabar desa langsung di WhatsApp? Ketik LANGGANAN ke WhatsApp {village}.\n\n"
        + " ".join(dict.fromkeys(tags))
    )
