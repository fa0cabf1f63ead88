"""Bare views of the platform itself (no village, no login)."""

from django.http import HttpResponse


def healthz(request):
    """Liveness for load balancers and ops checks: the process answers; no database access."""
    return HttpResponse("ok", content_type="text/plain")
