"""The simulator's JSON API: simulated residents send messages and read them, tests and
scripts set faults and reset. JSON in and out; bad input is a 400 ``{"error": "…"}``.
"""

import base64
import binascii
import hashlib
import json
import math
import re

import httpx
from django.conf import settings
from django.db.models import Q
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from balai.simulator import webhooks
from balai.simulator.models import SimDelivery, SimFault, SimMedia, SimMessage, new_wamid
from balai.simulator.validate import BSUID
from balai.whatsapp.models import WhatsAppNumber

# The JSON API reads bodies itself (base64 files are larger than Django's form limit).
MAX_BODY = 24 << 20
IMAGE_MAX = 5 << 20  # Meta's image limit (reference/whatsapp.md §2.8)
DOCUMENT_MAX = 16 << 20  # Meta allows 100 MB; the simulator keeps files in its database
TEXT_MAX = 65536
CONTENT_KEYS = (
    "text",
    "button_reply",
    "list_reply",
    "image",
    "document",
    "location",
    "sticker",
    "audio",
    "video",
)
STICKER_MAX = 500 << 10
MEDIA_FAMILY = {"sticker": "image/webp", "audio": "audio/ogg; codecs=opus", "video": "video/mp4"}
FAULT_DELAY_MAX = 50.0  # below gunicorn's worker timeout


class BadInput(Exception):
    pass


