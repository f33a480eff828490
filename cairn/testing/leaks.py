"""The machinery of the leak crawls (PRODUCT.md, "Transparency"; issue 4).

A leak test builds an organization whose texts carry unique marker strings, then, as each
person, crawls every page and fragment reachable from a few seeds and checks every response
against `Rule`: PRODUCT.md's visibility rule written again in plain Python over data read
once from the database, independently of the `visible_to` QuerySets it is there to check.

- `crawl` follows every same-site `href`, `hx-get` and the URLs a GET form's <select> can
  produce, breadth-first, each URL as a full page and as an htmx request;
- `audit` checks one person's crawl: no 5xx, no marker of an item they may not see, a 404 for
  every URL that names an item they may not see;
- `foreign_urls` turns a crawl of one organization into URLs the other one must answer 404.

New surfaces join the crawls by being linked from a page they already reach; tests also seed
them explicitly. Used by cairn/okrs/tests/test_leaks.py (the demo organization) and
cairn/alignment/tests/test_alignment_leaks.py (generated organizations).
"""

from __future__ import annotations

import json
import re
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import product
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.test import Client

from cairn.alignment.models import Dependency, DependencyEvent
from cairn.checkins.models import CheckIn, Sync
from cairn.okrs.models import Initiative, KeyResult, Objective, ObjectiveTeam, Visibility
from cairn.orgs.models import Member, Organization, Period, Role, Team, TeamMembership

PAGE_LIMIT = 400
SKIP_PREFIXES = ("/admin/", "/accounts/logout/", "/static/")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Query parameters that name an item: a page asked for an invisible one must be a 404.
NAMING_PARAMETERS = ("objective", "team")


class Tombstone:
    """Whose words a deleted check-in's were: nobody's any more, not even an admin's."""


TOMBSTONE = Tombstone()


# The rule, in plain Python --------------------------------------------------------------------


class Rule:
    """PRODUCT.md's visibility rule over plain data read once from the database.

    A private objective is seen by admins, its owner, the members and leads of its owning
    teams and the people it is shared with; a key result needs its objective and, when
    private, the same of its own (its owner, the objective's owner and teams, its sharees).
    Everything else follows what it hangs on: an initiative its objective and key result, a
    dependency (and its thread) its objective and key result, a sync its objective, a check-in
    its key result. Build it after the world is complete: it is a snapshot.
    """

    def __init__(self) -> None:
        self.team_members: dict[int, set[int]] = {}
        for team_id, member_id in TeamMembership.objects.values_list("team_id", "member_id"):
            self.team_members.setdefault(team_id, set()).add(member_id)
        for team_id, lead_id in Team.objects.values_list("id", "lead_id"):
            if lead_id:
                self.team_members.setdefault(team_id, set()).add(lead_id)
        self.owning: dict[int, set[int]] = {}
        for objective_id, team_id in ObjectiveTeam.objects.values_list("objective_id", "team_id"):
            self.owning.setdefault(objective_id, set()).add(team_id)
        self.objective_shared = set(
            Objective.shared_with.through.objects.values_list("objective_id", "member_id")
        )
        self.kr_shared = set(
            KeyResult.shared_with.through.objects.values_list("keyresult_id", "member_id")
        )
        self.objectives: dict[int, tuple[int, str, int | None]] = {
            pk: (org, visibility, owner)
            for pk, org, visibility, owner in Objective.objects.values_list(
                "pk", "organization_id", "visibility", "owner_person_id"
            )
        }
        self.key_results: dict[int, tuple[int, str, int | None]] = {
            pk: (objective, visibility, owner)
            for pk, objective, visibility, owner in KeyResult.objects.values_list(
                "pk", "objective_id", "visibility", "owner_id"
            )
        }
        self.hangs_on: dict[type, dict[int, tuple[int, int | None]]] = {
            model: {
                pk: (objective, key_result)
                for pk, objective, key_result in model.objects.values_list(  # type: ignore[attr-defined]
                    "pk", "objective_id", "key_result_id"
                )
            }
            for model in (Initiative, Dependency)
        }

    def _in_owning_team(self, person: Member, objective_id: int) -> bool:
        return any(
            person.pk in self.team_members.get(t, ()) for t in self.owning.get(objective_id, ())
        )

    def objective(self, person: Member, objective_id: int) -> bool:
        organization, visibility, owner = self.objectives[objective_id]
        if organization != person.organization_id:
            return False
        return (
            person.role == Role.ADMIN
            or visibility == Visibility.PUBLIC
            or owner == person.pk
            or self._in_owning_team(person, objective_id)
            or (objective_id, person.pk) in self.objective_shared
        )

    def key_result(self, person: Member, key_result_id: int) -> bool:
        objective_id, visibility, owner = self.key_results[key_result_id]
        if not self.objective(person, objective_id):
            return False
        return (
            person.role == Role.ADMIN
            or visibility == Visibility.PUBLIC
            or owner == person.pk
            or self.objectives[objective_id][2] == person.pk
            or self._in_owning_team(person, objective_id)
            or (key_result_id, person.pk) in self.kr_shared
        )

    def _hanging(self, person: Member, model: type, pk: int) -> bool:
        objective_id, key_result_id = self.hangs_on[model][pk]
        if key_result_id is not None:
            return self.key_result(person, key_result_id)
        return self.objective(person, objective_id)

    def may_see(self, person: Member, obj: Any) -> bool:
        if isinstance(obj, Tombstone):
            return False
        if isinstance(obj, Team | Period | Member):
            return obj.organization_id == person.organization_id
        # Whatever every member of an organization may know of (that it has webhooks, say).
        if isinstance(obj, Organization):
            return obj.pk == person.organization_id
        if isinstance(obj, Objective):
            return self.objective(person, obj.pk)
        if isinstance(obj, KeyResult):
            return self.key_result(person, obj.pk)
        if isinstance(obj, Initiative | Dependency):
            return self._hanging(person, type(obj), obj.pk)
        if isinstance(obj, DependencyEvent):
            return self._hanging(person, Dependency, obj.dependency_id)
        if isinstance(obj, Sync):
            return self.objective(person, obj.objective_id)
        if isinstance(obj, CheckIn):
            return self.key_result(person, obj.key_result_id)
        raise TypeError(f"no visibility rule for {type(obj).__name__}")


