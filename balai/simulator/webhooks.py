"""Webhooks the simulator sends to Balai's real endpoint, in Meta's exact shapes.

Envelopes follow reference/whatsapp.md §1.4 (messages) and §1.8 (statuses); bodies are signed
with the app secret like Meta signs them and leave through the project's one HTTP seam.
"""

import json
import time

from django.conf import settings
from django.urls import reverse

from balai.lib import http
from balai.simulator.models import SimMessage
from balai.whatsapp.models import Template, WhatsAppNumber
from balai.whatsapp.webhook import sign


class WebhookFailed(Exception):
    """The webhook did not answer 200 (or could not be reached)."""


def now_timestamp() -> str:
    return str(int(time.time()))


def metadata_value(number: WhatsAppNumber) -> dict:
    return {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": number.display_number,
            "phone_number_id": number.phone_number_id,
        },
    }


def post(number: WhatsAppNumber, value: dict) -> int:
    """Sign and POST one ``value`` to Balai's webhook; return the HTTP status it answered.

    Raises ``httpx.HTTPError`` when the webhook cannot be reached at all.
    """
    envelope = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": number.waba_id or "0", "changes": [{"value": value, "field": "messages"}]}
        ],
    }
    # Meta sends escaped unicode (\u00e9); json.dumps does the same by default.
    body = json.dumps(envelope, separators=(",", ":")).encode()
    response = http.request(
        "POST",
        f"{settings.SITE_URL}{reverse('whatsapp:webhook')}",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body),
            "User-Agent": "facebookexternalua",
        },
    )
    return response.status_code


def inbound_value(number: WhatsAppNumber, message: dict, *, name: str, wa_id: str, user_id: str):
    contact: dict = {"profile": {"name": name}}
    if wa_id:
        contact["wa_id"] = wa_id
    if user_id:
        contact["user_id"] = user_id
    return {**metadata_value(number), "contacts": [contact], "messages": [message]}


def _pricing(number: WhatsAppNumber, message: SimMessage, categories: dict) -> dict:
    if message.payload.get("type") != "template":
        return {
            "billable": False,
            "pricing_model": "PMP",
            "type": "free_customer_service",
            "category": "service",
        }
    template = message.payload.get("template") or {}
    key = (template.get("name", ""), (template.get("language") or {}).get("code", ""))
    if key not in categories:  # one query per template in a webhook, not per message
        categories[key] = (
            Template.objects.filter(village_id=number.village_id, name=key[0], language=key[1])
            .values_list("category", flat=True)
            .first()
        ) or Template.Category.UTILITY
    return {
        "billable": True,
        "pricing_model": "PMP",
        "type": "regular",
        "category": categories[key],
    }


UNDELIVERABLE_ERROR = {
    "code": 131026,
    "title": "Message undeliverable",
    "message": "Message undeliverable",
    "error_data": {"details": "Message Undeliverable."},
    "href": "/documentation/business-messaging/whatsapp/support/error-codes",
}


def status_item(number: WhatsAppNumber, message: SimMessage, state: str, categories: dict):
    status: dict = {"id": message.wamid, "status": state, "timestamp": now_timestamp()}
    if message.wa_id:
        status["recipient_id"] = message.wa_id
    else:
        status["recipient_user_id"] = message.user_id
    # Meta puts pricing on "sent" and on one of delivered/read (reference §1.3).
    if state in {"sent", "delivered"}:
        status["pricing"] = _pricing(number, message, categories)
    if state == "failed":
        status["errors"] = [message.error or UNDELIVERABLE_ERROR]
    return status


def status_value(number: WhatsAppNumber, messages: list[SimMessage], state: str) -> dict:
    categories: dict = {}
    statuses = [status_item(number, message, state, categories) for message in messages]
    return {**metadata_value(number), "statuses": statuses}


def post_statuses(number: WhatsAppNumber, messages: list[SimMessage], state: str) -> None:
    """Post one webhook carrying ``state`` for these messages and record it on them (never
    moving one backwards)."""
    code = post(number, status_value(number, messages, state))
    if code != 200:
        first = messages[0].wamid
        raise WebhookFailed(f"status {state} for {first} (+{len(messages) - 1}): HTTP {code}")
    lower = [s for s, rank in SimMessage.RANK.items() if rank < SimMessage.RANK[state]]
    SimMessage.objects.filter(pk__in=[m.pk for m in messages], status__in=lower).update(
        status=state
    )
    for message in messages:
        if SimMessage.RANK[message.status] < SimMessage.RANK[state]:
            message.status = state


def post_status(number: WhatsAppNumber, message: SimMessage, state: str) -> None:
    post_statuses(number, [message], state)
