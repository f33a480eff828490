"""The shared OKR's room: one check-in stream from every owning team, the sync view for the
regular meeting, recording a sync, and the over-optimistic flag on the key result page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.alignment import services as alignment_services
from cairn.alignment.models import Dependency
from cairn.checkins import queries, services, syncs
from cairn.checkins.models import CheckIn, Sync
from cairn.conftest import PASSWORD, World, login
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import HistoryEvent, Member, PeriodState, Role, Team

pytestmark = pytest.mark.django_db

# A Wednesday inside the fixture period (2026 Q4, from 1 October).
NOW = dt.datetime(2026, 11, 11, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
LAST_WEEK = dt.date(2026, 11, 4)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def url(name: str, *args: object) -> str:
    return reverse(f"checkins:{name}", args=["acme", *args])


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def person(world: World, name: str, team: Team | None = None, role: str = Role.MEMBER) -> Member:
    return org_services.add_member(
        organization=world.org,
        email=f"{name.lower()}@acme.test",
        role=role,
        name=name,
        password=PASSWORD,
        actor=world.admin,
        team=team,
    )


@pytest.fixture
def pia(world: World) -> Member:
    """A member of the Platform team, the shared objective's second owner."""
    return person(world, "Pia", world.other_team)


@pytest.fixture
def nora(world: World) -> Member:
    """A member in no team: she sees public OKRs but owns none of them."""
    return person(world, "Nora")


@pytest.fixture
def shared(world: World, pia: Member) -> Objective:
    """The alignment text's example: one objective, owned by Product and Platform."""
    return okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Launch the Acme product successfully",
        owner_teams=[world.team, world.other_team],
    )


def make_kr(
    world: World, objective: Objective, title: str, *, visibility: str = "public", **extra: object
) -> KeyResult:
    values: dict[str, object] = {"start_value": 0, "target_value": 100, **extra}
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        visibility=visibility,
        **values,  # type: ignore[arg-type]
    )


def check_in(
    kr: KeyResult,
    author: Member,
    when: dt.datetime,
    *,
    value: int | None = None,
    confidence: int | None = None,
    plan: str = "",
    blocker: bool = False,
    insight: bool = False,
    text: str = "",
) -> CheckIn:
    kr.refresh_from_db()
    return services.record_check_in(
        key_result=kr,
        author=author,
        at=when,
        progress=services.Progress(value=value, comment=text) if value is not None else None,
        confidence=services.Confidence(level=confidence, needs=text) if confidence else None,
        next_up=services.NextUp(plan=plan, due=TODAY + dt.timedelta(days=7)) if plan else None,
        blocker=blocker,
        insight=insight,
    )


# Recording a sync ---------------------------------------------------------------------------


def test_recording_a_sync_stores_date_attendees_notes_and_the_next_date_from_the_cadence(
    world: World, shared: Objective, pia: Member
) -> None:
    sync = syncs.record_sync(
        actor=world.member,
        objective=shared,
        held_on=LAST_WEEK,
        attendees=[world.member, pia, world.member],
        notes="  Agreed to ship the beta first.  ",
    )

    assert sync.held_on == LAST_WEEK
    assert set(sync.attendees.all()) == {world.member, pia}
    assert sync.notes == "Agreed to ship the beta first."
    assert sync.next_sync_on == LAST_WEEK + dt.timedelta(days=14)
    assert sync.recorded_by == world.member


def test_a_given_cadence_becomes_the_objectives_own_and_sets_the_next_date(
    world: World, shared: Objective
) -> None:
    sync = syncs.record_sync(
        actor=world.member,
        objective=shared,
        held_on=LAST_WEEK,
        attendees=[],
        notes="",
        cadence_days=7,
    )
    shared.refresh_from_db()
    assert shared.sync_cadence_days == 7
    assert sync.next_sync_on == dt.date(2026, 11, 11)


