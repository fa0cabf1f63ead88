"""The fake Cloud API under ``/simulator/graph/v25.0/``: what Balai's real client talks to
when a village's number ``is_simulated``.

Answers and errors use Meta's shapes (reference/whatsapp.md §2, §3.2). Faults set through
the JSON API make the next sends fail the way Meta fails; accepted messages get their
``sent`` and ``delivered`` status webhooks from a background task once the request commits.
"""

import datetime as dt
import hashlib
import json
import secrets
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from balai.core.jobs import enqueue_durably
from balai.simulator import validate
from balai.simulator.models import SimDelivery, SimFault, SimMedia, SimMessage, new_wamid
from balai.simulator.tasks import deliver
from balai.simulator.validate import GraphError
from balai.simulator.webhooks import UNDELIVERABLE_ERROR
from balai.whatsapp.models import WhatsAppNumber
from balai.whatsapp.webhook import numbers_by_id

# Meta's per-type media size limits (reference/whatsapp.md §2.8).
UPLOAD_LIMITS = {"image": 5 << 20, "audio": 16 << 20, "video": 16 << 20}
STICKER_LIMIT = 500 << 10
DOCUMENT_LIMIT = 100 << 20

FAULTS = {
    SimFault.Kind.RATE_LIMIT: GraphError(
        130429, "Rate limit hit", "Cloud API message throughput has been reached.", 429
    ),
    SimFault.Kind.PAIR_LIMIT: GraphError(
        131056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    ),
    SimFault.Kind.OUTSIDE_WINDOW: GraphError(
        131047,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    SimFault.Kind.UNDELIVERABLE: GraphError(
        131026, "Message Undeliverable.", "Message Undeliverable."
    ),
    SimFault.Kind.SERVER_ERROR: GraphError(
        131000, "Something went wrong", "Something went wrong. Please try again later.", 500
    ),
    SimFault.Kind.TOKEN_EXPIRED: GraphError(
        190,
        "Error validating access token: Session has expired",
        "The access token has expired. Get a new access token.",
        401,
    ),
}


def error_response(error: GraphError) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "message": f"(#{error.code}) {error.title}",
                "type": "OAuthException",
                "code": error.code,
                "error_data": {"messaging_product": "whatsapp", "details": error.details},
                "fbtrace_id": "A" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y"),
            }
        },
        status=error.http_status,
    )


def no_object(object_id: str, method: str = "post") -> GraphError:
    return GraphError(
        100,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation",
        f"Object with ID '{object_id}' does not exist",
    )


