"""Outcome dashboards (programme, village, regency), indicators and their targets and
values, exports and API tokens. The DPL reads; facilitators and the office manage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from balai.outcomes import actions, charts, page, tables
from balai.outcomes import board as boards
from balai.outcomes import indicators as ind
from balai.outcomes.forms import IndicatorForm, TargetForm, TokenForm, ValueForm
from balai.outcomes.models import ApiToken, Indicator
from balai.villages.access import access_object, access_programme, staff_view
from balai.villages.models import Village


def _programme(staff, code):
    return access_programme(staff, code) if code else None


def _indicator(staff, code) -> Indicator:
    return access_object(staff, Indicator.objects.select_related("programme"), code=code)


def _board_url(staff, programme) -> str:
    if programme:
        return reverse("outcomes:programme", args=[staff.village.slug, programme.code])
    return reverse("outcomes:village", args=[staff.village.slug])


@staff_view("view_outcomes")
def dashboard(request, staff, code=None):
    programme = _programme(staff, code)
    board = boards.build(staff.village, programme)
    context = {
        "board": board,
        "programme": programme,
        "sections": page.sections(board, charts.board_charts(board)),
        "chart_size": charts.SIZE,
        "can_manage": staff.can("manage_outcomes"),
        "tables": tables.TABLES.values(),
        "headline": page.headline(board),
        "window": boards.window_label(board.sales.window),
        "baseline": boards.window_label(board.sales.baseline),
    }
    if programme is None:
        context["summary"] = boards.programme_summary(staff.village, board.facts.today)
    return render(request, "outcomes/board.html", context)


@staff_view("manage_outcomes")
def indicator_add(request, staff, code=None):
    programme = _programme(staff, code)
    indicator = Indicator(village=staff.village, programme=programme)
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        indicator = actions.do_save_indicator(form.save(commit=False), request.user)
        messages.success(request, f"Indikator “{indicator.name}” sudah ditambahkan.")
        return redirect("outcomes:indicator", staff.village.slug, indicator.code)
    return render(
        request,
        "outcomes/indicator_form.html",
        {"form": form, "programme": programme, "indicator": None, "specs": ind.SPECS},
    )


@staff_view("manage_outcomes")
@require_POST
def add_standard(request, staff, code=None):
    programme = _programme(staff, code)
    made = actions.do_add_standard(staff.village, programme, request.user)
    if made:
        messages.success(request, f"{len(made)} indikator siap pakai sudah ditambahkan.")
    else:
        messages.info(request, "Semua indikator siap pakai sudah ada.")
    return redirect(_board_url(staff, programme))


@staff_view("view_outcomes")
def indicator_detail(request, staff, code):
    indicator = _indicator(staff, code)
    programme = indicator.programme
    board = boards.build(staff.village, programme, with_breakdown=False)
    facts = board.facts
    view = boards.view_indicator(indicator, facts)
    values = list(indicator.values.select_related("entered_by").order_by("-entered_at", "-pk"))
    return render(
        request,
        "outcomes/indicator.html",
        {
            "indicator": indicator,
            "programme": programme,
            "view": view,
            "dimensions": ind.DIMENSIONS,
            "can_manage": staff.can("manage_outcomes"),
            "target_form": TargetForm(),
            "value_form": ValueForm() if indicator.is_manual else None,
            "values": values[:50],
        },
    )


@staff_view("manage_outcomes")
def indicator_edit(request, staff, code):
    indicator = _indicator(staff, code)
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        actions.do_save_indicator(form.save(commit=False), request.user)
        messages.success(request, "Indikator sudah disimpan.")
        return redirect("outcomes:indicator", staff.village.slug, indicator.code)
    return render(
        request,
        "outcomes/indicator_form.html",
        {
            "form": form,
            "programme": indicator.programme,
            "indicator": indicator,
            "specs": ind.SPECS,
        },
    )


@staff_view("manage_outcomes")
@require_POST
def indicator_delete(request, staff, code):
    indicator = _indicator(staff, code)
    programme = indicator.programme
    actions.do_delete_indicator(indicator, request.user)
    messages.success(request, f"Indikator “{indicator.name}” sudah dihapus.")
    return redirect(_board_url(staff, programme))


@staff_view("manage_outcomes")
@require_POST
def target_save(request, staff, code):
    indicator = _indicator(staff, code)
    form = TargetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        actions.do_set_target(indicator, data["period"], data["value"], request.user)
        label = boards.month_label(data["period"])
        if data["value"] is None:
            messages.success(request, f"Target {label} sudah dihapus.")
        else:
            messages.success(request, f"Target {label} sudah disimpan.")
    else:
        messages.error(request, "Target belum tersimpan: " + _errors(form))
    return redirect("outcomes:indicator", staff.village.slug, indicator.code)


@staff_view("manage_outcomes")
@require_POST
def value_save(request, staff, code):
    indicator = _indicator(staff, code)
    if not indicator.is_manual:
        messages.error(request, "Nilai indikator ini dihitung Balai dari data, tidak diisi manual.")
        return redirect("outcomes:indicator", staff.village.slug, indicator.code)
    form = ValueForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        actions.do_enter_value(
            indicator, data["period"], data["value"], request.user,
            data["dimension"], data["group"],
        )  # fmt: skip
        messages.success(request, f"Nilai {boards.month_label(data['period'])} sudah disimpan.")
    else:
        messages.error(request, "Nilai belum tersimpan: " + _errors(form))
    return redirect("outcomes:indicator", staff.village.slug, indicator.code)


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# --- exports ---------------------------------------------------------------------------------


def _filename(staff, programme, ext: str, name: str = "hasil") -> str:
    scope = programme.code.lower() if programme else staff.village.slug
    return f"{name}-{scope}.{ext}"


@staff_view("view_outcomes")
def export_csv(request, staff, table, code=None):
    programme = _programme(staff, code)  # another village's programme: 404 before 405
    if table not in tables.TABLES:
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    board = boards.build(staff.village, programme)
    body = "\ufeff" + tables.to_csv(board, table)  # Excel reads UTF-8 with the mark
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = _filename(staff, programme, "csv", table)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view("view_outcomes")
def export_xlsx(request, staff, code=None):
    programme = _programme(staff, code)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    board = boards.build(staff.village, programme)
    response = HttpResponse(
        tables.to_xlsx(board),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(staff, programme, "xlsx")}"'
    )
    return response


# --- API tokens ------------------------------------------------------------------------------


@staff_view("manage_village")
def tokens(request, staff):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        _token, created = actions.do_create_token(
            staff.village, form.cleaned_data["name"], request.user
        )
        form = TokenForm()
    return render(
        request,
        "outcomes/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": ApiToken.objects.filter(village=staff.village).select_related("created_by"),
            "api_url": request.build_absolute_uri(
                reverse("outcomes_api:index", args=[staff.village.slug])
            ),
        },
    )


@staff_view("manage_village")
@require_POST
def token_revoke(request, staff, code):
    token = access_object(staff, ApiToken, code=code)
    actions.do_revoke_token(token, request.user)
    messages.success(request, f"Token “{token.name}” sudah dicabut.")
    return redirect("outcomes:tokens", staff.village.slug)


# --- regency view (platform operators) -------------------------------------------------------


@require_safe
@login_required
def regency(request):
    if not request.user.is_staff:
        raise Http404
    regencies = sorted(set(Village.objects.values_list("kabupaten", flat=True)))
    chosen = request.GET.get("kabupaten") or (regencies[0] if regencies else "")
    if chosen and chosen not in regencies:
        raise Http404
    villages = list(Village.objects.filter(kabupaten=chosen).order_by("name"))
    lines = boards.regency(villages)
    chart = charts.data_uri(
        charts.render(charts.draw_villages, lines, "svg", "Penjualan per peserta per bulan")
    )
    return render(
        request,
        "outcomes/regency.html",
        {
            "regencies": regencies,
            "chosen": chosen,
            "lines": lines,
            "chart": chart,
            "chart_size": charts.SIZE,
        },
    )
