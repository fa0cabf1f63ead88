"""The paced, crash-safe send: pump ticks with an explicit clock, release, withdraw,
priorities, progress; and a round trip through the simulator."""

import datetime as dt
import threading
import time
from unittest import mock

from django.db import connection
from django.test import TransactionTestCase, override_settings, skipUnlessDBFeature
from django.utils import timezone

from balai.announcements import sending
from balai.announcements.models import Announcement, Broadcast, Pump, Recipient
from balai.announcements.sending import (
    do_cancel,
    do_pause,
    do_resume,
    do_start,
    progress,
    release,
    sweep_broadcasts,
    tick,
)
from balai.announcements.tests.helpers import (
    announcement,
    open_window,
    people,
    subscribe,
    template,
    topic,
)
from balai.announcements.topics import do_unsubscribe
from balai.conversations.stopping import do_stop_all
from balai.simulator.models import SimMessage
from balai.simulator.tests.base import SimulatorTestCase
from balai.test import ChannelTestCase
from balai.whatsapp.models import OutboundMessage

R = Recipient.State


class PumpTestCase(ChannelTestCase):
    def setUp(self):
        self.number.throughput_per_second = 80
        self.number.save()
        self.umum = topic(self.village, "umum")
        self.tpl = template(self.village)

    def start(self, post):
        broadcast = do_start(post, self.operator)
        pump = Pump.objects.get(number=self.number)
        self.chain, self.clock = pump.chain, pump.ticked_at
        return broadcast

    def tick(self, seconds=1.0):
        self.clock += seconds
        return tick(self.number.pk, self.chain, now=self.clock)

    def outbox(self, **filters):
        return OutboundMessage.objects.filter(purpose="announcement", **filters)

    def deliver_all(self):
        """The senders caught up: every queued announcement was sent."""
        self.outbox(state="queued").update(state="sent")


class PacingTest(PumpTestCase):
    def test_releases_at_the_pace_and_never_floods_the_outbox(self):
        residents = people(self.village, 400)
        subscribe(residents, self.umum)
        open_window(residents)
        broadcast = self.start(announcement(self.village))
        self.assertTrue(broadcast.materialized)
        self.assertEqual(Recipient.objects.filter(broadcast=broadcast).count(), 400)
        self.assertEqual(broadcast.pace, 72.0)  # normal: 90% of the number's 80/s

        self.assertEqual(self.tick(), "released 72")
        self.assertEqual(self.outbox(state="queued").count(), 72)
        # Nobody sent them yet: at most two seconds' worth may wait in the outbox.
        self.assertEqual(self.tick(), "released 72")
        self.assertEqual(self.tick(), "waiting")
        self.assertEqual(self.outbox().count(), 144)

        # The senders catch up; over any stretch the pump stays within pace × time plus
        # one second of credit.
        released, start = 144, self.clock
        for _ in range(3):
            self.deliver_all()
            result = self.tick(0.5)
            released += int(result.split()[1]) if result.startswith("released") else 0
        self.assertLessEqual(released - 144, 72 * (self.clock - start) + 72)
        self.assertEqual(self.outbox().count(), released)
        # Each recipient has exactly one outbox row, and it is the one linked.
        linked = Recipient.objects.filter(broadcast=broadcast, state=R.RELEASED)
        self.assertEqual(linked.count(), released)
        self.assertEqual(linked.values("outbound").distinct().count(), released)

        while self.tick(1.0).startswith("released"):
            self.deliver_all()
        self.deliver_all()
        self.assertEqual(self.tick(), "idle")  # finished: the chain stops
        broadcast.refresh_from_db()
        self.assertEqual(broadcast.state, Broadcast.State.FINISHED)
        self.assertEqual(self.outbox().count(), 400)
        self.assertEqual(
            Announcement.objects.get(pk=broadcast.announcement_id).state,
            Announcement.State.SENT,
        )

    def test_slow_senders_keep_the_queue_short_in_time(self):
        residents = people(self.village, 300)
        subscribe(residents, self.umum)
        open_window(residents)
        self.start(announcement(self.village))
        self.assertEqual(self.tick(), "released 72")
        # Six seconds on, the senders have taken 10: the oldest due has waited too long.
        first = list(self.outbox(state="queued").order_by("pk")[:10])
        self.outbox(pk__in=[r.pk for r in first]).update(state="sent")
        self.assertEqual(self.tick(6.0), "waiting")
        # Rows waiting for a later retry (backoff) are not "waiting too long".
        later = timezone.now() + dt.timedelta(minutes=5)
        self.outbox(state="queued").update(next_attempt_at=later)
        self.assertTrue(self.tick().startswith("released"))

    def test_recipients_are_written_in_batches(self):
        residents = people(self.village, 25)
        subscribe(residents, self.umum)
        open_window(residents)
        with mock.patch.object(sending, "BATCH", 10):
            broadcast = self.start(announcement(self.village))
            self.assertEqual(broadcast.recipients.count(), 10)
            self.assertFalse(broadcast.materialized)
            self.assertEqual(progress(broadcast)["total"], 25)
            self.tick()
            self.tick()
        broadcast.refresh_from_db()
        self.assertTrue(broadcast.materialized)
        self.assertEqual(broadcast.recipients.count(), 25)
        self.assertEqual(broadcast.total, 25)

    def test_emergencies_go_first_at_full_speed(self):
        residents = people(self.village, 300)
        subscribe(residents, self.umum, topic(self.village, "darurat"))
        open_window(residents)
        normal = self.start(announcement(self.village))
        self.assertEqual(self.tick(), "released 72")
        self.deliver_all()
        flood = announcement(self.village, "darurat", title="Banjir: mengungsi ke balai desa")
        urgent = do_start(flood, self.kades)
        self.assertEqual(urgent.pace, 80.0)
        self.assertEqual(self.tick(), "released 80")
        self.assertEqual(urgent.recipients.filter(state=R.RELEASED).count(), 80)
        self.assertEqual(normal.recipients.filter(state=R.RELEASED).count(), 72)  # waits
        while urgent.recipients.filter(state=R.PENDING).exists():
            self.deliver_all()
            self.tick()
        self.deliver_all()
        self.tick()
        self.assertGreater(normal.recipients.filter(state=R.RELEASED).count(), 72)

    @property
    def kades(self):
        return self.staff["kades"]


