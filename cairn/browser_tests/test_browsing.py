"""Browsing a large organization's OKRs in the browser: the home's "All objectives" grows a
page at a time in place and narrows to a team (htmx), and the objective page's alignment
chain opens in full on request. The page size is made small so that the demo has pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cairn.browser_tests.test_smoke import sign_in
from cairn.demo.loader import DEMO_PASSWORD, email_of, load_demo
from cairn.okrs import services as okrs
from cairn.okrs.models import Objective
from cairn.okrs.queries import home

pytestmark = pytest.mark.browser


def test_all_objectives_grow_a_page_at_a_time_and_narrow_to_a_team(
    page: Any, screenshot: Callable[[Any, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    monkeypatch.setattr(home, "ALL_PAGE_SIZE", 2)
    demo = load_demo()
    visible = Objective.objects.visible_to(
        demo.organization.members.get(user__email=email_of("mia"))
    )
    total = visible.filter(period=demo.current).count()
    assert total > 4
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")

    section = page.locator("#all-objectives")
    lines = section.locator("li.objective-line")
    expect(lines).to_have_count(2)
    section.get_by_role("link", name="Show more objectives").click()
    expect(lines).to_have_count(4)
    # Still one link, at the end of the list, to the page after.
    expect(section.get_by_role("link", name="Show more objectives")).to_have_count(1)
    screenshot(page, "home-all-objectives-more")

    team = demo.organization.teams.filter(parent__isnull=True).order_by("name").first()
    assert team is not None
    section.locator("select[name=team]").select_option(label=team.name)
    expect(page.locator("#all-objectives")).to_contain_text(f"The objectives of {team.name}")
    screenshot(page, "home-all-objectives-team")


def test_the_alignment_chain_opens_in_full_on_request(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    demo = load_demo()
    ada = demo.organization.members.get(user__email=email_of("ada"))
    team = demo.organization.teams.order_by("name").first()
    top, middle, bottom = (
        okrs.create_objective(
            actor=ada, period=demo.current, title=f"Chain {name}", owner_teams=[team]
        )
        for name in ("top", "middle", "bottom")
    )
    okrs.align(actor=ada, child=middle, parent_objective=top)
    okrs.align(actor=ada, child=bottom, parent_objective=middle)
    sign_in(page, email_of("mia"), DEMO_PASSWORD)
    page.wait_for_url("**/o/acme/**")
    page.goto(f"/o/acme/objectives/{top.uid}/")
    section = page.locator("#alignment")
    expect(section).to_contain_text("Chain middle")
    expect(section).not_to_contain_text("Chain bottom")
    section.get_by_role("link", name="Show the whole chain down to the leaves").click()
    expect(page.locator("#alignment")).to_contain_text("Chain bottom")
    expect(
        page.locator("#alignment").get_by_role("link", name=re.compile("Show the whole"))
    ).to_have_count(0)
    screenshot(page, "objective-whole-chain")
