"""The public transparency board (no login): page, CSV, JSON and SVG charts.

All four read the same cached board (``balai.public.transparency.get_board``), so a burst
of visits costs the database one computation per village every few minutes.
"""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.cache import cache_control
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from balai.public import transparency
from balai.public.links import public_url
from balai.villages.access import public_village

# Browsers and proxies may keep a copy as long as the server does.
_public = cache_control(public=True, max_age=transparency.CACHE_SECONDS)


@require_safe
@_public
def board(request, slug):
    village = public_village(slug)
    data = transparency.get_board(village)
    context = transparency.page_context(data)
    return render(
        request,
        "public/transparency.html",
        {
            "village": village,
            "page_url": public_url(request.path),
            "board": context,
            "chart_size": transparency.CHART_SIZE,
        },
    )


def _filename(village, data, ext: str) -> str:
    return f"transparansi-{village.slug}-{data['generated_at'][:10]}.{ext}"


@require_safe
@_public
def export_csv(request, slug):
    village = public_village(slug)
    data = transparency.get_board(village)
    # The byte-order mark makes Excel read the file as UTF-8 rather than the PC's code page.
    body = "\ufeff" + transparency.to_csv(data)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(village, data, "csv")}"'
    return response


@require_safe
@_public
def export_json(request, slug):
    village = public_village(slug)
    data = transparency.get_board(village)
    payload = {
        "village": {
            "name": str(village),
            "slug": village.slug,
            "kecamatan": village.kecamatan,
            "kabupaten": village.kabupaten,
            "provinsi": village.provinsi,
            "url": public_url(reverse("public:transparency", args=[village.slug])),
        },
        **data,
        "definitions": transparency.DEFINITIONS,
    }
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


# A chart is a standalone document when opened directly: it gets its own policy (no
# scripts, nothing fetched, matplotlib's inline styles allowed).
@require_safe
@_public
@csp_override({"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]})
def chart(request, slug, name):
    village = public_village(slug)
    if name not in transparency.CHARTS:
        raise Http404
    svg = transparency.get_chart(village, name, transparency.get_board(village))
    return HttpResponse(svg, content_type="image/svg+xml")
