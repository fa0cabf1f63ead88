"""The one seam for outbound HTTP (Cloud API, media downloads, the simulator's webhooks).

Everything that leaves the process goes through ``request()``. Tests swap the transport with
``use_transport()`` — e.g. ``httpx.WSGITransport(app=balai.test.in_process_app)`` to run the
simulator and the webhook in process — instead of mocking Balai's own functions.

Each request gets a fresh client (no state shared between callers), but every client uses
one SSL context made once per process: building one loads the CA bundle, ~25 ms of CPU,
which httpx would otherwise repeat for every request, even to an ``http://`` URL.
"""

import contextlib
import ssl
import threading

import httpx
from django.conf import settings

_local = threading.local()
_default_transport: httpx.BaseTransport | None = None
_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()


def ssl_context() -> ssl.SSLContext:
    """The process's one SSL context, made as httpx makes its default (CA bundle from
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` or certifi, certificates verified)."""
    global _ssl_context
    if _ssl_context is None:
        with _ssl_lock:
            if _ssl_context is None:
                _ssl_context = httpx.create_ssl_context()
    return _ssl_context


def _transport() -> httpx.BaseTransport | None:
    return getattr(_local, "transport", None) or _default_transport


@contextlib.contextmanager
def use_transport(transport: httpx.BaseTransport):
    """Route this thread's outbound HTTP through ``transport`` (tests, benchmarks)."""
    previous = getattr(_local, "transport", None)
    _local.transport = transport
    try:
        yield
    finally:
        _local.transport = previous


def set_default_transport(transport: httpx.BaseTransport | None) -> None:
    """Route every thread's outbound HTTP (tests that run a worker in threads)."""
    global _default_transport
    _default_transport = transport


def request(method: str, url: str, *, timeout: float | None = None, **kwargs) -> httpx.Response:
    timeout = timeout if timeout is not None else settings.WHATSAPP_HTTP_TIMEOUT
    transport = _transport()
    with httpx.Client(
        transport=transport,
        timeout=timeout,
        verify=ssl_context(),
        headers={"User-Agent": "Balai/0.1"},
    ) as client:
        return client.request(method, url, **kwargs)
