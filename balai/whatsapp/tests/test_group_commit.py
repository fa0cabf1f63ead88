"""The webhook's fast path: concurrent requests share one commit (GroupCommit), and
``balai/wsgi.py`` answers the usual ``POST /whatsapp/webhook`` without Django's request cycle
(``WebhookApplication``) and any other with a short middleware stack (``WebhookHandler``).

The group commit only works outside a surrounding transaction, so these are
TransactionTestCases, with the database task backend so the task rows can be counted."""

import io
import threading
from collections import Counter
from unittest import mock

from django.db import IntegrityError, connection, connections
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from balai.test import ChannelTestCase, make_village
from balai.whatsapp import webhook
from balai.whatsapp.models import InboundMessage, WebhookProblem, WhatsAppNumber
from balai.whatsapp.tests.meta import envelope, message, signed

DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "inbox", "outbox"],
    }
}
TASK_PATH = "balai.whatsapp.inbox.process_inbound"


def task_counts() -> Counter:
    return Counter(
        args["args"][0]
        for args in DBTaskResult.objects.filter(task_path=TASK_PATH).values_list(
            "args_kwargs", flat=True
        )
    )


class _Announcing(list):
    """The group's queue: sets ``full`` once ``size`` requests are waiting in it."""

    def __init__(self, size: int):
        super().__init__()
        self.size, self.full = size, threading.Event()

    def append(self, item):
        super().append(item)
        if len(self) >= self.size:
            self.full.set()


class _HeldGroup(webhook.GroupCommit):
    """A GroupCommit whose first batch waits for ``release``: the requests arriving
    meanwhile must all go into the second batch."""

    def __init__(self):
        super().__init__()
        self.writing_first, self.release = threading.Event(), threading.Event()

    def _insert(self, batch):
        if self.batches == 1:
            self.writing_first.set()
            assert self.release.wait(30)
        super()._insert(batch)


