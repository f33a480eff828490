"""Shared fixtures: the four people every view and endpoint is tested with (STYLE.md, 7).

- `admin`: an admin of Acme
- `member`: a member of Acme, in the Product team
- `viewer`: a read-only viewer of Acme
- `outsider`: an admin of another organization, Globex, who must never see anything of Acme
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Organization, Period, PeriodState, Role, Team

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    """Tests render pages without a `collectstatic` run, so no manifest to look names up in;
    and a fast hasher, because password hashing is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@dataclass
class World:
    org: Organization
    other_org: Organization
    admin: Member
    member: Member
    viewer: Member
    outsider: Member
    team: Team
    other_team: Team
    period: Period
    other_period: Period


@pytest.fixture
def world(db: None) -> World:
    org, admin = org_services.create_organization(
        name="Acme",
        slug="acme",
        admin_email="ada@acme.test",
        admin_name="Ada Admin",
        password=PASSWORD,
    )
    other_org, outsider = org_services.create_organization(
        name="Globex",
        slug="globex",
        admin_email="otto@globex.test",
        admin_name="Otto Outsider",
        password=PASSWORD,
    )
    team = org_services.create_team(organization=org, actor=admin, name="Product")
    other_team = org_services.create_team(organization=org, actor=admin, name="Platform")
    member = org_services.add_member(
        organization=org,
        email="mia@acme.test",
        role=Role.MEMBER,
        name="Mia Member",
        password=PASSWORD,
        actor=admin,
        team=team,
    )
    viewer = org_services.add_member(
        organization=org,
        email="vic@acme.test",
        role=Role.VIEWER,
        name="Vic Viewer",
        password=PASSWORD,
        actor=admin,
    )
    period = org_services.create_period(
        organization=org,
        actor=admin,
        name="2026 Q4",
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 12, 31),
        state=PeriodState.ACTIVE,
    )
    other_period = org_services.create_period(
        organization=other_org,
        actor=outsider,
        name="2026 Q4",
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 12, 31),
        state=PeriodState.ACTIVE,
    )
    return World(
        org, other_org, admin, member, viewer, outsider, team, other_team, period, other_period
    )


def login(client: Client, member: Member) -> Client:
    client.force_login(member.user)
    return client


@pytest.fixture
def admin_client(world: World) -> Client:
    return login(Client(), world.admin)


@pytest.fixture
def member_client(world: World) -> Client:
    return login(Client(), world.member)


@pytest.fixture
def viewer_client(world: World) -> Client:
    return login(Client(), world.viewer)


@pytest.fixture
def outsider_client(world: World) -> Client:
    return login(Client(), world.outsider)


@pytest.fixture
def objective(world: World) -> Objective:
    """A public objective owned by the member's team, with one metric key result."""
    objective = okr_services.create_objective(
        actor=world.member,
        period=world.period,
        title="Launch the Acme product successfully",
        owner_teams=[world.team],
    )
    okr_services.create_key_result(
        actor=world.member,
        objective=objective,
        title="Reach 500,000 daily active users",
        start_value=0,
        target_value=500_000,
        unit="DAU",
    )
    return objective


@pytest.fixture
def key_result(objective: Objective) -> KeyResult:
    return objective.key_results.get()


@pytest.fixture
def private_objective(world: World) -> Objective:
    """A private objective of the Platform team, which the member and viewer may not see."""
    return okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="PRIVATE-MARKER secret objective",
        owner_teams=[world.other_team],
        visibility="private",
    )
