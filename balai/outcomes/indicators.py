"""Ready-made indicators computed from Balai's own data, with disaggregation.

``load_facts(village, programmes, today)`` reads everything once (a fixed number of queries
per programme) into plain rows; every indicator is then a function of those rows, so a
breakdown by gender, age group, commodity or dusun is the same function over a subset.

- ``Facts.rows``: one per participation that has not withdrawn consent (participants who
  said ``berhenti`` leave every figure, as in the quiz results and the programme report).
- ``Facts.people``: the active participants (consent given), one per resident: a person in
  two programmes of the village counts once in the sales and catalogue figures.

Months are the first day of the month (``dt.date``) in the village's calendar. Sales are
``market.Sale`` rows of the participant's seller, by ``sold_on``; monthly follow-up
answers (``CheckIn``) become such sales, so they are counted with no special code.
"""

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from balai.market import sales as market_sales
from balai.market.models import Category, DailyCount, Post, Product, Publication, Seller
from balai.outcomes.models import Kind
from balai.programmes import learning
from balai.programmes.models import (
    AgeGroup,
    Attendance,
    ConsentState,
    Participant,
    Programme,
    Quiz,
)

add_months, months_between, month_start = (
    market_sales.add_months,
    market_sales.months,
    market_sales.month_start,
)

BASELINE_MONTHS = 3  # default baseline: the 3 months before the programme's first month
UNKNOWN = "Tidak diketahui"
NO_PRODUCT = "Belum ada produk"
GENDERS = {"L": "Laki-laki", "P": "Perempuan"}
DIMENSIONS = {
    "gender": "Jenis kelamin",
    "age": "Kelompok umur",
    "commodity": "Komoditas",
    "dusun": "Dusun",
}
ASKED_STATES = {ConsentState.ASKED, ConsentState.GIVEN, ConsentState.REFUSED}


# --- facts -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One participation (not withdrawn)."""

    participant_id: int
    code: str
    programme_id: int
    resident_id: int
    name: str
    consent: str
    gender: str
    age: str
    dusun: str
    commodity: str = NO_PRODUCT
    attendance: list[tuple[dt.date, bool]] = field(default_factory=list)  # marked only
    quizzes: list[tuple[str, bool]] = field(default_factory=list)  # (kind, finished), if sent
    post_scores: list[tuple[int, bool]] = field(default_factory=list)  # (score, passed)
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (pre, post), both finished
    checkins: list[tuple[dt.date, str]] = field(default_factory=list)  # (period, state)

    @property
    def active(self) -> bool:
        return self.consent == ConsentState.GIVEN

    def group(self, dimension: str) -> str:
        return getattr(self, dimension)


@dataclass
class Person:
    """An active participant, once per resident, with their seller's figures."""

    resident_id: int
    code: str  # the (first) participation's code: exports never carry names
    name: str
    gender: str
    age: str
    dusun: str
    commodity: str
    sales: dict[dt.date, int] = field(default_factory=dict)  # month → amount (Rp)
    clicks: dict[dt.date, int] = field(default_factory=dict)
    posts: dict[dt.date, int] = field(default_factory=dict)
    published: dict[dt.date, int] = field(default_factory=dict)
    listed_since: dt.date | None = None  # month of the first product now in the catalogue

    def group(self, dimension: str) -> str:
        return getattr(self, dimension)


@dataclass
class Facts:
    today: dt.date
    months: list[dt.date]  # the span shown, oldest first, the current month last
    baseline: tuple[dt.date, dt.date]  # default baseline (inclusive months)
    rows: list[Row]
    people: list[Person]
    withdrawn: int = 0

    @property
    def active(self) -> list[Row]:
        return [r for r in self.rows if r.active]

    def subset(self, dimension: str, value: str) -> "Facts":
        return Facts(
            self.today,
            self.months,
            self.baseline,
            [r for r in self.rows if r.group(dimension) == value],
            [p for p in self.people if p.group(dimension) == value],
        )

    def groups(self, dimension: str) -> list[str]:
        """The groups present, in a stable order (unknown last)."""
        seen = {r.group(dimension) for r in self.rows} | {p.group(dimension) for p in self.people}
        order = {
            "gender": list(GENDERS.values()),
            "age": [label for _v, label in AgeGroup.choices],
        }.get(dimension, [])
        return sorted(
            seen,
            key=lambda g: (g in (UNKNOWN, NO_PRODUCT), order.index(g) if g in order else 99, g),
        )


