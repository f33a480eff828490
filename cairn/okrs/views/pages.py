"""The reading pages: organization home, team page, person page."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse

from cairn.lib.htmx import render_page
from cairn.okrs import queries
from cairn.okrs.models import Objective
from cairn.okrs.views.common import org_today, selected_period
from cairn.orgs.access import org_view, other_member_for, team_for, team_ids_of
from cairn.orgs.models import Member, Team, TeamClosure


@org_view
def home(request: HttpRequest, member: Member) -> HttpResponse:
    """The period's OKRs along the team tree."""
    period, periods = selected_period(request, member)
    today = org_today(member)
    cards = (
        queries.objective_cards(
            member, Objective.objects.visible_to(member).filter(period=period), today
        )
        if period
        else []
    )
    shown = queries.parse_staleness(request.GET.get("staleness"))
    context = {
        "member": member,
        "nav": "home",
        "period": period,
        "periods": periods,
        "groups": queries.group_by_team_tree(
            member.organization, queries.filter_cards(cards, shown)
        ),
        "count": len(cards),
        "staleness_counts": queries.staleness_counts(queries.card_signals(cards)),
        "shown": shown,
    }
    return render_page(request, "okrs/home.html", context, fragment="okrs")


@org_view
def team(request: HttpRequest, member: Member, team: uuid.UUID) -> HttpResponse:
    """The team's key results as `queries.team_key_results_q` defines them (the same set the
    blockers board, insights and the lead's digest use): its own objectives, its sub-teams'
    objectives under their own heading, and its people's other key results; the staleness
    counts and filter cover all three."""
    the_team = team_for(member, team)
    period, periods = selected_period(request, member)
    today = org_today(member)
    tree = queries.team_tree(the_team)
    cards = queries.objective_cards(member, queries.team_objectives(member, tree, period), today)
    own: list[queries.ObjectiveCard] = []
    below: list[queries.ObjectiveCard] = []
    for card in cards:
        (own if any(t.pk == the_team.pk for t in card.owner_teams) else below).append(card)
    people = queries.team_people_signals(member, tree, period, today)
    shown = queries.parse_staleness(request.GET.get("staleness"))
    context = {
        "member": member,
        "nav": "teams",
        "team": the_team,
        "period": period,
        "periods": periods,
        "cards": queries.filter_cards(own, shown),
        "sub_team_cards": queries.filter_cards(below, shown),
        "people_signals": [s for s in people if shown is None or s.staleness == shown],
        "staleness_counts": queries.staleness_counts([*queries.card_signals(cards), *people]),
        "shown": shown,
        "initiatives": queries.team_initiatives(member, the_team, period),
        "members": queries.team_members(the_team),
        "children": tree.children,
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