def uid_index() -> dict[str, Any]:
    """uuid -> the object whose visibility decides whether a URL naming it may answer."""
    index: dict[str, Any] = {}
    for model in (Objective, KeyResult, Initiative, Dependency, Sync, Team, Period, Member):
        for obj in model.objects.all():  # type: ignore[attr-defined]
            index[str(obj.uid)] = obj
    # A check-in is as visible as its key result, a tombstone too (its text is gone).
    for check_in in CheckIn.objects.select_related("key_result"):
        index[str(check_in.uid)] = check_in.key_result
    return index


# The crawler ----------------------------------------------------------------------------------


class LinkParser(HTMLParser):
    """Every `href` and `hx-get`, and the URLs a GET form with a <select> can produce."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in ("href", "hx-get"):
            if a.get(name):
                self.links.append(a[name])
        if tag == "form" and a.get("method", "get").lower() == "get":
            self._form = (a.get("action", ""), [])
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
        elif tag == "option" and self._form is not None and self._select and a.get("value"):
            self._form[1].append((self._select, a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            action, options = self._form
            self.links.extend(f"{action}?{urlencode({k: v})}" for k, v in options)
            self._form = None


def normalise(url: str, base: str) -> str | None:
    if url.startswith("http://testserver"):
        url = url[len("http://testserver") :]
    if url.startswith("?"):
        url = urlsplit(base).path + url
    if not url.startswith("/") or url.startswith("//"):
        return None
    parts = urlsplit(url)
    if parts.path.startswith(SKIP_PREFIXES):
        return None
    # `next` only says where to go back to: the same page with another `next` is no new page.
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if k != "next")
    return parts.path + (f"?{urlencode(query)}" if query else "")


CHECK_IN_ACTION_RE = re.compile(rf"/check-ins/{UUID_RE.pattern}/")


def page_key(url: str) -> str:
    """Two URLs that differ only in the value of a preselection (`?team=`, `?key_result=`) are
    the same page for the crawl; a different `?period=` is a different page. The correct,
    delete and resolve pages of many check-ins are one page each (a test's own check-ins are
    seeds, fetched whatever their key)."""
    parts = urlsplit(url)
    query = sorted((k, v if k == "period" else "*") for k, v in parse_qsl(parts.query))
    return CHECK_IN_ACTION_RE.sub("/check-ins/*/", parts.path) + "?" + urlencode(query)


@dataclass
class Crawl:
    person: Member
    # (url, as htmx) -> (status, body)
    responses: dict[tuple[str, bool], tuple[int, str]] = field(default_factory=dict)
    # url -> the traceback of a server error, where the crawl could catch it
    tracebacks: dict[str, str] = field(default_factory=dict)

    @property
    def urls(self) -> set[str]:
        return {url for url, _htmx in self.responses}


def crawl(
    person: Member,
    seeds: Iterable[str],
    limit: int = PAGE_LIMIT,
    *,
    follow: bool = True,
    key: Callable[[str], str] = page_key,
    htmx: tuple[bool, ...] = (False, True),
) -> Crawl:
    """Breadth-first over GETs, each URL as a full page and as an htmx request (or as
    `htmx` says); with `follow=False` only the seeds are fetched. Seeds are always fetched;
    `limit` caps how many pages (by `key`) the crawl may know of before it stops adding
    links."""
    client = Client(raise_request_exception=False)
    client.force_login(person.user)
    result = Crawl(person)
    queue: deque[str] = deque(dict.fromkeys(seeds))
    seen: set[str] = {key(url) for url in queue}
    while queue:
        url = queue.popleft()
        for as_htmx in htmx:
            headers = {"HX-Request": "true"} if as_htmx else {}
            response = client.get(url, headers=headers)
            body = response_text(response)
            result.responses[(url, as_htmx)] = (response.status_code, body)
            if not follow:
                continue
            found = LinkParser()
            found.feed(body)
            if response.has_header("Location"):
                found.links.append(response["Location"])
            for link in found.links:
                target = normalise(link, url)
                if target is None or key(target) in seen:
                    continue
                if len(seen) < limit:
                    seen.add(key(target))
                    queue.append(target)
    return result


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def response_text(response: Any) -> str:
    """A response's body as text; a spreadsheet (the report's XLSX export) as the text of
    its cells, which its zip would hide from a marker search."""
    if response.get("Content-Type", "").startswith(XLSX) and response.status_code == 200:
        from cairn.reporting.exports import as_text

        return as_text(response.content, "xlsx")
    return response.content.decode(errors="replace")


def report_urls(organization: Organization, teams_in: Period | None = None) -> list[str]:
    """The period reports of the organization with their CSV, XLSX and JSON exports for
    every period, and of every team (page and JSON: the same report, one file format is
    enough) for `teams_in` (each period when None); the calibration page for all periods,
    each period and each team (issue 6)."""
    slug = organization.slug
    base = f"/o/{slug}/"
    periods = list(Period.objects.filter(organization=organization).order_by("start"))
    teams = list(Team.objects.filter(organization=organization).order_by("name"))
    urls = [f"{base}calibration/"]
    for period in periods:
        report = f"{base}periods/{period.uid}/report"
        urls += [f"{report}/", f"{report}.csv", f"{report}.xlsx", f"{report}.json"]
        if teams_in is None or teams_in.pk == period.pk:
            for team in teams:
                urls += [f"{report}/?team={team.uid}", f"{report}.json?team={team.uid}"]
        urls.append(f"{base}calibration/?period={period.uid}")
    urls += [f"{base}calibration/?team={team.uid}" for team in teams]
    return urls


def markers_in(
    body: str, markers: dict[str, Any], *, pattern: re.Pattern[str], plain: Iterable[str] = ()
) -> set[str]:
    """The markers in `body`: one scan with `pattern` (a marker may end in one more
    character, `LEAK-01d`), and a substring test for the few `plain` ones."""
    found = set()
    for match in pattern.finditer(body):
        token = match.group()
        for candidate in (token, body[match.start() : match.end() + 1]):
            if candidate in markers:
                found.add(candidate)
    return found | {marker for marker in plain if marker in body}


@dataclass
class Audit:
    problems: list[str] = field(default_factory=list)
    # The markers the person saw that they may see (for the positive controls).
    seen: set[str] = field(default_factory=set)


def audit(
    result: Crawl,
    *,
    name: str,
    rule: Rule,
    markers: dict[str, Any],
    pattern: re.Pattern[str],
    uids: dict[str, Any],
    plain: Iterable[str] = (),
    naming: Iterable[str] = NAMING_PARAMETERS,
) -> Audit:
    """One person's crawl against the rule: no response is a server error, none shows a
    marker of an item they may not see, and a URL naming an item they may not see (in its
    path, or as `?objective=` / `?team=`, or as the `naming` query parameters say) is a
    404 — never a 403, which would confirm it."""
    naming = frozenset(naming)
    person = result.person
    plain = list(plain)
    hidden = {m for m, obj in markers.items() if not rule.may_see(person, obj)}
    found = Audit()
    for (url, htmx), (status, body) in sorted(result.responses.items()):
        where = f"{name} GET {url}{' (htmx)' if htmx else ''}"
        if status >= 500:
            found.problems.append(f"{where}: {status}")
        for marker in sorted(markers_in(body, markers, pattern=pattern, plain=plain)):
            if marker in hidden:
                found.problems.append(f"{where}: shows {marker!r} ({status})")
            else:
                found.seen.add(marker)
        parts = urlsplit(url)
        named = UUID_RE.findall(parts.path) + [v for k, v in parse_qsl(parts.query) if k in naming]
        for uid in named:
            obj = uids.get(uid)
            if obj is not None and not rule.may_see(person, obj) and status != 404:
                found.problems.append(f"{where}: {status} for an item they may not see")
    return found


def foreign_urls(result: Crawl, own: str, other: str) -> list[str]:
    """The URLs of `result` (a crawl of organization `own`) that name an item by uuid, as
    they are and under the `other` organization's slug: to anyone of `other`, all 404."""
    urls = [u for u in result.urls if UUID_RE.search(u)]
    return sorted({*urls, *(u.replace(f"/o/{own}/", f"/o/{other}/", 1) for u in urls)})


