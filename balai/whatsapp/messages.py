"""Build Cloud API message bodies in Balai's terms, enforcing Meta's limits up front.

A body that breaks a limit raises ``MessageLimitError`` naming the limit: text is never cut
silently. Every builder returns ``(kind, body)``; ``body`` is exactly what is POSTed to
``/<PHONE_NUMBER_ID>/messages`` (the recipient fields are added when it is queued).
"""

TEXT_MAX = 4096
CAPTION_MAX = 1024
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_ROWS_MAX = 10
LIST_SECTIONS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24
HEADER_TEXT_MAX = 60
FOOTER_MAX = 60
INTERACTIVE_BODY_MAX = 1024


class MessageLimitError(ValueError):
    """A message breaks one of WhatsApp's limits; the text says which."""


def _check(value: str, limit: int, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MessageLimitError(f"{what} must be non-empty text")
    if len(value) > limit:
        raise MessageLimitError(f"{what} is {len(value)} characters; WhatsApp allows {limit}")
    return value


def text(body: str, *, preview_url: bool = False, reply_to: str | None = None):
    payload = {
        "type": "text",
        "text": {"body": _check(body, TEXT_MAX, "text body"), "preview_url": preview_url},
    }
    if reply_to:
        payload["context"] = {"message_id": reply_to}
    return "text", payload


def _interactive_extras(header: str | None, footer: str | None) -> dict:
    extras = {}
    if header:
        extras["header"] = {"type": "text", "text": _check(header, HEADER_TEXT_MAX, "header")}
    if footer:
        extras["footer"] = {"text": _check(footer, FOOTER_MAX, "footer")}
    return extras


def buttons(
    body: str,
    choices: list[tuple[str, str]],
    *,
    header: str | None = None,
    footer: str | None = None,
):
    """Reply buttons: ``choices`` is [(id, title)], at most 3, titles ≤ 20 characters."""
    if not 1 <= len(choices) <= BUTTONS_MAX:
        raise MessageLimitError(f"reply buttons: {len(choices)} given; 1 to {BUTTONS_MAX} allowed")
    ids = [i for i, _ in choices]
    if len(set(ids)) != len(ids):
        raise MessageLimitError("reply buttons need distinct ids")
    titles = [t for _, t in choices]
    if len(set(titles)) != len(titles):
        raise MessageLimitError("reply buttons need distinct titles")
    interactive = {
        "type": "button",
        "body": {"text": _check(body, INTERACTIVE_BODY_MAX, "interactive body")},
        "action": {
            "buttons": [
                {
                    "type": "reply",
                    "reply": {
                        "id": _check(i, BUTTON_ID_MAX, "button id"),
                        "title": _check(t, BUTTON_TITLE_MAX, "button title"),
                    },
                }
                for i, t in choices
            ]
        },
        **_interactive_extras(header, footer),
    }
    return "buttons", {"type": "interactive", "interactive": interactive}


def list_message(
    body: str,
    button: str,
    sections: list[tuple[str, list[tuple]]],
    *,
    header: str | None = None,
    footer: str | None = None,
):
    """A list: ``sections`` is [(title, [(id, title) or (id, title, description)])];
    at most 10 rows in all, row titles ≤ 24, the button label ≤ 20."""
    rows_total = sum(len(rows) for _, rows in sections)
    if not 1 <= rows_total <= LIST_ROWS_MAX:
        raise MessageLimitError(f"list: {rows_total} rows given; 1 to {LIST_ROWS_MAX} allowed")
    if len(sections) > LIST_SECTIONS_MAX:
        raise MessageLimitError(f"list: at most {LIST_SECTIONS_MAX} sections")
    seen = set()
    out_sections = []
    for title, rows in sections:
        out_rows = []
        for row in rows:
            row_id, row_title, *rest = row
            if row_id in seen:
                raise MessageLimitError(f"list row id {row_id!r} is used twice")
            seen.add(row_id)
            item = {
                "id": _check(row_id, 200, "row id"),
                "title": _check(row_title, ROW_TITLE_MAX, "row title"),
            }
            if rest and rest[0]:
                item["description"] = _check(rest[0], ROW_DESCRIPTION_MAX, "row description")
            out_rows.append(item)
        section = {"rows": out_rows}
        if title:
            section["title"] = _check(title, SECTION_TITLE_MAX, "section title")
        elif len(sections) > 1:
            raise MessageLimitError("a list with several sections needs a title on each")
        out_sections.append(section)
    interactive = {
        "type": "list",
        "body": {"text": _check(body, INTERACTIVE_BODY_MAX, "interactive body")},
        "action": {
            "button": _check(button, LIST_BUTTON_MAX, "list button"),
            "sections": out_sections,
        },
        **_interactive_extras(header, footer),
    }
    return "list", {"type": "interactive", "interactive": interactive}


def _media(kind: str, *, link: str | None, media_id: str | None) -> dict:
    if bool(link) == bool(media_id):
        raise MessageLimitError(f"{kind}: give exactly one of link or media_id")
    return {"link": link} if link else {"id": media_id}


def image(*, link: str | None = None, media_id: str | None = None, caption: str = ""):
    obj = _media("image", link=link, media_id=media_id)
    if caption:
        obj["caption"] = _check(caption, CAPTION_MAX, "caption")
    return "image", {"type": "image", "image": obj}


def document(
    *, filename: str, link: str | None = None, media_id: str | None = None, caption: str = ""
):
    obj = _media("document", link=link, media_id=media_id)
    obj["filename"] = _check(filename, 240, "document filename")
    if caption:
        obj["caption"] = _check(caption, CAPTION_MAX, "caption")
    return "document", {"type": "document", "document": obj}


def location(latitude: float, longitude: float, *, name: str = "", address: str = ""):
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise MessageLimitError("location: latitude/longitude out of range")
    obj = {"latitude": latitude, "longitude": longitude}
    if name:
        obj["name"] = name
    if address:
        obj["address"] = address
    return "location", {"type": "location", "location": obj}


def template(name: str, language: str, parameters: list[str] | None = None):
    tpl = {"name": _check(name, 512, "template name"), "language": {"code": language}}
    if parameters:
        tpl["components"] = [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": _check(str(p), TEXT_MAX, "template parameter")}
                    for p in parameters
                ],
            }
        ]
    return "template", {"type": "template", "template": tpl}


def read_receipt(wamid: str, *, typing: bool = True) -> dict:
    """Mark a received message read (blue ticks), optionally with the typing indicator."""
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body
