"""Console pages for a village's WhatsApp number: connection, check, resume, templates.

The access token is write-only: it is never rendered, logged or written to the audit log.
"""

import datetime as dt
import re

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from balai.residents.identity import mask_phone
from balai.villages.access import staff_view
from balai.villages.actions import do_audit
from balai.whatsapp.client import PAUSE_NUMBER, TRANSPORT_ERROR, CloudAPI, CloudAPIError
from balai.whatsapp.forms import NumberForm, TemplateForm, TemplateStatusForm
from balai.whatsapp.models import ChannelAlert, Media, OutboundMessage, Template, WhatsAppNumber
from balai.whatsapp.outbox import do_resume_number

ATTENTION_DAYS = 7

# What an operator can do about the codes a check most often meets.
CHECK_HINTS = {
    0: "Token akses tidak bisa dipakai. Buat token baru di Meta lalu simpan di sini.",
    190: "Token akses sudah kedaluwarsa atau dicabut. Buat token baru di Meta lalu simpan di sini.",
    100: "Phone number ID tidak dikenal oleh Meta, atau token tidak punya akses ke nomor ini.",
    10: "Token belum diberi izin whatsapp_business_management dan whatsapp_business_messaging.",
    368: "Akun WhatsApp Business dibatasi Meta karena pelanggaran kebijakan.",
    131031: "Akun WhatsApp Business dikunci oleh Meta.",
    404: "Alamat API tidak ditemukan. Periksa URL API dan phone number ID.",
    TRANSPORT_ERROR: "Periksa URL API, lalu coba lagi beberapa saat lagi.",
}

_LONG_DIGITS = re.compile(r"\+?\d{9,}")


def _mask_numbers(text: str) -> str:
    """Hide phone-like digit runs in alert texts for roles that may not see residents."""
    return _LONG_DIGITS.sub(lambda m: mask_phone(m.group(0)), text)


def open_alerts(staff, limit: int = 10) -> list[ChannelAlert]:
    """The village's unresolved channel alerts, newest first, as this staff member may see
    them (numbers masked for roles outside the village office)."""
    alerts = list(
        ChannelAlert.objects.filter(village=staff.village, resolved_at__isnull=True)[:limit]
    )
    if not staff.can("view_residents"):
        for alert in alerts:
            alert.message = _mask_numbers(alert.message)
    return alerts


def _number(staff) -> WhatsAppNumber | None:
    return WhatsAppNumber.objects.filter(village=staff.village).first()


@staff_view("manage_village")
def channel(request, staff):
    village = staff.village
    number = _number(staff)
    action = request.POST.get("action") if request.method == "POST" else None

    # The form gets its own copy: an invalid POST must not change what the page reports.
    number_form = NumberForm(
        request.POST if action == "number" else None,
        instance=_number(staff) or WhatsAppNumber(village=village),
    )
    template_form = TemplateForm(village, request.POST if action == "template" else None)

    if action == "number" and number_form.is_valid():
        created = number is None
        with transaction.atomic():
            number = number_form.save()
            do_audit(
                request.user,
                village,
                "whatsapp.number.create" if created else "whatsapp.number.update",
                number,
                phone_number_id=number.phone_number_id,
                fields=sorted(f for f in number_form.changed_data if f != "access_token"),
                token_replaced=number_form.token_replaced,
            )
        messages.success(request, "Pengaturan nomor WhatsApp sudah disimpan.")
        return redirect("whatsapp:channel", village.slug)

    if action == "template" and template_form.is_valid():
        with transaction.atomic():
            template = template_form.save()
            do_audit(request.user, village, "whatsapp.template.create", template)
        messages.success(
            request,
            f"Template {template.name} sudah ditambahkan. Ajukan teksnya ke Meta, lalu ubah "
            "statusnya di sini setelah disetujui.",
        )
        return redirect("whatsapp:channel", village.slug)

    if action == "template_status":
        template = get_object_or_404(Template, village=village, code=request.POST.get("template"))
        status_form = TemplateStatusForm(request.POST)
        if status_form.is_valid():
            old, template.status = template.status, status_form.cleaned_data["status"]
            with transaction.atomic():
                template.save(update_fields=["status"])
                do_audit(
                    request.user,
                    village,
                    "whatsapp.template.status",
                    template,
                    old=old,
                    new=template.status,
                )
            messages.success(
                request,
                f"Status template {template.name} sekarang {template.get_status_display()}.",
            )
        else:
            messages.error(request, "Status template tidak dikenal.")
        return redirect("whatsapp:channel", village.slug)

    if action == "resolve_alert":
        alert_id = request.POST.get("alert", "")
        if not alert_id.isdigit():
            raise Http404
        alert = get_object_or_404(
            ChannelAlert, village=village, resolved_at__isnull=True, pk=int(alert_id)
        )
        if number and number.is_paused and alert.code in PAUSE_NUMBER:
            messages.error(request, "Peringatan ini selesai sendiri setelah nomor diaktifkan lagi.")
        else:
            with transaction.atomic():
                ChannelAlert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now())
                do_audit(request.user, village, "whatsapp.alert.resolve", alert_id=alert.pk)
            messages.success(request, "Peringatan sudah ditandai selesai.")
        return redirect("whatsapp:channel", village.slug)

    if request.method == "POST" and action not in {"number", "template"}:
        messages.error(request, "Permintaan tidak dikenal. Silakan coba lagi.")
        return redirect("whatsapp:channel", village.slug)

    since = timezone.now() - dt.timedelta(days=ATTENTION_DAYS)
    attention = OutboundMessage.objects.filter(
        village=village, needs_attention=True, created__gte=since
    ).order_by("-created")
    attention_recent = list(attention[:5])
    for row in attention_recent:
        row.to_masked = mask_phone("+" + row.to) if row.to.isdigit() else row.to
    context = {
        "village": village,
        "number": number,
        "number_form": number_form,
        "template_form": template_form,
        "templates": Template.objects.filter(village=village).order_by("name", "language"),
        "status_choices": Template.Status.choices,
        "alerts": open_alerts(staff, limit=50),
        "pause_codes": PAUSE_NUMBER,
        "attention_count": attention.count(),
        "attention_recent": attention_recent,
        "attention_days": ATTENTION_DAYS,
        "webhook_url": settings.SITE_URL + reverse("whatsapp:webhook"),
        "verify_token": settings.WHATSAPP_VERIFY_TOKEN,
        "api_base": settings.WHATSAPP_API_BASE,
    }
    return render(request, "whatsapp/channel.html", context)


