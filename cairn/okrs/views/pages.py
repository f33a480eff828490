"""The reading pages: organization home, team page, person page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from cairn.lib import rhythm
from cairn.lib.htmx import is_htmx, render_page
from cairn.okrs import queries
from cairn.okrs.models import Objective
from cairn.okrs.views.common import org_today, selected_period
from cairn.orgs.access import org_view, other_member_for, team_for, team_ids_of
from cairn.orgs.models import Member, Period, Team, TeamClosure

# "All objectives" pages past this are empty anyway; past it an OFFSET overflows.
MAX_PAGE = 100_000


@org_view
def home(request: HttpRequest, member: Member) -> HttpResponse:
    """What matters to the reader in the period, in full: their own objectives, their teams'
    and those of the top of the organization; and every objective a page at a time
    (`queries.home`). The staleness counts and filter cover the sections shown in full."""
    period, periods = selected_period(request, member)
    today = org_today(member)
    shown = queries.parse_staleness(request.GET.get("staleness"))
    context: dict[str, Any] = {
        "member": member,
        "nav": "home",
        "period": period,
        "periods": periods,
        "shown": shown,
    }
    if period is not None:
        my_teams = queries.teams_of(member)
        near_top = queries.near_top_teams(member)
        sections = queries.home_sections(
            member,
            period,
            today,
            my_teams=my_teams,
            top_teams=[team for team in near_top if team.parent_id is None],
        )
        cards = sections.cards
        context |= {
            "sections": _filtered_sections(sections, shown),
            "count": len(cards),
            "staleness_counts": queries.staleness_counts(queries.card_signals(cards)),
            **_all_context(request, member, period, today, my_teams, near_top),
        }
    return render_page(request, "okrs/home.html", context, fragment="okrs")


def _filtered_sections(
    sections: queries.HomeSections, shown: rhythm.Staleness | None
) -> queries.HomeSections:
    if shown is None:
        return sections

    def groups(items: list[queries.TeamGroup]) -> list[queries.TeamGroup]:
        kept = [queries.TeamGroup(g.team, queries.filter_cards(g.cards, shown)) for g in items]
        return [group for group in kept if group.cards]

    return queries.HomeSections(
        yours=queries.filter_cards(sections.yours, shown),
        my_teams=groups(sections.my_teams),
        company=groups(sections.company),
    )


def _all_context(
    request: HttpRequest,
    member: Member,
    period: Period,
    today: dt.date,
    my_teams: list[Team],
    near_top: list[Team],
) -> dict[str, Any]:
    """One page of "All objectives" (`?page=`, from 1), narrowed by `?team=` to a team and
    the teams below it; an unknown team is a 404, like any other lookup."""
    wanted = request.GET.get("team")
    tree = queries.team_tree(team_for(member, wanted)) if wanted else None
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    # Beyond the last page is an empty page; an offset no database accepts is not a 500.
    number = min(number, MAX_PAGE)
    return {
        "all_page": queries.all_objectives(member, period, today, number=number, team=tree),
        "filter_teams": queries.filter_teams(near_top, my_teams),
    }


@org_view
def objectives(request: HttpRequest, member: Member) -> HttpResponse:
    """Every objective of the period, a page at a time: the home's "All objectives" on a page
    of its own (where its links lead without JavaScript), or over htmx its next page
    (`?page=`) or, narrowed to another team, the whole section."""
    period, periods = selected_period(request, member)
    if period is None:
        raise Http404
    today = org_today(member)
    context = {
        "member": member,
        "nav": "home",
        "period": period,
        "periods": periods,
        **_all_context(
            request, member, period, today, queries.teams_of(member), queries.near_top_teams(member)
        ),
    }
    if is_htmx(request):
        fragment = "all_page" if "page" in request.GET else "all"
        response = render(request, f"okrs/_all_objectives.html#{fragment}", context)
    else:
        response = render(request, "okrs/objectives.html", context)
    # One URL, a fragment or a page: history restores must not get the fragment.
    patch_vary_headers(response, ("HX-Request",))
    return response


@org_view
def team(request: HttpRequest, member: Member, team: uuid.UUID) -> HttpResponse:
    """The team's own objectives in full, a line per direct sub-team with the numbers of its
    own objectives (`queries.sub_teams`, linking to its page), and the key results its people
    own elsewhere. The staleness counts and filter cover those three."""
    the_team = team_for(member, team)
    period, periods = selected_period(request, member)
    today = org_today(member)
    tree = queries.team_tree(the_team)
    own = (
        queries.objective_cards(member, queries.own_objectives(the_team, period), today)
        if period
        else []
    )
    sub_teams = queries.sub_teams(member, tree, period, today) if period else []
    people = queries.team_people_signals(member, tree, period, today)
    shown = queries.parse_staleness(request.GET.get("staleness"))
    below: dict[int, rhythm.Staleness] = {}
    for sub_team in sub_teams:
        sub_team.shown = shown
        below |= sub_team.states
    context = {
        "member": member,
        "nav": "teams",
        "team": the_team,
        "period": period,
        "periods": periods,
        "cards": queries.filter_cards(own, shown),
        "sub_teams": sub_teams,
        "people_signals": [s for s in people if shown is None or s.staleness == shown],
        "staleness_counts": queries.staleness_counts(
            [*queries.card_signals(own), *people], more=below
        ),
        "shown": shown,
        "initiatives": queries.team_initiatives(member, the_team, period),
        "members": queries.team_members(the_team),
        "is_mine": the_team.pk in team_ids_of(member),
        "team_closed": period is not None
        and TeamClosure.objects.filter(period=period, team=the_team).exists(),
    }
    return render_page(request, "okrs/team.html", context, fragment="okrs")


@org_view
def person(request: HttpRequest, member: Member, person: uuid.UUID) -> HttpResponse:
    someone = other_member_for(member, person)
    period, periods = selected_period(request, member)
    today = org_today(member)
    objectives = Objective.objects.visible_to(member).filter(owner_person=someone, period=period)
    key_results = [
        queries.KeyResultRow(
            key_result=kr,
            progress=queries.ProgressView.of(kr.progress, kr.objective.period, today),
            can_edit=False,
            signals=queries.Signals.of(kr, member.organization, today),
        )
        for kr in queries.person_key_results(member, someone, period)
    ]
    context = {
        "member": member,
        "nav": "people",
        "person": someone,
        "period": period,
        "periods": periods,
        "cards": queries.objective_cards(member, objectives, today) if period else [],
        "key_results": key_results,
        "initiatives": queries.person_initiatives(member, someone, period),
        "teams": list(
            Team.objects.in_org(member.organization)
            .filter(memberships__member=someone)
            .order_by("name")
        ),
        "is_me": someone.pk == member.pk,
    }
    return render_page(request, "okrs/person.html", context, fragment="okrs")
