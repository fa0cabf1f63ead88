"""The JSON API refuses bad input clearly; the chat page and its files; the URL switch."""

import base64
import importlib.util
import re

from django.test import TestCase
from django.urls import Resolver404, URLResolver
from django.urls.resolvers import RegexPattern

from balai.simulator.models import SimFault, SimMedia, SimMessage
from balai.simulator.tests.base import PNG, SimulatorTestCase


class BadInputTest(SimulatorTestCase):
    def assertBad(self, response, fragment):
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn(fragment, response.json()["error"])

    def send(self, payload):
        return self.client.post("/simulator/api/messages", payload, content_type="application/json")

    def test_messages(self):
        ok = {"village": self.PNID, "from": self.WA_ID, "name": "Siti"}
        cases = [
            ("not json", "must be JSON"),
            ([1, 2], "JSON object"),
            ({**ok, "text": "x", "village": "999"}, "no simulated WhatsApp number"),
            ({**ok, "text": "x", "village": None}, '"village" is required'),
            (ok, "nothing to send"),
            ({**ok, "text": "x", "location": {"latitude": 1, "longitude": 1}}, "only one"),
            ({**ok, "text": "x", "from": "12ab"}, '"from"'),
            ({"village": self.PNID, "text": "x"}, 'give "from"'),
            ({**ok, "text": "x", "user_id": "not-a-bsuid"}, '"user_id"'),
            ({**ok, "image": {"mime_type": "image/png", "data": "!!!"}}, "not valid base64"),
            ({**ok, "image": {"mime_type": "application/pdf", "data": "AAAA"}}, "image type"),
            ({**ok, "document": "x"}, '"document" must be an object'),
            ({**ok, "button_reply": {"id": "a"}}, '"title" is required'),
            ({**ok, "location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
            ({**ok, "location": {"latitude": "x", "longitude": 0}}, "location.latitude"),
            ({**ok, "text": "x", "reply_to": "wamid.NOPE"}, "reply_to"),
        ]
        for payload, fragment in cases:
            with self.subTest(fragment=fragment):
                if isinstance(payload, str):
                    response = self.client.post(
                        "/simulator/api/messages", payload, content_type="application/json"
                    )
                else:
                    response = self.send(payload)
                self.assertBad(response, fragment)
        self.assertFalse(SimMessage.objects.exists())
        self.assertFalse(SimMedia.objects.exists())

    def test_other_endpoints(self):
        self.assertBad(self.client.get("/simulator/api/messages"), "wa_id")
        self.assertBad(self.client.get("/simulator/api/messages", {"wa_id": "x"}), "wa_id")
        self.assertBad(self.api("post", "read", {}), "wa_id")
        self.assertBad(
            self.api("post", "faults", {"village": self.PNID, "kind": "meteor"}), '"kind"'
        )
        self.assertBad(
            self.api("post", "faults", {"village": self.PNID, "kind": "slow", "count": 0}),
            '"count"',
        )
        self.assertBad(
            self.api("post", "faults", {"village": self.PNID, "kind": "slow", "delay": 999}),
            '"delay"',
        )
        self.assertBad(self.client.delete("/simulator/api/faults?village=999"), "999")
        self.assertBad(self.api("post", "reset", {"wa_id": "x"}), "wa_id")
        self.assertEqual(self.client.put("/simulator/api/messages").status_code, 405)

    def test_webhook_failure_is_reported(self):
        with self.settings(WHATSAPP_APP_SECRET=""):  # the webhook answers 503
            answer = self.say(text="halo")
        self.assertEqual(answer["webhook_status"], 503)
        self.assertIn("503", answer["webhook_error"])
        self.assertEqual(self.chat()[0]["error"]["webhook_status"], 503)


class ResetTest(SimulatorTestCase):
    def test_reset_one_user_or_everything(self):
        self.say(text="halo")
        self.say(**{"from": "6281999888777", "text": "halo"})
        SimFault.objects.create(phone_number_id=self.PNID, kind="slow")
        SimMedia.objects.create(
            phone_number_id=self.PNID, mime_type="image/png", sha256="0", data=PNG
        )
        response = self.api("post", "reset", {"wa_id": self.WA_ID})
        self.assertEqual(response.json(), {"deleted": {"messages": 2}})
        self.assertEqual(self.chat(), [])
        self.assertEqual(len(self.chat(wa_id="6281999888777")), 2)
        # No body: everything.
        response = self.client.post("/simulator/api/reset", content_type="application/json")
        self.assertEqual(response.json(), {"deleted": {"messages": 2, "media": 1, "faults": 1}})


class PageTest(SimulatorTestCase):
    def test_chat_page(self):
        response = self.client.get("/simulator/")
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        self.assertIn("Pondok", page)
        self.assertIn("Tigawasa", page)
        self.assertIn('value="6281234567890"', page)
        self.assertIn('value="Siti"', page)
        self.assertIn("Bagikan lokasi", page)
        self.assertIn("simulator/chat.js", page)
        self.assertNotIn("onclick", page)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        self.assertIn(f'nonce="{nonce.group(1)}"', page)

    def test_chosen_chat_and_templates(self):
        from balai.whatsapp.models import Template

        Template.objects.create(village=self.other_village, name="kabar", body="Halo {{1}}")
        response = self.client.get(
            "/simulator/",
            {
                "village": self.other_number.phone_number_id,
                "wa_id": "6281999888777",
                "name": "Wayan",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-village="106540352242923"')
        self.assertContains(response, 'data-wa-id="6281999888777"')
        self.assertContains(response, "Halo {{1}}")

    def test_bad_choices_fall_back(self):
        response = self.client.get("/simulator/", {"village": "999", "wa_id": "abc"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "bukan nomor simulator")
        self.assertContains(response, 'data-wa-id="6281234567890"')

    def test_files_for_the_page(self):
        image = SimMedia.objects.create(
            phone_number_id=self.PNID, mime_type="image/png", sha256="0", data=PNG
        )
        response = self.client.get(f"/simulator/files/{image.media_id}")
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(response.content, PNG)
        page = SimMedia.objects.create(
            phone_number_id=self.PNID,
            mime_type="text/html",
            sha256="0",
            filename="x.html",
            data=b"<script>alert(1)</script>",
        )
        response = self.client.get(f"/simulator/files/{page.media_id}")
        self.assertEqual(response["Content-Type"], "application/octet-stream")
        self.assertTrue(response["Content-Disposition"].startswith("attachment"))
        self.assertEqual(self.client.get("/simulator/files/1").status_code, 404)

    def test_photo_sent_from_the_page_shows_up(self):
        answer = self.say(image={"mime_type": "image/png", "data": base64.b64encode(PNG).decode()})
        media_id = self.chat()[0]["payload"]["image"]["id"]
        self.assertTrue(answer["wamid"])
        self.assertEqual(self.client.get(f"/simulator/files/{media_id}").content, PNG)


class NotMountedTest(TestCase):
    def build_urlconf(self):
        """Run balai/urls.py afresh, as a new module object (the cached one is untouched)."""
        spec = importlib.util.find_spec("balai.urls")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return URLResolver(RegexPattern(r"^/"), module)

    def test_simulator_is_mounted_only_when_enabled(self):
        paths = ["/simulator/", "/simulator/api/messages", "/simulator/graph/v25.0/1/messages"]
        with self.settings(SIMULATOR_ENABLED=False):
            resolver = self.build_urlconf()
        for path in paths:
            with self.subTest(path=path), self.assertRaises(Resolver404):
                resolver.resolve(path)
        resolver.resolve("/whatsapp/webhook")  # the rest is there
        with self.settings(SIMULATOR_ENABLED=True):
            resolver = self.build_urlconf()
        for path in paths:
            resolver.resolve(path)
