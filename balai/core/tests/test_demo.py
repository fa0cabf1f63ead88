from django.contrib.auth import authenticate
from django.test import TestCase

from balai.core import demo
from balai.residents.identity import validate_nik
from balai.residents.models import Resident
from balai.villages.models import Membership, Village
from balai.villages.roles import Role


class DemoDataTest(TestCase):
    def test_seed_is_complete_valid_and_idempotent(self):
        demo.seed()
        demo.seed()
        pondok = Village.objects.get(slug="pondok")
        tigawasa = Village.objects.get(slug="tigawasa")
        self.assertEqual((pondok.timezone, tigawasa.timezone), ("Asia/Jakarta", "Asia/Makassar"))
        self.assertEqual(tigawasa.kabupaten, "Buleleng")
        for village in (pondok, tigawasa):
            roles = set(Membership.objects.filter(village=village).values_list("role", flat=True))
            self.assertEqual(roles, set(Role))
            self.assertGreaterEqual(village.residents.count(), 24)
            self.assertTrue(village.areas.filter(kind="rt").exists())
        # The register (with NIKs); programme participants met through the facilitator have
        # only a name and a phone, as in the field.
        registered = Resident.objects.exclude(nik_hash="")
        for resident in registered:
            self.assertEqual(validate_nik(resident.nik), resident.nik)
        self.assertEqual(registered.count(), 54)
        from balai.programmes.models import Programme

        sizes = {
            (p.title, p.village.slug): p.participants.filter(consent="given").count()
            for p in Programme.objects.all()
        }
        finished = "Pelatihan Media Sosial untuk UMKM"  # with months of follow-up check-ins
        self.assertEqual(
            sizes,
            {
                ("Pendampingan Protokol", "pondok"): 6,
                ("Pemasaran Online Sokasi", "tigawasa"): 10,
                (finished, "pondok"): 5,  # one of six stopped the follow-up (berhenti)
                (finished, "tigawasa"): 9,
            },
        )
        self._assert_followup(finished)
        self.assertIsNotNone(authenticate(username="kades.tigawasa", password=demo.DEMO_PASSWORD))
        self.assertTrue(authenticate(username="admin", password=demo.DEMO_PASSWORD).is_staff)

    def _assert_followup(self, title):
        """The check-ins agree with the market's sales and with the follow-up rules."""
        from django.db.models import Sum

        from balai.market.models import Sale, Seller
        from balai.market.sales import month_end
        from balai.programmes import followup
        from balai.programmes.models import CheckIn, Programme

        for programme in Programme.objects.filter(title=title):
            checkins = CheckIn.objects.filter(programme=programme)
            states = set(checkins.values_list("state", flat=True))
            self.assertTrue({"answered", "stopped"} <= states, states)
            self.assertGreaterEqual(checkins.values("period").distinct().count(), 3)
            self.assertEqual(checkins.filter(reminders__gt=followup.MAX_REMINDERS).count(), 0)
            self.assertEqual(programme.quizzes.count(), 2)
            for c in checkins.filter(state="answered").select_related("participant"):
                seller = Seller.objects.filter(resident=c.participant.resident_id).first()
                if seller is None:
                    continue
                month = Sale.objects.filter(
                    seller=seller, sold_on__gte=c.period, sold_on__lte=month_end(c.period)
                )
                self.assertEqual(c.sales_amount, month.aggregate(t=Sum("amount"))["t"] or 0)