def _check_failed_text(error: CloudAPIError) -> str:
    hint = CHECK_HINTS.get(error.code) or CHECK_HINTS.get(error.http_status or 0, "")
    if error.code == TRANSPORT_ERROR:
        what = f"server WhatsApp tidak bisa dihubungi ({error.message})"
    elif error.http_status and error.message == f"HTTP {error.http_status}":
        # Not a Graph API error body (a proxy's HTML page, say): the status is all we know.
        what = f"server menjawab HTTP {error.http_status}"
    else:
        what = f"kode {error.code} — {error.message}"
        if error.details:
            what += f" ({error.details})"
    return f"Pemeriksaan gagal: {what}." + (f" {hint}" if hint else "")


@staff_view("manage_village")
@require_POST
def channel_check(request, staff):
    number = _number(staff)
    if number is None:
        messages.error(request, "Desa ini belum punya nomor WhatsApp. Isi pengaturannya dulu.")
        return redirect("whatsapp:channel", staff.village.slug)
    try:
        info = CloudAPI(number).phone_info()
    except CloudAPIError as error:
        messages.error(request, _check_failed_text(error))
        return redirect("whatsapp:channel", staff.village.slug)
    display = re.sub(r"\D", "", str(info.get("display_phone_number") or ""))[:20]
    verified_name = str(info.get("verified_name") or "")[:150]
    fields = {"checked_at": timezone.now(), "verified_name": verified_name}
    if display:
        fields["display_number"] = display
    with transaction.atomic():
        WhatsAppNumber.objects.filter(pk=number.pk).update(**fields)
        do_audit(
            request.user,
            staff.village,
            "whatsapp.number.check",
            number,
            display_number=display,
            verified_name=verified_name,
        )
    shown = display or number.display_number or number.phone_number_id
    messages.success(
        request, f"Nomor terhubung: {shown} ({verified_name or 'nama belum diverifikasi'})"
    )
    return redirect("whatsapp:channel", staff.village.slug)


@staff_view("manage_village")
@require_POST
def channel_resume(request, staff):
    number = _number(staff)
    if number is None:
        messages.error(request, "Desa ini belum punya nomor WhatsApp.")
    elif not number.is_paused:
        messages.success(request, "Nomor ini sudah aktif.")
    else:
        with transaction.atomic():
            do_resume_number(number)
            do_audit(
                request.user,
                staff.village,
                "whatsapp.number.resume",
                number,
                paused_reason=number.paused_reason,
            )
        messages.success(
            request,
            "Pengiriman WhatsApp aktif lagi. Pesan yang tertunda dikirim dalam beberapa menit.",
        )
    return redirect("whatsapp:channel", staff.village.slug)


# Shown in the browser; anything else is downloaded, never rendered (a resident's "PDF" could
# be HTML).
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


@staff_view("handle_inbox")
def media_file(request, staff, code):
    """A file a resident sent on WhatsApp (attachments, inbox photos): village office only."""
    media = get_object_or_404(Media, village=staff.village, code=code, state=Media.State.STORED)
    do_audit(request.user, staff.village, "media.view", media)
    inline = media.mime_type in INLINE_TYPES
    response = FileResponse(
        media.file.open("rb"),
        content_type=media.mime_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=media.filename or media.file.name.rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    return response
