"""The teams the gate remembers for one request follow membership changes made with it."""

from __future__ import annotations

import pytest

from cairn.conftest import World
from cairn.orgs import services
from cairn.orgs.access import team_ids_of

pytestmark = pytest.mark.django_db


def test_joining_leaving_and_leading_a_team_refresh_the_remembered_teams(world: World) -> None:
    member = world.member
    assert world.other_team.pk not in team_ids_of(member)
    services.add_team_member(team=world.other_team, member=member, actor=world.admin)
    assert world.other_team.pk in team_ids_of(member)
    services.remove_team_member(team=world.other_team, member=member, actor=world.admin)
    assert world.other_team.pk not in team_ids_of(member)
    services.update_team(team=world.other_team, actor=world.admin, lead=member)
    assert world.other_team.pk in team_ids_of(member)