def test_a_chosen_next_date_wins_over_the_cadence(world: World, shared: Objective) -> None:
    sync = syncs.record_sync(
        actor=world.member,
        objective=shared,
        held_on=LAST_WEEK,
        attendees=[],
        notes="",
        next_sync_on=dt.date(2026, 11, 30),
        cadence_days=21,
    )
    assert sync.next_sync_on == dt.date(2026, 11, 30)


@pytest.mark.parametrize("cadence", [0, 91, -3, True])
def test_it_rejects_a_cadence_outside_one_to_ninety_days(
    world: World, shared: Objective, cadence: int
) -> None:
    with pytest.raises(ValidationError) as error:
        syncs.record_sync(
            actor=world.member,
            objective=shared,
            held_on=LAST_WEEK,
            attendees=[],
            notes="",
            cadence_days=cadence,
        )
    assert "cadence_days" in error.value.message_dict
    assert not Sync.objects.exists()


def test_it_rejects_a_sync_held_after_the_organizations_today(
    world: World, shared: Objective
) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        syncs.record_sync(
            actor=world.member, objective=shared, held_on=tomorrow, attendees=[], notes=""
        )
    assert "held_on" in error.value.message_dict
    # At noon UTC it is already tomorrow in Auckland: there, the sync has been held.
    world.org.time_zone = "Pacific/Auckland"
    world.org.save(update_fields=["time_zone"])
    world.member.organization = world.org
    sync = syncs.record_sync(
        actor=world.member, objective=shared, held_on=tomorrow, attendees=[], notes=""
    )
    assert sync.held_on == tomorrow


def test_the_next_sync_comes_after_the_one_recorded(world: World, shared: Objective) -> None:
    with pytest.raises(ValidationError) as error:
        syncs.record_sync(
            actor=world.member,
            objective=shared,
            held_on=LAST_WEEK,
            attendees=[],
            notes="",
            next_sync_on=LAST_WEEK,
        )
    assert "next_sync_on" in error.value.message_dict


def test_attendees_are_active_people_of_the_same_organization(
    world: World, shared: Objective, pia: Member
) -> None:
    with pytest.raises(ValidationError) as error:
        syncs.record_sync(
            actor=world.member,
            objective=shared,
            held_on=LAST_WEEK,
            attendees=[world.member, world.outsider],
            notes="",
        )
    assert "attendees" in error.value.message_dict
    pia.is_active = False
    pia.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as error:
        syncs.record_sync(
            actor=world.member, objective=shared, held_on=LAST_WEEK, attendees=[pia], notes=""
        )
    assert "Pia" in str(error.value.message_dict["attendees"])
    assert not Sync.objects.exists()


def test_only_the_objectives_owners_record_a_sync(
    world: World, shared: Objective, nora: Member
) -> None:
    for who in (world.viewer, nora):
        with pytest.raises(PermissionDenied):
            syncs.record_sync(
                actor=who, objective=shared, held_on=LAST_WEEK, attendees=[], notes=""
            )
    with pytest.raises(ValidationError):
        syncs.record_sync(
            actor=world.outsider, objective=shared, held_on=LAST_WEEK, attendees=[], notes=""
        )
    assert not Sync.objects.exists()


def test_a_sync_is_recorded_in_the_objectives_history(world: World, shared: Objective) -> None:
    syncs.record_sync(
        actor=world.member,
        objective=shared,
        held_on=LAST_WEEK,
        attendees=[world.member],
        notes="",
        cadence_days=7,
    )
    event = HistoryEvent.objects.get(
        target_kind="objective", target_uid=shared.uid, action=HistoryEvent.Action.ADDED
    )
    assert event.actor == world.member
    assert event.changes["next_sync"] == [None, "2026-11-11"]
    assert event.changes["days_between_syncs"] == [14, 7]
    assert "2026-11-04" in event.note


