"""The follow-up page of a programme: its settings (how many months, which day, the
custom question) and the monthly check-ins of every participant with their states."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from balai.programmes import followup
from balai.programmes.forms import FollowUpForm
from balai.programmes.models import CheckIn, Programme
from balai.villages.access import access_programme, staff_view
from balai.villages.actions import do_audit


@staff_view("view_programmes")
def followup_page(request, staff, code):
    programme = access_programme(staff, code)
    can_manage = staff.can("manage_programmes")
    form = FollowUpForm(request.POST or None, instance=programme)
    if request.method == "POST":
        staff.require("manage_programmes")
        if form.is_valid():
            programme = form.save()
            do_audit(request.user, programme.village, "programme.followup", programme)
            messages.success(request, "Pengaturan pendampingan lanjutan sudah disimpan.")
            return redirect(
                reverse("programmes:followup", args=[staff.village.slug, programme.code])
            )
        programme = Programme.objects.get(pk=programme.pk)  # the saved values, not the typed
    months, rows = followup.grid(programme)
    schedule = [(m, followup.ask_at(programme, m)) for m in months]
    checkins = CheckIn.objects.filter(programme=programme)
    counts = {state: 0 for state in CheckIn.State.values}
    for state in checkins.values_list("state", flat=True):
        counts[state] += 1
    return render(
        request,
        "programmes/followup.html",
        {
            "programme": programme,
            "can_manage": can_manage,
            "form": form,
            "months": months,
            "schedule": schedule,
            # Each cell with its month: on a phone the table's head is hidden.
            "rows": [(p, list(zip(months, cells, strict=True))) for p, cells in rows],
            "counts": [(CheckIn.State(s).label, n) for s, n in counts.items()],
            "question": programme.followup_question,
            "min_months": followup.MIN_MONTHS,
            "max_months": followup.MAX_MONTHS,
        },
    )
