"""Nothing private leaks from the parts a big map and a long health report load on demand.

At the benchmark's size the map draws the top of the team tree and loads each team, and the
personal objectives a page at a time, when they are opened; the health report shows the
first rows of each finding and loads the rest a page at a time. Here the hand-made
organization of `test_alignment_leaks` (`RICH`) is crawled with parts of no rows and pages of
one, so that every one of those parts is a request of its own: as every person, from the map
and the health report of each period and each team's map, following every link and `hx-get`
that stays on alignment pages. Each response is checked with the same rule: no server error,
no marker of an item the person may not see, a URL naming such an item is a 404; and the
positive controls: together the parts show every objective the person may see, and the
private objective between two they see as "Private objective", without its words.
"""

from __future__ import annotations

import logging
from collections import deque

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cairn.alignment.queries import health as health_queries
from cairn.alignment.queries import map as map_queries
from cairn.alignment.tests.test_alignment_leaks import (
    MARKER_RE,
    NOW,
    REDACTED,
    RICH,
    Built,
    Markers,
    build_organization,
    redacted_between,
)
from cairn.okrs.models import Objective
from cairn.orgs.models import Member
from cairn.testing.leaks import Crawl, LinkParser, Rule, audit, normalise, response_text, uid_index

pytestmark = pytest.mark.django_db


def alignment_crawl(person: Member, seeds: list[str]) -> Crawl:
    """Breadth-first over every link and `hx-get` under an alignment path, each URL as a page
    and as an htmx request."""
    client = Client(raise_request_exception=False)
    client.force_login(person.user)
    result = Crawl(person)
    queue = deque(seeds)
    seen = set(seeds)
    while queue:
        url = queue.popleft()
        for htmx in (False, True):
            response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
            body = response_text(response)
            result.responses[(url, htmx)] = (response.status_code, body)
            parser = LinkParser()
            parser.feed(body)
            if response.has_header("Location"):
                parser.links.append(response["Location"])
            for link in parser.links:
                target = normalise(link, url)
                if target and "/alignment/" in target and target not in seen:
                    seen.add(target)
                    queue.append(target)
    return result


def seeds(built: Built) -> list[str]:
    slug = built.organization.slug
    the_map = reverse("alignment:map", args=[slug])
    health = reverse("alignment:health", args=[slug])
    urls = [the_map, health]
    urls += [f"{the_map}?period={period.uid}" for period in built.periods]
    urls += [f"{health}?period={period.uid}" for period in built.periods]
    urls += [f"{the_map}?team={team.uid}" for team in built.teams]
    return urls


def test_the_parts_of_a_big_map_and_health_report_leak_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="django.request")
    monkeypatch.setattr(map_queries, "OPEN_ROWS", 0)
    monkeypatch.setattr(map_queries, "PEOPLE_PAGE", 1)
    monkeypatch.setattr(health_queries, "HEALTH_ROWS", 1)
    problems: list[str] = []
    with time_machine.travel(NOW, tick=False):
        marks = Markers(300)
        built = build_organization(RICH, "300", marks)
        rule = Rule()
        uids = uid_index()
        parts = 0
        for i, member in enumerate(built.people):
            person = Member.objects.select_related("user", "organization").get(pk=member.pk)
            result = alignment_crawl(person, seeds(built))
            parts += sum(
                1
                for url, htmx in result.responses
                if htmx and ("/alignment/teams/" in url or "/alignment/people/" in url)
            )
            found = audit(
                result, name=f"P{i}", rule=rule, markers=marks.owner, pattern=MARKER_RE, uids=uids
            )
            problems += found.problems
            titles = {
                marker
                for marker in marks.control
                if isinstance(marks.owner[marker], Objective)
                and rule.may_see(person, marks.owner[marker])
            }
            missing = titles - found.seen
            if missing:
                problems.append(f"P{i} never saw the objectives {sorted(missing)} on the map")
            if redacted_between(rule, person, built) and not any(
                REDACTED in body
                for (url, _), (_, body) in result.responses.items()
                if "/alignment/" in url
            ):
                problems.append(f"P{i}: no {REDACTED!r} in any part of the map")
    assert parts > 20, "the crawl reached too few parts"
    assert not problems, "\n".join(problems)
