"""The leak crawl over a closed quarter (issue 6): the period reports, their CSV, XLSX (read
as text) and JSON exports and the calibration pages, with scores, results, retrospectives
and calibration filled in, as the admin, a member of another team, a viewer and an outsider.

The generated and demo crawls (cairn/alignment, cairn/okrs) seed the same URLs over open
periods; here every surface has closed data to leak."""

from __future__ import annotations

import logging
import re

import pytest

from cairn.conftest import World
from cairn.reporting.tests.report_world import closed_quarter
from cairn.testing.leaks import (
    Rule,
    audit,
    crawl,
    foreign_urls,
    report_urls,
    statuses,
    uid_index,
)

pytestmark = pytest.mark.django_db

MARKER_RE = re.compile(r"PRIVATE-(?:[A-Z0-9]+-)*(?:MARKER|UNIT)")


def test_no_report_export_or_calibration_page_leaks_a_private_item(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="django.request")
    q = closed_quarter(world)
    secret, secret_kr = q.objectives["secret"], q.key_results["secret"]
    hidden_kr = q.key_results["hidden"]
    markers = {
        "PRIVATE-MARKER": secret,
        "PRIVATE-KR-MARKER": secret_kr,
        "PRIVATE-UNIT": secret_kr,
        "PRIVATE-INSIGHT-MARKER": secret_kr,
        "PRIVATE-BLOCKER-MARKER": secret_kr,
        "PRIVATE-RETRO-MARKER": secret_kr,
        "PRIVATE-KR2-MARKER": hidden_kr,
        # Their numbers: the target and final value of the secret key result, the margin's
        # target.
        "987654": secret_kr,
        "876543": secret_kr,
        "333333": hidden_kr,
    }
    plain = ["987654", "876543", "333333"]
    rule = Rule()
    uids = uid_index()
    seeds = report_urls(world.org)
    # Every export of every team's report, and the calibration of each person.
    for period in (q.period, world.period):
        for team in (world.team, world.other_team):
            seeds += [
                f"/o/acme/periods/{period.uid}/report.{fmt}?team={team.uid}"
                for fmt in ("csv", "xlsx")
            ]
    seeds += [f"/o/acme/calibration/?person={m.uid}" for m in (world.admin, world.member)]
    problems: list[str] = []
    crawls = {}
    for name in ("admin", "member", "viewer"):
        person = getattr(world, name)
        # The seeds are every surface of the issue; other pages have crawls of their own.
        crawls[name] = crawl(person, seeds, follow=False)
        found = audit(
            crawls[name],
            name=name,
            rule=rule,
            markers=markers,
            pattern=MARKER_RE,
            uids=uids,
            plain=plain,
        )
        problems += found.problems
        if name == "admin":
            # The positive control: the admin reads every marker somewhere.
            missing = set(markers) - found.seen
            assert not missing, missing
    # Everything the admin asked for that names one of our items is a 404 to the outsider.
    for url, status in statuses(
        world.outsider, foreign_urls(crawls["admin"], "acme", "globex")
    ).items():
        if status != 404:
            problems.append(f"outsider GET {url}: {status}")
    assert not problems, "\n".join(problems)
    assert any(url.endswith(".xlsx") for url in crawls["member"].urls)
