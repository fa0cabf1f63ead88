"""Periodic sweeps that make the channel crash-safe.

A task can be lost between a commit and its enqueue (non-database backends), or a worker can
die mid-task. Every 30 seconds these find rows that should have moved on and enqueue their
task again; processing is idempotent, so a rare double enqueue does no harm.
"""

import datetime as dt

from django.utils import timezone

from balai.core.jobs import job
from balai.core.schedule import periodic
from balai.whatsapp.inbox import download_media, process_inbound
from balai.whatsapp.models import InboundMessage, Media, OutboundMessage, StatusEvent
from balai.whatsapp.outbox import apply_status, send_outbound

INBOUND_STALE = dt.timedelta(seconds=60)
INBOUND_MAX_ATTEMPTS = 10
OUTBOUND_STALE = dt.timedelta(seconds=30)
# A worker killed during the HTTP call leaves its row in "sending"; after this long it is
# sent again. With a timeout after Meta accepted, the only ways Balai sends a message twice
# (docs/whatsapp.md, "Duplicates").
SENDING_STALE = dt.timedelta(minutes=5)
MEDIA_MAX_ATTEMPTS = 8
BATCH = 500


@periodic(seconds=30)
@job()
def sweep_whatsapp() -> dict:
    now = timezone.now()
    counts = {"inbound": 0, "outbound": 0, "reclaimed": 0, "statuses": 0, "media": 0}

    stuck_in = InboundMessage.objects.filter(
        state=InboundMessage.State.RECEIVED, received_at__lt=now - INBOUND_STALE
    )
    stuck_in.filter(attempts__gte=INBOUND_MAX_ATTEMPTS).update(
        state=InboundMessage.State.FAILED, error="gave up after repeated processing failures"
    )
    for pk in stuck_in.values_list("pk", flat=True)[:BATCH]:
        process_inbound.enqueue(pk)
        counts["inbound"] += 1

    reclaimed = OutboundMessage.objects.filter(
        state=OutboundMessage.State.SENDING, sending_since__lt=now - SENDING_STALE
    ).update(
        # Overdue, so the query below enqueues them with the other late rows.
        state=OutboundMessage.State.QUEUED,
        sending_since=None,
        next_attempt_at=now - OUTBOUND_STALE - dt.timedelta(seconds=1),
    )
    counts["reclaimed"] = reclaimed
    due = OutboundMessage.objects.filter(
        state=OutboundMessage.State.QUEUED, next_attempt_at__lt=now - OUTBOUND_STALE
    )
    for pk in due.order_by("pk").values_list("pk", flat=True)[:BATCH]:
        send_outbound.enqueue(pk)
        counts["outbound"] += 1
    for event in StatusEvent.objects.filter(
        applied=False, received_at__lt=now - dt.timedelta(seconds=10)
    )[:BATCH]:
        counts["statuses"] += apply_status(event)

    Media.objects.filter(state=Media.State.PENDING, attempts__gte=MEDIA_MAX_ATTEMPTS).update(
        state=Media.State.FAILED, error="gave up after repeated download failures"
    )
    for pk in Media.objects.filter(
        state=Media.State.PENDING, created__lt=now - INBOUND_STALE
    ).values_list("pk", flat=True)[:BATCH]:
        download_media.enqueue(pk)
        counts["media"] += 1
    return counts
