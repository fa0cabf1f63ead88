"""A dashboard's content, computed once per request: the indicators with baseline, targets
and actuals, the funnel, pre/post scores, sales against the baseline and the follow-up.
Pages, charts, exports, the JSON API and the programme report all read a ``Board``.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from balai.outcomes import indicators as ind
from balai.outcomes.models import Direction, Indicator, Kind, ManualValue
from balai.programmes import learning
from balai.programmes.models import Programme

MONTH_SHORT = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
MONTH_NAMES = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


def month_label(month: dt.date | None, short: bool = False) -> str:
    if month is None:
        return "—"
    return f"{(MONTH_SHORT if short else MONTH_NAMES)[month.month - 1]} {month.year}"


def window_label(window) -> str:
    if not window:
        return "—"
    first, last = window
    return month_label(first) if first == last else f"{month_label(first)} – {month_label(last)}"


def fmt(value, unit: str = "") -> str:
    """Indonesian number formatting: 1.250.000 and 12,5."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        value = float(value)
    if float(value).is_integer():
        text = f"{int(value):,}".replace(",", ".")
    else:
        text = f"{value:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")
    if unit == "Rp":
        return f"Rp {text}"
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}".strip()


@dataclass
class Period:
    month: dt.date
    target: Decimal | None
    actual: float | None

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass
class IndicatorView:
    indicator: Indicator
    spec: ind.Spec | None
    result: ind.Result
    baseline: float | None
    baseline_computed: bool
    baseline_window: tuple[dt.date, dt.date] | None
    window: tuple[dt.date, dt.date] | None
    target: object | None  # the Target compared with
    target_actual: float | None
    periods: list[Period]
    breakdown: dict[str, list[tuple[str, float | None, int]]] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def unit(self) -> str:
        return self.indicator.unit

    @property
    def theme(self) -> str:
        return self.spec.theme if self.spec else "Indikator manual"

    @property
    def definition(self) -> str:
        return self.indicator.notes or (self.spec.definition if self.spec else "")

    @property
    def status(self) -> str:
        if self.target is None or self.target_actual is None:
            return ""
        value, goal = Decimal(str(self.target_actual)), self.target.value
        met = value >= goal if self.indicator.direction == Direction.HIGHER else value <= goal
        return "Tercapai" if met else "Belum tercapai"

    def text(self, value) -> str:
        return fmt(value, self.unit)

    @property
    def value_text(self) -> str:
        return self.text(self.result.value)

    @property
    def baseline_text(self) -> str:
        return self.text(self.baseline)

    @property
    def target_text(self) -> str:
        return self.text(self.target.value) if self.target is not None else "—"

    @property
    def target_period(self) -> str:
        return month_label(self.target.period) if self.target is not None else ""

    @property
    def target_actual_text(self) -> str:
        return self.text(self.target_actual)


def _manual_result(indicator: Indicator, values: list[ManualValue], current: dt.date):
    """Newest entry per (period, dimension, group) wins."""
    latest = {}
    for v in sorted(values, key=lambda v: (v.entered_at, v.pk)):
        latest[(v.period, v.dimension, v.group)] = v.value
    series = {p: float(val) for (p, d, _g), val in sorted(latest.items()) if not d}
    past = [p for p in series if p <= current]
    value = series[max(past)] if past else None
    groups = {}
    last = max(past) if past else None
    for (p, d, g), val in sorted(latest.items()):
        if d and p == last:
            groups.setdefault(d, []).append((g, float(val), 0))
    return ind.Result(value, 0, series), groups