def statuses(person: Member, urls: Iterable[str]) -> dict[str, int]:
    """The status of a plain GET of each URL as `person`."""
    client = Client(raise_request_exception=False)
    client.force_login(person.user)
    return {url: client.get(url).status_code for url in urls}


# The API crawl (issue 5) ---------------------------------------------------------------------
#
# The same audit over the REST API: the routes come from the OpenAPI document, so a route
# joins the crawl the moment it is written. Every list is read (every page), then filtered by
# every item it can name; every uuid a response shows is followed into every detail route
# whose path parameter names its kind (`/objectives/{id}` takes objectives, the collection
# before a parameter says what it names).

# An id that names nothing anywhere: what an item the caller may not see must look like.
NOWHERE = "00000000-0000-4000-8000-000000000000"
# Parameter names and path segments that name a kind of item other than by its model's name.
KIND_ALIASES = {
    "author": "members",
    "blockers": "check-ins",
    "lead": "members",
    "owner": "members",
    "owner-person": "members",
    "people": "members",
    "person": "members",
    "shared-with": "members",
}


def kind_of_name(name: str) -> str:
    """The kind of item a path segment or a parameter names, as a kebab-case plural:
    `key_result` and `key-results` are `key-results`, `requesting_team` is `teams`."""
    name = re.sub(r"[_-](?:uids?|ids?)$", "", name).replace("_", "-").lower()
    name = KIND_ALIASES.get(name, name)
    if name == "team" or name.endswith("-team") or name.endswith("-teams"):
        return "teams"
    if name.endswith("s"):
        return name
    return name[:-1] + "ies" if name.endswith("y") else name + "s"


