"""Console pages for letter documents: each letter type's template (edit, preview, reset)
and the download of an issued letter's PDF.

Templates are edited by those who manage the village; any office staff may download a
signed letter of their village (every download is written to the audit log, since the
letter carries the full NIK).
"""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from balai.letters.documents import (
    PLACEHOLDERS,
    do_reset_template,
    do_save_template,
    placeholders_for,
    preview_html,
    render_pdf,
    template_for,
)
from balai.letters.forms_documents import LetterTemplateForm
from balai.letters.models import IssuedLetter, LetterTemplate, LetterType, Paper
from balai.villages.access import access_object, staff_view
from balai.villages.actions import do_audit


@staff_view("manage_village")
def template_list(request, staff):
    letter_types = LetterType.objects.filter(village=staff.village)
    custom = dict(
        LetterTemplate.objects.filter(letter_type__village=staff.village).values_list(
            "letter_type_id", "updated"
        )
    )
    rows = [(t, custom.get(t.pk)) for t in letter_types]
    return render(request, "letters/document_templates.html", {"rows": rows})


def _placeholder_groups(letter_type: LetterType) -> list[tuple[str, list[tuple[str, str]]]]:
    own = [(name, text) for name, text in placeholders_for(letter_type).items()]
    fields = [(n, t) for n, t in own if n not in PLACEHOLDERS]
    common = [(n, t) for n, t in own if n in PLACEHOLDERS]
    groups = [("Isian warga untuk surat ini", fields)] if fields else []
    return [*groups, ("Kode umum", common)]


@staff_view("manage_village")
@require_http_methods(["GET", "POST"])
def template_edit(request, staff, slug):
    letter_type = access_object(staff, LetterType, slug=slug)
    stored = LetterTemplate.objects.filter(letter_type=letter_type).first()
    if request.method == "POST" and request.POST.get("action") == "reset":
        if do_reset_template(letter_type, actor=request.user):
            messages.success(request, f"Templat {letter_type.name} kembali ke bawaan Balai.")
        else:
            messages.info(request, "Templat ini sudah bawaan Balai.")
        return redirect("letter_documents:edit", staff.village.slug, letter_type.slug)
    if request.method == "POST":
        form = LetterTemplateForm(letter_type, request.POST)
        if form.is_valid():
            do_save_template(
                letter_type,
                html=form.cleaned_data["html"],
                paper=form.cleaned_data["paper"],
                actor=request.user,
            )
            messages.success(request, f"Templat {letter_type.name} sudah disimpan.")
            return redirect("letter_documents:edit", staff.village.slug, letter_type.slug)
    else:
        html, paper = template_for(letter_type)
        form = LetterTemplateForm(letter_type, initial={"html": html, "paper": paper})
    return render(
        request,
        "letters/template_editor.html",
        {
            "letter_type": letter_type,
            "form": form,
            "stored": stored,
            "groups": _placeholder_groups(letter_type),
        },
    )


@staff_view("manage_village")
@require_http_methods(["GET", "POST"])
def template_preview(request, staff, slug):
    """A PDF of the template filled with made-up data: the stored (or default) template on
    GET, the draft in the editor on POST."""
    letter_type = access_object(staff, LetterType, slug=slug)
    if request.method == "POST":
        form = LetterTemplateForm(letter_type, request.POST)
        if not form.is_valid():
            return render(
                request,
                "letters/document_preview_error.html",
                {"letter_type": letter_type, "form": form},
                status=400,
            )
        html, paper = form.cleaned_data["html"], form.cleaned_data["paper"]
    else:
        html, paper = template_for(letter_type)
        if request.GET.get("kertas") in Paper.values:
            paper = request.GET["kertas"]
    pdf = render_pdf(preview_html(letter_type, html), paper)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pratinjau-{letter_type.slug}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view("view_residents")
def issued_pdf(request, staff, code):
    letter = access_object(
        staff, IssuedLetter.objects.select_related("request"), request__code=code
    )
    try:
        file = letter.pdf.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    do_audit(request.user, staff.village, "letter.download", letter.request, number=letter.number)
    response = FileResponse(file, content_type="application/pdf", filename=f"{code}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response
