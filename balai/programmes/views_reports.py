"""Documentation, logbook, the DPL's comments, and the report downloads of a programme.

Everyone who may see the programme reads these pages (the DPL too); changes need
``manage_programmes``, except comments, which anyone with ``comment`` may write. Photo files
are served only to staff of the programme's village.
"""

import mimetypes

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from balai.programmes import actions, report
from balai.programmes.documentation import do_delete_photo, do_edit_log
from balai.programmes.models import LogEntry, Photo
from balai.villages.access import access_in_programme, access_programme, staff_view
from balai.villages.actions import do_audit
from balai.villages.models import Membership

THUMB_PX = 480
PHOTO_UPLOAD_MAX = 10 << 20
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp"}
UPLOAD_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def _go(staff, programme, name, *args):
    return redirect(reverse(f"programmes:{name}", args=[staff.village.slug, programme.code, *args]))


def _ctx(staff, programme, **extra):
    return {
        "programme": programme,
        "can_manage": staff.can("manage_programmes"),
        "can_comment": staff.can("comment"),
        **extra,
    }


# --- photos -----------------------------------------------------------------------------------


class PhotoForm(forms.Form):
    photo = forms.ImageField(label="Foto")
    caption = forms.CharField(
        label="Keterangan",
        max_length=500,
        help_text="Mis. “Penyerahan surat permohonan kesediaan kepada peserta”.",
    )
    activity = forms.ChoiceField(label="Kegiatan", required=False)

    def __init__(self, programme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.activities = {a.code: a for a in programme.activities.all()}
        self.fields["activity"].choices = [("", "Tanpa kegiatan")] + [
            (code, f"{a.title} ({a.starts_at:%d-%m-%Y})") for code, a in self.activities.items()
        ]

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        if photo.size > PHOTO_UPLOAD_MAX:
            raise ValidationError("Foto terlalu besar; paling besar 10 MB.")
        # What Pillow found in the file, not what the browser said it was.
        kind = UPLOAD_FORMATS.get(getattr(photo.image, "format", ""))
        if kind is None:
            raise ValidationError("Unggah foto JPG, PNG, atau WebP.")
        # The stored name says nothing about the person or the phone it came from.
        photo.name = "dokumentasi" + mimetypes.guess_extension(kind)
        photo.content_type = kind
        return photo


@staff_view("view_programmes")
def docs(request, staff, code):
    programme = access_programme(staff, code)
    form = PhotoForm(programme, request.POST or None, request.FILES or None)
    if request.method == "POST":
        staff.require("manage_programmes")
        if form.is_valid():
            data = form.cleaned_data
            actions.do_add_photo(
                programme,
                request.user,
                caption=data["caption"],
                activity=form.activities.get(data["activity"]),
                upload=data["photo"],
            )
            messages.success(request, "Foto sudah disimpan.")
            return _go(staff, programme, "docs")
    photos = list(
        programme.photos.select_related("activity", "media", "added_by").order_by(
            "activity__starts_at", "created", "pk"
        )
    )
    groups: dict = {}
    for photo in photos:
        groups.setdefault(photo.activity, []).append(photo)
    # Activities in date order, photos without an activity last.
    sections = sorted(
        groups.items(), key=lambda kv: (kv[0] is None, kv[0].starts_at if kv[0] else None)
    )
    number = 0
    numbered = []
    for activity, items in sections:
        rows = []
        for photo in items:
            number += 1
            rows.append((number, photo))
        numbered.append((activity, rows))
    return render(
        request,
        "programmes/docs_photos.html",
        _ctx(staff, programme, form=form, sections=numbered, total=number),
    )


def _photo(staff, code, photo):
    programme = access_programme(staff, code)
    return programme, access_in_programme(programme, Photo.objects.select_related("media"), photo)


def _read_only(request) -> HttpResponse | None:
    """Downloads and files answer GET only; checked after the object is found, so another
    village's address is a 404 whatever the method."""
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return None


def _private(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response


@staff_view("view_programmes")
def photo_file(request, staff, code, photo):
    _programme, item = _photo(staff, code, photo)
    if refused := _read_only(request):
        return refused
    source = report.photo_source(item)
    if source is None:
        raise Http404
    kind = item.media.mime_type if (item.media and not item.file) else ""
    kind = kind or mimetypes.guess_type(source.name)[0] or ""
    if kind not in INLINE_TYPES:
        raise Http404
    return _private(FileResponse(source.open("rb"), content_type=kind))


@staff_view("view_programmes")
def photo_thumb(request, staff, code, photo):
    _programme, item = _photo(staff, code, photo)
    if refused := _read_only(request):
        return refused
    shrunk = report.shrink(item, THUMB_PX, quality=72)
    if shrunk is None:
        raise Http404
    return _private(HttpResponse(shrunk[0], content_type="image/jpeg"))


@staff_view("manage_programmes")
@require_POST
def photo_delete(request, staff, code, photo):
    programme, item = _photo(staff, code, photo)
    do_delete_photo(item, request.user)
    messages.success(request, "Foto sudah dihapus.")
    return _go(staff, programme, "docs")


# --- logbook ----------------------------------------------------------------------------------


class LogForm(forms.ModelForm):
    class Meta:
        model = LogEntry
        fields = ["date", "text"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, programme, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError("Catatan masih kosong.")
        return text

    def clean_date(self):
        date = self.cleaned_data["date"]
        today = self.programme.village.local_now().date()
        if date > today:
            raise ValidationError("Tanggal catatan tidak boleh setelah hari ini.")
        return date


@staff_view("view_programmes")
def logbook(request, staff, code):
    programme = access_programme(staff, code)
    today = staff.village.local_now().date()
    form = LogForm(programme, request.POST or None, initial={"date": today})
    if request.method == "POST":
        staff.require("manage_programmes")
        if form.is_valid():
            actions.do_add_log(
                programme,
                request.user,
                date=form.cleaned_data["date"],
                text=form.cleaned_data["text"],
            )
            messages.success(request, "Catatan sudah disimpan.")
            return _go(staff, programme, "logbook")
    entries = programme.log.select_related("author")
    return render(
        request,
        "programmes/docs_logbook.html",
        _ctx(staff, programme, form=form, entries=entries),
    )


@staff_view("manage_programmes")
def logbook_edit(request, staff, code, entry):
    programme = access_programme(staff, code)
    item = get_object_or_404(LogEntry, programme=programme, pk=entry)
    if item.author_id != request.user.pk:
        messages.error(request, "Catatan hanya dapat diubah oleh penulisnya.")
        return _go(staff, programme, "logbook")
    form = LogForm(
        programme, request.POST or None, instance=LogEntry(date=item.date, text=item.text)
    )
    if request.method == "POST" and form.is_valid():
        do_edit_log(
            item, request.user, date=form.cleaned_data["date"], text=form.cleaned_data["text"]
        )
        messages.success(request, "Catatan sudah diubah.")
        return _go(staff, programme, "logbook")
    return render(
        request,
        "programmes/docs_log_edit.html",
        _ctx(staff, programme, form=form, entry=item),
    )


# --- comments ---------------------------------------------------------------------------------


@staff_view("view_programmes")
def comments(request, staff, code):
    programme = access_programme(staff, code)
    if request.method == "POST":
        staff.require("comment")
        try:
            actions.do_add_comment(programme, request.user, request.POST.get("text", "")[:3000])
        except ValueError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "Komentar sudah dikirim.")
            return _go(staff, programme, "comments")
    items = list(programme.comments.select_related("author"))
    roles = dict(
        Membership.objects.filter(
            village=staff.village, user__in={c.author_id for c in items if c.author_id}
        ).values_list("user_id", "role")
    )
    labels = dict(Membership._meta.get_field("role").choices)
    rows = [(c, labels.get(roles.get(c.author_id), "")) for c in items]
    return render(
        request,
        "programmes/docs_comments.html",
        _ctx(staff, programme, rows=rows, text=request.POST.get("text", "")),
    )


# --- report -----------------------------------------------------------------------------------


@staff_view("view_programmes")
def report_index(request, staff, code):
    programme = access_programme(staff, code)
    if refused := _read_only(request):
        return refused
    counts = {
        "participants": programme.participants.count(),
        "activities": programme.activities.count(),
        "photos": programme.photos.count(),
        "log": programme.log.count(),
        "comments": programme.comments.count(),
        "quizzes": programme.quizzes.count(),
    }
    consent = dict(programme.participants.values_list("consent").annotate(n=Count("pk")).order_by())
    consent_counts = [
        (label, consent.get(value, 0)) for value, label in report.ANSWER_LABELS.items()
    ]
    return render(
        request,
        "programmes/report_index.html",
        _ctx(staff, programme, counts=counts, consent_counts=consent_counts),
    )


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_view("view_programmes")
def report_pdf(request, staff, code):
    programme = access_programme(staff, code)
    if refused := _read_only(request):
        return refused
    content = report.report_pdf(report.build_report(programme))
    do_audit(request.user, staff.village, "programme.report_pdf", programme)
    return _download(content, "application/pdf", report.report_filename(programme, "pdf"))


@staff_view("view_programmes")
def report_docx(request, staff, code):
    programme = access_programme(staff, code)
    if refused := _read_only(request):
        return refused
    content = report.report_docx(report.build_report(programme))
    do_audit(request.user, staff.village, "programme.report_docx", programme)
    return _download(
        content,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        report.report_filename(programme, "docx"),
    )


@staff_view("view_programmes")
def consent_pdf(request, staff, code):
    programme = access_programme(staff, code)
    if refused := _read_only(request):
        return refused
    content = report.consent_pdf(programme)
    do_audit(request.user, staff.village, "programme.consent_register", programme)
    filename = report.report_filename(programme, "pdf").replace("laporan-", "persetujuan-", 1)
    return _download(content, "application/pdf", filename)