def kind_of_model(model: type) -> str:
    """`KeyResult` -> `key-results`."""
    return kind_of_name(re.sub(r"(?<!^)(?=[A-Z])", "-", model.__name__))


def fits(model_kind: str, kind: str) -> bool:
    """Whether an item of `model_kind` can fill a place that names `kind`: the same word, the
    last words (`deliveries` for `webhook-deliveries`) or the first (`webhooks` for
    `webhook-endpoints`)."""
    return (
        model_kind == kind
        or model_kind.endswith(f"-{kind}")
        or f"{model_kind.split('-')[0]}s" == kind
    )


def uid_kinds() -> dict[str, str]:
    """uuid -> the kind of every item of every model with a public `uid`, all organizations."""
    from django.apps import apps
    from django.db import connection

    # (A model being written may have no table yet: it has no items either.)
    tables = set(connection.introspection.table_names())
    found: dict[str, str] = {}
    for model in apps.get_models():
        if model._meta.db_table in tables and any(
            f.name == "uid" for f in model._meta.get_fields()
        ):
            kind = kind_of_model(model)
            for uid in model._default_manager.values_list("uid", flat=True):
                found[str(uid)] = kind
    return found


@dataclass(frozen=True)
class ApiRoute:
    """One GET operation of the OpenAPI document."""

    path: str
    # Path parameters in order, each with the kind of item it names (the segment before it).
    parameters: tuple[tuple[str, str], ...]
    query: tuple[str, ...]
    required: tuple[str, ...]
    # The largest page, where the route paginates.
    limit: int | None

    def url(self, path: dict[str, str] | None = None, query: dict[str, str] | None = None) -> str:
        url = self.path
        for name, value in (path or {}).items():
            url = url.replace(f"{{{name}}}", value)
        params = {"limit": str(self.limit)} if self.limit else {}
        params.update(query or {})
        return url + (f"?{urlencode(sorted(params.items()))}" if params else "")


