"""Staff pages for the QR posters: the list with previews, the style form, and downloads.

Every staff member may see and download posters (they are public information, printed for
notice boards); only those who manage the village change how they look.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import condition, require_GET

from balai.letters.models import LetterType
from balai.posters import posters
from balai.posters.forms import PosterStyleForm
from balai.posters.models import PosterStyle
from balai.villages.access import staff_view


@staff_view()
def index(request, staff):
    village = staff.village
    return render(
        request,
        "posters/index.html",
        {
            "ready": posters.can_make_posters(village),
            "posters": posters.posters_for(village),
            "style": PosterStyle.for_village(village),
            "inactive": LetterType.objects.filter(village=village, is_active=False).count(),
        },
    )


@staff_view("manage_village")
def style(request, staff):
    # The form validates a copy: an invalid POST must not change what the page shows as saved.
    current = PosterStyle.for_village(staff.village)
    form = PosterStyleForm(request.POST or None, instance=PosterStyle.for_village(staff.village))
    if request.method == "POST" and form.is_valid():
        posters.do_update_poster_style(staff.village, form.cleaned_data, actor=request.user)
        messages.success(
            request, "Tampilan poster sudah disimpan. Unduh lagi poster yang akan dicetak."
        )
        return redirect("posters:index", staff.village.slug)
    return render(request, "posters/style.html", {"form": form, "style": current})


def _unavailable(request):
    """No WhatsApp number yet: a clear page, not an empty file or a server error."""
    return render(request, "posters/unavailable.html", status=404)


def _poster(staff, key: str):
    poster = posters.poster_for(staff.village, key)
    if poster is None:
        raise Http404
    return poster


def _etag(kind: str):
    """The poster's HTML hash as ETag: a phone that already has this poster (the console's
    previews) gets a 304 instead of the file again."""

    def etag(request, staff, key):
        poster = posters.poster_for(staff.village, key)
        if poster is None:
            return None
        html = posters.poster_html(staff.village, poster, PosterStyle.for_village(staff.village))
        return posters.digest(html) + kind + request.GET.get("ukuran", "")

    return etag


def _file(data: bytes, content_type: str, filename: str, *, attachment=False) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@staff_view()
@require_GET
@condition(etag_func=_etag("pdf"))
def pdf(request, staff, key):
    if not posters.can_make_posters(staff.village):
        return _unavailable(request)
    poster = _poster(staff, key)
    data = posters.render_pdf(staff.village, poster, PosterStyle.for_village(staff.village))
    return _file(data, "application/pdf", poster.filename_pdf)


@staff_view()
@require_GET
@condition(etag_func=_etag("png"))
def png(request, staff, key):
    """The poster as a PNG; ``?ukuran=kecil`` gives the console's small preview."""
    if not posters.can_make_posters(staff.village):
        return _unavailable(request)
    poster = _poster(staff, key)
    small = request.GET.get("ukuran") == "kecil"
    data = posters.render_png(
        staff.village,
        poster,
        PosterStyle.for_village(staff.village),
        dpi=posters.THUMB_DPI if small else posters.PNG_DPI,
    )
    return _file(data, "image/png", poster.filename_png)


@staff_view()
@require_GET
def download_all(request, staff):
    if not posters.can_make_posters(staff.village):
        return _unavailable(request)
    data = posters.zip_posters(staff.village)
    return _file(data, "application/zip", f"poster-{staff.village.slug}.zip", attachment=True)
