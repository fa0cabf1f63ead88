"""Requests whose form fields or query string carry a NUL character are refused with a 400.

No text a person types holds one; PostgreSQL cannot store one (a 500 deep inside a view, found
by the form fuzzer), and Django's form fields refuse it only where a form is used.
"""

from django.http import HttpResponseBadRequest


class RejectNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "csrf_exempt", False):
            return None  # webhooks and the simulator read their raw bodies themselves
        values = [*view_kwargs.values(), *request.GET.keys()]
        values += [v for vs in request.GET.lists() for v in vs[1]]
        if request.method == "POST" and request.content_type in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            values += [*request.POST.keys()]
            values += [v for vs in request.POST.lists() for v in vs[1]]
        if any("\x00" in str(value) for value in values):
            return HttpResponseBadRequest(
                "Isian berisi karakter yang tidak diizinkan. Periksa lagi, lalu kirim ulang.",
                content_type="text/plain; charset=utf-8",
            )
        return None
