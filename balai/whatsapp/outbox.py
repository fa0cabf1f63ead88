"""The outbox: queue a message (``do_send``), send it under the rate limits
(``send_outbound``), and move it along with status webhooks (``apply_status``).

A row is claimed with a conditional UPDATE (queued → sending), so two workers never send the
same row. Messages to one recipient leave in the order they were queued. Meta's errors are
handled by code: retryable ones back off and retry, permanent ones fail with the code
recorded, 131047 switches to the village's re-engagement template, and 190/368/131031 pause
the number and alert the village's operators.
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from balai.core.jobs import defer, enqueue_durably, job
from balai.residents.models import Resident
from balai.whatsapp import client as api
from balai.whatsapp import messages as build
from balai.whatsapp.limits import acquire_number, acquire_pair
from balai.whatsapp.models import (
    ChannelAlert,
    Contact,
    OutboundMessage,
    StatusEvent,
    Template,
    WhatsAppNumber,
)

logger = logging.getLogger(__name__)
State = OutboundMessage.State
REENGAGE = "reengage"


class NoChannel(Exception):
    """The village has no WhatsApp number (not even the simulator)."""


def recipient_fields(resident: Resident) -> dict:
    if resident.phone:
        return {"to": resident.phone.lstrip("+")}
    if resident.wa_user_id:
        return {"recipient": resident.wa_user_id}
    raise ValueError(f"resident {resident.code} has neither a phone number nor a BSUID")


def _outbound(
    resident: Resident, built: tuple[str, dict], *, reply_to: str | None = None, **fields
) -> OutboundMessage:
    """An unsaved outbox row for ``resident``; ``fields`` are the row's own (purpose, …)."""
    kind, body = built
    try:
        number = resident.village.whatsapp
    except WhatsAppNumber.DoesNotExist:
        raise NoChannel(f"{resident.village} has no WhatsApp number") from None
    recipient = recipient_fields(resident)
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **recipient, **body}
    if reply_to and "context" not in payload:
        payload["context"] = {"message_id": reply_to}
    return OutboundMessage(
        village_id=resident.village_id,
        number=number,
        resident=resident,
        to=next(iter(recipient.values())),
        kind=kind,
        payload=payload,
        **fields,
    )


def do_send(
    resident: Resident,
    built: tuple[str, dict],
    *,
    purpose: str = "",
    reply_to: str | None = None,
    template_values: dict | None = None,
    sent_by=None,
) -> OutboundMessage:
    """Queue one message for a resident; it is sent after the transaction commits.

    Outside the 24-hour window it is replaced by the village's approved template for
    ``purpose``, filled from ``template_values`` (plus nama and desa), and sent as it was
    once the resident writes again."""
    row = _outbound(
        resident,
        built,
        reply_to=reply_to,
        purpose=purpose,
        template_values=template_values or {},
        sent_by=sent_by,
    )
    with transaction.atomic():
        row.save(force_insert=True)
        enqueue_durably(send_outbound, row.id)
    return row


def do_queue_many(
    messages: list[tuple[Resident, tuple[str, dict]]],
    *,
    purpose: str = "",
    template_values: dict | None = None,
) -> list[OutboundMessage]:
    """``do_send`` for many residents with one INSERT and no send task each: the caller
    enqueues ``send_outbound_batch`` for the rows in the same transaction (an announcement's
    pump). Rows come back in the order given, with their ids."""
    rows = [
        _outbound(resident, built, purpose=purpose, template_values=template_values or {})
        for resident, built in messages
    ]
    return OutboundMessage.objects.bulk_create(rows)


def do_mark_read(inbound) -> OutboundMessage:
    """Blue ticks and the typing indicator for a received message (not rate limited)."""
    with transaction.atomic():
        row = OutboundMessage.objects.create(
            village_id=inbound.village_id,
            number_id=inbound.number_id,
            resident_id=inbound.resident_id,
            to=inbound.wa_id or inbound.user_id,
            kind=OutboundMessage.Kind.READ,
            payload=build.read_receipt(inbound.wamid),
        )
        enqueue_durably(send_outbound, row.id)
    return row


def _retry_later(row: OutboundMessage, seconds: float, **fields) -> None:
    fields.setdefault("state", State.QUEUED)
    OutboundMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(seconds=seconds), sending_since=None, **fields
    )
    defer(send_outbound, seconds, row.pk)


def _fail(row: OutboundMessage, code: int | None, text: str, *, attention=False) -> None:
    OutboundMessage.objects.filter(pk=row.pk).update(
        state=State.FAILED,
        failed_at=timezone.now(),
        last_error_code=code,
        last_error=text[:2000],
        needs_attention=attention,
        sending_since=None,
    )