def api_routes(document: dict[str, Any]) -> list[ApiRoute]:
    """Every GET operation of an OpenAPI document."""
    routes = []
    for path, item in sorted(document.get("paths", {}).items()):
        operation = item.get("get")
        if operation is None:
            continue
        parameters = [*item.get("parameters", ()), *operation.get("parameters", ())]
        in_path = []
        for parameter in parameters:
            if parameter.get("in") == "path":
                name = parameter["name"]
                before = path.split(f"{{{name}}}")[0].rstrip("/").rsplit("/", 1)[-1]
                in_path.append((name, kind_of_name(before if "{" not in before else name)))
        in_query = [p for p in parameters if p.get("in") == "query"]
        limit = next(
            (p.get("schema", {}).get("maximum") for p in in_query if p["name"] == "limit"), None
        )
        routes.append(
            ApiRoute(
                path=path,
                parameters=tuple(in_path),
                query=tuple(p["name"] for p in in_query),
                required=tuple(p["name"] for p in in_query if p.get("required")),
                limit=int(limit) if limit else None,
            )
        )
    return routes


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return f"{parts.path}?{urlencode(sorted(query.items()))}"


def short_traceback(exc: BaseException) -> str:
    """Cairn's own frames of a traceback and the error, without the framework's frames."""
    frames = [
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'
        for frame in traceback.extract_tb(exc.__traceback__)
        if "/cairn/" in frame.filename and "site-packages" not in frame.filename
    ]
    error = "".join(traceback.format_exception_only(exc)).rstrip().splitlines()
    return "\n".join([*frames, *error[:8]])


def api_client(token: str) -> Client:
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token}"})


def api_crawl(
    person: Member,
    token: str,
    routes: Iterable[ApiRoute],
    *,
    seeds: Iterable[str] = (),
    kinds: dict[str, str] | None = None,
    follow: bool = True,
    per_response: int | None = None,
) -> Crawl:
    """As `person` (with their token): the seeds; then, with `follow`, every list route and
    every page of it, every detail route for every uuid a response shows (by the kind its
    path parameter names), and every list filtered by every item its query parameters can
    name (the required ones included: a list that needs a `?period=` is read for each).
    `kinds` maps uuid -> kind (`uid_kinds()`); `per_response` caps how many detail URLs of
    a route one response may add (the first ones it shows)."""
    routes = list(routes)
    kinds = uid_kinds() if kinds is None else kinds
    client = api_client(token)
    result = Crawl(person)
    queue: deque[str] = deque()
    seen: set[str] = set()
    known: dict[str, set[str]] = {}

    def add(url: str) -> None:
        if url not in seen:
            seen.add(url)
            queue.append(url)

    for url in seeds:
        add(url)
    if follow:
        for route in routes:
            if not route.parameters and not route.required:
                add(route.url())
    while queue:
        url = queue.popleft()
        response = client.get(url)
        body = response.content.decode(errors="replace")
        result.responses[(url, False)] = (response.status_code, body)
        exc_info = getattr(response, "exc_info", None)
        if response.status_code >= 500 and exc_info:
            result.tracebacks[url] = short_traceback(exc_info[1])
        if not follow:
            continue
        try:
            data = response.json() if response.status_code == 200 else None
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("next_offset"), int):
            add(_with_query(url, offset=str(data["next_offset"])))
        found = [uid for uid in dict.fromkeys(UUID_RE.findall(body)) if uid in kinds]
        for uid in found:
            known.setdefault(kinds[uid], set()).add(uid)
        in_path = [uid for uid in UUID_RE.findall(urlsplit(url).path) if uid in kinds]
        for route in routes:
            if route.parameters and not route.required:
                for target in _fill(route, in_path, found, kinds)[:per_response]:
                    add(target)
        if not queue:
            # Every item is known now: every list, filtered by each item it can name.
            for route in routes:
                if not route.parameters:
                    for target in _filtered(route, known):
                        add(target)
    return result


