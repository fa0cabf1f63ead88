"""Paced, crash-safe sending of an announcement to thousands of residents.

The pieces
----------
``do_start`` makes a ``Broadcast`` and writes its first batch of ``Recipient`` rows (one per
resident, unique on broadcast + resident); the rest are written in batches of
``BATCH`` by resident id as the send goes (``cursor``), so the audience is the subscribers
at the moment their batch is written.

A **pump** per sending number paces every running broadcast on it. It is a chain of short
tasks (one tick per ``TICK`` second, on the ``outbox`` queue at high priority); the
``Pump`` row, shared by all workers, holds the chain number, a lease and the credit earned.
Each tick earns ``pace × elapsed`` messages (pace = the number's throughput, times the
village's share for normal announcements; emergency ones take all of it and go first —
other broadcasts on the number wait while one runs), and releases that many recipients,
but never lets more than ``BACKLOG_SECONDS`` of released messages wait in the outbox, nor
any wait longer than ``MAX_WAIT`` (slow senders), so pause, cancel and unsubscribes take
effect within seconds, and a pump ahead of slow workers does not flood the queue.

Recipients are released ``CHUNK`` at a time, each chunk one transaction: lock the pending
rows (``SKIP LOCKED`` on PostgreSQL), check the residents are still in the audience (those
who unsubscribed mid-way are skipped), write their outbox rows (``outbox.do_queue_many``, one
INSERT), mark the recipients released with their outbox row's id (a unique key: one outbox
row per recipient), and enqueue one ``outbox.send_outbound_batch`` task per ``SEND_BATCH``
rows (written in the same transaction with the database task backend). A worker killed
anywhere in it leaves either nothing or all of it.

From there the outbox sends: the number's throughput bucket and Meta's pair limit are token
buckets shared by all workers, each row is claimed with a conditional UPDATE, sent, and its
``sent`` state committed before the next one, and statuses (sent/delivered/read/failed) come
back by webhook into the outbox row, which the progress bar reads. One task per ten messages
rather than one each is what lets two CPUs keep up with 80 messages/second
(docs/benchmarks.md).

The duplicate window
--------------------
Meta has no idempotency key. A recipient can get the announcement twice only if the worker
sending it dies after its POST to ``/messages`` left and before the ``sent`` state is
committed: the row stays ``sending`` and the outbox sweeper sends it again after
``SENDING_STALE`` (5 minutes). A worker sends one message at a time, so each killed worker
adds at most one duplicate. A killed pump adds none (its transaction rolls back), nor does a
killed worker whose batch still had rows it had not claimed (they are still ``queued``: the
sweeper re-enqueues queued rows after 30 seconds, and the claim lets one worker win).
``make bench-broadcast`` kills every worker half-way through 10,000 recipients and counts
what Meta's side received.

A lost pump chain (its worker killed between ticks) is restarted by ``sweep_broadcasts``
within ``STALE`` + 10 seconds; a late chain that wakes up finds it was superseded and stops.
"""

import datetime as dt
import logging
import time

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from balai.announcements import content
from balai.announcements.audience import ANNOUNCEMENT_PURPOSE, Audience, default_template
from balai.announcements.models import Announcement, Broadcast, NewsSettings, Pump, Recipient
from balai.core.jobs import defer, enqueue_durably, enqueue_on_commit, job
from balai.core.schedule import periodic
from balai.lib.sql import update_each
from balai.residents.models import Resident
from balai.whatsapp.models import OutboundMessage, WhatsAppNumber
from balai.whatsapp.outbox import do_queue_many, send_outbound_batch

logger = logging.getLogger(__name__)

TICK = 1.0  # seconds between the pump's ticks
BACKLOG_SECONDS = 2.0  # at most this many seconds of messages wait in the outbox…
MAX_WAIT = 5.0  # …and none longer than this (when the senders are slower than the pace)
MAX_GAP = 3.0  # a late tick earns at most this many seconds of messages
STALE = 15.0  # a pump that has not ticked for this long is restarted
LEASE = 30.0  # a tick holds the pump this long at most
BATCH = 2000  # recipients written per batch
CHUNK = 50  # recipients released per transaction
SEND_BATCH = 10  # messages per send task (several workers share a tick's release)
PUMP_PRIORITY = 10  # before the queued sends (django-tasks' priority, higher first)

