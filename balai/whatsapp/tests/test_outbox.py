import datetime as dt
from unittest import mock

import httpx
from django.test import override_settings
from django.utils import timezone

from balai.whatsapp import messages as build
from balai.whatsapp import outbox
from balai.whatsapp.models import ChannelAlert, Contact, OutboundMessage, Template
from balai.whatsapp.outbox import (
    do_queue_many,
    do_resume_number,
    do_send,
    send_outbound,
    send_outbound_batch,
)
from balai.whatsapp.sweep import sweep_whatsapp
from balai.whatsapp.tests.base import WebhookTestCase
from balai.whatsapp.tests.meta import message, meta_error


class OutboxTest(WebhookTestCase):
    def setUp(self):
        super().setUp()
        self.contact = Contact.objects.create(
            resident=self.resident, village=self.village, last_inbound_at=timezone.now()
        )

    def send(self, built=None, **kwargs):
        with self.captureOnCommitCallbacks(execute=True):
            row = do_send(self.resident, built or build.text("Halo Bu Siti"), **kwargs)
        row.refresh_from_db()
        return row

    def test_sends_the_exact_body_with_auth_and_records_the_wamid(self):
        row = self.send(
            build.buttons("Pilih layanan", [("surat", "Ajukan surat"), ("aduan", "Pengaduan")])
        )
        self.assertEqual(row.state, "sent")
        self.assertTrue(row.wamid.startswith("wamid.OUT"))
        body = self.meta.sent[-1]
        self.assertEqual(body, row.payload)
        self.assertEqual(
            (body["to"], body["type"], body["recipient_type"]),
            ("6281234567890", "interactive", "individual"),
        )
        request = self.meta.requests[-1]
        self.assertEqual(request.headers["Authorization"], "Bearer simulator")
        self.assertEqual(request.url.path, "/simulator/graph/v25.0/106540352242922/messages")

    def test_a_connected_number_uses_its_own_base_url_header_and_token(self):
        self.number.is_simulated = False
        self.number.api_base_url = "https://waba.bsp.example/v1"
        self.number.auth_header = "D360-API-KEY"
        self.number.access_token = "rahasia-bsp"
        self.number.save()
        self.send()
        request = self.meta.requests[-1]
        self.assertEqual(str(request.url), "https://waba.bsp.example/v1/106540352242922/messages")
        self.assertEqual(request.headers["D360-API-KEY"], "rahasia-bsp")

    def test_retryable_errors_back_off_then_succeed(self):
        self.meta.fail = [
            meta_error(130429, "Rate limit hit", 429),
            httpx.ConnectTimeout("slow network"),
        ]
        row = self.send()
        self.assertEqual((row.state, row.attempts, row.last_error_code), ("queued", 1, 130429))
        self.assertGreater(row.next_attempt_at, timezone.now())
        for _ in range(2):
            OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
            send_outbound.enqueue(row.pk)
            row.refresh_from_db()
        self.assertEqual((row.state, row.attempts), ("sent", 3))
        self.assertEqual(len(self.meta.sent), 1)

    def test_pair_limit_waits_four_to_the_n_seconds(self):
        self.meta.fail = [meta_error(131056, "pair rate limit hit")] * 2
        row = self.send()
        first_wait = (row.next_attempt_at - timezone.now()).total_seconds()
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        send_outbound.enqueue(row.pk)
        row.refresh_from_db()
        second_wait = (row.next_attempt_at - timezone.now()).total_seconds()
        self.assertTrue(0 < first_wait <= 1.1, first_wait)
        self.assertTrue(3 < second_wait <= 4.1, second_wait)

    def test_permanent_errors_fail_at_once_with_the_code(self):
        self.meta.fail = [meta_error(131026, "Message undeliverable")]
        row = self.send()
        self.assertEqual(
            (row.state, row.attempts, row.last_error_code, row.needs_attention),
            ("failed", 1, 131026, True),
        )
        self.assertIn("Message undeliverable", row.last_error)

    @override_settings(WHATSAPP_MAX_SEND_ATTEMPTS=2)
    def test_retryable_errors_give_up_after_max_attempts(self):
        self.meta.fail = [meta_error(131000, "Something went wrong", 500)] * 5
        row = self.send()
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        send_outbound.enqueue(row.pk)
        row.refresh_from_db()
        self.assertEqual((row.state, row.attempts, row.last_error_code), ("failed", 2, 131000))

    def test_token_expired_pauses_the_number_and_alerts_operators(self):
        self.meta.fail = [meta_error(190, "Error validating access token", 401)]
        row = self.send()
        self.number.refresh_from_db()
        self.assertTrue(self.number.is_paused)
        self.assertEqual((row.state, row.attempts), ("queued", 0))
        self.assertEqual(ChannelAlert.objects.get(village=self.village).code, 190)
        # Paused: nothing is sent, even when due.
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        send_outbound.enqueue(row.pk)
        self.assertEqual(self.meta.sent, [])
        do_resume_number(self.number)
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        send_outbound.enqueue(row.pk)
        row.refresh_from_db()
        self.assertEqual(row.state, "sent")
        self.assertIsNotNone(ChannelAlert.objects.get().resolved_at)

    def test_outside_the_window_switches_to_the_reengagement_template(self):
        Template.objects.create(
            village=self.village,
            name="balai_kabar_baru",
            purpose="reengage",
            status="approved",
            body="Halo {{1}}, ada kabar dari {{2}}.",
            parameters=["nama", "desa"],
        )
        self.contact.last_inbound_at = timezone.now() - dt.timedelta(hours=25)
        self.contact.save()
        row = self.send()
        self.assertEqual((row.state, row.kind), ("sent", "template"))
        body = self.meta.sent[-1]
        self.assertEqual(body["template"]["name"], "balai_kabar_baru")
        self.assertEqual(
            [p["text"] for p in body["template"]["components"][0]["parameters"]],
            ["Siti Aminah", "Pondok"],
        )
        # The original waits; when Siti answers the invitation it is sent, before the reply.
        self.assertEqual(row.waiting_payload["text"]["body"], "Halo Bu Siti")
        self.receive(message("text"))
        texts = self.meta.texts()
        self.assertEqual(texts[0], "Halo Bu Siti")
        self.assertIn("sudah kami terima", texts[1])
        row.refresh_from_db()
        self.assertIsNone(row.waiting_payload)
        self.receive(message("text"))
        self.assertEqual(self.meta.texts().count("Halo Bu Siti"), 1)

    def test_131047_from_meta_without_a_template_fails_visibly(self):
        self.meta.fail = [meta_error(131047, "Re-engagement message")]
        row = self.send()
        self.assertEqual(
            (row.state, row.last_error_code, row.needs_attention), ("failed", 131047, True)
        )
        self.assertIn("24 jam", ChannelAlert.objects.get().message)

    def test_messages_to_one_person_leave_in_order(self):
        self.meta.fail = [meta_error(131000, "Something went wrong", 500)]
        first = self.send(build.text("satu"))
        second = self.send(build.text("dua"))
        self.assertEqual((first.state, second.state), ("queued", "queued"))
        self.assertEqual(self.meta.texts(), [])
        # The second waits for the first, whose retry is due later.
        self.assertGreater(second.next_attempt_at, first.next_attempt_at)
        OutboundMessage.objects.update(next_attempt_at=timezone.now())
        send_outbound.enqueue(second.pk)
        self.assertEqual(self.meta.texts(), [])
        send_outbound.enqueue(first.pk)
        OutboundMessage.objects.filter(pk=second.pk).update(next_attempt_at=timezone.now())
        send_outbound.enqueue(second.pk)
        self.assertEqual(self.meta.texts(), ["satu", "dua"])

    def test_a_row_is_sent_once_even_if_its_task_runs_twice(self):
        row = self.send()
        send_outbound.enqueue(row.pk)
        send_outbound.enqueue(row.pk)
        self.assertEqual(len(self.meta.sent), 1)

    def test_sweeper_requeues_stale_rows_and_reclaims_dead_sends(self):
        self.meta.fail = [httpx.ConnectError("down")]
        row = self.send()
        stale = timezone.now() - dt.timedelta(minutes=1)
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=stale)
        dead = OutboundMessage.objects.create(
            village=self.village,
            number=self.number,
            resident=self.resident,
            to=row.to,
            kind="text",
            payload={**row.payload, "text": {"body": "mati di tengah"}},
            state="sending",
            sending_since=timezone.now() - dt.timedelta(minutes=10),
        )
        counts = sweep_whatsapp.call()
        self.assertEqual(counts["reclaimed"], 1)
        row.refresh_from_db()
        dead.refresh_from_db()
        self.assertEqual((row.state, dead.state), ("sent", "sent"))


