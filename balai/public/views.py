"""Public village pages (no login): home, services, status lookup, complaints board, and
the short links printed under poster QR codes.

Pages are plain server-rendered HTML with one small stylesheet and no JavaScript, so they
load on a slow connection and print well; tests keep each under 50 KB."""

import datetime as dt
import io

from django import forms
from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods

from balai.accounts.throttle import client_ip
from balai.announcements.views_public import latest_posts
from balai.complaints.models import Complaint
from balai.conversations.flows.status import find_ticket
from balai.letters.models import LetterType
from balai.market.models import Product
from balai.public import links, lookup
from balai.villages.access import public_village
from balai.villages.models import WEEKDAYS, Faq

DAY_LABELS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
BOARD_SIZE = 30
PHOTO_SALT = "balai.public.complaint-photo"
PHOTO_SIZE = 800


def page(request, village, template, context=None, status=200):
    """Render a public page with what every one needs: the village, the page's own address
    and the picture for link previews (the village logo, if any)."""
    logo = village.logo.url if village.logo else ""
    base = {
        "village": village,
        "page_url": settings.SITE_URL + request.path,
        "og_image": settings.SITE_URL + logo if logo.startswith("/") else logo,
        "wa_link": links.wa_link(village),
    }
    # Dates and times on the page read in the village's own time zone (WIB/WITA/WIT).
    with timezone.override(village.tz):
        return render(request, template, {**base, **(context or {})}, status=status)


def week_hours(village, now: dt.datetime | None = None) -> list[dict]:
    """This week's opening hours, Monday first, in the village's time zone; holidays close
    the office for the day."""
    local = village.local_now() if now is None else now.astimezone(village.tz)
    monday = local.date() - dt.timedelta(days=local.weekday())
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    holidays = dict(village.holidays.filter(date__in=days).values_list("date", "name"))
    week = []
    for i, day in enumerate(days):
        spans = [] if day in holidays else village.office_hours.get(WEEKDAYS[i], [])
        week.append(
            {
                "label": DAY_LABELS[i],
                "date": day,
                "hours": ", ".join(f"{a.replace(':', '.')}–{b.replace(':', '.')}" for a, b in spans)
                or "Tutup",
                "holiday": holidays.get(day, ""),
                "is_today": day == local.date(),
            }
        )
    return week


def _services(village):
    return [
        {
            "type": lt,
            "requirements": lt.requirement_lines(),
            "wa_link": links.wa_link(village, lt.deep_link_text),
        }
        for lt in LetterType.objects.filter(village=village).active()
    ]


def home(request, slug):
    village = public_village(slug)
    now = village.local_now()
    return page(
        request,
        village,
        "public/home.html",
        {
            "week": week_hours(village, now),
            "is_open": village.is_open(now),
            "next_opening": None if village.is_open(now) else village.next_opening(now),
            "services": _services(village),
            "complaint_link": links.wa_link(village, links.FIXED_KEYWORDS["aduan"]),
            "now": now,
            "news": latest_posts(village, 3),
            "has_catalogue": Product.objects.filter(village=village, is_published=True).exists(),
        },
    )


def services(request, slug):
    village = public_village(slug)
    return page(
        request,
        village,
        "public/services.html",
        {
            "services": _services(village),
            "complaint_link": links.wa_link(village, links.FIXED_KEYWORDS["aduan"]),
            "info_link": links.wa_link(village, links.FIXED_KEYWORDS["info"]),
            "faqs": Faq.objects.filter(village=village, is_active=True).order_by("position"),
        },
    )


def service(request, slug, keyword):
    village = public_village(slug)
    letter = LetterType.objects.active().filter(village=village, keyword__iexact=keyword).first()
    if letter is None:
        raise Http404
    return page(
        request,
        village,
        "public/service.html",
        {
            "service": {
                "type": letter,
                "requirements": letter.requirement_lines(),
                "wa_link": links.wa_link(village, letter.deep_link_text),
            },
            "short_url": links.short_url(village, letter.keyword),
        },
    )


