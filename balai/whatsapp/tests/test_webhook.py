import json

from django.test import override_settings

from balai.residents.models import Resident
from balai.whatsapp.models import (
    Contact,
    InboundMessage,
    StatusEvent,
    WebhookProblem,
)
from balai.whatsapp.tests.base import WebhookTestCase
from balai.whatsapp.tests.meta import PAYLOADS, envelope, message, signed, status

SILENT = {"reaction", "unreaction", "edit", "revoke", "system_number_change"}


class HandshakeTest(WebhookTestCase):
    def test_right_token_echoes_the_challenge(self):
        response = self.client.get(
            "/whatsapp/webhook",
            {
                "hub.mode": "subscribe",
                "hub.verify_token": "test-verify-token-0123456789",
                "hub.challenge": "1158201444",
            },
        )
        self.assertEqual((response.status_code, response.content), (200, b"1158201444"))

    def test_wrong_token_or_mode_is_forbidden(self):
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "meatyhamhock", "hub.challenge": "1"},
            {
                "hub.mode": "unsubscribe",
                "hub.verify_token": "test-verify-token-0123456789",
                "hub.challenge": "1",
            },
            {},
        ):
            self.assertEqual(self.client.get("/whatsapp/webhook", params).status_code, 403)


class SignatureTest(WebhookTestCase):
    def test_missing_signature_is_401_and_nothing_is_stored(self):
        body = json.dumps(envelope(message("text")))
        response = self.client.post("/whatsapp/webhook", body, content_type="application/json")
        self.assertEqual(response.status_code, 401)
        self.assertFalse(InboundMessage.objects.exists())
        self.assertFalse(WebhookProblem.objects.exists())

    def test_wrong_signature_is_403_and_nothing_is_stored(self):
        raw, _ = signed(envelope(message("text")))
        for header in ["sha256=" + "0" * 64, "sha1=abc", "garbage", "", "sha256=\xe9" * 9]:
            response = self.client.post(
                "/whatsapp/webhook",
                raw,
                content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=header or " ",
            )
            self.assertIn(response.status_code, {401, 403}, header)
        # Signed with another app's secret, or over different bytes (re-serialised JSON).
        from balai.whatsapp.webhook import sign

        other = sign(raw, "some-other-app-secret")
        self.assertEqual(
            self.client.post(
                "/whatsapp/webhook",
                raw,
                content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=other,
            ).status_code,
            403,
        )
        reserialised = json.dumps(json.loads(raw), indent=1).encode()
        self.assertEqual(
            self.client.post(
                "/whatsapp/webhook",
                reserialised,
                content_type="application/json",
                HTTP_X_HUB_SIGNATURE_256=sign(raw),
            ).status_code,
            403,
        )
        self.assertFalse(InboundMessage.objects.exists())

    def test_bodies_over_3_mb_are_refused(self):
        raw = b'{"object": "' + b"x" * (3 * 1024 * 1024) + b'"}'
        _, headers = signed(raw)
        response = self.client.post(
            "/whatsapp/webhook", raw, content_type="application/json", **headers
        )
        self.assertEqual(response.status_code, 413)
        self.assertFalse(WebhookProblem.objects.exists())

    @override_settings(WHATSAPP_APP_SECRET="")
    def test_without_an_app_secret_nothing_is_accepted(self):
        raw = json.dumps(envelope(message("text"))).encode()
        response = self.client.post(
            "/whatsapp/webhook",
            raw,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256="sha256=00",
        )
        self.assertEqual(response.status_code, 503)
        self.assertFalse(InboundMessage.objects.exists())


