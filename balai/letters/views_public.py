"""The page behind the QR code on every signed letter: anyone (a bank, a school, the
police) can see that the letter exists, who signed it, whether it is still valid, and check
that a PDF copy is byte-for-byte the one issued. No NIK, address or answers are shown."""

from django.http import Http404
from django.shortcuts import render

from balai.letters import documents

MAX_UPLOAD = 10 << 20


def verify(request, token):
    info = documents.verification(token)
    if info is None:
        raise Http404
    checked = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("pdf")
        if upload is None:
            error = "Pilih berkas PDF yang ingin diperiksa."
        elif upload.size > MAX_UPLOAD:
            error = "Berkas terlalu besar (maksimal 10 MB)."
        else:
            checked = documents.matches(token, upload.read())
    response = render(
        request,
        "letters/verify.html",
        {"info": info, "checked": checked, "error": error},
        status=200,
    )
    response["X-Robots-Tag"] = "noindex"
    return response
