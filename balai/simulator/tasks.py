"""Background work of the fake Cloud API: the status webhooks after accepted sends."""

from balai.core.jobs import job
from balai.simulator.models import SimDelivery, SimMessage
from balai.simulator.webhooks import post_statuses
from balai.whatsapp.models import WhatsAppNumber

# Statuses per webhook at most. Meta's envelope carries arrays (reference/whatsapp.md §1.1);
# a message on its own gets a webhook of its own, many accepted at once share them.
STATUS_BATCH = 100


@job()
def deliver(phone_number_id: str) -> str:
    """Post ``sent`` then ``delivered`` (or ``failed``) for every message the fake Cloud API
    accepted for this number and has not reported yet, as phones receiving them cause.

    The fake Cloud API queues this task only when none is queued for the number
    (``SimDelivery.scheduled``); it is cleared before each look, so a message accepted
    meanwhile is either seen by the look or queues a new task. A webhook that does not
    answer 200 raises, so the job retries with backoff — as Meta redelivers — without
    repeating the statuses already taken."""
    number = WhatsAppNumber.objects.filter(
        phone_number_id=phone_number_id, is_simulated=True
    ).first()
    if number is None:
        return "number gone"
    reported = 0
    while True:
        SimDelivery.objects.filter(phone_number_id=phone_number_id).update(scheduled=False)
        waiting = list(
            SimMessage.objects.filter(
                phone_number_id=phone_number_id,
                direction=SimMessage.Direction.OUT,
                status__in=["accepted", "sent"],
            ).order_by("pk")[:STATUS_BATCH]
        )
        if not waiting:
            return f"{reported} message(s)"
        failing = [m for m in waiting if m.error]
        going = [m for m in waiting if not m.error]
        for state, messages in (("failed", failing), ("sent", going), ("delivered", going)):
            # A read may have come first (a read may come without a delivered).
            due = [m for m in messages if SimMessage.RANK[m.status] < SimMessage.RANK[state]]
            if due:
                post_statuses(number, due, state)
        reported += len(waiting)
