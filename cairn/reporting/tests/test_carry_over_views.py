"""Carrying one objective over from its page, the "continued from / in" links both ways, and
how a closed objective and key result read (a badge, a banner, no write buttons)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as orgs
from cairn.reporting import services
from cairn.reporting.tests.closing_world import Closing, build

pytestmark = pytest.mark.django_db


def carry_url(objective: Objective) -> str:
    return reverse("reporting:carry_over", args=["acme", objective.uid])


def objective_url(objective: Objective) -> str:
    return reverse("okrs:objective", args=["acme", objective.uid])


def key_result_url(key_result: KeyResult) -> str:
    return reverse("checkins:key_result", args=["acme", key_result.uid])


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


@pytest.fixture
def closing(world: World) -> Closing:
    built = build(world)
    services.close_period(period=world.period, actor=world.admin)
    built.objective.refresh_from_db()
    return built


def test_the_objective_page_offers_carry_over_to_those_who_may_change_it(
    world: World, member_client: Client, viewer_client: Client, closing: Closing
) -> None:
    assert carry_url(closing.objective) in text(member_client.get(objective_url(closing.objective)))
    assert carry_url(closing.objective) not in text(
        viewer_client.get(objective_url(closing.objective))
    )


def test_carry_over_is_a_404_for_a_hidden_objective_and_a_403_without_rights(
    world: World, member_client: Client, private_objective: Objective, closing: Closing
) -> None:
    assert member_client.get(carry_url(private_objective)).status_code == 404
    assert member_client.post(carry_url(private_objective)).status_code == 404
    # Ada's own objective: Mia may see it, not change it.
    assert member_client.get(carry_url(closing.company)).status_code == 403
    assert member_client.post(carry_url(closing.company)).status_code == 403


def test_the_form_ticks_the_unfinished_key_results_and_goes_to_the_continuation(
    world: World, member_client: Client, closing: Closing
) -> None:
    page = member_client.get(carry_url(closing.objective))
    assert page.status_code == 200
    html = text(page)
    assert "It continues in 2027 Q1" in html
    form = page.context["form"]
    assert set(form.initial["key_results"]) == {closing.signups.uid, closing.private.uid}
    response = member_client.post(
        carry_url(closing.objective), {"key_results": [str(closing.signups.uid)]}
    )
    new = Objective.objects.get(continued_from=closing.objective)
    assert response.status_code == 302
    assert response["Location"] == objective_url(new)
    assert [kr.title for kr in new.key_results.all()] == ["Signups"]
    # Again: only what is left is offered, and it joins the same continuation.
    page = member_client.get(carry_url(closing.objective))
    assert "It already continues as" in text(page)
    assert [kr.title for kr in page.context["form"].fields["key_results"].queryset] == [
        "Demo calls",
        "Private pipeline",
    ]
    member_client.post(carry_url(closing.objective), {"key_results": [str(closing.private.uid)]})
    assert sorted(kr.title for kr in new.key_results.all()) == ["Private pipeline", "Signups"]


def test_form_errors_are_shown_on_the_form(
    world: World, member_client: Client, closing: Closing
) -> None:
    for data, field in (
        ({}, "key_results"),
        ({"key_results": ["not-a-uuid"]}, "key_results"),
        ({"key_results": [str(closing.demos.uid)]}, "key_results"),
    ):
        response = member_client.post(carry_url(closing.objective), data)
        assert response.status_code == 200, data
        assert response.context["form"].errors[field], data
    assert not Objective.objects.filter(continued_from=closing.objective).exists()


def test_a_closed_next_period_is_said_on_the_form(
    world: World, member_client: Client, closing: Closing
) -> None:
    assert closing.next_period is not None
    services.close_period(period=closing.next_period, actor=world.admin)
    response = member_client.post(
        carry_url(closing.objective), {"key_results": [str(closing.signups.uid)]}
    )
    assert response.status_code == 200
    assert "2027 Q1 is closed" in str(response.context["form"].non_field_errors())


def test_without_a_next_period_the_page_says_so_and_an_admin_creates_it(
    world: World, admin_client: Client, member_client: Client
) -> None:
    built = build(world, with_next=False)
    html = text(member_client.get(carry_url(built.objective)))
    assert "There is no period after 2026 Q4 yet" in html
    assert "Ask an admin to create it." in html
    response = member_client.post(
        carry_url(built.objective), {"key_results": [str(built.signups.uid)]}
    )
    assert response.status_code == 200
    assert not Objective.objects.filter(continued_from=built.objective).exists()
    page = carry_url(built.objective)
    assert "Create 2027 Q1" in text(admin_client.get(page))
    create = reverse("reporting:create_next_period", args=["acme", world.period.uid])
    response = admin_client.post(create, {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert "It continues in 2027 Q1" in text(admin_client.get(page))


def test_continued_from_and_in_link_both_ways(
    world: World, member_client: Client, closing: Closing
) -> None:
    new = services.carry_over(actor=world.member, objective=closing.objective)
    signups = new.key_results.get(title="Signups")
    old_page = text(member_client.get(objective_url(closing.objective)))
    assert "Continued in" in old_page and objective_url(new) in old_page
    assert f"continued it in {new.title} (2027 Q1)" in old_page  # its history says so too
    new_page = text(member_client.get(objective_url(new)))
    assert "Continued from" in new_page and objective_url(closing.objective) in new_page
    assert "(2026 Q4)" in new_page
    kr_page = text(member_client.get(key_result_url(signups)))
    assert "Continued from" in kr_page and key_result_url(closing.signups) in kr_page
    old_kr_page = text(member_client.get(key_result_url(closing.signups)))
    assert "Continued in" in old_kr_page and key_result_url(signups) in old_kr_page
    assert "(2027 Q1)" in old_kr_page


def test_a_continuation_the_reader_may_not_see_is_not_linked(
    world: World, viewer_client: Client, member_client: Client, closing: Closing
) -> None:
    new = services.carry_over(actor=world.member, objective=closing.objective)
    okrs.update_objective(
        objective=new, actor=world.member, title="SECRET-NEXT", visibility="private"
    )
    assert "SECRET-NEXT" in text(member_client.get(objective_url(closing.objective)))
    html = text(viewer_client.get(objective_url(closing.objective)))
    assert "Continued in" not in html and "SECRET-NEXT" not in html
    # The private key result's continuation, from its own (hidden) side, neither.
    private_next = new.key_results.get(title="Private pipeline")
    assert viewer_client.get(key_result_url(private_next)).status_code == 404


def test_a_closed_objective_reads_as_closed_without_write_buttons(
    world: World, admin_client: Client, closing: Closing
) -> None:
    html = text(admin_client.get(objective_url(closing.objective)))
    assert 'badge--closed">Closed<' in html
    assert "Read-only: 2026 Q4 was closed on" in html and "by Ada Admin" in html
    slug = "acme"
    for name in ("objective_edit", "objective_delete", "objective_align", "key_result_new"):
        assert reverse(f"okrs:{name}", args=[slug, closing.objective.uid]) not in html, name
    assert reverse("okrs:initiative_new", args=[slug, closing.objective.uid]) not in html
    assert reverse("checkins:check_in_new", args=[slug, closing.signups.uid]) not in html
    assert reverse("okrs:key_result_edit", args=[slug, closing.signups.uid]) not in html
    planned = closing.initiatives["planned"]
    assert reverse("okrs:initiative_edit", args=[slug, planned.uid]) not in html
    assert reverse("okrs:alignment_delete", args=[slug, closing.alignment.uid]) not in html  # type: ignore[union-attr]
    # Carry-over stays: it writes only the next period.
    assert carry_url(closing.objective) in html
    kr_html = text(admin_client.get(key_result_url(closing.signups)))
    assert "Read-only: 2026 Q4 was closed on" in kr_html
    assert reverse("checkins:check_in_new", args=[slug, closing.signups.uid]) not in kr_html
    assert reverse("okrs:key_result_edit", args=[slug, closing.signups.uid]) not in kr_html
    assert reverse("checkins:check_in_delete", args=[slug, closing.blocker.uid]) not in kr_html
    deps = text(
        admin_client.get(
            reverse("alignment:objective_dependencies", args=[slug, closing.objective.uid])
        )
    )
    assert reverse("alignment:dependency_new", args=[slug, closing.objective.uid]) not in deps
    dependency = closing.dependency
    assert dependency is not None
    thread = text(admin_client.get(reverse("alignment:dependency", args=[slug, dependency.uid])))
    assert reverse("alignment:dependency_comment", args=[slug, dependency.uid]) not in thread
    assert reverse("alignment:dependency_move", args=[slug, dependency.uid]) not in thread
    assert "the request is read-only" in thread
    sync = text(admin_client.get(reverse("checkins:sync", args=[slug, closing.objective.uid])))
    assert 'id="sync-record"' not in sync


def test_a_team_closure_reads_as_the_teams(world: World, admin_client: Client) -> None:
    built = build(world)
    orgs.update_team(team=world.team, actor=world.admin, lead=world.member)
    services.close_for_team(period=world.period, team=world.team, actor=world.member)
    html = text(admin_client.get(objective_url(built.objective)))
    assert "Read-only: Product closed 2026 Q4 on" in html and "(Mia Member)" in html


def test_an_open_objective_has_no_banner_and_keeps_its_buttons(
    world: World, admin_client: Client
) -> None:
    built = build(world)
    html = text(admin_client.get(objective_url(built.objective)))
    assert "Read-only" not in html and 'badge--closed">Closed<' not in html
    assert reverse("okrs:objective_edit", args=["acme", built.objective.uid]) in html
    assert reverse("checkins:check_in_new", args=["acme", built.signups.uid]) in html
