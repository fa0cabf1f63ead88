"""Test helpers that speak Meta's formats: webhook envelopes and a fake Cloud API transport.

``FakeCloudAPI`` is an ``httpx.MockTransport`` installed through the project's one HTTP seam
(``balai.lib.http.use_transport``): it answers sends, media and phone-number lookups with
Meta's response and error shapes, and records every request body. Tests that need the full
simulator round trip use balai.simulator instead.
"""

import base64
import copy
import hashlib
import itertools
import json
import time
from pathlib import Path

import httpx

from balai.whatsapp.webhook import sign

PAYLOADS = json.loads((Path(__file__).parent / "payloads" / "messages.json").read_text())
_ids = itertools.count(1)


def message(
    kind: str,
    *,
    wa_id: str | None = "6281234567890",
    wamid: str | None = None,
    user_id: str | None = None,
    **overrides,
) -> dict:
    element = copy.deepcopy(PAYLOADS[kind])
    element["id"] = wamid or f"wamid.TEST{next(_ids)}"
    element["timestamp"] = str(int(time.time()))
    if wa_id:
        element["from"] = wa_id
    if user_id and not wa_id:
        element["from_user_id"] = user_id
    element.update(overrides)
    return element


def envelope(
    *messages: dict,
    statuses=(),
    errors=(),
    phone_number_id="106540352242922",
    name="Siti Aminah",
    user_id: str | None = None,
    contacts=None,
) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
    }
    if messages:
        if contacts is None:
            contacts = []
            for m in messages:
                contact = {"profile": {"name": name}}
                if m.get("from"):
                    contact["wa_id"] = m["from"]
                if user_id or m.get("from_user_id"):
                    contact["user_id"] = user_id or m["from_user_id"]
                contacts.append(contact)
        value["contacts"] = contacts
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    if errors:
        value["errors"] = list(errors)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def status(wamid: str, state: str, *, recipient="6281234567890", error_code=None) -> dict:
    item = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if error_code:
        item["errors"] = [
            {
                "code": error_code,
                "title": "Message undeliverable.",
                "message": "Message undeliverable.",
                "error_data": {"details": "Message Undeliverable."},
            }
        ]
    return item


def signed(body: dict | bytes) -> tuple[bytes, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"HTTP_X_HUB_SIGNATURE_256": sign(raw)}


def meta_error(code: int, message: str, status: int = 400) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "error": {
                "message": f"(#{code}) {message}",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": "AbCdEf",
            }
        },
    )


class FakeCloudAPI(httpx.MockTransport):
    """Answers like graph.facebook.com; ``fail`` queues error responses for the next sends."""

    def __init__(self):
        self.sent: list[dict] = []
        self.requests: list[httpx.Request] = []
        self.fail: list[httpx.Response | Exception] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_failures = 0
        super().__init__(self.handle)

    def add_media(self, media_id: str, content: bytes, mime: str) -> str:
        self.media[media_id] = (content, mime)
        return base64.b64encode(hashlib.sha256(content).digest()).decode()

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith("/messages"):
            body = json.loads(request.content)
            if self.fail:
                failure = self.fail.pop(0)
                if isinstance(failure, Exception):
                    raise failure
                return failure
            self.sent.append(body)
            if body.get("status") == "read":
                return httpx.Response(200, json={"success": True})
            to = body.get("to") or body.get("recipient")
            return httpx.Response(
                200,
                json={
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to}],
                    "messages": [{"id": f"wamid.OUT{next(_ids)}"}],
                },
            )
        media_id = path.rstrip("/").rsplit("/", 1)[-1]
        if "/download/" in path or media_id in self.media:
            if self.media_failures:
                self.media_failures -= 1
                return meta_error(131000, "Something went wrong", 500)
            if "/download/" in path:
                content, mime = self.media[media_id]
                return httpx.Response(200, content=content, headers={"Content-Type": mime})
            content, mime = self.media[media_id]
            return httpx.Response(
                200,
                json={
                    "messaging_product": "whatsapp",
                    "id": media_id,
                    "mime_type": mime,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "file_size": len(content),
                    "url": f"https://lookaside.fbsbx.com/download/{media_id}",
                },
            )
        return meta_error(
            100, f"Unsupported get request. Object with ID '{media_id}' does not exist"
        )

    def texts(self) -> list[str]:
        return [b["text"]["body"] for b in self.sent if b.get("type") == "text"]