def test_a_sync_recorded_late_does_not_move_the_next_sync(world: World, shared: Objective) -> None:
    syncs.record_sync(
        actor=world.member, objective=shared, held_on=LAST_WEEK, attendees=[], notes=""
    )
    syncs.record_sync(
        actor=world.member,
        objective=shared,
        held_on=dt.date(2026, 10, 21),
        attendees=[],
        notes="forgot to record it",
    )
    view = syncs.sync_view(world.member, shared, None)
    assert view.since == LAST_WEEK
    assert view.next_sync_on == LAST_WEEK + dt.timedelta(days=14)
    late = HistoryEvent.objects.filter(target_uid=shared.uid, action="added").order_by("-id")[0]
    assert "next_sync" not in late.changes


# The sync view (reads) ----------------------------------------------------------------------


def test_the_view_compares_value_and_confidence_at_the_start_with_now(
    world: World, shared: Objective, pia: Member
) -> None:
    dau = make_kr(world, shared, "Daily active users")
    quiet = make_kr(world, shared, "Net Promoter Score")
    fresh = make_kr(world, shared, "Conversion to paid")
    check_in(dau, world.member, at(dt.date(2026, 10, 20)), value=10, confidence=8)
    check_in(dau, pia, at(dt.date(2026, 10, 28)), value=20, confidence=7)
    # Deleted history does not count: the value then is the one before it.
    wrong = check_in(dau, pia, at(dt.date(2026, 11, 2)), value=99, confidence=2)
    services.delete_check_in(check_in=wrong, actor=world.admin, reason="typo")
    check_in(dau, world.member, at(LAST_WEEK), value=35, confidence=5)
    check_in(quiet, pia, at(dt.date(2026, 10, 10)), value=30, confidence=6)
    check_in(fresh, pia, at(dt.date(2026, 11, 9)), value=4)

    view = syncs.sync_view(world.member, shared, LAST_WEEK)

    moves = {move.key_result.title: move for move in view.moves}
    assert moves["Daily active users"].value_then == Decimal(20)
    assert moves["Daily active users"].value_now == Decimal(35)
    assert moves["Daily active users"].confidence_then == 7
    assert moves["Daily active users"].confidence_now == 5
    assert moves["Daily active users"].confidence_direction == "down"
    assert moves["Daily active users"].confidence_steps == 2
    assert not moves["Net Promoter Score"].moved
    # No check-in before the view's start: the start value, and no confidence yet.
    assert moves["Conversion to paid"].value_then == Decimal(0)
    assert moves["Conversion to paid"].confidence_then is None
    assert [m.key_result.title for m in view.moved] == ["Daily active users", "Conversion to paid"]


def test_the_view_lists_blockers_and_insights_raised_since_its_start(
    world: World, shared: Objective, pia: Member
) -> None:
    kr = make_kr(world, shared, "Daily active users")
    check_in(kr, pia, at(dt.date(2026, 10, 30)), value=1, blocker=True, text="OLD-BLOCKER")
    new = check_in(kr, pia, at(LAST_WEEK, 9), value=2, blocker=True, text="NEW-BLOCKER")
    learned = check_in(kr, world.member, at(dt.date(2026, 11, 6)), value=3, insight=True)
    check_in(kr, world.member, at(dt.date(2026, 10, 2)), value=1, insight=True)

    view = syncs.sync_view(world.member, shared, LAST_WEEK)

    assert view.blockers == [new]
    assert view.insights == [learned]


