"""Sharing, un-sharing and owning-team changes are on the item's record, as sentences, on its
page (the objective page; the key result page for a key result)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import queries, services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Role

pytestmark = pytest.mark.django_db


def objective_page(client: Client, objective: Objective) -> str:
    return client.get(reverse("okrs:objective", args=["acme", objective.uid])).content.decode()


def key_result_page(client: Client, key_result: KeyResult) -> str:
    return client.get(
        reverse("checkins:key_result", args=["acme", key_result.uid])
    ).content.decode()


def history(html: str) -> str:
    start = html.index('<section id="history"')
    return html[start : html.index("</section>", start)]


def texts(member: Member, kind: str, uid: uuid.UUID) -> list[str]:
    return [line.text for line in queries.history_lines(member, kind, uid)]


@pytest.fixture
def tom(world: World) -> Member:
    return org_services.add_member(
        organization=world.org,
        email="tom@acme.test",
        role=Role.MEMBER,
        name="Tom Teammate",
        actor=world.admin,
    )


def test_sharing_and_unsharing_an_objective_are_on_its_page(
    world: World, member_client: Client, objective: Objective, tom: Member
) -> None:
    services.update_objective(
        objective=objective, actor=world.member, shared_with=[tom, world.viewer]
    )
    services.update_objective(objective=objective, actor=world.member, shared_with=[tom])
    services.update_objective(objective=objective, actor=world.member, shared_with=[])
    lines = texts(world.member, "objective", objective.uid)
    assert lines[:3] == [
        "stopped sharing it with Tom Teammate",
        "stopped sharing it with Vic Viewer",
        "shared it with Tom Teammate, Vic Viewer",
    ]
    html = history(objective_page(member_client, objective))
    assert "shared it with Tom Teammate, Vic Viewer" in html
    assert "stopped sharing it with Vic Viewer" in html


def test_sharing_and_unsharing_a_key_result_are_on_its_page(
    world: World, member_client: Client, key_result: KeyResult, tom: Member
) -> None:
    services.update_key_result(key_result=key_result, actor=world.member, shared_with=[tom])
    services.update_key_result(key_result=key_result, actor=world.member, shared_with=[])
    html = history(key_result_page(member_client, key_result))
    assert "shared it with Tom Teammate" in html
    assert "stopped sharing it with Tom Teammate" in html


def test_swapping_who_it_is_shared_with_reads_as_both_moves(
    world: World, objective: Objective, tom: Member
) -> None:
    services.update_objective(objective=objective, actor=world.member, shared_with=[tom])
    services.update_objective(objective=objective, actor=world.member, shared_with=[world.viewer])
    assert texts(world.member, "objective", objective.uid)[:2] == [
        "shared it with Vic Viewer",
        "stopped sharing it with Tom Teammate",
    ]


def test_adding_and_removing_owning_teams_are_on_the_objective_page(
    world: World, admin_client: Client, objective: Objective
) -> None:
    services.update_objective(
        objective=objective, actor=world.admin, owner_teams=[world.team, world.other_team]
    )
    services.update_objective(objective=objective, actor=world.admin, owner_teams=[world.team])
    html = history(objective_page(admin_client, objective))
    assert "added Platform as an owning team" in html
    assert "removed Platform as an owning team" in html


def test_making_a_dependency_shared_names_the_team_added(
    world: World, member_client: Client, objective: Objective
) -> None:
    services.add_owning_team(
        objective=objective, team=world.other_team, actor=world.admin, note="made shared"
    )
    html = history(objective_page(member_client, objective))
    assert "added Platform as an owning team" in html and "made shared" in html


def test_several_teams_at_once_read_in_the_plural(world: World, objective: Objective) -> None:
    growth = org_services.create_team(organization=world.org, actor=world.admin, name="Growth")
    services.update_objective(
        objective=objective,
        actor=world.admin,
        owner_teams=[world.team, world.other_team, growth],
    )
    assert texts(world.admin, "objective", objective.uid)[0] == (
        "added Growth, Platform as owning teams"
    )


def test_other_changes_of_the_same_save_keep_their_own_sentence(
    world: World, objective: Objective, tom: Member
) -> None:
    services.update_objective(
        objective=objective, actor=world.member, title="Renamed", shared_with=[tom]
    )
    assert texts(world.member, "objective", objective.uid)[:2] == [
        "changed title from Launch the Acme product successfully to Renamed",
        "shared it with Tom Teammate",
    ]


def test_a_private_parent_is_still_masked_in_the_history(
    world: World, member_client: Client, objective: Objective, private_objective: Objective
) -> None:
    link = services.align(actor=world.admin, child=objective, parent_objective=private_objective)
    services.unalign(actor=world.admin, link=link)
    html = history(objective_page(member_client, objective))
    assert "PRIVATE-MARKER" not in html
    assert html.count("a private item") == 2
