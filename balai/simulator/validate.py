"""Checks a /messages body the way the Cloud API does, with Meta's error codes.

Limits from reference/whatsapp.md §2: a broken limit is 131009 (parameter value invalid),
a missing or unknown parameter is 100; ``details`` always names the field.
"""

import re
from dataclasses import dataclass

MESSAGE_TYPES = {
    "text",
    "interactive",
    "image",
    "document",
    "location",
    "template",
    "audio",
    "video",
    "sticker",
    "reaction",
}
MEDIA_TYPES = {"image", "document", "audio", "video", "sticker"}
CAPTIONED = {"image", "document", "video"}
BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")


@dataclass
class GraphError(Exception):
    code: int
    title: str
    details: str
    http_status: int = 400


def missing(field: str) -> GraphError:
    return GraphError(100, "Invalid parameter", f"The parameter {field} is required.")


def invalid(field: str, why: str) -> GraphError:
    return GraphError(131009, "Parameter value is not valid", f"{field}: {why}")


def unsupported(field: str, value) -> GraphError:
    return GraphError(100, "Invalid parameter", f"{field}: unsupported value {value!r}")


def _obj(parent: dict, key: str, field: str) -> dict:
    value = parent.get(key)
    if value is None:
        raise missing(field)
    if not isinstance(value, dict):
        raise invalid(field, "must be an object")
    return value


def _text(parent: dict, key: str, field: str, limit: int, *, required=True) -> str | None:
    value = parent.get(key)
    if value is None:
        if required:
            raise missing(field)
        return None
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    if not value.strip() and required:
        raise invalid(field, "must not be empty")
    if len(value) > limit:
        raise invalid(field, f"{len(value)} characters; the maximum is {limit}")
    return value


def _media(obj: dict, field: str) -> None:
    link, media_id = obj.get("link"), obj.get("id")
    if bool(link) == bool(media_id):
        raise invalid(field, "give exactly one of link or id")
    if link is not None and (
        not isinstance(link, str) or not re.match(r"^https?://", link, re.IGNORECASE)
    ):
        raise invalid(f"{field}.link", "must be an http(s) URL")
    if media_id is not None and not isinstance(media_id, str):
        raise invalid(f"{field}.id", "must be a string")


def recipient(body: dict) -> tuple[str, str, str]:
    """``(input, wa_id, user_id)`` of a send: a phone number in "to", or a BSUID."""
    to = body.get("to")
    if to is not None:
        if not isinstance(to, str):
            raise invalid("to", "must be a string")
        digits = re.sub(r"[\s()+\-]", "", to)
        if not digits.isdigit() or not 5 <= len(digits) <= 15:
            raise invalid("to", f"{to!r} is not a phone number")
        return to, digits, ""
    user = body.get("recipient")
    if user is None:
        raise missing("to")
    if not isinstance(user, str) or not BSUID.match(user):
        raise invalid("recipient", f"{user!r} is not a business-scoped user ID")
    return user, "", user


def _interactive_header(inter: dict) -> None:
    header = inter.get("header")
    if header is None:
        return
    if not isinstance(header, dict):
        raise invalid("interactive.header", "must be an object")
    kind = header.get("type")
    if kind == "text":
        _text(header, "text", "interactive.header.text", 60)
    elif kind in {"image", "video", "document"}:
        _media(_obj(header, kind, f"interactive.header.{kind}"), f"interactive.header.{kind}")
    else:
        raise unsupported("interactive.header.type", kind)


