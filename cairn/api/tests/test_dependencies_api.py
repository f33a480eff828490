"""The dependency endpoints as a contract: the four people, the whole state machine through the
API (with what each answer does), privacy, races, filters and incremental sync."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.alignment import services as alignment_services
from cairn.alignment.models import Dependency, DependencyState
from cairn.conftest import PASSWORD, World
from cairn.okrs import services as okr_services
from cairn.okrs.models import Initiative, KeyResult, Objective, ObjectiveTeam
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Period, Role, Team
from cairn.orgs.tokens import create_token

pytestmark = pytest.mark.django_db
S = DependencyState
API = "/api/v1"


class Caller:
    """A member calling the API with a personal token (a viewer's is read-only), or with
    `session` from a signed-in browser."""

    def __init__(self, member: Member, *, read_only: bool = False, session: bool = False) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if session:
            self.client.force_login(member.user)
        else:
            read_only = read_only or not member.can_write
            _token, raw = create_token(member=member, name="t", read_only=read_only)
            self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            API + path, body, content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(
            API + path, body, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def provider(world: World) -> Member:
    """A member of Platform, the team asked for help."""
    return org_services.add_member(
        organization=world.org,
        email="pia@acme.test",
        role=Role.MEMBER,
        name="Pia Platform",
        password=PASSWORD,
        actor=world.admin,
        team=world.other_team,
    )


@pytest.fixture
def next_period(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )


@pytest.fixture
def platform_initiative(world: World, provider: Member) -> Initiative:
    platform_objective = okr_services.create_objective(
        actor=provider,
        period=world.period,
        title="A platform others can build on",
        owner_teams=[world.other_team],
    )
    return okr_services.create_initiative(
        actor=provider,
        objective=platform_objective,
        team=world.other_team,
        title="Public sign-up API",
    )


def ask(world: World, objective: Objective, **kwargs: Any) -> Dependency:
    return alignment_services.request_dependency(
        actor=world.member,
        objective=objective,
        requesting_team=world.team,
        providing_team=kwargs.pop("providing_team", world.other_team),
        need=kwargs.pop("need", "A sign-up API that takes 10,000 requests a minute"),
        **kwargs,
    )


@pytest.fixture
def dependency(world: World, objective: Objective, key_result: KeyResult) -> Dependency:
    return ask(world, objective, key_result=key_result, due=dt.date(2026, 11, 15))


def body(world: World, objective: Objective, **overrides: Any) -> dict[str, Any]:
    return {
        "objective": str(objective.uid),
        "requesting_team": str(world.team.uid),
        "providing_team": str(world.other_team.uid),
        "need": "A sign-up API",
        **overrides,
    }


def move(caller: Caller, dependency: Dependency, state: str, comment: str = "Because.") -> Any:
    return caller.post(
        f"/dependencies/{dependency.uid}/state", {"state": state, "comment": comment}
    )


# The four people ----------------------------------------------------------------------------


def test_an_outsider_gets_a_404_for_every_route_of_another_organizations_dependency(
    world: World, dependency: Dependency
) -> None:
    outsider = Caller(world.outsider)
    path = f"/dependencies/{dependency.uid}"
    assert outsider.get(path).status_code == 404
    assert outsider.patch(path, {"need": "Mine now"}).status_code == 404
    assert move(outsider, dependency, S.ACCEPTED).status_code == 404
    assert outsider.post(f"{path}/comments", {"comment": "Hello"}).status_code == 404
    assert outsider.get("/dependencies", period=str(world.period.uid)).status_code == 404
    assert outsider.get("/dependencies", team=str(world.team.uid)).status_code == 404
    listed = outsider.get("/dependencies")
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert outsider.post("/dependencies", body(world, dependency.objective)).status_code == 422
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED and dependency.need.startswith("A sign-up")


def test_a_viewer_reads_requests_and_every_write_is_a_403(
    world: World, objective: Objective, dependency: Dependency
) -> None:
    path = f"/dependencies/{dependency.uid}"
    # A viewer's token is read-only; in a browser session the gate says no itself.
    for viewer, code in (
        (Caller(world.viewer), "read_only_token"),
        (Caller(world.viewer, session=True), "forbidden"),
    ):
        listed = viewer.get("/dependencies").json()["items"]
        assert [item["id"] for item in listed] == [str(dependency.uid)]
        detail = viewer.get(path).json()
        assert detail["moves"] == [] and detail["can_edit"] is False
        for response in (
            viewer.post("/dependencies", body(world, objective)),
            viewer.patch(path, {"need": "Something else"}),
            move(viewer, dependency, S.WITHDRAWN),
            viewer.post(f"{path}/comments", {"comment": "Hello"}),
        ):
            assert response.status_code == 403, response.content
            assert response.json()["code"] == code
    assert Dependency.objects.count() == 1
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED


def test_a_read_only_token_cannot_write(world: World, dependency: Dependency) -> None:
    caller = Caller(world.member, read_only=True)
    assert caller.get(f"/dependencies/{dependency.uid}").status_code == 200
    response = move(caller, dependency, S.WITHDRAWN)
    assert response.status_code == 403 and response.json()["code"] == "read_only_token"


def test_without_a_token_the_api_answers_401(dependency: Dependency) -> None:
    response = Client().get(f"{API}/dependencies/{dependency.uid}")
    assert response.status_code == 401


# Asking -------------------------------------------------------------------------------------


def test_a_member_asks_another_team_and_reads_the_request_back(
    world: World, objective: Objective, key_result: KeyResult, platform_initiative: Initiative
) -> None:
    member = Caller(world.member)
    response = member.post(
        "/dependencies",
        body(
            world,
            objective,
            key_result=str(key_result.uid),
            due="2026-11-15",
            initiative=str(platform_initiative.uid),
            need="  A sign-up API  ",
        ),
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "proposed"
    assert created["need"] == "A sign-up API"
    assert created["due"] == "2026-11-15"
    assert created["objective"] == {"id": str(objective.uid), "name": objective.title}
    assert created["key_result"]["id"] == str(key_result.uid)
    assert created["requesting_team"]["name"] == "Product"
    assert created["providing_team"]["name"] == "Platform"
    assert created["period"]["id"] == str(world.period.uid)
    assert created["initiative"]["id"] == str(platform_initiative.uid)
    assert created["initiative_private"] is False
    assert created["created_by"]["id"] == str(world.member.uid)
    assert created["moves"] == ["withdrawn"] and created["can_edit"] is True
    assert created["thread"] == []
    key_result.refresh_from_db()
    assert key_result.is_over_optimistic
    again = member.get(f"/dependencies/{created['id']}").json()
    assert again == created


def test_a_request_the_service_refuses_is_a_422_naming_the_field(
    world: World, objective: Objective
) -> None:
    member = Caller(world.member)
    response = member.post("/dependencies", body(world, objective, need="   "))
    assert response.status_code == 422
    assert response.json()["field"] == "need"
    assert response.json()["detail"] == "Say what you need from the other team."
    response = member.post(
        "/dependencies", body(world, objective, providing_team=str(world.team.uid))
    )
    assert response.status_code == 422 and response.json()["field"] == "providing_team"


def test_an_id_the_member_may_not_use_is_a_422_that_does_not_say_whether_it_exists(
    world: World, objective: Objective, private_objective: Objective
) -> None:
    member = Caller(world.member)
    foreign = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    cases = {
        "objective": str(private_objective.uid),
        "requesting_team": "",
        "providing_team": str(foreign.uid),
        "key_result": "not-a-uuid",
        "initiative": "00000000-0000-4000-8000-000000000000",
    }
    answers = set()
    for field, value in cases.items():
        response = member.post("/dependencies", {**body(world, objective), field: value})
        assert response.status_code == 422, field
        assert response.json()["field"] == field
        assert "PRIVATE-MARKER" not in response.content.decode()
        answers.add(response.json()["code"])
    assert answers == {"invalid"}
    # Unknown and private read the same.
    unknown = member.post(
        "/dependencies", {**body(world, objective), "objective": str(foreign.uid)}
    )
    hidden = member.post(
        "/dependencies", {**body(world, objective), "objective": str(private_objective.uid)}
    )
    assert unknown.json() == hidden.json()
    assert member.post("/dependencies", body(world, objective)).status_code == 201
    response = member.post("/dependencies", {**body(world, objective), "sate": "accepted"})
    assert response.status_code == 422 and response.json()["field"] == "sate"


def test_only_someone_who_may_change_the_objective_asks_on_its_behalf(
    world: World, provider: Member
) -> None:
    theirs = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Product's goal", owner_teams=[world.team]
    )
    response = Caller(provider).post(
        "/dependencies",
        body(world, theirs, providing_team=str(world.other_team.uid)),
    )
    assert response.status_code == 403


# The state machine --------------------------------------------------------------------------


def test_a_request_goes_through_decline_ask_again_accept_and_shared_ownership(
    world: World, objective: Objective, dependency: Dependency, provider: Member
) -> None:
    asking, asked = Caller(world.member), Caller(provider)
    path = f"/dependencies/{dependency.uid}"
    assert asked.get(path).json()["moves"] == ["accepted", "declined", "made_shared", "deferred"]

    response = move(asked, dependency, S.DECLINED, "No capacity this quarter.")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "declined"
    assert asking.get(path).json()["moves"] == ["proposed", "withdrawn"]

    response = move(asking, dependency, S.PROPOSED, "We can take a smaller version.")
    assert response.json()["state"] == "proposed"
    assert response.json()["answered_at"] is None

    response = move(asked, dependency, S.ACCEPTED, "Sprint 42.")
    assert response.json()["state"] == "accepted"
    thread = response.json()["thread"]
    assert [(e["from_state"], e["to_state"]) for e in thread] == [
        ("proposed", "declined"),
        ("declined", "proposed"),
        ("proposed", "accepted"),
    ]
    assert [e["author"]["name"] for e in thread] == ["Pia Platform", "Mia Member", "Pia Platform"]
    assert thread[-1]["comment"] == "Sprint 42."

    response = move(asked, dependency, S.MADE_SHARED, "One goal for both of us.")
    assert response.status_code == 200 and response.json()["state"] == "made_shared"
    assert response.json()["moves"] == []
    assert ObjectiveTeam.objects.filter(objective=objective, team=world.other_team).exists()
    graph = asking.get("/alignment", period=str(world.period.uid)).json()
    node = next(n for n in graph["nodes"] if n["id"] == str(objective.uid))
    assert {team["name"] for team in node["owner_teams"]} == {"Platform", "Product"}


def test_deferring_moves_the_linked_initiative_to_the_next_period(
    world: World,
    objective: Objective,
    provider: Member,
    platform_initiative: Initiative,
    next_period: Period,
) -> None:
    dependency = ask(world, objective, initiative=platform_initiative)
    response = move(Caller(provider), dependency, S.DEFERRED, "Next quarter.")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "deferred"
    assert response.json()["initiative"]["period"]["id"] == str(next_period.uid)
    platform_initiative.refresh_from_db()
    assert platform_initiative.period == next_period


def test_deferring_without_a_next_period_is_a_clear_422_and_changes_nothing(
    world: World, objective: Objective, provider: Member, platform_initiative: Initiative
) -> None:
    dependency = ask(world, objective, initiative=platform_initiative)
    response = move(Caller(provider), dependency, S.DEFERRED, "Next quarter.")
    assert response.status_code == 422
    assert "There is no period after 2026 Q4 yet" in response.json()["detail"]
    dependency.refresh_from_db()
    platform_initiative.refresh_from_db()
    assert dependency.state == S.PROPOSED
    assert platform_initiative.period == world.period


def test_an_illegal_move_is_a_409_with_its_message(
    world: World, dependency: Dependency, provider: Member
) -> None:
    response = move(Caller(world.member), dependency, S.PROPOSED)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"] == "A request that is “Proposed” cannot become “Proposed”."
    # Illegal whatever the comment: the move is checked before it.
    assert move(Caller(provider), dependency, S.WITHDRAWN, "").status_code == 403
    move(Caller(provider), dependency, S.ACCEPTED)
    response = move(Caller(provider), dependency, S.ACCEPTED, "")
    assert response.status_code == 409


def test_the_other_sides_move_is_a_403_with_its_message(
    world: World, dependency: Dependency, provider: Member
) -> None:
    response = move(Caller(world.member), dependency, S.ACCEPTED)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only Platform can answer this request."
    response = move(Caller(provider), dependency, S.WITHDRAWN)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only Product can change its own request."


def test_a_move_without_a_comment_is_a_422_naming_the_comment(
    dependency: Dependency, provider: Member
) -> None:
    caller = Caller(provider)
    response = caller.post(f"/dependencies/{dependency.uid}/state", {"state": "accepted"})
    assert response.status_code == 422
    assert response.json()["field"] == "comment"
    assert response.json()["detail"] == "Say why, for the discussion."
    response = move(caller, dependency, "approved")
    assert response.status_code == 422 and response.json()["field"] == "state"
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED


def test_an_admin_answers_for_any_team(world: World, dependency: Dependency) -> None:
    admin = Caller(world.admin)
    assert "accepted" in admin.get(f"/dependencies/{dependency.uid}").json()["moves"]
    assert move(admin, dependency, S.ACCEPTED).json()["state"] == "accepted"


# The thread and edits -------------------------------------------------------------------------


def test_a_comment_joins_the_thread_and_counts_as_a_change(
    world: World, dependency: Dependency, provider: Member
) -> None:
    before = dependency.updated_at
    response = Caller(provider).post(
        f"/dependencies/{dependency.uid}/comments", {"comment": "Would November work?"}
    )
    assert response.status_code == 201
    event = response.json()
    assert event["comment"] == "Would November work?"
    assert event["author"]["name"] == "Pia Platform"
    assert event["from_state"] is None and event["to_state"] is None
    thread = Caller(world.member).get(f"/dependencies/{dependency.uid}").json()["thread"]
    assert [e["id"] for e in thread] == [event["id"]]
    dependency.refresh_from_db()
    assert dependency.updated_at > before
    response = Caller(provider).post(f"/dependencies/{dependency.uid}/comments", {"comment": " "})
    assert response.status_code == 422 and response.json()["field"] == "comment"


def test_the_asking_side_edits_a_request_and_a_stale_edit_is_a_409(
    world: World, dependency: Dependency, provider: Member
) -> None:
    member = Caller(world.member)
    path = f"/dependencies/{dependency.uid}"
    read = member.get(path).json()
    response = member.patch(
        path, {"need": "A faster sign-up API", "due": None, "updated_at": read["updated_at"]}
    )
    assert response.status_code == 200, response.content
    edited = response.json()
    assert edited["need"] == "A faster sign-up API"
    assert edited["due"] is None
    assert edited["thread"][-1]["comment"].startswith("Changed the request")
    # Fields left out stay as they are.
    assert member.patch(path, {"due": "2026-12-01"}).json()["need"] == "A faster sign-up API"

    stale = member.patch(path, {"need": "Lost update", "updated_at": read["updated_at"]})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    dependency.refresh_from_db()
    assert dependency.need == "A faster sign-up API"

    for moment in ("0001-01-01T00:00:00+05:00", "2026-10-01T00:00:00"):
        response = member.patch(path, {"need": "Lost update", "updated_at": moment})
        assert response.status_code in (409, 422), response.content

    other_side = Caller(provider).patch(path, {"need": "What we would rather do"})
    assert other_side.status_code == 403
    assert member.patch(path, {"need": ""}).json()["field"] == "need"
    assert member.patch(path, {"need": "x" * 4001}).json()["field"] == "need"


def test_a_closed_request_can_no_longer_be_edited(world: World, dependency: Dependency) -> None:
    member = Caller(world.member)
    move(member, dependency, S.WITHDRAWN)
    detail = member.get(f"/dependencies/{dependency.uid}").json()
    assert detail["can_edit"] is False
    response = member.patch(f"/dependencies/{dependency.uid}", {"need": "Again"})
    assert response.status_code == 422


def test_a_linked_initiative_the_member_may_not_see_is_kept_and_not_shown(
    world: World, objective: Objective, provider: Member
) -> None:
    secret_goal = okr_services.create_objective(
        actor=provider,
        period=world.period,
        title="SECRET platform goal",
        owner_teams=[world.other_team],
        visibility="private",
    )
    secret = okr_services.create_initiative(
        actor=provider, objective=secret_goal, team=world.other_team, title="SECRET initiative"
    )
    dependency = alignment_services.request_dependency(
        actor=world.admin,
        objective=objective,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="Help",
        initiative=secret,
    )
    member = Caller(world.member)
    path = f"/dependencies/{dependency.uid}"
    read = member.get(path)
    assert "SECRET" not in read.content.decode()
    assert read.json()["initiative"] is None and read.json()["initiative_private"] is True
    listed = member.get("/dependencies").json()["items"][0]
    assert listed["initiative"] is None and listed["initiative_private"] is True
    # Sending back what was read keeps it; pointing elsewhere is refused.
    assert member.patch(path, {"initiative": None, "need": "More help"}).status_code == 200
    dependency.refresh_from_db()
    assert dependency.initiative == secret
    response = member.patch(path, {"initiative": str(secret.uid)})
    assert response.status_code == 422 and response.json()["field"] == "initiative"


# Privacy ------------------------------------------------------------------------------------


@pytest.fixture
def private_dependency(world: World, private_objective: Objective) -> Dependency:
    """Platform's private objective asks Design (a team nobody belongs to yet)."""
    design = org_services.create_team(organization=world.org, actor=world.admin, name="Design")
    return alignment_services.request_dependency(
        actor=world.admin,
        objective=private_objective,
        requesting_team=world.other_team,
        providing_team=design,
        need="PRIVATE-MARKER mock-ups",
    )


def test_a_private_request_is_absent_from_the_list_and_a_404_by_id(
    world: World, dependency: Dependency, private_dependency: Dependency
) -> None:
    # (A viewer's token refuses every write up front: the viewer calls from a browser.)
    for caller in (Caller(world.member), Caller(world.viewer, session=True)):
        listed = caller.get("/dependencies")
        assert [item["id"] for item in listed.json()["items"]] == [str(dependency.uid)]
        assert "PRIVATE-MARKER" not in listed.content.decode()
        path = f"/dependencies/{private_dependency.uid}"
        assert caller.get(path).status_code == 404
        assert caller.patch(path, {"need": "x"}).status_code == 404
        assert move(caller, private_dependency, S.WITHDRAWN).status_code == 404
        assert caller.post(f"{path}/comments", {"comment": "x"}).status_code == 404
    admin = Caller(world.admin)
    assert len(admin.get("/dependencies").json()["items"]) == 2
    assert admin.get(f"/dependencies/{private_dependency.uid}").status_code == 200


def test_a_malformed_or_unknown_id_is_a_404(world: World) -> None:
    member = Caller(world.member)
    assert member.get("/dependencies/not-a-uuid").status_code == 404
    assert member.get("/dependencies/00000000-0000-4000-8000-000000000000").status_code == 404
    assert member.get("/dependencies", period="not-a-uuid").status_code == 404


# Lists: filters, pages, sync ----------------------------------------------------------------


def test_the_list_filters_by_period_team_and_state(
    world: World, objective: Objective, provider: Member, next_period: Period
) -> None:
    design = org_services.create_team(organization=world.org, actor=world.admin, name="Design")
    to_platform = ask(world, objective)
    to_design = ask(world, objective, providing_team=design)
    later_goal = okr_services.create_objective(
        actor=world.member, period=next_period, title="Later", owner_teams=[world.team]
    )
    later = ask(world, later_goal)
    alignment_services.change_dependency_state(
        actor=provider, dependency=to_platform, to_state=S.ACCEPTED, comment="Yes"
    )
    member = Caller(world.member)

    def ids(**params: str) -> set[str]:
        response = member.get("/dependencies", **params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    everything = {str(d.uid) for d in (to_platform, to_design, later)}
    assert ids() == everything
    assert ids(period=str(world.period.uid)) == {str(to_platform.uid), str(to_design.uid)}
    assert ids(team=str(design.uid)) == {str(to_design.uid)}
    assert ids(team=str(world.team.uid)) == everything
    assert ids(state="accepted") == {str(to_platform.uid)}
    assert ids(state="proposed", team=str(world.other_team.uid)) == {str(later.uid)}
    response = member.get("/dependencies", state="approved")
    assert response.status_code == 422 and response.json()["field"] == "state"
    response = member.get("/dependencies", updated_since="0001-01-01T00:00:00+05:00")
    assert response.status_code == 422 and response.json()["field"] == "updated_since"


def test_the_list_pages_in_a_stable_order_and_syncs_incrementally(
    world: World, objective: Objective, provider: Member
) -> None:
    requests = [ask(world, objective, need=f"Need {n}") for n in range(5)]
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    for minutes, request in enumerate(requests):
        Dependency.objects.filter(pk=request.pk).update(
            updated_at=an_hour_ago + dt.timedelta(minutes=minutes)
        )
    member = Caller(world.member)
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = member.get("/dependencies", limit=2, offset=offset).json()
        assert page["limit"] == 2
        seen += [item["id"] for item in page["items"]]
        offset = page["next_offset"]
    assert seen == [str(d.uid) for d in requests]

    last_seen = member.get("/dependencies").json()["items"][-1]["updated_at"]
    assert [
        i["id"] for i in member.get("/dependencies", updated_since=last_seen).json()["items"]
    ] == [str(requests[-1].uid)]
    alignment_services.change_dependency_state(
        actor=provider, dependency=requests[1], to_state=S.DECLINED, comment="No"
    )
    alignment_services.comment_on_dependency(
        actor=provider, dependency=requests[2], comment="Maybe later"
    )
    naive = (an_hour_ago + dt.timedelta(minutes=3)).astimezone(dt.UTC).replace(tzinfo=None)
    changed = member.get("/dependencies", updated_since=naive.isoformat()).json()["items"]
    assert len(changed) == 4  # a time without a zone is UTC
    changed = member.get("/dependencies", updated_since=last_seen).json()["items"]
    assert [item["id"] for item in changed] == [
        str(requests[-1].uid),
        str(requests[1].uid),
        str(requests[2].uid),
    ]
    assert changed[1]["state"] == "declined"


def _grow(world: World, design: Team, count: int) -> None:
    for n in range(count):
        goal = okr_services.create_objective(
            actor=world.member, period=world.period, title=f"Goal {n}", owner_teams=[world.team]
        )
        kr = okr_services.create_key_result(
            actor=world.member, objective=goal, title=f"KR {n}", target_value=10
        )
        ask(world, goal, key_result=kr)
        ask(world, goal, providing_team=design)


def test_the_list_reads_a_fixed_number_of_queries_whatever_its_length(
    world: World, platform_initiative: Initiative
) -> None:
    design = org_services.create_team(organization=world.org, actor=world.admin, name="Design")
    member = Caller(world.member)

    def count() -> int:
        member.get("/dependencies")  # the token's last-used time is written once a minute
        with CaptureQueriesContext(connection) as queries:
            response = member.get("/dependencies", period=str(world.period.uid), limit=200)
        assert response.status_code == 200
        return len(queries)

    _grow(world, design, 2)
    small = count()
    _grow(world, design, 4)
    assert count() == small
