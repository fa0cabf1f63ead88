"""Console pages for a village's WhatsApp number (filled in below)."""

from django.http import HttpResponse

from balai.villages.access import staff_view


@staff_view("manage_village")
def channel(request, staff):
    return HttpResponse("todo")


@staff_view("manage_village")
def channel_check(request, staff):
    return HttpResponse("todo")


@staff_view("manage_village")
def channel_resume(request, staff):
    return HttpResponse("todo")