def bad(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _json_body(request, *, allow_empty=False) -> dict:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise BadInput(f"request body is larger than {MAX_BODY >> 20} MB")
    raw = request.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise BadInput(f"request body is larger than {MAX_BODY >> 20} MB")
    if not raw.strip() and allow_empty:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadInput("the request body must be JSON") from None
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object")
    return data


def _string(data: dict, key: str, *, limit: int, required=False, default="") -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise BadInput(f'"{key}" is required')
        return default
    if not isinstance(value, str):
        raise BadInput(f'"{key}" must be a string')
    value = value.strip()
    if required and not value:
        raise BadInput(f'"{key}" must not be empty')
    if len(value) > limit:
        raise BadInput(f'"{key}" is {len(value)} characters; at most {limit} allowed')
    return value


def _number(village) -> WhatsAppNumber:
    if not isinstance(village, str) or not village:
        raise BadInput('"village" is required: the phone_number_id (text) of a simulated number')
    number = (
        WhatsAppNumber.objects.select_related("village")
        .filter(phone_number_id=village, is_simulated=True)
        .first()
    )
    if number is None:
        raise BadInput(f"no simulated WhatsApp number has phone_number_id {village!r}")
    return number


def _wa_id(value, key="from") -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise BadInput(f'"{key}" must be a string of digits, e.g. "6281234567890"')
    digits = re.sub(r"[\s()+\-]", "", value)
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise BadInput(f'"{key}" must be a phone number of 8 to 15 digits, e.g. "6281234567890"')
    return digits


def _user_id(value, key="user_id") -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not BSUID.match(value):
        raise BadInput(f'"{key}" must be a business-scoped user ID such as "ID.1234567890"')
    return value


def _who(data: dict) -> tuple[str, str]:
    wa_id, user_id = _wa_id(data.get("wa_id"), "wa_id"), _user_id(data.get("user_id"))
    if not (wa_id or user_id):
        raise BadInput('give "wa_id" (the simulated phone number) or "user_id" (a BSUID)')
    return wa_id, user_id


def _chat(wa_id: str, user_id: str, village: str | None):
    who = Q()
    if wa_id:
        who |= Q(wa_id=wa_id)
    if user_id:
        who |= Q(user_id=user_id)
    chat = SimMessage.objects.filter(who)
    return chat.filter(phone_number_id=village) if village else chat


def _handle(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadInput as e:
            return bad(str(e))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


# --- messages ----------------------------------------------------------------------------------


def _file(spec, kind: str, limit: int) -> tuple[bytes, str]:
    if not isinstance(spec, dict):
        raise BadInput(f'"{kind}" must be an object with "mime_type" and base64 "data"')
    default_mime = {"image": "image/jpeg", **MEDIA_FAMILY}.get(kind, "application/pdf")
    mime = _string(spec, "mime_type", limit=100, default=default_mime).lower()
    if not re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+(; ?codecs=[a-z0-9.+-]+)?", mime):
        raise BadInput(f'"{kind}.mime_type" is not a MIME type: {mime!r}')
    family = {"image": "image", "sticker": "image", "audio": "audio", "video": "video"}
    if kind in family and not mime.startswith(family[kind] + "/"):
        raise BadInput(f'"{kind}.mime_type" must be an {family[kind]} type, not {mime!r}')
    data = spec.get("data")
    if not isinstance(data, str) or not data:
        raise BadInput(f'"{kind}.data" must be the file as base64')
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f'"{kind}.data" is not valid base64') from None
    if not content:
        raise BadInput(f'"{kind}.data" is empty')
    if len(content) > limit:
        raise BadInput(f"the {kind} is {len(content)} bytes; at most {limit >> 20} MB allowed")
    return content, mime


def _media_object(number, spec, kind: str, limit: int) -> dict:
    content, mime = _file(spec, kind, limit)
    caption = _string(spec, "caption", limit=1024) if kind in {"image", "video", "document"} else ""
    filename = _string(spec, "filename", limit=240) if kind == "document" else ""
    if kind == "document" and not filename:
        filename = "dokumen"
    digest = hashlib.sha256(content)
    media = SimMedia.objects.create(
        phone_number_id=number.phone_number_id,
        mime_type=mime,
        sha256=digest.hexdigest(),
        filename=filename,
        data=content,
    )
    obj = {}
    if caption:
        obj["caption"] = caption
    if filename:
        obj["filename"] = filename
    # As in Meta's example (§1.5): sha256 of the file, base64.
    obj.update(mime_type=mime, sha256=base64.b64encode(digest.digest()).decode(), id=media.media_id)
    if kind == "audio":  # a voice note recorded in WhatsApp, or a forwarded audio file
        obj["voice"] = spec.get("voice") is True
    if kind == "sticker":
        obj["animated"] = spec.get("animated") is True
    return obj


def _reply(spec, kind: str) -> dict:
    if not isinstance(spec, dict):
        raise BadInput(f'"{kind}" must be an object with "id" and "title"')
    reply = {
        "id": _string(spec, "id", limit=256, required=True),
        "title": _string(spec, "title", limit=72, required=True),
    }
    description = _string(spec, "description", limit=72)
    if kind == "list_reply" and description:
        reply["description"] = description
    return reply


def _coordinate(spec: dict, key: str, limit: float) -> float:
    value = spec.get(key)
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "."))
        except ValueError:
            value = None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not -limit <= value <= limit
    ):
        raise BadInput(f'"location.{key}" must be a number between -{limit:g} and {limit:g}')
    return float(value)


def _content(number, data: dict, context_id: str) -> tuple[str, dict, dict | None]:
    """``(type, the type's object, context)`` for the one content key ``data`` carries."""
    given = [k for k in CONTENT_KEYS if data.get(k) not in (None, "")]
    if not given:
        raise BadInput(f"nothing to send: give one of {', '.join(CONTENT_KEYS)}")
    if len(given) > 1:
        raise BadInput(f"give only one of {', '.join(CONTENT_KEYS)} (got {', '.join(given)})")
    key = given[0]
    spec = data[key]
    context = {"from": number.display_number, "id": context_id} if context_id else None
    if key == "text":
        if not isinstance(spec, str) or not spec.strip():
            raise BadInput('"text" must be non-empty text')
        if len(spec) > TEXT_MAX:
            raise BadInput(f'"text" is {len(spec)} characters; at most {TEXT_MAX} allowed')
        return "text", {"body": spec}, context
    if key in {"button_reply", "list_reply"}:
        return "interactive", {"type": key, key: _reply(spec, key)}, context
    if key == "image":
        return "image", _media_object(number, spec, "image", IMAGE_MAX), context
    if key == "document":
        return "document", _media_object(number, spec, "document", DOCUMENT_MAX), context
    if key == "sticker":
        return "sticker", _media_object(number, spec, "sticker", STICKER_MAX), context
    if key in {"audio", "video"}:
        return key, _media_object(number, spec, key, DOCUMENT_MAX), context
    if not isinstance(spec, dict):
        raise BadInput('"location" must be an object with "latitude" and "longitude"')
    location = {
        "latitude": _coordinate(spec, "latitude", 90),
        "longitude": _coordinate(spec, "longitude", 180),
    }
    for extra in ("name", "address"):
        value = _string(spec, extra, limit=1000)
        if value:
            location[extra] = value
    return "location", location, context


