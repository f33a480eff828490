"""Queries per request do not grow with the organization: every scenario the benchmark
measures (`benchmarks.measure.scenarios`), for the member and the admin, runs the same queries
on a generated organization and on one three times its size.

"The same" is compared query by query, with the values taken out of the SQL: each statement
must run as many times in both organizations. The one difference allowed is a query that runs
in one and not in the other: Django skips a prefetch when there is nothing to prefetch (no
open blocker in someone's inbox, no revision on a key result's check-ins), and two generated
organizations never have all the same lists empty. A query per row shows as a statement run
more than once in one of them, and fails.

No timings here: a test that times would fail on a busy machine. Two tiny organizations
(about 12 and 30 people, 1,000 and 3,000 check-ins) keep it to a few seconds.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from benchmarks.generate import generate
from benchmarks.measure import WHO, Scenario, bench_settings, client_for, person, request, scenarios
from benchmarks.sizes import slug_for
from benchmarks.subjects import pick

pytestmark = pytest.mark.django_db

SMALL = 0.0005
LARGE = 0.0015  # three times SMALL

Shapes = dict[tuple[str, str], Counter[str]]

VALUES = (
    (re.compile(r"'(?:[^']|'')*'"), "?"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "?"),
    (re.compile(r"IN \(\?(?:, \?)*\)"), "IN (...)"),
)


def shape(sql: str) -> str:
    """The statement without its values: ids, dates and strings become `?`, lists `(...)`."""
    for pattern, replacement in VALUES:
        sql = pattern.sub(replacement, sql)
    return sql


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # The generator hashes its one password once; signing in is by session, not password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _run(scenario: Scenario, client: Any, slug: str) -> Counter[str]:
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = request(client, scenario, slug)
    assert response.status_code == scenario.expect, (
        f"{scenario.key} {scenario.path}: HTTP {response.status_code}"
    )
    return Counter(shape(query["sql"]) for query in captured.captured_queries)


def _shapes(factor: float, seed: int) -> Shapes:
    generate(size="S", seed=seed, factor=factor, out=lambda _line: None)
    subjects = pick(slug_for("S", factor))
    with bench_settings():
        clients = {who: client_for(person(subjects, who)) for who in WHO}
        return {
            scenario.key: _run(scenario, clients[scenario.who], subjects.org.slug)
            for scenario in scenarios(subjects)
        }


def _grown(small: Counter[str], large: Counter[str]) -> list[str]:
    """Statements run more than once in one organization and a different number of times in
    the other."""
    return [
        f"{small[sql]} -> {large[sql]}: {sql[:160]}"
        for sql in small.keys() | large.keys()
        if small[sql] != large[sql] and max(small[sql], large[sql]) > 1
    ]


def test_queries_per_request_do_not_grow_with_the_organization() -> None:
    # Two seeds: the generator draws ids from its seed, and both live in one database.
    small = _shapes(SMALL, seed=1)
    large = _shapes(LARGE, seed=2)

    assert small.keys() == large.keys()
    grown = {
        f"{name} ({who}), {small[name, who].total()} -> {large[name, who].total()} queries": found
        for name, who in small
        if (found := _grown(small[name, who], large[name, who]))
    }
    assert not grown, f"queries that grow with the organization: {grown}"