class CrashSafetyTest(PumpTestCase):
    def test_a_tick_that_dies_half_way_leaves_nothing_behind(self):
        residents = people(self.village, 60)
        subscribe(residents, self.umum)
        open_window(residents)
        broadcast = self.start(announcement(self.village))
        real = sending.enqueue_durably
        calls = []

        def dies_on_the_third(*args, **kwargs):
            # By then the chunk's outbox rows, its recipients' marks and two send tasks
            # are written.
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("worker killed")
            return real(*args, **kwargs)

        with (
            mock.patch.object(sending, "enqueue_durably", dies_on_the_third),
            self.assertRaises(RuntimeError),
        ):
            self.tick()
        # The chunk's transaction rolled back: no outbox row, every recipient still pending.
        self.assertEqual(len(calls), 3)
        self.assertEqual(self.outbox().count(), 0)
        self.assertEqual(broadcast.recipients.filter(state=R.PENDING).count(), 60)
        self.assertEqual(Pump.objects.get(number=self.number).lease_until, 0)
        self.assertEqual(self.tick(), "released 60")
        self.assertEqual(self.outbox().count(), 60)
        self.assertEqual(
            set(self.outbox().values_list("resident_id", flat=True)),
            {r.pk for r in residents},
        )

    def test_a_superseded_chain_stops_and_the_sweep_restarts_a_stalled_one(self):
        residents = people(self.village, 5)
        subscribe(residents, self.umum)
        open_window(residents)
        self.start(announcement(self.village))
        Pump.objects.filter(number=self.number).update(ticked_at=time.time() - 60)
        with self.captureOnCommitCallbacks() as callbacks:
            self.assertEqual(sweep_broadcasts.call(), {"kicked": 1})
        self.assertEqual(len(callbacks), 1)  # the new chain's first tick
        self.assertEqual(self.tick(), "superseded")
        self.assertEqual(sweep_broadcasts.call(), {"kicked": 0})  # it is fresh now
        self.assertEqual(tick(self.number.pk, self.chain + 1), "released 5")

    def test_a_held_lease_makes_a_second_tick_wait(self):
        residents = people(self.village, 5)
        subscribe(residents, self.umum)
        self.start(announcement(self.village))
        Pump.objects.filter(number=self.number).update(lease_until=self.clock + 100)
        self.assertEqual(self.tick(), "busy")
        self.assertEqual(self.outbox().count(), 0)