def authorized(request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


UNAUTHORIZED = GraphError(
    190, "Invalid OAuth access token", "An access token is required: Authorization: Bearer …", 401
)


def simulated_number(phone_number_id: str) -> WhatsAppNumber | None:
    return (
        WhatsAppNumber.objects.select_related("village")
        .filter(phone_number_id=phone_number_id, is_simulated=True)
        .first()
    )


def _take_fault(phone_number_id: str) -> SimFault | None:
    faults = SimFault.objects.filter(phone_number_id=phone_number_id).exclude(remaining=0)
    if not faults.exists():  # the usual case: no lock, no transaction
        return None
    with transaction.atomic():
        fault = (
            SimFault.objects.select_for_update()
            .filter(phone_number_id=phone_number_id)
            .exclude(remaining=0)
            .order_by("created", "id")
            .first()
        )
        if fault is not None and fault.remaining > 0:
            SimFault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
    return fault


@csrf_exempt
def messages(request, version: str, phone_number_id: str):
    if request.method != "POST":
        return error_response(no_object(phone_number_id, request.method.lower()))
    if not authorized(request):
        return error_response(UNAUTHORIZED)
    # The webhook's short-lived cache of numbers: a query saved on every send.
    number = numbers_by_id({phone_number_id}).get(phone_number_id)
    if number is None or not number.is_simulated:
        return error_response(no_object(phone_number_id))

    fault = _take_fault(phone_number_id)
    if fault is not None and fault.delay_seconds > 0:
        time.sleep(fault.delay_seconds)  # "timeout", "slow", or a delayed error
    if fault is not None and fault.kind in FAULTS:
        return error_response(FAULTS[fault.kind])

    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return error_response(
            GraphError(100, "Invalid parameter", "The request body must be a JSON object.")
        )
    if body.get("messaging_product") != "whatsapp":
        if "messaging_product" not in body:
            return error_response(validate.missing("messaging_product"))
        return error_response(
            validate.unsupported("messaging_product", body.get("messaging_product"))
        )
    if body.get("status") is not None:
        return _mark_read(number, body)
    try:
        validate.message(body)
        given, wa_id, user_id = validate.recipient(body)
    except GraphError as error:
        return error_response(error)

    failing = fault is not None and fault.kind == SimFault.Kind.ASYNC_FAILED
    with transaction.atomic():
        stored = SimMessage.objects.create(
            phone_number_id=phone_number_id,
            wa_id=wa_id,
            user_id=user_id,
            direction=SimMessage.Direction.OUT,
            wamid=new_wamid(),
            payload=body,
            status="accepted",
            # Accepted now, reported "failed" by webhook later (as 131026 is).
            error=UNDELIVERABLE_ERROR if failing else None,
        )
        _schedule_delivery(phone_number_id)
    return JsonResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": given, "wa_id": wa_id or user_id}],
            "messages": [{"id": stored.wamid}],
        }
    )


# A queued status task older than this is taken for lost (its enqueue never happened).
DELIVERY_STALE = dt.timedelta(seconds=60)


def _schedule_delivery(phone_number_id: str) -> None:
    """Queue the number's status task unless one is queued. Called after the message is
    written and inside its transaction: the row lock (PostgreSQL) or the write lock (SQLite)
    makes the task's clearing of ``scheduled`` wait for this commit, so its next look sees
    the message — or this sees ``scheduled`` cleared and queues a new task."""
    state = SimDelivery.objects.select_for_update().filter(phone_number_id=phone_number_id)
    row = state.first()
    if row is None:
        SimDelivery.objects.get_or_create(phone_number_id=phone_number_id)
        row = state.get()
    now = timezone.now()
    if row.scheduled and row.scheduled_at and now - row.scheduled_at < DELIVERY_STALE:
        return
    SimDelivery.objects.filter(pk=row.pk).update(scheduled=True, scheduled_at=now)
    enqueue_durably(deliver, phone_number_id)


def _mark_read(number: WhatsAppNumber, body: dict) -> JsonResponse:
    if body.get("status") != "read":
        return error_response(validate.unsupported("status", body.get("status")))
    wamid = body.get("message_id")
    if not isinstance(wamid, str) or not wamid:
        return error_response(validate.missing("message_id"))
    indicator = body.get("typing_indicator")
    if indicator is not None and (
        not isinstance(indicator, dict) or indicator.get("type") != "text"
    ):
        return error_response(validate.unsupported("typing_indicator.type", indicator))
    read = (
        SimMessage.objects.filter(
            phone_number_id=number.phone_number_id,
            direction=SimMessage.Direction.IN,
            wamid=wamid,
        )
        .only("pk", "wa_id", "user_id", "created")
        .first()
    )
    if read is None:
        return error_response(
            GraphError(100, "Invalid parameter", f"message_id: unknown message {wamid!r}")
        )
    # Like WhatsApp, reading a message reads the earlier ones of that chat too.
    chat = SimMessage.objects.filter(
        phone_number_id=number.phone_number_id,
        direction=SimMessage.Direction.IN,
        created__lte=read.created,
    )
    chat = chat.filter(wa_id=read.wa_id) if read.wa_id else chat.filter(user_id=read.user_id)
    chat.exclude(status="read").update(status="read")
    SimMessage.objects.filter(pk=read.pk).update(status="read")
    return JsonResponse({"success": True})


