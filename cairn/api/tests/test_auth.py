"""How the API knows who is calling: tokens, browser sessions with CSRF, the organization
header, read-only tokens, the rate limit, one error shape, and the published schema.

Write routes of the other routers come and go while they are built, so the write-side rules
are checked on a small probe API mounted by this module with the *same* authenticators and
error handlers as the real one, and in addition on every write route the real API has."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import path
from ninja import NinjaAPI, Schema

from cairn.api import auth as api_auth
from cairn.api import errors
from cairn.api.api import api
from cairn.api.auth import MemberSessionAuth, ReadOnlyToken, TokenAuth, member_of
from cairn.api.routers.orgs import MemberOut, MeOut, PeriodOut, TeamOut
from cairn.conftest import World
from cairn.orgs import services as org_services
from cairn.orgs.models import ApiToken, Member, Role
from cairn.orgs.tokens import create_token, revoke_token

ME = "/api/v1/me"
PROBE = "/probe/thing"
CSRF_SECRET = "a" * 32
# A fixed id keeps the generated test ids the same from one run to the next.
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

# The probe: the real authenticators and error handlers, and one route per write method.
probe_api = NinjaAPI(auth=api.auth, urls_namespace="cairn-auth-probe", docs_url=None)
errors.install(probe_api)


@probe_api.api_operation(["GET", "POST", "PATCH", "DELETE"], "/thing")
def thing(request: HttpRequest) -> dict[str, str]:
    member = member_of(request)
    return {"member": member.name, "organization": member.organization.slug}


urlpatterns = [path("probe/", probe_api.urls)]
with_probe = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> None:
    cache.clear()


def token_of(member: Member, *, read_only: bool = False) -> str:
    return create_token(member=member, name="script", read_only=read_only)[1]


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# Tokens ----------------------------------------------------------------------------------


def test_a_valid_token_acts_as_its_member(world: World, client: Client) -> None:
    raw = token_of(world.member)
    response = client.get(ME, headers=bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(world.member.uid)
    assert body["role"] == "member"
    assert body["organization"] == "acme"
    assert body["token_read_only"] is False
    assert ApiToken.objects.get(member=world.member).last_used_at is not None


def test_it_answers_401_without_a_token(world: World, client: Client) -> None:
    response = client.get(ME)
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("raw", ["cairn_not-a-real-token", "nonsense", ""])
def test_it_answers_401_for_a_bad_token(world: World, client: Client, raw: str) -> None:
    token_of(world.member)
    assert_error(client.get(ME, headers=bearer(raw)), 401, "unauthorized")


def test_it_answers_401_for_a_revoked_token(world: World, client: Client) -> None:
    token, raw = create_token(member=world.member, name="script")
    assert client.get(ME, headers=bearer(raw)).status_code == 200
    revoke_token(token=token, actor=world.member)
    assert_error(client.get(ME, headers=bearer(raw)), 401, "unauthorized")


def test_it_answers_401_for_an_inactive_member(world: World, client: Client) -> None:
    raw = token_of(world.member)
    org_services.change_member(member=world.member, actor=world.admin, is_active=False)
    assert_error(client.get(ME, headers=bearer(raw)), 401, "unauthorized")


def test_it_answers_401_when_the_persons_account_is_switched_off(
    world: World, client: Client
) -> None:
    raw = token_of(world.member)
    world.member.user.is_active = False
    world.member.user.save(update_fields=["is_active"])
    assert_error(client.get(ME, headers=bearer(raw)), 401, "unauthorized")


def test_a_bad_token_is_401_even_with_a_valid_session(world: World, member_client: Client) -> None:
    assert member_client.get(ME).status_code == 200
    assert_error(member_client.get(ME, headers=bearer("cairn_wrong")), 401, "unauthorized")


def test_a_token_never_acts_in_another_organization(world: World, client: Client) -> None:
    raw = token_of(world.outsider)
    body = client.get(ME, headers={**bearer(raw), "X-Cairn-Organization": "acme"}).json()
    assert body["organization"] == "globex"
    response = client.get(f"/api/v1/periods/{world.period.uid}", headers=bearer(raw))
    assert_error(response, 404, "not_found")


# Read-only tokens ------------------------------------------------------------------------


@with_probe
@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_a_read_only_token_cannot_write(world: World, client: Client, method: str) -> None:
    raw = token_of(world.member, read_only=True)
    assert client.get(PROBE, headers=bearer(raw)).status_code == 200
    response = getattr(client, method)(PROBE, headers=bearer(raw))
    assert_error(response, 403, "read_only_token")


@with_probe
@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_a_read_write_token_can_write(world: World, client: Client, method: str) -> None:
    raw = token_of(world.member)
    response = getattr(client, method)(PROBE, headers=bearer(raw))
    assert response.status_code == 200
    assert response.json()["member"] == "Mia Member"


def test_token_auth_refuses_a_write_with_a_read_only_token(world: World) -> None:
    raw = token_of(world.viewer, read_only=True)
    request = RequestFactory().post("/api/v1/anything", HTTP_AUTHORIZATION=f"Bearer {raw}")
    with pytest.raises(ReadOnlyToken):
        TokenAuth()(request)
    request = RequestFactory().get("/api/v1/anything", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert TokenAuth()(request) == world.viewer


def _write_routes() -> list[tuple[str, str]]:
    """Every write operation the real API publishes, with made-up ids in its path."""
    routes = []
    for url, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch", "delete") and operation.get("security"):
                routes.append((method, re.sub(r"\{[^}]+\}", UNKNOWN_ID, url)))
    return routes


@pytest.mark.parametrize(("method", "url"), _write_routes())
def test_a_read_only_token_gets_403_on_every_write_route(
    world: World, client: Client, method: str, url: str
) -> None:
    raw = token_of(world.admin, read_only=True)
    response = getattr(client, method)(url, data={}, content_type="application/json")
    assert response.status_code == 401
    response = getattr(client, method)(
        url, data={}, content_type="application/json", headers=bearer(raw)
    )
    assert_error(response, 403, "read_only_token")


@pytest.mark.parametrize(("method", "url"), _write_routes())
def test_a_session_without_csrf_gets_403_on_every_write_route(
    world: World, method: str, url: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin.user)
    response = getattr(client, method)(url, data={}, content_type="application/json")
    assert_error(response, 403, "csrf_failed")


# Browser sessions ------------------------------------------------------------------------


def test_a_signed_in_browser_can_read(world: World, viewer_client: Client) -> None:
    body = viewer_client.get(ME).json()
    assert body["id"] == str(world.viewer.uid)
    assert body["token_read_only"] is None


@with_probe
def test_a_session_write_needs_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.member.user)
    assert client.get(PROBE).status_code == 200
    assert_error(client.post(PROBE), 403, "csrf_failed")
    client.cookies["csrftoken"] = CSRF_SECRET
    response = client.post(PROBE, headers={"X-CSRFToken": CSRF_SECRET})
    assert response.status_code == 200
    assert response.json()["member"] == "Mia Member"


@with_probe
def test_a_write_without_any_credentials_is_401_not_a_csrf_error(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert_error(client.post(PROBE), 401, "unauthorized")


def test_session_auth_checks_csrf_only_for_a_signed_in_person(world: World) -> None:
    request = RequestFactory().post("/api/v1/anything")
    request.user = world.member.user
    with pytest.raises(api_auth.CsrfFailed):
        MemberSessionAuth(csrf=True)(request)


@pytest.fixture
def two_orgs(world: World) -> Client:
    """Ada, admin of Acme, is also a member of Globex."""
    org_services.add_member(
        organization=world.other_org,
        email="ada@acme.test",
        role=Role.MEMBER,
        name="Ada Admin",
        password=None,
        actor=world.outsider,
    )
    client = Client()
    client.force_login(world.admin.user)
    return client


def test_a_person_in_two_organizations_must_say_which(two_orgs: Client) -> None:
    assert_error(two_orgs.get(ME), 400, "organization_required")


@pytest.mark.parametrize(("slug", "role"), [("acme", "admin"), ("globex", "member")])
def test_the_organization_header_picks_the_membership(
    two_orgs: Client, slug: str, role: str
) -> None:
    body = two_orgs.get(ME, headers={"X-Cairn-Organization": slug}).json()
    assert (body["organization"], body["role"]) == (slug, role)
    assert two_orgs.get(f"{ME}?org={slug}").json()["organization"] == slug


def test_an_organization_the_person_is_not_in_is_a_404(world: World, member_client: Client) -> None:
    for slug in ("globex", "no-such-org"):
        response = member_client.get(ME, headers={"X-Cairn-Organization": slug})
        assert_error(response, 404, "not_found")


# Rate limit ------------------------------------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after(
    world: World, client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CAIRN_API_RATE_PER_MINUTE = 3
    now = [1_800_000_000.0 + 45]  # 45 s into a minute
    monkeypatch.setattr(api_auth, "_clock", lambda: now[0])
    raw = token_of(world.member)
    for _ in range(3):
        assert client.get(ME, headers=bearer(raw)).status_code == 200
    response = client.get(ME, headers=bearer(raw))
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "15"
    # Another token has its own budget; the next minute starts afresh.
    assert client.get(ME, headers=bearer(token_of(world.admin))).status_code == 200
    now[0] += 60
    assert client.get(ME, headers=bearer(raw)).status_code == 200


def test_the_rate_limit_counts_browser_sessions_too(
    world: World, member_client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CAIRN_API_RATE_PER_MINUTE = 2
    monkeypatch.setattr(api_auth, "_clock", lambda: 1_800_000_000.0)
    statuses = [member_client.get(ME).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_rate_of_zero_switches_the_limit_off(world: World, client: Client, settings: Any) -> None:
    settings.CAIRN_API_RATE_PER_MINUTE = 0
    raw = token_of(world.member)
    assert all(client.get(ME, headers=bearer(raw)).status_code == 200 for _ in range(5))


# One error shape -------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [UNKNOWN_ID, "not-a-uuid", "1", "%20"])
def test_the_gate_answers_404_in_the_error_shape(
    world: World, member_client: Client, bad_id: str
) -> None:
    assert_error(member_client.get(f"/api/v1/periods/{bad_id}"), 404, "not_found")


@pytest.mark.parametrize(
    ("query", "field"), [("role=boss", "role"), ("limit=0", "limit"), ("offset=-1", "offset")]
)
def test_bad_input_is_422_naming_the_field(
    world: World, member_client: Client, query: str, field: str
) -> None:
    body = assert_error(member_client.get(f"/api/v1/members?{query}"), 422, "invalid")
    assert body["field"] == field


# The published schema and docs -----------------------------------------------------------


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_openapi_schema_is_served_and_consistent(db: None, client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert schema["info"]["title"] and schema["info"]["version"] == "1"
    for route in ("/api/v1/me", "/api/v1/periods", "/api/v1/teams/{team_id}", "/api/v1/members"):
        assert route in schema["paths"]
    schemas = schema["components"]["schemas"]
    for ref in _refs(schema):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    operation_ids = []
    for url, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            assert "200" in operation["responses"] or method != "get", url
            assert "404" in operation["responses"]
            if operation.get("security"):
                assert {"401", "429"} <= set(operation["responses"]), url
            assert set(re.findall(r"\{([^}]+)\}", url)) <= {
                p["name"] for p in operation.get("parameters", []) if p["in"] == "path"
            }, url
    assert len(operation_ids) == len(set(operation_ids))
    assert set(schemas["Error"]["required"]) == {"detail", "code"}
    for model in (MeOut, PeriodOut, TeamOut, MemberOut, errors.Error):
        assert model.model_json_schema()["examples"], model


def _api_schemas() -> dict[str, set[type[Schema]]]:
    """Every Schema class defined in cairn.api, by the name it gets in the OpenAPI schema."""
    import cairn.api

    found: dict[str, set[type[Schema]]] = {}
    for module_info in pkgutil.walk_packages(cairn.api.__path__, "cairn.api."):
        if ".tests" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Schema)
                and value.__module__ == module.__name__
            ):
                found.setdefault(value.__name__, set()).add(value)
    return found


def test_no_two_schemas_share_a_name_in_the_openapi_schema(db: None) -> None:
    """ninja names components by class name and the last one wins: two different classes
    with one name would document one of them wrongly."""
    components = api.get_openapi_schema()["components"]["schemas"]
    clashes = {
        name: sorted(f"{model.__module__}.{model.__qualname__}" for model in models)
        for name, models in _api_schemas().items()
        if len(models) > 1 and name in components
    }
    assert not clashes


def test_the_docs_page_loads_its_assets_from_this_server(db: None, client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "cdn" not in html.lower()
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
