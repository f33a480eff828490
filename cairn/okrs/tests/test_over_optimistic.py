"""A key result leaning on a dependency nobody accepted is flagged over-optimistic everywhere
its health shows. The roll-up is written straight here: okrs does not depend on alignment."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import KeyResult, Objective

pytestmark = pytest.mark.django_db
FLAG = "Over-optimistic"


def pages(world: World, objective: Objective) -> dict[str, str]:
    period = f"?period={world.period.uid}"
    return {
        "objective": reverse("okrs:objective", args=["acme", objective.uid]),
        "home": reverse("okrs:home", args=["acme"]) + period,
        "team": reverse("okrs:team", args=["acme", world.team.uid]) + period,
    }


def test_a_key_result_with_no_unaccepted_dependency_is_not_flagged(
    world: World, member_client: Client, objective: Objective, key_result: KeyResult
) -> None:
    for name, address in pages(world, objective).items():
        html = member_client.get(address).content.decode()
        assert key_result.title in html, name
        assert FLAG not in html, name


@pytest.mark.parametrize("page", ["objective", "home", "team"])
def test_a_key_result_leaning_on_an_unaccepted_dependency_is_flagged(
    world: World, member_client: Client, objective: Objective, key_result: KeyResult, page: str
) -> None:
    calm = services.create_key_result(
        actor=world.member, objective=objective, title="Calm KR", target_value=10
    )
    KeyResult.objects.filter(pk=key_result.pk).update(unaccepted_dependencies=2)
    html = member_client.get(pages(world, objective)[page]).content.decode()
    assert html.count(FLAG) == 1
    # The flag sits with its own key result, not the calm one.
    flagged_at = html.index(FLAG)
    assert html.rfind(key_result.title, 0, flagged_at) > html.rfind(calm.title, 0, flagged_at)


def test_the_team_page_flags_its_peoples_key_results_on_other_objectives(
    world: World, member_client: Client
) -> None:
    personal = services.create_objective(
        actor=world.member, period=world.period, title="My own goal", owner_person=world.member
    )
    kr = services.create_key_result(
        actor=world.member, objective=personal, title="Personal KR", target_value=10
    )
    KeyResult.objects.filter(pk=kr.pk).update(unaccepted_dependencies=1)
    html = member_client.get(pages(world, personal)["team"]).content.decode()
    assert "Personal KR" in html and FLAG in html


def test_the_person_page_flags_it_too(
    world: World, member_client: Client, key_result: KeyResult
) -> None:
    KeyResult.objects.filter(pk=key_result.pk).update(unaccepted_dependencies=1)
    address = reverse("okrs:person", args=["acme", world.member.uid])
    html = member_client.get(address + f"?period={world.period.uid}").content.decode()
    assert key_result.title in html and FLAG in html
