"""Demo indicators: the ready-made set on each demo programme, with the baseline of seed
004 (the three months before the programme, computed from the market demo's sales), targets
for the programme's months, one manual indicator with values entered per month, and a few
village-level indicators. ``seed_outcomes(village)`` runs after the programme and market
demos (``balai.core.demo``)."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model

from balai.market.sales import add_months, month_start
from balai.outcomes import actions
from balai.outcomes import indicators as ind
from balai.outcomes.models import Indicator, Kind
from balai.programmes import learning
from balai.programmes.models import Programme

# kind: (target at the programme's end month, target a few months later) — None: none
TARGETS = {
    Kind.POST_PASS: (80, None),
    Kind.SCORE_GAIN: (25, None),
    Kind.SALES_ROSE: (50, 70),
    Kind.CATALOGUE: (100, None),
    Kind.CONSENT: (90, None),
    Kind.ATTENDANCE: (80, None),
    Kind.QUIZ_DONE: (90, None),
    Kind.CHECKIN: (None, 70),
    Kind.ORDERS: (20, 30),
    Kind.POSTS: (10, 10),
    Kind.PUBLISHED: (4, 6),
}
MANUAL = {
    "pondok": ("Lapak yang menerapkan protokol kesehatan", "%", [30, 55, 80]),
    "tigawasa": ("Perajin dengan akun Facebook dan Instagram usaha", "peserta", [2, 6, 9]),
}


def seed_outcomes(village) -> list[Indicator]:
    """Indicators on the running demo programme (with a manual one), on the finished one
    whose participants answer monthly check-ins (when ``seed_followup`` made it), and at
    village level. Once per village."""
    from balai.programmes.demo import FINISHED, PROGRAMMES

    if Indicator.objects.filter(village=village).exists():
        return []
    spec = PROGRAMMES.get(village.slug)
    running = spec and Programme.objects.filter(village=village, title=spec["title"]).first()
    finished = Programme.objects.filter(village=village, title=FINISHED["title"]).first()
    made = []
    if running:
        made += _running(village, running)
    if finished:
        made += _finished(village, finished)
    if running or finished:
        made += _village_level(village, running or finished)
    return made


def _facilitator(programme):
    return programme.facilitators.first() or get_user_model().objects.filter(is_staff=True).first()


def _finished(village, programme) -> list[Indicator]:
    """A training that ended months ago: the baseline is the month before it (as many
    months as the market demo has before it), targets for the follow-up months."""
    facilitator = _facilitator(programme)
    start, end = month_start(programme.starts_on), month_start(programme.ends_on)
    baseline = (add_months(start, -1), add_months(start, -1))
    made = []
    for kind in actions.STANDARD:
        spec = ind.SPECS[kind]
        uses = spec.uses_baseline or kind == Kind.SALES_ROSE
        made.append(
            actions.do_save_indicator(
                Indicator(
                    village=village, programme=programme, kind=kind, **actions.defaults_for(kind),
                    baseline_start=baseline[0] if uses else None,
                    baseline_end=baseline[1] if uses else None,
                ),
                facilitator,
            )
        )  # fmt: skip
    facts = ind.load_facts(village, [programme], village.local_now().date())
    for indicator in made:
        goal = {Kind.CHECKIN: 70, Kind.SALES_ROSE: 60, Kind.POST_PASS: 80}.get(indicator.kind)
        if indicator.kind == Kind.SALES:
            base = ind.compute(Kind.SALES, facts, baseline).baseline or 0
            goal = max(10_000, round(base * 1.5, -4))
        if goal is None:
            continue
        months = [end] if indicator.kind == Kind.POST_PASS else [
            add_months(end, n) for n in range(1, 7)
        ]  # fmt: skip
        for month in months:
            actions.do_set_target(indicator, month, Decimal(goal), facilitator)
    _knowledge_baseline(programme)
    return made


def _knowledge_baseline(programme) -> None:
    """Knowledge before the training: the share who passed the pre-test is the baseline."""
    pairs = learning.pre_post(programme)
    if pairs and pairs[0].paired:
        share = ind.pct(pairs[0].passed_pre, len(pairs[0].paired))
        Indicator.objects.filter(programme=programme, kind=Kind.POST_PASS).update(
            baseline_value=Decimal(str(share)),
            baseline_start=month_start(programme.starts_on),
            baseline_end=month_start(programme.starts_on),
            notes="Baseline: persen peserta yang lulus pre-test.",
        )


def _running(village, programme) -> list[Indicator]:
    facilitator = _facilitator(programme)
    made = actions.do_add_standard(village, programme, facilitator)
    today = village.local_now().date()
    start, end = month_start(programme.starts_on), month_start(programme.ends_on)
    facts = ind.load_facts(village, [programme], today)
    for indicator in made:
        first, later = TARGETS.get(indicator.kind, (None, None))
        if indicator.kind == Kind.SALES:
            # Half again the baseline's monthly sales per participant, rounded to Rp 10.000.
            base = ind.compute(Kind.SALES, facts).baseline or 0
            first = later = max(10_000, round(base * 1.5, -4))
        if first is not None:
            actions.do_set_target(indicator, end, Decimal(first), facilitator)
        if later is not None:
            actions.do_set_target(indicator, add_months(end, 3), Decimal(later), facilitator)
        if indicator.kind == Kind.SALES:
            for month in (start, add_months(start, 1)):
                step = Decimal(round(first * 2 / 3, -4))
                actions.do_set_target(indicator, month, step, facilitator)
    _knowledge_baseline(programme)
    name, unit, values = MANUAL.get(village.slug, MANUAL["pondok"])
    manual = actions.do_save_indicator(
        Indicator(
            village=village,
            programme=programme,
            kind=Kind.MANUAL,
            short="M-1",
            name=name,
            unit=unit,
            baseline_value=Decimal(values[0]),
            baseline_start=add_months(start, -1),
            baseline_end=add_months(start, -1),
            notes="Dicatat pendamping dari kunjungan lapangan.",
        ),
        facilitator,
    )
    actions.do_set_target(manual, end, Decimal(values[-1] + 1), facilitator)
    for n, value in enumerate(values[1:]):
        month = add_months(start, n)
        if month <= month_start(today):
            actions.do_enter_value(manual, month, Decimal(value), facilitator)
            actions.do_enter_value(
                manual, month, Decimal(value // 2), facilitator, "gender", "Perempuan"
            )
    return [*made, manual]


def _village_level(village, programme) -> list[Indicator]:
    """Every programme of the village together; baseline before the given programme."""
    facilitator = _facilitator(programme)
    end = month_start(programme.ends_on)
    village_made = []
    for kind in (Kind.SALES, Kind.SALES_ROSE, Kind.POST_PASS, Kind.CATALOGUE):
        spec = ind.SPECS[kind]
        base = ind.default_baseline([programme]) if spec.uses_baseline else (None, None)
        indicator = actions.do_save_indicator(
            Indicator(
                village=village,
                programme=None,
                kind=kind,
                **actions.defaults_for(kind),
                baseline_start=base[0],
                baseline_end=base[1],
            ),
            facilitator,
        )
        goal = TARGETS.get(kind, (None, None))[0]
        if goal is not None:
            actions.do_set_target(indicator, dt.date(end.year, 12, 1), Decimal(goal), facilitator)
        village_made.append(indicator)
    return village_made
