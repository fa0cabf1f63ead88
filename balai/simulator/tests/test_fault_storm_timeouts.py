"""A storm of transport faults from the Cloud API, beyond the Graph errors of
``test_fault_storm``: timeouts (before the request arrived, and after Meta had already accepted
the message), connections dropped without an answer, and 5xx/429 answers that are not Graph
JSON (a proxy's HTML 502, a bare 429).

Every reply and read receipt ends ``sent`` (all these faults are transient), none is failed,
and a reply reaches the API more than once only when a timeout hid that the API had accepted
it (Meta has no idempotency key; docs/whatsapp.md, "Duplicates") — once per such timeout.

The faults are injected at Balai's HTTP seam (``balai.lib.http.use_transport``), so the real
sender, retry policy and sweeper run unchanged and no test waits for a real timeout.
"""

import datetime as dt
import random
from collections import Counter

import httpx
from django.test import override_settings
from django.utils import timezone

from balai.lib.http import use_transport
from balai.test import ChannelTestCase
from balai.whatsapp.models import InboundMessage, OutboundMessage
from balai.whatsapp.sweep import sweep_whatsapp
from balai.whatsapp.tests.meta import FakeCloudAPI, envelope, message, meta_error, signed

RESIDENTS = 30
FAULTS = [
    "timeout_after_accept",
    "timeout_before",
    "dropped",
    "html_502",
    "bare_429",
    "graph_500",
    "graph_429",
]


class StormAPI(FakeCloudAPI):
    """The fake Cloud API, with a transport fault on a share of the /messages requests."""

    def __init__(self, seed: int, share: float):
        super().__init__()
        self.rng = random.Random(seed)
        self.share = share
        self.injected = Counter()
        self.hidden_accepts = Counter()  # recipient -> text sends accepted behind a timeout

    def handle(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/messages") or self.rng.random() >= self.share:
            return super().handle(request)
        fault = self.rng.choice(FAULTS)
        self.injected[fault] += 1
        if fault == "timeout_after_accept":
            super().handle(request)  # Meta took it; the answer never came back
            body = self.sent[-1]
            if body.get("type") == "text":
                self.hidden_accepts[body["to"]] += 1
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "timeout_before":
            raise httpx.ConnectTimeout("timed out", request=request)
        if fault == "dropped":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response")
        if fault == "html_502":
            return httpx.Response(502, text="<html><h1>502 Bad Gateway</h1></html>")
        if fault == "bare_429":
            return httpx.Response(429, text="Too Many Requests")
        if fault == "graph_500":
            return meta_error(131000, "Something went wrong", 500)
        return meta_error(130429, "Rate limit hit", 429)


class TimeoutStormTest(ChannelTestCase):
    def setUp(self):
        super().setUp()
        self.api = StormAPI(seed=11, share=0.45)
        self.enterContext(use_transport(self.api))
        self.enterContext(
            override_settings(
                WHATSAPP_MESSAGE_HANDLER="balai.whatsapp.inbox.acknowledge",
                WHATSAPP_MAX_SEND_ATTEMPTS=30,  # the storm is long; nothing may fail for good
            )
        )

    def receive(self, phone: str, wamid: str):
        raw, headers = signed(envelope(message("text", wamid=wamid, wa_id=phone)))
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/whatsapp/webhook", raw, content_type="application/json", **headers
            )
        self.assertEqual(response.status_code, 200)

    def test_timeouts_drops_and_bare_5xx(self):
        phones = [f"62858{i:08d}" for i in range(RESIDENTS)]
        for i, phone in enumerate(phones):
            self.receive(phone, f"wamid.TSTORM{i:03d}")

        for _round in range(60):
            waiting = OutboundMessage.objects.filter(state__in=["queued", "sending"])
            if not waiting.exists():
                break
            # Time passes: backoffs come due; a row left in "sending" by a timeout is not
            # (the sender records every error it sees), so the 5-minute window stays shut.
            waiting.filter(state="queued").update(
                next_attempt_at=timezone.now() - dt.timedelta(minutes=1)
            )
            with self.captureOnCommitCallbacks(execute=True):
                sweep_whatsapp.call()
        else:
            self.fail("messages still waiting after 60 rounds")

        # Every kind of fault happened, and every message ended sent.
        self.assertEqual(set(self.api.injected), set(FAULTS), self.api.injected)
        self.assertEqual(InboundMessage.objects.filter(state="processed").count(), RESIDENTS)
        states = Counter(OutboundMessage.objects.values_list("kind", "state"))
        failed = list(
            OutboundMessage.objects.filter(state="failed").values_list("kind", "last_error")
        )
        self.assertEqual(states, {("text", "sent"): RESIDENTS, ("read", "sent"): RESIDENTS}, failed)
        self.assertTrue(OutboundMessage.objects.filter(attempts__gt=1).exists())
        # Each reply reached the API once, plus once for each timeout that hid an acceptance.
        accepted = Counter(b["to"] for b in self.api.sent if b.get("type") == "text")
        for phone in phones:
            self.assertEqual(accepted[phone], 1 + self.api.hidden_accepts[phone], phone)
        self.assertEqual(sum(accepted.values()) - RESIDENTS, sum(self.api.hidden_accepts.values()))
