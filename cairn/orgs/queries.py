"""Reads for the organization pages: the team tree, the people list, the periods.

Each list is built from a fixed number of queries, whatever the size of the organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, QuerySet

from cairn.orgs.models import Member, Organization, Period, Team, TeamClosure, User


@dataclass
class TeamNode:
    team: Team
    depth: int = 0
    children: list[TeamNode] = field(default_factory=list)


def team_tree(organization: Organization) -> list[TeamNode]:
    """The org chart as a forest of TeamNode, built in Python from one query."""
    teams = list(
        Team.objects.in_org(organization)
        .select_related("lead__user")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("name")
    )
    nodes = {team.pk: TeamNode(team) for team in teams}
    roots: list[TeamNode] = []
    for team in teams:
        parent = nodes.get(team.parent_id) if team.parent_id else None
        (parent.children if parent else roots).append(nodes[team.pk])

    def set_depth(items: list[TeamNode], depth: int) -> None:
        for node in items:
            node.depth = depth
            set_depth(node.children, depth + 1)

    set_depth(roots, 0)
    return roots


def flatten(nodes: Iterable[TeamNode]) -> list[TeamNode]:
    out: list[TeamNode] = []
    for node in nodes:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def people(organization: Organization) -> QuerySet[Member]:
    """Every member of the organization with user and teams, in three queries."""
    return (
        Member.objects.in_org(organization)
        .select_related("user")
        .prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))
        .order_by("-is_active", "user__name", "user__email")
    )


def active_members(organization: Organization) -> QuerySet[Member]:
    return (
        Member.objects.in_org(organization)
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def team_members(team: Team) -> QuerySet[Member]:
    return active_members(team.organization).filter(team_memberships__team=team)


def periods(organization: Organization) -> QuerySet[Period]:
    """With who closed each (the whole period, and teams for their own OKRs): two queries."""
    return (
        Period.objects.in_org(organization)
        .select_related("closed_by__user")
        .prefetch_related(
            Prefetch(
                "team_closures",
                queryset=TeamClosure.objects.select_related("team").order_by("team__name"),
            )
        )
        .order_by("-start", "-end")
    )


def user_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()