def age_group_of(birth: dt.date | None, today: dt.date) -> str:
    if birth is None:
        return ""
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if years < 25:
        return AgeGroup.UNDER_25
    if years < 40:
        return AgeGroup.FROM_25
    if years < 55:
        return AgeGroup.FROM_40
    return AgeGroup.FROM_55


def main_category(categories: list[str]) -> str:
    """The category most of a seller's products have (ties: the catalogue's order)."""
    if not categories:
        return NO_PRODUCT
    counts = Counter(categories)
    order = list(Category.values)
    best = max(counts, key=lambda c: (counts[c], -order.index(c) if c in order else -99))
    return Category(best).label if best in order else best


def _month(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def default_baseline(programmes: list[Programme]) -> tuple[dt.date, dt.date]:
    first = min((p.starts_on for p in programmes), default=None)
    if first is None:
        return (dt.date.today().replace(day=1),) * 2
    end = add_months(month_start(first), -1)
    return add_months(end, 1 - BASELINE_MONTHS), end


def load_facts(
    village,
    programmes: list[Programme],
    today: dt.date,
    *,
    first_month: dt.date | None = None,
) -> Facts:
    """Everything the indicators need about ``programmes`` (all of one village)."""
    current = month_start(today)
    baseline = default_baseline(programmes)
    start = min(filter(None, [first_month, baseline[0]]))
    start = max(start, add_months(current, -35))  # three years at most
    span = months_between(start, current)
    if not programmes:
        return Facts(today, span, baseline, [], [])

    areas = {a.pk: a for a in village.areas.all()}

    def dusun_of(area_id) -> str:
        node = areas.get(area_id)
        while node is not None and node.kind != "dusun":
            node = areas.get(node.parent_id)
        return node.name if node is not None else UNKNOWN

    participants = list(
        Participant.objects.filter(programme__in=programmes)
        .select_related("resident")
        .order_by("programme__starts_on", "programme_id", "resident__name", "pk")
    )
    withdrawn = sum(p.consent == ConsentState.WITHDRAWN for p in participants)
    participants = [p for p in participants if p.consent != ConsentState.WITHDRAWN]
    rows = {
        p.pk: Row(
            participant_id=p.pk,
            code=p.code,
            programme_id=p.programme_id,
            resident_id=p.resident_id,
            name=p.resident.name,
            consent=p.consent,
            gender=GENDERS.get(p.resident.gender, UNKNOWN),
            age=AgeGroup(p.age_group).label
            if p.age_group
            else (
                AgeGroup(g).label if (g := age_group_of(p.resident.birth_date, today)) else UNKNOWN
            ),
            dusun=dusun_of(p.area_id or p.resident.area_id),
        )
        for p in participants
    }
    active_ids = [pk for pk, r in rows.items() if r.active]

    # Sellers and their products: commodity, catalogue, clicks, posts.
    resident_ids = {r.resident_id for r in rows.values()}
    sellers = {
        s.resident_id: s
        for s in Seller.objects.filter(village=village, resident_id__in=resident_ids)
    }
    seller_ids = [s.pk for s in sellers.values()]
    categories, listed = defaultdict(list), {}
    for seller_id, category, published, created in Product.objects.filter(
        seller_id__in=seller_ids
    ).values_list("seller_id", "category", "is_published", "created"):
        categories[seller_id].append(category)
        if published:
            month = month_start(created.astimezone(village.tz).date())
            listed[seller_id] = min(listed.get(seller_id, month), month)
    for row in rows.values():
        seller = sellers.get(row.resident_id)
        if seller is not None:
            row.commodity = main_category(categories.get(seller.pk, []))

    first, last = span[0], span[-1]
    amounts = defaultdict(dict)
    sums = market_sales.monthly_totals(
        market_sales.sales_of(village, sellers=seller_ids, first=first, last=last), "seller"
    )
    for (seller_id, month), totals in sums.items():
        amounts[seller_id][month] = totals.amount
    clicks = defaultdict(dict)
    for item in (
        DailyCount.objects.filter(
            product__seller_id__in=seller_ids, day__gte=first, day__lte=market_sales.month_end(last)
        )
        .annotate(month=TruncMonth("day"))
        .values("product__seller_id", "month")
        .annotate(n=Sum("order_clicks"))
        .order_by()
    ):
        clicks[item["product__seller_id"]][_month(item["month"])] = item["n"] or 0
    posts, published = defaultdict(dict), defaultdict(dict)
    for item in (
        Post.objects.filter(product__seller_id__in=seller_ids)
        .annotate(month=TruncMonth("created", tzinfo=village.tz))
        .values("product__seller_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        posts[item["product__seller_id"]][_month(item["month"])] = item["n"]
    for item in (
        Publication.objects.filter(
            post__product__seller_id__in=seller_ids,
            state=Publication.State.PUBLISHED,
            published_at__isnull=False,
        )
        .annotate(month=TruncMonth("published_at", tzinfo=village.tz))
        .values("post__product__seller_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        published[item["post__product__seller_id"]][_month(item["month"])] = item["n"]

    # Attendance marked by facilitators.
    for participant_id, present, starts_at in Attendance.objects.filter(
        participant_id__in=active_ids, present__isnull=False
    ).values_list("participant_id", "present", "activity__starts_at"):
        rows[participant_id].attendance.append(
            (month_start(starts_at.astimezone(village.tz).date()), present)
        )

    # Quizzes, through the learning module (which counts only those who still agree).
    for programme in programmes:
        results = {}
        for quiz in programme.quizzes.all():
            result = learning.quiz_results(quiz)
            results[quiz.pk] = {r.participant.pk: r for r in result.participants}
            for r in result.participants:
                row = rows.get(r.participant.pk)
                if row is None or r.attempt is None:
                    continue
                row.quizzes.append((quiz.kind, r.score is not None))
                if quiz.kind == Quiz.Kind.POST and r.score is not None:
                    row.post_scores.append((r.score, bool(r.passed)))
        for pre, post in learning.pair_quizzes(programme):
            before, after = results.get(pre.pk, {}), results.get(post.pk, {})
            for pk, r in after.items():
                b = before.get(pk)
                if r.score is not None and b is not None and b.score is not None and pk in rows:
                    rows[pk].pairs.append((b.score, r.score))

    # Monthly follow-up (balai.programmes.followup).
    from balai.programmes.models import CheckIn

    for participant_id, period, state in CheckIn.objects.filter(
        participant_id__in=active_ids
    ).values_list("participant_id", "period", "state"):
        rows[participant_id].checkins.append((month_start(period), state))

    people = {}
    for row in rows.values():
        if not row.active or row.resident_id in people:
            continue
        seller = sellers.get(row.resident_id)
        sid = seller.pk if seller else None
        people[row.resident_id] = Person(
            resident_id=row.resident_id,
            code=row.code,
            name=row.name,
            gender=row.gender,
            age=row.age,
            dusun=row.dusun,
            commodity=row.commodity,
            sales=amounts.get(sid, {}),
            clicks=clicks.get(sid, {}),
            posts=posts.get(sid, {}),
            published=published.get(sid, {}),
            listed_since=listed.get(sid),
        )
    return Facts(today, span, baseline, list(rows.values()), list(people.values()), withdrawn)


# --- windows ---------------------------------------------------------------------------------


def comparison_window(
    baseline: tuple[dt.date, dt.date], today: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The months compared with the baseline: as many as the baseline has, the most recent
    complete ones (the current month is not over), never overlapping the baseline. None
    when no complete month follows the baseline yet."""
    last = add_months(month_start(today), -1)
    length = len(months_between(*baseline))
    first = max(add_months(last, 1 - length), add_months(baseline[1], 1))
    if first > last:
        return None
    return first, last


# --- results ---------------------------------------------------------------------------------


@dataclass
class Result:
    """``value`` is the headline (None: nothing to measure); ``n`` how many it is about;
    ``series`` the value per month for monthly indicators; ``baseline`` the value computed
    over the baseline months (monthly indicators only)."""

    value: float | None
    n: int = 0
    series: dict[dt.date, float | None] = field(default_factory=dict)
    baseline: float | None = None
    note: str = ""


def pct(part: int | float, whole: int | float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def mean(values) -> float | None:
    values = list(values)
    return round(statistics.fmean(values), 1) if values else None


def _monthly(people: list[Person], attr: str, months: list[dt.date]) -> dict[dt.date, int]:
    return {m: sum(getattr(p, attr).get(m, 0) for p in people) for m in months}


def _average(series: dict, months: list[dt.date]) -> float | None:
    values = [series[m] for m in months if series.get(m) is not None]
    return round(statistics.fmean(values), 1) if values else None


def post_pass(facts: Facts, **_) -> Result:
    """Share of tested participants (finished a post-test) who reached its pass mark; with
    several post-tests, each finished post-test counts once."""
    scores = [s for r in facts.active for s in r.post_scores]
    return Result(pct(sum(passed for _s, passed in scores), len(scores)), len(scores))


def score_gain(facts: Facts, **_) -> Result:
    """Mean change in score (points out of 100) from pre- to post-test, over participants
    who finished both."""
    changes = [post - pre for r in facts.active for pre, post in r.pairs]
    return Result(mean(changes), len(changes))


def sales_per_person(facts: Facts, *, baseline, window, **_) -> Result:
    """Sales (Rp) per active participant per month; headline: the monthly average over the
    comparison window; baseline: over the baseline months."""
    people = facts.people
    n = len(people)
    totals = _monthly(people, "sales", facts.months)
    series = {m: round(totals[m] / n) if n else None for m in facts.months}
    base = _base_average(people, "sales", baseline)
    base = round(base / n) if n and base is not None else None
    value = None
    if n and window:
        value = round(sum(_total(people, "sales", window)) / len(months_between(*window)) / n)
    return Result(value, n, series, base)


def _total(people, attr, window) -> list[int]:
    ms = months_between(*window)
    return [sum(getattr(p, attr).get(m, 0) for m in ms) for p in people]


def _base_average(people, attr, baseline) -> float | None:
    if baseline is None:
        return None
    ms = months_between(*baseline)
    return sum(_total(people, attr, baseline)) / len(ms)


def _person_avg(person: Person, window) -> float:
    ms = months_between(*window)
    return sum(person.sales.get(m, 0) for m in ms) / len(ms)


def sales_rose(facts: Facts, *, baseline, window, **_) -> Result:
    """Share of active participants whose average monthly sales in the comparison window
    are above their own baseline average; per month, above it in that month."""
    people = facts.people
    n = len(people)
    before = {p.resident_id: _person_avg(p, baseline) for p in people}
    series = {}
    for m in facts.months:
        if m > baseline[1]:
            series[m] = pct(sum(p.sales.get(m, 0) > before[p.resident_id] for p in people), n)
    value = None
    if window:
        value = pct(sum(_person_avg(p, window) > before[p.resident_id] for p in people), n)
    return Result(value, n, series, None)


def _count_indicator(attr: str):
    def compute(facts: Facts, *, baseline, window, **_) -> Result:
        if not facts.people:
            return Result(None)
        totals = _monthly(facts.people, attr, facts.months)
        base = _base_average(facts.people, attr, baseline)
        value = _average(totals, months_between(*window)) if window else None
        return Result(
            value, len(facts.people), dict(totals), round(base, 1) if base is not None else None
        )

    compute.__doc__ = (
        f"Per month, summed over the active participants' sellers ({attr}); headline: the "
        "monthly average over the comparison window."
    )
    return compute


orders = _count_indicator("clicks")
posts = _count_indicator("posts")
published = _count_indicator("published")


def catalogue(facts: Facts, **_) -> Result:
    """Share of active participants with a product in the public catalogue now; per month,
    those whose first such product was added by then."""
    people = facts.people
    n = len(people)
    series = {
        m: pct(sum(p.listed_since is not None and p.listed_since <= m for p in people), n)
        for m in facts.months
    }
    return Result(pct(sum(p.listed_since is not None for p in people), n), n, series)


def consent(facts: Facts, **_) -> Result:
    """Of the participants asked for consent, the share who said yes (and still agree).
    Those who withdrew are left out of both counts, like every other figure."""
    asked = [r for r in facts.rows if r.consent in ASKED_STATES]
    return Result(pct(sum(r.active for r in asked), len(asked)), len(asked))


def attendance(facts: Facts, **_) -> Result:
    """Of the attendance marks facilitators recorded (active participants, any activity),
    the share marked present; per month of the activity."""
    marks = [m for r in facts.active for m in r.attendance]
    by_month = defaultdict(list)
    for month, present in marks:
        by_month[month].append(present)
    series = {m: pct(sum(v), len(v)) for m, v in sorted(by_month.items())}
    return Result(pct(sum(p for _m, p in marks), len(marks)), len(marks), series)


def quiz_done(facts: Facts, **_) -> Result:
    """Of the quizzes sent to active participants (one per participant and quiz), the
    share finished."""
    sent = [finished for r in facts.active for _kind, finished in r.quizzes]
    return Result(pct(sum(sent), len(sent)), len(sent))


def checkin(facts: Facts, **_) -> Result:
    """Of the monthly follow-up check-ins sent to active participants, the share answered
    (per month reported on). Open ones (not answered yet) count as not answered."""
    items = [c for r in facts.active for c in r.checkins]
    by_month = defaultdict(list)
    for month, state in items:
        by_month[month].append(state == "answered")
    series = {m: pct(sum(v), len(v)) for m, v in sorted(by_month.items())}
    return Result(pct(sum(s == "answered" for _m, s in items), len(items)), len(items), series)


@dataclass(frozen=True)
class Spec:
    kind: str
    theme: str
    unit: str
    compute: object
    monthly: bool  # has a value per month (targets per month compare with it)
    uses_baseline: bool  # a baseline can be computed from the baseline months
    definition: str


SPECS = {
    Kind.POST_PASS: Spec(
        Kind.POST_PASS, "Pemahaman", "%", post_pass, False, False,
        "Persen peserta yang mengerjakan post-test dan mencapai nilai lulus.",
    ),
    Kind.SCORE_GAIN: Spec(
        Kind.SCORE_GAIN, "Pemahaman", "poin", score_gain, False, False,
        "Rata-rata selisih nilai post-test dikurangi pre-test (0–100), peserta yang "
        "mengerjakan keduanya.",
    ),
    Kind.SALES: Spec(
        Kind.SALES, "Penjualan", "Rp", sales_per_person, True, True,
        "Jumlah penjualan peserta per bulan dibagi jumlah peserta; capaian = rata-rata "
        "bulanan pada periode pembanding, sama panjang dengan baseline.",
    ),
    Kind.SALES_ROSE: Spec(
        Kind.SALES_ROSE, "Penjualan", "%", sales_rose, True, False,
        "Persen peserta yang rata-rata penjualan bulanannya pada periode pembanding di atas "
        "rata-rata bulanannya pada periode baseline.",
    ),
    Kind.ORDERS: Spec(
        Kind.ORDERS, "Penjualan", "klik", orders, True, True,
        "Klik tombol pesan lewat WhatsApp pada produk peserta di katalog desa, per bulan.",
    ),
    Kind.CATALOGUE: Spec(
        Kind.CATALOGUE, "Kehadiran digital", "%", catalogue, True, False,
        "Persen peserta yang punya produk tampil di katalog desa.",
    ),
    Kind.POSTS: Spec(
        Kind.POSTS, "Kehadiran digital", "konten", posts, True, True,
        "Gambar dan keterangan promosi yang dibuat untuk produk peserta, per bulan.",
    ),
    Kind.PUBLISHED: Spec(
        Kind.PUBLISHED, "Kehadiran digital", "konten", published, True, True,
        "Konten produk peserta yang terbit di Facebook atau Instagram, per bulan.",
    ),
    Kind.CONSENT: Spec(
        Kind.CONSENT, "Partisipasi", "%", consent, False, False,
        "Dari peserta yang dimintai persetujuan, persen yang bersedia.",
    ),
    Kind.ATTENDANCE: Spec(
        Kind.ATTENDANCE, "Partisipasi", "%", attendance, True, False,
        "Dari kehadiran yang dicatat pendamping, persen yang hadir.",
    ),
    Kind.QUIZ_DONE: Spec(
        Kind.QUIZ_DONE, "Partisipasi", "%", quiz_done, False, False,
        "Dari kuis yang dikirim ke peserta, persen yang diselesaikan.",
    ),
    Kind.CHECKIN: Spec(
        Kind.CHECKIN, "Pendampingan lanjutan", "%", checkin, True, False,
        "Dari laporan bulanan yang ditanyakan lewat WhatsApp, persen yang dijawab.",
    ),
}  # fmt: skip
THEMES = ["Pemahaman", "Penjualan", "Kehadiran digital", "Partisipasi", "Pendampingan lanjutan"]


def compute(kind: str, facts: Facts, baseline: tuple[dt.date, dt.date] | None = None) -> Result:
    spec = SPECS[kind]
    baseline = baseline or facts.baseline
    window = comparison_window(baseline, facts.today)
    return spec.compute(facts, baseline=baseline, window=window)


def breakdown(kind: str, facts: Facts, baseline=None) -> dict[str, list[tuple[str, Result]]]:
    """{dimension: [(group, Result), …]} — the same indicator over each group (groups with
    nothing to count for this indicator are left out)."""
    out = {}
    for dim in DIMENSIONS:
        results = [(g, compute(kind, facts.subset(dim, g), baseline)) for g in facts.groups(dim)]
        out[dim] = [(g, r) for g, r in results if r.n or r.value is not None]
    return out


def as_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))