def test_each_owning_team_has_its_next_ups_by_who_wrote_them(
    world: World, shared: Objective, pia: Member
) -> None:
    dau = make_kr(world, shared, "Daily active users")
    bugs = make_kr(world, shared, "Fewer than 5 critical bugs")
    nps = make_kr(world, shared, "Net Promoter Score")
    still = make_kr(world, shared, "Revenue share")
    check_in(dau, world.member, at(dt.date(2026, 11, 9)), value=1, plan="Run the onboarding test")
    check_in(bugs, pia, at(dt.date(2026, 11, 9)), value=1, plan="Fix the sign-up crash")
    check_in(nps, world.admin, at(dt.date(2026, 11, 9)), value=1, plan="Survey 50 users")
    # An older plan on the same key result is no longer its Next Up.
    check_in(bugs, pia, at(dt.date(2026, 11, 2)), value=1, plan="Triage the backlog")
    # A reflection without a new plan ends the Next Up: the result goes still.
    check_in(still, pia, at(dt.date(2026, 11, 2)), value=1, plan="Call partners")
    services.record_check_in(
        key_result=still,
        author=pia,
        at=at(dt.date(2026, 11, 9)),
        reflection=services.Reflection(outcome="done"),
    )

    view = syncs.sync_view(world.member, shared, LAST_WEEK)

    groups = {group.team.name if group.team else None: group for group in view.next_ups}
    assert list(groups) == ["Platform", "Product", None]
    assert [i.check_in.next_up_plan for i in groups["Product"].items] == ["Run the onboarding test"]
    assert [i.check_in.next_up_plan for i in groups["Platform"].items] == ["Fix the sign-up crash"]
    # Ada is in neither owning team: her plan shows under the other contributors.
    assert [i.check_in.next_up_plan for i in groups[None].items] == ["Survey 50 users"]


def test_the_view_lists_the_objectives_open_dependencies(
    world: World, shared: Objective, pia: Member
) -> None:
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    legal = org_services.create_team(organization=world.org, actor=world.admin, name="Legal")
    kr = make_kr(world, shared, "Revenue share")

    def ask(team: Team, need: str) -> Dependency:
        return alignment_services.request_dependency(
            actor=world.member,
            objective=shared,
            requesting_team=world.team,
            providing_team=team,
            need=need,
            key_result=kr,
        )

    proposed = ask(sales, "Introductions to 5 partners")
    accepted = ask(legal, "A contract template")
    declined = ask(sales, "A discount budget")
    legal_lead = person(world, "Lea", legal)
    sales_rep = person(world, "Sam", sales)
    alignment_services.change_dependency_state(
        actor=legal_lead, dependency=accepted, to_state="accepted", comment="Yes"
    )
    alignment_services.change_dependency_state(
        actor=sales_rep, dependency=declined, to_state="declined", comment="No budget"
    )

    view = syncs.sync_view(world.member, shared, LAST_WEEK)

    assert {d.pk for d in view.dependencies} == {proposed.pk, accepted.pk}


def test_the_view_starts_at_the_last_sync_else_at_the_period_start(
    world: World, shared: Objective
) -> None:
    assert syncs.sync_view(world.member, shared, None).since == world.period.start
    syncs.record_sync(
        actor=world.member, objective=shared, held_on=dt.date(2026, 10, 21), attendees=[], notes=""
    )
    syncs.record_sync(
        actor=world.member, objective=shared, held_on=LAST_WEEK, attendees=[], notes=""
    )
    view = syncs.sync_view(world.member, shared, None)
    assert view.since == LAST_WEEK and view.since_is_last_sync
    assert [s.held_on for s in view.syncs] == [LAST_WEEK, dt.date(2026, 10, 21)]
    assert view.next_sync_on == LAST_WEEK + dt.timedelta(days=14)


def test_before_a_period_begins_the_view_starts_today(world: World, pia: Member) -> None:
    next_quarter = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
        state=PeriodState.PLANNING,
    )
    goal = okr_services.create_objective(
        actor=world.admin,
        period=next_quarter,
        title="Next quarter",
        owner_teams=[world.team, world.other_team],
    )
    assert syncs.sync_view(world.member, goal, None).since == TODAY


# The sync page ------------------------------------------------------------------------------


