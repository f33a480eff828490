"""Alignment in the browser: a team asks another for something from an objective page and the
other team answers from its inbox; the shared OKR's sync is recorded from its sync view; the
alignment map is filtered by team and clicked through to an objective, past a private one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils.formats import date_format

from cairn.alignment.models import Dependency, DependencyState
from cairn.browser_tests.test_smoke import sign_in
from cairn.checkins.models import Sync
from cairn.demo.loader import DEMO_PASSWORD, SHARED_OBJECTIVE, email_of, load_demo
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs.models import Team

pytestmark = pytest.mark.browser

MIAS_OBJECTIVE = "Know our customers' problems first-hand"
MIAS_KEY_RESULT = "Customer interviews held"
NEED = "A weekly export of the interview transcripts from the data platform."
ANSWER = "Yes: Sofia sets up the weekly export job by the end of next week."
# Engineering's private budget objective, between Platform's cloud objective and the company's.
PRIVATE_TITLE = "Fit Engineering into next year's budget"
CLOUD = "Halve the cloud cost per active user"


def short_date(day: dt.date) -> str:
    return str(date_format(day, "SHORT_DATE_FORMAT"))


def test_product_asks_platform_in_place_and_platform_accepts_from_its_inbox(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    load_demo()
    objective = Objective.objects.get(title=MIAS_OBJECTIVE)
    key_result = KeyResult.objects.get(objective=objective, title=MIAS_KEY_RESULT)
    assert not key_result.is_over_optimistic
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")
    objective_url = f"/o/acme/objectives/{objective.uid}/"
    page.goto(objective_url)

    # The section loads after the page; its form opens in place and is sent in place.
    section = page.locator("#dependencies")
    section.get_by_role("link", name="Ask another team").click()
    form = section.locator("form.dependency-form")
    expect(form.locator("select[name=requesting_team] option:checked")).to_have_text("Product")
    form.locator("select[name=providing_team]").select_option(label="Platform")
    form.locator("select[name=key_result]").select_option(label=MIAS_KEY_RESULT)
    form.locator("textarea[name=need]").fill(NEED)
    form.get_by_role("button", name="Send the request").click()
    row = section.locator(".dependency-row", has_text=NEED)
    expect(row).to_be_visible()
    expect(row.locator(".dep-state--proposed")).to_be_visible()
    expect(section.get_by_role("note")).to_contain_text(MIAS_KEY_RESULT)
    expect(section.locator("form.dependency-form")).to_have_count(0)
    assert page.url.endswith(objective_url)
    screenshot(page, "alignment-request-sent-in-place")

    dependency = Dependency.objects.get(objective=objective, need=NEED)
    assert (dependency.requesting_team.name, dependency.providing_team.name) == (
        "Product",
        "Platform",
    )
    assert dependency.state == DependencyState.PROPOSED
    key_result.refresh_from_db()
    assert key_result.is_over_optimistic

    # A Platform member finds the request in the inbox and answers it.
    page.context.clear_cookies()
    sign_in(page, email_of("sofia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")
    page.get_by_role("link", name="Inbox").first.click()
    requests = page.locator(".inbox-requests")
    expect(requests.locator(".inbox-request", has_text=NEED)).to_contain_text(
        "Product asks Platform"
    )
    requests.get_by_role("link", name=NEED).click()
    page.wait_for_url(f"**/o/acme/dependencies/{dependency.uid}/")
    expect(page.get_by_role("heading", name="Product asks Platform")).to_be_visible()

    moves = page.locator(".dependency-moves")
    moves.locator("summary", has_text="Accept").click()
    accept = moves.locator("details.dependency-move--accepted")
    # Every move needs its comment: without one the request stays proposed, the form open.
    accept.get_by_role("button", name="Accept").click()
    expect(accept.locator(".errorlist")).to_be_visible()
    expect(page.locator("#dep-request .dep-state--proposed")).to_be_visible()
    accept.locator("textarea[name=comment]").fill(ANSWER)
    accept.get_by_role("button", name="Accept").click()

    expect(page.locator("#dep-request .dep-state--accepted")).to_be_visible()
    expect(page.locator("#thread")).to_contain_text(ANSWER)
    expect(page.locator("#dep-request .badge--over-optimistic")).to_have_count(0)
    expect(page.locator(".dependency__flag")).to_have_count(0)
    screenshot(page, "alignment-request-accepted")

    dependency.refresh_from_db()
    key_result.refresh_from_db()
    assert dependency.state == DependencyState.ACCEPTED
    assert not key_result.is_over_optimistic

    # The request has left the inbox, and the key result is no longer flagged anywhere.
    page.get_by_role("link", name="Inbox").first.click()
    expect(page.locator(".inbox-request", has_text=NEED)).to_have_count(0)
    page.goto(objective_url)
    expect(page.locator("#dependencies .dep-state--accepted")).to_be_visible()
    expect(page.locator("#key-results")).to_contain_text(MIAS_KEY_RESULT)
    expect(page.locator("#key-results .badge--over-optimistic")).to_have_count(0)
    expect(page.locator("#dependencies").get_by_role("note")).to_have_count(0)


def test_a_member_records_a_sync_of_the_shared_okr_and_sees_the_next_one_in_the_inbox(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    demo = load_demo()
    objective = Objective.objects.get(title=SHARED_OBJECTIVE, organization=demo.organization)
    before = Sync.objects.filter(objective=objective).count()
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")

    page.get_by_role("link", name=SHARED_OBJECTIVE).first.click()
    page.wait_for_url(f"**/objectives/{objective.uid}/")
    page.get_by_role("link", name="Sync view").click()
    page.wait_for_url(f"**/objectives/{objective.uid}/sync/")
    expect(page.get_by_role("heading", name="Sync view")).to_be_visible()

    slot = page.locator("#sync-record")
    notes = "Autoscaling ships on Friday; Raj brings the three contracts to the next sync."
    slot.locator("textarea[name=notes]").fill(notes)
    slot.get_by_label("Tom Weber").uncheck()
    slot.locator("select[name=guests]").select_option(label="Ken Adams")
    # A wrong cadence comes back in place, with what was typed still there.
    slot.locator("input[name=cadence_days]").fill("0")
    slot.get_by_role("button", name="Record sync").click()
    expect(slot.locator(".errorlist")).to_be_visible()
    expect(slot.locator("textarea[name=notes]")).to_have_value(notes)
    expect(slot.get_by_label("Tom Weber")).not_to_be_checked()
    assert Sync.objects.filter(objective=objective).count() == before

    slot.locator("input[name=cadence_days]").fill("14")
    slot.get_by_role("button", name="Record sync").click()
    next_sync = demo.organization.today() + dt.timedelta(days=14)
    expect(
        page.get_by_text(f"Sync recorded. The next one is on {short_date(next_sync)}.")
    ).to_be_visible()
    expect(page.locator(".page-head .sync-next")).to_have_text(f"Next sync {short_date(next_sync)}")
    latest = page.locator(".sync-history .sync-item").first
    expect(latest.locator(".sync-item__notes")).to_have_text(notes)
    expect(latest).to_contain_text("Ken Adams")
    expect(latest).not_to_contain_text("Tom Weber")
    expect(latest).to_contain_text("recorded by Mia Chen")
    screenshot(page, "alignment-sync-recorded")

    sync = Sync.objects.filter(objective=objective).first()
    assert sync is not None and sync.notes == notes
    assert Sync.objects.filter(objective=objective).count() == before + 1
    assert sync.next_sync_on == next_sync
    attendees = {member.user.email for member in sync.attendees.select_related("user")}
    assert email_of("ken") in attendees and email_of("tom") not in attendees

    page.get_by_role("link", name="Inbox").first.click()
    item = page.locator(".inbox-sync", has_text=SHARED_OBJECTIVE)
    expect(item).to_contain_text(f"Next sync {short_date(next_sync)}")
    item.get_by_role("link", name=SHARED_OBJECTIVE).click()
    page.wait_for_url(f"**/objectives/{objective.uid}/sync/")
    screenshot(page, "alignment-inbox-to-sync-view")


def test_the_alignment_map_filters_by_team_and_clicks_through_past_a_private_objective(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    demo = load_demo()
    platform = Team.objects.get(organization=demo.organization, name="Platform")
    cloud = Objective.objects.get(organization=demo.organization, title=CLOUD)
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")

    page.get_by_role("link", name="Alignment", exact=True).first.click()
    page.wait_for_url("**/o/acme/alignment/")
    the_map = page.locator("#map")
    expect(the_map.locator(".map-team__name", has_text="Growth")).to_have_count(1)

    # Choosing a team redraws the map in place and keeps the choice in the address.
    page.locator("#map-team").select_option(str(platform.uid))
    page.wait_for_url(re.compile(rf"/o/acme/alignment/\?.*team={platform.uid}"))
    expect(the_map).to_contain_text("Showing Platform and the teams below it.")
    expect(the_map.locator(".map-team__name").first).to_have_text("Platform")
    for other in ("Acme", "Product", "Growth", "Quality"):
        expect(the_map.locator(".map-team__name", has_text=other)).to_have_count(0)
    # Mia is not in Engineering: its budget objective is in the chain, but only as a redacted
    # node with no title.
    expect(the_map.locator(".map-redacted").first).to_have_text("Private objective")
    expect(page.locator("body")).not_to_contain_text(PRIVATE_TITLE)
    screenshot(page, "alignment-map-platform")

    the_map.locator("a.map-node__title", has_text=CLOUD).first.click()
    page.wait_for_url(f"**/o/acme/objectives/{cloud.uid}/")
    expect(page.get_by_role("heading", name=CLOUD, level=1)).to_be_visible()
    chain = page.locator("#alignment")
    expect(chain).to_contain_text("Private objective")
    expect(
        chain.get_by_role("link", name="Grow Acme into a product people pay for and recommend")
    ).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(PRIVATE_TITLE)
    screenshot(page, "alignment-objective-chain-redacted")


def test_a_full_map_opens_team_by_team_and_keeps_the_private_objective_redacted(
    page: Any, screenshot: Callable[[Any, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    from cairn.alignment.queries import map as map_queries

    # A map too big to draw at once (as at 10,000 objectives): every team loads when opened.
    monkeypatch.setattr(map_queries, "OPEN_ROWS", 0)
    load_demo()
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")
    page.goto("/o/acme/alignment/")
    the_map = page.locator("#map")
    expect(the_map.locator(".map-team__name", has_text="Acme")).to_have_count(1)
    expect(the_map).not_to_contain_text(CLOUD)

    for name in ("Acme", "Engineering", "Platform"):
        team = the_map.locator(f"details.map-team:has(> summary .map-team__name:text-is('{name}'))")
        expect(team).not_to_have_attribute("open", re.compile(".*"))
        team.locator(":scope > summary").click()
        # Its part replaces the placeholder: the team's links, then its own objectives.
        expect(
            team.locator(":scope > .map-team__body > .map-part > .map-team__links")
        ).to_be_visible()

    platform = the_map.locator(
        "details.map-team:has(> summary .map-team__name:text-is('Platform'))"
    )
    expect(platform.locator("a.map-node__title", has_text=CLOUD)).to_be_visible()
    expect(platform.locator(".map-redacted").first).to_have_text("Private objective")
    expect(page.locator("body")).not_to_contain_text(PRIVATE_TITLE)
    screenshot(page, "alignment-map-opened-team-by-team")