class IngestTest(WebhookTestCase):
    def test_every_documented_type_is_stored_processed_and_answered_or_kept(self):
        for kind in PAYLOADS:
            if kind.startswith("_"):
                continue
            with self.subTest(kind=kind):
                self.meta.sent.clear()
                element = message(kind)
                self.receive(element)
                stored = InboundMessage.objects.get(wamid=element["id"])
                self.assertEqual(stored.state, "processed", stored.error)
                self.assertEqual(stored.message, element)
                self.assertEqual(stored.resident.village, self.village)
                reads = [b for b in self.meta.sent if b.get("status") == "read"]
                replies = self.meta.texts()
                if kind in SILENT:
                    self.assertEqual((reads, replies), ([], []))
                else:
                    self.assertEqual(reads[0]["message_id"], element["id"])
                    self.assertEqual(reads[0]["typing_indicator"], {"type": "text"})
                    self.assertEqual(len(replies), 1)
                    expected = (
                        "belum bisa kami baca"
                        if kind in {"unsupported", "unknown_type"}
                        else "sudah kami terima"
                    )
                    self.assertIn(expected, replies[0])

    def test_text_and_replies_are_understood(self):
        self.receive(
            message("text"),
            message("button_reply"),
            message("list_reply"),
            message("template_quick_reply"),
        )
        texts = {m.type + m.reply_id: m.text for m in InboundMessage.objects.all()}
        self.assertEqual(
            texts,
            {
                "text": "sy mw bkin srt domisili gmn y",
                "interactivemenu-surat": "Ajukan surat",
                "interactivesurat-domisili": "Surat domisili",
                "buttonBERHENTI": "Berhenti",
            },
        )

    def test_redelivered_webhook_is_processed_once(self):
        body = envelope(message("text", wamid="wamid.ONCE"))
        for _ in range(3):
            self.assertEqual(self.post(body).status_code, 200)
        self.assertEqual(InboundMessage.objects.filter(wamid="wamid.ONCE").count(), 1)
        self.assertEqual(len(self.meta.texts()), 1)

    def test_known_resident_is_matched_by_phone_and_window_opens(self):
        self.receive(message("text", wa_id="6281234567890"))
        self.assertEqual(InboundMessage.objects.get().resident, self.resident)
        self.assertEqual(Resident.objects.filter(village=self.village).count(), 1)
        contact = Contact.objects.get(resident=self.resident)
        self.assertTrue(contact.window_open())
        self.assertEqual(contact.profile_name, "Siti Aminah")

    def test_new_sender_becomes_a_resident_of_that_village_only(self):
        self.receive(message("text", wa_id="6285700001111"), name="Budi")
        budi = Resident.objects.get(phone="+6285700001111")
        self.assertEqual((budi.village, budi.name), (self.village, "Budi"))
        # The same person writing to the other village is that village's resident.
        self.receive(
            message("text", wa_id="6285700001111"), name="Budi", phone_number_id="106540352242923"
        )
        self.assertEqual(Resident.objects.filter(phone="+6285700001111").count(), 2)

    def test_bsuid_only_identity(self):
        self.receive(
            message("text", wa_id=None, user_id="ID.1502576394655843"),
            user_id="ID.1502576394655843",
            name="pengguna_tanpa_nomor",
        )
        resident = Resident.objects.get(wa_user_id="ID.1502576394655843")
        self.assertEqual(resident.phone, "")
        reply = next(b for b in self.meta.sent if b.get("type") == "text")
        self.assertEqual(reply["recipient"], "ID.1502576394655843")
        self.assertNotIn("to", reply)

    def test_edit_and_revoke_apply_to_the_original(self):
        self.receive(message("text", wamid="wamid.ORIGINAL"))
        self.receive(message("edit"))
        original = InboundMessage.objects.get(wamid="wamid.ORIGINAL")
        self.assertEqual(original.edited_message["text"]["body"], "maaf, maksud saya surat usaha")
        self.receive(message("revoke"))
        original.refresh_from_db()
        self.assertIsNotNone(original.revoked_at)

    def test_number_change_moves_the_phone(self):
        self.receive(message("system_number_change", wa_id="6281234567890"))
        self.resident.refresh_from_db()
        self.assertEqual(self.resident.phone, "+6281299998888")

    def test_unknown_number_is_acknowledged_and_kept_for_operators(self):
        response = self.post(envelope(message("text"), phone_number_id="999"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(InboundMessage.objects.exists())
        problem = WebhookProblem.objects.get()
        self.assertEqual((problem.kind, problem.phone_number_id), ("unknown_number", "999"))
        self.assertEqual(
            problem.payload["messages"][0]["text"]["body"], "sy mw bkin srt domisili gmn y"
        )

    def test_platform_errors_are_kept(self):
        error = {
            "code": 130429,
            "title": "Rate limit hit",
            "message": "Rate limit hit",
            "error_data": {"details": "Cloud API message throughput has been reached."},
        }
        self.post(envelope(errors=[error]))
        problem = WebhookProblem.objects.get()
        self.assertEqual(
            (problem.kind, problem.code, problem.village), ("platform_error", 130429, self.village)
        )

    def test_several_entries_and_changes_are_all_walked(self):
        first = envelope(message("text", wamid="wamid.A"))
        second = envelope(message("text", wamid="wamid.B"), phone_number_id="106540352242923")
        first["entry"].append(second["entry"][0])
        first["entry"][0]["changes"].append(
            envelope(message("location", wamid="wamid.C"))["entry"][0]["changes"][0]
        )
        self.post(first)
        self.assertEqual(
            dict(InboundMessage.objects.values_list("wamid", "village__slug")),
            {"wamid.A": "pondok", "wamid.B": "tigawasa", "wamid.C": "pondok"},
        )

    def test_signed_but_unreadable_bodies_are_kept_not_crashed_on(self):
        for raw in [b"not json", b"[1, 2]", b'{"entry": "x"}', b'{"entry": [{"changes": [1]}]}']:
            with self.subTest(raw=raw):
                self.assertEqual(self.post(raw).status_code, 200)
        self.assertFalse(InboundMessage.objects.exists())
        self.assertEqual(WebhookProblem.objects.filter(kind="unreadable").count(), 4)


class StatusTest(WebhookTestCase):
    def _sent_row(self):
        from balai.whatsapp import messages as build
        from balai.whatsapp.outbox import do_send

        Contact.objects.create(
            resident=self.resident, village=self.village, last_inbound_at=self.resident.created
        )
        with self.captureOnCommitCallbacks(execute=True):
            row = do_send(self.resident, build.text("Surat Anda sudah jadi."))
        row.refresh_from_db()
        self.assertEqual(row.state, "sent")
        return row

    def test_statuses_move_forward_never_back(self):
        row = self._sent_row()
        self.post(envelope(statuses=[status(row.wamid, "delivered")]))
        row.refresh_from_db()
        self.assertEqual(row.state, "delivered")
        self.post(envelope(statuses=[status(row.wamid, "read")]))
        self.post(envelope(statuses=[status(row.wamid, "delivered")]))  # late, out of order
        row.refresh_from_db()
        self.assertEqual(row.state, "read")
        self.assertIsNotNone(row.read_at)

    def test_read_without_delivered_marks_both(self):
        row = self._sent_row()
        self.post(envelope(statuses=[status(row.wamid, "read")]))
        row.refresh_from_db()
        self.assertEqual(row.state, "read")
        self.assertEqual(row.delivered_at, row.read_at)

    def test_failed_status_records_the_code(self):
        row = self._sent_row()
        self.post(envelope(statuses=[status(row.wamid, "failed", error_code=131026)]))
        row.refresh_from_db()
        self.assertEqual(
            (row.state, row.last_error_code, row.needs_attention), ("failed", 131026, True)
        )

    def test_status_for_an_unknown_wamid_waits_and_is_kept_once(self):
        for _ in range(2):
            self.post(envelope(statuses=[status("wamid.LATER", "delivered")]))
        event = StatusEvent.objects.get()
        self.assertFalse(event.applied)


class HostileBodiesTest(WebhookTestCase):
    def test_bodies_the_database_cannot_store_are_kept_as_text(self):
        text = json.dumps(envelope(message("text")))
        for raw in [
            text.replace('"sy mw', '"\\ud800 sy mw').encode(),  # lone surrogate
            text.replace('"timestamp": "', '"x": Infinity, "timestamp": "').encode(),
            text.replace('"timestamp": "', '"x": NaN, "timestamp": "').encode(),
            b"[" * 5000 + b"]" * 5000,
            text.replace("gmn y", "gmn y \\u0000").encode(),  # NUL: not storable in jsonb
            b'{"entry": "\x00"}',
        ]:
            with self.subTest(raw=raw[:40]):
                self.assertEqual(self.post(raw).status_code, 200)
        self.assertFalse(InboundMessage.objects.exists())
        self.assertEqual(WebhookProblem.objects.filter(kind="unreadable").count(), 6)

    def test_a_surrogate_pair_emoji_is_fine(self):
        text = json.dumps(envelope(message("text"))).replace("gmn y", "gmn y \\ud83d\\ude4f")
        self.assertEqual(self.post(text.encode()).status_code, 200)
        self.assertEqual(InboundMessage.objects.get().text, "sy mw bkin srt domisili gmn y 🙏")