def test_the_sync_page_shows_what_moved_next_ups_dependencies_and_the_syncs_so_far(
    world: World, shared: Objective, pia: Member, member_client: Client
) -> None:
    kr = make_kr(world, shared, "Daily active users", unit="DAU")
    check_in(kr, world.member, at(dt.date(2026, 10, 20)), value=10, confidence=8)
    check_in(kr, pia, at(dt.date(2026, 11, 9)), value=25, confidence=5, plan="Fix the crash")
    syncs.record_sync(
        actor=pia,
        objective=shared,
        held_on=LAST_WEEK,
        attendees=[pia, world.member],
        notes="SYNC-NOTES",
    )

    response = member_client.get(url("sync", shared.uid))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Sync view" in html and "Since the last sync, on" in html
    assert 'class="sync-then">10<' in html and 'class="sync-now">25<' in html
    assert "Fix the crash" in html and "SYNC-NOTES" in html
    assert "Pia, Mia Member" in html or "Mia Member, Pia" in html
    assert 'id="sync-record"' in html and 'name="attendees"' in html


def test_a_chosen_date_changes_the_start_of_the_view(
    world: World, shared: Objective, member_client: Client
) -> None:
    kr = make_kr(world, shared, "Daily active users")
    check_in(kr, world.member, at(dt.date(2026, 10, 20)), value=10)
    response = member_client.get(url("sync", shared.uid), {"since": "2026-10-25"})
    assert response.status_code == 200
    assert 'class="sync-then">10<' in response.content.decode()


@pytest.mark.parametrize("since", ["yesterday", "2026-13-45", "2026-12-01", "0001-01-01"])
def test_a_bad_or_future_date_is_a_clear_400_not_a_500(
    world: World, shared: Objective, member_client: Client, since: str
) -> None:
    response = member_client.get(url("sync", shared.uid), {"since": since})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "Showing what moved since" in html


