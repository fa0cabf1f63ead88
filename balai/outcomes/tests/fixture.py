"""A small programme whose every figure is computed by hand in the tests.

Today is 2026-11-15. The programme ran July–September 2026, so the default baseline is
April–June and the comparison window the three complete months August–October.

Participants: Siti (A, given, P, born 1990 → 25–39, dusun Krajan, craft seller, listed),
Budi (B, given, L, 40–54, RT under dusun Kulon, food seller, not listed), Wati (C,
withdrew: sells a lot, took the quizzes, came to everything — none of it may count), Dewi
(refused), Eko (asked, no answer), Fajar (never asked).
"""

import datetime as dt

from django.utils import timezone

from balai.market.models import (
    Category,
    DailyCount,
    Post,
    Product,
    Publication,
    Sale,
    Seller,
    SocialAccount,
)
from balai.programmes.models import (
    Answer,
    Attempt,
    Attendance,
    CheckIn,
    Participant,
    Programme,
    Question,
    Quiz,
)
from balai.residents.models import Resident
from balai.villages.models import Area

TODAY = dt.date(2026, 11, 15)


def at(day: dt.date, village) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=village.tz)


def make_programme(village, title="Pemasaran Daring", starts=dt.date(2026, 7, 10)):
    return Programme.objects.create(
        village=village,
        title=title,
        purpose="Uji",
        target_group="perajin",
        starts_on=starts,
        ends_on=dt.date(2026, 9, 30),
    )


def seller_of(village, resident, slug, products):
    seller = Seller.objects.create(
        village=village, resident=resident, business_name=f"Usaha {resident.name}", slug=slug
    )
    made = [
        Product.objects.create(
            seller=seller, village=village, name=name, category=category, price=10_000,
            is_published=published,
        )
        for name, category, published in products
    ]  # fmt: skip
    Product.objects.filter(seller=seller).update(created=at(dt.date(2026, 8, 20), village))
    return seller, made


def sales(seller, amounts: dict[tuple[int, int], int]):
    for (year, month), amount in amounts.items():
        if amount:
            Sale.objects.create(
                seller=seller, amount=amount, sold_on=dt.date(year, month, 12), source="console"
            )


