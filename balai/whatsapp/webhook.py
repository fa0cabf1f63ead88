"""The Cloud API webhook: verify, store, enqueue, answer 200 — nothing else on this path.

Every ``messages[]`` element is written (unique on its wamid) in the same transaction as its
processing task, before the response. Redelivered webhooks find the wamid already stored and
enqueue nothing. Statuses are stored and applied to the outbox; value-level ``errors[]``,
unknown numbers and unreadable elements are kept as ``WebhookProblem`` rows for operators.
"""

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from http import HTTPStatus

import psycopg
from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    transaction,
)
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseForbidden
from django.http.request import split_domain_port, validate_host
from django.middleware.security import SecurityMiddleware
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_tasks_db.models import DBTaskResult, get_date_max

from balai.core.jobs import enqueue_many_durably
from balai.whatsapp.models import InboundMessage, StatusEvent, WebhookProblem, WhatsAppNumber

logger = logging.getLogger(__name__)
MAX_BODY = 3 * 1024 * 1024  # Meta: "payloads can be up to 3 MB"
PATH = "/whatsapp/webhook"  # balai/whatsapp/urls.py; balai/wsgi.py routes POSTs here directly


def signature_valid(body: bytes, header: str) -> bool:
    expected = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    given = header.removeprefix("sha256=").strip()
    # As bytes: compare_digest refuses str with non-ASCII characters (a hostile header).
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def sign(body: bytes, secret: str | None = None) -> str:
    """The header value Meta would send for ``body`` (used by the simulator and tests)."""
    key = (secret or settings.WHATSAPP_APP_SECRET).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


@csrf_exempt
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    status, text = receive(
        request.META.get("CONTENT_LENGTH"),
        request.headers.get("X-Hub-Signature-256"),
        lambda _length: request.body,
    )
    return HttpResponse(text, status=status)


