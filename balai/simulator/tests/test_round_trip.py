"""Simulated residents talk to Balai through the real webhook, inbox, outbox and client."""

import base64
import hashlib

from balai.simulator.models import SimMessage
from balai.simulator.tests.base import PNG, SimulatorTestCase
from balai.whatsapp.models import InboundMessage, Media, OutboundMessage, StatusEvent


class TextRoundTripTest(SimulatorTestCase):
    def test_text_reaches_the_inbox_and_the_reply_comes_back(self):
        answer = self.say(text="halo")
        self.assertEqual(answer["webhook_status"], 200)
        inbound = InboundMessage.objects.get(wamid=answer["wamid"])
        self.assertEqual(inbound.type, "text")
        self.assertEqual(inbound.text, "halo")
        self.assertEqual(inbound.wa_id, self.WA_ID)
        self.assertEqual(inbound.resident, self.resident)
        self.assertEqual(inbound.state, InboundMessage.State.PROCESSED)

        reply = OutboundMessage.objects.exclude(kind="read").get()
        items = self.chat()
        self.assertEqual([i["direction"] for i in items], ["in", "out"])
        self.assertEqual(items[0]["wamid"], answer["wamid"])
        self.assertEqual(items[0]["payload"]["text"], {"body": "halo"})
        # The business marked it read (the read receipt reached the fake API).
        self.assertEqual(items[0]["status"], "read")
        # The out item is exactly what the sender POSTed.
        self.assertEqual(items[1]["payload"], reply.payload)
        self.assertEqual(items[1]["wamid"], reply.wamid)
        self.assertEqual(items[1]["status"], "delivered")
        # The status webhooks moved the outbox row.
        reply.refresh_from_db()
        self.assertEqual(reply.state, OutboundMessage.State.DELIVERED)
        self.assertIsNotNone(reply.sent_at)
        self.assertIsNotNone(reply.delivered_at)
        sent = StatusEvent.objects.get(wamid=reply.wamid, status="sent")
        self.assertEqual(sent.payload["recipient_id"], self.WA_ID)
        self.assertEqual(sent.payload["pricing"]["type"], "free_customer_service")
        self.assertTrue(sent.applied)