def _fill(
    route: ApiRoute, in_path: list[str], found: list[str], kinds: dict[str, str]
) -> list[str]:
    """The route's URLs for the uuids of one response: its last path parameter from the
    body, the ones before it from the path the response was asked for."""
    *outer, (last, last_kind) = route.parameters
    choices: list[list[str]] = []
    for _name, kind in outer:
        choices.append([uid for uid in in_path if fits(kinds[uid], kind)])
    choices.append([uid for uid in found if fits(kinds[uid], last_kind)])
    names = [name for name, _kind in outer] + [last]
    return [route.url(dict(zip(names, combo, strict=True))) for combo in product(*choices)]


def _filtered(route: ApiRoute, known: dict[str, set[str]]) -> list[str]:
    urls = []
    for name in route.query:
        wanted = kind_of_name(name)
        for kind, uids in sorted(known.items()):
            if fits(kind, wanted):
                urls += [route.url(query={name: uid}) for uid in sorted(uids)]
    # A list that needs a parameter is only read with it.
    if route.required:
        urls = [u for u in urls if all(f"{name}=" in u for name in route.required)]
    return urls


def unreached(routes: Iterable[ApiRoute], result: Crawl) -> list[str]:
    """The routes no URL of the crawl asked for (a crawl that covers every route has none)."""
    asked = [urlsplit(url).path for url in result.urls]
    missing = []
    for route in routes:
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route.path)) + "$")
        if not any(pattern.match(path) for path in asked):
            missing.append(route.path)
    return missing


def error_shapes(result: Crawl, *, name: str) -> list[str]:
    """Every error answers in the API's one shape, `{"detail": ..., "code": ...}`."""
    problems = []
    for (url, _htmx), (status, body) in sorted(result.responses.items()):
        # (A server error is a problem of its own, reported as such.)
        if status < 400 or status >= 500:
            continue
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not (
            isinstance(data, dict)
            and isinstance(data.get("detail"), str)
            and isinstance(data.get("code"), str)
        ):
            problems.append(f"{name} GET {url}: {status} without the error shape: {body[:120]!r}")
    return problems


def non_confirmation(
    result: Crawl, token: str, *, name: str, rule: Rule, uids: dict[str, Any]
) -> list[str]:
    """A URL that names an item the person may not see, in its path or its query, answers
    exactly as the same URL naming nothing (`NOWHERE`): the same status and the same body.
    Anything else (a 403, an empty list where a made-up id is a 404, a count) confirms that
    the item exists."""
    person = result.person
    client = api_client(token)
    twins: dict[str, tuple[int, str]] = {}
    problems = []
    for (url, _htmx), (status, body) in sorted(result.responses.items()):
        hidden = [
            uid
            for uid in set(UUID_RE.findall(url))
            if uid in uids and not rule.may_see(person, uids[uid])
        ]
        if not hidden:
            continue
        twin = url
        for uid in hidden:
            twin = twin.replace(uid, NOWHERE)
        if twin not in twins:
            response = client.get(twin)
            twins[twin] = (response.status_code, response.content.decode(errors="replace"))
        twin_status, twin_body = twins[twin]
        comparable = body
        for uid in hidden:
            comparable = comparable.replace(uid, NOWHERE)
        if (status, comparable) != (twin_status, twin_body):
            problems.append(
                f"{name} GET {url}: {status} {body[:100]!r}, but for an id that names nothing "
                f"{twin_status} {twin_body[:100]!r} (confirms a hidden item)"
            )
    return problems
