"""Writing check-ins through the web UI: the form (plain and in place), corrections and
tombstones, with the outsider (404) and viewer (403) tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cairn.checkins import services
from cairn.checkins.models import CheckIn, CheckInRevision
from cairn.conftest import World, login
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Role

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
NOW = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def url(name: str, *args: object) -> str:
    return reverse(f"checkins:{name}", args=["acme", *args])


def okr_url(name: str, *args: object) -> str:
    return reverse(f"okrs:{name}", args=["acme", *args])


@pytest.fixture
def check_in(world: World, key_result: KeyResult) -> CheckIn:
    return services.record_check_in(
        key_result=key_result,
        author=world.member,
        progress=services.Progress(value=100_000, comment="First cohort signed up"),
        next_up=services.NextUp(plan="Launch the referral programme"),
    )


@pytest.fixture
def private_key_result(world: World, private_objective: Objective) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin, objective=private_objective, title="PRIVATE-MARKER KR", target_value=10
    )


def full_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "progress_value": "120000",
        "progress_comment": "Campus launch worked",
        "confidence": "6",
        "confidence_needs": "Two more engineers",
        "confidence_mitigation": "Borrow from Platform",
        "next_up_plan": "Ship the invite flow, pair with design",
        "next_up_due": "2026-10-30",
        "context_why": "DAU pays the bills",
        "context_baseline": "0 today",
        "context_tactic": "Campus first",
        "is_insight": "on",
        "is_blocker": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Tenancy and rights -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["check_in_new"])
def test_the_check_in_form_is_a_404_for_another_organizations_admin(
    outsider_client: Client, key_result: KeyResult, name: str
) -> None:
    assert outsider_client.get(url(name, key_result.uid)).status_code == 404
    assert outsider_client.post(url(name, key_result.uid), full_data()).status_code == 404
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("name", ["check_in_correct", "check_in_delete"])
def test_check_in_urls_are_a_404_for_another_organizations_admin(
    outsider_client: Client, check_in: CheckIn, name: str
) -> None:
    assert outsider_client.get(url(name, check_in.uid)).status_code == 404
    response = outsider_client.post(
        url(name, check_in.uid), {"reason": "x", "progress_comment": "x"}
    )
    assert response.status_code == 404
    check_in.refresh_from_db()
    assert not check_in.is_deleted and check_in.progress_comment == "First cohort signed up"


def test_a_viewer_may_not_check_in(viewer_client: Client, key_result: KeyResult) -> None:
    assert viewer_client.get(url("check_in_new", key_result.uid)).status_code == 403
    assert viewer_client.post(url("check_in_new", key_result.uid), full_data()).status_code == 403
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("name", ["check_in_correct", "check_in_delete"])
def test_a_viewer_may_not_correct_or_delete(
    viewer_client: Client, check_in: CheckIn, name: str
) -> None:
    assert viewer_client.get(url(name, check_in.uid)).status_code == 403
    assert viewer_client.post(url(name, check_in.uid), {"reason": "x"}).status_code == 403
    check_in.refresh_from_db()
    assert not check_in.is_deleted


def test_a_viewer_is_not_offered_a_check_in_button(
    viewer_client: Client, member_client: Client, key_result: KeyResult, objective: Objective
) -> None:
    form_url = url("check_in_new", key_result.uid)
    for page in (okr_url("objective", objective.uid), url("key_result", key_result.uid)):
        assert form_url not in viewer_client.get(page).content.decode()
        assert form_url in member_client.get(page).content.decode()


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_a_private_key_results_check_in_urls_are_a_404_for_those_who_may_not_see_it(
    world: World, private_key_result: KeyResult, who: str
) -> None:
    secret = services.record_check_in(
        key_result=private_key_result,
        author=world.admin,
        progress=services.Progress(value=3, comment="PRIVATE-MARKER words"),
    )
    client = login(Client(), getattr(world, who))
    assert client.get(url("check_in_new", private_key_result.uid)).status_code == 404
    assert client.post(url("check_in_new", private_key_result.uid), full_data()).status_code == 404
    assert client.get(url("check_in_correct", secret.uid)).status_code == 404
    assert client.get(url("check_in_delete", secret.uid)).status_code == 404
    assert CheckIn.objects.count() == 1


# Recording ----------------------------------------------------------------------------------


def test_a_member_records_a_check_in_with_every_section(
    world: World, member_client: Client, key_result: KeyResult, check_in: CheckIn
) -> None:
    data = full_data(reflection_outcome="partly", reflection_learned="Referrals need a reward")
    response = member_client.post(url("check_in_new", key_result.uid), data)
    assert response.status_code == 302
    assert response["Location"] == url("key_result", key_result.uid)
    created = CheckIn.objects.exclude(pk=check_in.pk).get()
    assert created.author == world.member
    assert created.progress_value == Decimal(120_000)
    assert created.confidence == 6 and created.confidence_needs == "Two more engineers"
    assert created.next_up_due == dt.date(2026, 10, 30)
    assert created.reflects_on == check_in and created.reflection_outcome == "partly"
    assert created.context_tactic == "Campus first"
    assert created.is_insight and created.is_blocker
    key_result.refresh_from_db()
    assert key_result.current_value == 120_000
    assert key_result.confidence == 6
    assert key_result.next_up_due == dt.date(2026, 10, 30)
    assert key_result.context_why == "DAU pays the bills"
    assert key_result.open_blockers == 1
    page = member_client.get(response["Location"]).content.decode()
    assert "Campus launch worked" in page and "Ship the invite flow" in page


def test_any_writer_in_the_organization_may_check_in_on_a_public_key_result(
    world: World, key_result: KeyResult
) -> None:
    outside_the_team = org_services.add_member(
        organization=world.org,
        email="pat@acme.test",
        role=Role.MEMBER,
        name="Pat Platform",
        actor=world.admin,
        team=world.other_team,
    )
    client = login(Client(), outside_the_team)
    response = client.post(url("check_in_new", key_result.uid), {"confidence": "8"})
    assert response.status_code == 302
    assert CheckIn.objects.get().author == outside_the_team


def test_the_next_up_due_date_defaults_to_the_next_check_in_day(
    world: World, member_client: Client, key_result: KeyResult
) -> None:
    form = member_client.get(url("check_in_new", key_result.uid)).context["form"]
    expected = services.default_next_up_due(world.org)
    assert form["next_up_due"].value() == expected
    member_client.post(url("check_in_new", key_result.uid), {"next_up_plan": "Call ten users"})
    assert CheckIn.objects.get().next_up_due == expected


def test_a_milestone_is_checked_in_as_done(
    world: World, member_client: Client, objective: Objective
) -> None:
    milestone = okr_services.create_key_result(
        actor=world.member, objective=objective, title="Ship the app", kind="milestone"
    )
    form = member_client.get(url("check_in_new", milestone.uid)).content.decode()
    assert 'type="radio" name="progress_value" value="1"' in form
    response = member_client.post(url("check_in_new", milestone.uid), {"progress_value": "1"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.is_done


def test_a_percentage_above_100_is_rejected_next_to_its_field(
    world: World, member_client: Client, objective: Objective
) -> None:
    share = okr_services.create_key_result(
        actor=world.member, objective=objective, title="Share", kind="percentage", target_value=40
    )
    response = member_client.post(url("check_in_new", share.uid), {"progress_value": "150"})
    assert response.status_code == 200
    assert response.context["form"].errors["progress_value"] == [
        "A percentage is between 0 and 100."
    ]
    assert not CheckIn.objects.exists()


def test_a_check_in_without_any_section_is_rejected(
    member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(url("check_in_new", key_result.uid), {"is_insight": "on"})
    assert response.status_code == 200
    assert "A check-in needs at least one section." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_comment_without_a_value_asks_for_the_value(
    member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(url("check_in_new", key_result.uid), {"progress_comment": "x"})
    assert "progress_value" in response.context["form"].errors
    assert not CheckIn.objects.exists()


def test_reflection_is_offered_only_when_there_is_an_earlier_next_up(
    world: World, member_client: Client, key_result: KeyResult
) -> None:
    first = member_client.get(url("check_in_new", key_result.uid)).content.decode()
    assert "reflection_outcome" not in first and "Last time you planned" not in first
    services.record_check_in(
        key_result=key_result,
        author=world.member,
        next_up=services.NextUp(plan="Launch the referral programme", due=dt.date(2026, 10, 27)),
    )
    second = member_client.get(url("check_in_new", key_result.uid)).content.decode()
    assert "Last time you planned: “Launch the referral programme”, due" in second
    assert 'name="reflection_outcome"' in second


def test_the_form_focuses_the_value_and_keeps_other_sections_one_click_away(
    member_client: Client, key_result: KeyResult
) -> None:
    html = member_client.get(url("check_in_new", key_result.uid)).content.decode()
    assert 'name="progress_value"' in html and "autofocus" in html
    assert '<details class="check-in-more"' in html
    assert html.count('name="confidence"') == 11


# In place (htmx) ----------------------------------------------------------------------------


def test_check_in_from_a_key_result_row_opens_in_place_and_refreshes_the_section(
    member_client: Client, key_result: KeyResult
) -> None:
    form = member_client.get(url("check_in_new", key_result.uid) + "?place=row", headers=HTMX)
    html = form.content.decode()
    assert html.lstrip().startswith(f'<tr id="kr-{key_result.uid}" class="row-form" data-slot>')
    response = member_client.post(
        url("check_in_new", key_result.uid),
        {"place": "row", "progress_value": "250000"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="key-results"')
    assert "250,000" in html
    assert 'id="objective-head" class="objective-head" hx-swap-oob="true"' in html


def test_check_in_on_the_key_result_page_refreshes_its_story(
    member_client: Client, key_result: KeyResult
) -> None:
    form = member_client.get(url("check_in_new", key_result.uid) + "?place=page", headers=HTMX)
    assert form.content.decode().lstrip().startswith('<div id="check-in-slot"')
    response = member_client.post(
        url("check_in_new", key_result.uid),
        {"place": "page", "confidence": "3", "confidence_needs": "No budget"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="kr-story"')
    assert "No budget" in html and "off track" in html
    assert 'id="check-in-slot" class="add-slot check-in-slot" data-slot hx-swap-oob="true"' in html


def test_check_in_on_the_key_result_page_refreshes_its_header_out_of_band(
    member_client: Client, key_result: KeyResult
) -> None:
    before = member_client.get(url("key_result", key_result.uid)).content.decode()
    assert '<div id="kr-head"' in before and "Behind" in before and "data-confidence" not in before
    response = member_client.post(
        url("check_in_new", key_result.uid),
        {
            "place": "page",
            "progress_value": "450000",
            "confidence": "9",
            "next_up_plan": "Open the second region",
            "next_up_due": "2026-10-27",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    head = html[html.index('<div id="kr-head"') :]
    head = head[: head.index("</div>")]
    assert 'hx-swap-oob="true"' in head
    assert "90%" in head and "Ahead" in head
    assert 'data-confidence="9"' in head and "on track" in head
    assert "staleness--fresh" in head


def test_check_in_elsewhere_returns_a_confirmation_and_an_event(
    member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("check_in_new", key_result.uid),
        {"place": "inbox", "confidence": "7"},
        headers=HTMX,
    )
    assert response["HX-Trigger"] == "checkInRecorded"
    assert "Check-in recorded." in response.content.decode()


def test_an_invalid_in_place_check_in_replaces_only_its_own_form(
    member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("check_in_new", key_result.uid), {"place": "row"}, headers=HTMX
    )
    assert response["HX-Retarget"] == "closest [data-slot]"
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="kr-{key_result.uid}" class="row-form" data-slot>')
    assert "A check-in needs at least one section." in html


# Corrections --------------------------------------------------------------------------------


def test_the_author_corrects_the_words_within_the_window_and_the_earlier_text_is_kept(
    member_client: Client, key_result: KeyResult, check_in: CheckIn, clock: Any
) -> None:
    clock.shift(dt.timedelta(minutes=10))
    response = member_client.post(
        url("check_in_correct", check_in.uid),
        {"progress_comment": "First campus cohort signed up", "next_up_plan": "Launch referrals"},
    )
    assert response.status_code == 302
    check_in.refresh_from_db()
    assert check_in.progress_comment == "First campus cohort signed up"
    revision = CheckInRevision.objects.get(check_in=check_in)
    assert revision.before["progress_comment"] == "First cohort signed up"
    page = member_client.get(url("key_result", key_result.uid)).content.decode()
    assert "corrected" in page and "First cohort signed up" in page


def test_a_correction_after_the_window_is_refused(
    member_client: Client, check_in: CheckIn, clock: Any
) -> None:
    clock.shift(services.CORRECTION_WINDOW + dt.timedelta(minutes=1))
    response = member_client.post(url("check_in_correct", check_in.uid), {"progress_comment": "x"})
    assert response.status_code == 403
    check_in.refresh_from_db()
    assert check_in.progress_comment == "First cohort signed up"


def test_someone_else_may_not_correct_a_check_in(admin_client: Client, check_in: CheckIn) -> None:
    assert admin_client.get(url("check_in_correct", check_in.uid)).status_code == 403
    response = admin_client.post(url("check_in_correct", check_in.uid), {"progress_comment": "x"})
    assert response.status_code == 403
    assert not CheckInRevision.objects.exists()


def test_a_correction_in_place_returns_the_story(member_client: Client, check_in: CheckIn) -> None:
    form = member_client.get(url("check_in_correct", check_in.uid), headers=HTMX)
    assert form.content.decode().lstrip().startswith(f'<li id="ci-{check_in.uid}"')
    response = member_client.post(
        url("check_in_correct", check_in.uid),
        {"progress_comment": "Fixed words", "next_up_plan": "Launch the referral programme"},
        headers=HTMX,
    )
    assert response.content.decode().lstrip().startswith('<div id="kr-story"')


# Deleting -----------------------------------------------------------------------------------


def test_an_admin_deletes_a_check_in_leaving_a_tombstone(
    world: World, admin_client: Client, key_result: KeyResult, check_in: CheckIn
) -> None:
    later = services.record_check_in(
        key_result=key_result,
        author=world.member,
        progress=services.Progress(value=180_000, comment="SECRET-TYPO"),
        at=NOW + dt.timedelta(minutes=5),
    )
    confirm = admin_client.get(url("check_in_delete", later.uid))
    assert "Delete this check-in?" in confirm.content.decode()
    assert admin_client.post(url("check_in_delete", later.uid), {}).status_code == 200
    response = admin_client.post(url("check_in_delete", later.uid), {"reason": "Wrong number"})
    assert response["Location"] == url("key_result", key_result.uid)
    later.refresh_from_db()
    assert later.is_deleted and later.deleted_by == world.admin
    key_result.refresh_from_db()
    assert key_result.current_value == 100_000
    page = admin_client.get(url("key_result", key_result.uid)).content.decode()
    assert "SECRET-TYPO" not in page
    assert "Deleted by Ada Admin on" in page


def test_a_member_may_not_delete_a_check_in(member_client: Client, check_in: CheckIn) -> None:
    assert member_client.get(url("check_in_delete", check_in.uid)).status_code == 403
    assert (
        member_client.post(url("check_in_delete", check_in.uid), {"reason": "x"}).status_code == 403
    )
    check_in.refresh_from_db()
    assert not check_in.is_deleted
