"""Nothing private leaks through the REST API either (issue 5, "Tests"; PRODUCT.md,
"Transparency").

The world is the demo crawl's (`cairn.okrs.tests.test_leaks.build_world`): the demo
organization plus private items whose every text carries a marker, check-ins, dependencies
with threads, and a second organization, Globex. Every person gets a token; the routes are
read from the OpenAPI document, so a route joins the crawl when it is written. As the admin,
the crawl (`cairn.testing.leaks.api_crawl`) reads every list route (every page), every list
filtered by every item its query parameters can name, and every detail route for every
uuid a response shows; then every other person asks for every URL the admin asked for, and
for every URL of Globex's admin's crawl that names an item (and Globex's people for Acme's).
Each person's answers are checked against `cairn.testing.leaks.Rule`:

- no answer is a server error (its traceback is in the failure);
- no marker of an item the person may not see is in any answer;
- a URL naming an item the person may not see in its path (another organization's items
  included) is a 404; in its path or its query, it answers exactly as the same URL with an
  id that names nothing (same status, same body: nothing confirms that the item exists);
- every error has the one shape `{"detail": ..., "code": ...}`;
- every GET route of the document was asked for at least once (a route the crawl cannot
  fill in is a failure: teach `kind_of_name` its parameter);
- the positive control: each person reads the titles they are known to see, a check-in's
  words and a dependency's where such routes exist, so the test fails when the API goes
  blank or a gate shuts too much.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from django.test import Client

from cairn.conftest import World
from cairn.notifications import services as webhooks
from cairn.okrs.tests.test_leaks import LEAK_RE, build_world
from cairn.orgs.tokens import create_token, revoke_token
from cairn.testing.leaks import (
    NOWHERE,
    UUID_RE,
    ApiRoute,
    Crawl,
    Rule,
    api_crawl,
    api_routes,
    audit,
    error_shapes,
    non_confirmation,
    uid_index,
    uid_kinds,
    unreached,
)

pytestmark = pytest.mark.django_db

OPENAPI = "/api/v1/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
# The markers each person must read somewhere in the API: objective and key result titles
# (`LEAK-01` is Platform's private objective, `LEAK-03` its key result, `LEAK-14` Bea's
# private objective shared with Tom, `LEAK-16` its key result, `LEAK-19` the private key
# result shared with Vera).
PROBES = {
    "ada": {
        "LEAK-01",
        "LEAK-03",
        "Series B fundraise",
        "Keep monthly burn",
        "PUBLIC-CHILD",
        "ACME-HOOK",
    },
    "sofia": {"LEAK-01", "LEAK-03", "Launch the Acme product"},
    "mia": {"PUBLIC-CHILD", "Launch the Acme product"},
    "tom": {"LEAK-14", "LEAK-16"},
    "vera": {"LEAK-19"},
    "linus": {"PUBLIC-CHILD"},
    "omar": {"LEAK-01"},
    "otto": {"GLOBEX-01", "GLOBEX-02", "GLOBEX-04", "GLOBEX-HOOK"},
    "gina": {"GLOBEX-01", "GLOBEX-02"},
}
ACME_ADMIN, GLOBEX_ADMIN = "ada", "otto"
# Detail URLs of a route one response may add: a key result's first check-ins, not all of
# them (the list shows their words; a detail route reads them the same way).
PER_RESPONSE = 4
PATH_PARAMETER_RE = re.compile(r"\{[^/{}]+\}")


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    # Thousands of requests a minute per token, and thousands of expected 404s to not log.
    settings.CAIRN_API_RATE_PER_MINUTE = 0
    caplog.set_level(logging.CRITICAL, logger="django.request")


def openapi_routes() -> tuple[dict[str, Any], list[ApiRoute]]:
    response = Client().get(OPENAPI)
    assert response.status_code == 200, response.content[:300]
    document = response.json()
    return document, api_routes(document)


def server_errors(crawls: dict[str, Crawl]) -> list[str]:
    """One traceback for each route and error, with who met it where (the audit lists
    every URL)."""
    seen: dict[tuple[str, str], list[str]] = {}
    tracebacks: dict[tuple[str, str], str] = {}
    for name, result in crawls.items():
        for url, tb in sorted(result.tracebacks.items()):
            key = (
                PATH_PARAMETER_RE.sub("{}", UUID_RE.sub("{}", url.split("?")[0])),
                tb.rstrip().splitlines()[-1],
            )
            seen.setdefault(key, []).append(f"{name} {url}")
            tracebacks.setdefault(key, tb)
    return [
        f"server error on {route} ({len(where)} times, first: {where[0]}):\n"
        f"{tracebacks[(route, last)]}"
        for (route, last), where in sorted(seen.items())
    ]


def test_no_api_route_leaks_a_private_or_foreign_item() -> None:
    started = time.monotonic()
    world = build_world()
    people = world.people
    assert set(PROBES) <= set(people)
    tokens = {
        name: create_token(
            member=people[name], name="API leak crawl", read_only=not people[name].can_write
        )[1]
        for name in PROBES
    }
    # Webhooks (the admins' business) with words of their own, in both organizations.
    endpoints: dict[str, Any] = {}
    for admin, organization, marker in (
        (ACME_ADMIN, world.acme, "ACME-HOOK"),
        ("otto", world.globex, "GLOBEX-HOOK"),
    ):
        endpoint, _secret = webhooks.create_endpoint(
            actor=people[admin],
            url=f"https://hooks.example.test/{marker}",
            event_types=["check_in.created"],
            description=f"{marker} dashboard",
        )
        endpoints[str(endpoint.uid)] = organization
        world.markers[marker] = organization  # type: ignore[assignment]
    rule = Rule()
    for name, wanted in PROBES.items():
        for marker in wanted:
            assert rule.may_see(people[name], world.markers[marker]), (name, marker)
    uids = uid_index()
    kinds = uid_kinds()
    _document, routes = openapi_routes()

    crawls = {
        name: api_crawl(people[name], tokens[name], routes, kinds=kinds, per_response=PER_RESPONSE)
        for name in (ACME_ADMIN, GLOBEX_ADMIN)
    }

    def naming(result: Crawl) -> list[str]:
        return sorted(url for url in result.urls if UUID_RE.search(url))

    seeds = {
        "acme": sorted(crawls[ACME_ADMIN].urls) + naming(crawls[GLOBEX_ADMIN]),
        "globex": sorted(crawls[GLOBEX_ADMIN].urls) + naming(crawls[ACME_ADMIN]),
    }
    for name in PROBES:
        if name not in crawls:
            person = people[name]
            org = "globex" if person.organization_id == world.globex.pk else "acme"
            crawls[name] = api_crawl(
                person,
                tokens[name],
                routes,
                seeds=seeds[org],
                kinds=kinds,
                per_response=PER_RESPONSE,
            )
    # The admins, too, for the other organization's URLs.
    for name, org in ((ACME_ADMIN, "globex"), (GLOBEX_ADMIN, "acme")):
        extra = [url for url in seeds[org] if UUID_RE.search(url)]
        foreign = api_crawl(people[name], tokens[name], routes, seeds=extra, follow=False)
        crawls[name].responses.update(foreign.responses)
        crawls[name].tracebacks.update(foreign.tracebacks)

    plain = [marker for marker in world.markers if not LEAK_RE.match(marker)]
    paths = {route.path for route in routes}
    problems = [f"no URL of the crawl reaches {path}" for path in unreached(routes, crawls["ada"])]
    hidden_urls = 0
    for name, result in crawls.items():
        person = result.person
        found = audit(
            result,
            name=name,
            rule=rule,
            markers=world.markers,  # type: ignore[arg-type]
            pattern=LEAK_RE,
            uids=uids,
            plain=plain,
            naming=(),
        )
        problems += found.problems
        problems += error_shapes(result, name=name)
        hidden_urls += sum(
            any(uid in uids and not rule.may_see(person, uids[uid]) for uid in UUID_RE.findall(u))
            for u in result.urls
        )
        # An item the person may not see, or a webhook of the other organization, answers
        # as one that does not exist.
        problems += non_confirmation(
            result, tokens[name], name=name, rule=rule, uids={**uids, **endpoints}
        )
        missing = PROBES[name] - found.seen
        if missing:
            problems.append(f"{name} never read {sorted(missing)} in the API (positive control)")
        hidden = {m for m, obj in world.markers.items() if not rule.may_see(person, obj)}
        if person.organization_id == world.acme.pk:
            for what, words, route in (
                ("check-in", world.check_in_markers, "/api/v1/key-results/{id}/check-ins"),
                ("dependency", world.thread_markers, "/api/v1/dependencies"),
            ):
                if route in paths and (words - hidden) and not (words - hidden) & found.seen:
                    problems.append(f"{name} never read a {what}'s words (positive control)")

    problems += server_errors(crawls)
    requests = sum(len(result.responses) for result in crawls.values())
    print(
        f"\nAPI crawl: {len(routes)} GET routes, {len(crawls)} people, {requests} requests "
        f"({len(crawls[ACME_ADMIN].responses)} for the admin, {hidden_urls} naming an item "
        f"the person may not see) in "
        f"{time.monotonic() - started:.1f}s"
    )
    assert len(crawls[ACME_ADMIN].responses) >= len(routes)
    assert not problems, "\n".join(problems)


def test_every_operation_without_a_valid_token_is_a_401_in_the_error_shape(
    world: World,
) -> None:
    """No token, a made-up one, a revoked one: every operation of the document says 401 in
    the one error shape, before it looks at its parameters."""
    _token, raw = create_token(member=world.admin, name="revoked")
    revoke_token(token=_token, actor=world.admin)
    document, _routes = openapi_routes()
    problems = []
    operations = 0
    for path, item in sorted(document["paths"].items()):
        url = path
        for parameter in PATH_PARAMETER_RE.findall(path):
            url = url.replace(parameter, NOWHERE)
        for method in METHODS:
            if method not in item:
                continue
            operations += 1
            for label, headers in (
                ("no token", {}),
                ("a made-up token", {"Authorization": "Bearer cairn_not-a-token"}),
                ("a revoked token", {"Authorization": f"Bearer {raw}"}),
            ):
                client = Client(raise_request_exception=False, headers=headers)
                response = getattr(client, method)(url, content_type="application/json")
                body = response.content.decode(errors="replace")
                if response.status_code != 401:
                    problems.append(f"{method.upper()} {url} with {label}: {response.status_code}")
                    continue
                data = response.json()
                if not (isinstance(data.get("detail"), str) and isinstance(data.get("code"), str)):
                    problems.append(f"{method.upper()} {url} with {label}: 401 body {body!r}")
    assert operations
    assert not problems, "\n".join(problems)
