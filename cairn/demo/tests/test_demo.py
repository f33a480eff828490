"""The demo organization Acme: the alignment text's example, created through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.management import call_command

from cairn.alignment.models import Dependency, DependencyEvent
from cairn.checkins.models import CheckIn, Sync
from cairn.demo.loader import (
    DEMO_PASSWORD,
    ORG_SLUG,
    SHARED_OBJECTIVE,
    demo_logins,
    email_of,
    load_demo,
)
from cairn.lib import rhythm
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
        count = Initiative.objects.filter(
            objective=demo.shared_objective, team=team, period=demo.current
        ).count()
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


def test_a_closed_previous_quarter_an_active_current_one_and_the_next_in_planning(
    demo: Any,
) -> None:
    periods = list(Period.objects.in_org(demo.organization).order_by("start"))
    # Two closed quarters, so that the calibration trend has two points (closed.py).
    assert [(p.name, p.state) for p in periods] == [
        ("2025 Q4", PeriodState.CLOSED),
        ("2026 Q1", PeriodState.CLOSED),
        ("2026 Q2", PeriodState.ACTIVE),
        ("2026 Q3", PeriodState.PLANNING),
    ]
    assert periods[2].contains_day(TODAY)
    assert periods[2].following() == periods[3]
    assert Objective.objects.filter(period=periods[0]).exists()
    assert Objective.objects.filter(period=periods[1]).exists()


def test_the_quarters_follow_todays_date_across_a_year_end() -> None:
    demo = load_demo(today=dt.date(2027, 1, 3))
    assert demo.earlier.name == "2026 Q3" and demo.previous.name == "2026 Q4"
    assert demo.current.name == "2027 Q1"
    assert demo.upcoming.name == "2027 Q2"


def test_a_private_objective_and_a_private_key_result_in_a_public_objective(demo: Any) -> None:
    private_objective = Objective.objects.get(
        organization=demo.organization, visibility=Visibility.PRIVATE, title__contains="Series B"
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
                "objective__title",
                "team__name",
                "title",
                "state",
                "owner__user__email",
                "period__name",
            )
        ),
        "check_ins": sorted(
            CheckIn.objects.filter(organization=organization).values_list(
                "key_result__title",
                "author__user__email",
                "at",
                "progress_value",
                "progress_comment",
                "confidence",
                "next_up_plan",
                "next_up_due",
                "reflection_outcome",
                "is_insight",
                "is_blocker",
                "blocker_resolved_at",
            ),
            key=str,
        ),
        "alignments": sorted(
            Alignment.objects.in_org(organization).values_list(
                "child__title", "parent_objective__title", "parent_key_result__title"
            ),
            key=str,
        ),
        "dependencies": sorted(
            Dependency.objects.in_org(organization).values_list(
                "objective__title",
                "key_result__title",
                "requesting_team__name",
                "providing_team__name",
                "need",
                "due",
                "state",
                "created_at",
                "answered_at",
                "initiative__title",
            ),
            key=str,
        ),
        "discussions": sorted(
            DependencyEvent.objects.filter(organization=organization).values_list(
                "dependency__need", "author__user__email", "to_state", "comment", "created_at"
            ),
            key=str,
        ),
        "syncs": sorted(
            Sync.objects.in_org(organization).values_list(
                "objective__title", "held_on", "next_sync_on", "notes", "attendees__user__email"
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


# Check-in history ---------------------------------------------------------------------


def current_key_results(demo: Any) -> list[KeyResult]:
    return list(KeyResult.objects.filter(objective__period=demo.current).order_by("title"))


def test_every_current_key_result_has_weekly_check_ins_by_its_owner(demo: Any) -> None:
    organization = demo.organization
    for key_result in current_key_results(demo):
        check_ins = list(CheckIn.objects.filter(key_result=key_result))
        assert check_ins, key_result.title
        authors = {c.author_id for c in check_ins}
        if "critical or blocking bugs" in key_result.title:
            # The shared OKR's room: a Platform engineer checks in on Ken's result too.
            authors.discard(demo.people["sofia"].pk)
        assert authors == {key_result.owner_id}, key_result.title
        assert all(c.at.date() < TODAY for c in check_ins)
        assert all(c.at.weekday() == organization.checkin_weekday for c in check_ins)


def test_the_history_spans_eight_weeks_or_more(demo: Any) -> None:
    days = sorted(
        {c.at.date() for c in CheckIn.objects.filter(key_result__objective__period=demo.current)}
    )
    assert (days[-1] - days[0]).days >= 8 * 7
    assert len(days) >= 9


def test_values_end_where_the_last_progress_check_in_says(demo: Any) -> None:
    for key_result in current_key_results(demo):
        latest = (
            CheckIn.objects.filter(key_result=key_result, progress_value__isnull=False)
            .order_by("-at")
            .first()
        )
        assert latest is not None, key_result.title
        assert key_result.current_value == latest.progress_value, key_result.title
    dau = KeyResult.objects.get(title__contains="500,000 daily active users")
    assert dau.current_value == 215_000


def test_every_section_is_used(demo: Any) -> None:
    check_ins = CheckIn.objects.filter(organization=demo.organization)
    assert check_ins.exclude(progress_comment="").filter(progress_value__isnull=False).exists()
    assert check_ins.exclude(confidence_needs="").exclude(confidence_mitigation="").exists()
    assert check_ins.exclude(next_up_plan="").filter(next_up_due__isnull=False).exists()
    assert check_ins.exclude(context_why="").exclude(context_baseline="").exists()
    outcomes = set(
        check_ins.exclude(reflection_outcome="").values_list("reflection_outcome", flat=True)
    )
    assert outcomes == {"done", "partly", "not_done"}
    assert all(c.reflects_on is not None for c in check_ins.exclude(reflection_outcome=""))
    assert check_ins.filter(is_insight=True).count() >= 4


def test_progress_moves_towards_and_sometimes_away_from_the_target(demo: Any) -> None:
    bugs = KeyResult.objects.get(title__contains="critical or blocking bugs")
    values = [
        c.progress_value
        for c in CheckIn.objects.filter(key_result=bugs).order_by("at")
        if c.progress_value is not None
    ]
    assert values[0] == 12 and values[-1] == 7
    assert any(later > earlier for earlier, later in itertools.pairwise(values))


def test_confidence_moves_up_and_down(demo: Any) -> None:
    for words in ("500,000", "Net Promoter", "critical or blocking"):
        levels = [
            c.confidence
            for c in CheckIn.objects.filter(key_result__title__contains=words).order_by("at")
            if c.confidence is not None
        ]
        steps = [b - a for a, b in itertools.pairwise(levels)]
        assert any(s > 0 for s in steps) and any(s < 0 for s in steps), words


def test_blockers_open_and_resolved(demo: Any) -> None:
    blockers = CheckIn.objects.filter(organization=demo.organization, is_blocker=True)
    resolved = blockers.filter(blocker_resolved_at__isnull=False)
    assert resolved.count() >= 2 and blockers.filter(blocker_resolved_at__isnull=True).count() >= 2
    for blocker in resolved:
        assert blocker.blocker_resolved_by is not None and blocker.blocker_resolution
        assert blocker.at < blocker.blocker_resolved_at
    for key_result in current_key_results(demo):
        open_count = blockers.filter(key_result=key_result, blocker_resolved_at__isnull=True)
        assert key_result.open_blockers == open_count.count(), key_result.title


def test_one_key_result_is_stale_and_one_is_dead(demo: Any) -> None:
    states = {
        kr.title: rhythm.staleness_for(kr, demo.organization, TODAY)
        for kr in current_key_results(demo)
    }
    assert states["Engineers trained for on-call"] == rhythm.Staleness.STALE
    assert states["Publish a monthly insights digest"] == rhythm.Staleness.DEAD
    assert list(states.values()).count(rhythm.Staleness.STALE) == 1
    assert list(states.values()).count(rhythm.Staleness.DEAD) == 1


@pytest.mark.parametrize("offset", range(7))
def test_stale_and_dead_hold_on_every_weekday(offset: int) -> None:
    today = TODAY + dt.timedelta(days=offset)
    demo = load_demo(today=today)
    states = [
        rhythm.staleness_for(kr, demo.organization, today) for kr in current_key_results(demo)
    ]
    assert states.count(rhythm.Staleness.STALE) == 1
    assert states.count(rhythm.Staleness.DEAD) == 1


def test_a_material_change_was_followed_by_a_new_context(demo: Any) -> None:
    interviews = KeyResult.objects.get(title="Customer interviews held")
    assert interviews.target_value == 12 and not interviews.context_outdated
    assert CheckIn.objects.filter(key_result=interviews).exclude(context_why="").count() == 2
    assert HistoryEvent.objects.filter(target_uid=interviews.uid, action="updated").exists()


def test_the_private_key_result_has_check_ins_only_its_viewers_see(demo: Any) -> None:
    private_kr = KeyResult.objects.get(
        organization=demo.organization, visibility=Visibility.PRIVATE
    )
    mine = CheckIn.objects.filter(key_result=private_kr)
    assert mine.count() >= 5
    mia = Member.objects.get(user__email=email_of("mia"))
    assert not CheckIn.objects.visible_to(mia).filter(key_result=private_kr).exists()
    assert CheckIn.objects.visible_to(demo.people["ada"]).filter(key_result=private_kr).exists()
    public_texts = " ".join(
        " ".join([c.progress_comment, c.next_up_plan, c.confidence_needs, c.context_why])
        for c in CheckIn.objects.visible_to(mia)
    )
    assert "burn" not in public_texts.lower()