def _last_out(number, wa_id: str, user_id: str) -> str:
    last = _chat(wa_id, user_id, number.phone_number_id).filter(direction="out").last()
    return last.wamid if last else ""


def _send(request) -> JsonResponse:
    data = _json_body(request)
    number = _number(data.get("village"))
    wa_id = _wa_id(data.get("from"))
    user_id = _user_id(data.get("user_id"))
    if not (wa_id or user_id):
        raise BadInput('give "from" (the simulated phone number) or "user_id" (a BSUID)')
    name = _string(data, "name", limit=150)
    reply_to = _string(data, "reply_to", limit=200)
    chat = _chat(wa_id, user_id, number.phone_number_id)
    if reply_to and not chat.filter(wamid=reply_to).exists():
        raise BadInput(f'"reply_to": no message {reply_to!r} in this chat')
    is_reply = any(data.get(k) for k in ("button_reply", "list_reply"))
    if not reply_to and is_reply:
        reply_to = _last_out(number, wa_id, user_id)
    kind, obj, context = _content(number, data, reply_to)

    message: dict = {}
    if context:
        message["context"] = context
    if wa_id:
        message["from"] = wa_id
    if user_id:
        message["from_user_id"] = user_id
    message.update(id=new_wamid(), timestamp=webhooks.now_timestamp(), type=kind)
    message[kind] = obj
    stored = SimMessage.objects.create(
        phone_number_id=number.phone_number_id,
        wa_id=wa_id,
        user_id=user_id,
        name=name,
        direction=SimMessage.Direction.IN,
        wamid=message["id"],
        payload=message,
        status="sent",
    )
    value = webhooks.inbound_value(number, message, name=name, wa_id=wa_id, user_id=user_id)
    answer = {"wamid": stored.wamid}
    try:
        status = webhooks.post(number, value)
    except httpx.HTTPError as e:
        status, error = None, f"the webhook could not be reached: {e}"
    else:
        error = None if status == 200 else f"the webhook answered HTTP {status}"
    answer["webhook_status"] = status
    if error:
        answer["webhook_error"] = error
        SimMessage.objects.filter(pk=stored.pk).update(
            error={"webhook_status": status, "message": error}
        )
    return JsonResponse(answer)


def _item(message: SimMessage) -> dict:
    return {
        "direction": message.direction,
        "wamid": message.wamid,
        "payload": message.payload,
        "status": message.status,
        "created": message.created.isoformat(),
        "error": message.error,
    }


def _list(request) -> JsonResponse:
    wa_id = _wa_id(request.GET.get("wa_id"), "wa_id")
    user_id = _user_id(request.GET.get("user_id"))
    if not (wa_id or user_id):
        raise BadInput("give ?wa_id= (the simulated phone number) or ?user_id= (a BSUID)")
    chat = _chat(wa_id, user_id, request.GET.get("village") or None)
    return JsonResponse({"messages": [_item(m) for m in chat]})


@_handle
def messages(request):
    """POST: a simulated resident sends a message. GET: the whole chat, in order."""
    if request.method == "POST":
        return _send(request)
    if request.method == "GET":
        return _list(request)
    return bad("use GET or POST", status=405)