def receive(content_length, signature, read) -> tuple[int, str]:
    """A webhook POST's checks and storage, for the view and for ``WebhookApplication``:
    returns the HTTP status and text to answer. ``read(length)`` gives the body."""
    if not settings.WHATSAPP_APP_SECRET:
        return 503, "WhatsApp is not configured on this server"
    try:
        length = int(content_length or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return 413, "Payload too large"
    if not signature:
        return 401, "Unauthorized"
    body = read(length)
    if len(body) > MAX_BODY:
        return 413, "Payload too large"
    if not signature_valid(body, signature):
        return 403, "Forbidden"
    try:
        ingest(body)
    except (DataError, IntegrityError, ValueError) as e:
        # Something in the body the database refuses: keep the raw body for operators.
        logger.warning("webhook body stored as unreadable: %s", e)
        _problem(WebhookProblem.Kind.UNREADABLE, {"raw": _raw_text(body)}, detail=str(e))
    except DatabaseError:
        # The database is unavailable: Meta retries non-200 answers for up to 7 days.
        logger.exception("webhook not stored; asking Meta to retry")
        return 503, "Temporarily unavailable"
    return 200, "OK"


class WebhookHandler(WSGIHandler):
    """Django's WSGI handler for ``POST /whatsapp/webhook`` alone (``balai/wsgi.py`` sends those
    requests here). The same request cycle as every other request — the request_started and
    request_finished signals, so database connections are reused and closed as usual, and an
    uncaught error becomes Django's logged 500 — but of the middleware only what applies to a
    signed server-to-server POST: SecurityMiddleware (HTTPS redirect, security headers) and
    the ``ALLOWED_HOSTS`` check that CommonMiddleware makes (a bad Host → 400). Sessions,
    authentication, messages, locale, CSP, CSRF (the view is csrf_exempt: the signature is
    the check), WhiteNoise and URL resolution do nothing for it."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(
            SecurityMiddleware(convert_exception_to_response(self._webhook))
        )

    @staticmethod
    def _webhook(request):
        request.get_host()  # raises DisallowedHost (→ 400) as CommonMiddleware would
        return webhook(request)


class WebhookApplication:
    """The WSGI application for ``POST /whatsapp/webhook`` (``balai/wsgi.py`` sends those
    requests here). Meta's signed POSTs are the one high-volume request, so the usual one —
    an allowed host, no HTTPS redirect due, a Content-Length — is answered by ``receive``
    without Django's request and response objects or middleware, with the headers
    SecurityMiddleware would add; the request signals are sent as Django sends them, so
    database connections are reused and closed as usual. Any other goes to
    ``WebhookHandler``."""

    def __init__(self):
        self.handler = WebhookHandler()

    def __call__(self, environ, start_response):
        if not self._usual(environ):
            return self.handler(environ, start_response)
        request_started.send(sender=self.__class__, environ=environ)
        try:
            status, text = receive(
                environ["CONTENT_LENGTH"],
                environ.get("HTTP_X_HUB_SIGNATURE_256"),
                environ["wsgi.input"].read,
            )
        except Exception:
            logger.exception("Internal Server Error: %s", PATH)
            status, text = 500, "Server Error"
        finally:
            request_finished.send(sender=self.__class__)
        content = text.encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(content))),
                *self._security_headers(environ),
            ],
        )
        return [content]

    @staticmethod
    def _secure(environ) -> bool:
        if environ.get("wsgi.url_scheme") == "https":
            return True
        header = settings.SECURE_PROXY_SSL_HEADER
        if not header:
            return False
        value = environ.get(header[0], "").split(",")[0].strip()
        return value == header[1]

    def _usual(self, environ) -> bool:
        if not str(environ.get("CONTENT_LENGTH") or "").isdigit():
            return False
        if settings.SECURE_SSL_REDIRECT and not self._secure(environ):
            return False
        if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
            return False
        domain, _port = split_domain_port(environ.get("HTTP_HOST") or "")
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        return bool(domain) and validate_host(domain, allowed)

    def _security_headers(self, environ) -> list[tuple[str, str]]:
        """What SecurityMiddleware adds to a response (Django's defaults and ours)."""
        headers = []
        if settings.SECURE_HSTS_SECONDS and self._secure(environ):
            value = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            headers.append(("Strict-Transport-Security", value))
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            if not isinstance(policy, str):
                policy = ",".join(policy)
            headers.append(("Referrer-Policy", policy))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            headers.append(
                ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
            )
        return headers


def _raw_text(body: bytes) -> str:
    # PostgreSQL text and jsonb cannot hold NUL characters.
    return body[:100_000].decode("utf-8", "replace").replace("\x00", "\ufffd")


def _reject_constant(name):
    raise ValueError(f"JSON constant {name} is not allowed")


# \ud800-\udfff escapes: valid as a pair (emoji), invalid alone; only then check closely.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse(body: bytes):
    """The JSON body, or None when it is not strict JSON that the database can store."""
    if b"\x00" in body or b"\\u0000" in body:
        return None  # NUL cannot be stored in PostgreSQL's jsonb; Meta never sends it
    try:
        data = json.loads(body, parse_constant=_reject_constant)
        if _SURROGATE_ESCAPE.search(body):
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        return None
    return data


def _handshake(request):
    mode = request.GET.get("hub.mode")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (
        mode == "subscribe"
        and settings.WHATSAPP_VERIFY_TOKEN
        and hmac.compare_digest(token.encode(), settings.WHATSAPP_VERIFY_TOKEN.encode())
    ):
        return HttpResponse(challenge, content_type="text/plain")
    return HttpResponseForbidden("Forbidden")


def _parse_time(value) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _problem(kind, payload, *, number=None, phone_number_id="", code=None, detail=""):
    WebhookProblem.objects.create(
        kind=kind,
        village_id=number.village_id if number else None,
        phone_number_id=str(phone_number_id or (number.phone_number_id if number else ""))[:40],
        code=code if isinstance(code, int) else None,
        detail=str(detail)[:2000],
        payload=payload,
    )


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def ingest(body: bytes) -> list[int]:
    """Store everything a signed webhook body carries; return the new inbound message ids.

    Parsing and the number lookup happen before the write transaction, so SQLite's write
    lock is held only for the inserts. The rare problem rows commit on their own."""
    envelope = parse(body)
    if not isinstance(envelope, dict):
        _problem(
            WebhookProblem.Kind.UNREADABLE,
            {"raw": _raw_text(body)},
            detail="body is not strict JSON with an object at the top",
        )
        return []
    values = []
    skipped = False
    for entry in _dicts(envelope.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                _problem(WebhookProblem.Kind.UNREADABLE, change, detail="change without a value")
                continue
            if change.get("field", "messages") != "messages":
                # e.g. user_preferences, account_update: kept for operators, not processed.
                _problem(
                    WebhookProblem.Kind.OTHER_FIELD, change, detail=f"field {change.get('field')!r}"
                )
                skipped = True
                continue
            values.append(value)
    if not values and not skipped:
        _problem(WebhookProblem.Kind.UNREADABLE, envelope, detail="no entry[].changes[].value")
        return []
    phone_ids = set()
    for value in values:
        metadata = value.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("phone_number_id"), str):
            phone_ids.add(metadata["phone_number_id"])
    numbers = numbers_by_id(phone_ids)

    rows = _plain_message_rows(values, numbers)
    if rows is not None:
        return GROUP_COMMIT.write(rows)
    new_ids = []
    with transaction.atomic():
        for value in values:
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            phone_id = metadata.get("phone_number_id", "")
            number = numbers.get(phone_id) if isinstance(phone_id, str) else None
            if number is None:
                _problem(
                    WebhookProblem.Kind.UNKNOWN_NUMBER,
                    value,
                    phone_number_id=phone_id,
                    detail="no village has this phone_number_id",
                )
                continue
            new_ids += _store_messages(number, value)
            _store_statuses(number, value)
            for error in _dicts(value.get("errors")):
                _problem(
                    WebhookProblem.Kind.PLATFORM_ERROR,
                    error,
                    number=number,
                    phone_number_id=phone_id,
                    code=error.get("code"),
                    detail=error.get("message") or error.get("title", ""),
                )
        if new_ids:
            from balai.whatsapp.inbox import process_inbound

            enqueue_many_durably(process_inbound, [(i,) for i in new_ids])
    return new_ids


def _plain_message_rows(values, numbers) -> list[dict] | None:
    """The InboundMessage rows of a body that carries only well-formed messages to known
    numbers (the common case), or None when anything else needs the full path."""
    rows = []
    for value in values:
        if value.get("statuses") or value.get("errors"):
            return None
        metadata = value.get("metadata")
        phone_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
        number = numbers.get(phone_id) if isinstance(phone_id, str) else None
        if number is None:
            return None
        messages = value.get("messages")
        if not isinstance(messages, list):
            continue
        contacts = _contacts(value)
        for message in messages:
            row = _message_row(number, contacts, message)
            if isinstance(row, str):
                return None
            rows.append(row)
    return rows


# phone_number_id → (expiry, number): saves a query per webhook. Only known numbers are
# cached, so a newly connected number is found at once; a moved number within a minute.
_NUMBER_CACHE: dict[str, tuple[float, WhatsAppNumber]] = {}
NUMBER_CACHE_SECONDS = 60


@receiver([post_save, post_delete], sender=WhatsAppNumber)
def _forget_numbers(**kwargs) -> None:
    _NUMBER_CACHE.clear()


def numbers_by_id(phone_ids: set[str]) -> dict[str, WhatsAppNumber]:
    now = time.monotonic()
    found = {pid: hit[1] for pid in phone_ids if (hit := _NUMBER_CACHE.get(pid)) and hit[0] > now}
    missing = phone_ids - found.keys()
    if missing:
        for number in WhatsAppNumber.objects.filter(phone_number_id__in=missing).only(
            "id", "village_id", "phone_number_id", "is_simulated"
        ):
            _NUMBER_CACHE[number.phone_number_id] = (now + NUMBER_CACHE_SECONDS, number)
            found[number.phone_number_id] = number
    return found


def _contacts(value) -> dict:
    """Profile name and BSUID by wa_id and by user_id."""
    found = {}
    for contact in _dicts(value.get("contacts")):
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        info = {
            "name": str(profile.get("name") or profile.get("username") or "")[:150],
            "user_id": str(contact.get("user_id") or "")[:140],
            "wa_id": str(contact.get("wa_id") or "")[:40],
        }
        for key in (info["wa_id"], info["user_id"]):
            if key:
                found[key] = info
    return found


def _message_row(number, contacts, message) -> dict | str:
    """The InboundMessage values of one ``messages[]`` element, or why it cannot be stored."""
    if (
        not isinstance(message, dict)
        or not isinstance(message.get("id"), str)
        or not message["id"]
        or len(message["id"]) > 200
    ):
        return "message without an id"
    wa_id = message.get("from") if isinstance(message.get("from"), str) else ""
    user_id = message.get("from_user_id") if isinstance(message.get("from_user_id"), str) else ""
    contact = contacts.get(wa_id) or contacts.get(user_id) or {}
    user_id = user_id or contact.get("user_id", "")
    wa_id = wa_id or contact.get("wa_id", "")
    if not (wa_id or user_id):
        return "message without a sender"
    kind = message.get("type") if isinstance(message.get("type"), str) else "unknown"
    return {
        "village_id": number.village_id,
        "number_id": number.id,
        "wamid": message["id"],
        "wa_id": wa_id[:40],
        "user_id": user_id[:140],
        "profile_name": contact.get("name", ""),
        "type": kind[:30],
        "message": message,
        "sent_at": _parse_time(message.get("timestamp")),
    }


def _store_messages(number, value) -> list[int]:
    contacts = _contacts(value)
    new_ids = []
    messages = value.get("messages")
    for message in messages if isinstance(messages, list) else []:
        row = _message_row(number, contacts, message)
        if isinstance(row, str):
            _problem(
                WebhookProblem.Kind.UNREADABLE, {"message": message}, number=number, detail=row
            )
            continue
        stored_id = InboundMessage.objects.insert_new(**row)
        if stored_id is not None:  # None: a redelivery, stored and queued the first time
            new_ids.append(stored_id)
    return new_ids


def _store_statuses(number, value) -> None:
    from balai.lib.sql import insert_rows
    from balai.whatsapp.outbox import apply_statuses, outbound_by_wamid

    events: dict[tuple[str, str], StatusEvent] = {}
    for status in _dicts(value.get("statuses")):
        wamid, state = status.get("id"), status.get("status")
        if not (isinstance(wamid, str) and isinstance(state, str) and wamid and state):
            _problem(
                WebhookProblem.Kind.UNREADABLE,
                status,
                number=number,
                detail="status without id/status",
            )
            continue
        key = (wamid[:200], state[:20])
        events.setdefault(
            key,
            StatusEvent(
                wamid=key[0],
                status=key[1],
                timestamp=_parse_time(status.get("timestamp")),
                payload=status,
            ),
        )
    if not events:
        return
    # The messages first, so each status is stored already marked applied when its message
    # is known; a redelivered status (unique on wamid + status) is skipped by the INSERT and
    # applied only the first time. Meta usually sends one status per webhook: this is then
    # four statements (a read, the INSERT, an UPDATE of the message, the COMMIT).
    rows = outbound_by_wamid(wamid for wamid, _ in events)
    now = timezone.now()
    stored = insert_rows(
        StatusEvent,
        [
            {
                "wamid": event.wamid,
                "status": event.status,
                "timestamp": event.timestamp,
                "payload": event.payload,
                "applied": event.wamid in rows,
                "received_at": now,
            }
            for event in events.values()
        ],
        skip_conflict_on=("wamid", "status"),
        returning=("id", "wamid", "status"),
    )
    new = []
    for pk, wamid, state in stored:
        event = events[(wamid, state)]
        event.pk = pk
        new.append(event)
    new.sort(key=lambda event: event.pk)  # in the order they came
    apply_statuses(new, rows, mark=False)


# --------------------------------------------------------------------------- group commit
class _Pending:
    """One request's rows in the group commit, and how it is woken: ``wake`` is held until
    the request's rows are committed (or failed), or until it is to write the next batch."""

    __slots__ = ("done", "error", "ids", "rows", "wake")

    def __init__(self, rows):
        self.rows, self.ids, self.error, self.done = rows, [], None, False
        self.wake = threading.Lock()
        self.wake.acquire()


class GroupCommit:
    """Concurrent webhooks of one process share one commit.

    A request hands its message rows over. If no batch is being written, it becomes the
    writer: it takes every request queued so far (its own and those waiting behind it) and
    stores all their rows and tasks in one commit on its own database connection — on
    PostgreSQL one statement (``_insert_postgresql``), elsewhere one multi-row INSERT for the
    messages, one for the tasks and a COMMIT. Then it wakes each request of the batch, and
    hands the writing on to the first request that queued meanwhile, if any. So batches grow
    with the load, a lone request waits for nobody, and every request answers only after the
    commit that holds its rows. If a batch fails, each of its requests is written again
    alone, so one bad row fails only its own request.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._writing = False
        self.batches = 0  # counters for tests and profiling
        self.requests = 0

    def write(self, rows: list[dict]) -> list[int]:
        """Store ``rows`` (InboundMessage values, see ``_message_row``) with their
        ``process_inbound`` tasks; return the ids of the messages not stored before."""
        if not rows:
            return []
        pending = _Pending(rows)
        if transaction.get_connection().in_atomic_block:
            # Inside a caller's transaction (tests, scripts): written there, alone.
            self._write([pending])
            return self._result(pending)
        with self._lock:
            self._queue.append(pending)
            lead = not self._writing
            self._writing = True
        if not lead:
            pending.wake.acquire()  # released when written, or when it is this one's turn
        while not pending.done:
            with self._lock:
                batch, self._queue = self._queue, []
            try:
                self._write(batch)
            finally:
                for other in batch:
                    if other is not pending:
                        other.wake.release()
                with self._lock:
                    if self._queue:
                        self._queue[0].wake.release()  # the next writer
                    else:
                        self._writing = False
        return self._result(pending)

    @staticmethod
    def _result(pending: _Pending) -> list[int]:
        if pending.error is not None:
            raise pending.error
        return pending.ids

    def _write(self, batch: list[_Pending]) -> None:
        self.batches += 1
        self.requests += len(batch)
        try:
            try:
                self._insert_reconnecting(batch)
            except DatabaseError:
                if len(batch) == 1:
                    raise
                logger.warning("webhook batch of %s failed; writing each alone", len(batch))
                for pending in batch:
                    try:
                        self._insert_reconnecting([pending])
                    except DatabaseError as e:
                        pending.error = e
        except BaseException as e:
            for pending in batch:
                pending.error = pending.error or e
        finally:
            for pending in batch:
                pending.done = True

    def _insert_reconnecting(self, batch: list[_Pending]) -> None:
        """``_insert``, once more on a new connection if the kept one turns out to be dead.

        This replaces the health check (``CONN_HEALTH_CHECKS``: a ``SELECT 1`` round trip
        before the first query of every request) for the batch's connection. Retrying is safe
        even if a lost COMMIT had in fact succeeded: the wamids are then found stored, and
        their tasks were committed with them."""
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            self._insert(batch)
            return
        reused = connection.connection is not None
        connection.health_check_done = True
        try:
            self._insert(batch)
        except (OperationalError, InterfaceError):
            if not reused:
                raise
            logger.warning("webhook batch: database connection lost; reconnecting once")
            connection.close()
            self._insert(batch)

    def _insert(self, batch: list[_Pending]) -> None:
        from django_tasks_db.backend import DatabaseBackend

        from balai.lib.sql import insert_rows
        from balai.whatsapp.inbox import process_inbound

        # A wamid repeated in the batch (a redelivery racing the first delivery) is
        # written once, for the request that queued first.
        rows, seen = [], set()
        for pending in batch:
            for row in pending.rows:
                if row["wamid"] not in seen:
                    seen.add(row["wamid"])
                    rows.append(row)
        connection = transaction.get_connection()
        backend = process_inbound.get_backend()
        if connection.vendor == "postgresql" and isinstance(backend, DatabaseBackend):
            stored = dict(_insert_postgresql(connection, backend, process_inbound, rows))
        else:
            now = timezone.now()
            for row in rows:
                row.update(received_at=now, state="received", attempts=0, error="")
            with transaction.atomic():
                stored = {
                    wamid: pk
                    for pk, wamid in insert_rows(
                        InboundMessage, rows, skip_conflict_on="wamid", returning=("id", "wamid")
                    )
                }
                new_ids = [stored[row["wamid"]] for row in rows if row["wamid"] in stored]
                enqueue_many_durably(process_inbound, [(pk,) for pk in new_ids])
        for pending in batch:
            pending.ids = [pk for row in pending.rows if (pk := stored.pop(row["wamid"], None))]


_PG_COLUMNS = (  # InboundMessage fields given per row, with their PostgreSQL types
    ("village_id", "bigint"),
    ("number_id", "bigint"),
    ("wamid", "text"),
    ("wa_id", "text"),
    ("user_id", "text"),
    ("profile_name", "text"),
    ("type", "text"),
    ("message", "jsonb"),
    ("sent_at", "timestamptz"),
)


@functools.cache
def _postgresql_sql(quote) -> str:
    inbound, tasks = InboundMessage._meta, DBTaskResult._meta
    names = [quote(name) for name, _ in _PG_COLUMNS]  # the record's keys
    columns = [quote(inbound.get_field(name).column) for name, _ in _PG_COLUMNS] + [
        quote(inbound.get_field(name).column)
        for name in ("received_at", "state", "attempts", "error")
    ]
    task_columns = [
        quote(tasks.get_field(name).column)
        for name in (
            "id",
            "status",
            "args_kwargs",
            "priority",
            "task_path",
            "queue_name",
            "backend_name",
            "run_after",
            "enqueued_at",
            "worker_ids",
            "return_value",
            "exception_class_path",
            "traceback",
        )
    ]
    record = ", ".join(f"{name} {kind}" for name, (_, kind) in zip(names, _PG_COLUMNS, strict=True))
    wamid = quote(inbound.get_field("wamid").column)
    # Only quoted identifiers are interpolated; every value is a parameter.
    return "".join(
        [
            f"WITH r AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r({record}, ",  # noqa: S608
            "n int, task_id uuid)), ",
            f"m AS (INSERT INTO {quote(inbound.db_table)} ({', '.join(columns)}) ",
            f"SELECT {', '.join(names)}, %s::timestamptz, %s::text, 0, '' FROM r ORDER BY n ",  # noqa: S608
            f"ON CONFLICT ({wamid}) DO NOTHING ",
            f"RETURNING {quote(inbound.pk.column)} AS id, {wamid} AS wamid), ",
            f"t AS (INSERT INTO {quote(tasks.db_table)} ({', '.join(task_columns)}) ",
            "SELECT r.task_id, %s::text, jsonb_build_object('args', jsonb_build_array(m.id), ",
            "'kwargs', '{}'::jsonb), %s::int, %s::text, %s::text, %s::text, %s::timestamptz, ",
            "%s::timestamptz, '[]'::jsonb, NULL, '', '' ",
            "FROM m JOIN r USING (wamid)) ",
            "SELECT wamid, id FROM m",
        ]
    )


def _insert_postgresql(connection, backend, task, rows: list[dict]) -> list[tuple[str, int]]:
    """Every row and a task for each new one, in one autocommitted statement: the rows travel
    as one JSON parameter (expanded by ``jsonb_to_recordset``), the messages are inserted
    unless their wamid is stored, and the task rows — the columns ``DatabaseBackend.enqueue``
    writes, as in ``balai.core.jobs`` — are inserted for exactly the messages that were.
    One round trip and one commit per batch, and no per-value work in Python. ``rows`` has
    no wamid twice."""
    backend.validate_task(task)
    sql = _postgresql_sql(connection.ops.quote_name)
    now = timezone.now()
    records = [
        {
            **row,
            "sent_at": row["sent_at"].isoformat(),
            "n": n,
            "task_id": str(backend._get_id()),
        }
        for n, row in enumerate(rows)
    ]
    params = [
        json.dumps(records, ensure_ascii=False, separators=(",", ":")),
        now,
        InboundMessage.State.RECEIVED.value,
        TaskResultStatus.READY.value,
        task.priority,
        task.module_path,
        task.queue_name,
        backend.alias,
        task.run_after or get_date_max(),
        now,
    ]
    # A prepared statement (server-side binding): PostgreSQL plans it once per connection.
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


GROUP_COMMIT = GroupCommit()
