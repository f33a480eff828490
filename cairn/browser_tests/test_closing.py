"""Closing a quarter in the browser, the way a team does it (issue 6's "Done means"): a key
result owner records the Results (final value, score, retrospective) from the inbox and from
the key result page; an admin works through the period's close checklist, creates the next
quarter in one click, carries the unfinished objective over and closes the period; a team
lead closes the period for the team's own OKRs from the team page.

Each test builds its own small organization (not the demo): a quarter that ends within the
next week of the real today, so the Result section is open (`results_open_on`), with one
Growth objective of two key results and a few check-ins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from cairn.browser_tests.test_smoke import sign_in
from cairn.checkins import services as checkins
from cairn.lib import dates
from cairn.okrs.models import Initiative, InitiativeState, KeyResult, Objective
from cairn.orgs.models import Member, Organization, Period, PeriodKind, PeriodState, Team
from cairn.testing.factories import (
    InitiativeFactory,
    KeyResultFactory,
    MemberFactory,
    ObjectiveFactory,
    OrganizationFactory,
    PeriodFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
SLUG = "northwind"
OBJECTIVE = "Win back customers who left"
WON_BACK = "Churned accounts won back"
REPLIES = "Replies to the win-back letter"
SUPPORT_OBJECTIVE = "Answer every ticket within a day"
INITIATIVE = "Call the ten largest churned accounts"


@dataclass
class Quarter:
    organization: Organization
    period: Period
    admin: Member
    owner: Member
    lead: Member
    growth: Team
    objective: Objective
    won_back: KeyResult
    replies: KeyResult


def _member(organization: Organization, name: str, *, admin: bool = False) -> Member:
    email = f"{name.split()[0].lower()}@{SLUG}.test"
    user = UserFactory.create(email=email, name=name, password=PASSWORD)
    return MemberFactory.create(organization=organization, user=user, admin=admin)


def _check_in(
    key_result: KeyResult, author: Member, at: dt.datetime, value: int, level: int
) -> None:
    checkins.record_check_in(
        key_result=key_result,
        author=author,
        progress=checkins.Progress(value=value, comment=f"Now at {value}."),
        confidence=checkins.Confidence(level=level),
        at=at,
    )


def build_quarter() -> Quarter:
    """Northwind's current quarter, ending within a week of today (its Results are open):
    Growth's objective with two key results owned by Owen, checked in on three times."""
    organization = OrganizationFactory.create(name="Northwind", slug=SLUG)
    today = organization.today()
    year, quarter = dates.quarter_of(today)
    start, quarter_end = dates.quarter_bounds(year, quarter)
    # Cut short so it ends within the result window, but inside its calendar quarter: the
    # next quarter ("Create <next quarter>") then starts after it.
    end = min(today + dt.timedelta(days=7), quarter_end)
    assert checkins.results_open_on(end) <= today
    period = PeriodFactory.create(
        organization=organization,
        name=dates.quarter_name(year, quarter),
        kind=PeriodKind.QUARTER,
        start=start,
        end=end,
        state=PeriodState.ACTIVE,
    )
    admin = _member(organization, "Ada Lovelace", admin=True)
    owner = _member(organization, "Owen Park")
    lead = _member(organization, "Lena Ortiz")
    growth = TeamFactory.create(
        organization=organization, name="Growth", lead=lead, members=[owner]
    )
    objective = ObjectiveFactory.create(
        period=period, title=OBJECTIVE, owner_person=None, owner_teams=[growth]
    )
    won_back = KeyResultFactory.create(
        objective=objective, title=WON_BACK, owner=owner, target_value=Decimal(40), position=0
    )
    replies = KeyResultFactory.create(
        objective=objective, title=REPLIES, owner=owner, target_value=Decimal(200), position=1
    )
    # Three check-ins each, spread over the quarter so far (all of them in the past).
    began = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    elapsed = timezone.now() - began
    moments = [began + elapsed * step / 4 for step in (1, 2, 3)]
    values = ((8, 30), (19, 60), (28, 90))
    for at, (won, replied), level in zip(moments, values, (8, 7, 6), strict=True):
        _check_in(won_back, owner, at, won, level)
        _check_in(replies, owner, at, replied, level - 2)
    won_back.refresh_from_db()
    replies.refresh_from_db()
    assert (won_back.current_value, replies.current_value) == (28, 90)
    return Quarter(
        organization=organization,
        period=period,
        admin=admin,
        owner=owner,
        lead=lead,
        growth=growth,
        objective=objective,
        won_back=won_back,
        replies=replies,
    )