class BatchTest(OutboxTest):
    """``send_outbound_batch``: several queued rows in one task (an announcement's chunk)."""

    def queue(self, text):
        return do_queue_many([(self.resident, build.text(text))])[0]

    def test_rows_are_sent_in_order_each_once_and_committed_each(self):
        rows = [self.queue(text) for text in ("satu", "dua", "tiga")]
        result = send_outbound_batch.call([rows[2].pk, rows[0].pk, rows[1].pk])
        self.assertEqual(result, "sent 3")
        self.assertEqual(self.meta.texts(), ["satu", "dua", "tiga"])
        states = OutboundMessage.objects.order_by("pk").values_list("state", "attempts")
        self.assertEqual(list(states), [("sent", 1)] * 3)
        self.assertEqual(len({r.wamid for r in OutboundMessage.objects.all()}), 3)
        # A second run of the same task (a redelivered task) sends nothing again.
        self.assertEqual(send_outbound_batch.call([r.pk for r in rows]), "not queued 3")
        self.assertEqual(len(self.meta.sent), 3)

    def test_a_row_waits_for_an_earlier_message_outside_the_batch(self):
        earlier = self.queue("lebih dulu")
        later = self.queue("sesudahnya")
        self.assertEqual(send_outbound_batch.call([later.pk]), "waiting for an earlier message 1")
        self.assertEqual(self.meta.sent, [])
        later.refresh_from_db()
        self.assertEqual(later.state, "queued")
        self.assertGreater(later.next_attempt_at, earlier.next_attempt_at)

    def test_after_a_failed_row_the_next_one_to_that_person_waits(self):
        self.meta.fail = [meta_error(131000, "Something went wrong", 500)]
        rows = [self.queue(text) for text in ("satu", "dua")]
        result = send_outbound_batch.call([r.pk for r in rows])
        self.assertEqual(result, "error 131000 1, waiting for an earlier message 1")
        self.assertEqual(self.meta.texts(), [])

    def test_rows_over_the_numbers_rate_are_deferred_not_dropped(self):
        self.number.throughput_per_second = 1
        self.number.save()
        rows = [self.queue(text) for text in ("satu", "dua")]
        with mock.patch.object(outbox, "BATCH_INLINE_WAIT", 0):
            result = send_outbound_batch.call([r.pk for r in rows])
        self.assertEqual(result, "rate limited 1, sent 1")
        self.assertEqual(self.meta.texts(), ["satu"])
        second = OutboundMessage.objects.get(pk=rows[1].pk)
        self.assertEqual((second.state, second.attempts), ("queued", 0))
        self.assertGreater(second.next_attempt_at, timezone.now())

    def test_a_short_wait_for_the_numbers_rate_is_waited_out_in_the_batch(self):
        self.number.throughput_per_second = 5  # a burst of 5, then a token every 200 ms
        self.number.save()
        rows = [self.queue(f"pesan {i}") for i in range(7)]
        result = send_outbound_batch.call([r.pk for r in rows])
        self.assertEqual(result, "sent 7")
        self.assertEqual(self.meta.texts(), [f"pesan {i}" for i in range(7)])


