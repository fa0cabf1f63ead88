"""Console pages for village news: the list, compose and edit, one announcement with its
audience and cost estimate, approval, and the live progress of its send; topics, the
village's settings, and the subscribers."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from balai.announcements import actions, cards, content
from balai.announcements.audience import duration_text, estimate, rupiah
from balai.announcements.forms import (
    AnnouncementForm,
    NewsSettingsForm,
    ReviewForm,
    TopicForm,
)
from balai.announcements.models import (
    Announcement,
    Broadcast,
    ConsentLog,
    NewsSettings,
    Recipient,
    Subscription,
    Topic,
)
from balai.announcements.sending import error_label, progress
from balai.announcements.topics import next_position
from balai.villages.access import access_object, staff_view
from balai.villages.actions import do_audit


def _announcements(staff):
    return Announcement.objects.filter(village=staff.village).select_related(
        "topic", "author", "broadcast"
    )


def _get(staff, code) -> Announcement:
    return access_object(staff, _announcements(staff), code=code)


@staff_view("view_announcements")
def announcement_list(request, staff):
    qs = _announcements(staff)
    state = request.GET.get("status", "")
    if state in Announcement.State.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, 30).get_page(request.GET.get("hal"))
    topics = Topic.objects.filter(village=staff.village).annotate(
        subscribers=Count("subscriptions")
    )
    return render(
        request,
        "announcements/list.html",
        {
            "page": page,
            "states": Announcement.State.choices,
            "chosen": state,
            "topics": topics,
            "subscribers": Subscription.objects.filter(village=staff.village)
            .values("resident_id")
            .distinct()
            .count(),
            "pending": Announcement.objects.filter(
                village=staff.village, state=Announcement.State.PENDING
            ).count(),
        },
    )


@staff_view("compose_announcements")
def announcement_create(request, staff):
    topic = Topic.objects.filter(village=staff.village, slug=request.GET.get("topik", "")).first()
    form = AnnouncementForm(
        staff.village,
        request.POST or None,
        request.FILES or None,
        initial={"topic": topic} if topic else None,
    )
    if request.method == "POST" and form.is_valid():
        form.instance.author = request.user
        announcement = form.save()
        do_audit(request.user, staff.village, "announcement.create", announcement)
        messages.success(request, "Draf tersimpan. Periksa penerima dan biayanya di bawah.")
        return redirect("announcements:detail", staff.village.slug, announcement.code)
    return render(request, "announcements/form.html", {"form": form, "announcement": None})


@staff_view("compose_announcements")
def announcement_edit(request, staff, code):
    announcement = _get(staff, code)
    if not announcement.is_editable:
        messages.error(request, "Pengumuman yang sudah dikirim tidak bisa diubah.")
        return redirect("announcements:detail", staff.village.slug, code)
    form = AnnouncementForm(
        staff.village, request.POST or None, request.FILES or None, instance=announcement
    )
    if request.method == "POST" and form.is_valid():
        announcement = form.save()
        was_pending = announcement.state == Announcement.State.PENDING
        actions.do_edited(announcement, staff)
        messages.success(
            request,
            "Perubahan tersimpan."
            + (" Pengumuman perlu diajukan lagi untuk disetujui." if was_pending else ""),
        )
        return redirect("announcements:detail", staff.village.slug, code)
    return render(request, "announcements/form.html", {"form": form, "announcement": announcement})


def _estimate_context(announcement) -> dict:
    est = estimate(announcement)
    values = content.template_values(announcement)
    return {
        "est": est,
        "cost": rupiah(est.cost) if est.cost is not None else None,
        "rate": rupiah(est.rate) if est.rate is not None else None,
        "duration": duration_text(est.seconds),
        "template_preview": content.template_preview(est.template, values) if est.template else "",
    }


@staff_view("view_announcements")
def announcement_detail(request, staff, code):
    announcement = _get(staff, code)
    broadcast = getattr(announcement, "broadcast", None)
    context = {
        "announcement": announcement,
        "broadcast": broadcast,
        "preview": content.whatsapp_text(
            announcement,
            1024 if announcement.image or announcement.attachment else 4096,
        ),
        "caption": content.caption(announcement),
        "post_url": content.post_url(announcement),
        "audience_topics": announcement.audience_topics.all(),
        "audience_areas": announcement.audience_areas.all(),
        "audience_programmes": announcement.audience_programmes.all(),
    }
    if broadcast is None:
        context.update(_estimate_context(announcement))
    else:
        context["progress"] = progress(broadcast)
    return render(request, "announcements/detail.html", context)


ACTIONS = {
    "ajukan": (actions.do_submit, "Pengumuman diajukan. Sekretaris desa atau kepala desa akan "
               "memeriksanya."),
    "kirim": (actions.do_send_now, "Pengiriman dimulai. Kemajuannya tampil di bawah."),
    "terbitkan": (actions.do_publish_web, "Pengumuman terbit di halaman kabar desa."),
    "sembunyikan": (lambda a, s: actions.do_set_hidden(a, s, True),
                    "Pengumuman disembunyikan dari halaman kabar desa."),
    "tampilkan": (lambda a, s: actions.do_set_hidden(a, s, False),
                  "Pengumuman tampil lagi di halaman kabar desa."),
    "jeda": (actions.do_pause_send, "Pengiriman dijeda."),
    "lanjutkan": (actions.do_resume_send, "Pengiriman dilanjutkan."),
    "batalkan": (actions.do_cancel_send, "Pengiriman dibatalkan. Yang belum terkirim tidak "
                 "akan dikirim."),
    "hapus": (actions.do_delete, "Draf dihapus."),
}  # fmt: skip


@staff_view("compose_announcements")
@require_POST
def announcement_action(request, staff, code, action):
    announcement = _get(staff, code)
    if action not in ACTIONS:
        raise Http404
    do, done = ACTIONS[action]
    try:
        do(announcement, staff)
    except actions.ActionError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, done)
        if action == "hapus":
            return redirect("announcements:list", staff.village.slug)
    return redirect("announcements:detail", staff.village.slug, code)


@staff_view("approve_announcements")
@require_POST
def announcement_review(request, staff, code):
    announcement = _get(staff, code)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("announcements:detail", staff.village.slug, code)
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["decision"] == "setujui":
            actions.do_approve(announcement, staff, note)
            messages.success(request, "Disetujui. Pengiriman dimulai.")
        else:
            actions.do_reject(announcement, staff, note)
            messages.success(request, "Dikembalikan ke penulis dengan catatan Anda.")
    except actions.ActionError as e:
        messages.error(request, str(e))
    return redirect("announcements:detail", staff.village.slug, code)


@staff_view("view_announcements")
def announcement_progress(request, staff, code):
    """The live progress bar's data (polled every few seconds by progress.js)."""
    announcement = _get(staff, code)
    broadcast = getattr(announcement, "broadcast", None)
    if broadcast is None:
        return JsonResponse({"state": "none", "announcement": announcement.state})
    data = progress(broadcast)
    data["announcement"] = announcement.get_state_display()
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


