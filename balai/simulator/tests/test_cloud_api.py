"""The fake Cloud API answers Balai's real client the way Meta does."""

import copy
import hashlib
import time

from django.conf import settings

from balai.simulator.models import SimFault, SimMedia, SimMessage
from balai.simulator.tests.base import PNG, SimulatorTestCase
from balai.whatsapp import messages as build
from balai.whatsapp.client import CloudAPI, CloudAPIError

URL = "/simulator/graph/v25.0/106540352242922/messages"
AUTH = {"HTTP_AUTHORIZATION": "Bearer simulator"}


def body(**fields):
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        **fields,
    }


class SendTest(SimulatorTestCase):
    def post(self, payload, **headers):
        return self.client.post(
            URL, payload, content_type="application/json", **(headers if headers else AUTH)
        )

    def error(self, payload, status=400):
        response = self.post(payload)
        self.assertEqual(response.status_code, status, response.content)
        error = response.json()["error"]
        self.assertEqual(set(error), {"message", "type", "code", "error_data", "fbtrace_id"})
        self.assertEqual(error["type"], "OAuthException")
        self.assertTrue(error["message"].startswith(f"(#{error['code']}) "))
        self.assertEqual(error["error_data"]["messaging_product"], "whatsapp")
        return error

    def test_accepted_message_answer_and_record(self):
        payload = body(**build.text("Halo *Siti*")[1])
        with self.round_trip():
            response = self.post(payload)
        self.assertEqual(response.status_code, 200)
        stored = SimMessage.objects.get()
        self.assertEqual(
            response.json(),
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": "6281234567890", "wa_id": "6281234567890"}],
                "messages": [{"id": stored.wamid}],
            },
        )
        self.assertTrue(stored.wamid.startswith("wamid.SIM"))
        self.assertEqual(stored.payload, payload)
        self.assertEqual(stored.direction, "out")
        self.assertEqual(stored.status, "delivered")  # sent, then delivered webhooks

    def test_input_keeps_the_plus_and_bsuid_recipients(self):
        response = self.post({**body(**build.text("x")[1]), "to": "+6281234567890"})
        self.assertEqual(
            response.json()["contacts"], [{"input": "+6281234567890", "wa_id": "6281234567890"}]
        )
        payload = {
            **build.text("x")[1],
            "messaging_product": "whatsapp",
            "recipient": "ID.1234567890",
        }
        response = self.post(payload)
        self.assertEqual(
            response.json()["contacts"], [{"input": "ID.1234567890", "wa_id": "ID.1234567890"}]
        )
        self.assertEqual(SimMessage.objects.last().user_id, "ID.1234567890")

    def test_authorization_and_unknown_number(self):
        response = self.client.post(
            URL, body(**build.text("x")[1]), content_type="application/json"
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"]["code"], 190)
        response = self.client.post(
            "/simulator/graph/v25.0/999/messages",
            body(**build.text("x")[1]),
            content_type="application/json",
            **AUTH,
        )
        self.assertEqual(response.status_code, 400)
        error = response.json()["error"]
        self.assertEqual(error["code"], 100)
        self.assertIn(
            "Unsupported post request. Object with ID '999' does not exist", error["message"]
        )
        self.number.is_simulated = False
        self.number.save()
        response = self.post(body(**build.text("x")[1]))
        self.assertEqual(response.json()["error"]["code"], 100)

    def test_validation_errors_name_the_field(self):
        four = [
            {"type": "reply", "reply": {"id": f"b{i}", "title": f"Pilihan {i}"}} for i in range(4)
        ]
        button = build.buttons("Pilih", [("a", "Satu"), ("b", "Dua")])[1]
        rows = [(f"r{i}", f"Baris {i}") for i in range(10)]
        a_list = build.list_message("Pilih", "Lihat", [("Surat", rows)])[1]

        def tweak(payload, path, value):
            payload = copy.deepcopy(payload)
            target = payload
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
            return payload

        cases = [
            (
                {"to": "6281234567890", "type": "text", "text": {"body": "x"}},
                100,
                "messaging_product",
            ),
            (body(type="text", text={"body": "x" * 5000}), 131009, "text.body"),
            (body(type="text", text={"body": ""}), 131009, "text.body"),
            (body(type="text"), 100, "text"),
            (body(type="hologram"), 100, "type"),
            ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, 100, "to"),
            (
                body(**tweak(button, ["interactive", "action", "buttons"], four)),
                131009,
                "interactive.action.buttons",
            ),
            (
                body(
                    **tweak(
                        button, ["interactive", "action", "buttons", 0, "reply", "title"], "x" * 21
                    )
                ),
                131009,
                "reply.title",
            ),
            (
                body(**tweak(button, ["interactive", "action", "buttons", 1, "reply", "id"], "a")),
                131009,
                "reply.id",
            ),
            (
                body(
                    **tweak(
                        a_list,
                        ["interactive", "action", "sections", 0, "rows"],
                        [{"id": f"r{i}", "title": "t"} for i in range(11)],
                    )
                ),
                131009,
                "interactive.action.sections",
            ),
            (
                body(**tweak(a_list, ["interactive", "action", "button"], "x" * 21)),
                131009,
                "interactive.action.button",
            ),
            (
                body(
                    **tweak(
                        a_list,
                        ["interactive", "action", "sections", 0, "rows", 0, "title"],
                        "x" * 25,
                    )
                ),
                131009,
                "rows[0].title",
            ),
            (
                body(
                    **tweak(a_list, ["interactive", "action", "sections", 0, "rows", 1, "id"], "r0")
                ),
                131009,
                "rows[1].id",
            ),
            (body(**tweak(a_list, ["interactive", "body"], {})), 100, "interactive.body.text"),
            (
                body(type="image", image={"link": "https://x.invalid/a.jpg", "id": "1"}),
                131009,
                "image",
            ),
            (body(type="document", document={"caption": "x"}), 131009, "document"),
            (body(type="location", location={"latitude": 1}), 100, "location.longitude"),
            (
                body(type="location", location={"latitude": 91, "longitude": 1}),
                131009,
                "location.latitude",
            ),
            (body(type="template", template={"name": "x"}), 100, "template.language"),
            (
                body(type="template", template={"name": "x", "language": {}}),
                100,
                "template.language.code",
            ),
        ]
        for payload, code, field in cases:
            with self.subTest(field=field, code=code):
                error = self.error(payload)
                self.assertEqual(error["code"], code)
                self.assertIn(field, error["error_data"]["details"])
        self.assertFalse(SimMessage.objects.exists())

    def test_every_builder_is_accepted(self):
        bodies = [
            build.text("Halo"),
            build.buttons("Pilih", [("a", "Satu"), ("b", "Dua"), ("c", "Tiga")], footer="Desa"),
            build.list_message("Pilih", "Lihat", [("Surat", [("r1", "Domisili", "Ket.")])]),
            build.image(link="https://example.invalid/a.jpg", caption="x"),
            build.document(media_id="123", filename="a.pdf"),
            build.location(-7.7, 110.8, name="Balai"),
            build.template("balai_kabar_baru", "id", ["Siti", "Pondok"]),
        ]
        for _kind, payload in bodies:
            with self.subTest(kind=_kind):
                self.assertEqual(self.post(body(**payload)).status_code, 200)


