"""Blockers and the inbox over the API: the same lists as the blockers board and the inbox
page, through the same gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.alignment import services as alignment_services
from cairn.checkins import queries, services, syncs
from cairn.checkins.models import CheckIn
from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, PeriodState
from cairn.orgs.tokens import create_token

pytestmark = pytest.mark.django_db

# A Wednesday inside the fixture period (2026 Q4); the weekly window runs Mon 9 - Sun 15.
NOW = dt.datetime(2026, 11, 11, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


class Api:
    def __init__(self, member: Member) -> None:
        _, raw = create_token(member=member, name="test", read_only=not member.can_write)
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def as_admin(world: World) -> Api:
    return Api(world.admin)


@pytest.fixture
def as_member(world: World) -> Api:
    return Api(world.member)


@pytest.fixture
def as_viewer(world: World) -> Api:
    return Api(world.viewer)


@pytest.fixture
def as_outsider(world: World) -> Api:
    return Api(world.outsider)


def make_kr(
    world: World, objective: Objective, title: str, *, owner: Member | None = None
) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        start_value=0,
        target_value=10,
        owner=owner,
    )


def raise_blocker(
    kr: KeyResult, author: Member, text: str = "IN-THE-WAY", *, days_ago: int = 0
) -> CheckIn:
    kr.refresh_from_db()
    return services.record_check_in(
        key_result=kr,
        author=author,
        confidence=services.Confidence(level=3, needs=text),
        blocker=True,
        at=NOW - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def team_objective(world: World) -> Objective:
    return okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )


@pytest.fixture
def platform_objective(world: World) -> Objective:
    return okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )


@pytest.fixture
def secret(world: World, private_objective: Objective) -> CheckIn:
    kr = make_kr(world, private_objective, "PRIVATE-MARKER kr", owner=world.admin)
    return raise_blocker(kr, world.admin, "PRIVATE-MARKER blocker")


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["items"]]


# Blockers -----------------------------------------------------------------------------------


def test_a_blocker_raised_through_the_api_is_listed_and_resolved_through_it(
    world: World, key_result: KeyResult, as_member: Api, as_admin: Api
) -> None:
    raised = as_member.post(
        f"/key-results/{key_result.uid}/check-ins",
        {"confidence": {"level": 2, "needs": "Access to the data"}, "blocker": True},
    ).json()

    listed = as_admin.get("/blockers").json()["items"]

    assert [item["id"] for item in listed] == [raised["id"]]
    blocker = listed[0]
    assert blocker["open"] is True and blocker["can_resolve"] is True
    assert blocker["key_result"] == {"id": str(key_result.uid), "name": key_result.title}
    assert blocker["objective"]["id"] == str(key_result.objective.uid)
    assert blocker["period"] == {"id": str(world.period.uid), "name": "2026 Q4"}
    assert blocker["owning_teams"] == [{"id": str(world.team.uid), "name": "Product"}]
    assert blocker["resolvers"] == ["Mia Member"]
    assert blocker["check_in"]["confidence"]["needs"] == "Access to the data"

    response = as_admin.post(f"/blockers/{raised['id']}/resolve", {"how": "Granted read access"})

    assert response.status_code == 200, response.json()
    resolved = response.json()
    assert resolved["open"] is False and resolved["can_resolve"] is False
    assert resolved["resolution"]["how"] == "Granted read access"
    assert resolved["resolution"]["by"]["id"] == str(world.admin.uid)
    assert ids(as_admin.get("/blockers")) == []
    assert ids(as_admin.get("/blockers", state="resolved")) == [raised["id"]]
    assert ids(as_admin.get("/blockers", state="all")) == [raised["id"]]
    check_in = as_member.get(f"/check-ins/{raised['id']}").json()
    assert check_in["resolution"] == resolved["resolution"]
    key_result.refresh_from_db()
    assert key_result.open_blockers == 0


def test_open_blockers_are_listed_oldest_first_like_the_board(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    newer = raise_blocker(key_result, world.member, days_ago=1)
    older = raise_blocker(key_result, world.admin, days_ago=3)
    done = raise_blocker(key_result, world.admin, days_ago=2)
    services.resolve_blocker(check_in=done, actor=world.admin, how="fixed")

    board = queries.blockers_board(world.member)

    assert ids(as_member.get("/blockers")) == [str(row.check_in.uid) for row in board.open]
    assert ids(as_member.get("/blockers")) == [str(older.uid), str(newer.uid)]
    assert ids(as_member.get("/blockers", limit=1, offset=1)) == [str(newer.uid)]


def test_resolving_needs_a_note(world: World, key_result: KeyResult, as_member: Api) -> None:
    blocker = raise_blocker(key_result, world.admin)
    for body in ({"how": "   "}, {}):
        response = as_member.post(f"/blockers/{blocker.uid}/resolve", body)
        assert response.status_code == 422 and response.json()["field"] == "how"
    blocker.refresh_from_db()
    assert blocker.blocker_resolved_at is None


def test_a_blocker_resolved_meanwhile_is_a_409(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    blocker = raise_blocker(key_result, world.admin)
    services.resolve_blocker(check_in=blocker, actor=world.admin, how="first")
    response = as_member.post(f"/blockers/{blocker.uid}/resolve", {"how": "second"})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    blocker.refresh_from_db()
    assert blocker.blocker_resolution == "first"


def test_a_check_in_that_is_no_blocker_cannot_be_resolved(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    plain = services.record_check_in(
        key_result=key_result, author=world.admin, confidence=services.Confidence(level=8)
    )
    assert as_member.post(f"/blockers/{plain.uid}/resolve", {"how": "x"}).status_code == 404


def test_any_writer_who_sees_a_blocker_may_resolve_it(
    world: World, platform_objective: Objective, as_member: Api
) -> None:
    # Not the member's team's key result: blockers are often cleared from outside the team.
    kr = make_kr(world, platform_objective, "Platform KR", owner=world.admin)
    blocker = raise_blocker(kr, world.admin)
    assert as_member.get("/blockers").json()["items"][0]["can_resolve"] is True
    assert as_member.post(f"/blockers/{blocker.uid}/resolve", {"how": "Done"}).status_code == 200


def test_a_viewer_reads_blockers_but_gets_403_on_resolving(
    world: World, key_result: KeyResult, as_viewer: Api, viewer_client: Client
) -> None:
    blocker = raise_blocker(key_result, world.member)
    listed = as_viewer.get("/blockers").json()["items"]
    assert [item["id"] for item in listed] == [str(blocker.uid)]
    assert listed[0]["can_resolve"] is False

    by_token = as_viewer.post(f"/blockers/{blocker.uid}/resolve", {"how": "x"})
    by_session = viewer_client.post(
        f"/api/v1/blockers/{blocker.uid}/resolve", {"how": "x"}, content_type="application/json"
    )

    assert by_token.status_code == 403
    assert by_session.status_code == 403 and by_session.json()["code"] == "forbidden"
    blocker.refresh_from_db()
    assert blocker.blocker_resolved_at is None


def test_an_outsider_sees_no_blocker_of_another_organization_and_gets_404s(
    world: World, key_result: KeyResult, as_outsider: Api
) -> None:
    blocker = raise_blocker(key_result, world.member)
    assert ids(as_outsider.get("/blockers")) == []
    assert as_outsider.get("/blockers", team=str(world.team.uid)).status_code == 404
    assert as_outsider.get("/blockers", period=str(world.period.uid)).status_code == 404
    response = as_outsider.post(f"/blockers/{blocker.uid}/resolve", {"how": "x"})
    assert response.status_code == 404
    blocker.refresh_from_db()
    assert blocker.blocker_resolved_at is None


def test_a_private_key_results_blocker_is_invisible_to_a_member_who_may_not_see_it(
    world: World, secret: CheckIn, as_member: Api, as_viewer: Api, as_admin: Api
) -> None:
    for caller in (as_member, as_viewer):
        response = caller.get("/blockers", state="all")
        assert ids(response) == [] and "PRIVATE-MARKER" not in response.content.decode()
    response = as_member.post(f"/blockers/{secret.uid}/resolve", {"how": "x"})
    assert response.status_code == 404 and "PRIVATE-MARKER" not in response.content.decode()
    assert ids(as_admin.get("/blockers")) == [str(secret.uid)]


def test_blockers_filter_by_team_and_period(
    world: World, team_objective: Objective, platform_objective: Objective, as_admin: Api
) -> None:
    ours = raise_blocker(make_kr(world, team_objective, "Ours"), world.admin)
    theirs = raise_blocker(make_kr(world, platform_objective, "Theirs"), world.admin)
    next_period = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
        state=PeriodState.PLANNING,
    )
    later_goal = okr_services.create_objective(
        actor=world.admin, period=next_period, title="Later", owner_teams=[world.team]
    )
    later = raise_blocker(make_kr(world, later_goal, "Later"), world.admin)

    assert ids(as_admin.get("/blockers", team=str(world.team.uid))) == [
        str(ours.uid),
        str(later.uid),
    ]
    assert ids(as_admin.get("/blockers", team=str(world.other_team.uid))) == [str(theirs.uid)]
    assert ids(as_admin.get("/blockers", period=str(next_period.uid))) == [str(later.uid)]
    both = as_admin.get("/blockers", team=str(world.team.uid), period=str(world.period.uid))
    assert ids(both) == [str(ours.uid)]
    assert as_admin.get("/blockers", team="nonsense").status_code == 404
    bad_state = as_admin.get("/blockers", state="closed")
    assert bad_state.status_code == 422 and bad_state.json()["field"] == "state"


def test_the_blockers_list_uses_a_constant_number_of_queries(
    world: World, team_objective: Objective, platform_objective: Objective, as_member: Api
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            for objective in (team_objective, platform_objective):
                kr = make_kr(world, objective, f"KR {i}", owner=world.member)
                raise_blocker(kr, world.admin, f"b{i}")
                raise_blocker(kr, world.member, f"m{i}")

    def count(**params: Any) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert as_member.get("/blockers", **params).status_code == 200
        return len(ctx.captured_queries)

    count()
    add(2)
    small, filtered = count(), count(team=str(world.team.uid), period=str(world.period.uid))
    add(4)
    assert count() == small
    assert count(team=str(world.team.uid), period=str(world.period.uid)) == filtered


# The inbox ----------------------------------------------------------------------------------


def shared_objective(world: World, title: str) -> Objective:
    return okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title=title,
        owner_teams=[world.team, world.other_team],
    )


def fill_inbox(world: World, team_objective: Objective, platform_objective: Objective) -> None:
    """A week with everything the inbox page shows for the member."""
    make_kr(world, team_objective, "DUE-KR", owner=world.member)
    checked = make_kr(world, team_objective, "CHECKED-KR", owner=world.member)
    services.record_check_in(
        key_result=checked,
        author=world.member,
        confidence=services.Confidence(level=8),
        next_up=services.NextUp(plan="Keep going", due=TODAY + dt.timedelta(days=5)),
    )
    overdue = make_kr(world, team_objective, "OVERDUE-KR", owner=world.member)
    services.record_check_in(
        key_result=overdue,
        author=world.member,
        next_up=services.NextUp(plan="Late plan", due=TODAY - dt.timedelta(days=2)),
        at=NOW - dt.timedelta(days=9),
    )
    make_kr(world, team_objective, "SOMEONE-ELSES-KR", owner=world.admin)
    platform_kr = make_kr(world, platform_objective, "PLATFORM-KR", owner=world.admin)
    raise_blocker(platform_kr, world.member, "MY-BLOCKER")
    team_kr = make_kr(world, team_objective, "TEAM-KR", owner=world.admin)
    raise_blocker(team_kr, world.admin, "TEAM-BLOCKER")
    raise_blocker(platform_kr, world.admin, "ELSEWHERE-BLOCKER")
    alignment_services.request_dependency(
        actor=world.admin,
        objective=platform_objective,
        requesting_team=world.other_team,
        providing_team=world.team,
        need="INCOMING-NEED",
        key_result=platform_kr,
        due=TODAY + dt.timedelta(days=10),
    )
    shared_objective(world, "SHARED-NEW")
    synced = shared_objective(world, "SHARED-SYNCED")
    syncs.record_sync(
        actor=world.member, objective=synced, held_on=TODAY, attendees=[], notes="", cadence_days=7
    )


def test_the_inbox_lists_what_the_inbox_page_lists(
    world: World,
    team_objective: Objective,
    platform_objective: Objective,
    as_member: Api,
    member_client: Client,
) -> None:
    fill_inbox(world, team_objective, platform_objective)

    response = as_member.get("/inbox")

    assert response.status_code == 200, response.json()
    inbox = response.json()
    page = queries.inbox_for(world.member, TODAY)
    assert [row["key_result"]["id"] for row in inbox["key_results"]] == [
        str(row.key_result.uid) for row in (*page.attention, *page.caught_up)
    ]
    rows = {row["key_result"]["title"]: row for row in inbox["key_results"]}
    assert set(rows) == {"DUE-KR", "CHECKED-KR", "OVERDUE-KR"}
    assert rows["DUE-KR"]["due"] and rows["DUE-KR"]["without_next_up"]
    assert rows["DUE-KR"]["key_result"]["last_check_in_at"] is None
    assert rows["OVERDUE-KR"]["next_up_overdue"] and rows["OVERDUE-KR"]["due"]
    assert not rows["CHECKED-KR"]["needs_attention"]
    assert rows["CHECKED-KR"]["key_result"]["confidence"] == 8
    assert rows["CHECKED-KR"]["key_result"]["staleness"] == "fresh"
    assert inbox["key_results"][-1]["key_result"]["title"] == "CHECKED-KR"
    assert [b["check_in"]["confidence"]["needs"] for b in inbox["my_blockers"]] == ["MY-BLOCKER"]
    assert [b["check_in"]["confidence"]["needs"] for b in inbox["team_blockers"]] == [
        "TEAM-BLOCKER"
    ]
    assert [r["need"] for r in inbox["requests"]] == ["INCOMING-NEED"]
    assert inbox["requests"][0]["providing_team"]["name"] == "Product"
    assert [(s["objective"]["name"], s["next_sync_on"]) for s in inbox["next_syncs"]] == [
        ("SHARED-NEW", None),
        ("SHARED-SYNCED", (TODAY + dt.timedelta(days=7)).isoformat()),
    ]
    assert inbox["window"] == {"start": "2026-11-09", "end": "2026-11-15"}
    assert inbox["today"] == TODAY.isoformat()
    # And the page shows the same things.
    html = member_client.get(reverse("checkins:inbox", args=[world.org.slug])).content.decode()
    for text in (*rows, "MY-BLOCKER", "TEAM-BLOCKER", "INCOMING-NEED", "SHARED-NEW"):
        assert text in html
    for text in ("SOMEONE-ELSES-KR", "ELSEWHERE-BLOCKER"):
        assert text not in html and text not in response.content.decode()


def test_a_private_key_results_blocker_never_reaches_an_inbox_that_may_not_see_it(
    world: World, secret: CheckIn, as_member: Api
) -> None:
    response = as_member.get("/inbox")
    assert response.status_code == 200
    assert "PRIVATE-MARKER" not in response.content.decode()
    assert response.json()["team_blockers"] == []


def test_a_viewer_has_an_inbox_and_an_outsider_sees_only_their_own_organization(
    world: World, team_objective: Objective, as_viewer: Api, as_outsider: Api
) -> None:
    make_kr(world, team_objective, "ACME-KR", owner=world.member)
    viewer = as_viewer.get("/inbox")
    assert viewer.status_code == 200 and viewer.json()["key_results"] == []
    outsider = as_outsider.get("/inbox")
    assert outsider.status_code == 200
    assert "ACME-KR" not in outsider.content.decode()
    assert outsider.json()["key_results"] == [] and outsider.json()["team_blockers"] == []


def test_the_inbox_uses_a_constant_number_of_queries(
    world: World, team_objective: Objective, platform_objective: Objective, as_member: Api
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            kr = make_kr(world, team_objective, f"KR {i}", owner=world.member)
            raise_blocker(kr, world.member, f"b{i}", days_ago=3)
            raise_blocker(kr, world.admin, f"t{i}", days_ago=2)
            platform_kr = make_kr(world, platform_objective, f"P {i}", owner=world.admin)
            alignment_services.request_dependency(
                actor=world.admin,
                objective=platform_objective,
                requesting_team=world.other_team,
                providing_team=world.team,
                need=f"need {i}",
                key_result=platform_kr,
            )
            shared = shared_objective(world, f"Shared {i} {Objective.objects.count()}")
            if i % 2:
                syncs.record_sync(
                    actor=world.member,
                    objective=shared,
                    held_on=TODAY - dt.timedelta(days=i),
                    attendees=[world.member],
                    notes="",
                )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert as_member.get("/inbox").status_code == 200
        return len(ctx.captured_queries)

    count()
    add(2)
    small = count()
    add(4)
    assert count() == small