def view_indicator(indicator: Indicator, facts: ind.Facts, *, with_breakdown=True):
    current = facts.months[-1]
    targets = list(indicator.targets.all())
    spec = ind.SPECS.get(indicator.kind)
    baseline_window = (
        (indicator.baseline_start, indicator.baseline_end)
        if indicator.baseline_start and indicator.baseline_end
        else None
    )
    if spec is None:
        result, groups = _manual_result(indicator, list(indicator.values.all()), current)
        window = None
    else:
        result = ind.compute(indicator.kind, facts, baseline_window)
        window = ind.comparison_window(baseline_window or facts.baseline, facts.today)
        groups = {}
        if with_breakdown:
            for dim, items in ind.breakdown(indicator.kind, facts, baseline_window).items():
                groups[dim] = [(g, r.value, r.n) for g, r in items]
    computed = False
    baseline = float(indicator.baseline_value) if indicator.baseline_value is not None else None
    if baseline is None and spec is not None and spec.uses_baseline:
        baseline, computed = result.baseline, result.baseline is not None
        baseline_window = baseline_window or facts.baseline
    # The target compared: the latest one due by now, else the first one to come.
    due = [t for t in targets if t.period <= current]
    target = due[-1] if due else (targets[0] if targets else None)
    if target is None or target.period > current:
        target_actual = None
    elif spec is None or spec.monthly:
        target_actual = result.series.get(target.period)
    else:
        target_actual = result.value
    by_target = {t.period: t.value for t in targets}
    months = sorted(set(result.series) | set(by_target))
    periods = [Period(m, by_target.get(m), result.series.get(m)) for m in months]
    return IndicatorView(
        indicator, spec, result, baseline, computed, baseline_window, window, target,
        target_actual, periods, groups,
    )  # fmt: skip


@dataclass
class Funnel:
    stages: list[tuple[str, int]]


def funnel(facts: ind.Facts) -> Funnel:
    """Each stage counts those who also reached every stage before it."""
    asked = [r for r in facts.rows if r.consent in ind.ASKED_STATES]
    given = [r for r in asked if r.active]
    came = [r for r in given if any(present for _m, present in r.attendance)]
    passed = [r for r in came if any(ok for _s, ok in r.post_scores)]
    online = {p.resident_id for p in facts.people if p.listed_since is not None}
    selling = {r.resident_id for r in passed if r.resident_id in online}
    return Funnel(
        [
            ("Diminta persetujuan", len(asked)),
            ("Bersedia ikut", len(given)),
            ("Hadir di kegiatan", len(came)),
            ("Lulus post-test", len(passed)),
            ("Berjualan daring", len(selling)),
        ]
    )


@dataclass
class PersonSales:
    person: ind.Person
    baseline: float
    now: float | None

    @property
    def change(self) -> float | None:
        if self.now is None or not self.baseline:
            return None
        return round(100 * (self.now - self.baseline) / self.baseline, 1)


@dataclass
class Sales:
    baseline: tuple[dt.date, dt.date]
    window: tuple[dt.date, dt.date] | None
    months: list[dt.date]
    totals: dict[dt.date, int]
    selling: dict[dt.date, int]  # participants with a sale that month
    n: int
    baseline_total: float  # monthly average over the baseline months, all participants
    window_total: float | None
    people: list[PersonSales]

    def per_person(self, amount) -> float | None:
        return round(amount / self.n) if self.n and amount is not None else None


def sales(facts: ind.Facts, baseline=None) -> Sales:
    baseline = baseline or facts.baseline
    window = ind.comparison_window(baseline, facts.today)
    people = facts.people
    totals = {m: sum(p.sales.get(m, 0) for p in people) for m in facts.months}
    selling = {m: sum(p.sales.get(m, 0) > 0 for p in people) for m in facts.months}
    base_total = sum(ind._total(people, "sales", baseline)) / len(ind.months_between(*baseline))
    window_total = (
        sum(ind._total(people, "sales", window)) / len(ind.months_between(*window))
        if window
        else None
    )
    rows = [
        PersonSales(
            p,
            round(ind._person_avg(p, baseline)),
            round(ind._person_avg(p, window)) if window else None,
        )
        for p in sorted(people, key=lambda p: p.name)
    ]
    return Sales(
        baseline, window, facts.months, totals, selling, len(people), base_total, window_total,
        rows,
    )  # fmt: skip