def build(case):
    """Create the fixture on ``case`` (a BaseTestCase) and return a dict of its objects."""
    village = case.village
    kulon = Area.objects.create(village=village, kind="dusun", name="Kulon")
    rt = Area.objects.create(village=village, kind="rt", name="003", parent=kulon)
    siti = case.resident  # P, born 1990-01-05, dusun Krajan
    budi = Resident.objects.create(
        village=village, name="Budi", phone="+6281200000002", gender="L", area=rt
    )
    wati = Resident.objects.create(village=village, name="Wati", phone="+6281200000003", gender="P")
    others = [
        Resident.objects.create(village=village, name=n, phone=f"+62812000001{i}", gender=g)
        for i, (n, g) in enumerate([("Dewi", "P"), ("Eko", "L"), ("Fajar", "L")])
    ]
    programme = make_programme(village)
    part = {}
    for key, resident, consent, age in [
        ("A", siti, "given", ""),
        ("B", budi, "given", "40-54"),
        ("C", wati, "withdrawn", ""),
        ("D", others[0], "refused", ""),
        ("E", others[1], "asked", ""),
        ("F", others[2], "not_asked", ""),
    ]:
        part[key] = Participant.objects.create(
            programme=programme, resident=resident, consent=consent, age_group=age
        )

    a_seller, a_products = seller_of(
        village, siti, "siti",
        [("Sokasi", Category.CRAFT, True), ("Keben", Category.CRAFT, True),
         ("Jaje", Category.FOOD, False)],
    )  # fmt: skip
    b_seller, b_products = seller_of(village, budi, "budi", [("Nasi", Category.FOOD, False)])
    c_seller, c_products = seller_of(village, wati, "wati", [("Kain", Category.CLOTHING, True)])
    sales(a_seller, {(2026, 4): 100_000, (2026, 6): 200_000, (2026, 8): 300_000,
                     (2026, 9): 300_000, (2026, 11): 50_000})  # fmt: skip
    sales(b_seller, {(2026, 4): 60_000, (2026, 5): 60_000, (2026, 6): 60_000,
                     (2026, 9): 30_000, (2026, 10): 60_000})  # fmt: skip
    sales(c_seller, {(2026, 4): 1_000_000, (2026, 9): 1_000_000})
    for product, day, clicks in [
        (a_products[0], dt.date(2026, 9, 3), 3),
        (a_products[1], dt.date(2026, 9, 20), 2),
        (a_products[0], dt.date(2026, 10, 1), 4),
        (b_products[0], dt.date(2026, 10, 2), 1),
        (c_products[0], dt.date(2026, 10, 2), 100),
    ]:
        DailyCount.objects.create(product=product, day=day, views=10, order_clicks=clicks)
    account = SocialAccount.objects.create(village=village, kind="facebook", account_id="1")
    for product in (a_products[0], c_products[0]):
        post = Post.objects.create(
            product=product, style="bersih", format="square", image="x.jpg", caption="x"
        )
        Post.objects.filter(pk=post.pk).update(created=at(dt.date(2026, 10, 5), village))
        Publication.objects.create(
            post=post, account=account, state="published",
            published_at=at(dt.date(2026, 10, 6), village),
        )  # fmt: skip

    first = programme.activities.create(title="Satu", starts_at=at(dt.date(2026, 7, 15), village))
    second = programme.activities.create(title="Dua", starts_at=at(dt.date(2026, 8, 15), village))
    for activity, key, present in [
        (first, "A", True), (second, "A", True), (first, "B", True), (second, "B", False),
        (first, "C", True), (second, "C", True),
    ]:  # fmt: skip
        Attendance.objects.create(activity=activity, participant=part[key], present=present)

    def quiz(kind, title, texts):
        q = Quiz.objects.create(programme=programme, kind=kind, title=title, pass_mark=70)
        questions = [
            Question.objects.create(quiz=q, position=i, text=t, choices=["ya", "tidak"], correct=0)
            for i, t in enumerate(texts)
        ]
        return q, questions

    def attempt(q, questions, key, rights, finished=True):
        now = timezone.now()
        right = sum(rights)
        a = Attempt.objects.create(
            quiz=q, participant=part[key], started_at=now,
            finished_at=now if finished else None,
            score=round(100 * right / len(questions)) if finished else None,
        )  # fmt: skip
        for question, ok in zip(questions, rights, strict=False):
            Answer.objects.create(
                attempt=a, question=question, choice=0 if ok else 1, is_correct=ok, answered_at=now
            )

    texts = ["Apa itu katalog?", "Kapan memotret?"]
    pre, pre_q = quiz("pre", "Pre-test", texts)
    post, post_q = quiz("post", "Post-test", texts)
    extra, extra_q = quiz("post", "Post-test lanjutan", ["Apa itu tagar?"])
    attempt(pre, pre_q, "A", [True, False])  # 50
    attempt(post, post_q, "A", [True, True])  # 100
    attempt(pre, pre_q, "B", [True, False])  # 50
    attempt(post, post_q, "B", [True, False])  # 50
    attempt(pre, pre_q, "C", [False, False])  # 0, withdrew
    attempt(post, post_q, "C", [True, True])  # 100, withdrew
    attempt(extra, extra_q, "A", [], finished=False)  # sent, not finished

    for key, period, state in [
        ("A", dt.date(2026, 10, 1), "answered"),
        ("A", dt.date(2026, 11, 1), "asked"),
        ("B", dt.date(2026, 10, 1), "skipped"),
        ("C", dt.date(2026, 10, 1), "answered"),
    ]:
        CheckIn.objects.create(
            village=village, programme=programme, participant=part[key], period=period,
            state=state, asked_at=timezone.now(),
        )  # fmt: skip
    return {"programme": programme, "part": part, "sellers": (a_seller, b_seller, c_seller)}