def _reengage_template(row: OutboundMessage) -> Template | None:
    if not row.purpose and row.kind != OutboundMessage.Kind.TEXT:
        return None
    return (
        Template.objects.filter(
            village_id=row.village_id,
            status=Template.Status.APPROVED,
            purpose__in=[row.purpose or REENGAGE, REENGAGE],
        )
        .order_by("-purpose")
        .first()
    )


def _switch_to_template(row: OutboundMessage, reason: str) -> bool:
    """Outside the 24-hour window only a template may go: use the village's, if it has one."""
    tpl = _reengage_template(row)
    if tpl is None:
        _fail(
            row,
            api.OUTSIDE_WINDOW,
            f"{reason}; no approved template for this purpose",
            attention=True,
        )
        ChannelAlert.objects.create(
            village_id=row.village_id,
            code=api.OUTSIDE_WINDOW,
            message=f"Pesan ke {row.to} tidak terkirim: lewat 24 jam sejak warga terakhir "
            f"menghubungi, dan belum ada template yang disetujui untuk keperluan ini.",
        )
        return False
    resident = row.resident
    known = {
        "nama": resident.name if resident else "Bapak/Ibu",
        "desa": str(row.village.name),
        **{str(k).lower(): str(v) for k, v in (row.template_values or {}).items()},
    }
    params = [known.get(str(name).lower(), "-") for name in tpl.parameters]
    _kind, body = build.template(tpl.name, tpl.language, params or None)
    recipient = {k: row.payload[k] for k in ("to", "recipient") if k in row.payload}
    payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **recipient, **body}
    OutboundMessage.objects.filter(pk=row.pk).update(
        kind=OutboundMessage.Kind.TEMPLATE,
        payload=payload,
        waiting_kind=row.kind,
        waiting_payload=row.payload,
        state=State.QUEUED,
        sending_since=None,
        last_error=reason[:2000],
        last_error_code=api.OUTSIDE_WINDOW,
        next_attempt_at=timezone.now(),
    )
    enqueue_durably(send_outbound, row.pk)
    return True


@job(queue_name="outbox")
def send_outbound(outbound_id: int) -> str:
    rows = _fetch([outbound_id])
    if not rows:
        return "not queued"
    result, wamid = _send(rows[0], _earlier(rows))
    _apply_early_statuses([wamid] if wamid else [])
    return result


# A batch waits in its worker for the number's throughput bucket when the wait is short (the
# pump releases at the number's pace, so it rarely is), rather than deferring each message.
BATCH_INLINE_WAIT = 1.0


@job(queue_name="outbox")
def send_outbound_batch(outbound_ids: list[int]) -> str:
    """Send queued rows one after another in one task (an announcement's chunk, released
    by its pump): one task, one fetch and one look for earlier messages for them all,
    instead of one each. Every row is still claimed, sent and committed on its own, so a
    worker killed half-way leaves at most one row ``sending`` (the duplicate window); the
    rows after it stay queued and the outbox sweeper sends them."""
    rows = _fetch(outbound_ids)
    earlier = _earlier(rows)
    results: dict[str, int] = {}
    wamids = []
    for row in rows:
        result, wamid = _send(row, earlier, inline_wait=BATCH_INLINE_WAIT)
        if wamid:
            wamids.append(wamid)
        if result != "sent":
            # A later row to the same person must not overtake this one.
            earlier.setdefault((row.number_id, row.to), []).append((row.pk, timezone.now()))
        key = "rate limited" if result.startswith("rate limited") else result
        results[key] = results.get(key, 0) + 1
    _apply_early_statuses(wamids)
    gone = len(outbound_ids) - len(rows)
    if gone:
        results["not queued"] = results.get("not queued", 0) + gone
    return ", ".join(f"{key} {n}" for key, n in sorted(results.items()))


def _fetch(ids: list[int]) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.select_related("number", "village", "resident__whatsapp")
        .filter(pk__in=ids, state=State.QUEUED)
        .order_by("pk")
    )


def _earlier(rows: list[OutboundMessage]) -> dict[tuple[int, str], list[tuple[int, dt.datetime]]]:
    """Unsent messages queued before these rows to the same recipients (not read receipts,
    not the rows themselves), by (number, recipient): a message waits for those."""
    wanted = [r for r in rows if r.kind != OutboundMessage.Kind.READ]
    if not wanted:
        return {}
    found: dict[tuple[int, str], list[tuple[int, dt.datetime]]] = {}
    pending = (
        OutboundMessage.objects.filter(
            number_id__in={r.number_id for r in wanted},
            to__in={r.to for r in wanted},
            pk__lt=max(r.pk for r in wanted),
            state__in=[State.QUEUED, State.SENDING],
        )
        .exclude(kind=OutboundMessage.Kind.READ)
        .exclude(pk__in=[r.pk for r in rows])
        .values_list("number_id", "to", "pk", "next_attempt_at")
    )
    for number_id, to, pk, at in pending:
        found.setdefault((number_id, to), []).append((pk, at))
    return found