@override_settings(TASKS=DB_TASKS)
class GroupCommitTest(TransactionTestCase):
    def setUp(self):
        village = make_village("pondok", "Pondok", "Asia/Jakarta", "33.11.02.2010", "Jawa")
        self.number = WhatsAppNumber.objects.create(
            village=village, phone_number_id="106540352242922", is_simulated=True
        )

    def row(self, wamid: str, number=None) -> dict:
        return webhook._message_row(number or self.number, {}, message("text", wamid=wamid))

    def run_together(self, group, requests: list[list[dict]]) -> list:
        """The first request writes a batch alone and is held there while the others queue
        up behind it; then all finish. Returns each request's ids or exception."""
        results = [None] * (len(requests) + 1)

        def call(i, rows):
            try:
                results[i] = group.write(rows)
            except Exception as e:
                results[i] = e
            finally:
                connections.close_all()

        first = threading.Thread(target=call, args=(0, [self.row("wamid.FIRST")]))
        first.start()
        self.assertTrue(group.writing_first.wait(30))
        with group._lock:
            group._queue = _Announcing(len(requests))
        threads = [
            threading.Thread(target=call, args=(i + 1, rows)) for i, rows in enumerate(requests)
        ]
        for t in threads:
            t.start()
        self.assertTrue(group._queue.full.wait(30))
        group.release.set()
        for t in [first, *threads]:
            t.join(30)
        return results

    def test_waiting_requests_share_one_batch_and_each_gets_its_own_ids(self):
        group = _HeldGroup()
        requests = [
            [self.row("wamid.A1"), self.row("wamid.A2")],
            [self.row("wamid.B")],
            [self.row("wamid.A1")],  # a redelivery arriving in the same batch
            [self.row("wamid.C")],
        ]
        results = self.run_together(group, requests)
        self.assertEqual((group.batches, group.requests), (2, 5))
        ids = dict(InboundMessage.objects.values_list("wamid", "id"))
        self.assertEqual(
            results,
            [
                [ids["wamid.FIRST"]],
                [ids["wamid.A1"], ids["wamid.A2"]],
                [ids["wamid.B"]],
                [],  # stored and queued once, for the request that came first
                [ids["wamid.C"]],
            ],
        )
        self.assertEqual(task_counts(), Counter({pk: 1 for pk in ids.values()}))

    def test_the_task_row_is_the_one_the_backend_writes(self):
        from balai.whatsapp.inbox import process_inbound

        [pk] = webhook.GroupCommit().write([self.row("wamid.T")])
        ours = DBTaskResult.objects.get()
        theirs = DBTaskResult.objects.get(id=process_inbound.enqueue(pk).id)
        fields = [f.name for f in DBTaskResult._meta.concrete_fields]
        self.assertEqual(
            {f: getattr(ours, f) for f in fields if f not in {"id", "enqueued_at"}},
            {f: getattr(theirs, f) for f in fields if f not in {"id", "enqueued_at"}},
        )
        self.assertEqual(ours.task.func, process_inbound.func)
        self.assertEqual(ours.task_result.args, [pk])
        stored = InboundMessage.objects.get()
        self.assertEqual((stored.state, stored.attempts, stored.error), ("received", 0, ""))
        self.assertEqual(stored.message["id"], "wamid.T")

    def test_a_row_the_database_refuses_fails_only_its_own_request(self):
        group = _HeldGroup()
        # A number deleted meanwhile (still cached): its foreign key fails at COMMIT.
        gone = WhatsAppNumber(id=self.number.id + 1000, village_id=self.number.village_id)
        requests = [[self.row("wamid.OK1")], [self.row("wamid.BAD", gone)]]
        requests.append([self.row("wamid.OK2")])
        results = self.run_together(group, requests)
        self.assertIsInstance(results[2], IntegrityError)
        stored = set(InboundMessage.objects.values_list("wamid", flat=True))
        self.assertEqual(stored, {"wamid.FIRST", "wamid.OK1", "wamid.OK2"})
        self.assertEqual(len(results[1]) + len(results[3]), 2)
        self.assertEqual(sorted(task_counts().values()), [1, 1, 1])

    def test_a_lost_connection_is_reopened_once(self):
        if connection.vendor != "postgresql":
            self.skipTest("a server that ends connections: PostgreSQL only")
        group = webhook.GroupCommit()
        self.assertEqual(len(group.write([self.row("wamid.BEFORE")])), 1)
        # The server ends the kept connection (a restart, an idle timeout, a failover).
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid]
            )
        other.close()
        ids = group.write([self.row("wamid.AFTER")])
        self.assertEqual([InboundMessage.objects.get(wamid="wamid.AFTER").id], ids)
        self.assertEqual(sorted(task_counts().values()), [1, 1])