@dataclass
class Board:
    village: object
    programme: Programme | None
    programmes: list[Programme]
    facts: ind.Facts
    indicators: list[IndicatorView]
    funnel: Funnel
    sales: Sales
    pre_post: list[learning.PrePost]
    headline: dict[str, ind.Result]
    checkins: list[tuple[dt.date, int, int]]  # (period, sent, answered)

    @property
    def title(self) -> str:
        return self.programme.title if self.programme else f"Desa {self.village.name}"

    @property
    def scope_code(self) -> str:
        return self.programme.code if self.programme else "desa"

    def table(self, name: str):
        from balai.outcomes import tables

        return tables.TABLES[name].build(self)


HEADLINE = [Kind.POST_PASS, Kind.SCORE_GAIN, Kind.SALES, Kind.SALES_ROSE, Kind.CATALOGUE]


def build(
    village,
    programme: Programme | None = None,
    today: dt.date | None = None,
    *,
    with_breakdown: bool = True,
) -> Board:
    """The programme's board, or the village's (every programme; its own indicators are
    those without a programme, and each programme's indicators are listed too)."""
    today = today or village.local_now().date()
    programmes = (
        [programme]
        if programme
        else list(Programme.objects.filter(village=village).order_by("starts_on", "pk"))
    )
    indicators = Indicator.objects.filter(village=village).prefetch_related("targets", "values")
    indicators = (
        indicators.filter(programme=programme)
        if programme
        else indicators.filter(programme__isnull=True)
    )
    indicators = list(indicators.select_related("programme"))
    starts = [i.baseline_start for i in indicators if i.baseline_start]
    facts = ind.load_facts(village, programmes, today, first_month=min(starts, default=None))
    views = [view_indicator(i, facts, with_breakdown=with_breakdown) for i in indicators]
    sales_baseline = next(
        (v.baseline_window for v in views if v.indicator.kind == Kind.SALES and v.baseline_window),
        None,
    )
    pairs = [pp for p in programmes for pp in learning.pre_post(p)] if programme else []
    checkins = {}
    for row in facts.active:
        for month, state in row.checkins:
            sent, answered = checkins.get(month, (0, 0))
            checkins[month] = (sent + 1, answered + (state == "answered"))
    return Board(
        village=village,
        programme=programme,
        programmes=programmes,
        facts=facts,
        indicators=views,
        funnel=funnel(facts),
        sales=sales(facts, sales_baseline),
        pre_post=pairs,
        headline={k: ind.compute(k, facts, sales_baseline) for k in HEADLINE},
        checkins=[(m, s, a) for m, (s, a) in sorted(checkins.items())],
    )


def programme_summary(village, today: dt.date | None = None) -> list[dict]:
    """One line per programme of the village, for the village and regency pages."""
    today = today or village.local_now().date()
    out = []
    for programme in Programme.objects.filter(village=village).order_by("starts_on", "pk"):
        facts = ind.load_facts(village, [programme], today)
        out.append(summary_line(programme.title, facts, programme=programme))
    return out


def summary_line(label: str, facts: ind.Facts, **extra) -> dict:
    s = sales(facts)
    return {
        "label": label,
        "participants": len(facts.people),  # people: once each, whatever their programmes
        "withdrawn": facts.withdrawn,
        "pass": ind.compute(Kind.POST_PASS, facts).value,
        "gain": ind.compute(Kind.SCORE_GAIN, facts).value,
        "sales_before": s.per_person(s.baseline_total),
        "sales_after": s.per_person(s.window_total),
        "rose": ind.compute(Kind.SALES_ROSE, facts).value,
        "catalogue": ind.compute(Kind.CATALOGUE, facts).value,
        **extra,
    }


def regency(villages, today: dt.date | None = None) -> list[dict]:
    """One line per village: every programme of it together."""
    out = []
    for village in villages:
        day = today or village.local_now().date()
        programmes = list(Programme.objects.filter(village=village))
        facts = ind.load_facts(village, programmes, day)
        out.append(summary_line(str(village), facts, village=village, programmes=len(programmes)))
    return out
