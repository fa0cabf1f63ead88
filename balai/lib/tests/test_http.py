"""The outbound HTTP seam against a real local server (no transport swapped in)."""

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from django.test import SimpleTestCase

from balai.lib import http


class _Hello(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body) + 3))
        self.end_headers()
        self.wfile.write(b"ok " + body)

    def log_message(self, *args):
        pass


class RequestTests(SimpleTestCase):
    def setUp(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/x"

    def test_the_ca_bundle_is_loaded_once_per_process_not_per_request(self):
        self.addCleanup(setattr, http, "_ssl_context", http._ssl_context)
        http._ssl_context = None
        made = mock.patch.object(
            ssl, "create_default_context", side_effect=ssl.create_default_context
        )
        with made as create:
            answers = [http.request("POST", self.url, content=b"%d" % i).text for i in range(3)]
        self.assertEqual(answers, ["ok 0", "ok 1", "ok 2"])
        self.assertEqual(create.call_count, 1)

    def test_the_shared_context_verifies_certificates(self):
        context = http.ssl_context()
        self.assertIs(context, http.ssl_context())
        self.assertEqual(context.verify_mode, ssl.CERT_REQUIRED)
        self.assertTrue(context.check_hostname)
        self.assertGreater(len(context.get_ca_certs()) + context.cert_store_stats()["x509_ca"], 0)
