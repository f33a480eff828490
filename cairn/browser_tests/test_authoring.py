"""A demo member creates an objective with two key results in the browser (htmx in place) and
finds it on the team page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cairn.browser_tests.test_smoke import sign_in
from cairn.demo.loader import DEMO_PASSWORD, SHARED_OBJECTIVE, email_of, load_demo
from cairn.okrs.models import KeyResult, Objective

pytestmark = pytest.mark.browser

TITLE = "Make onboarding delightful"


def add_key_result(page: Any, title: str, start: str, target: str, unit: str) -> None:
    page.get_by_role("link", name="Add key result").click()
    form = page.locator("form.kr-form")
    form.locator("input[name=title]").fill(title)
    form.locator("input[name=start_value]").fill(start)
    form.locator("input[name=target_value]").fill(target)
    form.locator("input[name=unit]").fill(unit)
    form.get_by_role("button", name="Save").click()
    # htmx swaps the key results section back in place, with the new row in it.
    page.locator("#key-results").get_by_text(title).wait_for()


def test_a_member_creates_an_objective_with_two_key_results_and_finds_it_on_the_team_page(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    load_demo()
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")

    page.get_by_role("link", name="New objective").click()
    page.locator("input[name=title]").fill(TITLE)
    page.locator("textarea[name=description]").fill("New users reach their first win in a day.")
    page.get_by_label("Product", exact=True).check()
    page.get_by_role("button", name="Save").click()

    page.wait_for_url("**/objectives/*/")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    add_key_result(page, "Activation within 24 hours", "20", "60", "%")
    add_key_result(page, "Time to first value", "48", "12", "hours")
    screenshot(page, "objective-with-two-key-results")

    objective = Objective.objects.get(title=TITLE)
    assert [kr.title for kr in KeyResult.objects.filter(objective=objective)] == [
        "Activation within 24 hours",
        "Time to first value",
    ]
    assert KeyResult.objects.get(title="Time to first value").direction == "down"

    page.get_by_role("link", name="Product").first.click()
    page.wait_for_url("**/teams/*/")
    expect(page.get_by_text(TITLE)).to_be_visible()
    screenshot(page, "team-page-with-new-objective")


def test_an_in_place_edit_with_an_error_keeps_the_section_and_saves_once_fixed(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    demo = load_demo()
    objective = Objective.objects.get(title=SHARED_OBJECTIVE, organization=demo.organization)
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")
    page.goto(f"/o/acme/objectives/{objective.uid}/")

    section = page.locator("#key-results")
    section.get_by_role("link", name="Edit").first.click()
    form = section.locator("form.kr-form")
    form.locator("input[name=title]").fill("")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".errorlist")).to_be_visible()
    # The other key results and the heading are still on the page.
    expect(page.get_by_role("heading", name="Key results")).to_be_visible()
    expect(section.locator("tbody tr")).to_have_count(5)
    screenshot(page, "in-place-error")

    form.locator("input[name=title]").fill("Reach 600,000 daily active users on the free tier")
    form.get_by_role("button", name="Save").click()
    expect(section.get_by_text("Reach 600,000 daily active users on the free tier")).to_be_visible()
    assert KeyResult.objects.filter(
        objective=objective, title="Reach 600,000 daily active users on the free tier"
    ).exists()
