"""schemathesis over every operation of the API (issue 5, "Tests").

The OpenAPI document is served by the app itself (`/api/v1/openapi.json`) and loaded in
process through the WSGI application, on the test database. For every operation, hypothesis
generates a bounded number of requests from the document (valid ones, and invalid ones where
the operation takes input), derandomized so that CI sends the same ones every time, and sends
each with the token of an admin or of a member (drawn per request) of a small organization.
Generated ids would name nothing, so a path parameter, a query parameter or a body field that
names an item gets, drawn per request, a real one of its kind: the organization's own, one
the member may not see, another organization's, one that names nothing, or the generated
value. Each request runs in a savepoint rolled back after it, so a DELETE does not empty the
organization for the requests after it.

Each answer is checked:

- `not_a_server_error`: no 5xx (the failure carries Cairn's frames of the traceback);
- `status_code_conformance`: the status is one the operation documents (every operation
  documents its errors: 401, 404, 422 and the others of `cairn.api.errors`);
- `content_type_conformance` and `response_schema_conformance`: the body is what the
  document says for that status;
- every error has the one shape `{"detail": ..., "code": ...}`.

The document itself is a test: it validates against the OpenAPI meta-schema, and every
operation in it can be turned into requests.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cairn.alignment import services as alignment
from cairn.api.api import api
from cairn.checkins import services as checkins
from cairn.conftest import World
from cairn.notifications import services as webhooks
from cairn.okrs import services as okrs
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs.tokens import create_token
from cairn.testing.leaks import NOWHERE, fits, kind_of_name, short_traceback, uid_kinds

OPENAPI = "/api/v1/openapi.json"
# Requests per operation (valid input, and invalid input where the operation takes any).
EXAMPLES = 25
METHODS = ("get", "put", "post", "patch", "delete")
# The operations, read from the document at collection: each is a test of its own, and a
# route joins the test the moment it is written.
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in sorted(api.get_openapi_schema()["paths"].items())
    for method in METHODS
    if method in item
]
TALLY: dict[str, float] = {"operations": 0, "requests": 0, "seconds": 0.0}
# Statuses of all requests so far, by class ("2xx", "404", ...): a test whose requests all
# answer 404 or 422 would test little.
STATUSES: Counter[str] = Counter()


@pytest.fixture(autouse=True)
def _in_process(settings: Any) -> Iterator[None]:
    """Requests go through Django's WSGI handler inside the test's transaction: as Django's
    test client does, keep the handler from closing the connection around each request. No
    rate limit: a test sends hundreds of requests a minute with one token."""
    settings.CAIRN_API_RATE_PER_MINUTE = 0
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def app_schema(db: None) -> Any:
    schema = schemathesis.openapi.from_wsgi(OPENAPI, WSGIHandler())
    return schema


def _objective_with_everything(world: World) -> Objective:
    """A public objective of the member's team with a key result, an initiative, check-ins
    (an open blocker among them) and a request to the other team."""
    objective = okrs.create_objective(
        actor=world.member,
        period=world.period,
        title="Launch the Acme product",
        owner_teams=[world.team],
    )
    kr = okrs.create_key_result(
        actor=world.member, objective=objective, title="Reach 500 users", target_value=500
    )
    okrs.create_initiative(actor=world.member, objective=objective, team=world.team, title="Beta")
    checkins.record_check_in(
        key_result=kr,
        author=world.member,
        progress=checkins.Progress(value=120, comment="Good week"),
        confidence=checkins.Confidence(level=6, needs="Design help"),
        next_up=checkins.NextUp(plan="Ship the beta"),
        insight=True,
    )
    checkins.record_check_in(
        key_result=kr,
        author=world.member,
        progress=checkins.Progress(value=130, comment="Stuck on review"),
        blocker=True,
    )
    alignment.request_dependency(
        actor=world.member,
        objective=objective,
        key_result=kr,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="A review of the launch plan",
    )
    return objective


@pytest.fixture
def organization(world: World, private_objective: Objective) -> dict[str, Any]:
    """Tokens of an admin and a member, and the ids each kind of parameter is drawn from:
    items of Acme (one of them private to the member), of Globex, and none."""
    objective = _objective_with_everything(world)
    okrs.create_key_result(
        actor=world.admin,
        objective=private_objective,
        title="A private key result",
        target_value=5,
    )
    aligned = okrs.create_objective(
        actor=world.member, period=world.period, title="Child", owner_teams=[world.team]
    )
    okrs.align(actor=world.member, child=aligned, parent_objective=objective)
    foreign = okrs.create_objective(
        actor=world.outsider,
        period=world.other_period,
        title="Globex objective",
        owner_person=world.outsider,
    )
    okrs.create_key_result(actor=world.outsider, objective=foreign, title="G", target_value=3)
    webhooks.create_endpoint(
        actor=world.admin, url="https://hooks.example.test/cairn", event_types=["check_in.created"]
    )
    assert KeyResult.objects.count() == 3
    by_kind: dict[str, list[str]] = {}
    for uid, kind in sorted(uid_kinds().items()):
        by_kind.setdefault(kind, []).append(uid)
    tokens = {
        "admin": create_token(member=world.admin, name="schemathesis")[1],
        "member": create_token(member=world.member, name="schemathesis")[1],
    }
    return {"tokens": tokens, "ids": by_kind}


def _ids_for(name: str, ids: dict[str, list[str]]) -> list[str]:
    wanted = kind_of_name(name)
    return sorted({uid for kind, uids in ids.items() if fits(kind, wanted) for uid in uids})


def _substitute(case: Any, data: st.DataObject, ids: dict[str, list[str]]) -> None:
    """Give every parameter and body field that names a kind of item a real id, drawn."""

    def draw(name: str, current: Any) -> Any:
        real = _ids_for(name, ids)
        if not real:
            return current
        return data.draw(st.sampled_from([*real, NOWHERE, current]), label=name)

    path = case.operation.path
    for name in list(case.path_parameters or {}):
        before = path.split(f"{{{name}}}")[0].rstrip("/").rsplit("/", 1)[-1]
        kind_name = before if "{" not in before else name
        case.path_parameters[name] = draw(kind_name, case.path_parameters[name])
    for name in list(case.query or {}):
        case.query[name] = draw(name, case.query[name])
    if isinstance(case.body, dict):
        for name, value in list(case.body.items()):
            if isinstance(value, str):
                case.body[name] = draw(name, value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                real = _ids_for(name, ids)
                if real:
                    case.body[name] = data.draw(
                        st.lists(st.sampled_from([*real, NOWHERE]), max_size=3, unique=True)
                        | st.just(value),
                        label=name,
                    )


def error_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is `{"detail": ..., "code": ...}`."""
    if 400 <= response.status_code < 500:
        data = response.json()
        if not (
            isinstance(data, dict)
            and isinstance(data.get("detail"), str)
            and isinstance(data.get("code"), str)
        ):
            raise AssertionError(f"{response.status_code} not in the error shape: {data!r}")
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_shape,
]