R = Recipient.State
B = Broadcast.State
OS = OutboundMessage.State


class SendError(Exception):
    """The announcement cannot be sent (no number, no audience, missing template)."""


# --- starting, pausing, resuming, cancelling -----------------------------------------------


def do_start(announcement: Announcement, user, *, now=None) -> Broadcast:
    """Publish the announcement and start sending it; the first batch of recipients is
    written here, the pump is started when the transaction commits."""
    now = now or timezone.now()
    village = announcement.village
    try:
        number = village.whatsapp
    except WhatsAppNumber.DoesNotExist:
        raise SendError("Desa ini belum punya nomor WhatsApp.") from None
    template = announcement.template or default_template(village)
    settings = NewsSettings.of(village)
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if Broadcast.objects.filter(announcement=locked).exists():
            raise SendError("Pengumuman ini sudah dikirim.")
        fields = {"state": Announcement.State.SENDING}
        if locked.published_at is None:
            fields["published_at"] = now
        Announcement.objects.filter(pk=locked.pk).update(**fields)
        for name, value in fields.items():
            setattr(announcement, name, value)
        kind, body = content.free_message(announcement)
        broadcast = Broadcast.objects.create(
            announcement=announcement,
            village=village,
            number=number,
            emergency=announcement.topic.is_emergency,
            share=settings.normal_share,
            free_kind=kind,
            free_body=body,
            template=template,
            template_values=content.template_values(announcement),
            total=Audience.of(announcement).residents().count(),
            started_by=user,
            started_at=now,
        )
        materialize(broadcast)
        kick(number.pk)
    return broadcast


def do_pause(broadcast: Broadcast, *, now=None) -> int:
    """Stop releasing; messages already in the outbox but not yet taken by a sender are
    pulled back (they go first when resumed). Returns how many were pulled back."""
    updated = Broadcast.objects.filter(pk=broadcast.pk, state=B.RUNNING).update(
        state=B.PAUSED, paused_at=now or timezone.now()
    )
    if not updated:
        return 0
    broadcast.state = B.PAUSED
    return withdraw(broadcast, to=R.PENDING)


def do_resume(broadcast: Broadcast) -> bool:
    updated = Broadcast.objects.filter(pk=broadcast.pk, state=B.PAUSED).update(
        state=B.RUNNING, paused_at=None
    )
    if updated:
        broadcast.state = B.RUNNING
        transaction.on_commit(lambda: kick(broadcast.number_id))
    return bool(updated)


