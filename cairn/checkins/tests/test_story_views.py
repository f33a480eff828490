"""The key result page tells its story: value and progress, charts, the timeline of
check-ins by section, the current Next Up, open blockers and context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.checkins import services
from cairn.conftest import World, login
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def url(name: str, *args: object) -> str:
    return reverse(f"checkins:{name}", args=["acme", *args])


@pytest.fixture
def private_key_result(world: World, private_objective: Objective) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=private_objective,
        title="PRIVATE-MARKER KR",
        target_value=10,
        owner=world.admin,
    )


def history(world: World, kr: KeyResult, weeks: int) -> None:
    """`weeks` weekly check-ins from 1 October, each with every section."""
    for week in range(weeks):
        at = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC) + dt.timedelta(hours=6 * week)
        services.record_check_in(
            key_result=kr,
            author=world.member if week % 2 else world.admin,
            at=at,
            progress=services.Progress(value=10_000 * (week + 1), comment=f"comment {week}"),
            confidence=services.Confidence(level=week % 11, needs="help"),
            next_up=services.NextUp(plan=f"plan {week}", due=dt.date(2026, 12, 1)),
            reflection=services.Reflection(outcome="done") if week else None,
            blocker=week % 3 == 0,
            insight=week % 4 == 0,
        )


# Tenancy --------------------------------------------------------------------------------------


def test_the_key_result_page_is_a_404_for_another_organizations_admin(
    outsider_client: Client, key_result: KeyResult
) -> None:
    assert outsider_client.get(url("key_result", key_result.uid)).status_code == 404


def test_a_key_result_of_a_private_objective_is_a_404_for_member_and_viewer(
    member_client: Client, viewer_client: Client, private_key_result: KeyResult
) -> None:
    assert member_client.get(url("key_result", private_key_result.uid)).status_code == 404
    assert viewer_client.get(url("key_result", private_key_result.uid)).status_code == 404


def test_admin_sees_a_private_key_result(
    admin_client: Client, private_key_result: KeyResult
) -> None:
    html = admin_client.get(url("key_result", private_key_result.uid)).content.decode()
    assert "PRIVATE-MARKER" in html


def test_a_private_key_results_check_ins_never_show_to_those_who_may_not_see_it(
    world: World, member_client: Client, viewer_client: Client, admin_client: Client
) -> None:
    theirs = okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    secret = okr_services.create_key_result(
        actor=world.admin,
        objective=theirs,
        title="PRIVATE-MARKER",
        target_value=3,
        visibility="private",
    )
    services.record_check_in(
        key_result=secret,
        author=world.admin,
        progress=services.Progress(value=2, comment="SECRET-CHECKIN words"),
        blocker=True,
    )
    pages = [
        url("key_result", secret.uid),
        reverse("okrs:objective", args=["acme", theirs.uid]),
        reverse("okrs:home", args=["acme"]),
        reverse("okrs:team", args=["acme", world.other_team.uid]),
    ]
    for client in (member_client, viewer_client):
        assert client.get(pages[0]).status_code == 404
        for page in pages[1:]:
            assert "SECRET-CHECKIN" not in client.get(page).content.decode()
    assert "SECRET-CHECKIN" in admin_client.get(pages[0]).content.decode()


def test_the_owner_of_a_private_key_result_outside_its_team_sees_its_check_ins(
    world: World,
) -> None:
    theirs = okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    private = okr_services.create_key_result(
        actor=world.admin,
        objective=theirs,
        title="PRIVATE-MARKER",
        target_value=3,
        visibility="private",
        owner=world.member,
    )
    services.record_check_in(
        key_result=private,
        author=world.admin,
        confidence=services.Confidence(level=9, needs="OWNER-SEES-THIS"),
    )
    html = login(Client(), world.member).get(url("key_result", private.uid))
    assert "OWNER-SEES-THIS" in html.content.decode()
    assert login(Client(), world.viewer).get(url("key_result", private.uid)).status_code == 404


# The story ------------------------------------------------------------------------------------


def test_key_result_page_shows_details_progress_initiatives_and_history(
    world: World, viewer_client: Client, key_result: KeyResult, objective: Objective
) -> None:
    okr_services.set_current_value(key_result=key_result, actor=None, value=100_000)
    okr_services.create_initiative(
        actor=world.admin,
        objective=objective,
        team=world.team,
        key_result=key_result,
        title="Referral programme",
    )
    html = viewer_client.get(url("key_result", key_result.uid)).content.decode()
    assert "Reach 500,000 daily active users" in html
    assert "100,000" in html and "20%" in html
    assert "Referral programme" in html
    assert "History" in html and "created" in html
    assert "Launch the Acme product successfully" in html
    assert "Mia Member" in html  # the owner
    assert "Edit" not in html


def test_the_page_shows_each_section_of_a_check_in_with_its_label(
    world: World, viewer_client: Client, key_result: KeyResult
) -> None:
    services.record_check_in(
        key_result=key_result,
        author=world.member,
        at=NOW - dt.timedelta(days=14),
        next_up=services.NextUp(plan="Start campus pilots", due=dt.date(2026, 10, 25)),
    )
    services.record_check_in(
        key_result=key_result,
        author=world.member,
        at=NOW - dt.timedelta(hours=1),
        progress=services.Progress(value=120_000, comment="Campus pilots live"),
        confidence=services.Confidence(level=5, needs="A second designer", mitigation="Hire"),
        reflection=services.Reflection(outcome="partly", learned="Two of three campuses"),
        next_up=services.NextUp(plan="Open the waitlist", due=dt.date(2026, 11, 9)),
        context=services.Context(why="DAU funds us", baseline="0", tactic="Campuses first"),
        insight=True,
        blocker=True,
    )
    html = viewer_client.get(url("key_result", key_result.uid)).content.decode()
    for label in ("Progress", "Confidence", "Reflection", "Next up", "Context"):
        assert f">{label}</dt>" in html
    assert "120,000 DAU" in html and "Campus pilots live" in html
    assert 'class="band band--at_risk">5/10 · at risk' in html
    assert "Partly" in html and "Two of three campuses" in html
    assert "Open the waitlist" in html and "Nov. 9, 2026" in html
    assert "Insight" in html and "Open blocker" in html
    assert "Campuses first" in html
    # The aside: current Next Up (not overdue), the open blocker, the current context.
    assert "Due Nov. 9, 2026" in html
    assert 'id="blockers-title"' in html and "A second designer" in html
    assert 'class="badge staleness staleness--fresh"' in html
    # The reflection names the plan it looks back on; the timeline is newest first.
    assert "on “Start campus pilots”" in html
    assert html.index("Campus pilots live") < html.rindex("Start campus pilots")


def test_an_overdue_next_up_is_marked_and_an_outdated_context_warned(
    world: World, viewer_client: Client, key_result: KeyResult
) -> None:
    services.record_check_in(
        key_result=key_result,
        author=world.member,
        at=NOW - dt.timedelta(days=20),
        next_up=services.NextUp(plan="Call ten users", due=dt.date(2026, 10, 20)),
    )
    KeyResult.objects.filter(pk=key_result.pk).update(context_outdated=True)
    html = viewer_client.get(url("key_result", key_result.uid)).content.decode()
    assert 'class="small overdue"' in html and "Overdue since Oct. 20, 2026" in html
    assert "Context out of date" in html


def test_without_a_next_up_the_page_says_the_result_goes_still(
    viewer_client: Client, key_result: KeyResult
) -> None:
    html = viewer_client.get(url("key_result", key_result.uid)).content.decode()
    assert "No current Next Up" in html
    assert "No check-ins yet." in html


def test_the_charts_are_accessible_svg_with_a_text_summary(
    world: World, viewer_client: Client, key_result: KeyResult
) -> None:
    for day, value, level in ((1, 120_000, 5), (20, 260_000, 8)):
        services.record_check_in(
            key_result=key_result,
            author=world.member,
            at=dt.datetime(2026, 10, day, 9, tzinfo=dt.UTC),
            progress=services.Progress(value=value),
            confidence=services.Confidence(level=level),
        )
    html = viewer_client.get(url("key_result", key_result.uid)).content.decode()
    assert html.count('role="img"') == 2
    assert "Value rose from 120,000 DAU to 260,000 DAU since October 1" in html
    assert "Confidence rose from 5 of 10 (at risk) to 8 of 10 (on track) since October 1." in html


def test_the_page_query_count_does_not_grow_with_the_number_of_check_ins(
    world: World, member_client: Client, objective: Objective
) -> None:
    counts = []
    for size in (5, 50):
        kr = okr_services.create_key_result(
            actor=world.member, objective=objective, title=f"KR {size}", target_value=1_000_000
        )
        history(world, kr, size)
        first = services.record_check_in(
            key_result=kr, author=world.member, progress=services.Progress(value=1, comment="c")
        )
        services.correct_check_in(check_in=first, editor=world.member, progress_comment="fixed")
        member_client.get(url("key_result", kr.uid))  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            response = member_client.get(url("key_result", kr.uid))
        assert response.status_code == 200
        assert response.content.decode().count('class="check-in') >= size
        counts.append(len(queries))
    assert counts[0] == counts[1]
