"""Seeing alignment: the organization's alignment map, a team's own view, the health report.

The map draws the top of the team tree; a team opened on it, and the personal objectives,
load as fragments (`alignment_map_team`, `alignment_map_people`) through the same gate and
the same queries as the page, scoped to that team.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from cairn.alignment.queries import health as health_queries
from cairn.alignment.queries import map as map_queries
from cairn.lib.htmx import is_htmx, render_page
from cairn.okrs.views.common import selected_period
from cairn.orgs.access import org_view, team_for
from cairn.orgs.models import Member


@org_view
def alignment_map(request: HttpRequest, member: Member) -> HttpResponse:
    """The period's objectives along the team tree with their links; `?team=` shows one team
    and the teams below it."""
    period, periods = selected_period(request, member)
    wanted = request.GET.get("team")
    team = team_for(member, wanted) if wanted else None
    context = {
        "member": member,
        "nav": "alignment",
        "period": period,
        "periods": periods,
        "team": team,
        "map": map_queries.alignment_map(member, period, team) if period else None,
    }
    return render_page(request, "alignment/map.html", context, fragment="map")


@org_view
def alignment_map_team(request: HttpRequest, member: Member, team: uuid.UUID) -> HttpResponse:
    """A team opened on the map: its objectives, requests and the teams below it. Without
    htmx, the map of that team is the same thing as a page."""
    the_team = team_for(member, team)
    period, _periods = selected_period(request, member)
    if period is None or not is_htmx(request):
        url = reverse("alignment:map", args=[member.organization.slug])
        query = f"?period={period.uid}&team={the_team.uid}" if period else f"?team={the_team.uid}"
        response = redirect(url + query)
        # The same URL answers htmx with the fragment: caches must tell the two apart.
        patch_vary_headers(response, ("HX-Request",))
        return response
    context = {
        "member": member,
        "period": period,
        "team": the_team,
        "map": map_queries.team_part(member, period, the_team),
    }
    return render_page(request, "alignment/map_team.html", context, fragment="part")


@org_view
def alignment_map_people(request: HttpRequest, member: Member) -> HttpResponse:
    """A page of the map's personal objectives (`?team=`: of that team's people and the
    teams below it); the whole page without htmx."""
    period, periods = selected_period(request, member)
    wanted = request.GET.get("team")
    team = team_for(member, wanted) if wanted else None
    page = _page(request)
    context = {
        "member": member,
        "nav": "alignment",
        "period": period,
        "periods": periods,
        "team": team,
        "map": map_queries.people_part(member, period, team, page) if period else None,
    }
    return render_page(request, "alignment/map_people.html", context, fragment="part")


@org_view
def alignment_health(request: HttpRequest, member: Member) -> HttpResponse:
    """The period's findings with the first rows of each; the rest load on demand."""
    period, periods = selected_period(request, member)
    report = None
    if period:
        report = health_queries.alignment_health(member, period, rows=health_queries.HEALTH_ROWS)
    context = {
        "member": member,
        "nav": "alignment",
        "period": period,
        "periods": periods,
        "report": report,
    }
    return render_page(request, "alignment/health.html", context, fragment="health")


@org_view
def alignment_health_finding(request: HttpRequest, member: Member, finding: str) -> HttpResponse:
    """More rows of one finding (`?page=`, from 2): rows to append for htmx, else a page."""
    if finding not in health_queries.FINDINGS:
        raise Http404
    period, periods = selected_period(request, member)
    page = None
    if period:
        page = health_queries.finding_page(member, period, finding, _page(request))
    context = {
        "member": member,
        "nav": "alignment",
        "period": period,
        "periods": periods,
        "finding": finding,
        "page": page,
    }
    return render_page(request, "alignment/health_finding.html", context, fragment="rows")


def _page(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


@org_view
def team_alignment(request: HttpRequest, member: Member, team: uuid.UUID) -> HttpResponse:
    the_team = team_for(member, team)
    period, periods = selected_period(request, member)
    context = {
        "member": member,
        "nav": "teams",
        "team": the_team,
        "period": period,
        "periods": periods,
        "view": map_queries.team_alignment(member, period, the_team) if period else None,
    }
    return render_page(request, "alignment/team_alignment.html", context, fragment="alignment")
