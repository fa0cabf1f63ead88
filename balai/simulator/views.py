"""The phone-like chat page, and the files it shows."""

import re

from django.http import Http404, HttpResponse
from django.shortcuts import render

from balai.simulator.models import SimFault, SimMedia
from balai.whatsapp.models import Template, WhatsAppNumber

DEFAULT_WA_ID = "6281234567890"
DEFAULT_NAME = "Siti"
# Images the page may show inline; every other file is a download (never rendered here).
INLINE_IMAGES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def chat(request):
    numbers = list(
        WhatsAppNumber.objects.filter(is_simulated=True)
        .select_related("village")
        .order_by("village__name")
    )
    problems = []
    selected = request.GET.get("village", "")
    number = next((n for n in numbers if n.phone_number_id == selected), None)
    if selected and number is None:
        problems.append("Nomor desa itu bukan nomor simulator.")
    number = number or (numbers[0] if numbers else None)

    wa_id = re.sub(r"[\s()+\-]", "", request.GET.get("wa_id", DEFAULT_WA_ID))
    if wa_id and not (wa_id.isdigit() and 8 <= len(wa_id) <= 15):
        problems.append("Nomor HP harus 8–15 angka, mis. 6281234567890.")
        wa_id = DEFAULT_WA_ID
    user_id = request.GET.get("user_id", "").strip()
    if user_id and not re.fullmatch(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}", user_id):
        problems.append("BSUID harus seperti ID.1234567890.")
        user_id = ""
    if not (wa_id or user_id):
        wa_id = DEFAULT_WA_ID
    name = request.GET.get("name", DEFAULT_NAME).strip()[:150]

    templates = {}
    if number is not None:
        for tpl in Template.objects.filter(village_id=number.village_id):
            entry = {"body": tpl.body, "parameters": tpl.parameters}
            templates[f"{tpl.name}|{tpl.language}"] = entry
            templates.setdefault(tpl.name, entry)
    context = {
        "numbers": numbers,
        "number": number,
        "wa_id": wa_id,
        "user_id": user_id,
        "name": name,
        "problems": problems,
        "chosen": "village" in request.GET,
        "templates": templates,
        "fault_kinds": SimFault.Kind.choices,
    }
    return render(request, "simulator/chat.html", context)


def file(request, media_id: str):
    """A simulated file for the chat page: images inline, anything else as a download."""
    media = SimMedia.objects.filter(media_id=media_id).first()
    if media is None:
        raise Http404("no such simulated file")
    if media.mime_type in INLINE_IMAGES:
        response = HttpResponse(bytes(media.data), content_type=media.mime_type)
    else:
        response = HttpResponse(bytes(media.data), content_type="application/octet-stream")
        name = re.sub(r"[^\w.\- ]", "_", media.filename or f"berkas-{media.media_id}")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response