class InboundKindsTest(SimulatorTestCase):
    def test_button_reply_answers_the_last_message(self):
        self.say(text="halo")
        last_out = SimMessage.objects.filter(direction="out").last()
        answer = self.say(button_reply={"id": "menu-surat", "title": "Ajukan surat"})
        inbound = InboundMessage.objects.get(wamid=answer["wamid"])
        self.assertEqual(inbound.type, "interactive")
        self.assertEqual(inbound.reply_id, "menu-surat")
        self.assertEqual(inbound.text, "Ajukan surat")
        self.assertEqual(inbound.message["context"], {"from": "15550783881", "id": last_out.wamid})
        self.assertEqual(
            inbound.message["interactive"],
            {"type": "button_reply", "button_reply": {"id": "menu-surat", "title": "Ajukan surat"}},
        )

    def test_list_reply(self):
        answer = self.say(
            list_reply={"id": "surat-domisili", "title": "Surat domisili", "description": "Ket."}
        )
        inbound = InboundMessage.objects.get(wamid=answer["wamid"])
        self.assertEqual(inbound.message["interactive"]["type"], "list_reply")
        self.assertEqual(inbound.reply_id, "surat-domisili")
        self.assertEqual(inbound.message["interactive"]["list_reply"]["description"], "Ket.")
        self.assertNotIn("context", inbound.message)  # nothing was sent to this user before

    def test_image_is_downloaded_by_the_inbox(self):
        answer = self.say(
            image={
                "mime_type": "image/png",
                "data": base64.b64encode(PNG).decode(),
                "caption": "foto KTP",
            }
        )
        inbound = InboundMessage.objects.get(wamid=answer["wamid"])
        image = inbound.message["image"]
        self.assertEqual(image["caption"], "foto KTP")
        self.assertEqual(image["mime_type"], "image/png")
        self.assertEqual(image["sha256"], base64.b64encode(hashlib.sha256(PNG).digest()).decode())
        media = Media.objects.get(message=inbound)
        self.assertEqual(media.state, Media.State.STORED, media.error)
        self.assertEqual(media.media_id, image["id"])
        with media.file.open("rb") as f:
            self.assertEqual(f.read(), PNG)

    def test_document_keeps_its_filename(self):
        pdf = b"%PDF-1.4\n% simulator\n"
        answer = self.say(
            document={
                "mime_type": "application/pdf",
                "data": base64.b64encode(pdf).decode(),
                "filename": "kartu-keluarga.pdf",
            }
        )
        inbound = InboundMessage.objects.get(wamid=answer["wamid"])
        self.assertEqual(inbound.message["document"]["filename"], "kartu-keluarga.pdf")
        media = Media.objects.get(message=inbound)
        self.assertEqual(media.state, Media.State.STORED, media.error)
        self.assertEqual(media.filename, "kartu-keluarga.pdf")
        self.assertEqual(media.size, len(pdf))

    def test_location(self):
        answer = self.say(
            location={"latitude": -7.7169, "longitude": 110.8372, "name": "Balai Desa Pondok"}
        )
        inbound = InboundMessage.objects.get(wamid=answer["wamid"])
        self.assertEqual(inbound.type, "location")
        self.assertEqual(
            inbound.message["location"],
            {"latitude": -7.7169, "longitude": 110.8372, "name": "Balai Desa Pondok"},
        )

    def test_bsuid_only_resident(self):
        answer = self.say(**{"from": None, "user_id": "ID.1234567890", "text": "halo"})
        inbound = InboundMessage.objects.get(wamid=answer["wamid"])
        self.assertEqual(inbound.wa_id, "")
        self.assertEqual(inbound.user_id, "ID.1234567890")
        self.assertNotIn("from", inbound.message)
        self.assertEqual(inbound.message["from_user_id"], "ID.1234567890")
        self.assertEqual(inbound.resident.wa_user_id, "ID.1234567890")
        self.assertEqual(inbound.resident.phone, "")
        # The reply goes to the BSUID and shows up in that user's chat.
        items = self.chat(user_id="ID.1234567890")
        self.assertEqual([i["direction"] for i in items], ["in", "out"])
        self.assertEqual(items[1]["payload"]["recipient"], "ID.1234567890")
        self.assertNotIn("to", items[1]["payload"])
        self.assertEqual(items[1]["status"], "delivered")
        status = StatusEvent.objects.get(wamid=items[1]["wamid"], status="delivered")
        self.assertEqual(status.payload["recipient_user_id"], "ID.1234567890")


class ReadAndFailureTest(SimulatorTestCase):
    def test_reading_on_the_phone_sends_read_statuses(self):
        self.say(text="halo")
        reply = OutboundMessage.objects.exclude(kind="read").get()
        with self.round_trip():
            response = self.api("post", "read", {"wa_id": self.WA_ID, "village": self.PNID})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json(), {"read": 1})
        reply.refresh_from_db()
        self.assertEqual(reply.state, OutboundMessage.State.READ)
        self.assertIsNotNone(reply.read_at)
        self.assertEqual(self.chat()[1]["status"], "read")
        read = StatusEvent.objects.get(wamid=reply.wamid, status="read")
        self.assertNotIn("pricing", read.payload)
        # Nothing left unread.
        self.assertEqual(self.api("post", "read", {"wa_id": self.WA_ID}).json(), {"read": 0})

    def test_async_failure_fails_the_outbox_row(self):
        self.api("post", "faults", {"village": self.PNID, "kind": "async_failed", "count": 2})
        self.say(text="halo")  # the read receipt takes one fault, the reply the other
        reply = OutboundMessage.objects.exclude(kind="read").get()
        self.assertEqual(reply.state, OutboundMessage.State.FAILED)
        self.assertEqual(reply.last_error_code, 131026)
        self.assertTrue(reply.needs_attention)
        self.assertEqual(self.chat()[1]["status"], "failed")

    def test_expired_token_pauses_the_number(self):
        self.api("post", "faults", {"village": self.PNID, "kind": "token_expired", "count": -1})
        self.say(text="halo")
        self.number.refresh_from_db()
        self.assertTrue(self.number.is_paused)
        self.assertIn("190", self.number.paused_reason)
        reply = OutboundMessage.objects.exclude(kind="read").get()
        self.assertEqual(reply.state, OutboundMessage.State.QUEUED)
        self.assertEqual(len(self.chat()), 1)  # nothing reached the phone
