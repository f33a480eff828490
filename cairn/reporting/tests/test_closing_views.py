"""The closing checklist (issue 6): who sees it, what it lists and links to, closing and
reopening from it, carrying over from it, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.checkins.models import CheckIn
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as orgs
from cairn.orgs.models import Member, Period, PeriodKind, PeriodState, TeamClosure
from cairn.reporting import services
from cairn.reporting.tests.closing_world import Closing, build

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, period: Period, team: object = None, org: str = "acme") -> str:
    path = reverse(f"reporting:{name}", args=[org, period.uid])
    return f"{path}?team={team.uid}" if team is not None else path  # type: ignore[attr-defined]


def lead_of_product(world: World) -> Member:
    orgs.update_team(team=world.team, actor=world.admin, lead=world.member)
    world.team.refresh_from_db()
    return world.member


@pytest.fixture
def closing(world: World) -> Closing:
    return build(world)


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


# Who -----------------------------------------------------------------------------------------


def test_an_outsider_gets_404_on_every_closing_page(
    world: World, outsider_client: Client, closing: Closing
) -> None:
    period = world.period
    pages = [
        url("checklist", period),
        url("checklist", period, world.team),
        url("close", period),
        url("reopen", period),
        url("checklist_carry_over", period),
        url("create_next_period", period),
        reverse("reporting:carry_over", args=["acme", closing.objective.uid]),
    ]
    for path in pages:
        assert outsider_client.get(path).status_code in (404, 405), path
        assert outsider_client.post(path, {"note": "x", "reason": "x"}).status_code == 404, path
    # Our uuids under their own organization's slug are a 404 too.
    assert outsider_client.get(url("checklist", period, org="globex")).status_code == 404
    assert outsider_client.post(url("close", period, org="globex")).status_code == 404
    period.refresh_from_db()
    assert period.state == PeriodState.ACTIVE


def test_another_organizations_period_or_team_is_a_404_for_an_admin(
    world: World, admin_client: Client
) -> None:
    assert admin_client.get(url("checklist", world.other_period)).status_code == 404
    globex_team = orgs.create_team(organization=world.other_org, actor=None, name="Globex team")
    assert admin_client.get(url("checklist", world.period, globex_team)).status_code == 404
    assert admin_client.get(url("checklist", world.period) + "?team=not-a-uuid").status_code == 404


@pytest.mark.parametrize("scope", ["org", "team"])
def test_a_viewer_gets_403_on_every_closing_page(
    world: World, viewer_client: Client, closing: Closing, scope: str
) -> None:
    team = world.team if scope == "team" else None
    for name in ("checklist", "close", "reopen"):
        assert viewer_client.get(url(name, world.period, team)).status_code == 403, name
        response = viewer_client.post(url(name, world.period, team), {"reason": "x"})
        assert response.status_code == 403, name
    assert viewer_client.post(url("checklist_carry_over", world.period, team)).status_code == 403
    assert viewer_client.post(url("create_next_period", world.period)).status_code == 403
    carry = reverse("reporting:carry_over", args=["acme", closing.objective.uid])
    assert viewer_client.get(carry).status_code == 403
    assert viewer_client.post(carry, {"key_results": [str(closing.signups.uid)]}).status_code == 403
    assert not Objective.objects.filter(continued_from=closing.objective).exists()
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.ACTIVE


def test_a_member_who_leads_no_team_gets_403(world: World, member_client: Client) -> None:
    assert member_client.get(url("checklist", world.period)).status_code == 403
    assert member_client.get(url("checklist", world.period, world.team)).status_code == 403
    assert member_client.post(url("close", world.period, world.team)).status_code == 403
    assert not TeamClosure.objects.exists()


def test_a_team_lead_has_the_teams_checklist_only(world: World, member_client: Client) -> None:
    lead_of_product(world)
    assert member_client.get(url("checklist", world.period, world.team)).status_code == 200
    assert member_client.get(url("checklist", world.period)).status_code == 403
    assert member_client.get(url("checklist", world.period, world.other_team)).status_code == 403
    assert member_client.post(url("close", world.period)).status_code == 403
    assert member_client.get(url("reopen", world.period, world.team)).status_code == 403


# What it lists -------------------------------------------------------------------------------


def test_the_checklist_lists_what_is_open_with_links_to_fix_it(
    world: World, admin_client: Client, closing: Closing
) -> None:
    response = admin_client.get(url("checklist", world.period))
    assert response.status_code == 200
    data = response.context["checklist"]
    assert [kr.title for kr in data.missing_results] == ["Signups", "Private pipeline"]
    assert [c.pk for c in data.open_blockers] == [closing.blocker.pk]
    assert [i.title for i in data.open_initiatives] == ["Referral flow", "Landing page"]
    assert [item.objective.title for item in data.unfinished] == [closing.objective.title]
    html = text(response)
    assert 'data-count="missing-results">2<' in html
    assert 'data-count="open-blockers">1<' in html
    assert 'data-count="open-initiatives">2<' in html
    assert 'data-count="unfinished">1<' in html
    slug = "acme"
    assert reverse("checkins:check_in_new", args=[slug, closing.signups.uid]) in html
    assert reverse("checkins:blocker_resolve", args=[slug, closing.blocker.uid]) in html
    planned = closing.initiatives["planned"]
    assert reverse("okrs:initiative_edit", args=[slug, planned.uid]) in html
    assert reverse("okrs:initiative_defer", args=[slug, planned.uid]) in html
    assert "BLOCKER-WORDS" in html
    # Achieved and deferred things are not open items.
    assert "Press kit" not in html and "Partner deals" not in html
    # Carry-over: the unfinished key results offered ticked, the achieved one not.
    assert f'value="{closing.signups.uid}" checked' in html
    assert f'value="{closing.private.uid}" checked' in html
    assert f'value="{closing.demos.uid}">' in html
    assert "Close 2026 Q4…" in html


def test_a_teams_checklist_has_its_own_objectives_and_shared_ones_only(
    world: World, admin_client: Client, closing: Closing
) -> None:
    platform = okrs.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform thing",
        owner_teams=[world.other_team],
    )
    okrs.create_key_result(actor=world.admin, objective=platform, title="PLATFORM-KR")
    shared = okrs.create_objective(
        actor=world.admin,
        period=world.period,
        title="Shared launch",
        owner_teams=[world.team, world.other_team],
    )
    okrs.create_key_result(actor=world.admin, objective=shared, title="SHARED-KR")
    html = text(admin_client.get(url("checklist", world.period, world.team)))
    assert "SHARED-KR" in html and "Signups" in html
    assert "PLATFORM-KR" not in html
    html = text(admin_client.get(url("checklist", world.period, world.other_team)))
    assert "SHARED-KR" in html and "PLATFORM-KR" in html
    assert "Signups" not in html and "Referral flow" not in html


def test_a_leads_team_checklist_never_shows_another_teams_private_key_result(
    world: World, member_client: Client, closing: Closing
) -> None:
    lead = lead_of_product(world)
    hidden = okrs.create_objective(
        actor=world.admin,
        period=world.period,
        title="PRIVATE-OBJECTIVE-MARKER",
        owner_teams=[world.other_team],
        visibility="private",
    )
    okrs.create_key_result(actor=world.admin, objective=hidden, title="PRIVATE-KR-MARKER-1")
    public = okrs.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform public",
        owner_teams=[world.other_team],
    )
    secret = okrs.create_key_result(
        actor=world.admin, objective=public, title="PRIVATE-KR-MARKER-2", visibility="private"
    )
    # Product works on Platform's private key result and has a blocker there: still not shown.
    okrs.create_initiative(
        actor=world.admin,
        objective=public,
        team=world.team,
        title="PRIVATE-INITIATIVE-MARKER",
        key_result=secret,
    )
    from cairn.checkins import services as checkins

    checkins.record_check_in(
        key_result=secret,
        author=world.admin,
        confidence=checkins.Confidence(level=3, needs="PRIVATE-BLOCKER-MARKER"),
        blocker=True,
    )
    response = member_client.get(url("checklist", world.period, world.team))
    assert response.status_code == 200
    html = text(response)
    assert "PRIVATE" not in html
    assert "Signups" in html and "Private pipeline" in html  # its own team's private one
    assert lead == world.member


def test_the_periods_page_links_the_checklist_and_says_who_closed(
    world: World, admin_client: Client, viewer_client: Client
) -> None:
    checklist = url("checklist", world.period)
    assert checklist in text(admin_client.get(reverse("orgs:periods", args=["acme"])))
    assert checklist not in text(viewer_client.get(reverse("orgs:periods", args=["acme"])))
    services.close_for_team(period=world.period, team=world.team, actor=world.admin)
    assert "Closed for Product" in text(viewer_client.get(reverse("orgs:periods", args=["acme"])))
    services.close_period(period=world.period, actor=world.admin)
    html = text(viewer_client.get(reverse("orgs:periods", args=["acme"])))
    assert "Closed by Ada Admin on" in html


def test_the_team_page_links_its_checklist_for_its_lead(
    world: World, member_client: Client, viewer_client: Client
) -> None:
    team_page = reverse("okrs:team", args=["acme", world.team.uid])
    checklist = url("checklist", world.period, world.team)
    assert checklist not in text(member_client.get(team_page))
    lead_of_product(world)
    assert checklist in text(member_client.get(team_page))
    assert checklist not in text(viewer_client.get(team_page))


# Closing and reopening -----------------------------------------------------------------------


def test_closing_with_open_items_shows_them_again_then_closes(
    world: World, admin_client: Client, closing: Closing
) -> None:
    confirm = text(admin_client.get(url("close", world.period)))
    assert "2 key results without a result" in confirm
    assert "1 open blocker" in confirm
    assert "2 initiatives still planned or in progress" in confirm
    fragment = text(admin_client.get(url("close", world.period), headers=HTMX))
    assert "<html" not in fragment and 'id="close-slot"' in fragment
    response = admin_client.post(url("close", world.period), {"note": "Review done"})
    assert response.status_code == 302
    assert response["Location"] == url("checklist", world.period)
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.CLOSED
    html = text(admin_client.get(url("checklist", world.period)))
    day = world.period.closed_at.astimezone(dt.UTC)  # type: ignore[union-attr]
    assert "Closed by Ada Admin on" in html and str(day.year) in html
    assert url("reopen", world.period) in html
    assert "Close 2026 Q4…" not in html
    # The fix-it links are gone with the period: nothing there takes writes.
    assert reverse("checkins:check_in_new", args=["acme", closing.signups.uid]) not in html


def test_closing_an_already_closed_period_says_so_on_the_form(
    world: World, admin_client: Client
) -> None:
    services.close_period(period=world.period, actor=world.admin)
    assert "It is closed already." in text(admin_client.get(url("close", world.period)))
    response = admin_client.post(url("close", world.period), {"note": ""})
    assert response.status_code == 200
    assert "already closed" in str(response.context["form"].non_field_errors())


def test_reopening_needs_a_reason_on_the_form(world: World, admin_client: Client) -> None:
    services.close_period(period=world.period, actor=world.admin)
    response = admin_client.post(url("reopen", world.period), {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.CLOSED
    response = admin_client.post(url("reopen", world.period), {"reason": "Late results"})
    assert response.status_code == 302
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.ACTIVE
    assert "Late results" in text(admin_client.get(url("checklist", world.period)))


def test_a_lead_closes_the_period_for_the_team_and_an_admin_reopens_it(
    world: World, member_client: Client, admin_client: Client, closing: Closing
) -> None:
    lead_of_product(world)
    response = member_client.post(url("close", world.period, world.team), {"note": "Done"})
    assert response.status_code == 302
    assert response["Location"] == url("checklist", world.period, world.team)
    closing.objective.refresh_from_db()
    assert closing.objective.is_closed
    html = text(member_client.get(url("checklist", world.period, world.team)))
    assert "Closed for Product by Mia Member on" in html
    assert url("reopen", world.period, world.team) not in html  # admins reopen
    org_html = text(admin_client.get(url("checklist", world.period)))
    assert url("reopen", world.period, world.team) in org_html
    assert "closed it for Product" in org_html
    response = admin_client.post(url("reopen", world.period, world.team), {"reason": "Oops"})
    assert response.status_code == 302
    closing.objective.refresh_from_db()
    assert not closing.objective.is_closed


def test_reopening_what_is_not_closed_is_a_form_error(world: World, admin_client: Client) -> None:
    response = admin_client.post(url("reopen", world.period, world.team), {"reason": "Why"})
    assert response.status_code == 200
    assert "has not closed" in str(response.context["form"].non_field_errors())


# Carry-over from the checklist ---------------------------------------------------------------


def test_one_objective_is_carried_over_with_the_ticked_key_results(
    world: World, admin_client: Client, closing: Closing
) -> None:
    response = admin_client.post(
        url("checklist_carry_over", world.period),
        {
            "objectives": [],
            "key_results": [str(closing.signups.uid)],
            "only": str(closing.objective.uid),
        },
    )
    assert response.status_code == 302
    new = Objective.objects.get(continued_from=closing.objective)
    assert [kr.title for kr in new.key_results.all()] == ["Signups"]
    html = text(admin_client.get(url("checklist", world.period)))
    assert "Continued in" in html and "continued in" in html
    # What is continued is no longer offered; the other unfinished one still is.
    assert f'value="{closing.signups.uid}"' not in html
    assert f'value="{closing.private.uid}" checked' in html


def test_chosen_objectives_are_carried_over_at_once_over_htmx(
    world: World, admin_client: Client, closing: Closing
) -> None:
    second = okrs.create_objective(
        actor=world.admin, period=world.period, title="Second", owner_person=world.admin
    )
    kr = okrs.create_key_result(actor=world.admin, objective=second, title="Second KR")
    response = admin_client.post(
        url("checklist_carry_over", world.period),
        {
            "objectives": [str(closing.objective.uid), str(second.uid)],
            "key_results": [str(closing.signups.uid), str(closing.private.uid), str(kr.uid)],
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html and 'id="checklist"' in html
    assert "Carried over into 2027 Q1" in html
    assert Objective.objects.filter(continued_from__in=[closing.objective, second]).count() == 2


def test_carry_over_errors_are_shown_on_the_form_and_nothing_is_carried(
    world: World, admin_client: Client, closing: Closing
) -> None:
    cases = [
        ({"objectives": [], "key_results": []}, "Choose the objectives"),
        (
            {"objectives": [str(closing.objective.uid)], "key_results": []},
            "Tick at least one key result",
        ),
        (
            {"only": str(closing.objective.uid), "key_results": [str(closing.demos.uid)]},
            "ended at or beyond its target",
        ),
        ({"only": "not-a-uuid", "key_results": ["nope"]}, ""),
        ({"only": str(closing.company.uid), "key_results": []}, "Select a valid choice"),
    ]
    for data, message in cases:
        response = admin_client.post(url("checklist_carry_over", world.period), data)
        assert response.status_code == 200, data
        assert message in text(response), data
        assert 'class="form__errors"' in text(response), data
    assert not Objective.objects.filter(continued_from=closing.objective).exists()
    assert admin_client.get(url("checklist_carry_over", world.period)).status_code == 405


def test_without_a_next_quarter_the_checklist_offers_to_create_it(
    world: World, admin_client: Client, member_client: Client
) -> None:
    built = build(world, with_next=False)
    html = text(admin_client.get(url("checklist", world.period)))
    assert "There is no period after 2026 Q4 yet" in html
    assert "Create 2027 Q1" in html
    lead_of_product(world)
    lead_html = text(member_client.get(url("checklist", world.period, world.team)))
    assert "Ask an admin to create it." in lead_html and "Create 2027 Q1" not in lead_html
    back = url("checklist", world.period) + "#carry-over"
    response = admin_client.post(url("create_next_period", world.period), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert Period.objects.get(organization=world.org, name="2027 Q1").start == dt.date(2027, 1, 1)
    html = text(admin_client.get(url("checklist", world.period)))
    assert "There is no period after" not in html
    assert "Carry the chosen objectives over into 2027 Q1" in html
    # Twice is no second period.
    admin_client.post(url("create_next_period", world.period), {"next": back})
    assert Period.objects.filter(organization=world.org, kind="quarter").count() == 2
    assert built.next_period is None


def test_a_year_without_a_next_year_links_to_the_periods_page(
    world: World, admin_client: Client
) -> None:
    year = orgs.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026",
        kind=PeriodKind.YEAR,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    objective = okrs.create_objective(
        actor=world.admin, period=year, title="Year goal", owner_person=world.admin
    )
    okrs.create_key_result(actor=world.admin, objective=objective, title="Year KR")
    html = text(admin_client.get(url("checklist", year)))
    assert reverse("orgs:period_create", args=["acme"]) in html
    response = admin_client.post(url("create_next_period", year), follow=True)
    assert "on the Periods page" in text(response)
    assert not Period.objects.filter(kind=PeriodKind.YEAR).exclude(pk=year.pk).exists()


# Shape ---------------------------------------------------------------------------------------


def test_htmx_gets_the_checklist_fragment(world: World, admin_client: Client) -> None:
    html = text(admin_client.get(url("checklist", world.period), headers=HTMX))
    assert "<html" not in html and 'id="checklist"' in html
    assert "Vary" in admin_client.get(url("checklist", world.period)).headers


def _grow(world: World, n: int, start: int) -> None:
    from cairn.checkins import services as checkins

    for i in range(start, start + n):
        objective = okrs.create_objective(
            actor=world.admin,
            period=world.period,
            title=f"Objective {i}",
            owner_teams=[world.team, world.other_team] if i % 2 else [world.team],
            visibility="private" if i % 3 == 0 else "public",
        )
        for j in range(2):
            kr = okrs.create_key_result(
                actor=world.admin, objective=objective, title=f"KR {i}.{j}", owner=world.member
            )
            checkins.record_check_in(
                key_result=kr,
                author=world.member,
                confidence=checkins.Confidence(level=4, needs=f"Blocked {i}.{j}"),
                blocker=True,
            )
        okrs.create_initiative(
            actor=world.admin, objective=objective, team=world.team, title=f"Work {i}"
        )


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("scope", ["org", "team"])
def test_the_checklist_takes_the_same_number_of_queries_for_3x_the_data(
    world: World, admin_client: Client, member_client: Client, closing: Closing, scope: str
) -> None:
    lead_of_product(world)
    client, team = (admin_client, None) if scope == "org" else (member_client, world.team)
    path = url("checklist", world.period, team)
    _grow(world, 3, 0)
    small = _queries(client, path)
    _grow(world, 6, 3)
    services.carry_over(actor=world.admin, objective=Objective.objects.get(title="Objective 1"))
    large = _queries(client, path)
    assert small == large
    assert CheckIn.objects.filter(is_blocker=True).count() > 18
    assert KeyResult.objects.count() > 20
