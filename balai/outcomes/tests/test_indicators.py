"""Each ready-made indicator against values computed by hand from the fixture (see
fixture.py for the people and their data)."""

import datetime as dt

from balai.outcomes import board as boards
from balai.outcomes import indicators as ind
from balai.outcomes.models import Kind
from balai.outcomes.tests import fixture
from balai.programmes.models import Participant
from balai.test import BaseTestCase

TODAY = fixture.TODAY
AUG, SEP, OCT, NOV = (dt.date(2026, m, 1) for m in (8, 9, 10, 11))


class IndicatorsTest(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.data = fixture.build(cls)
        cls.programme = cls.data["programme"]

    def facts(self, programme=None):
        return ind.load_facts(self.village, [programme or self.programme], TODAY)

    def value(self, kind, facts=None):
        return ind.compute(kind, facts or self.facts())

    def test_periods(self):
        facts = self.facts()
        self.assertEqual(facts.baseline, (dt.date(2026, 4, 1), dt.date(2026, 6, 1)))
        self.assertEqual(ind.comparison_window(facts.baseline, TODAY), (AUG, OCT))
        self.assertEqual(facts.months[0], dt.date(2026, 4, 1))
        self.assertEqual(facts.months[-1], NOV)
        # A baseline ending last month leaves nothing to compare yet.
        self.assertIsNone(ind.comparison_window((SEP, OCT), TODAY))

    def test_rows_leave_out_the_withdrawn(self):
        facts = self.facts()
        self.assertEqual(
            sorted(r.name for r in facts.rows), ["Budi", "Dewi", "Eko", "Fajar", "Siti Aminah"]
        )
        self.assertEqual(sorted(p.name for p in facts.people), ["Budi", "Siti Aminah"])
        self.assertEqual(facts.withdrawn, 1)

    def test_understanding(self):
        # Post-test: Siti 100 (pass), Budi 50 (fail); Wati withdrew.
        r = self.value(Kind.POST_PASS)
        self.assertEqual((r.value, r.n), (50.0, 2))
        # Gain: Siti 50 → 100 (+50), Budi 50 → 50 (0).
        r = self.value(Kind.SCORE_GAIN)
        self.assertEqual((r.value, r.n), (25.0, 2))
        # Per question, through learning.compare: q1 100 → 100, q2 0 → 50.
        board = boards.build(self.village, self.programme, TODAY)
        questions = [(q.pre, q.post) for q in board.pre_post[0].questions]
        self.assertEqual(questions, [(100, 100), (0, 50)])

    def test_sales_per_participant(self):
        r = self.value(Kind.SALES)
        # Baseline Apr–Jun: Siti 300k + Budi 180k = 480k / 3 months / 2 people.
        self.assertEqual(r.baseline, 80_000)
        # Window Aug–Oct: Siti 600k + Budi 90k = 690k / 3 / 2.
        self.assertEqual(r.value, 115_000)
        self.assertEqual(r.series[AUG], 150_000)
        self.assertEqual(r.series[OCT], 30_000)
        self.assertEqual(r.series[NOV], 25_000)
        self.assertEqual(r.n, 2)

    def test_sales_rose(self):
        r = self.value(Kind.SALES_ROSE)
        # Siti 200k/month > 100k; Budi 30k < 60k.
        self.assertEqual(r.value, 50.0)
        self.assertEqual(r.series[SEP], 50.0)  # Siti 300k > 100k; Budi 30k
        self.assertEqual(r.series[OCT], 0.0)  # Siti 0; Budi 60k is not above 60k
        self.assertNotIn(dt.date(2026, 6, 1), r.series)  # baseline months have none

    def test_orders_posts_published(self):
        r = self.value(Kind.ORDERS)
        self.assertEqual((r.series[SEP], r.series[OCT]), (5, 5))  # Wati's 100 clicks left out
        self.assertEqual(r.value, 3.3)  # (0 + 5 + 5) / 3
        self.assertEqual(r.baseline, 0)
        posts, published = self.value(Kind.POSTS), self.value(Kind.PUBLISHED)
        self.assertEqual((posts.series[OCT], published.series[OCT]), (1, 1))
        self.assertEqual(posts.value, round(1 / 3, 1))

    def test_catalogue(self):
        r = self.value(Kind.CATALOGUE)
        self.assertEqual((r.value, r.n), (50.0, 2))  # Siti listed, Budi's product is a draft
        self.assertEqual(r.series[dt.date(2026, 7, 1)], 0.0)
        self.assertEqual(r.series[AUG], 50.0)

    def test_participation(self):
        # Asked: Siti, Budi (given), Dewi (refused), Eko (no answer); Fajar never asked.
        r = self.value(Kind.CONSENT)
        self.assertEqual((r.value, r.n), (50.0, 4))
        # Marks: Siti 2 present, Budi 1 present 1 absent.
        r = self.value(Kind.ATTENDANCE)
        self.assertEqual((r.value, r.n), (75.0, 4))
        self.assertEqual(r.series, {dt.date(2026, 7, 1): 100.0, AUG: 50.0})
        # Sent: Siti 3 (one unfinished), Budi 2.
        r = self.value(Kind.QUIZ_DONE)
        self.assertEqual((r.value, r.n), (80.0, 5))

    def test_checkin_response(self):
        r = self.value(Kind.CHECKIN)
        self.assertEqual((r.value, r.n), (33.3, 3))
        self.assertEqual(r.series, {OCT: 50.0, NOV: 0.0})

    def test_breakdown(self):
        facts = self.facts()
        self.assertEqual(facts.groups("gender"), ["Laki-laki", "Perempuan"])
        by = {
            dim: dict((g, r.value) for g, r in items)
            for dim, items in ind.breakdown(Kind.SALES_ROSE, facts).items()
        }
        self.assertEqual(by["gender"], {"Laki-laki": 0.0, "Perempuan": 100.0})
        self.assertEqual(by["age"]["25–39"], 100.0)  # Siti, from her birth date
        self.assertEqual(by["age"]["40–54"], 0.0)
        self.assertEqual(by["commodity"], {"Kerajinan": 100.0, "Makanan": 0.0})
        self.assertEqual(by["dusun"], {"Krajan": 100.0, "Kulon": 0.0})  # Budi's RT is in Kulon
        consent = dict(ind.breakdown(Kind.CONSENT, facts)["gender"])
        self.assertEqual(consent["Perempuan"].value, 50.0)  # Siti yes, Dewi no
        self.assertEqual(consent["Laki-laki"].value, 50.0)  # Budi yes, Eko no answer

    def test_funnel(self):
        board = boards.build(self.village, self.programme, TODAY)
        self.assertEqual([n for _s, n in board.funnel.stages], [4, 2, 2, 1, 1])

    def test_withdrawn_data_leaves_every_figure(self):
        before = {kind: self.value(kind) for kind in ind.SPECS}
        # The same data with Wati still agreeing changes every figure her data touches…
        Participant.objects.filter(pk=self.data["part"]["C"].pk).update(consent="given")
        after = {kind: self.value(kind) for kind in ind.SPECS}
        for kind in [Kind.POST_PASS, Kind.SCORE_GAIN, Kind.SALES, Kind.ORDERS, Kind.CATALOGUE,
                     Kind.POSTS, Kind.PUBLISHED, Kind.CONSENT, Kind.ATTENDANCE, Kind.QUIZ_DONE,
                     Kind.CHECKIN, Kind.SALES_ROSE]:  # fmt: skip
            with self.subTest(kind=kind):
                self.assertNotEqual(
                    (before[kind].value, before[kind].n, before[kind].series),
                    (after[kind].value, after[kind].n, after[kind].series),
                )
        # …so with her withdrawal none of it was counted (the hand-computed values above).
        self.assertEqual(before[Kind.SALES].value, 115_000)

    def test_empty_programme(self):
        empty = fixture.make_programme(self.village, "Kosong")
        facts = self.facts(empty)
        for kind in ind.SPECS:
            with self.subTest(kind=kind):
                r = ind.compute(kind, facts)
                self.assertIsNone(r.value)
                self.assertEqual(r.n, 0)
        board = boards.build(self.village, empty, TODAY)
        self.assertEqual([n for _s, n in board.funnel.stages], [0, 0, 0, 0, 0])
        self.assertEqual(board.sales.people, [])

    def test_single_participant(self):
        solo = fixture.make_programme(self.village, "Sendiri")
        Participant.objects.create(programme=solo, resident=self.resident, consent="given")
        facts = self.facts(solo)
        r = ind.compute(Kind.SALES, facts)
        self.assertEqual((r.baseline, r.value, r.n), (100_000, 200_000, 1))
        self.assertEqual(ind.compute(Kind.SALES_ROSE, facts).value, 100.0)
        self.assertEqual(ind.compute(Kind.CATALOGUE, facts).value, 100.0)
        self.assertEqual(ind.compute(Kind.CONSENT, facts).value, 100.0)
        self.assertIsNone(ind.compute(Kind.POST_PASS, facts).value)  # no quiz in this one
        self.assertIsNone(ind.compute(Kind.ATTENDANCE, facts).value)

    def test_village_counts_a_person_once(self):
        solo = fixture.make_programme(self.village, "Sendiri")
        Participant.objects.create(programme=solo, resident=self.resident, consent="given")
        facts = ind.load_facts(self.village, [self.programme, solo], TODAY)
        self.assertEqual(len(facts.people), 2)
        self.assertEqual(ind.compute(Kind.SALES, facts).value, 115_000)
        self.assertEqual(ind.compute(Kind.CONSENT, facts).n, 5)  # participations asked

    def test_main_category(self):
        self.assertEqual(ind.main_category([]), ind.NO_PRODUCT)
        self.assertEqual(ind.main_category(["makanan", "kerajinan"]), "Kerajinan")  # a tie
        self.assertEqual(ind.main_category(["makanan", "kerajinan", "makanan"]), "Makanan")


class ChartTest(BaseTestCase):
    def test_cached_by_its_numbers(self):
        from unittest import mock

        from balai.outcomes import charts
        from balai.outcomes.board import Funnel

        one, two = Funnel([("Bersedia", 3), ("Hadir", 2)]), Funnel([("Bersedia", 3), ("Hadir", 1)])
        first = charts.render(charts.draw_funnel, one)
        self.assertTrue(first.startswith(b"<?xml"))
        with mock.patch.object(charts, "_render", wraps=charts._render) as drawn:
            self.assertEqual(charts.render(charts.draw_funnel, one), first)
            self.assertEqual(drawn.call_count, 0)
            self.assertNotEqual(charts.render(charts.draw_funnel, two), first)
            self.assertEqual(drawn.call_count, 1)
        png = charts.render(charts.draw_funnel, one, "png")
        self.assertTrue(png.startswith(b"\x89PNG"))
