"""The page behind the QR code on every signed letter: anyone (a bank, a school, the
police) can see that the letter exists, who signed it, whether it is still valid, and check
that a PDF copy is byte-for-byte the one issued. No NIK, address or answers are shown."""

import re

from django.http import Http404

from balai.letters import documents
from balai.public.views import page

MAX_UPLOAD = 10 << 20
HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def verify(request, token):
    info = documents.verification(token)
    if info is None:
        raise Http404
    checked = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("pdf")
        pasted = request.POST.get("sha256", "").strip()
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                error = "Berkas terlalu besar (maksimal 10 MB)."
            else:
                checked = documents.matches(token, upload.read())
        elif pasted:
            if not HEX64.fullmatch("".join(pasted.split())):
                error = "Sidik SHA-256 terdiri dari 64 huruf/angka (0-9, a-f)."
            else:
                checked = documents.matches_hash(token, pasted)
        else:
            error = "Pilih berkas PDF, atau tempel sidik SHA-256-nya."
    response = page(
        request,
        info["village"],
        "letters/verify.html",
        {"info": info, "checked": checked, "error": error},
    )
    response["X-Robots-Tag"] = "noindex"
    return response
