"""The mixed read/write scenario of the HTTP load (run by `benchmarks.load`, not by hand).

Each locust user signs in as one person of the plan (`CAIRN_BENCH_PLAN`, written by
`benchmarks.load`) and then, without waiting (it measures capacity), reads pages and the API
about 85% of the time and writes a check-in through the API about 15% of the time. Requests
are named by route; anything but a 2xx is a failure (redirects are not followed: a page that
sends a signed-out user to the login form would otherwise count as a success).

When every user has signed in, the statistics are reset: the numbers are the steady state,
and the sign-ins (a deliberately slow password hash each) go to `CAIRN_BENCH_WARMUP`.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task
from locust.contrib.fasthttp import ResponseContextManager
from locust.env import Environment

_plan_path = os.environ.get("CAIRN_BENCH_PLAN")
if not _plan_path:
    raise SystemExit("CAIRN_BENCH_PLAN is not set: the load runs through benchmarks.load")
PLAN: dict[str, Any] = json.loads(Path(_plan_path).read_text())
PEOPLE: list[dict[str, Any]] = PLAN["people"]
PASSWORD: str = PLAN["password"]
WARMUP_FILE = os.environ.get("CAIRN_BENCH_WARMUP")

API = "/api/v1"
LOGIN = "/accounts/login/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Page kinds of the plan -> the route they are reported under.
PAGE_ROUTES = {
    "home": "/o/{org}/",
    "inbox": "/o/{org}/inbox/",
    "team": "/o/{org}/teams/{team}/",
    "objective": "/o/{org}/objectives/{objective}/",
    "key_result": "/o/{org}/key-results/{key_result}/",
    "alignment_map": "/o/{org}/alignment/?period={period}",
}

_next_person = itertools.count()
_started: dict[str, float] = {"at": time.time()}
_signed_in = itertools.count(1)


def _ok(response: ResponseContextManager, expected: int | None = None) -> None:
    status = response.status_code or 0
    good = status == expected if expected else 200 <= status < 300
    if good:
        response.success()
    else:
        response.failure(f"HTTP {status}")


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_kwargs: Any) -> None:
    _started["at"] = time.time()


def _after_sign_in(environment: Environment) -> None:
    """Once every user has signed in: keep what the warm-up saw, then start counting anew."""
    if next(_signed_in) != PLAN["users"] or environment.runner is None:
        return
    stats = environment.runner.stats
    logins = [entry for (name, _method), entry in stats.entries.items() if name == LOGIN]
    warmup = {
        # From the start of the test to the reset: the load's -t minus this is what's measured.
        "seconds": round(time.time() - _started["at"], 2),
        "logins": sum(entry.num_requests for entry in logins if entry.method == "POST"),
        "login_max_ms": max((entry.max_response_time for entry in logins), default=0),
        "requests": stats.total.num_requests,
        "failures": {
            f"{error.method} {error.name}: {error.error}": error.occurrences
            for error in stats.errors.values()
        },
    }
    if WARMUP_FILE:
        Path(WARMUP_FILE).write_text(json.dumps(warmup, indent=2))
    stats.reset_all()


class Person(FastHttpUser):
    wait_time = constant(0)
    # Sync gunicorn workers close every connection; no pooling to tune.
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        index = next(_next_person)
        self.person: dict[str, Any] = PEOPLE[index % len(PEOPLE)]
        self.rng = random.Random(index)
        self.api_headers = {"Authorization": f"Bearer {self.person['token']}"}
        self.pages: dict[str, list[str]] = self.person["pages"]
        self.objectives: list[str] = self.person["objectives"]
        self.key_results: list[dict[str, Any]] = self.person["key_results"]
        try:
            self._sign_in()
        finally:
            _after_sign_in(self.environment)

    def _sign_in(self) -> None:
        with self.client.get(LOGIN, name=LOGIN, catch_response=True) as response:
            _ok(response)
            found = CSRF_INPUT.search(response.text or "")
        if not found:
            return
        form = {
            "csrfmiddlewaretoken": found.group(1),
            "username": self.person["email"],
            "password": PASSWORD,
            "next": "",
        }
        with self.client.post(
            LOGIN,
            name=LOGIN,
            data=form,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A successful sign-in redirects; the form again (200) means it was refused.
            _ok(response, expected=302)

    # Reading ---------------------------------------------------------------------------------

    def _page(self, kind: str) -> None:
        url = self.rng.choice(self.pages[kind])
        with self.client.get(
            url, name=PAGE_ROUTES[kind], allow_redirects=False, catch_response=True
        ) as response:
            _ok(response)

    def _api(self, path: str, name: str) -> None:
        with self.client.get(
            API + path,
            name=API + name,
            headers=self.api_headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _ok(response)

    @task(10)
    def home(self) -> None:
        self._page("home")

    @task(10)
    def inbox(self) -> None:
        self._page("inbox")

    @task(8)
    def team(self) -> None:
        self._page("team")

    @task(10)
    def objective(self) -> None:
        self._page("objective")

    @task(10)
    def key_result(self) -> None:
        self._page("key_result")

    @task(1)
    def alignment_map(self) -> None:
        # The heaviest page: the whole period's objectives and links.
        self._page("alignment_map")

    @task(3)
    def api_me(self) -> None:
        self._api("/me", "/me")

    @task(2)
    def api_inbox(self) -> None:
        self._api("/inbox", "/inbox")

    @task(2)
    def api_teams(self) -> None:
        self._api("/teams?limit=50", "/teams")

    @task(6)
    def api_objectives(self) -> None:
        self._api(f"/objectives?period={self.person['period']}&limit=20", "/objectives")

    @task(5)
    def api_objective(self) -> None:
        self._api(f"/objectives/{self.rng.choice(self.objectives)}", "/objectives/{id}")

    @task(6)
    def api_key_results(self) -> None:
        self._api(f"/key-results?owner={self.person['member']}&limit=50", "/key-results")

    @task(6)
    def api_key_result(self) -> None:
        kr = self.rng.choice(self.key_results)
        self._api(f"/key-results/{kr['id']}", "/key-results/{id}")

    @task(5)
    def api_check_ins(self) -> None:
        kr = self.rng.choice(self.key_results)
        self._api(f"/key-results/{kr['id']}/check-ins?limit=20", "/key-results/{id}/check-ins")

    # Writing ---------------------------------------------------------------------------------

    def _progress(self, kr: dict[str, Any]) -> int | float | bool:
        if kr["kind"] == "milestone":
            return self.rng.random() < 0.2
        if kr["kind"] == "percentage":
            return self.rng.randint(0, 100)
        start, target = kr["start"], kr["target"]
        return round(start + (target - start) * self.rng.random(), 2)

    @task(15)
    def check_in(self) -> None:
        kr = self.rng.choice(self.key_results)
        payload = {
            "progress": {"value": self._progress(kr), "comment": "Load test check-in."},
            "confidence": {"level": self.rng.randint(3, 9)},
        }
        with self.client.post(
            f"{API}/key-results/{kr['id']}/check-ins",
            name=f"{API}/key-results/{{id}}/check-ins",
            json=payload,
            headers=self.api_headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _ok(response, expected=201)
