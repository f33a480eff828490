"""The blockers board (and resolving a blocker) and the insights library."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.checkins import queries, services
from cairn.checkins.models import CheckIn
from cairn.checkins.tests.test_inbox import NOW, _frozen, check_in, make_kr  # noqa: F401
from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.reporting import services as reporting

pytestmark = pytest.mark.django_db


def board_url(world: World, **params: str) -> str:
    url = reverse("checkins:blockers", args=[world.org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def resolve_url(world: World, blocker: CheckIn) -> str:
    return reverse("checkins:blocker_resolve", args=[world.org.slug, blocker.uid])


def insights_url(world: World, **params: str) -> str:
    url = reverse("checkins:insights", args=[world.org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.fixture
def kr(world: World, objective: Objective) -> KeyResult:
    return objective.key_results.get()


@pytest.fixture
def platform_kr(world: World) -> KeyResult:
    platform = okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    return make_kr(world, platform, "Platform KR", owner=world.admin)


@pytest.fixture
def secret(world: World, private_objective: Objective) -> CheckIn:
    secret_kr = make_kr(world, private_objective, "PRIVATE-MARKER kr", owner=world.admin)
    return check_in(secret_kr, world.admin, blocker=True, insight=True, text="PRIVATE-MARKER words")


# The board ----------------------------------------------------------------------------------


def test_the_board_lists_open_blockers_oldest_first_and_resolved_ones_below(
    world: World, kr: KeyResult, member_client: Client
) -> None:
    newer = check_in(kr, world.member, days_ago=1, blocker=True, text="NEWER-BLOCKER")
    older = check_in(kr, world.admin, days_ago=4, blocker=True, text="OLDER-BLOCKER")
    done = check_in(kr, world.admin, days_ago=6, blocker=True, text="DONE-BLOCKER")
    services.resolve_blocker(check_in=done, actor=world.admin, how="RESOLUTION-NOTE")

    board = queries.blockers_board(world.member)
    assert [row.check_in for row in board.open] == [older, newer]
    assert [row.check_in for row in board.resolved] == [done]

    html = member_client.get(board_url(world)).content.decode()
    assert html.index("OLDER-BLOCKER") < html.index("NEWER-BLOCKER") < html.index("DONE-BLOCKER")
    assert "RESOLUTION-NOTE" in html
    assert "Launch the Acme product successfully" in html  # the objective
    assert "Raised by Ada Admin" in html


def test_the_board_says_who_can_resolve_a_blocker(
    world: World, kr: KeyResult, member_client: Client
) -> None:
    kr.owner = world.member
    kr.save(update_fields=["owner"])
    check_in(kr, world.admin, blocker=True, text="IN-THE-WAY")
    [row] = queries.blockers_board(world.member).open
    assert row.resolvers == ["Mia Member", "Ada Admin"]
    assert [team.name for team in row.owning_teams] == ["Product"]
    html = member_client.get(board_url(world)).content.decode()
    assert "Mia Member, Ada Admin, members of Product, admins" in html


def test_a_team_board_shows_only_that_teams_blockers(
    world: World, kr: KeyResult, platform_kr: KeyResult, member_client: Client
) -> None:
    check_in(kr, world.member, blocker=True, text="PRODUCT-BLOCKER")
    check_in(platform_kr, world.admin, blocker=True, text="PLATFORM-BLOCKER")
    html = member_client.get(board_url(world, team=str(world.team.uid))).content.decode()
    assert "PRODUCT-BLOCKER" in html and "PLATFORM-BLOCKER" not in html
    assert "Blockers of Product" in html


def test_a_team_board_of_another_organization_is_a_404(world: World, member_client: Client) -> None:
    foreign = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    assert member_client.get(board_url(world, team=str(foreign.uid))).status_code == 404
    assert member_client.get(board_url(world, team="not-a-uuid")).status_code == 404


def test_htmx_gets_the_board_fragment(world: World, member_client: Client) -> None:
    html = member_client.get(board_url(world), headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html


def test_the_board_uses_a_constant_number_of_queries(
    world: World, objective: Objective, member_client: Client
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            other = make_kr(world, objective, f"KR {i}", owner=world.member)
            check_in(other, world.member, blocker=True, text=f"open {i}")
            done = check_in(other, world.admin, blocker=True, text=f"done {i}")
            services.resolve_blocker(check_in=done, actor=world.admin, how="fixed")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(board_url(world)).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = count()
    add(4)
    assert count() == small


# Resolving ----------------------------------------------------------------------------------


def test_a_member_resolves_a_blocker_with_a_note_in_place(
    world: World, kr: KeyResult, member_client: Client
) -> None:
    blocker = check_in(kr, world.admin, blocker=True, text="IN-THE-WAY")
    form = member_client.get(resolve_url(world, blocker), headers={"HX-Request": "true"})
    html = form.content.decode()
    assert form.status_code == 200 and "<html" not in html
    assert f'hx-post="{resolve_url(world, blocker)}"' in html
    assert f'action="{resolve_url(world, blocker)}"' in html

    response = member_client.post(
        resolve_url(world, blocker), {"how": "Bought more servers"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Bought more servers" in html
    assert f'id="blocker-{blocker.uid}"' in html and "blocker--resolved" in html
    blocker.refresh_from_db()
    kr.refresh_from_db()
    assert blocker.blocker_resolved_by == world.member
    assert blocker.blocker_resolution == "Bought more servers"
    assert kr.open_blockers == 0


def test_resolving_without_javascript_redirects_back(
    world: World, kr: KeyResult, member_client: Client
) -> None:
    blocker = check_in(kr, world.admin, blocker=True)
    page = member_client.get(resolve_url(world, blocker))
    assert page.status_code == 200 and "<html" in page.content.decode()
    inbox = reverse("checkins:inbox", args=[world.org.slug])
    response = member_client.post(resolve_url(world, blocker), {"how": "fixed", "next": inbox})
    assert response.status_code == 302 and response["Location"] == inbox
    response = member_client.post(
        resolve_url(world, check_in(kr, world.admin, blocker=True)),
        {"how": "fixed", "next": "https://evil.test/"},
    )
    assert response["Location"] == board_url(world)


def test_resolving_needs_a_note(world: World, kr: KeyResult, member_client: Client) -> None:
    blocker = check_in(kr, world.admin, blocker=True)
    response = member_client.post(resolve_url(world, blocker), {"how": "  "})
    assert response.status_code == 200
    blocker.refresh_from_db()
    assert blocker.blocker_resolved_at is None


def test_a_resolved_blocker_cannot_be_resolved_again(
    world: World, kr: KeyResult, member_client: Client
) -> None:
    blocker = check_in(kr, world.admin, blocker=True)
    services.resolve_blocker(check_in=blocker, actor=world.admin, how="first")
    response = member_client.post(resolve_url(world, blocker), {"how": "second"})
    assert response.status_code == 200 and "not open" in response.content.decode()
    blocker.refresh_from_db()
    assert blocker.blocker_resolution == "first"


def test_a_viewer_reads_the_board_but_gets_403_on_resolve(
    world: World, kr: KeyResult, viewer_client: Client
) -> None:
    blocker = check_in(kr, world.admin, blocker=True, text="IN-THE-WAY")
    html = viewer_client.get(board_url(world)).content.decode()
    assert "IN-THE-WAY" in html and resolve_url(world, blocker) not in html
    assert viewer_client.get(resolve_url(world, blocker)).status_code == 403
    assert viewer_client.post(resolve_url(world, blocker), {"how": "x"}).status_code == 403
    blocker.refresh_from_db()
    assert blocker.blocker_resolved_at is None


def test_an_outsider_gets_404_on_every_rhythm_page(
    world: World, kr: KeyResult, outsider_client: Client
) -> None:
    blocker = check_in(kr, world.admin, blocker=True)
    assert outsider_client.get(board_url(world)).status_code == 404
    assert outsider_client.get(insights_url(world)).status_code == 404
    assert outsider_client.get(resolve_url(world, blocker)).status_code == 404
    assert outsider_client.post(resolve_url(world, blocker), {"how": "x"}).status_code == 404
    # Nor through their own organization's address.
    own = reverse("checkins:blocker_resolve", args=[world.other_org.slug, blocker.uid])
    assert outsider_client.post(own, {"how": "x"}).status_code == 404
    blocker.refresh_from_db()
    assert blocker.blocker_resolved_at is None


def test_a_check_in_that_is_not_a_blocker_is_a_404_on_resolve(
    world: World, kr: KeyResult, member_client: Client
) -> None:
    plain = check_in(kr, world.admin)
    assert member_client.get(resolve_url(world, plain)).status_code == 404


# Private key results --------------------------------------------------------------------------


def test_a_private_key_results_blocker_and_insight_stay_hidden(
    world: World, secret: CheckIn, member_client: Client, viewer_client: Client
) -> None:
    for client in (member_client, viewer_client):
        for url in (
            board_url(world),
            board_url(world, team=str(world.other_team.uid)),
            insights_url(world),
            insights_url(world, team=str(world.other_team.uid)),
        ):
            response = client.get(url)
            assert response.status_code == 200
            assert "PRIVATE-MARKER" not in response.content.decode(), url
        assert client.get(resolve_url(world, secret)).status_code == 404
        assert client.post(resolve_url(world, secret), {"how": "x"}).status_code == 404
    objective_uid = str(secret.key_result.objective.uid)
    assert member_client.get(insights_url(world, objective=objective_uid)).status_code == 404


def test_an_admin_sees_the_private_blocker_and_insight(
    world: World, secret: CheckIn, admin_client: Client
) -> None:
    assert "PRIVATE-MARKER" in admin_client.get(board_url(world)).content.decode()
    assert "PRIVATE-MARKER" in admin_client.get(insights_url(world)).content.decode()


# Insights -----------------------------------------------------------------------------------


def test_the_insights_library_lists_flagged_live_insights_newest_first(
    world: World, kr: KeyResult, platform_kr: KeyResult, member_client: Client
) -> None:
    check_in(kr, world.member, days_ago=3, insight=True, text="OLDER-INSIGHT")
    check_in(platform_kr, world.admin, days_ago=1, insight=True, text="NEWER-INSIGHT")
    check_in(kr, world.member, text="NOT-AN-INSIGHT")
    deleted = check_in(kr, world.member, insight=True, text="DELETED-INSIGHT")
    services.delete_check_in(check_in=deleted, actor=world.admin)

    html = member_client.get(insights_url(world)).content.decode()
    assert html.index("NEWER-INSIGHT") < html.index("OLDER-INSIGHT")
    assert "NOT-AN-INSIGHT" not in html and "DELETED-INSIGHT" not in html
    assert "Reach 500,000 daily active users" in html and "Mia Member" in html

    by_team = member_client.get(insights_url(world, team=str(world.team.uid))).content.decode()
    assert "OLDER-INSIGHT" in by_team and "NEWER-INSIGHT" not in by_team
    objective_uid = str(platform_kr.objective.uid)
    by_objective = member_client.get(insights_url(world, objective=objective_uid)).content.decode()
    assert "NEWER-INSIGHT" in by_objective and "OLDER-INSIGHT" not in by_objective


def test_the_insights_library_is_per_period(
    world: World, kr: KeyResult, member_client: Client
) -> None:
    check_in(kr, world.member, insight=True, text="Q4-INSIGHT")
    earlier = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026 Q3",
        start=dt.date(2026, 7, 1),
        end=dt.date(2026, 9, 30),
    )
    reporting.close_period(period=earlier, actor=world.admin)
    assert "Q4-INSIGHT" in member_client.get(insights_url(world)).content.decode()
    html = member_client.get(insights_url(world, period=str(earlier.uid))).content.decode()
    assert "Q4-INSIGHT" not in html
    foreign = insights_url(world, period=str(world.other_period.uid))
    assert member_client.get(foreign).status_code == 404


def test_htmx_gets_the_insights_fragment(world: World, member_client: Client) -> None:
    response = member_client.get(insights_url(world), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="insights"') and "<html" not in html


def test_the_insights_library_uses_a_constant_number_of_queries(
    world: World, objective: Objective, member_client: Client
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            other = make_kr(world, objective, f"KR {i}", owner=world.member)
            check_in(other, world.member, insight=True, text=f"learned {i}")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(insights_url(world)).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = count()
    add(4)
    assert count() == small


def test_now_is_frozen_for_these_tests() -> None:
    from django.utils import timezone

    assert timezone.now() == NOW
