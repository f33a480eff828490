"""API v1: who am I, periods, teams, members.

Every lookup goes through the gate (`cairn.orgs.access`): ids are strings here, not UUIDs,
so that a malformed id is the same 404 as an unknown or foreign one (not a 422 that would
tell the two apart)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cairn.api.auth import member_of
from cairn.api.common import Page, PageParams, PersonRef, Ref, paginate
from cairn.orgs import queries
from cairn.orgs.access import other_member_for, period_for, team_for
from cairn.orgs.models import Member, Period, Team, TeamClosure

router = Router(tags=["organization"])

PeriodKindName = Literal["quarter", "year", "custom"]
PeriodStateName = Literal["planning", "active", "closed"]
RoleName = Literal["admin", "member", "viewer"]

EXAMPLE_PERIOD_ID = "3f0c6a2e-8d1b-4d8e-9a51-2c7f4b1e9d10"
EXAMPLE_TEAM_ID = "9b2d7e4a-1c3f-4a6b-8e5d-7f0a2b4c6d81"
EXAMPLE_PARENT_ID = "0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b"
EXAMPLE_MEMBER_ID = "5c8e1f2a-3b4d-4e6f-8a0b-9c1d2e3f4a5b"


# Me ------------------------------------------------------------------------------------------


class MeOut(Schema):
    id: str
    name: str
    email: str
    role: RoleName
    organization: str = Field(description="The organization's slug.")
    organization_name: str
    token_read_only: bool | None = Field(
        None, description="Whether the calling token is read-only; null for a browser session."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": EXAMPLE_MEMBER_ID,
                    "name": "Mia Chen",
                    "email": "mia@acme.example",
                    "role": "member",
                    "organization": "acme",
                    "organization_name": "Acme",
                    "token_read_only": False,
                }
            ]
        }
    }


@router.get("/me", response=MeOut, summary="The calling member")
def me(request: HttpRequest) -> dict[str, Any]:
    member = member_of(request)
    token = getattr(request, "api_token", None)
    return {
        "id": str(member.uid),
        "name": member.name,
        "email": member.user.email,
        "role": member.role,
        "organization": member.organization.slug,
        "organization_name": member.organization.name,
        "token_read_only": token.read_only if token is not None else None,
    }


# Periods -------------------------------------------------------------------------------------


class TeamClosureOut(Schema):
    team: Ref
    closed_at: dt.datetime
    closed_by: PersonRef | None = None


class PeriodOut(Schema):
    id: str
    name: str
    kind: PeriodKindName
    start: dt.date
    end: dt.date = Field(description="The last day of the period (inclusive).")
    state: PeriodStateName
    closed_at: dt.datetime | None = Field(
        None, description="When the whole period was closed (its OKRs are then read-only)."
    )
    closed_by: PersonRef | None = None
    team_closures: list[TeamClosureOut] = Field(
        default_factory=list,
        description="Teams that closed the period for their own OKRs (see the checklist).",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": EXAMPLE_PERIOD_ID,
                    "name": "2026 Q4",
                    "kind": "quarter",
                    "start": "2026-10-01",
                    "end": "2026-12-31",
                    "state": "active",
                    "closed_at": None,
                    "closed_by": None,
                    "team_closures": [
                        {
                            "team": {"id": EXAMPLE_TEAM_ID, "name": "Product"},
                            "closed_at": "2027-01-04T10:00:00Z",
                            "closed_by": {
                                "id": EXAMPLE_MEMBER_ID,
                                "name": "Mia Chen",
                                "email": "mia@acme.example",
                            },
                        }
                    ],
                }
            ]
        }
    }


class PeriodFilters(Schema):
    state: PeriodStateName | None = Field(None, description="Only periods in this state.")
    kind: PeriodKindName | None = Field(None, description="Only periods of this kind.")


def _periods(queryset: QuerySet[Period]) -> QuerySet[Period]:
    """Periods with who closed them (the whole period and teams), in two queries for any
    number."""
    return queryset.select_related("closed_by__user").prefetch_related(
        Prefetch(
            "team_closures",
            queryset=TeamClosure.objects.select_related("team", "closed_by__user").order_by(
                "team__name", "id"
            ),
        )
    )


def _period(period: Period) -> dict[str, Any]:
    """A period loaded through `_periods`."""
    return {
        "id": str(period.uid),
        "name": period.name,
        "kind": period.kind,
        "start": period.start,
        "end": period.end,
        "state": period.state,
        "closed_at": period.closed_at,
        "closed_by": _person(period.closed_by),
        "team_closures": [
            {
                "team": {"id": str(closure.team.uid), "name": closure.team.name},
                "closed_at": closure.closed_at,
                "closed_by": _person(closure.closed_by),
            }
            for closure in period.team_closures.all()
        ],
    }


@router.get(
    "/periods",
    response=Page[PeriodOut],
    summary="Periods",
    description="The organization's periods (quarters, years, custom ranges), oldest first.",
)
def list_periods(
    request: HttpRequest, filters: Query[PeriodFilters], page: Query[PageParams]
) -> dict[str, Any]:
    member = member_of(request)
    periods = _periods(Period.objects.in_org(member.organization)).order_by("start", "end", "id")
    if filters.state:
        periods = periods.filter(state=filters.state)
    if filters.kind:
        periods = periods.filter(kind=filters.kind)
    result = paginate(periods, page)
    result["items"] = [_period(period) for period in result["items"]]
    return result


@router.get("/periods/{period_id}", response=PeriodOut, summary="One period")
def get_period(request: HttpRequest, period_id: str) -> dict[str, Any]:
    period = period_for(member_of(request), period_id)
    return _period(_periods(Period.objects.filter(pk=period.pk)).get())


# Teams ---------------------------------------------------------------------------------------


class TeamOut(Schema):
    id: str
    name: str
    description: str
    parent: Ref | None = Field(None, description="The team above it in the org chart.")
    lead: PersonRef | None = None
    members: list[str] = Field(
        description="Ids of the team's active members, in the order they joined (see /members)."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": EXAMPLE_TEAM_ID,
                    "name": "Product",
                    "description": "Product management and design.",
                    "parent": {"id": EXAMPLE_PARENT_ID, "name": "Engineering"},
                    "lead": {
                        "id": EXAMPLE_MEMBER_ID,
                        "name": "Mia Chen",
                        "email": "mia@acme.example",
                    },
                    "members": [EXAMPLE_MEMBER_ID],
                }
            ]
        }
    }


def _person(member: Member | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": str(member.uid), "name": member.name, "email": member.user.email}


def _teams(queryset: QuerySet[Team]) -> QuerySet[Team]:
    """Teams with everything their representation needs, in two queries for any number."""
    return queryset.select_related("parent", "lead__user").prefetch_related(
        Prefetch(
            "members",
            queryset=Member.objects.filter(is_active=True).only("uid").order_by("created_at", "id"),
            to_attr="active_members",
        )
    )


def _team(team: Team) -> dict[str, Any]:
    """A team loaded through `_teams`."""
    members: list[Member] = team.active_members  # type: ignore[attr-defined]
    return {
        "id": str(team.uid),
        "name": team.name,
        "description": team.description,
        "parent": {"id": str(team.parent.uid), "name": team.parent.name} if team.parent else None,
        "lead": _person(team.lead),
        "members": [str(person.uid) for person in members],
    }


@router.get(
    "/teams",
    response=Page[TeamOut],
    summary="Teams",
    description="The org chart's teams by name; `parent` links a team to the one above it.",
)
def list_teams(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    member = member_of(request)
    teams = _teams(Team.objects.in_org(member.organization).order_by("name", "id"))
    result = paginate(teams, page)
    result["items"] = [_team(team) for team in result["items"]]
    return result


@router.get("/teams/{team_id}", response=TeamOut, summary="One team")
def get_team(request: HttpRequest, team_id: str) -> dict[str, Any]:
    team = team_for(member_of(request), team_id)
    return _team(_teams(Team.objects.filter(pk=team.pk)).get())


# Members -------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: str
    name: str
    email: str
    role: RoleName
    title: str = Field(description="Job title.")
    active: bool = Field(description="Inactive people keep their history but cannot sign in.")
    teams: list[Ref]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": EXAMPLE_MEMBER_ID,
                    "name": "Mia Chen",
                    "email": "mia@acme.example",
                    "role": "member",
                    "title": "Product manager",
                    "active": True,
                    "teams": [{"id": EXAMPLE_TEAM_ID, "name": "Product"}],
                }
            ]
        }
    }


class MemberFilters(Schema):
    role: RoleName | None = Field(None, description="Only people with this role.")
    active: bool | None = Field(None, description="Only active (true) or inactive (false) people.")
    team: str | None = Field(None, description="Only members of this team (its id).")


def _member(person: Member) -> dict[str, Any]:
    return {
        "id": str(person.uid),
        "name": person.name,
        "email": person.user.email,
        "role": person.role,
        "title": person.title,
        "active": person.is_active,
        "teams": [{"id": str(team.uid), "name": team.name} for team in person.teams.all()],
    }


@router.get(
    "/members",
    response=Page[MemberOut],
    summary="Members",
    description="Everyone in the organization, active people first, then by name.",
)
def list_members(
    request: HttpRequest, filters: Query[MemberFilters], page: Query[PageParams]
) -> dict[str, Any]:
    member = member_of(request)
    # Ordered by name, then e-mail (unique): a stable order for paging.
    people = queries.people(member.organization).order_by(
        "-is_active", "user__name", "user__email", "id"
    )
    if filters.role:
        people = people.filter(role=filters.role)
    if filters.active is not None:
        people = people.filter(is_active=filters.active)
    if filters.team:
        people = people.filter(team_memberships__team=team_for(member, filters.team))
    result = paginate(people, page)
    result["items"] = [_member(person) for person in result["items"]]
    return result


@router.get("/members/{member_id}", response=MemberOut, summary="One member")
def get_member(request: HttpRequest, member_id: str) -> dict[str, Any]:
    other = other_member_for(member_of(request), member_id)
    return _member(queries.people(other.organization).get(pk=other.pk))
