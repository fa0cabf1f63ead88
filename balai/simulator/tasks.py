"""Background work of the fake Cloud API: the status webhooks after an accepted send."""

from balai.core.jobs import job
from balai.simulator.models import SimMessage
from balai.simulator.webhooks import post_status
from balai.whatsapp.models import WhatsAppNumber


@job()
def deliver(sim_message_id: int, fail: bool = False) -> str:
    """Post ``sent`` then ``delivered`` for an accepted message (or one ``failed``), as a
    phone receiving it would cause. A webhook that does not answer 200 raises, so the job
    retries with backoff — as Meta redelivers — without repeating the statuses already taken."""
    message = SimMessage.objects.filter(pk=sim_message_id, direction="out").first()
    if message is None:
        return "message gone"
    number = WhatsAppNumber.objects.filter(
        phone_number_id=message.phone_number_id, is_simulated=True
    ).first()
    if number is None:
        return "number gone"
    states = ["failed"] if fail else ["sent", "delivered"]
    done = []
    for state in states:
        if SimMessage.RANK[message.status] >= SimMessage.RANK[state]:
            continue  # already there, or read first (a read may come without a delivered)
        post_status(number, message, state)
        done.append(state)
    return ", ".join(done) or "nothing to post"
