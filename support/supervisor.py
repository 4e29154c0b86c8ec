"""Supervisor pages: the SLA dashboard (with CSV export and a live at-risk list) and the escalation queue."""
import csv
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from helpcenter import selectors as help_selectors
from support import charts, dashboard
from support.models import SLAClock, Team
from support.models.accounts import SUPPORT_LANGUAGES
from support.services.escalation import sla_case_infos

PERIODS = [("7", gettext_lazy("Last 7 days")), ("30", gettext_lazy("Last 30 days")), ("90", gettext_lazy("Last 90 days")), ("365", gettext_lazy("Last 12 months")), ("custom", gettext_lazy("Dates below"))]


def can_view_dashboard(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff and user.has_perm("support.view_sla_dashboard")


class FilterForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[("", "—"), *SLAClock.Channel.choices], required=False)
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.all(), required=False, empty_label="—")
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=[("", "—"), *SUPPORT_LANGUAGES], required=False)

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            if not data.get("start") or not data.get("end"):
                raise forms.ValidationError(_("Give both dates for a custom period."))
            if data["end"] < data["start"]:
                raise forms.ValidationError(_("The end date is before the start date."))
        return data

    def filters(self) -> dashboard.Filters:
        data = self.cleaned_data if self.is_valid() else {}
        common = {"channel": data.get("channel") or "", "language": data.get("language") or "", "team": data.get("team")}
        if data.get("period") == "custom":
            tz = timezone.get_current_timezone()
            start = dt.datetime.combine(data["start"], dt.time(0), tzinfo=tz)
            end = dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
            return dashboard.Filters(start=start, end=end, **common)
        return dashboard.Filters.last_days(int(data.get("period") or 30), **common)


def _require(request):
    if not can_view_dashboard(request.user):
        raise PermissionDenied(_("The SLA dashboard is for supervisors."))


def _clock_rows(clocks) -> list[dict]:
    infos = sla_case_infos(clocks)
    now = timezone.now()
    return [
        {
            "clock": clock,
            "label": infos[clock.id].label,
            "url": infos[clock.id].url,
            "channel": clock.get_channel_display(),
            "metric": clock.get_metric_display(),
            "due_at": clock.due_at,
            "left": max(clock.due_at - now, dt.timedelta(0)),
            "assignee": str(clock.assignee) if clock.assignee_id else "",
        }
        for clock in clocks
    ]


def _minutes(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def _help_figures(filters: dashboard.Filters) -> dict:
    return help_selectors.deflection_figures(filters.start, filters.end, language=filters.language, channel=filters.channel)


@login_required
@require_GET
def dashboard_view(request):
    _require(request)
    form = FilterForm(request.GET or None)
    filters = form.filters()
    data = dashboard.figures(filters)
    legend = [label for label, _limit in dashboard.AGE_BUCKETS]
    context = {
        "form": form,
        "filters": filters,
        **data,
        "chart_compliance": charts.compliance([(r["label"], r["compliance"]) for r in data["compliance"]], title=_("SLA compliance per channel")),
        "chart_p50": charts.bars(
            [(r["label"], _minutes(r["p50"])) for r in data["percentiles"]], title=_("Median time to respond (minutes)"), unit=" min"
        ),
        "chart_p90": charts.bars(
            [(r["label"], _minutes(r["p90"])) for r in data["percentiles"]], title=_("90th percentile (minutes)"), unit=" min", color="#6a1b9a"
        ),
        "chart_backlog": charts.stacked([(r["label"], r["counts"]) for r in data["backlog"]], legend=legend, title=_("Open cases by age")),
        "chart_category": charts.bars([(r["key"], r["n"]) for r in data["by_category"]], title=_("Cases by category"), color="#00796b"),
        "chart_language": charts.bars([(r["key"], r["n"]) for r in data["by_language"]], title=_("Cases by language"), color="#5d4037"),
        "at_risk": _clock_rows(dashboard.at_risk(filters)),
        "help": _help_figures(filters),
        "legend": legend,
        "query": request.GET.urlencode(),
    }
    return render(request, "support/dashboard.html", context)


@login_required
@require_GET
def at_risk_json(request):
    """The live list: refreshed by the dashboard page every 15 s (the scan's own interval)."""
    _require(request)
    rows = _clock_rows(dashboard.at_risk(FilterForm(request.GET or None).filters()))
    return JsonResponse(
        {
            "now": timezone.now().isoformat(),
            "cases": [
                {"label": r["label"], "url": r["url"], "channel": r["channel"], "metric": r["metric"], "due_at": r["due_at"].isoformat(),
                 "seconds_left": int(r["left"].total_seconds()), "assignee": r["assignee"]}
                for r in rows
            ],
        }
    )


@login_required
@require_GET
def dashboard_csv(request):
    _require(request)
    filters = FilterForm(request.GET or None).filters()
    data = dashboard.figures(filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sla-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "channel", "key", "measure", "value"])
    for r in data["compliance"]:
        for measure in ("met", "breached", "open", "compliance"):
            writer.writerow(["compliance", r["channel"], "", measure, "" if r[measure] is None else r[measure]])
    for r in data["percentiles"]:
        writer.writerow(["response_time", r["channel"], r["metric"], "count", r["count"]])
        writer.writerow(["response_time", r["channel"], r["metric"], "p50_seconds", round(r["p50"].total_seconds())])
        writer.writerow(["response_time", r["channel"], r["metric"], "p90_seconds", round(r["p90"].total_seconds())])
    for r in data["backlog"]:
        for (label, _limit), count in zip(dashboard.AGE_BUCKETS, r["counts"]):
            writer.writerow(["backlog", r["channel"], label, "open", count])
    for section in ("by_category", "by_language"):
        for r in data[section]:
            writer.writerow(["volume", "", r["key"], section, r["n"]])
    for r in data["secrets"]:
        writer.writerow(["secrets_removed", "", r["kind"], "count", r["n"]])
    help_figures = _help_figures(filters)
    for measure in ("solved", "submitted", "open", "deflection_pct", "searches", "no_result", "no_result_pct"):
        writer.writerow(["help_centre", "", "", measure, "" if help_figures[measure] is None else help_figures[measure]])
    for r in help_figures["top_no_result"]:
        writer.writerow(["help_no_result", "", r["query"], "count", r["n"]])
    for r in data["csat"]:
        writer.writerow(["csat", r["channel"], "", "ratings", r["count"]])
        writer.writerow(["csat", r["channel"], "", "average", r["average"]])
        writer.writerow(["csat", r["channel"], "", "satisfied_pct", r["satisfied_pct"]])
    return response


@login_required
@require_GET
def escalations_view(request):
    _require(request)
    form = FilterForm(request.GET or None)
    rows = _clock_rows(dashboard.escalated(form.filters()))
    return render(request, "support/escalations.html", {"rows": rows, "form": form})


app_name = "supervisor"
urlpatterns = [
    path("", dashboard_view, name="dashboard"),
    path("at-risk.json", at_risk_json, name="at_risk"),
    path("dashboard.csv", dashboard_csv, name="csv"),
    path("escalations/", escalations_view, name="escalations"),
]
