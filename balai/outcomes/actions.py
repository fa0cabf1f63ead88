"""Writes of the outcomes app: indicators, targets, manual values, API tokens."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from balai.outcomes import indicators as ind
from balai.outcomes.models import (
    ApiToken,
    Direction,
    Indicator,
    Kind,
    ManualValue,
    Target,
    hash_token,
)
from balai.villages.actions import do_audit

# The ready-made set a programme gets with one button (and the demo).
STANDARD = [
    Kind.POST_PASS, Kind.SCORE_GAIN, Kind.SALES, Kind.SALES_ROSE, Kind.ORDERS,
    Kind.CATALOGUE, Kind.POSTS, Kind.PUBLISHED, Kind.CONSENT, Kind.ATTENDANCE,
    Kind.QUIZ_DONE, Kind.CHECKIN,
]  # fmt: skip


def defaults_for(kind: str) -> dict:
    spec = ind.SPECS.get(kind)
    if spec is None:
        return {}
    return {"name": Kind(kind).label, "unit": spec.unit, "direction": Direction.HIGHER}


@transaction.atomic
def do_save_indicator(indicator: Indicator, actor) -> Indicator:
    if indicator.pk is None:
        indicator.created_by = actor
        last = (
            Indicator.objects.filter(village=indicator.village, programme=indicator.programme)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        indicator.position = (last or 0) + 1
    indicator.full_clean()
    indicator.save()
    return indicator


@transaction.atomic
def do_delete_indicator(indicator: Indicator, actor) -> None:
    do_audit(actor, indicator.village, "outcomes.indicator_delete", indicator, name=indicator.name)
    indicator.delete()


@transaction.atomic
def do_add_standard(village, programme, actor) -> list[Indicator]:
    """The ready-made indicators the programme does not have yet, with the default baseline
    (the three months before the programme) on those computed from monthly data."""
    have = set(
        Indicator.objects.filter(village=village, programme=programme).values_list(
            "kind", flat=True
        )
    )
    start, end = ind.default_baseline([programme]) if programme else (None, None)
    made = []
    for kind in STANDARD:
        if kind in have:
            continue
        spec = ind.SPECS[kind]
        indicator = Indicator(
            village=village,
            programme=programme,
            kind=kind,
            **defaults_for(kind),
            baseline_start=start if spec.uses_baseline or kind == Kind.SALES_ROSE else None,
            baseline_end=end if spec.uses_baseline or kind == Kind.SALES_ROSE else None,
        )
        made.append(do_save_indicator(indicator, actor))
    return made


@transaction.atomic
def do_set_target(indicator: Indicator, period: dt.date, value: Decimal | None, actor) -> None:
    """Set (or with ``None`` remove) the target of one month."""
    period = period.replace(day=1)
    if value is None:
        Target.objects.filter(indicator=indicator, period=period).delete()
    else:
        Target.objects.update_or_create(
            indicator=indicator, period=period, defaults={"value": value}
        )


@transaction.atomic
def do_enter_value(
    indicator: Indicator, period: dt.date, value: Decimal, actor, dimension="", group=""
) -> ManualValue:
    if not indicator.is_manual:
        raise ValueError("Nilai indikator siap pakai dihitung Balai, tidak diisi.")
    if bool(dimension) != bool(group):
        raise ValueError("Isi rincian dan kelompoknya bersama-sama.")
    if dimension and dimension not in ind.DIMENSIONS:
        raise ValueError(f"Rincian tidak dikenal: {dimension}")
    return ManualValue.objects.create(
        indicator=indicator,
        period=period.replace(day=1),
        value=value,
        dimension=dimension,
        group=group.strip(),
        entered_by=actor,
    )


@transaction.atomic
def do_create_token(village, name: str, actor) -> tuple[ApiToken, str]:
    """A new token; the plain token is returned once and never stored."""
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        village=village, name=name, digest=hash_token(raw), hint=raw[:8], created_by=actor
    )
    do_audit(actor, village, "outcomes.token_create", token, name=name)
    return token, raw


@transaction.atomic
def do_revoke_token(token: ApiToken, actor) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        do_audit(actor, token.village, "outcomes.token_revoke", token)
