"""Links that open the village's WhatsApp with a deep-link keyword already typed.

Posters, the public pages and (later) the catalogue all build their links here, so the
keyword a QR code carries is always the one the conversation engine understands
(``balai.conversations.flows.route``: ``LAYANAN <kata kunci>``, ``ADUAN``, ``INFO``…).
"""

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

# What the master poster and the "Chat di WhatsApp" button type: the engine answers with
# its main menu.
MENU_TEXT = "MENU"


def whatsapp_digits(village) -> str:
    """The village's WhatsApp number as wa.me wants it (digits only, country code first)."""
    number = getattr(village, "whatsapp", None) if village.pk else None
    if number is None:
        return ""
    return "".join(ch for ch in number.display_number if ch.isdigit())


def wa_link(village, text: str = MENU_TEXT) -> str:
    """``https://wa.me/<number>?text=<text>``; empty when the village has no number yet."""
    digits = whatsapp_digits(village)
    if not digits:
        return ""
    return f"https://wa.me/{digits}?text={quote(text)}"


def wa_link_to(phone: str, text: str = "") -> str:
    """``https://wa.me/<number>?text=<text>`` for a person's own number (E.164, e.g. a
    seller's); empty when there is no number."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if not digits:
        return ""
    return f"https://wa.me/{digits}" + (f"?text={quote(text)}" if text else "")


def short_path(village, keyword: str = "") -> str:
    """A short path on Balai that redirects to the WhatsApp link (printed under each QR)."""
    if keyword:
        return reverse("public:wa_keyword", args=[village.slug, keyword.lower()])
    return reverse("public:wa", args=[village.slug])


def short_url(village, keyword: str = "") -> str:
    return settings.SITE_URL + short_path(village, keyword)


def public_url(path: str) -> str:
    return settings.SITE_URL + path


# Short-link words that are not letter types, and the text each one types in WhatsApp.
FIXED_KEYWORDS = {"aduan": "ADUAN", "aspirasi": "ASPIRASI", "info": "INFO"}


def deep_link_text(village, keyword: str = "") -> str | None:
    """The text a short link ``/d/<slug>/wa/<keyword>/`` types, or None if it means nothing
    here: the main menu, an active letter type's ``LAYANAN <kata kunci>``, or a fixed word."""
    from balai.letters.models import LetterType

    keyword = keyword.strip().lower()
    if not keyword:
        return MENU_TEXT
    if keyword in FIXED_KEYWORDS:
        return FIXED_KEYWORDS[keyword]
    letter = LetterType.objects.active().filter(village=village, keyword__iexact=keyword).first()
    return letter.deep_link_text if letter else None
