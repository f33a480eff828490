"""A key result owner checks in from the inbox, in place, and the key result page's chart and
timeline show the new value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cairn.browser_tests.test_smoke import sign_in
from cairn.demo.loader import DEMO_PASSWORD, load_demo
from cairn.okrs.models import KeyResult

pytestmark = pytest.mark.browser

TITLE = "Engineers trained for on-call"


def test_an_owner_checks_in_from_the_inbox_and_the_chart_shows_it(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    load_demo()
    key_result = KeyResult.objects.select_related("owner__user").get(title=TITLE)
    before = key_result.check_ins.count()
    sign_in(page, key_result.owner.user.email, DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")

    page.get_by_role("link", name="Inbox").first.click()
    slot = page.locator(f"#checkin-{key_result.uid}")
    slot.get_by_role("link", name="Check in").click()
    form = page.locator(f"#check-in-{key_result.uid} form")
    form.locator("input[name=progress_value]").fill("7")
    form.locator("input[name=progress_comment]").fill("Two more engineers shadowed a rotation.")
    form.locator("label.confidence-option", has_text="8").first.click()
    form.locator("input[name=next_up_plan]").fill(
        "Pair the last engineer with Omar on Tuesday's rotation, then sign off the checklist"
    )
    form.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Check-in recorded")).to_be_visible()
    # The row shows its new state in place, without a reload of the inbox.
    row = page.locator(f"#inbox-kr-{key_result.uid}")
    expect(row.locator(".confidence__level")).to_have_text("8")
    expect(row.locator(".reason--due")).to_have_count(0)
    expect(row.locator(".reason--no-next-up")).to_have_count(0)
    expect(row.locator(".reason--overdue")).to_have_count(0)
    expect(row.get_by_role("link", name="Check in")).to_be_visible()
    screenshot(page, "inbox-check-in")

    key_result.refresh_from_db()
    assert key_result.check_ins.count() == before + 1
    assert (key_result.current_value, key_result.confidence) == (7, 8)

    page.goto(f"/o/acme/key-results/{key_result.uid}/")
    summary = page.locator(".chart-summary").first
    expect(summary).to_contain_text("7")
    expect(page.get_by_text("Two more engineers shadowed a rotation.")).to_be_visible()
    screenshot(page, "key-result-story-after-check-in")