class MarkReadTest(SimulatorTestCase):
    def test_mark_read(self):
        answer = self.say(text="halo")  # the inbox marks it read on its own
        SimMessage.objects.filter(wamid=answer["wamid"]).update(status="sent")
        response = self.client.post(
            URL, build.read_receipt(answer["wamid"]), content_type="application/json", **AUTH
        )
        self.assertEqual(response.json(), {"success": True})
        self.assertEqual(SimMessage.objects.get(wamid=answer["wamid"]).status, "read")
        response = self.client.post(
            URL, build.read_receipt("wamid.NOPE"), content_type="application/json", **AUTH
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["code"], 100)


class FaultTest(SimulatorTestCase):
    def fault(self, kind, count=1, delay=None):
        payload = {"village": self.PNID, "kind": kind, "count": count}
        if delay is not None:
            payload["delay"] = delay
        response = self.api("post", "faults", payload)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def send(self):
        return CloudAPI(self.number).send(body(**build.text("x")[1]))

    def test_each_fault_answers_like_meta(self):
        expected = {
            "rate_limit": (429, 130429),
            "pair_limit": (400, 131056),
            "outside_window": (400, 131047),
            "undeliverable": (400, 131026),
            "server_error": (500, 131000),
            "token_expired": (401, 190),
        }
        for kind, (status, code) in expected.items():
            with self.subTest(kind=kind):
                self.fault(kind)
                with self.assertRaises(CloudAPIError) as caught:
                    self.send()
                self.assertEqual(
                    (caught.exception.http_status, caught.exception.code), (status, code)
                )
                self.assertTrue(caught.exception.details)
        self.send()  # all used up: the next send goes through
        self.assertEqual(SimMessage.objects.count(), 1)

    def test_outside_window_message(self):
        self.fault("outside_window")
        with self.assertRaises(CloudAPIError) as caught:
            self.send()
        self.assertEqual(caught.exception.message, "(#131047) Re-engagement message")
        self.assertEqual(CloudAPI(self.number).send(body(**build.text("x")[1]))[:9], "wamid.SIM")

    def test_until_cleared_and_order(self):
        self.fault("server_error", count=-1)
        self.fault("rate_limit")
        for _ in range(3):
            with self.assertRaises(CloudAPIError) as caught:
                self.send()
            self.assertEqual(caught.exception.code, 131000)  # the oldest fault first
        self.assertEqual(
            self.api("get", "faults", {"village": self.PNID}).json()["faults"][0]["remaining"], -1
        )
        response = self.client.delete(f"/simulator/api/faults?village={self.PNID}")
        self.assertEqual(response.json(), {"deleted": 2})
        self.assertFalse(SimFault.objects.exists())
        self.send()

    def test_faults_are_per_number(self):
        self.fault("server_error")
        CloudAPI(self.other_number).send(body(**build.text("x")[1]))

    def test_slow_and_timeout_answer_after_the_delay(self):
        for kind in ("slow", "timeout"):
            with self.subTest(kind=kind):
                self.fault(kind, delay=0.05)
                started = time.monotonic()
                self.assertTrue(self.send().startswith("wamid.SIM"))
                self.assertGreaterEqual(time.monotonic() - started, 0.05)

    def test_timeout_default_outlasts_the_client(self):
        fault = self.fault("timeout")
        self.assertGreater(fault["delay"], settings.WHATSAPP_HTTP_TIMEOUT)


