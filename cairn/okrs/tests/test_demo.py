"""The demo organization Acme: the alignment text's example, created through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from cairn.okrs.demo import (
    DEMO_PASSWORD,
    ORG_SLUG,
    SHARED_OBJECTIVE,
    demo_logins,
    email_of,
    load_demo,
)
from cairn.okrs.models import Alignment, Initiative, KeyResult, Objective, Visibility
from cairn.orgs.models import HistoryEvent, Member, Period, PeriodState, Role, Team

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 14)


@pytest.fixture
def demo() -> Any:
    return load_demo(today=TODAY)


def test_the_shared_objective_has_three_owning_teams_and_five_key_results(demo: Any) -> None:
    shared = Objective.objects.get(organization=demo.organization, title=SHARED_OBJECTIVE)
    assert sorted(shared.owner_teams.values_list("name", flat=True)) == [
        "Business Development",
        "Platform",
        "Product",
    ]
    titles = list(shared.key_results.values_list("title", flat=True))
    assert len(titles) == 5
    for words in (
        "500,000 daily active users",
        "5%",
        "Net Promoter Score of 35",
        "critical or blocking bugs",
        "40% revenue share with 5",
    ):
        assert any(words in title for title in titles), words
    assert shared.period.state == PeriodState.ACTIVE
    assert shared.visibility == Visibility.PUBLIC


def test_the_bug_key_result_decreases_and_the_conversion_is_a_percentage(demo: Any) -> None:
    shared = demo.shared_objective
    bugs = shared.key_results.get(title__contains="bugs")
    assert bugs.direction == "down" and bugs.target_value < 5 < bugs.start_value
    conversion = shared.key_results.get(title__contains="5%")
    assert conversion.kind == "percentage" and conversion.target_value == 5


def test_every_owning_team_has_its_own_initiatives(demo: Any) -> None:
    for team in demo.shared_objective.owner_teams.all():
        count = Initiative.objects.filter(objective=demo.shared_objective, team=team).count()
        assert 2 <= count <= 3, team.name


def test_the_shared_objective_is_aligned_to_a_company_objective(demo: Any) -> None:
    link = Alignment.objects.get(child=demo.shared_objective)
    assert link.parent_objective is not None
    assert list(link.parent_objective.owner_teams.values_list("name", flat=True)) == ["Acme"]


def test_teams_form_a_tree_of_three_levels_with_leads(demo: Any) -> None:
    teams = list(Team.objects.in_org(demo.organization))
    assert 6 <= len(teams) <= 8
    assert all(team.lead is not None for team in teams)
    roots = [team for team in teams if team.parent is None]
    assert [team.name for team in roots] == ["Acme"]

    def depth(team: Team) -> int:
        return 1 if team.parent is None else 1 + depth(team.parent)

    assert max(depth(team) for team in teams) == 3


def test_people_have_every_role_and_the_demo_password(demo: Any) -> None:
    members = list(Member.objects.in_org(demo.organization).select_related("user"))
    assert 12 <= len(members) <= 18
    roles = [member.role for member in members]
    assert roles.count(Role.VIEWER) == 1
    assert Role.ADMIN in roles and roles.count(Role.MEMBER) >= 8
    assert all(member.user.check_password(DEMO_PASSWORD) for member in members)


def test_the_printed_logins_are_an_admin_a_product_member_and_the_viewer(demo: Any) -> None:
    by_role = {role: email for role, email, _password in demo_logins()}
    assert Member.objects.get(user__email=by_role["admin"]).role == Role.ADMIN
    member = Member.objects.get(user__email=by_role["member"])
    assert member.role == Role.MEMBER
    assert member.teams.filter(name="Product").exists()
    assert Member.objects.get(user__email=by_role["viewer"]).role == Role.VIEWER
    assert by_role["member"] == email_of("mia")


def test_a_closed_previous_quarter_and_an_active_current_quarter(demo: Any) -> None:
    periods = list(Period.objects.in_org(demo.organization).order_by("start"))
    assert [(p.name, p.state) for p in periods] == [
        ("2026 Q1", PeriodState.CLOSED),
        ("2026 Q2", PeriodState.ACTIVE),
    ]
    assert periods[1].contains_day(TODAY)
    assert Objective.objects.filter(period=periods[0]).exists()


def test_the_quarters_follow_todays_date_across_a_year_end() -> None:
    demo = load_demo(today=dt.date(2027, 1, 3))
    assert demo.previous.name == "2026 Q4" and demo.current.name == "2027 Q1"


def test_a_private_objective_and_a_private_key_result_in_a_public_objective(demo: Any) -> None:
    private_objective = Objective.objects.get(
        organization=demo.organization, visibility=Visibility.PRIVATE
    )
    private_kr = KeyResult.objects.get(
        organization=demo.organization, visibility=Visibility.PRIVATE
    )
    assert private_kr.objective.visibility == Visibility.PUBLIC
    mia = Member.objects.get(user__email=email_of("mia"))
    assert private_objective not in Objective.objects.visible_to(mia)
    assert private_kr not in KeyResult.objects.visible_to(mia)
    assert demo.shared_objective in Objective.objects.visible_to(mia)


def test_individual_okrs_exist(demo: Any) -> None:
    personal = Objective.objects.filter(
        organization=demo.organization, owner_person__isnull=False, visibility=Visibility.PUBLIC
    )
    assert personal.count() >= 2


def test_progress_is_not_all_zero(demo: Any) -> None:
    progresses = [kr.progress for kr in KeyResult.objects.in_org(demo.organization)]
    assert sum(1 for p in progresses if p > 0) >= len(progresses) // 2
    assert any(p >= 1 for p in progresses)


def test_everything_has_history(demo: Any) -> None:
    events = HistoryEvent.objects.in_org(demo.organization)
    for kind, model in (
        ("objective", Objective),
        ("key_result", KeyResult),
        ("initiative", Initiative),
        ("team", Team),
    ):
        uids = set(model.objects.in_org(demo.organization).values_list("uid", flat=True))
        recorded = set(
            events.filter(target_kind=kind, action="created").values_list("target_uid", flat=True)
        )
        assert uids and uids <= recorded, kind


def snapshot() -> dict[str, Any]:
    """Everything about the demo except random ids and timestamps."""
    organization = Member.objects.get(user__email=email_of("ada")).organization
    return {
        "org": (organization.name, organization.slug),
        "people": sorted(
            Member.objects.in_org(organization).values_list(
                "user__email", "user__name", "role", "title"
            )
        ),
        "teams": sorted(
            Team.objects.in_org(organization).values_list(
                "name", "parent__name", "lead__user__email"
            )
        ),
        "periods": sorted(
            Period.objects.in_org(organization).values_list("name", "start", "end", "state")
        ),
        "objectives": sorted(
            Objective.objects.in_org(organization).values_list(
                "title", "period__name", "visibility", "owner_person__user__email"
            )
        ),
        "key_results": sorted(
            KeyResult.objects.in_org(organization).values_list(
                "objective__title",
                "title",
                "kind",
                "start_value",
                "target_value",
                "current_value",
                "unit",
                "direction",
                "visibility",
                "owner__user__email",
            )
        ),
        "initiatives": sorted(
            Initiative.objects.in_org(organization).values_list(
                "objective__title", "team__name", "title", "state", "owner__user__email"
            )
        ),
        "alignments": sorted(
            Alignment.objects.in_org(organization).values_list(
                "child__title", "parent_objective__title", "parent_key_result__title"
            ),
            key=str,
        ),
    }


# flush truncates tables, which PostgreSQL refuses inside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_loading_is_deterministic() -> None:
    load_demo(today=TODAY)
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    load_demo(today=TODAY)
    assert snapshot() == first
    assert Member.objects.get(user__email=email_of("ada")).organization.slug == ORG_SLUG