class WindowAndTemplateTest(PumpTestCase):
    def test_inside_free_form_outside_the_chosen_template(self):
        inside = people(self.village, 2, start=1)
        outside = people(self.village, 2, start=10)
        subscribe(inside + outside, self.umum)
        open_window(inside)
        open_window(outside[:1], hours_ago=30)
        post = announcement(self.village, template=self.tpl)
        self.start(post)
        self.tick()
        for person in inside:
            row = self.outbox().get(resident=person)
            self.assertEqual(row.kind, "text")
            self.assertIn("*Kerja bakti Minggu pagi*", row.payload["text"]["body"])
            self.assertIn(f"/d/pondok/kabar/{post.code}/", row.payload["text"]["body"])
            self.assertIn("Ketik *berhenti*", row.payload["text"]["body"])
        for person in outside:
            row = self.outbox().get(resident=person)
            self.assertEqual(row.kind, "template")
            tpl = row.payload["template"]
            self.assertEqual(tpl["name"], self.tpl.name)
            params = [p["text"] for p in tpl["components"][0]["parameters"]]
            self.assertEqual(params[:3], [person.name, "Desa Pondok", "Kerja bakti Minggu pagi"])
            self.assertTrue(params[4].endswith(f"/d/pondok/kabar/{post.code}/"))
        self.assertEqual(Recipient.objects.filter(via_template=True).count(), 2)

    def test_no_template_means_those_outside_are_skipped_not_failed(self):
        self.tpl.delete()
        inside, outside = people(self.village, 1, start=1), people(self.village, 1, start=2)
        subscribe(inside + outside, self.umum)
        open_window(inside)
        broadcast = self.start(announcement(self.village))
        self.tick()
        self.assertEqual(self.outbox().count(), 1)
        skipped = broadcast.recipients.get(state=R.SKIPPED)
        self.assertEqual(skipped.resident, outside[0])
        self.assertEqual(skipped.skip_reason, "lewat 24 jam dan tidak ada templat")


class MidWayTest(PumpTestCase):
    def test_unsubscribing_mid_way_skips_the_resident(self):
        residents = people(self.village, 100)
        subscribe(residents, self.umum)
        open_window(residents)
        broadcast = self.start(announcement(self.village))
        self.tick()  # the first 72 are in the outbox
        released = list(broadcast.recipients.filter(state=R.RELEASED).order_by("pk")[:2])
        queued, claimed = released
        OutboundMessage.objects.filter(pk=claimed.outbound_id).update(state="sending")
        later = broadcast.recipients.filter(state=R.PENDING).order_by("pk")
        quiet, stopper = later[0], later[1]
        do_unsubscribe(quiet.resident, text="dilepas dari daftar topik: Umum")

        for recipient in (queued, claimed, stopper):
            lines = do_stop_all(recipient.resident)
            self.assertEqual(lines, ["Kabar desa (1 topik)"])
        queued.refresh_from_db()
        self.assertEqual((queued.state, queued.outbound), (R.SKIPPED, None))
        self.assertFalse(
            OutboundMessage.objects.filter(resident=queued.resident, purpose="announcement")
        )  # pulled back before any sender took it
        claimed.refresh_from_db()
        self.assertEqual(claimed.state, R.RELEASED)  # a sender has it: it goes
        self.deliver_all()
        while self.tick().startswith("released"):
            self.deliver_all()
        quiet.refresh_from_db()
        stopper.refresh_from_db()
        self.assertEqual((quiet.state, quiet.skip_reason), (R.SKIPPED, "berhenti berlangganan"))
        self.assertEqual(stopper.state, R.SKIPPED)
        self.assertEqual(self.outbox().count(), 100 - 3)
        counts = progress(broadcast)["counts"]
        self.assertEqual(counts["skipped"], 3)

    def test_pause_pulls_back_what_waits_and_resume_sends_it(self):
        residents = people(self.village, 100)
        subscribe(residents, self.umum)
        open_window(residents)
        broadcast = self.start(announcement(self.village))
        self.tick()
        taken = self.outbox().order_by("pk").first()
        OutboundMessage.objects.filter(pk=taken.pk).update(state="sending")
        self.assertEqual(do_pause(broadcast), 71)
        self.assertEqual(list(self.outbox().values_list("pk", flat=True)), [taken.pk])
        self.assertEqual(broadcast.recipients.filter(state=R.PENDING).count(), 99)
        self.assertEqual(self.tick(), "idle")  # nothing runs on this number
        with self.captureOnCommitCallbacks() as kicked:
            self.assertTrue(do_resume(broadcast))
        self.assertEqual(len(kicked), 1)
        for callback in kicked:
            with self.captureOnCommitCallbacks():
                callback()
        pump = Pump.objects.get(number=self.number)
        self.chain, self.clock = pump.chain, pump.ticked_at
        self.assertEqual(self.tick(), "released 72")
        self.assertEqual(self.outbox().count(), 73)

    def test_cancel_stops_for_good(self):
        residents = people(self.village, 100)
        subscribe(residents, self.umum)
        open_window(residents)
        broadcast = self.start(announcement(self.village))
        self.tick()
        self.assertEqual(do_cancel(broadcast), 100)
        self.assertEqual(self.outbox().count(), 0)
        self.assertEqual(self.tick(), "idle")
        data = progress(broadcast)
        self.assertEqual(data["counts"]["withdrawn"], 100)
        self.assertTrue(data["finished"])
        self.assertEqual(data["percent"], 100)
        self.assertEqual(Announcement.objects.get(pk=broadcast.announcement_id).state, "cancelled")


