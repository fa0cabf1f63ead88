"""The demo's indicators on the demo programmes show true figures on first run. Seeds only
the programme, market and outcome demos (the whole demo is tested in balai/core)."""

import random

from django.contrib.auth import get_user_model
from django.urls import reverse

from balai.market.demo import seed_market
from balai.outcomes import board as boards
from balai.outcomes.demo import seed_outcomes
from balai.outcomes.models import Indicator, Kind, ManualValue
from balai.programmes.demo import FINISHED, PROGRAMMES, seed_followup, seed_programmes
from balai.programmes.models import Programme
from balai.test import BaseTestCase


class DemoTest(BaseTestCase):
    def test_demo_programmes_have_indicators_with_true_figures(self):
        rng = random.Random(4)
        for village in (self.village, self.other_village):
            for username in PROGRAMMES[village.slug]["staff"]:
                get_user_model().objects.create_user(username)
            programme = seed_programmes(village, rng)
            seed_market(village, rng)
            seed_followup(village, rng)
            self.assertEqual(len(seed_outcomes(village)), 12 + 1 + 12 + 4)
            self.assertEqual(seed_outcomes(village), [])  # once
            finished = Programme.objects.get(village=village, title=FINISHED["title"])
            board = boards.build(village, finished, with_breakdown=False)
            views = {v.indicator.kind: v for v in board.indicators}
            self.assertIsNotNone(views[Kind.CHECKIN].result.value)  # months of check-ins
            self.assertTrue(views[Kind.CHECKIN].indicator.targets.exists())
            self.assertIsNotNone(views[Kind.SALES_ROSE].result.value)

            indicators = Indicator.objects.filter(programme=programme)
            self.assertEqual(indicators.exclude(kind=Kind.MANUAL).count(), 12)
            self.assertTrue(ManualValue.objects.filter(indicator__programme=programme).exists())
            self.assertTrue(Indicator.objects.filter(village=village, programme=None).exists())
            board = boards.build(village, programme)
            views = {v.indicator.kind: v for v in board.indicators}
            sales = views[Kind.SALES]
            # The market demo's baseline months have sales, and the targets are set.
            self.assertGreater(sales.baseline, 0)
            self.assertTrue(sales.baseline_computed)
            self.assertTrue(sales.indicator.targets.exists())
            self.assertIsNotNone(views[Kind.POST_PASS].baseline)  # the pre-test's pass share
            self.assertIsNotNone(views[Kind.POST_PASS].result.value)
            self.assertEqual(views[Kind.CONSENT].result.value, 100.0)
            self.assertGreater(sum(board.sales.totals.values()), 0)
            self.assertEqual(board.funnel.stages[1][1], programme.participants.count())
        self.login(self.other_staff["dpl"])
        response = self.client.get(reverse("outcomes:programme", args=["tigawasa", programme.code]))
        self.assertContains(response, "Perajin dengan akun Facebook dan Instagram usaha")