def _buttons(inter: dict) -> None:
    _text(_obj(inter, "body", "interactive.body"), "text", "interactive.body.text", 1024)
    action = _obj(inter, "action", "interactive.action")
    buttons = action.get("buttons")
    if buttons is None:
        raise missing("interactive.action.buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        count = len(buttons) if isinstance(buttons, list) else "not a list"
        raise invalid("interactive.action.buttons", f"{count} given; 1 to 3 allowed")
    ids, titles = set(), set()
    for i, button in enumerate(buttons):
        field = f"interactive.action.buttons[{i}]"
        if not isinstance(button, dict):
            raise invalid(field, "must be an object")
        if button.get("type") != "reply":
            raise unsupported(f"{field}.type", button.get("type"))
        reply = _obj(button, "reply", f"{field}.reply")
        button_id = _text(reply, "id", f"{field}.reply.id", 256)
        title = _text(reply, "title", f"{field}.reply.title", 20)
        if button_id in ids:
            raise invalid(f"{field}.reply.id", f"{button_id!r} is used twice; ids must be unique")
        if title in titles:
            raise invalid(f"{field}.reply.title", f"{title!r} is used twice; titles must be unique")
        ids.add(button_id)
        titles.add(title)


def _list(inter: dict) -> None:
    _text(_obj(inter, "body", "interactive.body"), "text", "interactive.body.text", 4096)
    action = _obj(inter, "action", "interactive.action")
    _text(action, "button", "interactive.action.button", 20)
    sections = action.get("sections")
    if sections is None:
        raise missing("interactive.action.sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        raise invalid("interactive.action.sections", "1 to 10 sections allowed")
    ids = set()
    total = 0
    for s, section in enumerate(sections):
        field = f"interactive.action.sections[{s}]"
        if not isinstance(section, dict):
            raise invalid(field, "must be an object")
        _text(section, "title", f"{field}.title", 24, required=len(sections) > 1)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise invalid(f"{field}.rows", "at least one row is required")
        for r, row in enumerate(rows):
            total += 1
            row_field = f"{field}.rows[{r}]"
            if not isinstance(row, dict):
                raise invalid(row_field, "must be an object")
            row_id = _text(row, "id", f"{row_field}.id", 200)
            _text(row, "title", f"{row_field}.title", 24)
            _text(row, "description", f"{row_field}.description", 72, required=False)
            if row_id in ids:
                raise invalid(f"{row_field}.id", f"{row_id!r} is used twice; ids must be unique")
            ids.add(row_id)
    if total > 10:
        raise invalid("interactive.action.sections", f"{total} rows in all; the maximum is 10")


def _interactive(body: dict) -> None:
    inter = _obj(body, "interactive", "interactive")
    kind = inter.get("type")
    if kind is None:
        raise missing("interactive.type")
    _interactive_header(inter)
    footer = inter.get("footer")
    if footer is not None:
        if not isinstance(footer, dict):
            raise invalid("interactive.footer", "must be an object")
        _text(footer, "text", "interactive.footer.text", 60)
    if kind == "button":
        _buttons(inter)
    elif kind == "list":
        _list(inter)
    elif kind == "cta_url":
        _text(_obj(inter, "body", "interactive.body"), "text", "interactive.body.text", 1024)
        action = _obj(inter, "action", "interactive.action")
        params = _obj(action, "parameters", "interactive.action.parameters")
        _text(params, "display_text", "interactive.action.parameters.display_text", 20)
        _text(params, "url", "interactive.action.parameters.url", 2000)
    else:
        raise unsupported("interactive.type", kind)


def message(body: dict) -> str:
    """Raise ``GraphError`` unless ``body`` is a message Meta would accept; return its type."""
    kind = body.get("type", "text")  # Meta defaults a missing type to text
    if not isinstance(kind, str) or kind not in MESSAGE_TYPES:
        raise unsupported("type", kind)
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise unsupported("recipient_type", recipient_type)
    context = body.get("context")
    if context is not None and (
        not isinstance(context, dict) or not isinstance(context.get("message_id"), str)
    ):
        raise invalid("context.message_id", "must be a message id")
    if kind == "text":
        text = _obj(body, "text", "text")
        _text(text, "body", "text.body", 4096)
        if "preview_url" in text and not isinstance(text["preview_url"], bool):
            raise invalid("text.preview_url", "must be true or false")
    elif kind == "interactive":
        _interactive(body)
    elif kind in MEDIA_TYPES:
        obj = _obj(body, kind, kind)
        _media(obj, kind)
        if kind in CAPTIONED:
            _text(obj, "caption", f"{kind}.caption", 1024, required=False)
        if kind == "document":
            _text(obj, "filename", "document.filename", 240, required=False)
    elif kind == "location":
        location = _obj(body, "location", "location")
        for key, limit in (("latitude", 90), ("longitude", 180)):
            value = location.get(key)
            if value is None:
                raise missing(f"location.{key}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise invalid(f"location.{key}", "must be a number") from None
            if isinstance(value, bool) or not -limit <= number <= limit:
                raise invalid(f"location.{key}", f"must be between -{limit} and {limit}")
    elif kind == "template":
        template = _obj(body, "template", "template")
        _text(template, "name", "template.name", 512)
        language = _obj(template, "language", "template.language")
        _text(language, "code", "template.language.code", 15)
        components = template.get("components")
        if components is not None and not isinstance(components, list):
            raise invalid("template.components", "must be a list")
    elif kind == "reaction":
        reaction = _obj(body, "reaction", "reaction")
        _text(reaction, "message_id", "reaction.message_id", 200)
        if not isinstance(reaction.get("emoji", ""), str):
            raise invalid("reaction.emoji", "must be a string")
    return kind