class BuildersTest(WebhookTestCase):
    def test_limits_are_enforced_with_a_clear_error(self):
        cases = [
            (lambda: build.text("x" * 4097), "4097 characters; WhatsApp allows 4096"),
            (lambda: build.text("   "), "non-empty"),
            (
                lambda: build.buttons("b", [("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")]),
                "4 given; 1 to 3",
            ),
            (
                lambda: build.buttons("b", [("1", "Ajukan surat keterangan")]),
                "button title is 23 characters; WhatsApp allows 20",
            ),
            (lambda: build.buttons("b", [("1", "a"), ("1", "b")]), "distinct ids"),
            (lambda: build.buttons("b", [("1", "Ya"), ("2", "Ya")]), "distinct titles"),
            (
                lambda: build.list_message(
                    "b", "Pilih", [("", [(str(i), "x") for i in range(11)])]
                ),
                "11 rows given",
            ),
            (
                lambda: build.list_message(
                    "b", "Pilih", [("", [("a", "Surat keterangan domisili")])]
                ),
                "row title is 25 characters; WhatsApp allows 24",
            ),
            (
                lambda: build.list_message("b", "Pilih layanan desa kami", [("", [("a", "x")])]),
                "list button is 23 characters",
            ),
            (lambda: build.image(), "exactly one of link or media_id"),
            (lambda: build.location(100, 0), "out of range"),
        ]
        for make, expected in cases:
            with (
                self.subTest(expected=expected),
                self.assertRaisesMessage(build.MessageLimitError, expected),
            ):
                make()

    def test_shapes_match_the_cloud_api(self):
        self.assertEqual(
            build.list_message(
                "Pilih surat",
                "Lihat daftar",
                [("Surat", [("domisili", "Domisili", "Keterangan tempat tinggal")])],
                header="Layanan",
                footer="Desa Pondok",
            ),
            (
                "list",
                {
                    "type": "interactive",
                    "interactive": {
                        "type": "list",
                        "body": {"text": "Pilih surat"},
                        "header": {"type": "text", "text": "Layanan"},
                        "footer": {"text": "Desa Pondok"},
                        "action": {
                            "button": "Lihat daftar",
                            "sections": [
                                {
                                    "title": "Surat",
                                    "rows": [
                                        {
                                            "id": "domisili",
                                            "title": "Domisili",
                                            "description": "Keterangan tempat tinggal",
                                        }
                                    ],
                                }
                            ],
                        },
                    },
                },
            ),
        )
        self.assertEqual(
            build.document(filename="surat.pdf", link="https://x/s.pdf")[1],
            {"type": "document", "document": {"link": "https://x/s.pdf", "filename": "surat.pdf"}},
        )
        self.assertEqual(
            build.template("balai_kabar_baru", "id", ["Siti"])[1]["template"],
            {
                "name": "balai_kabar_baru",
                "language": {"code": "id"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "Siti"}]}],
            },
        )


class OptInTest(WebhookTestCase):
    def test_opt_in_keeps_the_text_and_time_and_can_be_withdrawn(self):
        from balai.whatsapp.outbox import do_record_opt_in, do_record_opt_out

        text = "Saya bersedia menerima kabar layanan Desa Pondok lewat WhatsApp."
        contact = do_record_opt_in(self.resident, text)
        contact.refresh_from_db()
        self.assertEqual(contact.opt_in_text, text)
        self.assertIsNotNone(contact.opted_in_at)
        do_record_opt_out(self.resident)
        contact.refresh_from_db()
        self.assertIsNone(contact.opted_in_at)
        self.assertEqual(contact.opt_in_text, text)  # the evidence of what was agreed stays
