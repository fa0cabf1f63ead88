"""The programme workspace for facilitators; the DPL reads everything and comments."""

import datetime as dt

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from balai.programmes import actions, consent
from balai.programmes import participants as roster
from balai.programmes.forms import ActivityForm, GroupForm, ParticipantForm, ProgrammeForm
from balai.programmes.models import Activity, Attendance, ConsentState, Participant, Programme
from balai.villages.access import access_in_programme, access_programme, staff_view
from balai.villages.models import Membership

ICS_SALT = "balai.programmes.ics"


def _go(staff, programme, name="detail", *args):
    return redirect(reverse(f"programmes:{name}", args=[staff.village.slug, programme.code, *args]))


def _ctx(staff, programme, **extra):
    return {"programme": programme, "can_manage": staff.can("manage_programmes"), **extra}


@staff_view("view_programmes")
def programme_list(request, staff):
    programmes = (
        Programme.objects.filter(village=staff.village)
        .annotate(
            n_participants=Count("participants", distinct=True),
            n_consented=Count(
                "participants", filter=Q(participants__consent=ConsentState.GIVEN), distinct=True
            ),
        )
        .prefetch_related("facilitators", "supervisors")
    )
    return render(
        request,
        "programmes/list.html",
        {"programmes": programmes, "can_manage": staff.can("manage_programmes")},
    )


