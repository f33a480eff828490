"""In-process measurements: server time and queries per request through the full Django stack
(middleware, the membership gate, templates, django-ninja), against the raw-SQL floor.

For every scenario (`scenarios`) and for both people (a typical member and an admin,
`benchmarks.subjects`): `warmup` untimed requests, one untimed request under
`CaptureQueriesContext` for the query count, then `iterations` requests each timed with
`time.perf_counter()` around `Client.get` / `Client.post`. Then the floor of the same scenario
(`benchmarks.floor`: the same rows by hand-written SQL, one round trip per table) is timed as
many times in the same process, on the same connection.

Every response must have the scenario's expected status (200; 302 for the check-in form's
redirect): anything else is recorded in the row's `error` and the scenario is not timed.

Each row: name, who, method, path, status, p50_ms, p95_ms, max_ms, queries, floor_ms,
floor_queries, ratio, target_ms, target_kind (and error when there is one).
- p95 is `statistics.quantiles(samples, n=20)[18]` (inclusive method), p50 the median.
- `floor_ms` is the p50 of the floor; `ratio` is app p50 / floor p50: the median is the
  stable figure at 30 iterations, where a p95 is one or two samples.
- `target_kind` is "issue" when the issue sets the target (its figure at size L), and
  "guidance" where it sets none (home, period report, export): those targets are ours.

The check-in write posts the real form, so each of its requests records a real check-in (on
`Subjects.write_key_result`, never on the heavy key result the page scenarios read); the
writes run after every read so that the reads see the same data for both people.

Before measuring, `prepare` does what `cairn serve` does before it serves: gather SQLite's
query planner statistics when there are none (a generated database has none, and without them
a key result's history reads the whole organization's check-ins) and collect the static files
when the manifest is missing.

Settings: the process keeps the settings of its environment (database, DEBUG off, the static
manifest), with three test-only adjustments applied for the run: the test client's host is
allowed, the API rate limit is lifted (600 requests a minute would cut the run short), and
where no manifest was collected (the tests) the plain static storage replaces the manifest
one, which cannot render a page without it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, reset_queries
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks import floor
from benchmarks.subjects import BENCH_COMMENT, Subjects, pick
from cairn.api.auth import ORGANIZATION_HEADER
from cairn.lib.database import refresh_statistics
from cairn.lib.runtime import tune_gc
from cairn.okrs.models import KeyResultKind
from cairn.orgs.models import Member

WHO = ("member", "admin")
ISSUE = "issue"
GUIDANCE = "guidance"
HOST = "testserver"
API = "/api/v1"
# Timing stops after this many seconds per scenario (app and floor each), once MIN_SAMPLES
# requests are in; `samples` in the row says how many were.
BUDGET_SECONDS = 60.0
MIN_SAMPLES = 5


@dataclass(frozen=True)
class Scenario:
    name: str
    who: str
    path: str
    target_ms: float
    target_kind: str
    method: str = "GET"
    form: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    api: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.who)


def person(subjects: Subjects, who: str) -> Member:
    return subjects.admin if who == "admin" else subjects.member


def check_in_form(subjects: Subjects) -> dict[str, str]:
    """The check-in form as a person fills it in: the value, a comment, a confidence and the
    next step (its due date left to the form's default)."""
    kr = subjects.write_key_result
    if kr.kind == KeyResultKind.MILESTONE:
        value = "1" if kr.current_value >= kr.target_value else "0"
    else:
        value = format(kr.current_value.normalize(), "f")
    return {
        "progress_value": value,
        "progress_comment": BENCH_COMMENT,
        "confidence": "7",
        "next_up_plan": "Benchmark: the next step, and how.",
    }


def scenarios(subjects: Subjects) -> list[Scenario]:
    """Every measured request, reads first (member and admin side by side), writes last."""
    slug = subjects.org.slug

    def page(name: str, *args: object) -> str:
        return reverse(name, args=[slug, *args])

    period = f"?period={subjects.period.uid}"
    # The report and export a team lead reads: the typical member's team (the admin reads the
    # same); the whole organization's report is measured once more, for the admin alone.
    team = f"?team={subjects.team.uid}"
    kr = subjects.heavy_key_result
    reads: list[tuple[str, str, float, str, bool]] = [
        ("inbox", page("checkins:inbox"), 50, ISSUE, False),
        ("home", page("okrs:home"), 50, GUIDANCE, False),
        ("team", page("okrs:team", subjects.team.uid), 50, ISSUE, False),
        ("objective", page("okrs:objective", subjects.objective.uid), 50, ISSUE, False),
        ("key_result", page("checkins:key_result", kr.uid), 50, ISSUE, False),
        ("alignment_map", page("alignment:map") + period, 500, ISSUE, False),
        ("alignment_health", page("alignment:health") + period, 500, ISSUE, False),
        (
            "period_report",
            page("reporting:period_report", subjects.report_period.uid) + team,
            500,
            GUIDANCE,
            False,
        ),
        (
            "export_csv",
            page("reporting:period_report_csv", subjects.report_period.uid) + team,
            500,
            GUIDANCE,
            False,
        ),
        ("api_objectives", f"{API}/objectives{period}", 30, ISSUE, True),
        ("api_key_results", f"{API}/key-results{period}", 30, ISSUE, True),
        ("api_check_ins", f"{API}/key-results/{kr.uid}/check-ins", 30, ISSUE, True),
        ("api_inbox", f"{API}/inbox", 30, ISSUE, True),
        ("api_objective", f"{API}/objectives/{subjects.objective.uid}", 30, ISSUE, True),
        ("api_key_result", f"{API}/key-results/{kr.uid}", 30, ISSUE, True),
    ]
    out = [
        Scenario(name, who, path, target, kind, api=api)
        for name, path, target, kind, api in reads
        for who in WHO
    ]
    out.append(
        Scenario(
            "period_report_org",
            "admin",
            page("reporting:period_report", subjects.report_period.uid),
            500,
            GUIDANCE,
        )
    )
    write_path = page("checkins:check_in_new", subjects.write_key_result.uid)
    out += [
        Scenario(
            "check_in_write",
            who,
            write_path,
            20,
            ISSUE,
            method="POST",
            form=check_in_form(subjects),
            expect=302,
        )
        for who in WHO
    ]
    return out


def prepare(out: Callable[[str], Any] | None = None) -> None:
    """What `cairn serve` does before serving (see the module docstring)."""
    if refresh_statistics(only_if_missing=True) and out:
        out("Gathered the query planner's statistics (ANALYZE), as `cairn serve` does.")
    if not settings.DEBUG and not _manifest_present():
        call_command("collectstatic", interactive=False, verbosity=0)
    # And what a server worker does when it loads `cairn.wsgi`.
    tune_gc()


@contextmanager
def bench_settings() -> Iterator[None]:
    """The environment's settings with the three adjustments of the module docstring."""
    overrides: dict[str, Any] = {
        "ALLOWED_HOSTS": [*settings.ALLOWED_HOSTS, HOST],
        "CAIRN_API_RATE_PER_MINUTE": 10**9,
    }
    if not _manifest_present():
        overrides["STORAGES"] = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    with override_settings(**overrides):
        yield


def _manifest_present() -> bool:
    from django.contrib.staticfiles.storage import staticfiles_storage

    read = getattr(staticfiles_storage, "read_manifest", None)
    return read is None or read() is not None


def client_for(member: Member) -> Client:
    client = Client(HTTP_HOST=HOST)
    client.force_login(member.user)
    return client


def request(client: Client, scenario: Scenario, slug: str) -> HttpResponse:
    headers = {ORGANIZATION_HEADER: slug} if scenario.api else {}
    if scenario.method == "POST":
        return client.post(scenario.path, scenario.form, headers=headers)  # type: ignore[return-value]
    return client.get(scenario.path, headers=headers)  # type: ignore[return-value]


def count_queries(client: Client, scenario: Scenario, slug: str) -> tuple[int, int]:
    """(status, queries) of one request."""
    # The query log is a bounded deque (9,000): once full, a capture would count nothing.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = request(client, scenario, slug)
    return response.status_code, len(captured.captured_queries)


def _quantiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95 and max; with a single sample all three are that sample."""
    ordered = sorted(samples)
    if len(ordered) < 2:
        return ordered[0], ordered[0], ordered[0]
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18]
    return statistics.median(ordered), p95, ordered[-1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _time(call: Callable[[], object], iterations: int, budget: float) -> list[float]:
    """`iterations` timed calls, or fewer (at least MIN_SAMPLES) once `budget` seconds are
    spent: a page that takes seconds at size L must not hold the run for an hour."""
    samples: list[float] = []
    deadline = time.monotonic() + budget
    for _ in range(iterations):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
        if len(samples) >= MIN_SAMPLES and time.monotonic() > deadline:
            break
    return samples


def _row(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "who": scenario.who,
        "method": scenario.method,
        "path": scenario.path,
        "status": None,
        "p50_ms": None,
        "p95_ms": None,
        "max_ms": None,
        "queries": None,
        "samples": 0,
        "floor_ms": None,
        "floor_queries": None,
        "ratio": None,
        "target_ms": scenario.target_ms,
        "target_kind": scenario.target_kind,
    }


def _bad(response: HttpResponse, scenario: Scenario) -> str | None:
    if response.status_code == scenario.expect:
        return None
    body = response.content[:200].decode("utf-8", "replace") if response.content else ""
    return f"HTTP {response.status_code} (expected {scenario.expect}): {body}"


class BadStatus(Exception):
    pass


def measure_one(
    client: Client,
    scenario: Scenario,
    subjects: Subjects,
    *,
    iterations: int,
    warmup: int,
    budget: float = BUDGET_SECONDS,
) -> dict[str, Any]:
    row = _row(scenario)
    slug = subjects.org.slug

    def call() -> None:
        response = request(client, scenario, slug)
        row["status"] = response.status_code
        if error := _bad(response, scenario):
            row["error"] = error
            raise BadStatus

    try:
        for _ in range(warmup):
            call()
        status, row["queries"] = count_queries(client, scenario, slug)
        row["status"] = status
        if status != scenario.expect:
            row["error"] = f"HTTP {status} (expected {scenario.expect})"
            return row
        samples = _time(call, iterations, budget)
    except BadStatus:
        return row
    p50, p95, top = _quantiles(samples)
    row.update(p50_ms=_ms(p50), p95_ms=_ms(p95), max_ms=_ms(top), samples=len(samples))

    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    try:
        plan = floor.plan(scenario.name, subjects, person(subjects, scenario.who), session_key)
        for _ in range(warmup):
            plan.run()
        floor_p50 = statistics.median(_time(plan.run, iterations, budget))
    except DatabaseError as exc:
        # The app's figures stand; the floor's SQL is ours to fix.
        row["floor_error"] = f"{type(exc).__name__}: {exc}"[:300]
        return row
    row["floor_queries"] = plan.round_trips
    row["floor_ms"] = _ms(floor_p50)
    row["ratio"] = round(p50 / floor_p50, 2) if floor_p50 else None
    return row


def measure(
    slug: str,
    *,
    iterations: int = 30,
    warmup: int = 3,
    budget: float = BUDGET_SECONDS,
    out: Callable[[str], Any] | None = print,
) -> list[dict[str, Any]]:
    """Every scenario for the member and the admin of organization `slug` (see the module
    docstring); one row each, in `scenarios` order. `out` gets a line per scenario."""
    prepare(out)
    subjects = pick(slug)
    if out:
        out(f"Measuring {slug}: {subjects.describe()}")
    rows = []
    with bench_settings():
        clients = {who: client_for(person(subjects, who)) for who in WHO}
        for scenario in scenarios(subjects):
            row = measure_one(
                clients[scenario.who],
                scenario,
                subjects,
                iterations=iterations,
                warmup=warmup,
                budget=budget,
            )
            rows.append(row)
            if out:
                out(_line(row))
    return rows


def _line(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"  {row['name']} ({row['who']}): {row['error']}"
    return (
        f"  {row['name']} ({row['who']}): p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
        f"{row['queries']} queries, floor {row['floor_ms']} ms, app/floor {row['ratio']}"
        + (f" [floor: {row['floor_error']}]" if row.get("floor_error") else "")
    )