REPORT_COLUMNS = [
    "nama", "nomor", "wilayah", "status", "lewat", "terkirim", "sampai", "dibaca",
    "kode galat", "keterangan",
]  # fmt: skip


class _Echo:
    def write(self, value):
        return value


@staff_view("compose_announcements")
def announcement_report(request, staff, code):
    """Delivery report, one row per recipient (masked phone numbers)."""
    announcement = _get(staff, code)
    do_audit(request.user, staff.village, "announcement.report", announcement)
    rows = (
        Recipient.objects.filter(broadcast__announcement=announcement)
        .select_related("resident__area", "outbound")
        .order_by("resident__name", "pk")
    )
    local = staff.village.tz

    def when(value):
        return value.astimezone(local).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    def lines():
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(REPORT_COLUMNS)
        for r in rows.iterator(chunk_size=1000):
            out = r.outbound
            if r.state == Recipient.State.RELEASED and out is not None:
                status = out.get_state_display()
                note = error_label(out.last_error_code) if out.state == "failed" else ""
            else:
                status = r.get_state_display()
                note = r.skip_reason
            yield writer.writerow(
                [
                    r.resident.name,
                    r.resident.phone_masked,
                    r.resident.area.label if r.resident.area else "",
                    status,
                    ("templat" if r.via_template else "pesan biasa") if out else "",
                    when(out.sent_at) if out else "",
                    when(out.delivered_at) if out else "",
                    when(out.read_at) if out else "",
                    (out.last_error_code or "") if out else "",
                    note,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(timezone.now(), local).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="laporan-pengumuman-{announcement.code}-{stamp}.csv"'
    )
    return response


@staff_view("view_announcements")
def announcement_file(request, staff, code, kind):
    """The picture, the PDF and the social-media card, for staff (drafts included)."""
    announcement = _get(staff, code)
    if kind == "kartu":
        response = HttpResponse(cards.render_card(announcement), content_type="image/png")
        if request.GET.get("unduh"):
            response["Content-Disposition"] = (
                f'attachment; filename="kabar-{announcement.code}.png"'
            )
        return response
    field = {"gambar": announcement.image, "lampiran": announcement.attachment}.get(kind)
    if not field:
        raise Http404
    with field.open("rb") as f:
        data = f.read()
    mime = "image/jpeg" if kind == "gambar" else "application/pdf"
    response = HttpResponse(data, content_type=mime)
    if kind == "lampiran":
        response["Content-Disposition"] = (
            f'inline; filename="{announcement.attachment_name or "lampiran.pdf"}"'
        )
    return response


# --- topics, settings, subscribers ------------------------------------------------------------


@staff_view("manage_village")
def topics(request, staff):
    form = TopicForm(staff.village, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.position = next_position(staff.village)
        topic = form.save()
        do_audit(request.user, staff.village, "news_topic.create", topic, name=topic.name)
        messages.success(request, f"Topik “{topic.name}” ditambahkan.")
        return redirect("announcements:topics", staff.village.slug)
    return render(
        request,
        "announcements/topics.html",
        {
            "form": form,
            "topics": Topic.objects.filter(village=staff.village).annotate(
                subscribers=Count("subscriptions")
            ),
        },
    )


@staff_view("manage_village")
def topic_edit(request, staff, slug):
    topic = access_object(staff, Topic, slug=slug)
    form = TopicForm(staff.village, request.POST or None, instance=topic)
    if request.method == "POST" and form.is_valid():
        form.save()
        do_audit(request.user, staff.village, "news_topic.edit", topic, name=topic.name)
        messages.success(request, f"Topik “{topic.name}” disimpan.")
        return redirect("announcements:topics", staff.village.slug)
    return render(
        request,
        "announcements/topic_form.html",
        {"form": form, "topic": topic, "subscribers": topic.subscriptions.count()},
    )


@staff_view("approve_announcements")
def news_settings(request, staff):
    settings = NewsSettings.of(staff.village)
    form = NewsSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        form.save()
        do_audit(
            request.user,
            staff.village,
            "news_settings.edit",
            None,
            **{k: str(v) for k, v in form.cleaned_data.items()},
        )
        messages.success(request, "Pengaturan pengumuman disimpan.")
        return redirect("announcements:settings", staff.village.slug)
    number = getattr(staff.village, "whatsapp", None)
    return render(request, "announcements/settings.html", {"form": form, "number": number})


@staff_view("compose_announcements")
def subscribers(request, staff):
    subs = Subscription.objects.filter(village=staff.village)
    topic = request.GET.get("topik", "")
    if topic:
        subs = subs.filter(topic__slug=topic)
    query = request.GET.get("q", "").strip()
    people = (
        staff.village.residents.filter(pk__in=subs.values("resident_id"))
        .select_related("area")
        .prefetch_related("news_subscriptions__topic", "news_subscriptions__area")
    )
    if query:
        people = people.filter(Q(name__icontains=query) | Q(phone__contains=query))
    page = Paginator(people.order_by("name", "pk"), 50).get_page(request.GET.get("hal"))
    return render(
        request,
        "announcements/subscribers.html",
        {
            "page": page,
            "topics": Topic.objects.filter(village=staff.village),
            "chosen": {"topik": topic, "q": query},
            "log": ConsentLog.objects.filter(village=staff.village).select_related(
                "resident", "actor"
            )[:30],
            "broadcasts_running": Broadcast.objects.filter(
                village=staff.village, state=Broadcast.State.RUNNING
            ).count(),
        },
    )
