"""The Cloud API webhook: verify, store, enqueue, answer 200 — nothing else on this path.

Every ``messages[]`` element is written (unique on its wamid) in the same transaction as its
processing task, before the response. Redelivered webhooks find the wamid already stored and
enqueue nothing. Statuses are stored and applied to the outbox; value-level ``errors[]``,
unknown numbers and unreadable elements are kept as ``WebhookProblem`` rows for operators.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from balai.core.jobs import enqueue_durably
from balai.whatsapp.models import InboundMessage, StatusEvent, WebhookProblem, WhatsAppNumber

logger = logging.getLogger(__name__)
MAX_BODY = 3 * 1024 * 1024  # Meta: "payloads can be up to 3 MB"


def signature_valid(body: bytes, header: str) -> bool:
    expected = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    given = header.removeprefix("sha256=").strip()
    return hmac.compare_digest(expected, given)


def sign(body: bytes, secret: str | None = None) -> str:
    """The header value Meta would send for ``body`` (used by the simulator and tests)."""
    key = (secret or settings.WHATSAPP_APP_SECRET).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


@csrf_exempt
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    if not settings.WHATSAPP_APP_SECRET:
        return HttpResponse("WhatsApp is not configured on this server", status=503)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return HttpResponse("Payload too large", status=413)
    header = request.headers.get("X-Hub-Signature-256")
    if not header:
        return HttpResponse("Unauthorized", status=401)
    body = request.body
    if len(body) > MAX_BODY:
        return HttpResponse("Payload too large", status=413)
    if not signature_valid(body, header):
        return HttpResponseForbidden("Forbidden")
    try:
        ingest(body)
    except (DataError, IntegrityError, ValueError) as e:
        # Something in the body the database refuses: keep the raw body for operators.
        logger.warning("webhook body stored as unreadable: %s", e)
        _problem(WebhookProblem.Kind.UNREADABLE, {"raw": _raw_text(body)}, detail=str(e))
    except DatabaseError:
        # The database is unavailable: Meta retries non-200 answers for up to 7 days.
        logger.exception("webhook not stored; asking Meta to retry")
        return HttpResponse("Temporarily unavailable", status=503)
    return HttpResponse("OK")


def _raw_text(body: bytes) -> str:
    # PostgreSQL text and jsonb cannot hold NUL characters.
    return body[:100_000].decode("utf-8", "replace").replace("\x00", "\ufffd")


def _reject_constant(name):
    raise ValueError(f"JSON constant {name} is not allowed")


# \ud800-\udfff escapes: valid as a pair (emoji), invalid alone; only then check closely.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse(body: bytes):
    """The JSON body, or None when it is not strict JSON that the database can store."""
    if b"\x00" in body or b"\\u0000" in body:
        return None  # NUL cannot be stored in PostgreSQL's jsonb; Meta never sends it
    try:
        data = json.loads(body, parse_constant=_reject_constant)
        if _SURROGATE_ESCAPE.search(body):
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        return None
    return data


def _handshake(request):
    mode = request.GET.get("hub.mode")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (
        mode == "subscribe"
        and settings.WHATSAPP_VERIFY_TOKEN
        and hmac.compare_digest(token.encode(), settings.WHATSAPP_VERIFY_TOKEN.encode())
    ):
        return HttpResponse(challenge, content_type="text/plain")
    return HttpResponseForbidden("Forbidden")


def _parse_time(value) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _problem(kind, payload, *, number=None, phone_number_id="", code=None, detail=""):
    WebhookProblem.objects.create(
        kind=kind,
        village_id=number.village_id if number else None,
        phone_number_id=str(phone_number_id or (number.phone_number_id if number else ""))[:40],
        code=code if isinstance(code, int) else None,
        detail=str(detail)[:2000],
        payload=payload,
    )


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def ingest(body: bytes) -> list[int]:
    """Store everything a signed webhook body carries; return the new inbound message ids.

    Parsing and the number lookup happen before the write transaction, so SQLite's write
    lock is held only for the inserts. The rare problem rows commit on their own."""
    envelope = parse(body)
    if not isinstance(envelope, dict):
        _problem(
            WebhookProblem.Kind.UNREADABLE,
            {"raw": _raw_text(body)},
            detail="body is not strict JSON with an object at the top",
        )
        return []
    values = []
    skipped = False
    for entry in _dicts(envelope.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                _problem(WebhookProblem.Kind.UNREADABLE, change, detail="change without a value")
                continue
            if change.get("field", "messages") != "messages":
                # e.g. user_preferences, account_update: kept for operators, not processed.
                _problem(
                    WebhookProblem.Kind.OTHER_FIELD, change, detail=f"field {change.get('field')!r}"
                )
                skipped = True
                continue
            values.append(value)
    if not values and not skipped:
        _problem(WebhookProblem.Kind.UNREADABLE, envelope, detail="no entry[].changes[].value")
        return []
    phone_ids = set()
    for value in values:
        metadata = value.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("phone_number_id"), str):
            phone_ids.add(metadata["phone_number_id"])
    numbers = numbers_by_id(phone_ids)

    new_ids = []
    with transaction.atomic():
        for value in values:
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            phone_id = metadata.get("phone_number_id", "")
            number = numbers.get(phone_id) if isinstance(phone_id, str) else None
            if number is None:
                _problem(
                    WebhookProblem.Kind.UNKNOWN_NUMBER,
                    value,
                    phone_number_id=phone_id,
                    detail="no village has this phone_number_id",
                )
                continue
            new_ids += _store_messages(number, value)
            _store_statuses(number, value)
            for error in _dicts(value.get("errors")):
                _problem(
                    WebhookProblem.Kind.PLATFORM_ERROR,
                    error,
                    number=number,
                    phone_number_id=phone_id,
                    code=error.get("code"),
                    detail=error.get("message") or error.get("title", ""),
                )
        if new_ids:
            from balai.whatsapp.inbox import process_inbound

            for message_id in new_ids:
                enqueue_durably(process_inbound, message_id)
    return new_ids


# phone_number_id → (expiry, number): saves a query per webhook. Only known numbers are
# cached, so a newly connected number is found at once; a moved number within a minute.
_NUMBER_CACHE: dict[str, tuple[float, WhatsAppNumber]] = {}
NUMBER_CACHE_SECONDS = 60


@receiver([post_save, post_delete], sender=WhatsAppNumber)
def _forget_numbers(**kwargs) -> None:
    _NUMBER_CACHE.clear()


def numbers_by_id(phone_ids: set[str]) -> dict[str, WhatsAppNumber]:
    now = time.monotonic()
    found = {pid: hit[1] for pid in phone_ids if (hit := _NUMBER_CACHE.get(pid)) and hit[0] > now}
    missing = phone_ids - found.keys()
    if missing:
        for number in WhatsAppNumber.objects.filter(phone_number_id__in=missing).only(
            "id", "village_id", "phone_number_id"
        ):
            _NUMBER_CACHE[number.phone_number_id] = (now + NUMBER_CACHE_SECONDS, number)
            found[number.phone_number_id] = number
    return found


def _contacts(value) -> dict:
    """Profile name and BSUID by wa_id and by user_id."""
    found = {}
    for contact in _dicts(value.get("contacts")):
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        info = {
            "name": str(profile.get("name") or profile.get("username") or "")[:150],
            "user_id": str(contact.get("user_id") or "")[:140],
            "wa_id": str(contact.get("wa_id") or "")[:40],
        }
        for key in (info["wa_id"], info["user_id"]):
            if key:
                found[key] = info
    return found


def _store_messages(number, value) -> list[int]:
    contacts = _contacts(value)
    new_ids = []
    messages = value.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if (
            not isinstance(message, dict)
            or not isinstance(message.get("id"), str)
            or not message["id"]
            or len(message["id"]) > 200
        ):
            _problem(
                WebhookProblem.Kind.UNREADABLE,
                {"message": message},
                number=number,
                detail="message without an id",
            )
            continue
        wa_id = message.get("from") if isinstance(message.get("from"), str) else ""
        user_id = (
            message.get("from_user_id") if isinstance(message.get("from_user_id"), str) else ""
        )
        contact = contacts.get(wa_id) or contacts.get(user_id) or {}
        user_id = user_id or contact.get("user_id", "")
        wa_id = wa_id or contact.get("wa_id", "")
        if not (wa_id or user_id):
            _problem(
                WebhookProblem.Kind.UNREADABLE,
                {"message": message},
                number=number,
                detail="message without a sender",
            )
            continue
        kind = message.get("type") if isinstance(message.get("type"), str) else "unknown"
        stored_id = InboundMessage.objects.insert_new(
            village_id=number.village_id,
            number_id=number.id,
            wamid=message["id"],
            wa_id=wa_id[:40],
            user_id=user_id[:140],
            profile_name=contact.get("name", ""),
            type=kind[:30],
            message=message,
            sent_at=_parse_time(message.get("timestamp")),
        )
        if stored_id is not None:  # None: a redelivery, stored and queued the first time
            new_ids.append(stored_id)
    return new_ids


def _store_statuses(number, value) -> None:
    from balai.whatsapp.outbox import apply_status

    for status in _dicts(value.get("statuses")):
        wamid, state = status.get("id"), status.get("status")
        if not (isinstance(wamid, str) and isinstance(state, str) and wamid and state):
            _problem(
                WebhookProblem.Kind.UNREADABLE,
                status,
                number=number,
                detail="status without id/status",
            )
            continue
        try:
            with transaction.atomic():
                event = StatusEvent.objects.create(
                    wamid=wamid[:200],
                    status=state[:20],
                    timestamp=_parse_time(status.get("timestamp")),
                    payload=status,
                )
        except IntegrityError:
            continue
        apply_status(event)
