"""Seeing alignment: the organization's alignment map, a team's own view, the health report."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse

from cairn.alignment.queries import health as health_queries
from cairn.alignment.queries import map as map_queries
from cairn.lib.htmx import render_page
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
def alignment_health(request: HttpRequest, member: Member) -> HttpResponse:
    period, periods = selected_period(request, member)
    context = {
        "member": member,
        "nav": "alignment",
        "period": period,
        "periods": periods,
        "report": health_queries.alignment_health(member, period) if period else None,
    }
    return render_page(request, "alignment/health.html", context, fragment="health")


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