def test_htmx_gets_the_view_fragment(
    world: World, shared: Objective, member_client: Client
) -> None:
    response = member_client.get(
        url("sync", shared.uid), {"since": "2026-10-25"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="sync-view"') and "<html" not in html


def test_a_viewer_reads_the_sync_page_without_the_form(
    world: World, shared: Objective, viewer_client: Client
) -> None:
    response = viewer_client.get(url("sync", shared.uid))
    assert response.status_code == 200
    assert 'id="sync-record"' not in response.content.decode()


def test_the_sync_pages_are_a_404_for_an_outsider(
    world: World, shared: Objective, outsider_client: Client
) -> None:
    for name in ("sync", "sync_record", "objective_check_ins"):
        assert outsider_client.get(url(name, shared.uid)).status_code == 404
    assert outsider_client.post(url("sync_record", shared.uid), {}).status_code == 404


def test_a_private_objectives_room_is_a_404_for_those_who_may_not_see_it(
    world: World, private_objective: Objective, member_client: Client, viewer_client: Client
) -> None:
    for client in (member_client, viewer_client):
        for name in ("sync", "sync_record", "objective_check_ins"):
            assert client.get(url(name, private_objective.uid)).status_code == 404
        assert client.post(url("sync_record", private_objective.uid), {}).status_code == 404


def record_data(**overrides: object) -> dict[str, object]:
    return {
        "held_on": LAST_WEEK.isoformat(),
        "notes": "Beta first",
        "cadence_days": "7",
        "next_sync_on": "",
        **overrides,
    }


def test_the_form_offers_the_owning_teams_people_ticked_and_others_as_guests(
    world: World, shared: Objective, pia: Member, nora: Member, member_client: Client
) -> None:
    html = member_client.get(url("sync_record", shared.uid)).content.decode()
    form = html[html.index('id="sync-record"') :]
    attendees = form[form.index('name="attendees"') - 200 : form.index('name="guests"')]
    assert f'value="{pia.uid}"' in attendees and f'value="{world.member.uid}"' in attendees
    assert attendees.count("checked") == 2
    guests = form[form.index('name="guests"') :]
    assert f'value="{nora.uid}"' in guests and f'value="{world.outsider.uid}"' not in html


def test_an_owning_teams_member_records_a_sync(
    world: World, shared: Objective, pia: Member, nora: Member
) -> None:
    client = login(Client(), pia)
    response = client.post(
        url("sync_record", shared.uid),
        record_data(attendees=[str(pia.uid), str(world.member.uid)], guests=[str(nora.uid)]),
    )
    assert response.status_code == 302
    assert response["Location"] == url("sync", shared.uid)
    sync = Sync.objects.get()
    assert set(sync.attendees.all()) == {pia, world.member, nora}
    assert sync.next_sync_on == dt.date(2026, 11, 11)
    page = client.get(response["Location"]).content.decode()
    assert "Sync recorded." in page


def test_htmx_recording_redirects_the_page_to_the_sync_view(
    world: World, shared: Objective, member_client: Client
) -> None:
    response = member_client.post(
        url("sync_record", shared.uid), record_data(), headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("sync", shared.uid)


def test_bad_input_comes_back_as_form_errors(
    world: World, shared: Objective, member_client: Client
) -> None:
    response = member_client.post(
        url("sync_record", shared.uid), record_data(next_sync_on=LAST_WEEK.isoformat())
    )
    assert response.status_code == 200
    assert "The next sync comes after this one." in response.content.decode()
    response = member_client.post(
        url("sync_record", shared.uid),
        record_data(cadence_days="120"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "closest [data-slot]"
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="sync-record"') and "<html" not in html
    assert not Sync.objects.exists()


def test_viewers_and_people_outside_the_owning_teams_may_not_record(
    world: World, shared: Objective, nora: Member, viewer_client: Client
) -> None:
    assert viewer_client.get(url("sync_record", shared.uid)).status_code == 403
    assert viewer_client.post(url("sync_record", shared.uid), record_data()).status_code == 403
    nora_client = login(Client(), nora)
    assert nora_client.post(url("sync_record", shared.uid), record_data()).status_code == 403
    assert 'id="sync-record"' not in nora_client.get(url("sync", shared.uid)).content.decode()
    assert not Sync.objects.exists()


def test_an_objective_one_person_owns_has_a_sync_view_too(
    world: World, member_client: Client
) -> None:
    goal = okr_services.create_objective(
        actor=world.member, period=world.period, title="Mine", owner_person=world.member
    )
    kr = make_kr(world, goal, "Write the plan")
    check_in(kr, world.member, at(dt.date(2026, 11, 9)), value=5, plan="Draft it")
    response = member_client.post(
        url("sync_record", goal.uid), record_data(attendees=[str(world.member.uid)])
    )
    assert response.status_code == 302
    html = member_client.get(url("sync", goal.uid)).content.decode()
    assert "Draft it" in html and "Current Next Ups" in html and "Shared OKR" not in html


def test_the_sync_page_uses_a_constant_number_of_queries(
    world: World, shared: Objective, pia: Member, member_client: Client
) -> None:
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")

    def add(n: int) -> None:
        for i in range(n):
            kr = make_kr(world, shared, f"KR {KeyResult.objects.count()}")
            check_in(kr, world.member, at(dt.date(2026, 10, 20)), value=1, confidence=6)
            check_in(kr, pia, at(dt.date(2026, 11, 6)), value=2, confidence=7, plan=f"p{i}")
            check_in(kr, world.admin, at(dt.date(2026, 11, 7)), value=3, blocker=True)
            check_in(kr, pia, at(dt.date(2026, 11, 8)), value=3, insight=True)
            alignment_services.request_dependency(
                actor=world.member,
                objective=shared,
                requesting_team=world.team,
                providing_team=sales,
                need=f"need {i}",
                key_result=kr,
            )
            syncs.record_sync(
                actor=world.member,
                objective=shared,
                held_on=dt.date(2026, 10, 1) + dt.timedelta(days=KeyResult.objects.count()),
                attendees=[world.member, pia],
                notes=f"n{i}",
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(url("sync", shared.uid)).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = count()
    add(4)
    assert count() == small


# The check-in stream ------------------------------------------------------------------------


def test_every_owning_teams_member_can_check_in_on_a_shared_key_result(
    world: World, shared: Objective, pia: Member
) -> None:
    kr = make_kr(world, shared, "Daily active users")
    for who in (world.member, pia):
        response = login(Client(), who).post(
            url("check_in_new", kr.uid), {"progress_value": "5", "confidence": "7"}
        )
        assert response.status_code == 302
    assert {c.author for c in CheckIn.objects.filter(key_result=kr)} == {world.member, pia}


def test_the_stream_has_every_teams_check_ins_newest_first(
    world: World, shared: Objective, pia: Member, member_client: Client
) -> None:
    dau = make_kr(world, shared, "Daily active users")
    bugs = make_kr(world, shared, "Critical bugs")
    check_in(dau, world.member, at(dt.date(2026, 11, 2)), value=5, text="MIA-FIRST")
    check_in(bugs, pia, at(dt.date(2026, 11, 5)), value=4, text="PIA-SECOND")
    gone = check_in(dau, pia, at(dt.date(2026, 11, 6)), value=9, text="DELETED-WORDS")
    services.delete_check_in(check_in=gone, actor=world.admin, reason="wrong")

    page = queries.check_in_stream(world.member, shared)
    assert [item.check_in.progress_comment for item in page.items] == ["PIA-SECOND", "MIA-FIRST"]

    html = member_client.get(url("objective_check_ins", shared.uid)).content.decode()
    assert html.index("PIA-SECOND") < html.index("MIA-FIRST")
    assert "DELETED-WORDS" not in html and "Pia" in html


def test_the_stream_is_paged_with_a_more_link_that_works_without_javascript(
    world: World, shared: Objective, member_client: Client
) -> None:
    kr = make_kr(world, shared, "Daily active users")
    for i in range(queries.STREAM_PAGE_SIZE + 3):
        check_in(kr, world.member, NOW - dt.timedelta(hours=i + 1), value=i, text=f"CI-{i:02d}")
    stream = url("objective_check_ins", shared.uid)

    first = member_client.get(stream, headers={"HX-Request": "true"}).content.decode()
    assert first.lstrip().startswith('<section id="room-stream"') and "<html" not in first
    assert "CI-00" in first and f"CI-{queries.STREAM_PAGE_SIZE - 1:02d}" in first
    assert f"CI-{queries.STREAM_PAGE_SIZE:02d}" not in first
    assert f'href="{stream}?page=2"' in first and f'hx-get="{stream}?page=2"' in first

    more = member_client.get(stream, {"page": "2"}, headers={"HX-Request": "true"})
    html = more.content.decode()
    assert html.lstrip().startswith("<li") and "<section" not in html
    assert f"CI-{queries.STREAM_PAGE_SIZE + 2:02d}" in html and "?page=3" not in html

    assert member_client.get(stream, {"page": "2"}).status_code == 200
    assert member_client.get(stream, {"page": "nonsense"}).status_code == 200
    assert member_client.get(stream, {"page": "9" * 30}).status_code == 200


def test_the_stream_uses_a_constant_number_of_queries(
    world: World, shared: Objective, pia: Member, member_client: Client
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            kr = make_kr(world, shared, f"KR {KeyResult.objects.count()}")
            check_in(kr, world.member, at(dt.date(2026, 11, 2)), value=1, confidence=6)
            check_in(kr, pia, at(dt.date(2026, 11, 3)), value=2, plan=f"plan {i}", insight=True)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(url("objective_check_ins", shared.uid)).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small = count()
    add(6)
    assert count() == small


def test_the_objective_page_has_a_room_with_the_sync_link_and_a_lazy_stream(
    world: World, shared: Objective, member_client: Client
) -> None:
    html = member_client.get(reverse("okrs:objective", args=["acme", shared.uid])).content.decode()
    room = html[html.index('id="room"') :]
    stream = url("objective_check_ins", shared.uid)
    assert f'href="{url("sync", shared.uid)}"' in room and "Sync view" in room
    assert f'href="{stream}" hx-get="{stream}" hx-trigger="load"' in room


# Privacy: a private key result in a public objective ------------------------------------------


def test_a_private_key_result_in_a_public_objective_stays_out_of_the_room_for_outsiders_to_it(
    world: World, shared: Objective, pia: Member, nora: Member
) -> None:
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    sam = person(world, "Sam", sales)
    secret = make_kr(
        world, shared, "PRIVATE-MARKER kr", visibility="private", shared_with=[sam], owner=pia
    )
    check_in(
        secret, pia, at(dt.date(2026, 11, 6)), value=3, confidence=4, plan="PRIVATE-MARKER plan"
    )
    check_in(secret, pia, at(dt.date(2026, 11, 7)), value=4, blocker=True, text="PRIVATE-MARKER b")
    check_in(secret, pia, at(dt.date(2026, 11, 8)), value=5, insight=True, text="PRIVATE-MARKER i")
    alignment_services.request_dependency(
        actor=pia,
        objective=shared,
        requesting_team=world.other_team,
        providing_team=sales,
        need="PRIVATE-MARKER need",
        key_result=secret,
    )
    # Sue joins Sales after the request: she may not see the private key result it is for.
    sue = person(world, "Sue", sales)

    for who in (nora, world.viewer, sue):
        view = syncs.sync_view(who, shared, LAST_WEEK)
        assert view.moves == [] and view.blockers == [] and view.insights == []
        assert view.next_ups == [] and view.dependencies == []
        assert queries.check_in_stream(who, shared).items == []
        assert queries.requests_to_my_teams(who) == []
        client = login(Client(), who)
        for page in (
            url("sync", shared.uid),
            url("objective_check_ins", shared.uid),
            reverse("checkins:inbox", args=["acme"]),
        ):
            assert "PRIVATE-MARKER" not in client.get(page).content.decode()

    # Those who may see it do: an owning team's member, and Sam it is shared with.
    assert [m.key_result for m in syncs.sync_view(world.member, shared, LAST_WEEK).moves] == [
        secret
    ]
    assert (
        "PRIVATE-MARKER need"
        in login(Client(), sam).get(reverse("checkins:inbox", args=["acme"])).content.decode()
    )


# The over-optimistic flag on the key result page --------------------------------------------


def test_the_key_result_page_flags_a_result_leaning_on_an_unaccepted_dependency(
    world: World, shared: Objective, member_client: Client
) -> None:
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    sam = person(world, "Sam", sales)
    kr = make_kr(world, shared, "Revenue share")
    check_in(kr, world.member, at(dt.date(2026, 11, 9)), value=10, confidence=8)
    page = url("key_result", kr.uid)
    assert "Over-optimistic" not in member_client.get(page).content.decode()

    dependency = alignment_services.request_dependency(
        actor=world.member,
        objective=shared,
        requesting_team=world.team,
        providing_team=sales,
        need="Introductions to 5 content partners",
        key_result=kr,
    )
    html = member_client.get(page).content.decode()
    head = html[html.index('id="kr-head"') : html.index("</div>", html.index('id="kr-head"'))]
    assert "Over-optimistic" in head and "8/10" in head
    dependency_url = reverse("alignment:dependency", args=["acme", dependency.uid])
    assert f'href="{dependency_url}"' in html and "Introductions to 5 content partners" in html

    alignment_services.change_dependency_state(
        actor=sam, dependency=dependency, to_state="accepted", comment="Yes"
    )
    assert "Over-optimistic" not in member_client.get(page).content.decode()


def test_a_sync_held_long_before_the_period_is_refused(world: World, shared: Objective) -> None:
    with pytest.raises(ValidationError) as raised:
        syncs.record_sync(
            actor=world.member,
            objective=shared,
            held_on=dt.date(1, 1, 1),
            attendees=[],
            notes="",
        )
    assert "held_on" in raised.value.message_dict
