import datetime as dt
from decimal import Decimal

from django.utils import timezone

from balai.announcements.audience import Audience, estimate, expand_areas
from balai.announcements.models import NewsSettings, Subscription
from balai.announcements.tests.helpers import (
    announcement,
    open_window,
    people,
    subscribe,
    template,
    topic,
)
from balai.announcements.topics import do_set_area
from balai.programmes.models import ConsentState, Participant, Programme
from balai.residents.models import Resident
from balai.test import ChannelTestCase
from balai.villages.models import Area
from balai.whatsapp.models import OutboundMessage


class AudienceTest(ChannelTestCase):
    def setUp(self):
        v = self.village
        self.rt1 = Area.objects.create(village=v, kind="rt", name="001", parent=self.dusun)
        self.ngasem = Area.objects.create(village=v, kind="dusun", name="Ngasem")
        self.rt4 = Area.objects.create(village=v, kind="rt", name="004", parent=self.ngasem)

    def ids(self, a):
        return set(Audience.of(a).residents().values_list("name", flat=True))

    def test_topics_all_and_inactive_topics(self):
        health, farm = topic(self.village, "kesehatan"), topic(self.village, "pertanian")
        (a,) = people(self.village, 1, start=1)
        (b,) = people(self.village, 1, start=2)
        subscribe([a], health)
        subscribe([b], farm)
        subscribe(people(self.other_village, 1, start=3), topic(self.other_village, "kesehatan"))
        post = announcement(self.village, "kesehatan")
        self.assertEqual(self.ids(post), {a.name})
        post.audience_topics.set([health, farm])
        self.assertEqual(self.ids(post), {a.name, b.name})
        post.audience_topics.clear()
        post.audience_all = True
        self.assertEqual(self.ids(post), {a.name, b.name})  # never the other village's
        farm.is_active = False
        farm.save()
        self.assertEqual(self.ids(post), {a.name})

    def test_areas_use_the_chosen_area_else_the_register_and_include_children(self):
        umum = topic(self.village, "umum")
        (in_rt1,) = people(self.village, 1, start=1, area=self.rt1)
        (in_dusun,) = people(self.village, 1, start=2, area=self.dusun)
        (moved,) = people(self.village, 1, start=3, area=self.rt1)  # register says RT 001
        (elsewhere,) = people(self.village, 1, start=4, area=self.rt4)
        (unknown,) = people(self.village, 1, start=5)
        subscribe([in_rt1, in_dusun, moved, elsewhere, unknown], umum)
        do_set_area(moved, self.ngasem)  # …but on WhatsApp they said Ngasem
        post = announcement(self.village)
        post.audience_areas.set([self.dusun])  # Krajan and its RTs
        self.assertEqual(self.ids(post), {in_rt1.name, in_dusun.name})
        post.audience_areas.set([self.rt1])  # one RT: not those known only by their dusun
        self.assertEqual(self.ids(post), {in_rt1.name})
        post.audience_areas.set([self.ngasem])
        self.assertEqual(self.ids(post), {moved.name, elsewhere.name})
        post.audience_areas.clear()
        self.assertEqual(len(self.ids(post)), 5)
        self.assertEqual(expand_areas(self.village, [self.dusun]), {self.dusun.pk, self.rt1.pk})

    def test_programme_participants_who_consented(self):
        programme = Programme.objects.create(
            village=self.village,
            title="Pendampingan UMKM",
            purpose="Pemasaran daring",
            target_group="pedagang",
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2027, 1, 31),
        )
        yes, no, elsewhere = people(self.village, 3, start=10)
        for person, consent, area in [
            (yes, ConsentState.GIVEN, self.dusun),
            (no, ConsentState.REFUSED, self.dusun),
            (elsewhere, ConsentState.GIVEN, self.ngasem),
        ]:
            Participant.objects.create(
                programme=programme, resident=person, consent=consent, area=area
            )
        (subscriber,) = people(self.village, 1, start=20)
        subscribe([subscriber], topic(self.village, "umkm"))
        post = announcement(self.village, "umkm")
        post.audience_programmes.set([programme])
        self.assertEqual(self.ids(post), {yes.name, elsewhere.name, subscriber.name})
        post.audience_areas.set([self.dusun])
        self.assertEqual(self.ids(post), {yes.name})
        # Each person once, even when both subscribed and taking part.
        subscribe([yes], topic(self.village, "umkm"))
        self.assertEqual(Audience.of(post).residents().count(), 1)


class EstimateTest(ChannelTestCase):
    def setUp(self):
        self.umum = topic(self.village, "umum")
        self.inside = people(self.village, 3, start=1)
        self.outside = people(self.village, 5, start=10)
        self.nophone = [Resident.objects.create(village=self.village, name="Tanpa Nomor")]
        subscribe(self.inside + self.outside + self.nophone, self.umum)
        open_window(self.inside, hours_ago=2)
        open_window(self.outside[:2], hours_ago=30)  # wrote, but more than 24 hours ago
        settings = NewsSettings.of(self.village)
        settings.rate_marketing = Decimal("586.33")
        settings.approval_threshold = 7
        settings.messaging_limit = 250
        settings.normal_share = 90
        settings.save()
        self.number.throughput_per_second = 80
        self.number.save()

    def test_split_cost_time_and_approval(self):
        tpl = template(self.village, category="marketing")
        post = announcement(self.village)
        with self.assertNumQueries(10):  # counts only, never a query per resident
            est = estimate(post)
        self.assertEqual((est.total, est.unreachable), (9, 1))
        self.assertEqual((est.inside, est.outside, est.reachable), (3, 5, 8))
        self.assertEqual(est.template, tpl)
        self.assertEqual(est.cost, Decimal("586.33") * 5)
        self.assertEqual(est.pace, 72.0)  # 90% of 80/s for a normal announcement
        self.assertEqual(est.seconds, 1)
        self.assertTrue(est.needs_approval)  # 8 > 7
        self.assertFalse(est.over_limit)
        emergency = announcement(self.village, "darurat")
        emergency.audience_topics.set([self.umum])
        self.assertEqual(estimate(emergency).pace, 80.0)

    def test_without_a_rate_or_a_template(self):
        post = announcement(self.village)
        est = estimate(post)
        self.assertIsNone(est.template)
        self.assertTrue(est.missing_template)
        self.assertIsNone(est.cost)
        template(self.village, category="utility")  # no utility rate entered
        est = estimate(post)
        self.assertFalse(est.missing_template)
        self.assertIsNone(est.cost)
        Subscription.objects.filter(resident__in=self.outside).delete()
        self.assertEqual(estimate(post).cost, Decimal(0))  # all inside: free

    def test_messaging_limit_counts_recent_templates_once(self):
        settings = NewsSettings.of(self.village)
        settings.messaging_limit = 250
        settings.save()
        # 248 others got a template today, and so did two of this audience.
        others = people(self.village, 248, start=1000)
        for person in [*others, *self.outside[:2]]:
            OutboundMessage.objects.create(
                village=self.village,
                number=self.number,
                resident=person,
                to=person.phone[1:],
                kind="template",
                payload={},
                state="delivered",
                created=timezone.now() - dt.timedelta(hours=3),
            )
        est = estimate(announcement(self.village))
        self.assertEqual((est.recent_outside, est.new_outside), (250, 3))
        self.assertEqual(est.limit_projected, 253)
        self.assertTrue(est.over_limit)
        settings.messaging_limit = 0  # unlimited
        settings.save()
        self.assertFalse(estimate(announcement(self.village)).over_limit)
