"""The period report, its exports (CSV, XLSX, JSON) and the calibration page.

Read-only pages for everyone in the organization (viewers included): what they show, and
what the exports hold, is what the gate lets the reader see.
"""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from cairn.lib.htmx import render_page
from cairn.okrs.queries import periods_of
from cairn.orgs.access import org_view, other_member_for, period_for, team_for, team_ids_of
from cairn.orgs.models import Member, Team
from cairn.reporting import exports
from cairn.reporting.queries.calibration import MIN_FORECASTS_PER_KEY_RESULT, calibration_report
from cairn.reporting.queries.report import period_report as build_report


def _team(request: HttpRequest, member: Member) -> Team | None:
    wanted = request.GET.get("team")
    return team_for(member, wanted) if wanted else None


def _teams(member: Member, selected: Team | None) -> list[Team]:
    """The team filter's choices: the top two levels of the team tree, the viewer's own teams
    and the one shown. Not every team: an organization of 2,000 teams would put a 2,000-line
    list on every report (any team's report is one `?team=` away, from its team page)."""
    top = Q(parent__isnull=True) | Q(parent__parent__isnull=True)
    own = Q(pk__in=team_ids_of(member))
    chosen = Q(pk=selected.pk) if selected is not None else Q(pk__in=[])
    return list(
        Team.objects.in_org(member.organization).filter(top | own | chosen).order_by("name")
    )


@org_view
def period_report(request: HttpRequest, member: Member, period: uuid.UUID) -> HttpResponse:
    """The report of one period, for the organization or (`?team=`) one team."""
    the_period = period_for(member, period)
    team = _team(request, member)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    report = build_report(member, the_period, team, page=page)
    context = {
        "member": member,
        "nav": "periods",
        "period": the_period,
        "team": team,
        "teams": _teams(member, team),
        "report": report,
        "calibration": report.calibration,
        "team_query": f"?team={team.uid}" if team else "",
        "min_forecasts": MIN_FORECASTS_PER_KEY_RESULT,
    }
    return render_page(request, "reporting/report.html", context, fragment="report")


@org_view
def period_report_export(
    request: HttpRequest, member: Member, period: uuid.UUID, fmt: str
) -> HttpResponse:
    """The report as a file: the same data as the page, through the same gate."""
    the_period = period_for(member, period)
    report = build_report(member, the_period, _team(request, member))
    result = exports.export(report, fmt)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=result.filename) or ""
    )
    return response


@org_view
def calibration(request: HttpRequest, member: Member) -> HttpResponse:
    """How well confidence forecast the outcome: `?period=` (all closed periods when not
    given), `?team=`, `?person=`."""
    wanted = request.GET.get("period")
    period = period_for(member, wanted) if wanted else None
    team = _team(request, member)
    wanted_person = request.GET.get("person")
    person = other_member_for(member, wanted_person) if wanted_person else None
    context = {
        "member": member,
        "nav": "periods",
        "period": period,
        "periods": periods_of(member),
        "team": team,
        "teams": _teams(member, team),
        "person": person,
        "people": list(
            Member.objects.in_org(member.organization)
            .filter(is_active=True)
            .select_related("user")
            .order_by("user__name", "user__email")
        ),
        "calibration": calibration_report(member, period=period, team=team, person=person),
        "min_forecasts": MIN_FORECASTS_PER_KEY_RESULT,
    }
    return render_page(request, "reporting/calibration.html", context, fragment="calibration")
