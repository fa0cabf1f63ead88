"""Public village pages (no login): home, services, status lookup, complaints board."""

from django.http import Http404


def home(request, slug):
    raise Http404


def services(request, slug):
    raise Http404


def service(request, slug, keyword):
    raise Http404


def status(request, slug):
    raise Http404


def complaints(request, slug):
    raise Http404


def wa(request, slug, keyword=""):
    raise Http404