class ServerErrors:
    """The exception behind a 500, caught as Django's handler reports it."""

    def __init__(self) -> None:
        self.last: BaseException | None = None

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        self.last = sys.exc_info()[1]

    def __enter__(self) -> ServerErrors:
        got_request_exception.connect(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        got_request_exception.disconnect(self)


def _strategy(operation: Any) -> Any:
    """Valid input; and invalid input too where the operation takes any."""
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    definition = operation.definition.raw
    if definition.get("parameters") or definition.get("requestBody"):
        strategy = strategy | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    return strategy


def test_the_openapi_document_is_valid_and_every_operation_in_it_loads(app_schema: Any) -> None:
    app_schema.validate()
    labels = []
    for result in app_schema.get_all_operations():
        operation = result.ok()  # raises for an operation schemathesis cannot read
        labels.append(operation.label)
    assert sorted(labels) == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_operation_answers_within_its_schema(
    label: str, app_schema: Any, organization: dict[str, Any]
) -> None:
    started = time.monotonic()
    method, path = label.split(" ", 1)
    operation = app_schema[path][method]
    tokens, ids = organization["tokens"], organization["ids"]
    sent = 0
    statuses: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: the first failure is reported as it was found, with its curl.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation), who=st.sampled_from(("admin", "member")), data=st.data())
    def run(case: Any, who: str, data: st.DataObject) -> None:
        nonlocal sent
        _substitute(case, data, ids)
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        with ServerErrors() as errors, transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        sent += 1
        status = response.status_code
        statuses["2xx" if status < 300 else str(status)] += 1
        if response.status_code >= 500 and errors.last is not None:
            raise AssertionError(
                f"{label} as the {who}: {response.status_code}\n"
                f"{case.as_curl_command(headers=headers)}\n{short_traceback(errors.last)}"
            )
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
    TALLY["operations"] += 1
    TALLY["requests"] += sent
    TALLY["seconds"] += time.monotonic() - started
    STATUSES.update(statuses)
    print(
        f"\n{label}: {sent} requests {dict(sorted(statuses.items()))}; so far "
        f"{TALLY['operations']:.0f} operations, {TALLY['requests']:.0f} requests "
        f"{dict(sorted(STATUSES.items()))}, {TALLY['seconds']:.1f}s"
    )