class StatusForm(forms.Form):
    ticket = forms.CharField(
        label="Nomor tiket",
        max_length=30,
        help_text="Ada di pesan WhatsApp saat Anda mengajukan, mis. PDK-2611-0042.",
    )
    phone_suffix = forms.RegexField(
        label="4 angka terakhir nomor HP",
        regex=r"^\d{4}$",
        max_length=4,
        help_text="Nomor WhatsApp yang dipakai untuk mengajukan.",
        error_messages={"invalid": "Isi 4 angka terakhir nomor HP Anda, mis. 7890."},
    )

    def clean_ticket(self):
        code = find_ticket(self.cleaned_data["ticket"])
        if code is None:
            raise forms.ValidationError("Nomor tiket tidak dikenali. Contohnya: PDK-2611-0042.")
        return code


THROTTLED = (
    "Terlalu banyak percobaan yang tidak cocok. Silakan coba lagi beberapa menit lagi, "
    "atau ketik nomor tiket Anda di WhatsApp desa."
)
NOT_FOUND = (
    "Nomor tiket dan 4 angka terakhir nomor HP tidak cocok. Periksa lagi, atau ketik nomor "
    "tiket Anda di WhatsApp desa."
)


@require_http_methods(["GET", "POST"])
def status(request, slug):
    """Ticket + phone suffix → state and history. POST, so neither lands in a URL or log."""
    village = public_village(slug)
    form = StatusForm(request.POST or None)
    ticket, error, code = None, "", 200
    ip = client_ip(request)
    if request.method == "POST":
        wanted = find_ticket(request.POST.get("ticket", "")) or ""
        if lookup.throttled(ip, wanted):
            error, code = THROTTLED, 429
        elif form.is_valid():
            data = form.cleaned_data
            ticket = lookup.find(village, data["ticket"], data["phone_suffix"])
            if ticket is None:
                lookup.record_miss(ip, data["ticket"])
                error = NOT_FOUND
    if form.is_bound:
        # The phone digits are never written back into the page.
        form.data = form.data.copy()
        form.data.pop("phone_suffix", None)
    response = page(
        request,
        village,
        "public/status.html",
        {"form": form, "ticket": ticket, "error": error},
        status=code,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _public_complaints(village):
    return (
        Complaint.objects.filter(
            village=village, moderated_at__isnull=False, hidden=False, duplicate_of__isnull=True
        )
        .select_related("category", "resident", "photo")
        .order_by("-submitted_at", "-pk")
    )


def complaints(request, slug):
    village = public_village(slug)
    if not village.public_complaints:
        raise Http404
    items = []
    for complaint in _public_complaints(village)[:BOARD_SIZE]:
        photo = ""
        if complaint.photo and not complaint.photo_hidden and complaint.photo.state == "stored":
            photo = signing.dumps(complaint.pk, salt=PHOTO_SALT)
        items.append({"complaint": complaint, "photo_token": photo})
    return page(request, village, "public/complaints.html", {"items": items})


@cache_control(public=True, max_age=3600)
def complaint_photo(request, slug, token):
    """A moderated complaint's photo, resized and stripped of its metadata (a phone photo's
    EXIF carries the GPS position of the reporter's house and the phone's model)."""
    from PIL import Image, ImageOps

    village = public_village(slug)
    if not village.public_complaints:
        raise Http404
    try:
        pk = signing.loads(token, salt=PHOTO_SALT)
    except signing.BadSignature:
        raise Http404 from None
    complaint = (
        _public_complaints(village).filter(pk=pk, photo_hidden=False, photo__state="stored").first()
    )
    if complaint is None:
        raise Http404
    try:
        with complaint.photo.file.open("rb") as f, Image.open(f) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PHOTO_SIZE, PHOTO_SIZE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=72, optimize=True)
    except (OSError, ValueError):
        raise Http404 from None
    return HttpResponse(out.getvalue(), content_type="image/jpeg")


def wa(request, slug, keyword=""):
    """The short link under a poster's QR code: straight into the right WhatsApp flow."""
    village = public_village(slug)
    text = links.deep_link_text(village, keyword)
    if text is None:
        raise Http404
    target = links.wa_link(village, text)
    if not target:
        return page(request, village, "public/no_whatsapp.html", status=404)
    return HttpResponseRedirect(target)
