"""Transparency board (placeholder until it is built)."""

from django.http import Http404


def board(request, slug):
    raise Http404


def export_csv(request, slug):
    raise Http404


def export_json(request, slug):
    raise Http404


def chart(request, slug, name):
    raise Http404