def do_cancel(broadcast: Broadcast, *, now=None) -> int:
    """Stop for good: nothing more is released, and what waits in the outbox is pulled
    back. Returns how many recipients will not get the message."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Broadcast.objects.filter(pk=broadcast.pk, state__in=[B.RUNNING, B.PAUSED]).update(
            state=B.CANCELLED, finished_at=now
        )
        if not updated:
            return 0
        broadcast.state = B.CANCELLED
        Announcement.objects.filter(pk=broadcast.announcement_id).update(
            state=Announcement.State.CANCELLED
        )
        pulled = withdraw(broadcast, to=R.WITHDRAWN, reason="dibatalkan petugas")
        waiting = Recipient.objects.filter(broadcast=broadcast, state=R.PENDING).update(
            state=R.WITHDRAWN, skip_reason="dibatalkan petugas"
        )
    return pulled + waiting


def withdraw(broadcast: Broadcast, *, to: str, reason: str = "", resident=None) -> int:
    """Pull back released messages still queued in the outbox (not claimed by a sender).

    A row being claimed right now is locked and skipped (PostgreSQL) — it is sent; a row
    pulled back can no longer be claimed (the claim is conditional on ``queued``), so a
    withdrawn message is never sent. The recipient goes back to ``to``."""
    with transaction.atomic():
        released = Recipient.objects.filter(
            broadcast=broadcast, state=R.RELEASED, outbound__state=OS.QUEUED
        )
        if resident is not None:
            released = released.filter(resident=resident)
        candidates = list(released.values_list("outbound_id", flat=True))
        if not candidates:
            return 0
        locked = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=candidates, state=OS.QUEUED)
            .values_list("pk", flat=True)
        )
        Recipient.objects.filter(outbound_id__in=locked).update(
            state=to, outbound=None, via_template=False, released_at=None, skip_reason=reason
        )
        OutboundMessage.objects.filter(pk__in=locked, state=OS.QUEUED).delete()
    return len(locked)


# --- the pump ------------------------------------------------------------------------------


def kick(number_id: int, now: float | None = None) -> bool:
    """Start a new pump chain for the number unless one ticked recently."""
    now = time.time() if now is None else now
    Pump.objects.get_or_create(number_id=number_id)
    with transaction.atomic():
        started = Pump.objects.filter(number_id=number_id, ticked_at__lt=now - STALE).update(
            chain=F("chain") + 1, ticked_at=now - TICK, lease_until=0, credit=0
        )
        if started:
            chain = Pump.objects.get(number_id=number_id).chain
            enqueue_on_commit(pump, number_id, chain)
    return bool(started)


@job(queue_name="outbox", priority=PUMP_PRIORITY)
def pump(number_id: int, chain: int) -> str:
    result = tick(number_id, chain)
    if result.startswith("released") or result == "waiting":
        defer(pump, TICK, number_id, chain)
    return result


def tick(number_id: int, chain: int, now: float | None = None) -> str:
    """One tick of a number's pump; returns what it did ("superseded", "busy", "idle",
    "waiting", or "released N")."""
    now = time.time() if now is None else now
    state = Pump.objects.filter(number_id=number_id).first()
    if state is None or state.chain != chain:
        return "superseded"
    if not Pump.objects.filter(number_id=number_id, chain=chain, lease_until__lt=now).update(
        lease_until=now + LEASE
    ):
        return "busy"
    try:
        running = list(
            Broadcast.objects.filter(number_id=number_id, state=B.RUNNING)
            .select_related("announcement__topic", "village", "number", "template")
            .order_by("-emergency", "started_at", "pk")
        )
        if not running:
            Pump.objects.filter(number_id=number_id, chain=chain).update(
                ticked_at=0, lease_until=0, credit=0
            )
            return "idle"
        if running[0].emergency:  # emergencies go first; the others wait
            running = [b for b in running if b.emergency]
        pace = running[0].pace
        elapsed = min(max(now - state.ticked_at, 0.0), MAX_GAP) if state.ticked_at else TICK
        budget = min(state.credit + pace * elapsed, pace * MAX_GAP)
        at = dt.datetime.fromtimestamp(now, dt.UTC)
        room = _room(number_id, pace, at)
        allowed = int(min(budget, room))
        released = 0
        for broadcast in running:
            if not broadcast.materialized:
                materialize(broadcast)
            if released < allowed:
                released += release(broadcast, allowed - released, at)
            finish_if_done(broadcast, at)
        credit = budget - released
        if room < budget:  # slow senders: do not hoard what could not be released
            credit = min(credit, pace)
        Pump.objects.filter(number_id=number_id, chain=chain).update(ticked_at=now, credit=credit)
        return f"released {released}" if released else "waiting"
    finally:
        Pump.objects.filter(number_id=number_id, chain=chain).update(lease_until=0)


def _room(number_id: int, pace: float, now: dt.datetime) -> float:
    """How many more messages may wait in the outbox: ``BACKLOG_SECONDS`` at the pace, and
    none while the oldest one due has waited over ``MAX_WAIT`` (the senders are slower than
    the pace: the queue is kept short in time, so the outbox sweeper never takes waiting
    rows for lost ones and pause/cancel/unsubscribe stay quick)."""
    waiting = OutboundMessage.objects.filter(
        number_id=number_id, purpose=ANNOUNCEMENT_PURPOSE, state__in=[OS.QUEUED, OS.SENDING]
    )
    backlog = waiting.count()
    if not backlog:
        return pace * BACKLOG_SECONDS
    oldest = (
        waiting.filter(state=OS.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if oldest is not None and (now - oldest).total_seconds() > MAX_WAIT:
        return 0.0
    return max(pace * BACKLOG_SECONDS - backlog, 0.0)


def materialize(broadcast: Broadcast, batch: int | None = None) -> int:
    """Write the next batch of recipients (by resident id after ``cursor``)."""
    if broadcast.materialized:
        return 0
    batch = batch or BATCH
    with transaction.atomic():
        ids = list(
            Audience.of(broadcast.announcement)
            .residents()
            .filter(pk__gt=broadcast.cursor)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        Recipient.objects.bulk_create(
            [Recipient(broadcast=broadcast, resident_id=pk) for pk in ids], ignore_conflicts=True
        )
        fields = {"cursor": ids[-1] if ids else broadcast.cursor}
        if len(ids) < batch:
            fields["materialized"] = True
            fields["total"] = Recipient.objects.filter(broadcast=broadcast).count()
        # Conditional on the cursor: a second pump racing on the same batch changes nothing.
        if Broadcast.objects.filter(pk=broadcast.pk, cursor=broadcast.cursor).update(**fields):
            for name, value in fields.items():
                setattr(broadcast, name, value)
    return len(ids)


def release(broadcast: Broadcast, limit: int, now: dt.datetime) -> int:
    """Queue the next ``limit`` recipients' messages in the outbox; returns how many."""
    audience = Audience.of(broadcast.announcement)
    village = broadcast.village
    village.whatsapp = broadcast.number  # do_send reads it: no query per message
    sent = 0
    while sent < limit:
        with transaction.atomic():
            # The broadcast's row is locked for the chunk: a pause or cancel waits for it and
            # then pulls back what it released, and the next chunk sees it stopped.
            if (
                not Broadcast.objects.select_for_update()
                .filter(pk=broadcast.pk, state=B.RUNNING)
                .exists()
            ):
                break
            rows = list(
                Recipient.objects.select_for_update(skip_locked=True)
                .filter(broadcast=broadcast, state=R.PENDING)
                .order_by("pk")[: min(CHUNK, limit - sent)]
            )
            if not rows:
                break
            ids = [r.resident_id for r in rows]
            still_in = set(audience.residents().filter(pk__in=ids).values_list("pk", flat=True))
            people = Resident.objects.filter(pk__in=ids).select_related("whatsapp").in_bulk()
            skipped: dict[str, list[int]] = {}
            chosen = []  # (recipient row, resident, message, inside the 24-hour window)
            for row in rows:
                person = people.get(row.resident_id)
                reason = _skip_reason(broadcast, person, row.resident_id in still_in, now)
                if reason:
                    skipped.setdefault(reason, []).append(row.pk)
                    continue
                person.village = village
                inside = _window_open(person, now)
                if inside:
                    built = (broadcast.free_kind, broadcast.free_body)
                else:
                    built = content.template_message(
                        broadcast.template, broadcast.template_values, person.name
                    )
                chosen.append((row, person, built, inside))
            outbound = do_queue_many(
                [(person, built) for _, person, built, _ in chosen],
                purpose=ANNOUNCEMENT_PURPOSE,
                template_values=broadcast.template_values,
            )
            update_each(
                Recipient,
                ["state", "outbound", "via_template", "released_at"],
                [
                    (row.pk, R.RELEASED, message.pk, not inside, now)
                    for (row, _, _, inside), message in zip(chosen, outbound, strict=True)
                ],
            )
            queued = [message.pk for message in outbound]
            for start in range(0, len(queued), SEND_BATCH):
                enqueue_durably(send_outbound_batch, queued[start : start + SEND_BATCH])
            sent += len(queued)
            for reason, pks in skipped.items():
                Recipient.objects.filter(pk__in=pks).update(state=R.SKIPPED, skip_reason=reason)
    return sent