def settled(form: Any) -> None:
    """Wait for htmx to settle a check-in form it swapped in: only then does it focus the
    form's autofocus field ("New value"), and a field filled before that could lose its
    text to the jump."""
    from playwright.sync_api import expect

    expect(form.locator("input[name=progress_value]")).to_be_focused()


def closed_on(when: dt.datetime | None) -> str:
    assert when is not None
    return str(date_format(timezone.localtime(when), "DATE_FORMAT"))


def test_an_owner_records_both_results_and_sees_the_scores(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    q = build_quarter()
    sign_in(page, q.owner.user.email, PASSWORD)
    page.wait_for_url(f"**/o/{SLUG}/**")

    # The inbox asks for both Results, the period's end named.
    page.get_by_role("link", name="Inbox").first.click()
    missing = page.locator(".inbox-results")
    expect(missing.get_by_role("heading", name="Missing results")).to_be_visible()
    won_row = missing.locator(f"#inbox-result-{q.won_back.uid}")
    short_end = date_format(q.period.end, "SHORT_DATE_FORMAT")
    expect(won_row.locator(".reason--result")).to_have_text(
        f"No result yet: the period ends {short_end}"
    )
    expect(missing.locator(f"#inbox-result-{q.replies.uid}")).to_be_visible()
    screenshot(page, "closing-inbox-missing-results")

    # From the inbox: the check-in form's Result section is open, with the computed score.
    won_row.get_by_role("link", name="Record the result").click()
    page.wait_for_url(f"**/o/{SLUG}/key-results/{q.won_back.uid}/check-in/**")
    result = page.locator("details.check-in-result")
    expect(result).to_have_attribute("open", "")
    expect(result.locator(".check-in-result__now")).to_have_text("At the current value it is 0.70.")
    result.locator("input[name=result_value]").fill("30")
    result.locator("textarea[name=result_worked]").fill("Personal calls from the account team.")
    result.locator("textarea[name=result_did_not_work]").fill("Discount codes: nobody used them.")
    result.locator("textarea[name=result_learned]").fill("People come back for people.")
    page.get_by_role("button", name="Check in").click()

    page.wait_for_url(f"**/o/{SLUG}/key-results/{q.won_back.uid}/")
    expect(page.get_by_text("Check-in recorded.")).to_be_visible()
    expect(page.locator("#kr-head .score")).to_have_text("Score 0.75")
    expect(page.locator(".kr-score .score")).to_have_text("Score 0.75")
    latest = page.locator(".timeline .check-in").first
    expect(latest.locator(".check-in__result")).to_contain_text("People come back for people.")
    expect(latest.locator(".check-in__result strong")).to_have_text("30")
    expect(page.locator(".kr-value").first).to_have_text("30")
    screenshot(page, "closing-result-from-inbox")

    # The second one from its key result page, in place, with the score overridden.
    page.get_by_role("link", name="Inbox").first.click()
    page.wait_for_url(f"**/o/{SLUG}/inbox/")
    expect(page.locator(f"#inbox-result-{q.replies.uid}")).to_be_visible()
    expect(page.locator(f"#inbox-result-{q.won_back.uid}")).to_have_count(0)
    page.locator(f"#inbox-result-{q.replies.uid}").get_by_role("link", name=REPLIES).click()
    page.wait_for_url(f"**/o/{SLUG}/key-results/{q.replies.uid}/")
    page.locator("#check-in-slot").get_by_role("link", name="Check in").click()
    form = page.locator("#check-in-slot form")
    result = form.locator("details.check-in-result")
    expect(result.locator(".check-in-result__now")).to_have_text("At the current value it is 0.45.")
    settled(form)
    result.locator("input[name=result_value]").fill("90")
    result.locator("input[name=result_score]").fill("0.55")
    # An override without a reason comes back in place, what was typed kept.
    form.get_by_role("button", name="Check in").click()
    reason_field = result.locator("textarea[name=result_override_reason]")
    expect(form.locator(".errorlist")).to_contain_text("Say why the score differs from 0.45")
    expect(result.locator("input[name=result_value]")).to_have_value("90")
    settled(form)
    reason = "Half the list bounced: the addresses were years old."
    reason_field.fill(reason)
    result.locator("textarea[name=result_learned]").fill("Clean the list before the letter.")
    form.get_by_role("button", name="Check in").click()
    expect(page.locator("#check-in-slot form")).to_have_count(0)
    expect(page.locator("#kr-head .score")).to_have_text("Score 0.55")
    expect(page.locator("#kr-head .score")).to_have_class(re.compile(r"score--overridden"))
    expect(page.locator(".kr-score")).to_contain_text(f"overridden: {reason}")
    screenshot(page, "closing-result-overridden-in-place")

    q.won_back.refresh_from_db()
    q.replies.refresh_from_db()
    assert (q.won_back.score, q.replies.score) == (Decimal("0.75"), Decimal("0.55"))

    # The objective's score is the weighted mean: (0.75 + 0.55) / 2.
    page.get_by_role("link", name=OBJECTIVE).first.click()
    page.wait_for_url(f"**/o/{SLUG}/objectives/{q.objective.uid}/")
    expect(page.locator(".objective-head__progress .score")).to_have_text("Score 0.65")
    rows = page.locator("#key-results")
    expect(rows.locator(f"#kr-{q.won_back.uid} .score")).to_have_text("Score 0.75")
    expect(rows.locator(f"#kr-{q.replies.uid} .score")).to_have_text("Score 0.55")
    screenshot(page, "closing-objective-score")

    page.get_by_role("link", name="Inbox").first.click()
    page.wait_for_url(f"**/o/{SLUG}/inbox/")
    expect(page.get_by_role("heading", name="My week")).to_be_visible()
    expect(page.locator(".inbox-results")).to_have_count(0)
    screenshot(page, "closing-inbox-after-results")


def test_an_admin_carries_over_into_a_new_quarter_and_closes_the_period(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    q = build_quarter()
    # Won back is scored (achieved); replies have no result yet and are unfinished.
    checkins.record_check_in(
        key_result=q.won_back, author=q.owner, result=checkins.Result(value=30)
    )
    InitiativeFactory.create(
        objective=q.objective,
        key_result=q.replies,
        team=q.growth,
        title=INITIATIVE,
        state=InitiativeState.IN_PROGRESS,
    )
    next_name = dates.quarter_name(*dates.next_quarter(*dates.quarter_of(q.period.start)))
    sign_in(page, q.admin.user.email, PASSWORD)
    page.wait_for_url(f"**/o/{SLUG}/**")

    page.get_by_role("link", name="Periods", exact=True).first.click()
    page.wait_for_url(f"**/o/{SLUG}/periods/")
    page.get_by_role("link", name=f"Checklist {q.period.name}").click()
    page.wait_for_url(f"**/o/{SLUG}/periods/{q.period.uid}/close/")
    expect(page.get_by_role("heading", name=f"Close {q.period.name}", level=1)).to_be_visible()
    checklist = page.locator("#checklist")
    expect(checklist.locator("[data-count=missing-results]")).to_have_text("1")
    expect(checklist.locator("[data-count=open-initiatives]")).to_have_text("1")
    expect(checklist.locator("[data-count=unfinished]")).to_have_text("1")
    missing = checklist.locator("#missing-results")
    expect(missing.get_by_role("link", name=REPLIES)).to_be_visible()
    expect(missing.get_by_role("link", name=WON_BACK)).to_have_count(0)
    expect(checklist.locator("#open-initiatives")).to_contain_text(INITIATIVE)

    # No next quarter yet: carrying over asks for it, and creates it in one click.
    carry = checklist.locator("#carry-over")
    expect(carry.get_by_role("alert")).to_contain_text(
        f"There is no period after {q.period.name} yet"
    )
    expect(carry.locator("input[name=objectives]")).to_have_count(0)
    screenshot(page, "closing-checklist-no-next-quarter")
    carry.get_by_role("button", name=f"Create {next_name}").click()
    expect(page.get_by_text(f"Period “{next_name}” created.")).to_be_visible()
    carry = page.locator("#checklist #carry-over")
    expect(carry.get_by_role("alert")).to_have_count(0)
    # The unfinished key result is offered ticked, the achieved one not.
    expect(carry.get_by_label(OBJECTIVE)).to_be_checked()
    expect(carry.get_by_label(REPLIES)).to_be_checked()
    expect(carry.get_by_label(WON_BACK)).not_to_be_checked()
    carry.get_by_role("button", name=f"Carry “{OBJECTIVE}” over into {next_name}").click()
    checklist = page.locator("#checklist")
    expect(checklist.get_by_role("status").first).to_have_text(
        f"Carried over into {next_name}: “{OBJECTIVE}”."
    )
    expect(checklist.locator("#carry-over")).to_contain_text(
        f"Continued in {OBJECTIVE} ({next_name})."
    )
    screenshot(page, "closing-checklist-carried-over")

    continuation = Objective.objects.get(continued_from=q.objective)
    assert continuation.period.name == next_name
    new_replies = KeyResult.objects.get(objective=continuation)
    assert (new_replies.continued_from_id, new_replies.start_value) == (q.replies.pk, 90)

    # Closing: the confirmation opens in place, shows what is still open, takes a note.
    page.get_by_role("link", name=f"Close {q.period.name}…").click()
    confirm = page.locator("#close-slot form")
    expect(confirm.locator("[data-count=missing-results]")).to_have_text(
        "1 key result without a result"
    )
    confirm.locator("textarea[name=note]").fill("Closed at the quarterly review.")
    confirm.get_by_role("button", name=f"Close {q.period.name}", exact=True).click()
    # Back on the checklist (the same address: the confirmation opened in place).
    expect(page.get_by_text(f"{q.period.name} is closed: its OKRs are read-only.")).to_be_visible()
    q.period.refresh_from_db()
    assert q.period.state == PeriodState.CLOSED
    when = closed_on(q.period.closed_at)
    expect(page.locator(".checklist__closed")).to_contain_text(f"Closed by Ada Lovelace on {when}.")
    expect(page.get_by_role("link", name="Reopen…")).to_be_visible()
    # The checklist of a closed period offers no more writes on it.
    expect(
        page.locator("#missing-results").get_by_role("link", name="Record the result")
    ).to_have_count(0)
    screenshot(page, "closing-period-closed")

    # The closed objective is read-only, and says where it continues.
    page.locator("#missing-results").get_by_role("link", name=OBJECTIVE).click()
    page.wait_for_url(f"**/o/{SLUG}/objectives/{q.objective.uid}/")
    head = page.locator("#objective-head")
    expect(head.locator(".badge--closed")).to_have_text("Closed")
    expect(head.locator(".read-only-banner")).to_have_text(
        f"Read-only: {q.period.name} was closed on {when} by Ada Lovelace."
    )
    expect(head.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(head.get_by_role("link", name="Delete", exact=True)).to_have_count(0)
    key_results = page.locator("#key-results")
    expect(key_results.locator("tbody tr")).to_have_count(2)
    expect(key_results.get_by_role("link", name="Check in")).to_have_count(0)
    expect(key_results.get_by_role("link", name="Edit")).to_have_count(0)
    expect(key_results.get_by_role("link", name="Add key result")).to_have_count(0)
    expect(page.locator("#initiatives").get_by_role("link", name="Add initiative")).to_have_count(0)
    screenshot(page, "closing-closed-objective")

    # Its key result page too.
    key_results.get_by_role("link", name=REPLIES).click()
    page.wait_for_url(f"**/o/{SLUG}/key-results/{q.replies.uid}/")
    expect(page.locator(".read-only-banner")).to_be_visible()
    expect(page.locator("#check-in-slot").get_by_role("link")).to_have_count(0)
    expect(page.locator(".page-head__actions").get_by_role("link")).to_have_count(0)
    continued_in = page.locator(".continuity__into")
    expect(continued_in).to_have_text(f"Continued in {REPLIES} ({next_name})")
    page.go_back()

    page.locator("#objective-head .continuity__into").get_by_role("link", name=OBJECTIVE).click()
    page.wait_for_url(f"**/o/{SLUG}/objectives/{continuation.uid}/")
    head = page.locator("#objective-head")
    expect(head).to_contain_text(next_name)
    expect(head.locator(".continuity__from")).to_have_text(
        f"Continued from {OBJECTIVE} ({q.period.name})"
    )
    expect(head.locator(".read-only-banner")).to_have_count(0)
    row = page.locator(f"#kr-{new_replies.uid}")
    expect(row.locator(".kr-value")).to_have_text("90")
    expect(row.get_by_role("link", name="Check in")).to_be_visible()
    # The unfinished initiative landed in the new quarter's planning.
    expect(page.locator("#initiatives")).to_contain_text(INITIATIVE)
    screenshot(page, "closing-continued-objective")

    row.get_by_role("link", name=REPLIES).click()
    page.wait_for_url(f"**/o/{SLUG}/key-results/{new_replies.uid}/")
    start = page.locator("dl.details dt", has_text="Start").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(start).to_have_text("90")
    expect(page.locator(".continuity__from")).to_have_text(
        f"Continued from {REPLIES} ({q.period.name})"
    )
    assert Initiative.objects.filter(period=continuation.period, title=INITIATIVE).exists()


def test_a_team_lead_closes_the_quarter_for_the_team_from_the_team_page(
    page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    q = build_quarter()
    support = TeamFactory.create(organization=q.organization, name="Support")
    other = ObjectiveFactory.create(
        period=q.period, title=SUPPORT_OBJECTIVE, owner_person=None, owner_teams=[support]
    )
    KeyResultFactory.create(objective=other, title="Tickets answered within a day", owner=q.admin)
    sign_in(page, q.lead.user.email, PASSWORD)
    page.wait_for_url(f"**/o/{SLUG}/**")

    page.get_by_role("link", name="Teams", exact=True).first.click()
    page.locator("main").get_by_role("link", name="Growth", exact=True).first.click()
    page.wait_for_url(f"**/o/{SLUG}/teams/{q.growth.uid}/**")
    page.get_by_role("link", name=f"Close {q.period.name} for Growth: the checklist").click()
    page.wait_for_url(f"**/periods/{q.period.uid}/close/?team={q.growth.uid}")
    title = f"Close {q.period.name} for Growth"
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    checklist = page.locator("#checklist")
    # The team's own key results only: Support's is not on Growth's checklist.
    expect(checklist.locator("[data-count=missing-results]")).to_have_text("2")
    expect(checklist).not_to_contain_text(SUPPORT_OBJECTIVE)
    screenshot(page, "closing-team-checklist")

    page.get_by_role("link", name=f"{title}…").click()
    confirm = page.locator("#close-slot form")
    expect(confirm).to_contain_text(f"Closing {q.period.name} for Growth makes")
    confirm.locator("textarea[name=note]").fill("Growth is done with this quarter.")
    confirm.get_by_role("button", name=title, exact=True).click()
    expect(
        page.get_by_text(f"{q.period.name} is closed for Growth: its OKRs are read-only.")
    ).to_be_visible()
    closure = q.growth.closures.get(period=q.period)
    when = closed_on(closure.closed_at)
    expect(page.locator(".checklist__closed")).to_contain_text(
        f"Closed for Growth by Lena Ortiz on {when}."
    )
    # Only an admin reopens.
    expect(page.get_by_role("link", name=re.compile("Reopen"))).to_have_count(0)
    screenshot(page, "closing-team-closed")

    q.period.refresh_from_db()
    assert q.period.state == PeriodState.ACTIVE

    # Growth's objective is read-only; Support's, in the same period, is not.
    page.goto(f"/o/{SLUG}/objectives/{q.objective.uid}/")
    head = page.locator("#objective-head")
    expect(head.locator(".read-only-banner")).to_have_text(
        f"Read-only: Growth closed {q.period.name} on {when} (Lena Ortiz)."
    )
    expect(page.locator("#key-results").get_by_role("link", name="Check in")).to_have_count(0)
    page.goto(f"/o/{SLUG}/objectives/{other.uid}/")
    expect(page.locator("#objective-head .read-only-banner")).to_have_count(0)
    expect(page.locator("#key-results").get_by_role("link", name="Check in")).to_have_count(1)
    # Its lazily loaded sections are in: no request is left running into the teardown.
    expect(page.locator("[hx-trigger=load]")).to_have_count(0)
