import contextlib

from django.test import override_settings

from balai.lib.http import use_transport
from balai.test import ChannelTestCase
from balai.whatsapp.tests.meta import FakeCloudAPI, envelope, signed


class WebhookTestCase(ChannelTestCase):
    """Posts signed webhooks; tasks run (immediate backend) once the request commits, and
    every outbound call goes to a fake Cloud API speaking Meta's formats."""

    HANDLER = "balai.whatsapp.inbox.acknowledge"

    def setUp(self):
        super().setUp()
        self.meta = FakeCloudAPI()
        stack = contextlib.ExitStack()
        stack.enter_context(use_transport(self.meta))
        # The channel's own tests answer with the plain receipt, not the conversation engine.
        stack.enter_context(override_settings(WHATSAPP_MESSAGE_HANDLER=self.HANDLER))
        self.addCleanup(stack.close)

    def post(self, body, **headers):
        raw, signature = signed(body)
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                "/whatsapp/webhook",
                raw,
                content_type="application/json",
                **{**signature, **headers},
            )

    def receive(self, *messages, **kwargs):
        response = self.post(envelope(*messages, **kwargs))
        self.assertEqual(response.status_code, 200)
        return response
