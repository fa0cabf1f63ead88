"""Status webhooks after accepted sends: one task and one webhook per state for a burst."""

import json

import httpx

from balai.lib.http import use_transport
from balai.simulator.models import SimDelivery, SimMessage
from balai.simulator.tests.base import SimulatorTestCase
from balai.test import in_process_app
from balai.whatsapp import messages as build
from balai.whatsapp.models import StatusEvent

URL = "/simulator/graph/v25.0/106540352242922/messages"


class Recording(httpx.WSGITransport):
    """The in-process app, keeping the bodies of the webhooks it is sent."""

    def __init__(self):
        super().__init__(app=in_process_app)
        self.webhooks: list[dict] = []

    def handle_request(self, request):
        if request.url.path.startswith("/whatsapp/webhook"):
            self.webhooks.append(json.loads(request.read()))
        return super().handle_request(request)


def statuses(webhook: dict) -> list[str]:
    return [s["status"] for s in webhook["entry"][0]["changes"][0]["value"]["statuses"]]


class DeliveryTest(SimulatorTestCase):
    def send(self, text):
        response = self.client.post(
            URL,
            {"messaging_product": "whatsapp", "to": self.WA_ID, **build.text(text)[1]},
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer simulator",
        )
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()["messages"][0]["id"]

    def run_queued(self, queued):
        transport = Recording()
        with use_transport(transport), self.captureOnCommitCallbacks(execute=True):
            for callback in queued:
                callback()
        return transport.webhooks

    def test_a_burst_of_sends_queues_one_task_and_shares_the_webhooks(self):
        with self.captureOnCommitCallbacks() as queued:
            wamids = [self.send(text) for text in ("satu", "dua", "tiga")]
        self.assertEqual(len(queued), 1)  # the others found the task already queued
        self.assertTrue(SimDelivery.objects.get(phone_number_id=self.PNID).scheduled)
        webhooks = self.run_queued(queued)
        self.assertEqual([statuses(w) for w in webhooks], [["sent"] * 3, ["delivered"] * 3])
        ids = [s["id"] for s in webhooks[0]["entry"][0]["changes"][0]["value"]["statuses"]]
        self.assertEqual(ids, wamids)
        self.assertEqual(set(SimMessage.objects.values_list("status", flat=True)), {"delivered"})
        self.assertEqual(StatusEvent.objects.filter(wamid__in=wamids).count(), 6)
        self.assertFalse(SimDelivery.objects.get(phone_number_id=self.PNID).scheduled)

    def test_a_send_after_the_task_ran_queues_a_new_one(self):
        with self.captureOnCommitCallbacks() as first:
            self.send("satu")
        self.run_queued(first)
        with self.captureOnCommitCallbacks() as second:
            wamid = self.send("dua")
        self.assertEqual(len(second), 1)
        webhooks = self.run_queued(second)
        self.assertEqual([statuses(w) for w in webhooks], [["sent"], ["delivered"]])
        self.assertEqual(SimMessage.objects.get(wamid=wamid).status, "delivered")

    def test_failing_and_read_messages_get_only_what_they_still_need(self):
        self.api("post", "faults", {"village": self.PNID, "kind": "async_failed", "count": 1})
        with self.captureOnCommitCallbacks() as queued:
            failing = self.send("gagal")
            read = self.send("sudah dibaca")
        # Read on the phone before the task ran: no sent or delivered after it.
        SimMessage.objects.filter(wamid=read).update(status="read")
        webhooks = self.run_queued(queued)
        self.assertEqual([statuses(w) for w in webhooks], [["failed"]])
        error = webhooks[0]["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"][0]
        self.assertEqual(error["code"], 131026)
        self.assertEqual(SimMessage.objects.get(wamid=failing).status, "failed")
        self.assertEqual(SimMessage.objects.get(wamid=read).status, "read")