class PhoneAndMediaTest(SimulatorTestCase):
    def test_phone_info(self):
        info = CloudAPI(self.number).phone_info()
        self.assertEqual(
            info,
            {
                "display_phone_number": "15550783881",
                "verified_name": "Desa Pondok",
                "quality_rating": "GREEN",
                "throughput": {"level": "STANDARD"},
                "id": "106540352242922",
            },
        )
        response = self.client.get(
            "/simulator/graph/v25.0/106540352242922", {"fields": "nope"}, **AUTH
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["code"], 100)
        self.assertEqual(self.client.get("/simulator/graph/v25.0/106540352242922").status_code, 401)
        self.assertEqual(self.client.get("/simulator/graph/v25.0/42", **AUTH).status_code, 400)

    def test_upload_info_and_download(self):
        client = CloudAPI(self.number)
        media_id = client.upload(PNG, "image/png", "ktp.png")
        media = SimMedia.objects.get(media_id=media_id)
        self.assertEqual(media.filename, "ktp.png")
        info = client.media_info(media_id)
        self.assertEqual(info["url"], f"http://127.0.0.1:8000/simulator/media/{media_id}")
        self.assertEqual(
            (info["mime_type"], info["file_size"], info["id"]), ("image/png", len(PNG), media_id)
        )
        self.assertEqual(info["sha256"], hashlib.sha256(PNG).hexdigest())
        self.assertEqual(client.download(info["url"], max_bytes=1000), PNG)
        # The media URL needs the token, like Meta's.
        self.assertEqual(self.client.get(f"/simulator/media/{media_id}").status_code, 401)
        self.assertEqual(self.client.get("/simulator/media/1", **AUTH).status_code, 404)

    def test_upload_limits(self):
        with self.assertRaises(CloudAPIError) as caught:
            CloudAPI(self.number).upload(b"x" * (5 << 20 | 1), "image/jpeg", "big.jpg")
        self.assertEqual(caught.exception.code, 131053)
