from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from balai.villages.access import access_membership, staff_view
from balai.villages.actions import do_add_staff, do_audit, do_deactivate_staff
from balai.villages.forms import AreaForm, StaffForm, VillageForm
from balai.villages.models import Area, AuditEvent, Membership, Village
from balai.whatsapp.views import open_alerts


@login_required
def home(request):
    """Straight to the village last worked in; a chooser when there is more than one."""
    villages = list(Village.objects.for_user(request.user))
    last = request.session.get("village")
    for village in villages:
        if village.slug == last:
            return redirect("villages:dashboard", village.slug)
    if len(villages) == 1:
        return redirect("villages:dashboard", villages[0].slug)
    return render(request, "villages/choose.html", {"villages": villages})


@staff_view()
def dashboard(request, staff):
    village = staff.village
    context = {
        "village": village,
        "now": village.local_now(),
        "is_open": village.is_open(),
        "next_opening": village.next_opening(),
        "resident_count": village.residents.count() if staff.can("view_residents") else None,
        "staff_count": village.memberships.filter(is_active=True).count(),
        "channel_alerts": open_alerts(staff, limit=5),
    }
    if staff.can("process_requests"):
        context["work"] = todays_work(staff)
    return render(request, "villages/dashboard.html", context)


def todays_work(staff) -> dict:
    """The office's day at a glance: new and overdue requests, what waits for this person,
    conversations waiting for staff, open complaints."""
    from balai.complaints.models import Complaint
    from balai.conversations.models import Conversation
    from balai.letters import workflow
    from balai.letters.models import LetterRequest, RequestState

    village = staff.village
    today = village.local_now().date()
    open_requests = LetterRequest.objects.filter(village=village).open()
    return {
        "new": open_requests.filter(state=RequestState.SUBMITTED).count(),
        "overdue": open_requests.filter(due_date__lt=today).count(),
        "mine": open_requests.filter(workflow.waiting_for(staff)).count(),
        "waiting": Conversation.objects.filter(village=village, handoff_at__isnull=False).count(),
        "complaints": Complaint.objects.filter(village=village).open().count(),
    }


@staff_view("manage_village")
def settings_view(request, staff):
    form = VillageForm(request.POST or None, instance=staff.village)
    if request.method == "POST" and form.is_valid():
        form.save()
        do_audit(request.user, staff.village, "village.update", fields=sorted(form.changed_data))
        messages.success(request, "Profil desa sudah disimpan.")
        return redirect("villages:settings", staff.village.slug)
    return render(request, "villages/settings.html", {"form": form})


@staff_view("view_staff")
def staff_list(request, staff):
    memberships = (
        Membership.objects.filter(village=staff.village)
        .select_related("user")
        .order_by("-is_active", "role", "user__first_name")
    )
    form = StaffForm(request.POST or None)
    if request.method == "POST":
        staff.require("manage_village")
        if form.is_valid():
            do_add_staff(staff.village, actor=request.user, **form.cleaned_data)
            messages.success(request, f"{form.cleaned_data['full_name']} sudah ditambahkan.")
            return redirect("villages:staff", staff.village.slug)
    return render(
        request,
        "villages/staff.html",
        {"memberships": memberships, "form": form, "can_manage": staff.can("manage_village")},
    )


@staff_view("manage_village")
@require_POST
def staff_deactivate(request, staff, code):
    membership = access_membership(staff, code)
    if membership.user_id == request.user.id:
        messages.error(request, "Anda tidak bisa menonaktifkan akun Anda sendiri.")
    else:
        do_deactivate_staff(membership, request.user)
        messages.success(request, f"Akses {membership.user.get_full_name()} sudah dicabut.")
    return redirect("villages:staff", staff.village.slug)


@staff_view()
def areas(request, staff):
    form = AreaForm(staff.village, request.POST or None)
    if request.method == "POST":
        staff.require("manage_village")
        if form.is_valid():
            form.save()
            messages.success(request, "Wilayah sudah ditambahkan.")
            return redirect("villages:areas", staff.village.slug)
    dusun = (
        Area.objects.filter(village=staff.village, kind="dusun")
        .annotate(resident_count=Count("residents"))
        .prefetch_related("children")
    )
    return render(
        request,
        "villages/areas.html",
        {"dusun": dusun, "form": form, "can_manage": staff.can("manage_village")},
    )


AUDIT_PAGE = 100


@staff_view("manage_village")
def audit_log(request, staff):
    """Who saw or changed what, in this village: filter by staff member, object, action."""
    from django.contrib.auth import get_user_model
    from django.core.paginator import Paginator

    events = AuditEvent.objects.filter(village=staff.village).select_related("actor")
    actor = request.GET.get("petugas", "")
    if actor.isdigit():
        events = events.filter(actor_id=int(actor))
    code = request.GET.get("objek", "").strip()
    if code:
        events = events.filter(object_code=code)
    action = request.GET.get("tindakan", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, AUDIT_PAGE).get_page(request.GET.get("hal"))
    return render(
        request,
        "villages/audit.html",
        {
            "page": page,
            "actors": get_user_model().objects.filter(memberships__village=staff.village),
            "chosen": {"petugas": actor, "objek": code, "tindakan": action},
        },
    )


@staff_view()
def my_notifications(request, staff):
    """A staff member's own WhatsApp notices: the number and whether to use it."""
    from django import forms

    from balai.residents.identity import normalise_phone

    if staff.membership is None:
        raise Http404  # platform operators have no step in a village's chain

    class NotifyForm(forms.ModelForm):
        class Meta:
            model = Membership
            fields = ["whatsapp_phone", "notify_whatsapp"]
            widgets = {"whatsapp_phone": forms.TextInput(attrs={"inputmode": "tel"})}

        def clean_whatsapp_phone(self):
            phone = self.cleaned_data["whatsapp_phone"]
            return normalise_phone(phone) if phone else ""

        def clean(self):
            data = super().clean()
            if data.get("notify_whatsapp") and not data.get("whatsapp_phone"):
                self.add_error("whatsapp_phone", "Isi nomor WhatsApp untuk menerima kabar.")
            return data

    form = NotifyForm(request.POST or None, instance=staff.membership)
    if request.method == "POST" and form.is_valid():
        form.save()
        do_audit(request.user, staff.village, "membership.notifications", staff.membership)
        messages.success(request, "Pengaturan kabar WhatsApp Anda disimpan.")
        return redirect("villages:notifications", staff.village.slug)
    return render(request, "villages/notifications.html", {"form": form})
