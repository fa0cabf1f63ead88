"""The simulator round trip in one process: Balai's real sender, webhook and workers talk
to the fake Cloud API over HTTP, routed through the project's HTTP seam into Django's own
WSGI application."""

import base64

import httpx
from django.test import override_settings

from balai.lib.http import use_transport
from balai.test import ChannelTestCase, in_process_app

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class SimulatorTestCase(ChannelTestCase):
    PNID = "106540352242922"
    WA_ID = "6281234567890"  # Siti Aminah, self.resident

    HANDLER = "balai.whatsapp.inbox.acknowledge"

    def setUp(self):
        super().setUp()
        self.enterContext(use_transport(httpx.WSGITransport(app=in_process_app)))
        self.enterContext(override_settings(WHATSAPP_MESSAGE_HANDLER=self.HANDLER))

    def round_trip(self):
        """Run everything enqueued (the test task backend is immediate, after commit)."""
        return self.captureOnCommitCallbacks(execute=True)

    def say(self, **content):
        """A simulated resident sends a message; return the JSON API's answer."""
        body = {"village": self.PNID, "from": self.WA_ID, "name": "Siti", **content}
        if body.get("from") is None:
            body.pop("from")
        with self.round_trip():
            response = self.client.post(
                "/simulator/api/messages", body, content_type="application/json"
            )
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def chat(self, **query):
        query = query or {"wa_id": self.WA_ID}
        response = self.client.get("/simulator/api/messages", query)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()["messages"]

    def api(self, method, path, body=None):
        return getattr(self.client, method)(
            f"/simulator/api/{path}", body, content_type="application/json"
        )