def _window_open(person: Resident, now) -> bool:
    try:
        contact = person.whatsapp
    except Resident.whatsapp.RelatedObjectDoesNotExist:
        return False
    return contact.window_open(now)


def _skip_reason(broadcast, person, still_in: bool, now) -> str:
    if person is None or not still_in:
        return "berhenti berlangganan"
    if not (person.phone or person.wa_user_id):
        return "tanpa nomor WhatsApp"
    if broadcast.template is None and not _window_open(person, now):
        return "lewat 24 jam dan tidak ada templat"
    return ""


def finish_if_done(broadcast: Broadcast, now) -> bool:
    if broadcast.state != B.RUNNING or not broadcast.materialized:
        return False
    if Recipient.objects.filter(broadcast=broadcast, state=R.PENDING).exists():
        return False
    with transaction.atomic():
        if not Broadcast.objects.filter(pk=broadcast.pk, state=B.RUNNING).update(
            state=B.FINISHED, finished_at=now
        ):
            return False
        Announcement.objects.filter(
            pk=broadcast.announcement_id, state=Announcement.State.SENDING
        ).update(state=Announcement.State.SENT)
    broadcast.state = B.FINISHED
    return True


@periodic(seconds=10)
@job()
def sweep_broadcasts() -> dict:
    """Restart pump chains that stopped ticking (their worker died between ticks)."""
    numbers = set(
        Broadcast.objects.filter(state=B.RUNNING).values_list("number_id", flat=True).distinct()
    )
    return {"kicked": sum(kick(number_id) for number_id in numbers)}


