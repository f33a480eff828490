"""The "Align to…" form in a large organization (`okrs.queries.align`): suggestions and a
search instead of every objective of the period, and any visible candidate accepted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Alignment, Objective
from cairn.okrs.queries import align as align_queries
from cairn.orgs import services as org_services

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, *args: object) -> str:
    return reverse(f"okrs:{name}", args=["acme", *args])


@pytest.fixture
def big_org(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, Objective]:
    """More candidates than the form lists (two, here): Product sits below Company; Growth
    beside it under Company; Platform is a top-level team."""
    monkeypatch.setattr(align_queries, "ALIGN_CHOICES", 2)
    company = org_services.create_team(organization=world.org, actor=world.admin, name="Company")
    org_services.update_team(team=world.team, actor=world.admin, parent=company)
    growth = org_services.create_team(
        organization=world.org, actor=world.admin, name="Growth", parent=company
    )
    made = {}
    for title, team in (
        ("Company goal", company),
        ("Growth goal", growth),
        ("Growth other", growth),
        ("Platform goal", world.other_team),
    ):
        made[title] = services.create_objective(
            actor=world.admin, period=world.period, title=title, owner_teams=[team]
        )
    return made


def test_a_large_organizations_align_form_suggests_and_searches(
    world: World, member_client: Client, objective: Objective, big_org: dict[str, Objective]
) -> None:
    html = member_client.get(url("objective_align", objective.uid)).content.decode()
    # The teams above Product's (Company) and the top-level teams (Platform, Company).
    assert "Company goal" in html and "Platform goal" in html
    assert "Growth goal" not in html and 'name="q"' in html
    found = member_client.get(url("objective_align", objective.uid), {"q": "growth"}, headers=HTMX)
    fragment = found.content.decode()
    assert fragment.lstrip().startswith('<div class="add-slot"')
    assert "Growth goal" in fragment and "Growth other" in fragment
    assert "Company goal" not in fragment


def test_any_visible_candidate_may_be_chosen_listed_or_not(
    world: World, member_client: Client, objective: Objective, big_org: dict[str, Objective]
) -> None:
    parent = big_org["Growth other"]
    response = member_client.post(
        url("objective_align", objective.uid), {"parent": f"o:{parent.uid}"}
    )
    assert response.status_code == 302
    assert Alignment.objects.filter(child=objective, parent_objective=parent).exists()
    for value in ("o:not-a-uuid", "x:" + str(parent.uid), f"o:{objective.uid}"):
        response = member_client.post(url("objective_align", objective.uid), {"parent": value})
        assert response.status_code == 200
        assert response.context["form"].errors["parent"]


def test_a_failed_choice_found_by_search_is_drawn_again_with_its_search(
    world: World, member_client: Client, objective: Objective, big_org: dict[str, Objective]
) -> None:
    child = big_org["Growth goal"]
    services.align(actor=world.admin, child=child, parent_objective=objective)
    response = member_client.post(
        url("objective_align", objective.uid), {"parent": f"o:{child.uid}", "q": "growth"}
    )
    assert response.status_code == 200
    assert "cycle" in str(response.context["form"].errors["parent"])
    html = response.content.decode()
    assert f'value="o:{child.uid}" selected' in html and 'value="growth"' in html