class ProgressTest(PumpTestCase):
    def test_counts_come_from_the_outbox_states(self):
        residents = people(self.village, 10)
        subscribe(residents, self.umum)
        open_window(residents)
        broadcast = self.start(announcement(self.village))
        self.assertEqual(progress(broadcast)["counts"]["waiting"], 10)
        self.tick()
        rows = list(self.outbox().order_by("pk"))
        for row, state in zip(rows, ["sent", "delivered", "delivered", "read", "failed"],
                              strict=False):  # fmt: skip
            fields = {"state": state}
            if state == "failed":
                fields["last_error_code"] = 131026
            OutboundMessage.objects.filter(pk=row.pk).update(**fields)
        with self.assertNumQueries(3):
            data = progress(broadcast)
        self.assertEqual(
            data["counts"],
            {"waiting": 0, "queued": 5, "sent": 1, "delivered": 2, "read": 1, "failed": 1,
             "skipped": 0, "withdrawn": 0},
        )  # fmt: skip
        self.assertEqual((data["done"], data["percent"]), (5, 50))
        self.assertEqual(
            data["failures"],
            [{"code": 131026, "label": "nomor tidak bisa menerima pesan WhatsApp", "n": 1}],
        )
        self.assertFalse(data["finished"])


@skipUnlessDBFeature("has_select_for_update_skip_locked")
@override_settings(
    TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend",
                       "QUEUES": ["default", "inbox", "outbox"]}}
)  # fmt: skip
class ConcurrentReleaseTest(TransactionTestCase):
    """Two pumps releasing the same broadcast at once (PostgreSQL): SKIP LOCKED gives them
    different recipients, never the same one twice."""

    def test_two_pumps_release_disjoint_recipients(self):
        from balai.test import make_village
        from balai.whatsapp.models import WhatsAppNumber

        village = make_village("pondok", "Pondok", "Asia/Jakarta", "33.11", "Jawa Tengah")
        WhatsAppNumber.objects.create(village=village, phone_number_id="1")
        residents = people(village, 300)
        subscribe(residents, topic(village, "umum"))
        open_window(residents)
        with mock.patch.object(sending, "kick"):  # no pump: the two threads are the pumps
            broadcast = do_start(announcement(village), None)
        barrier = threading.Barrier(2)
        counts = []

        def pump():
            try:
                own = Broadcast.objects.select_related(
                    "announcement__topic", "village", "number", "template"
                ).get(pk=broadcast.pk)
                barrier.wait()
                counts.append(release(own, 300, dt.datetime.now(dt.UTC)))
            finally:
                connection.close()

        threads = [threading.Thread(target=pump) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sum(counts), 300)
        self.assertEqual(OutboundMessage.objects.count(), 300)
        self.assertEqual(OutboundMessage.objects.values("resident").distinct().count(), 300)


class SimulatorRoundTripTest(SimulatorTestCase):
    """Through the real outbox, the fake Cloud API and the status webhooks."""

    def test_sent_delivered_and_read_reach_the_progress(self):
        umum = topic(self.village, "umum")
        residents = [self.resident, *people(self.village, 4, prefix="+62857")]
        subscribe(residents, umum)
        open_window(residents)
        post = announcement(self.village)
        with self.captureOnCommitCallbacks(execute=True):
            broadcast = do_start(post, self.operator)
        out = SimMessage.objects.filter(direction="out")
        self.assertEqual(out.count(), 5)
        self.assertEqual({m.wa_id for m in out}, {p.phone.lstrip("+") for p in residents})
        for message in out:
            self.assertIn("Kerja bakti Minggu pagi", message.payload["text"]["body"])
        data = progress(broadcast)
        self.assertEqual(data["counts"]["delivered"], 5)  # sent, then delivered, by webhook
        self.assertEqual(data["percent"], 100)
        # Siti opens the chat: read receipts come back.
        with self.captureOnCommitCallbacks(execute=True):
            self.api("post", "read", {"wa_id": self.WA_ID})
        self.assertEqual(progress(broadcast)["counts"]["read"], 1)
        broadcast.refresh_from_db()
        self.assertEqual(broadcast.state, Broadcast.State.FINISHED)