@_handle
def read(request):
    """The simulated phone opens the chat: ``read`` webhooks for what it has not read yet."""
    if request.method != "POST":
        return bad("use POST", status=405)
    data = _json_body(request)
    wa_id, user_id = _who(data)
    village = data.get("village") or None
    if village is not None:
        _number(village)
    unread = (
        _chat(wa_id, user_id, village)
        .filter(direction="out")
        .exclude(status__in=["read", "failed"])
    )
    numbers: dict[str, WhatsAppNumber | None] = {}
    count = 0
    failures = []
    for message in unread:
        if message.phone_number_id not in numbers:
            numbers[message.phone_number_id] = WhatsAppNumber.objects.filter(
                phone_number_id=message.phone_number_id, is_simulated=True
            ).first()
        number = numbers[message.phone_number_id]
        if number is None:
            continue
        try:
            webhooks.post_status(number, message, "read")
        except (webhooks.WebhookFailed, httpx.HTTPError) as e:
            failures.append(str(e))
            continue
        count += 1
    answer: dict = {"read": count}
    if failures:
        answer["webhook_error"] = failures[0]
    return JsonResponse(answer)


# --- faults and reset ------------------------------------------------------------------------


def _fault_item(fault: SimFault) -> dict:
    return {
        "id": fault.pk,
        "village": fault.phone_number_id,
        "kind": fault.kind,
        "remaining": fault.remaining,
        "delay": fault.delay_seconds,
    }


def _add_fault(request) -> JsonResponse:
    data = _json_body(request)
    number = _number(data.get("village"))
    kind = data.get("kind")
    if kind not in SimFault.Kind.values:
        raise BadInput(f'"kind" must be one of {", ".join(SimFault.Kind.values)}')
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not (count == -1 or count >= 1):
        raise BadInput('"count" must be a positive whole number, or -1 for "until cleared"')
    delay = data.get("delay")
    if delay is None:
        delay = {
            SimFault.Kind.TIMEOUT: min(settings.WHATSAPP_HTTP_TIMEOUT + 1.0, FAULT_DELAY_MAX),
            SimFault.Kind.SLOW: 2.0,
        }.get(kind, 0.0)
    if (
        isinstance(delay, bool)
        or not isinstance(delay, int | float)
        or not 0 <= delay <= FAULT_DELAY_MAX
    ):
        raise BadInput(f'"delay" must be a number of seconds from 0 to {FAULT_DELAY_MAX:g}')
    fault = SimFault.objects.create(
        phone_number_id=number.phone_number_id,
        kind=kind,
        remaining=count,
        delay_seconds=float(delay),
    )
    return JsonResponse(_fault_item(fault))


@_handle
def faults(request):
    """POST: add a fault. GET: the faults still active. DELETE: clear them (?village=)."""
    if request.method == "POST":
        return _add_fault(request)
    village = request.GET.get("village") or None
    if village is not None:
        _number(village)
    selected = SimFault.objects.filter(phone_number_id=village) if village else SimFault.objects
    if request.method == "GET":
        return JsonResponse({"faults": [_fault_item(f) for f in selected.exclude(remaining=0)]})
    if request.method == "DELETE":
        deleted, _ = selected.all().delete()
        return JsonResponse({"deleted": deleted})
    return bad("use GET, POST or DELETE", status=405)


@_handle
def reset(request):
    """Forget simulated chats: everything, or one resident's messages."""
    if request.method != "POST":
        return bad("use POST", status=405)
    data = _json_body(request, allow_empty=True)
    village = data.get("village") or None
    if village is not None:
        _number(village)
    if data.get("wa_id") or data.get("user_id"):
        wa_id, user_id = _who(data)
        deleted, _ = _chat(wa_id, user_id, village).delete()
        return JsonResponse({"deleted": {"messages": deleted}})
    counts = {}
    for key, model in (("messages", SimMessage), ("media", SimMedia), ("faults", SimFault)):
        rows = model.objects.filter(phone_number_id=village) if village else model.objects.all()
        counts[key], _ = rows.delete()
    # Nothing is left to report: a status task queued before the reset finds nothing.
    deliveries = SimDelivery.objects.all()
    if village:
        deliveries = deliveries.filter(phone_number_id=village)
    deliveries.delete()
    return JsonResponse({"deleted": counts})