def _send(row: OutboundMessage, earlier: dict, *, inline_wait: float = 0.0) -> tuple[str, str]:
    """Send one queued row under the rate limits; returns what happened and the wamid."""
    now = timezone.now()
    if row.next_attempt_at > now + dt.timedelta(seconds=1):
        return "not due", ""  # a deferred task for the right time exists
    number = row.number
    if number.is_paused:
        _retry_later(row, 60)
        return "number paused", ""
    is_read = row.kind == OutboundMessage.Kind.READ
    if not is_read:
        before = [at for pk, at in earlier.get((row.number_id, row.to), []) if pk < row.pk]
        if before:
            _retry_later(row, max((min(before) - now).total_seconds(), 0) + 1)
            return "waiting for an earlier message", ""
        if row.kind != OutboundMessage.Kind.TEMPLATE and not _window_open(row, now):
            with transaction.atomic():
                _switch_to_template(row, "outside the 24-hour customer service window")
            return "outside window", ""
        wait = acquire_pair(number, row.to)
        if not wait:
            wait = acquire_number(number)
            while 0 < wait <= inline_wait:
                time.sleep(wait)
                wait = acquire_number(number)
        if wait > 0:
            _retry_later(row, wait)
            return f"rate limited for {wait:.2f}s", ""
    claimed = OutboundMessage.objects.filter(pk=row.pk, state=State.QUEUED).update(
        state=State.SENDING, sending_since=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "claimed by another worker", ""
    row.attempts += 1
    client = api.CloudAPI(number)
    try:
        if is_read:
            client.mark_read(row.payload)
            wamid = None
        else:
            wamid = client.send(row.payload)
    except api.CloudAPIError as error:
        with transaction.atomic():
            _handle_error(row, error)
        return f"error {error.code}", ""
    OutboundMessage.objects.filter(pk=row.pk, state=State.SENDING).update(
        state=State.SENT, wamid=wamid, sent_at=timezone.now(), sending_since=None
    )
    return "sent", wamid or ""


def _apply_early_statuses(wamids: list[str]) -> None:
    """Statuses that arrived before their send was committed (Meta can be that quick) wait
    unapplied for it: apply them now."""
    if wamids:
        early = StatusEvent.objects.filter(wamid__in=wamids, applied=False).order_by("pk")
        apply_statuses(list(early))


def _window_open(row: OutboundMessage, now) -> bool:
    contact = getattr(row.resident, "whatsapp", None) if row.resident else None
    return contact is not None and contact.window_open(now)


def _backoff(row: OutboundMessage, code: int) -> float:
    n = row.attempts
    if code in api.PER_RECIPIENT:
        return 4.0 ** (n - 1)  # Meta: retry after 4^X seconds, X from 0
    if code in {4, 80007, 130429}:
        return min(2.0**n, 60)
    if code == 131057:
        return 30
    return min(5 * 4.0 ** (n - 1), 600)


def _handle_error(row: OutboundMessage, error: api.CloudAPIError) -> None:
    text = str(error)
    logger.info("send %s failed: %s", row.code, text)
    if error.code == api.OUTSIDE_WINDOW and row.kind != OutboundMessage.Kind.TEMPLATE:
        _switch_to_template(row, text)
    elif error.code in api.PAUSE_NUMBER:
        do_pause_number(row.number, error)
        # Not the message's fault: it waits, without spending an attempt, for the number.
        _retry_later(
            row, 300, attempts=F("attempts") - 1, last_error_code=error.code, last_error=text[:2000]
        )
    elif error.retryable and row.attempts < settings.WHATSAPP_MAX_SEND_ATTEMPTS:
        _retry_later(
            row, _backoff(row, error.code), last_error_code=error.code, last_error=text[:2000]
        )
    else:
        attention = row.kind != OutboundMessage.Kind.READ
        _fail(row, error.code, text, attention=attention)


def do_pause_number(number: WhatsAppNumber, error: api.CloudAPIError) -> None:
    updated = WhatsAppNumber.objects.filter(pk=number.pk, paused_at__isnull=True).update(
        paused_at=timezone.now(), paused_reason=str(error)[:300]
    )
    if updated:
        ChannelAlert.objects.create(
            village_id=number.village_id,
            code=error.code,
            message=f"Pengiriman WhatsApp dihentikan sementara: Meta menjawab {error}. "
            "Periksa token akses dan status akun di Meta, lalu aktifkan lagi nomor ini.",
        )


def do_resume_number(number: WhatsAppNumber) -> None:
    WhatsAppNumber.objects.filter(pk=number.pk).update(paused_at=None, paused_reason="")
    ChannelAlert.objects.filter(
        village_id=number.village_id, resolved_at__isnull=True, code__in=api.PAUSE_NUMBER
    ).update(resolved_at=timezone.now())


STATUS_STATE = {
    "sent": State.SENT,
    "delivered": State.DELIVERED,
    "read": State.READ,
    "played": State.READ,
    "failed": State.FAILED,
}


def _status_fields(row: OutboundMessage, event: StatusEvent) -> dict:
    """What ``event`` changes on ``row`` (moving it forward, never back), applied to the
    in-memory row too so that several statuses of one message can be folded together."""
    new = STATUS_STATE.get(event.status)
    if new is None:
        return {}
    fields = {}
    if OutboundMessage.RANK[new] > OutboundMessage.RANK[row.state] and not (
        new == State.FAILED and row.state in {State.DELIVERED, State.READ}
    ):
        fields["state"] = new
    if new in {State.DELIVERED, State.READ} and row.delivered_at is None:
        # A read can arrive without a delivered: it was delivered at the same time.
        fields["delivered_at"] = event.timestamp
    if new == State.READ and row.read_at is None:
        fields["read_at"] = event.timestamp
    if new == State.SENT and row.sent_at is None:
        fields["sent_at"] = event.timestamp
    if new == State.FAILED:
        errors = event.payload.get("errors") or [{}]
        first = errors[0] if isinstance(errors[0], dict) else {}
        code = first.get("code") if isinstance(first.get("code"), int) else None
        fields.update(
            failed_at=event.timestamp,
            last_error_code=code,
            last_error=str(first.get("message") or first.get("title") or "")[:2000],
            needs_attention=True,
        )
    for name, value in fields.items():
        setattr(row, name, value)
    return fields


def apply_status(event: StatusEvent) -> bool:
    """Move the outbox row forward (never back); unknown wamids wait for their send."""
    return bool(apply_statuses([event]))


def outbound_by_wamid(wamids) -> dict[str, OutboundMessage]:
    return {row.wamid: row for row in OutboundMessage.objects.filter(wamid__in=set(wamids))}


def apply_statuses(events: list[StatusEvent], rows=None, *, mark: bool = True) -> int:
    """``apply_status`` for many stored events (a webhook carrying a batch of statuses): one
    read of their outbox rows (or ``rows``, read by the caller), one write per changed row,
    one to mark them applied (unless stored so: ``mark=False``). Returns how many were
    applied; the others' messages are not known yet."""
    if rows is None:
        rows = outbound_by_wamid(e.wamid for e in events)
    changed: dict[int, dict] = {}
    applied = []
    for event in events:
        row = rows.get(event.wamid)
        if row is None:
            continue
        changed.setdefault(row.pk, {}).update(_status_fields(row, event))
        applied.append(event.pk)
    for pk, fields in changed.items():
        if fields:
            OutboundMessage.objects.filter(pk=pk).update(**fields)
    if applied and mark:
        StatusEvent.objects.filter(pk__in=applied).update(applied=True)
    return len(applied)


def contact_for(resident: Resident) -> Contact:
    contact, _ = Contact.objects.get_or_create(
        resident=resident, defaults={"village_id": resident.village_id}
    )
    return contact


def do_send_waiting(resident: Resident) -> int:
    """Queue the messages that waited for this resident to open the 24-hour window (they
    were replaced by a template invitation); call inside the transaction that opened it."""
    count = 0
    waiting = (
        OutboundMessage.objects.select_for_update()
        .filter(resident=resident, waiting_payload__isnull=False)
        .order_by("pk")
    )
    for row in waiting:
        with transaction.atomic():
            new = OutboundMessage.objects.create(
                village_id=row.village_id,
                number_id=row.number_id,
                resident=resident,
                to=row.to,
                kind=row.waiting_kind,
                payload=row.waiting_payload,
                purpose=row.purpose,
            )
            OutboundMessage.objects.filter(pk=row.pk).update(waiting_kind="", waiting_payload=None)
            enqueue_durably(send_outbound, new.pk)
        count += 1
    return count


def do_record_opt_in(resident: Resident, text_shown: str) -> Contact:
    """Record that the resident agreed to receive template messages, with the exact text
    they were shown (Meta requires opt-in for templates; UU PDP requires consent)."""
    contact = contact_for(resident)
    contact.opted_in_at = timezone.now()
    contact.opt_in_text = text_shown
    contact.save(update_fields=["opted_in_at", "opt_in_text"])
    return contact


def do_record_opt_out(resident: Resident) -> None:
    Contact.objects.filter(resident=resident).update(opted_in_at=None)