@csrf_exempt
def graph_object(request, version: str, object_id: str):
    """``GET /<MEDIA_ID>`` (media info) or ``GET /<PHONE_NUMBER_ID>`` (the number's info)."""
    if request.method != "GET":
        return error_response(no_object(object_id, request.method.lower()))
    if not authorized(request):
        return error_response(UNAUTHORIZED)
    media = SimMedia.objects.filter(media_id=object_id).first()
    if media is not None:
        owner = request.GET.get("phone_number_id")
        if owner and owner != media.phone_number_id:
            return error_response(no_object(object_id, "get"))
        return JsonResponse(
            {
                "messaging_product": "whatsapp",
                "url": settings.SITE_URL + reverse("simulator:media", args=[object_id]),
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": len(media.data),
                "id": media.media_id,
            }
        )
    number = simulated_number(object_id)
    if number is None:
        return error_response(no_object(object_id, "get"))
    info = {
        "display_phone_number": number.display_number,
        "verified_name": number.verified_name or f"Desa {number.village.name}",
        "quality_rating": "GREEN",
        "throughput": {"level": "STANDARD"},
        "code_verification_status": "VERIFIED",
        "name_status": "APPROVED",
        "platform_type": "CLOUD_API",
        "status": "CONNECTED",
        "id": number.phone_number_id,
    }
    fields = [f.strip() for f in request.GET.get("fields", "").split(",") if f.strip()]
    if not fields:
        return JsonResponse(info)
    unknown = [f for f in fields if f not in info]
    if unknown:
        return error_response(
            GraphError(
                100,
                f"Tried accessing nonexisting field ({unknown[0]}) on node type "
                "(WhatsAppBusinessPhoneNumber)",
                f"fields: {unknown[0]!r} is not a field of a phone number",
            )
        )
    return JsonResponse({**{f: info[f] for f in fields}, "id": number.phone_number_id})


def _upload_limit(mime: str) -> int:
    if mime == "image/webp":
        return STICKER_LIMIT
    return UPLOAD_LIMITS.get(mime.split("/")[0], DOCUMENT_LIMIT)


@csrf_exempt
def upload(request, version: str, phone_number_id: str):
    """``POST /<PHONE_NUMBER_ID>/media`` (multipart: messaging_product, type, file)."""
    if request.method != "POST":
        return error_response(no_object(phone_number_id, request.method.lower()))
    if not authorized(request):
        return error_response(UNAUTHORIZED)
    if simulated_number(phone_number_id) is None:
        return error_response(no_object(phone_number_id))
    if request.POST.get("messaging_product") != "whatsapp":
        return error_response(validate.missing("messaging_product"))
    file = request.FILES.get("file")
    if file is None:
        return error_response(validate.missing("file"))
    mime = (request.POST.get("type") or file.content_type or "").split(";")[0].strip()
    if "/" not in mime:
        return error_response(validate.missing("type"))
    limit = _upload_limit(mime)
    if file.size > limit:
        return error_response(
            GraphError(
                131053,
                "Media upload error",
                f"file: {file.size} bytes; the maximum for {mime} is {limit} bytes",
            )
        )
    data = file.read()
    media = SimMedia.objects.create(
        phone_number_id=phone_number_id,
        mime_type=mime[:100],
        sha256=hashlib.sha256(data).hexdigest(),
        filename=(file.name or "")[:255],
        data=data,
    )
    return JsonResponse({"id": media.media_id})


def media_download(request, media_id: str):
    """The short-lived media URL: the bytes, for a request carrying the access token."""
    if not authorized(request):
        return error_response(UNAUTHORIZED)
    media = SimMedia.objects.filter(media_id=media_id).first()
    if media is None:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    return HttpResponse(bytes(media.data), content_type=media.mime_type)
