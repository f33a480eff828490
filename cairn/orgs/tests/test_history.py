"""Every create, change and delete of objectives, key results, initiatives, teams and
memberships leaves a history event: who, what, which fields from what to what."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import history
from cairn.orgs import services as org_services
from cairn.orgs.models import HistoryEvent, Role

pytestmark = pytest.mark.django_db

Action = HistoryEvent.Action


def last_event(world: World, kind: str, uid: uuid.UUID) -> HistoryEvent:
    event = history.history_of(world.org, kind, uid).first()
    assert event is not None, f"no history for {kind} {uid}"
    return event


def events(world: World, kind: str, uid: uuid.UUID) -> list[HistoryEvent]:
    return list(history.history_of(world.org, kind, uid))


# Objectives ---------------------------------------------------------------------------------


def test_creating_an_objective_records_who_and_what(world: World) -> None:
    objective = okr_services.create_objective(
        actor=world.member, period=world.period, title="Launch", owner_teams=[world.team]
    )
    event = last_event(world, "objective", objective.uid)
    assert (event.action, event.actor, event.target_label) == (
        Action.CREATED,
        world.member,
        "Launch",
    )
    assert event.changes["title"] == [None, "Launch"]
    assert event.changes["period"] == [None, "2026 Q4"]
    assert event.changes["owner_teams"] == [None, ["Product"]]
    assert event.organization == world.org


def test_changing_an_objective_records_from_and_to(world: World, objective: Objective) -> None:
    okr_services.update_objective(
        objective=objective,
        actor=world.admin,
        title="Relaunch",
        visibility="private",
        owner_teams=[world.team, world.other_team],
    )
    event = last_event(world, "objective", objective.uid)
    assert (event.action, event.actor) == (Action.UPDATED, world.admin)
    assert event.changes == {
        "title": ["Launch the Acme product successfully", "Relaunch"],
        "visibility": ["public", "private"],
        "owner_teams": [["Product"], ["Platform", "Product"]],
    }


def test_an_update_that_changes_nothing_records_nothing(world: World, objective: Objective) -> None:
    before = len(events(world, "objective", objective.uid))
    okr_services.update_objective(objective=objective, actor=world.admin, title=objective.title)
    assert len(events(world, "objective", objective.uid)) == before


def test_deleting_an_objective_records_it_and_everything_deleted_with_it(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    initiative = okr_services.create_initiative(
        actor=world.member,
        objective=objective,
        key_result=key_result,
        team=world.team,
        title="Beta",
    )
    okr_services.delete_objective(objective=objective, actor=world.admin)
    for kind, uid in (
        ("objective", objective.uid),
        ("key_result", key_result.uid),
        ("initiative", initiative.uid),
    ):
        event = last_event(world, kind, uid)
        assert (event.action, event.actor) == (Action.DELETED, world.admin)
    assert last_event(world, "objective", objective.uid).target_label == objective.title


def test_alignment_is_recorded_on_the_child(world: World, objective: Objective) -> None:
    child = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Child", owner_person=world.admin
    )
    link = okr_services.align(actor=world.member, child=child, parent_objective=objective)
    added = last_event(world, "objective", child.uid)
    assert (added.action, added.actor) == (Action.ADDED, world.member)
    assert added.changes == {"aligned_to": [None, objective.title]}
    okr_services.unalign(actor=world.admin, link=link)
    removed = last_event(world, "objective", child.uid)
    assert removed.action == Action.REMOVED
    assert removed.changes == {"aligned_to": [objective.title, None]}


# Key results --------------------------------------------------------------------------------


def test_creating_a_key_result_records_its_definition(world: World, objective: Objective) -> None:
    result = okr_services.create_key_result(
        actor=world.member, objective=objective, title="NPS 35", start_value=10, target_value=35
    )
    event = last_event(world, "key_result", result.uid)
    assert (event.action, event.actor) == (Action.CREATED, world.member)
    assert event.changes["start_value"] == [None, "10"]
    assert event.changes["target_value"] == [None, "35"]
    assert event.changes["direction"] == [None, "up"]


def test_changing_a_key_result_records_from_and_to(world: World, key_result: KeyResult) -> None:
    okr_services.update_key_result(
        key_result=key_result,
        actor=world.admin,
        target_value=Decimal("250000.5"),
        owner=world.admin,
    )
    event = last_event(world, "key_result", key_result.uid)
    assert (event.action, event.actor) == (Action.UPDATED, world.admin)
    assert event.changes == {
        "target_value": ["500000", "250000.5"],
        "owner": ["Mia Member", "Ada Admin"],
    }


def test_deleting_a_key_result_records_it_and_its_initiatives(
    world: World, key_result: KeyResult
) -> None:
    initiative = okr_services.create_initiative(
        actor=world.member,
        objective=key_result.objective,
        key_result=key_result,
        team=world.team,
        title="Beta",
    )
    okr_services.delete_key_result(key_result=key_result, actor=world.member)
    for kind, uid in (("key_result", key_result.uid), ("initiative", initiative.uid)):
        event = last_event(world, kind, uid)
        assert (event.action, event.actor) == (Action.DELETED, world.member)


# Initiatives --------------------------------------------------------------------------------


def test_an_initiatives_life_is_recorded(world: World, objective: Objective) -> None:
    initiative = okr_services.create_initiative(
        actor=world.member,
        objective=objective,
        team=world.team,
        title="Beta",
        due=dt.date(2026, 11, 1),
    )
    okr_services.update_initiative(
        initiative=initiative, actor=world.member, state="in_progress", due=dt.date(2026, 11, 15)
    )
    okr_services.delete_initiative(initiative=initiative, actor=world.admin)
    deleted, updated, created = events(world, "initiative", initiative.uid)
    assert (created.action, created.actor) == (Action.CREATED, world.member)
    assert created.changes["team"] == [None, "Product"]
    assert created.changes["due"] == [None, "2026-11-01"]
    assert (updated.action, updated.actor) == (Action.UPDATED, world.member)
    assert updated.changes == {
        "state": ["planned", "in_progress"],
        "due": ["2026-11-01", "2026-11-15"],
    }
    assert (deleted.action, deleted.actor, deleted.target_label) == (
        Action.DELETED,
        world.admin,
        "Beta",
    )


# Teams and memberships ----------------------------------------------------------------------


def test_a_teams_life_is_recorded(world: World) -> None:
    team = org_services.create_team(
        organization=world.org, actor=world.admin, name="Growth", parent=world.team
    )
    org_services.update_team(team=team, actor=world.admin, name="Growth Loops", parent=None)
    org_services.delete_team(team=team, actor=world.admin)
    deleted, updated, created = events(world, "team", team.uid)
    assert created.action == Action.CREATED
    assert created.changes["name"] == [None, "Growth"]
    assert created.changes["parent"] == [None, "Product"]
    assert updated.changes == {"name": ["Growth", "Growth Loops"], "parent": ["Product", None]}
    assert (deleted.action, deleted.actor, deleted.target_label) == (
        Action.DELETED,
        world.admin,
        "Growth Loops",
    )


def test_team_memberships_are_recorded(world: World) -> None:
    org_services.add_team_member(team=world.other_team, member=world.viewer, actor=world.admin)
    org_services.remove_team_member(team=world.other_team, member=world.viewer, actor=world.member)
    removed, added = events(world, "team", world.other_team.uid)[:2]
    assert (added.action, added.actor) == (Action.ADDED, world.admin)
    assert added.changes == {"members": [None, "Vic Viewer"]}
    assert (removed.action, removed.actor) == (Action.REMOVED, world.member)
    assert removed.changes == {"members": ["Vic Viewer", None]}


def test_membership_in_the_organization_is_recorded(world: World) -> None:
    person = org_services.add_member(
        organization=world.org,
        email="pat@acme.test",
        role=Role.VIEWER,
        name="Pat",
        actor=world.admin,
    )
    org_services.change_member(member=person, actor=world.admin, role=Role.MEMBER, title="Engineer")
    updated, created = events(world, "member", person.uid)
    assert (created.action, created.actor) == (Action.CREATED, world.admin)
    assert created.changes == {"role": [None, "viewer"]}
    assert updated.changes == {"role": ["viewer", "member"], "title": ["", "Engineer"]}


def test_history_of_one_org_is_not_visible_from_another(world: World, objective: Objective) -> None:
    assert history.history_of(world.other_org, "objective", objective.uid).count() == 0


# The helpers --------------------------------------------------------------------------------


def test_values_are_stored_in_a_readable_json_form() -> None:
    assert history._plain(Decimal("12.5000")) == "12.5"
    assert history._plain(Decimal("100.0000")) == "100"
    assert history._plain(dt.date(2026, 1, 2)) == "2026-01-02"
    assert history._plain(["b", "a"]) == ["a", "b"]
    assert history._plain(None) is None
    assert history._plain(True) is True


def test_diff_lists_only_changed_fields() -> None:
    assert history.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


# Reading it: one sentence per change ---------------------------------------------------------


def _event(action: str, changes: dict[str, Any], kind: str = "team", **extra: Any) -> HistoryEvent:
    return HistoryEvent(
        action=action, target_kind=kind, target_label="Product", changes=changes, **extra
    )


def test_describe_writes_a_sentence_for_each_change(world: World) -> None:
    lines = history.describe(
        [
            _event(Action.CREATED, {"name": [None, "Product"]}, actor=world.admin),
            _event(
                Action.UPDATED, {"lead": ["Ada Admin", "Mia Member"], "description": ["", "Hi"]}
            ),
            _event(Action.UPDATED, {"parent": ["Platform", None]}),
            _event(Action.ADDED, {"members": [None, "Mia Member"]}),
            _event(Action.REMOVED, {"members": ["Mia Member", None]}),
            _event(Action.DELETED, {}, note="merged"),
        ]
    )
    assert [(line.actor, line.text) for line in lines] == [
        ("Ada Admin", "created Product"),
        ("Someone", "changed lead from Ada Admin to Mia Member"),
        ("Someone", "set description to Hi"),
        ("Someone", "cleared parent team (was Platform)"),
        ("Someone", "added Mia Member"),
        ("Someone", "removed Mia Member"),
        ("Someone", "deleted Product"),
    ]
    assert lines[-1].note == "merged"


def test_describe_shows_choices_by_label_keyed_by_the_kind_of_target() -> None:
    extra_choices = {"key_result.kind": {"number": "Number"}}
    [period, key_result, role] = history.describe(
        [
            _event(Action.UPDATED, {"kind": ["quarter", "year"]}, kind="period"),
            _event(Action.UPDATED, {"kind": ["percent", "number"]}, kind="key_result"),
            _event(Action.UPDATED, {"role": ["member", "admin"]}, kind="member"),
        ],
        labels={"key_result.kind": "measure"},
        choices=extra_choices,
    )
    assert period.text == "changed kind from Quarter to Year"
    assert key_result.text == "changed measure from percent to Number"
    assert role.text == "changed role from Member to Admin"


def test_describe_formats_numbers_and_lets_the_caller_hide_values() -> None:
    def hide(name: str, value: Any) -> Any:
        return "a private item" if name == "aligned_to" and value == "SECRET" else value

    [target, aligned, unaligned] = history.describe(
        [
            _event(Action.UPDATED, {"target_value": ["500000", "250000"]}, kind="key_result"),
            _event(Action.ADDED, {"aligned_to": [None, "SECRET"]}, kind="objective"),
            _event(Action.REMOVED, {"aligned_to": ["Company goal", None]}, kind="objective"),
        ],
        labels={"target_value": "target"},
        numbers={"target_value"},
        hide=hide,
    )
    assert target.text == "changed target from 500,000 to 250,000"
    assert aligned.text == "aligned to a private item"
    assert unaligned.text == "removed alignment to Company goal"