# --- progress ------------------------------------------------------------------------------

ERROR_LABELS = {
    131026: "nomor tidak bisa menerima pesan WhatsApp",
    131047: "lewat 24 jam dan tidak ada templat",
    131049: "dibatasi Meta (pesan pemasaran ke warga ini)",
    131050: "warga menolak pesan pemasaran",
    131048: "dibatasi karena laporan spam",
    130429: "batas kecepatan nomor",
    131056: "terlalu sering ke warga yang sama",
    131000: "gangguan di server Meta",
    132000: "isian templat tidak cocok",
    132001: "templat tidak ada dalam bahasa ini",
    -1: "jaringan terputus / waktu habis",
}


def error_label(code) -> str:
    if code is None:
        return "tanpa kode"
    return ERROR_LABELS.get(code, f"kode {code}")


def progress(broadcast: Broadcast) -> dict:
    """Counts for the progress bar, from the recipients and their outbox rows' states."""
    counts = {
        "waiting": 0,
        "queued": 0,
        "sent": 0,
        "delivered": 0,
        "read": 0,
        "failed": 0,
        "skipped": 0,
        "withdrawn": 0,
    }
    templates = 0
    rows = (
        Recipient.objects.filter(broadcast=broadcast)
        .values("state", "outbound__state", "via_template")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        state, out, n = row["state"], row["outbound__state"], row["n"]
        if state == R.PENDING:
            counts["waiting"] += n
        elif state == R.SKIPPED:
            counts["skipped"] += n
        elif state == R.WITHDRAWN:
            counts["withdrawn"] += n
        elif out in {OS.QUEUED, OS.SENDING}:
            counts["queued"] += n
        elif out in counts:
            counts[out] += n
        else:  # the outbox row is gone (the resident was deleted)
            counts["withdrawn"] += n
        if state == R.RELEASED and row["via_template"] and out in {OS.DELIVERED, OS.READ}:
            templates += n
    written = sum(counts.values())
    total = written if broadcast.materialized else max(broadcast.total, written)
    counts["waiting"] += total - written
    done = total - counts["waiting"] - counts["queued"]
    failures = [
        {"code": code, "label": error_label(code), "n": n}
        for code, n in Recipient.objects.filter(broadcast=broadcast, outbound__state=OS.FAILED)
        .values_list("outbound__last_error_code")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    skips = [
        {"label": r["skip_reason"] or "lainnya", "n": r["n"]}
        for r in Recipient.objects.filter(broadcast=broadcast, state__in=[R.SKIPPED])
        .values("skip_reason")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    return {
        "state": broadcast.state,
        "state_label": broadcast.get_state_display(),
        "total": total,
        "counts": counts,
        "done": done,
        "percent": 100 if total == 0 else min(100, done * 100 // total),
        "delivered_templates": templates,
        "failures": failures,
        "skips": skips,
        "finished": broadcast.state in {B.FINISHED, B.CANCELLED} and counts["queued"] == 0,
    }


# --- berhenti ------------------------------------------------------------------------------


def on_stop(sender, resident, **kwargs):
    """``berhenti``: leave every topic, and pull back announcements still queued for them."""
    from balai.announcements.topics import do_unsubscribe

    stopped = do_unsubscribe(resident, text="berhenti")
    for broadcast in Broadcast.objects.filter(
        recipients__resident=resident, state__in=[B.RUNNING, B.PAUSED]
    ).distinct():
        # Pending first: if a pump is releasing this resident right now, this waits for its
        # row lock, finds the row released, and the withdrawal below pulls the message back.
        Recipient.objects.filter(broadcast=broadcast, resident=resident, state=R.PENDING).update(
            state=R.SKIPPED, skip_reason="berhenti berlangganan"
        )
        withdraw(broadcast, to=R.SKIPPED, reason="berhenti berlangganan", resident=resident)
    if stopped:
        return f"Kabar desa ({len(stopped)} topik)"
    return None
