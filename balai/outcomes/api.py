"""Read-only JSON API for BI tools (Power BI, Looker Studio, a spreadsheet's web import).

``Authorization: Bearer <token>``; a token belongs to one village and reads only that
village's tables: another village's URL is a 404, as for staff. Tokens are made and
revoked by the village admin in the console (``outcomes:tokens``); only their SHA-256 is
stored.

    GET /api/v1/hasil/<village>/                      → tables and programmes
    GET /api/v1/hasil/<village>/<table>/[?program=<code>]  → {columns, rows}
"""

import datetime as dt

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from balai.outcomes import board as boards
from balai.outcomes import tables
from balai.outcomes.models import TOKEN_PREFIX, ApiToken, hash_token
from balai.programmes.models import Programme
from balai.villages.models import Village

TOUCH_EVERY = dt.timedelta(minutes=5)  # last_used_at is written at most this often


class Unauthorised(Exception):
    pass


def _token(request) -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(TOKEN_PREFIX) or len(value) > 200:
        raise Unauthorised
    token = (
        ApiToken.objects.select_related("village")
        .filter(digest=hash_token(value), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise Unauthorised
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _denied() -> JsonResponse:
    response = JsonResponse(
        {"error": "Token tidak ada, salah, atau sudah dicabut. Kirim header "
                  "'Authorization: Bearer <token>'."},
        status=401,
    )  # fmt: skip
    response["WWW-Authenticate"] = 'Bearer realm="balai"'
    return response


def _village(request, slug: str) -> Village:
    token = _token(request)
    if token.village.slug != slug:
        raise Http404  # tenant-isolated: another village's data does not exist for this token
    return token.village


def _json(payload) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def index(request, village):
    try:
        village = _village(request, village)
    except Unauthorised:
        return _denied()
    programmes = Programme.objects.filter(village=village).order_by("starts_on", "pk")
    return _json(
        {
            "village": {"name": str(village), "slug": village.slug},
            "programmes": [
                {
                    "code": p.code,
                    "title": p.title,
                    "starts_on": p.starts_on.isoformat(),
                    "ends_on": p.ends_on.isoformat(),
                }
                for p in programmes
            ],
            "tables": [
                {**entry, "url": reverse("outcomes_api:table", args=[village.slug, entry["table"]])}
                for entry in tables.dictionary()
            ],
            "note": "Tambahkan ?program=<kode> untuk satu program; tanpa itu, tingkat desa.",
        }
    )


@require_safe
def table(request, village, name):
    try:
        village = _village(request, village)
    except Unauthorised:
        return _denied()
    if name not in tables.TABLES:
        raise Http404
    code = request.GET.get("program", "")
    programme = get_object_or_404(Programme, village=village, code=code) if code else None
    board = boards.build(village, programme)
    spec = tables.TABLES[name]
    return _json(
        {
            "village": village.slug,
            "programme": programme.code if programme else None,
            "table": name,
            "generated_on": board.facts.today.isoformat(),
            "columns": [
                {"name": c.key, "type": c.kind, "meaning": c.meaning} for c in spec.columns
            ],
            "rows": spec.build(board),
        }
    )
