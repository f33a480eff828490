"""A closed period is read-only on every write path, web UI and API (issue 6: "a 4xx with a
message on any write, UI and API").

The period holds a rich objective (`closing_world`: key results, check-ins with an open
blocker and a Result, initiatives, a dependency with its thread, a sync, an alignment). Once
it is closed, as an admin (who may write anything):

- every route of the okrs, checkins and alignment apps whose URL names one of those items
  (read from the URL resolver, so a route joins the test when it is written) is POSTed to,
  as a page and as htmx, with the data of its own form where it shows one (filled in where
  blank), else with a generic payload: each answer is a 4xx with the reason (409 when it
  reaches the service; 403 or 404 where the gate says no first), or for the few reading
  pages a 200 that writes nothing;
- every POST, PATCH, PUT and DELETE of the API (read from its OpenAPI document) whose path
  can be filled with those items, or whose body names them, is called with its documented
  example: each answer is a 4xx in the one error shape, 409 `period_closed` where it reaches
  the service;

and afterwards no row of the period changed and the history did not grow.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.cache import cache
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cairn.alignment.models import Dependency, DependencyEvent
from cairn.checkins.models import CheckIn, CheckInRevision, Sync
from cairn.conftest import World, login
from cairn.okrs.models import Alignment, Initiative, KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import HistoryEvent
from cairn.orgs.tokens import create_token
from cairn.reporting import services
from cairn.reporting.tests.closing_world import Closing, build

pytestmark = pytest.mark.django_db

NAMESPACES = ("okrs", "checkins", "alignment")
# Pages that only read: a POST to them writes nothing and may show the page.
READ_PAGES = {
    "okrs:objective",
    "checkins:key_result",
    "checkins:sync",
    "checkins:objective_check_ins",
    "alignment:objective_dependencies",
    "alignment:dependency",
}
# Path parameters that name nothing of the closed period's items: routes with only these
# (teams, people) are not about them.
OTHER_PARAMETERS = {"team", "person"}
CLOSED_MESSAGE = "2026 Q4 is closed"
REFUSALS = {400, 403, 404, 409, 422}


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture, settings: Any) -> None:
    caplog.set_level(logging.CRITICAL, logger="django.request")
    settings.CAIRN_API_RATE_PER_MINUTE = 0
    cache.clear()


@pytest.fixture
def closed(world: World) -> Closing:
    closing = build(world)
    services.close_period(period=world.period, actor=world.admin, note="Done")
    return closing


def snapshot(closing: Closing) -> dict[str, Any]:
    """Every row of the closed period, as the database holds it."""
    period = closing.period
    in_period = Q(objective__period=period)

    def rows(queryset: Any) -> list[dict[str, Any]]:
        return list(queryset.order_by("pk").values())

    return {
        "objectives": rows(Objective.objects.filter(period=period)),
        "owners": rows(ObjectiveTeam.objects.filter(in_period)),
        "shared": rows(Objective.shared_with.through.objects.filter(in_period)),
        "key_results": rows(KeyResult.objects.filter(in_period)),
        "check_ins": rows(CheckIn.objects.filter(key_result__objective__period=period)),
        "revisions": rows(
            CheckInRevision.objects.filter(check_in__key_result__objective__period=period)
        ),
        "initiatives": rows(Initiative.objects.filter(Q(period=period) | in_period)),
        "dependencies": rows(Dependency.objects.filter(in_period)),
        "events": rows(DependencyEvent.objects.filter(dependency__objective__period=period)),
        "syncs": rows(Sync.objects.filter(in_period)),
        "alignments": rows(
            Alignment.objects.filter(
                Q(child__period=period)
                | Q(parent_objective__period=period)
                | Q(parent_key_result__objective__period=period)
            )
        ),
        "history": HistoryEvent.objects.count(),
    }


def items(closing: Closing) -> dict[str, list[Any]]:
    """Path parameter -> the closed items it can name."""
    initiatives = [closing.initiatives[name] for name in ("planned", "in_progress", "done")]
    return {
        "objective": [closing.objective],
        "key_result": [closing.signups, closing.demos, closing.private],
        "initiative": initiatives,
        "check_in": list(
            CheckIn.objects.filter(key_result__objective=closing.objective).order_by("pk")
        ),
        "dependency": [closing.dependency],
        "alignment": [closing.alignment],
    }


# The web UI ---------------------------------------------------------------------------------


class PostForm(HTMLParser):
    """The fields of the page's POST forms, as a browser would send them, blanks filled."""

    BLANKS = {"number": "5", "date": "2026-12-01", "email": "x@acme.test", "url": "https://x.test/"}

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_post = False
        self._select: tuple[str, bool, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""
        # A radio group with nothing checked: a person picks one, the first here.
        self._radios: dict[str, str] = {}

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_post = a.get("method", "get").lower() == "post"
        if not self._in_post or (not a.get("name") and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind == "radio":
                self._radios.setdefault(a["name"], a.get("value", "on"))
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value", "on"))
                return
            self._add(a["name"], a.get("value") or self.BLANKS.get(kind, "Read-only check"))
        elif tag == "select":
            self._select, self._options = (a["name"], "multiple" in a, "required" in a), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            for name, value in self._radios.items():
                self.data.setdefault(name, [value])
            self._in_post, self._radios = False, {}
        elif tag == "select" and self._select is not None:
            name, multiple, required = self._select
            chosen = [value for value, selected in self._options if selected]
            values = [value for value, _selected in self._options]
            if not multiple and not any(chosen):
                # As a person would: a required choice gets a real one (a "Choose…" blank is
                # none), an optional one stays as it is (a browser sends its first option).
                real = [value for value in values if value]
                chosen = real[:1] if required and real else chosen or values[:1]
            for value in chosen:
                self._add(name, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea, self._text.strip() or "Read-only check")
            self._textarea = None


def generic_data(world: World, closing: Closing) -> dict[str, Any]:
    """For routes without a form on their page: every field name the write forms use."""
    return {
        "title": "Read-only check",
        "description": "Read-only check",
        "need": "Read-only check",
        "comment": "Read-only check",
        "how": "Read-only check",
        "reason": "Read-only check",
        "note": "Read-only check",
        "notes": "Read-only check",
        "state": "withdrawn",
        "progress_value": "5",
        "confidence": "5",
        "held_on": "2026-12-01",
        "attendees": [str(world.member.uid)],
        "team": str(world.team.uid),
        "requesting_team": str(world.team.uid),
        "providing_team": str(world.other_team.uid),
        "key_result": str(closing.signups.uid),
        "owner": str(world.member.uid),
        "period": str(closing.period.uid),
        "owner_teams": [str(world.team.uid)],
        "visibility": "public",
        "kind": "metric",
        "start_value": "0",
        "target_value": "200",
        "weight": "1",
    }


def web_routes() -> list[tuple[str, list[str]]]:
    """(namespaced name, uuid parameters) of every route of the three apps."""
    found = []
    for top in get_resolver().url_patterns:
        if not isinstance(top, URLResolver) or top.namespace not in NAMESPACES:
            continue
        for pattern in top.url_patterns:
            assert isinstance(pattern, URLPattern), pattern
            converters = pattern.pattern.converters  # type: ignore[attr-defined]
            uuids = [
                name for name, conv in converters.items() if type(conv).__name__ == "UUIDConverter"
            ]
            found.append((f"{top.namespace}:{pattern.name}", uuids))
    return found


def test_every_web_route_that_writes_refuses_a_closed_periods_items(
    world: World, closed: Closing
) -> None:
    admin = login(Client(raise_request_exception=False), world.admin)
    named = items(closed)
    before = snapshot(closed)
    problems: list[str] = []
    asked: dict[str, int] = {}
    refused_409 = 0
    closed_routes: set[str] = set()
    for name, parameters in web_routes():
        if not parameters:
            continue
        if set(parameters) <= OTHER_PARAMETERS:
            continue
        unknown = set(parameters) - set(named)
        assert not unknown, f"{name}: teach the test what {unknown} names"
        for values in itertools.product(*(named[p] for p in parameters)):
            url = reverse(
                name,
                kwargs={
                    "org": "acme",
                    **{p: v.uid for p, v in zip(parameters, values, strict=True)},
                },
            )
            page = admin.get(url)
            form = PostForm()
            if page.status_code == 200:
                form.feed(page.content.decode())
            data = form.data or generic_data(world, closed)
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                response = admin.post(url, data, headers=headers)
                status, body = response.status_code, response.content.decode()
                asked[name] = asked.get(name, 0) + 1
                where = f"POST {url}{' (htmx)' if htmx else ''} [{name}]"
                if name in READ_PAGES:
                    if status not in (200, 405):
                        problems.append(f"{where}: {status} from a reading page")
                    continue
                if status not in REFUSALS:
                    problems.append(f"{where}: {status}, expected a refusal\n{body[:400]}")
                    continue
                if status == 409:
                    refused_409 += 1
                    closed_routes.add(name)
                    if CLOSED_MESSAGE not in body:
                        problems.append(f"{where}: 409 without the reason")
                    if htmx and response.get("HX-Refresh") != "true":
                        problems.append(f"{where}: htmx 409 without a reload")
                elif not re.search(r"\w", re.sub(r"<[^>]+>", " ", body)):
                    problems.append(f"{where}: {status} without a message")
    assert not problems, "\n".join(problems)
    writes = {name for name in asked if name not in READ_PAGES}
    # The routes that write, at the time of writing: the test must keep reaching them.
    assert {
        "okrs:objective_edit",
        "okrs:objective_delete",
        "okrs:objective_align",
        "okrs:alignment_delete",
        "okrs:key_result_new",
        "okrs:key_result_edit",
        "okrs:key_result_delete",
        "okrs:initiative_new",
        "okrs:initiative_edit",
        "okrs:initiative_defer",
        "okrs:initiative_delete",
        "checkins:check_in_new",
        "checkins:check_in_correct",
        "checkins:check_in_delete",
        "checkins:blocker_resolve",
        "checkins:sync_record",
        "alignment:dependency_new",
        "alignment:dependency_edit",
        "alignment:dependency_move",
        "alignment:dependency_comment",
    } <= writes
    # Each reached the closed period and said so, but correcting a check-in: that is its
    # author's alone, and the gate says so first (403).
    assert writes - {"checkins:check_in_correct"} <= closed_routes
    assert refused_409 >= 30
    assert snapshot(closed) == before


# The API ------------------------------------------------------------------------------------

# Path parameter -> the key of `items` it names.
API_PARAMETERS = {
    "objective_id": "objective",
    "key_result_id": "key_result",
    "initiative_id": "initiative",
    "check_in_id": "check_in",
    "dependency_id": "dependency",
    "link_id": "alignment",
}
# Operations that are allowed on a closed period: carry-over writes only the next period's
# rows, and closing and reopening are the period's own state.
ALLOWED = ("/carry-over", "/periods/")
METHODS = ("post", "patch", "put", "delete")


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    for option in schema.get("anyOf", [schema]):
        ref = option.get("$ref")
        if ref:
            return document["components"]["schemas"][ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]
    return schema


def example_body(
    document: dict[str, Any], operation: dict[str, Any], ids: dict[str, str]
) -> dict[str, Any] | None:
    """The operation's documented example, with every id in it pointing at a closed item
    (or the world's teams and people), without `updated_at` (that would be a race lost, not
    the closed period), and any required text it lacks filled in."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = _schema(document, content["schema"])
    examples = [e["value"] for e in content.get("examples", {}).values()]
    body = dict((schema.get("examples") or examples or [{}])[0])
    body.pop("updated_at", None)
    for name in schema.get("required", []):
        body.setdefault(name, "Read-only check")
    for name, value in list(body.items()):
        if name in ids:
            body[name] = [ids[name]] if isinstance(value, list) else ids[name]
        elif name == "initiative":
            body[name] = None
    return body


def required_query(operation: dict[str, Any]) -> str:
    names = [
        p["name"]
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    ]
    return "?" + "&".join(f"{name}=Read-only+check" for name in names) if names else ""


def test_every_api_write_refuses_a_closed_periods_items(world: World, closed: Closing) -> None:
    raw = create_token(member=world.admin, name="read-only test")[1]
    api = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})
    document = api.get("/api/v1/openapi.json").json()
    named = items(closed)
    ids = {
        "objective": str(closed.objective.uid),
        "key_result": str(closed.signups.uid),
        "period": str(closed.period.uid),
        "team": str(world.team.uid),
        "requesting_team": str(world.team.uid),
        "providing_team": str(world.other_team.uid),
        "owner": str(world.member.uid),
        "parent_objective": str(closed.company.uid),
        "owner_teams": str(world.team.uid),
        "owner_person": str(world.admin.uid),
    }
    before = snapshot(closed)
    problems: list[str] = []
    called: list[str] = []
    closed_answers: set[str] = set()
    for path, operations in sorted(document["paths"].items()):
        for method in METHODS:
            operation = operations.get(method)
            if operation is None or any(part in path for part in ALLOWED):
                continue
            parameters = re.findall(r"\{([^}]+)\}", path)
            body = example_body(document, operation, ids)
            if any(p not in API_PARAMETERS for p in parameters):
                continue
            if not parameters and not (body and set(body) & {"objective", "period"}):
                continue
            choices = [named[API_PARAMETERS[p]] for p in parameters]
            for values in itertools.product(*choices):
                url = path + required_query(operation)
                for parameter, value in zip(parameters, values, strict=True):
                    url = url.replace(f"{{{parameter}}}", str(value.uid))
                response = getattr(api, method)(
                    url,
                    json.dumps(body) if body is not None else None,
                    content_type="application/json",
                )
                where = f"{method.upper()} {url} {body}"
                called.append(f"{method.upper()} {path}")
                if response.status_code not in REFUSALS:
                    problems.append(f"{where}: {response.status_code} {response.content[:300]!r}")
                    continue
                error = response.json()
                if set(error) - {"detail", "code", "field"} or not error.get("detail"):
                    problems.append(f"{where}: not the error shape: {error}")
                if error.get("code") == "period_closed":
                    closed_answers.add(f"{method.upper()} {path}")
                    if response.status_code != 409 or CLOSED_MESSAGE not in error["detail"]:
                        problems.append(f"{where}: {response.status_code} {error}")
    assert not problems, "\n".join(problems)
    # Every write path of the API's OKRs reached the closed period and said so (the
    # collection POSTs with a closed objective or period in their body); correcting a
    # check-in is the author's alone, and the gate says so first.
    assert {
        "PATCH /api/v1/objectives/{objective_id}",
        "DELETE /api/v1/objectives/{objective_id}",
        "POST /api/v1/objectives/{objective_id}/alignments",
        "DELETE /api/v1/alignments/{link_id}",
        "POST /api/v1/objectives",
        "POST /api/v1/key-results",
        "PATCH /api/v1/key-results/{key_result_id}",
        "DELETE /api/v1/key-results/{key_result_id}",
        "POST /api/v1/key-results/{key_result_id}/check-ins",
        "PATCH /api/v1/check-ins/{check_in_id}",
        "DELETE /api/v1/check-ins/{check_in_id}",
        "POST /api/v1/blockers/{check_in_id}/resolve",
        "POST /api/v1/initiatives",
        "PATCH /api/v1/initiatives/{initiative_id}",
        "DELETE /api/v1/initiatives/{initiative_id}",
        "POST /api/v1/initiatives/{initiative_id}/defer",
        "POST /api/v1/dependencies",
        "PATCH /api/v1/dependencies/{dependency_id}",
        "POST /api/v1/dependencies/{dependency_id}/comments",
        "POST /api/v1/dependencies/{dependency_id}/state",
    } - {"PATCH /api/v1/check-ins/{check_in_id}"} <= closed_answers
    assert "PATCH /api/v1/check-ins/{check_in_id}" in called
    assert snapshot(closed) == before


def test_reopening_makes_the_same_writes_work_again(world: World, closed: Closing) -> None:
    services.reopen_period(period=closed.period, actor=world.admin, reason="Late result")
    admin = login(Client(), world.admin)
    url = reverse("okrs:objective_edit", args=["acme", closed.objective.uid])
    page = PostForm()
    page.feed(admin.get(url).content.decode())
    page.data["title"] = ["Launch it, again"]
    assert admin.post(url, page.data).status_code == 302
    closed.objective.refresh_from_db()
    assert closed.objective.title == "Launch it, again"
    raw = create_token(member=world.admin, name="after reopening")[1]
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    response = api.patch(
        f"/api/v1/key-results/{closed.signups.uid}",
        {"title": "Signups, again"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
