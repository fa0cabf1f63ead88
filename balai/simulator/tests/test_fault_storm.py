"""A storm of Cloud API faults while many residents write: every reply ends sent (or later)
or failed with the right code, none is lost and none is sent twice."""

import datetime as dt

from django.utils import timezone

from balai.simulator.models import SimMessage
from balai.simulator.tests.base import SimulatorTestCase
from balai.whatsapp.models import InboundMessage, OutboundMessage
from balai.whatsapp.sweep import sweep_whatsapp

RESIDENTS = 30
DONE = {"sent", "delivered", "read", "failed"}


class FaultStormTest(SimulatorTestCase):
    def test_storm(self):
        for kind, count in [
            ("rate_limit", 10),
            ("server_error", 8),
            ("pair_limit", 6),
            ("undeliverable", 3),
            ("slow", 2),
        ]:
            response = self.api(
                "post",
                "faults",
                {"village": self.PNID, "kind": kind, "count": count, "delay": 0.01},
            )
            self.assertEqual(response.status_code, 200, response.content)
        phones = [f"62857{i:08d}" for i in range(RESIDENTS)]
        for phone in phones:
            self.say(**{"from": phone, "text": "halo, sy mau tanya"})

        # Time passes: retries come due and the sweeper enqueues them, until nothing waits.
        for _round in range(40):
            waiting = OutboundMessage.objects.filter(state__in=["queued", "sending"])
            if not waiting.exists():
                break
            waiting.update(next_attempt_at=timezone.now() - dt.timedelta(minutes=1))
            with self.round_trip():
                sweep_whatsapp.call()
        else:
            self.fail("messages still waiting after 40 rounds")

        self.assertEqual(InboundMessage.objects.filter(state="processed").count(), RESIDENTS)
        replies = OutboundMessage.objects.filter(kind="text")
        self.assertEqual(replies.count(), RESIDENTS)
        self.assertEqual(set(replies.values_list("state", flat=True)) - DONE, set())
        failed = replies.filter(state="failed")
        self.assertEqual(set(failed.values_list("last_error_code", flat=True)) - {131026}, set())
        self.assertLessEqual(failed.count(), 3)
        # Retried messages really were retried, and each reply reached the API at most once.
        self.assertTrue(replies.filter(attempts__gt=1).exists())
        for phone in phones:
            row = replies.get(to=phone)
            accepted = SimMessage.objects.filter(
                direction="out", wa_id=phone, payload__type="text"
            ).count()
            self.assertEqual(accepted, 0 if row.state == "failed" else 1, phone)
        self.assertEqual(self.api("get", "faults").json().get("faults", []), [])