class WsgiRoutingTest(ChannelTestCase):
    """balai.wsgi.application sends the webhook POST to WebhookHandler, the rest to Django."""

    def call(self, method, path, body=b"", **headers):
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        from balai.wsgi import application

        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": headers.pop("query", ""),
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": headers.pop("host", "testserver"),
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
            **headers,
        }
        seen = {}

        def start_response(status, response_headers):
            seen["status"] = int(status.split()[0])
            seen["headers"] = dict(response_headers)

        # As Django's test client does: inside a TestCase the handler must not close the
        # test's connection at the request's start and end.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            with self.captureOnCommitCallbacks(execute=False):
                result = application(environ, start_response)
                content = b"".join(result)
                if hasattr(result, "close"):  # WSGI: close it if it can be closed
                    result.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return seen["status"], seen["headers"], content

    def test_the_path_is_the_webhook_url(self):
        self.assertEqual(reverse("whatsapp:webhook"), webhook.PATH)

    def test_webhook_post_is_stored_through_the_lean_handler(self):
        raw, headers = signed(envelope(message("text", wamid="wamid.LEAN")))
        status, response_headers, content = self.call("POST", webhook.PATH, raw, **headers)
        self.assertEqual((status, content), (200, b"OK"))
        self.assertEqual(response_headers["X-Content-Type-Options"], "nosniff")  # Security
        self.assertNotIn("Content-Security-Policy", response_headers)  # no full stack
        self.assertTrue(InboundMessage.objects.filter(wamid="wamid.LEAN").exists())

    def test_the_usual_post_is_answered_without_djangos_request_cycle(self):
        raw, headers = signed(envelope(message("text", wamid="wamid.FAST")))
        with mock.patch.object(
            webhook.WebhookHandler, "__call__", side_effect=AssertionError("the full cycle")
        ):
            status, response_headers, content = self.call("POST", webhook.PATH, raw, **headers)
        self.assertEqual((status, content), (200, b"OK"))
        self.assertEqual(response_headers["Content-Length"], "2")
        self.assertEqual(response_headers["Referrer-Policy"], "same-origin")
        self.assertNotIn("Strict-Transport-Security", response_headers)  # not over HTTPS
        self.assertTrue(InboundMessage.objects.filter(wamid="wamid.FAST").exists())

    @override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SECURE_HSTS_SECONDS=3600,
    )
    def test_https_redirects_and_hsts_as_securitymiddleware_does(self):
        from balai import wsgi

        # Middleware reads its settings when built: build the application under these.
        self.enterContext(
            mock.patch.object(wsgi, "webhook_application", webhook.WebhookApplication())
        )
        raw, headers = signed(envelope(message("text", wamid="wamid.TLS")))
        status, response_headers, _ = self.call("POST", webhook.PATH, raw, **headers)
        self.assertEqual(status, 301)  # plain HTTP: the handler's SecurityMiddleware
        self.assertTrue(response_headers["Location"].startswith("https://"))
        self.assertFalse(InboundMessage.objects.filter(wamid="wamid.TLS").exists())
        status, response_headers, _ = self.call(
            "POST", webhook.PATH, raw, HTTP_X_FORWARDED_PROTO="https", **headers
        )
        self.assertEqual(status, 200)
        self.assertEqual(response_headers["Strict-Transport-Security"], "max-age=3600")
        self.assertTrue(InboundMessage.objects.filter(wamid="wamid.TLS").exists())

    def test_an_unexpected_error_is_a_logged_500(self):
        raw, headers = signed(envelope(message("text")))
        with (
            mock.patch.object(webhook, "ingest", side_effect=RuntimeError("bug")),
            self.assertLogs("balai.whatsapp.webhook", "ERROR") as logs,
        ):
            status, _, content = self.call("POST", webhook.PATH, raw, **headers)
        self.assertEqual((status, content), (500, b"Server Error"))
        self.assertIn("RuntimeError: bug", logs.output[0])

    def test_lean_handler_keeps_the_refusals(self):
        raw, headers = signed(envelope(message("text")))
        self.assertEqual(self.call("POST", webhook.PATH, raw)[0], 401)
        bad = {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + "0" * 64}
        self.assertEqual(self.call("POST", webhook.PATH, raw, **bad)[0], 403)
        self.assertEqual(
            self.call("POST", webhook.PATH, raw, host="evil.example", **headers)[0], 400
        )
        self.assertEqual(self.call("POST", webhook.PATH, b"{}", **signed(b"{}")[1])[0], 200)
        self.assertFalse(InboundMessage.objects.exists())
        self.assertEqual(WebhookProblem.objects.count(), 1)  # the signed "{}", kept

    def test_other_requests_go_through_the_full_stack(self):
        status, _, content = self.call(
            "GET",
            webhook.PATH,
            query="hub.mode=subscribe&hub.verify_token=test-verify-token-0123456789"
            "&hub.challenge=42",
        )
        self.assertEqual((status, content), (200, b"42"))
        status, headers, _ = self.call("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertIn("Content-Security-Policy", headers)  # the full stack's CSP middleware