@staff_view("manage_programmes")
def programme_edit(request, staff, code=None):
    programme = access_programme(staff, code) if code else Programme(village=staff.village)
    form = ProgrammeForm(staff.village, request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        programme = form.save(commit=False)
        actions.do_save_programme(
            programme,
            request.user,
            facilitators=form.cleaned_data["facilitators"],
            supervisors=form.cleaned_data["supervisors"],
        )
        messages.success(request, f"Program “{programme.title}” sudah disimpan.")
        return _go(staff, programme)
    return render(request, "programmes/edit.html", {"form": form, "programme": programme})


@staff_view("view_programmes")
def programme_detail(request, staff, code):
    programme = access_programme(staff, code)
    counts = dict(programme.participants.values_list("consent").annotate(n=Count("pk")).order_by())
    now = timezone.now()
    return render(
        request,
        "programmes/detail.html",
        _ctx(
            staff,
            programme,
            consent_counts=[
                f"{counts[value]} {label.lower()}"
                for value, label in ConsentState.choices
                if counts.get(value)
            ],
            total=sum(counts.values()),
            upcoming=programme.activities.filter(starts_at__gte=now)[:3],
            past=programme.activities.filter(starts_at__lt=now).count(),
            ics_url=request.build_absolute_uri(
                reverse("programmes:ics", args=[ics_token(request.user, programme)])
            ),
        ),
    )


# --- participants ---------------------------------------------------------------------------


@staff_view("view_programmes")
def participants(request, staff, code):
    programme = access_programme(staff, code)
    people = programme.participants.select_related("resident", "area").annotate(
        n_reminders=Count(
            "consent_events", filter=Q(consent_events__kind="reminded"), distinct=True
        )
    )
    return render(
        request,
        "programmes/participants.html",
        _ctx(
            staff,
            programme,
            participants=people,
            not_asked=sum(p.consent == ConsentState.NOT_ASKED for p in people),
            withdrawn=[p for p in people if p.consent == ConsentState.WITHDRAWN],
        ),
    )


@staff_view("manage_programmes")
def participant_add(request, staff, code):
    programme = access_programme(staff, code)
    form = ParticipantForm(staff.village, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant = roster.do_add_participant(
                programme, **form.cleaned_data, actor=request.user
            )
        except ValidationError as e:
            form.add_error("phone" if "telepon" in str(e).lower() else None, e)
        except roster.ParticipantError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"{participant.resident.name} sudah ditambahkan.")
            return _go(staff, programme, "participants")
    return render(request, "programmes/participant_add.html", _ctx(staff, programme, form=form))


@staff_view("manage_programmes")
def participant_import(request, staff, code):
    programme = access_programme(staff, code)
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Pilih berkas CSV atau Excel dulu.")
        else:
            result = roster.do_import_participants(
                programme, upload.read(), upload.name, request.user
            )
            if result.ok:
                messages.success(request, f"{len(result.added)} peserta sudah ditambahkan.")
                return _go(staff, programme, "participants")
    return render(
        request, "programmes/participant_import.html", _ctx(staff, programme, result=result)
    )


@staff_view("view_programmes")
def participant_template(request, staff, code):
    access_programme(staff, code)
    response = HttpResponse(roster.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="contoh-peserta.csv"'
    return response


@staff_view("manage_programmes")
@require_POST
def consent_request(request, staff, code):
    """Ask one participant (``peserta``) or everyone not asked yet."""
    programme = access_programme(staff, code)
    wanted = request.POST.get("peserta", "")
    if wanted:
        targets = [access_in_programme(programme, Participant, wanted)]
    else:
        targets = list(
            programme.participants.filter(consent=ConsentState.NOT_ASKED).select_related("resident")
        )
    sent, problems = 0, []
    for participant in targets:
        try:
            consent.do_request_consent(participant, request.user)
            sent += 1
        except consent.ConsentError as e:
            problems.append(str(e))
    if sent:
        messages.success(request, f"Permohonan kesediaan dikirim ke {sent} orang lewat WhatsApp.")
    for problem in problems[:5]:
        messages.error(request, problem)
    if not sent and not problems:
        messages.info(request, "Semua peserta sudah ditanya.")
    return _go(staff, programme, "participants")


@staff_view("view_programmes")
def group(request, staff, code):
    programme = access_programme(staff, code)
    members = programme.participants.filter(consent=ConsentState.GIVEN).select_related("resident")
    form = GroupForm(
        request.POST or None,
        initial={
            "name": programme.group_name or programme.title,
            "formed_on": programme.group_formed_on or programme.village.local_now().date(),
            "invite_link": programme.group_invite_link,
            "opening_info": programme.opening_info,
        },
    )
    if request.method == "POST":
        staff.require("manage_programmes")
        if request.POST.get("part") == "members":
            actions.do_set_group_members(
                programme, request.user, set(request.POST.getlist("member"))
            )
            messages.success(request, "Daftar anggota grup sudah disimpan.")
            return _go(staff, programme, "group")
        if form.is_valid():
            data = form.cleaned_data
            sent = actions.do_record_group(
                programme,
                request.user,
                name=data["name"],
                formed_on=data["formed_on"],
                invite_link=data["invite_link"],
                opening_info=data["opening_info"],
                send=data["send"],
            )
            note = f" Tautan dan informasi awal dikirim ke {sent} peserta." if data["send"] else ""
            messages.success(request, "Data grup sudah disimpan." + note)
            return _go(staff, programme, "group")
    return render(
        request, "programmes/group.html", _ctx(staff, programme, form=form, members=members)
    )


@staff_view("view_programmes")
def announce(request, staff, code):
    programme = access_programme(staff, code)
    if request.method == "POST":
        staff.require("manage_programmes")
        try:
            sent = actions.do_announce(programme, request.user, request.POST.get("text", ""))
        except ValueError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, f"Pengumuman dikirim ke {sent} peserta.")
            return _go(staff, programme)
    return render(request, "programmes/announce.html", _ctx(staff, programme))


# --- activities -----------------------------------------------------------------------------


@staff_view("view_programmes")
def activities(request, staff, code):
    programme = access_programme(staff, code)
    items = programme.activities.annotate(
        coming=Count("attendance", filter=Q(attendance__answer="coming")),
        cannot=Count("attendance", filter=Q(attendance__answer="cannot")),
        present=Count("attendance", filter=Q(attendance__present=True)),
    )
    months: dict[str, list] = {}
    for activity in items:
        key = activity.starts_at.astimezone(staff.village.tz).strftime("%Y-%m")
        months.setdefault(key, []).append(activity)
    return render(
        request,
        "programmes/activities.html",
        _ctx(staff, programme, months=sorted(months.items()), now=timezone.now()),
    )


@staff_view("manage_programmes")
def activity_edit(request, staff, code, activity=None):
    programme = access_programme(staff, code)
    instance = access_in_programme(programme, Activity, activity) if activity else None
    form = ActivityForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        item = form.save(commit=False)
        item.programme = programme
        item.save()
        messages.success(request, f"Kegiatan “{item.title}” sudah disimpan.")
        return _go(staff, programme, "activity", item.code)
    return render(
        request, "programmes/activity_edit.html", _ctx(staff, programme, form=form, item=instance)
    )


@staff_view("view_programmes")
def activity_detail(request, staff, code, activity):
    programme = access_programme(staff, code)
    item = access_in_programme(programme, Activity, activity)
    records = {a.participant_id: a for a in item.attendance.all()}
    rows = [
        (p, records.get(p.pk))
        for p in programme.participants.exclude(consent=ConsentState.NOT_ASKED).select_related(
            "resident"
        )
    ]
    return render(
        request,
        "programmes/activity.html",
        _ctx(staff, programme, item=item, rows=rows, answers=Attendance.Answer),
    )


@staff_view("manage_programmes")
@require_POST
def attendance(request, staff, code, activity):
    programme = access_programme(staff, code)
    item = access_in_programme(programme, Activity, activity)
    present = actions.do_mark_attendance(item, request.user, set(request.POST.getlist("hadir")))
    messages.success(request, f"Kehadiran disimpan: {present} peserta hadir.")
    return _go(staff, programme, "activity", item.code)


# --- calendar feed --------------------------------------------------------------------------


def ics_token(user, programme) -> str:
    return signing.dumps({"u": user.pk, "p": programme.pk}, salt=ICS_SALT, compress=True)


def calendar_feed(request, token):
    """The programme's activities for a calendar app. The token names the staff member; it
    stops working when they leave the village or lose access to programmes."""
    import icalendar

    try:
        data = signing.loads(token, salt=ICS_SALT)
    except signing.BadSignature:
        raise Http404 from None
    programme = get_object_or_404(Programme.objects.select_related("village"), pk=data.get("p"))
    membership = Membership.objects.filter(
        user_id=data.get("u"), village=programme.village, is_active=True
    ).first()
    if membership is None or not membership.can("view_programmes"):
        raise Http404
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Balai//Program desa//ID")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{programme.title} · {programme.village}")
    cal.add("x-wr-timezone", programme.village.timezone)
    for activity in programme.activities.all():
        event = icalendar.Event()
        event.add("uid", f"{activity.code}@balai")
        event.add("summary", activity.title)
        event.add("dtstart", activity.starts_at)
        event.add("dtend", activity.ends_at or activity.starts_at + dt.timedelta(hours=1))
        event.add("dtstamp", timezone.now())
        if activity.place or activity.online_link:
            event.add("location", activity.place or activity.online_link)
        if activity.materials:
            event.add("description", activity.materials)
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="program-{programme.code}.ics"'
    return response
