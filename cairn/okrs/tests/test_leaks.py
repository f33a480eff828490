"""Nothing private leaks, anywhere a person can click (PRODUCT.md, "Transparency").

The crawl test builds the demo organization plus private items whose every visible text
(title, description, unit, initiative title) carries a unique marker, and a second
organization with markers of its own. On the private key results (and a public one), check-ins
carry a marker in every text (insights, open and resolved blockers, corrections with their
earlier text); two are tombstoned, and their words belong to nobody, not even an admin.
Then, as each of several people, it follows every
same-site link and `hx-get` from the start pages (full pages and htmx fragments) and checks:

- no response is a server error;
- no marker of an item the person may not see appears in any response; "may see" is computed
  here in plain Python from the rule, independently of the `visible_to` QuerySets;
- each person does see the markers they are allowed to see (so the test can fail);
- a URL naming an item the person may not see is a 404 (never a 403, which would confirm
  that it exists), and a URL with another organization's uuid is a 404.

Every person's reminder and team-lead digest e-mail is rendered and checked the same way.

Below the crawl, targeted tests for what a crawl cannot reach: counts, history lines, the
choices offered by forms, and POSTs that name invisible or foreign objects.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from cairn.checkins import reminders
from cairn.checkins import services as checkins
from cairn.checkins.models import CheckIn, Reminder
from cairn.conftest import World, login
from cairn.demo.loader import Demo, load_demo
from cairn.lib import rhythm
from cairn.notifications import emails
from cairn.okrs import services as okrs
from cairn.okrs.models import (
    Alignment,
    Initiative,
    KeyResult,
    Objective,
    ObjectiveTeam,
    Visibility,
)
from cairn.orgs import services as orgs
from cairn.orgs.models import (
    Member,
    Organization,
    Period,
    PeriodState,
    Role,
    Team,
    TeamMembership,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 14)
PAGE_LIMIT = 400
SKIP_PREFIXES = ("/admin/", "/accounts/logout/", "/static/")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PRIVATE = Visibility.PRIVATE


# The world ------------------------------------------------------------------------------------


@dataclass
class LeakWorld:
    demo: Demo
    acme: Organization
    globex: Organization
    people: dict[str, Member]
    # marker -> the object whose visibility decides who may read it
    markers: dict[str, Objective | KeyResult | Initiative | Tombstone] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    # The check-ins written for the test, and the markers of the live ones' words (every one
    # of them is on its key result's page: the positive control for check-ins).
    check_ins: list[CheckIn] = field(default_factory=list)
    check_in_markers: set[str] = field(default_factory=set)


class Tombstone:
    """Whose words a deleted check-in's were: nobody's any more, not even an admin's."""


TOMBSTONE = Tombstone()


def build_world() -> LeakWorld:
    demo = load_demo(today=TODAY)
    assert demo.current is not None
    period = demo.current
    people = dict(demo.people)
    teams = demo.teams
    ada = people["ada"]
    world = LeakWorld(demo=demo, acme=demo.organization, globex=None, people=people)  # type: ignore[arg-type]
    n = iter(range(1, 100))

    def mark(text: str = "") -> str:
        return f"LEAK-{next(n):02d}{text}"

    def objective(obj_marker: str, **kwargs: Any) -> Objective:
        desc = mark("d")
        created = okrs.create_objective(
            actor=ada, period=period, title=f"{obj_marker} objective", description=desc, **kwargs
        )
        world.markers[obj_marker] = world.markers[desc] = created
        return created

    def key_result(kr_marker: str, of: Objective, **kwargs: Any) -> KeyResult:
        desc, unit = mark("d"), mark("u")
        created = okrs.create_key_result(
            actor=ada,
            objective=of,
            title=f"{kr_marker} key result",
            description=desc,
            unit=unit,
            start_value=0,
            target_value=10,
            **kwargs,
        )
        world.markers[kr_marker] = world.markers[desc] = world.markers[unit] = created
        return created

    def initiative(ini_marker: str, of: Objective, team: Team, **kwargs: Any) -> Initiative:
        created = okrs.create_initiative(
            actor=ada, objective=of, team=team, title=f"{ini_marker} initiative", **kwargs
        )
        world.markers[ini_marker] = created
        return created

    # 1. A private objective of Platform (Mia is not in it; Sofia is, Omar leads it), with a
    #    key result and initiatives — one of them by Mia's own team and owned by her.
    platform_secret = objective(mark(), owner_teams=[teams["Platform"]], visibility=PRIVATE)
    platform_kr = key_result(mark(), platform_secret, owner=people["sofia"])
    initiative(mark(), platform_secret, teams["Platform"], owner=people["sofia"])
    initiative(mark(), platform_secret, teams["Product"], owner=people["mia"])
    initiative(mark(), platform_secret, teams["Platform"], key_result=platform_kr)

    # 2. A private key result inside the public Quality objective, owned by Linus (lead of
    #    Engineering, Quality's parent, but not of Quality), with an initiative on it.
    quality = Objective.objects.get(organization=world.acme, title="Ship a launch we are proud of")
    quality_kr = key_result(mark(), quality, owner=people["linus"], visibility=PRIVATE)
    initiative(mark(), quality, teams["Quality"], key_result=quality_kr, owner=people["lea"])
    # Mia owns an initiative on a key result she cannot see.
    initiative(mark(), quality, teams["Product"], key_result=quality_kr, owner=people["mia"])

    # 3. A private objective of Bea's shared with Tom only, with a public key result.
    shared_secret = objective(
        mark(), owner_person=people["bea"], visibility=PRIVATE, shared_with=[people["tom"]]
    )
    key_result(mark(), shared_secret, owner=people["bea"])
    # A private key result shared with Vera (a viewer) inside the public company objective.
    company = Objective.objects.get(organization=world.acme, owner_teams=teams["Acme"])
    key_result(mark(), company, owner=ada, visibility=PRIVATE, shared_with=[people["vera"]])

    # 4. A private Growth objective aligned to the public company objective.
    growth_secret = objective(mark(), owner_teams=[teams["Growth"]], visibility=PRIVATE)
    okrs.align(actor=ada, child=growth_secret, parent_objective=company)

    # 5. A public Quality objective aligned to Platform's private objective and to its key
    #    result: its page (and history) must not name them to those who cannot see them.
    public_child = okrs.create_objective(
        actor=ada, period=period, title="PUBLIC-CHILD objective", owner_teams=[teams["Quality"]]
    )
    okrs.align(actor=ada, child=public_child, parent_objective=platform_secret)
    okrs.align(actor=ada, child=public_child, parent_key_result=platform_kr)
    okrs.align(actor=ada, child=public_child, parent_key_result=quality_kr)

    # 6. A private key result of Sofia's in the public Quality objective: her team lead (Omar)
    #    may not see it, though it is "his team's" for the digest.
    sofia_kr = key_result(mark(), quality, owner=people["sofia"], visibility=PRIVATE)

    # The demo's own private items.
    burn = KeyResult.objects.get(organization=world.acme, title__startswith="Keep monthly burn")
    fundraise = Objective.objects.get(organization=world.acme, title__contains="Series B")
    world.markers["Keep monthly burn"] = burn
    world.markers["Series B fundraise"] = fundraise
    world.markers["Investor meetings held"] = fundraise.key_results.get()
    # Public items of Acme: the outsider must never see them, everyone in Acme does.
    world.markers["PUBLIC-CHILD"] = public_child
    world.markers["Launch the Acme product"] = demo.shared_objective  # type: ignore[assignment]

    # A second organization, Globex, with public and private items of its own.
    globex, otto = orgs.create_organization(
        name="Globex", slug="globex", admin_email="otto@globex.test", admin_name="Otto"
    )
    gina = orgs.add_member(
        organization=globex, email="gina@globex.test", role=Role.MEMBER, name="Gina", actor=otto
    )
    g_team = orgs.create_team(organization=globex, actor=otto, name="Globex Ops", lead=gina)
    g_period = orgs.create_period(
        organization=globex,
        actor=otto,
        name="Globex Q2",
        start=dt.date(2026, 4, 1),
        end=dt.date(2026, 6, 30),
        state=PeriodState.ACTIVE,
    )
    g_public = okrs.create_objective(
        actor=otto, period=g_period, title="GLOBEX-01 public", owner_teams=[g_team]
    )
    g_kr = okrs.create_key_result(
        actor=otto, objective=g_public, title="GLOBEX-02 kr", unit="GLOBEX-03", target_value=9
    )
    g_private = okrs.create_objective(
        actor=otto,
        period=g_period,
        title="GLOBEX-04 private",
        owner_person=otto,
        visibility=PRIVATE,
    )
    g_ini = okrs.create_initiative(
        actor=otto, objective=g_public, team=g_team, title="GLOBEX-05 initiative", key_result=g_kr
    )
    okrs.align(actor=otto, child=g_private, parent_key_result=g_kr)
    world.globex = globex
    world.markers.update(
        {"GLOBEX-01": g_public, "GLOBEX-02": g_kr, "GLOBEX-03": g_kr, "GLOBEX-04": g_private}
    )
    world.markers["GLOBEX-05"] = g_ini
    people["otto"] = otto
    people["gina"] = gina
    vera_kr = KeyResult.objects.get(shared_with=people["vera"])
    bea_kr = KeyResult.objects.get(objective=shared_secret)
    public_kr = KeyResult.objects.filter(
        objective=demo.shared_objective, visibility=Visibility.PUBLIC
    ).first()
    assert public_kr is not None
    add_check_ins(
        world,
        {
            platform_kr: people["sofia"],
            quality_kr: people["linus"],
            sofia_kr: people["sofia"],
            bea_kr: people["bea"],
            vera_kr: ada,
            public_kr: ada,
        },
        tombstoned=(platform_kr, quality_kr),
        corrected=(platform_kr, vera_kr),
    )
    # Fresh rows: the demo loader re-hashes passwords after creating the users, and a stale
    # password hash in memory would make `force_login`'s session invalid.
    fresh = Member.objects.select_related("user", "organization").in_bulk(
        [m.pk for m in people.values()]
    )
    world.people = {key: fresh[m.pk] for key, m in people.items()}
    world.objects.update(
        platform_secret=platform_secret,
        platform_kr=platform_kr,
        quality=quality,
        quality_kr=quality_kr,
        sofia_kr=sofia_kr,
        vera_kr=vera_kr,
        bea_kr=bea_kr,
        public_kr=public_kr,
        shared_secret=shared_secret,
        company=company,
        growth_secret=growth_secret,
        public_child=public_child,
        g_public=g_public,
        g_kr=g_kr,
        g_team=g_team,
        g_period=g_period,
    )
    return world


def add_check_ins(
    world: LeakWorld,
    authors: dict[KeyResult, Member],
    *,
    tombstoned: tuple[KeyResult, KeyResult],
    corrected: tuple[KeyResult, ...],
) -> None:
    """On each key result, check-ins whose every text carries its own marker, owned (for the
    rule) by the key result: an insight, an open blocker, a resolved one (with a resolution
    note). On two of them a tombstone (its words owned by nobody), on two a check-in
    corrected just now (the earlier text and the new one both its key result's)."""
    organization = world.acme
    numbers = iter(range(1, 1000))
    week_start = reminders.digest_week(organization, TODAY)
    zone = emails.organization_zone(organization)

    def mark(owner: KeyResult | Tombstone) -> str:
        marker = f"LEAK-CI{next(numbers):03d}"
        world.markers[marker] = owner
        if owner is not TOMBSTONE:
            world.check_in_markers.add(marker)
        return marker

    def at(day: int) -> dt.datetime:
        """10:00 on the `day`th day of the week that TODAY's digest reports on."""
        return dt.datetime.combine(week_start - dt.timedelta(days=8 - day), dt.time(10), zone)

    def full(
        kr: KeyResult,
        author: Member,
        when: dt.datetime | None,
        owner: KeyResult | Tombstone | None = None,
        *,
        insight: bool = False,
        blocker: bool = False,
    ) -> CheckIn:
        """Every section, each text with its own marker (a reflection when there is a Next
        Up to reflect on)."""
        owner = owner or kr
        kr.refresh_from_db()
        reflection = None
        if checkins.current_next_up(kr, before=when) is not None:
            reflection = checkins.Reflection(outcome="partly", learned=mark(owner))
        check_in = checkins.record_check_in(
            key_result=kr,
            author=author,
            at=when,
            progress=checkins.Progress(value=kr.current_value, comment=mark(owner)),
            confidence=checkins.Confidence(level=6, needs=mark(owner), mitigation=mark(owner)),
            next_up=checkins.NextUp(plan=mark(owner)),
            reflection=reflection,
            context=checkins.Context(why=mark(owner), baseline=mark(owner), tactic=mark(owner)),
            insight=insight,
            blocker=blocker,
        )
        world.check_ins.append(check_in)
        return check_in

    ada = world.people["ada"]
    for kr, author in authors.items():
        full(kr, author, at(1), insight=True)
        full(kr, author, at(2), blocker=True)
        resolved = full(kr, author, at(3), blocker=True, insight=True)
        checkins.resolve_blocker(check_in=resolved, actor=author, how=mark(kr), at=at(4))
    # Tombstones: an open blocker and insight, and a resolved blocker with its note.
    first, second = tombstoned
    gone = full(first, authors[first], at(5), TOMBSTONE, insight=True, blocker=True)
    # (A deletion's reason goes to the history: whoever sees it sees the key result.)
    reason = mark(first)
    world.check_in_markers.discard(reason)
    checkins.delete_check_in(check_in=gone, actor=ada, reason=reason)
    gone = full(second, authors[second], at(5), TOMBSTONE, blocker=True)
    checkins.resolve_blocker(check_in=gone, actor=ada, how=mark(TOMBSTONE), at=at(6))
    reason = mark(second)
    world.check_in_markers.discard(reason)
    checkins.delete_check_in(check_in=gone, actor=ada, reason=reason)
    # Corrections just now (within the correction window): the earlier text stays readable.
    for kr in corrected:
        check_in = full(kr, authors[kr], None)
        changes = {name: mark(kr) for name in checkins.TEXT_FIELDS if getattr(check_in, name)}
        checkins.correct_check_in(check_in=check_in, editor=authors[kr], **changes)


# The rule, in plain Python --------------------------------------------------------------------


class Rule:
    """PRODUCT.md's visibility rule over plain data read once from the database."""

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

    def _in_owning_team(self, person: Member, objective: Objective) -> bool:
        return any(
            person.pk in self.team_members.get(t, ()) for t in self.owning.get(objective.pk, ())
        )

    def objective(self, person: Member, objective: Objective) -> bool:
        if objective.organization_id != person.organization_id:
            return False
        return (
            person.role == Role.ADMIN
            or objective.visibility == Visibility.PUBLIC
            or objective.owner_person_id == person.pk
            or self._in_owning_team(person, objective)
            or (objective.pk, person.pk) in self.objective_shared
        )

    def key_result(self, person: Member, kr: KeyResult) -> bool:
        objective = Objective.objects.get(pk=kr.objective_id)
        if not self.objective(person, objective):
            return False
        return (
            person.role == Role.ADMIN
            or kr.visibility == Visibility.PUBLIC
            or kr.owner_id == person.pk
            or objective.owner_person_id == person.pk
            or self._in_owning_team(person, objective)
            or (kr.pk, person.pk) in self.kr_shared
        )

    def initiative(self, person: Member, initiative: Initiative) -> bool:
        objective = Objective.objects.get(pk=initiative.objective_id)
        if not self.objective(person, objective):
            return False
        if initiative.key_result_id is None:
            return True
        return self.key_result(person, KeyResult.objects.get(pk=initiative.key_result_id))

    def may_see(self, person: Member, obj: Any) -> bool:
        if isinstance(obj, Tombstone):
            return False
        if isinstance(obj, Team):
            return obj.organization_id == person.organization_id
        if isinstance(obj, Objective):
            return self.objective(person, obj)
        if isinstance(obj, KeyResult):
            return self.key_result(person, obj)
        return self.initiative(person, obj)


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
    delete and resolve pages of the demo's hundreds of check-ins are one page each (the
    test's own check-ins are seeds, fetched whatever their key)."""
    parts = urlsplit(url)
    query = sorted((k, v if k == "period" else "*") for k, v in parse_qsl(parts.query))
    return CHECK_IN_ACTION_RE.sub("/check-ins/*/", parts.path) + "?" + urlencode(query)


@dataclass
class Crawl:
    person: Member
    responses: dict[tuple[str, bool], tuple[int, str]] = field(default_factory=dict)

    @property
    def urls(self) -> set[str]:
        return {url for url, _htmx in self.responses}


def crawl(
    person: Member, seeds: list[str], limit: int = PAGE_LIMIT, *, follow: bool = True
) -> Crawl:
    """Breadth-first over GETs, each URL as a full page and as an htmx request; with
    `follow=False` only the seeds are fetched."""
    client = Client(raise_request_exception=False)
    client.force_login(person.user)
    result = Crawl(person)
    queue: deque[str] = deque(seeds)
    seen: set[str] = {page_key(url) for url in seeds}
    while queue:
        url = queue.popleft()
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            response = client.get(url, headers=headers)
            body = response.content.decode(errors="replace")
            result.responses[(url, htmx)] = (response.status_code, body)
            found = LinkParser()
            found.feed(body)
            if response.has_header("Location"):
                found.links.append(response["Location"])
            for link in found.links:
                target = normalise(link, url)
                if not follow or target is None or page_key(target) in seen:
                    continue
                if len(seen) < limit:
                    seen.add(page_key(target))
                    queue.append(target)
    return result


LEAK_RE = re.compile(r"LEAK-(?:CI\d{3}|\d{2})")


def markers_in(body: str, markers: dict[str, Any], plain: list[str]) -> set[str]:
    """The markers in `body`: one scan for the LEAK-nn ones (a marker may end in one more
    letter), a substring test for the few plain ones."""
    found = set()
    for match in LEAK_RE.finditer(body):
        token = match.group()
        for candidate in (token, body[match.start() : match.end() + 1]):
            if candidate in markers:
                found.add(candidate)
    return found | {marker for marker in plain if marker in body}


def check_in_seeds(world: LeakWorld) -> list[str]:
    """The rhythm pages with every filter value (the crawl takes one value of a preselection
    for the lot), and every page of the test's key results and check-ins."""
    base = f"/o/{world.acme.slug}/"
    urls = [f"{base}{page}/" for page in ("inbox", "blockers", "insights", "me/settings")]
    for team in Team.objects.filter(organization=world.acme).order_by("name"):
        urls += [f"{base}blockers/?team={team.uid}", f"{base}insights/?team={team.uid}"]
    for period in Period.objects.filter(organization=world.acme):
        urls.append(f"{base}insights/?period={period.uid}")
    for objective in Objective.objects.filter(period=world.demo.current):
        urls.append(f"{base}insights/?objective={objective.uid}")
    for kr in {check_in.key_result for check_in in world.check_ins}:
        urls += [f"{base}key-results/{kr.uid}/", f"{base}key-results/{kr.uid}/check-in/"]
    # The action pages of one check-in per key result, of every open or resolved blocker, of
    # the tombstones and of the corrected ones.
    first_of: set[int] = set()
    for check_in in world.check_ins:
        check_in.refresh_from_db()
        wanted = ["resolve"] if check_in.is_blocker else []
        if check_in.key_result_id not in first_of or check_in.is_deleted or check_in.edited_at:
            first_of.add(check_in.key_result_id)
            wanted += ["correct", "delete"]
        urls += [f"{base}check-ins/{check_in.uid}/{op}/" for op in wanted]
    return urls


def rendered_emails(world: LeakWorld) -> dict[str, str]:
    """Every person's reminder and team-lead digest, as `cairn remind` would send them on
    the day they go out for TODAY's window: "<who> <kind>" -> subject, text and HTML."""
    result = {}
    for member in Member.objects.filter(organization__in=[world.acme, world.globex]).order_by("pk"):
        organization = member.organization
        window_start, _end = rhythm.window(
            cadence=organization.checkin_cadence, week_start=organization.week_start, today=TODAY
        )
        reminder_day = rhythm.check_in_day(
            cadence=organization.checkin_cadence,
            week_start=organization.week_start,
            weekday=organization.checkin_weekday,
            today=TODAY,
        )
        week_start = reminders.digest_week(organization, TODAY)
        for kind, start, today in (
            (Reminder.Kind.REMINDER, window_start, reminder_day),
            (Reminder.Kind.DIGEST, week_start, week_start),
        ):
            reminder = Reminder(
                organization=organization, member=member, kind=kind, window_start=start
            )
            email = reminders.render_reminder(reminder, today=today)
            if email is not None:
                key = f"{member.user.email} {kind}"
                result[key] = "\n".join((email.subject, email.text, email.html))
    return result


# The crawl test -------------------------------------------------------------------------------


def test_no_page_or_fragment_leaks_a_private_or_foreign_item(caplog: Any) -> None:
    # Thousands of expected 403s and 404s: logging each with its traceback costs seconds.
    caplog.set_level(logging.CRITICAL, logger="django.request")
    started = time.monotonic()
    world = build_world()
    rule = Rule()
    people = world.people
    # person -> markers they must see somewhere (the positive control)
    probes = {
        "ada": {"LEAK-01", "Series B fundraise", "Keep monthly burn", "PUBLIC-CHILD"},
        "sofia": {"LEAK-01", "LEAK-03", "LEAK-06", "Launch the Acme product"},
        "mia": {"PUBLIC-CHILD", "Launch the Acme product"},
        "tom": {"LEAK-14", "LEAK-16"},
        "vera": {"LEAK-19"},
        "otto": {"GLOBEX-01", "GLOBEX-02", "GLOBEX-04", "GLOBEX-05"},
    }
    assert set(probes) <= set(people)
    for name, wanted in probes.items():
        for marker in wanted:
            assert rule.may_see(people[name], world.markers[marker]), (name, marker)

    seeds_for = {org.slug: ["/", f"/o/{org.slug}/"] for org in (world.acme, world.globex)}
    seeds_for["acme"] += check_in_seeds(world)
    admin_crawl = crawl(people["ada"], seeds_for["acme"])
    otto_crawl = crawl(people["otto"], seeds_for["globex"])
    crawls = {"ada": admin_crawl, "otto": otto_crawl}
    for name in probes:
        if name not in crawls:
            crawls[name] = crawl(people[name], seeds_for["acme"])
            # Then every page the admin reached that this person's links did not lead to:
            # a URL of an item they cannot see must be a 404 and say nothing.
            own = {uid for url in crawls[name].urls for uid in UUID_RE.findall(url)}
            extra = [
                url
                for url in sorted(admin_crawl.urls)
                if set(UUID_RE.findall(urlsplit(url).path)) - own
            ]
            crawls[name].responses.update(
                crawl(people[name], extra, limit=0, follow=False).responses
            )

    uid_to_object: dict[str, Any] = {}
    for model in (Objective, KeyResult, Initiative):
        for obj in model.objects.all():
            uid_to_object[str(obj.uid)] = obj
    # A check-in is as visible as its key result, a tombstone too (its text is gone).
    for check_in in CheckIn.objects.select_related("key_result"):
        uid_to_object[str(check_in.uid)] = check_in.key_result
    for team in Team.objects.all():
        uid_to_object[str(team.uid)] = team
    plain = [marker for marker in world.markers if not LEAK_RE.match(marker)]

    problems: list[str] = []
    for name, result in crawls.items():
        person = people[name]
        hidden = {m for m, obj in world.markers.items() if not rule.may_see(person, obj)}
        allowed_seen: set[str] = set()
        for (url, htmx), (status, body) in result.responses.items():
            where = f"{name} GET {url}{' (htmx)' if htmx else ''}"
            if status >= 500:
                problems.append(f"{where}: {status}")
            for marker in sorted(markers_in(body, world.markers, plain)):
                if marker in hidden:
                    problems.append(f"{where}: shows {marker!r} ({status})")
                else:
                    allowed_seen.add(marker)
            parts = urlsplit(url)
            named_uids = UUID_RE.findall(parts.path) + [
                v for k, v in parse_qsl(parts.query) if k in ("objective", "team")
            ]
            for uid in named_uids:
                named = uid_to_object.get(uid)
                if named is not None and not rule.may_see(person, named) and status != 404:
                    problems.append(f"{where}: {status} for an item they may not see")
        # Every word of every live check-in this person may see is on its key result's page.
        wanted = probes[name] | (world.check_in_markers - hidden)
        missing = wanted - allowed_seen
        if missing:
            problems.append(f"{name} never saw {sorted(missing)} (positive control)")
        if name != "otto":
            assert world.check_in_markers - hidden, f"{name} may see no check-in: no control"

    # E-mails: every reminder and digest, for everyone in both organizations.
    mailed = rendered_emails(world)
    members = {m.user.email: m for m in Member.objects.select_related("user")}
    mailed_markers: set[str] = set()
    for key, body in mailed.items():
        person = members[key.split()[0]]
        for marker in sorted(markers_in(body, world.markers, plain)):
            if rule.may_see(person, world.markers[marker]):
                mailed_markers.add(marker)
            else:
                problems.append(f"e-mail {key}: shows {marker!r}")
    # Positive control: the blockers of a reminder and the notes of a digest carry words.
    for key in ("sofia@acme.example reminder", "omar@acme.example digest"):
        if key not in mailed or not markers_in(mailed[key], world.markers, plain):
            problems.append(f"e-mail {key}: missing or without a check-in's words")

    # Another organization's uuids are a 404, under either organization's slug.
    def foreign_urls(result: Crawl, own: str, other: str) -> list[str]:
        urls = [u for u in result.urls if UUID_RE.search(u)]
        return sorted({*urls, *(u.replace(f"/o/{own}/", f"/o/{other}/", 1) for u in urls)})

    cross = [
        (people["ada"], foreign_urls(otto_crawl, "globex", "acme")),
        (people["mia"], foreign_urls(otto_crawl, "globex", "acme")),
        (people["otto"], foreign_urls(admin_crawl, "acme", "globex")),
    ]
    for person, urls in cross:
        client = Client(raise_request_exception=False)
        client.force_login(person.user)
        for url in urls:
            status = client.get(url).status_code
            if status != 404:
                problems.append(f"{person.name} GET {url}: {status}, expected 404 (foreign uuid)")
        assert urls

    assert len(admin_crawl.responses) > 100, "the crawl found too little to be meaningful"
    assert len(otto_crawl.responses) > 10
    assert not problems, "\n".join(problems)
    pages = sum(len(c.responses) for c in crawls.values())
    print(f"crawled {len(crawls)} people, {pages} responses in {time.monotonic() - started:.1f}s")


# What a crawl cannot reach ---------------------------------------------------------------------


def _platform_objective_with_a_private_key_result(world: World) -> tuple[Objective, KeyResult]:
    """A public Platform objective (the member is not in Platform) with one public key result
    at 0% and one private one, done, that only admins and Platform see."""
    objective = okrs.create_objective(
        actor=world.admin,
        period=world.period,
        title="Scale the platform",
        owner_teams=[world.other_team],
    )
    okrs.create_key_result(
        actor=world.admin, objective=objective, title="Public throughput", target_value=10
    )
    private_kr = okrs.create_key_result(
        actor=world.admin,
        objective=objective,
        title="PRIVATE-MARKER cost ceiling",
        unit="PRIVATE-UNIT",
        target_value=10,
        visibility=PRIVATE,
    )
    okrs.set_current_value(key_result=private_kr, actor=world.admin, value=10)
    return objective, private_kr


def test_an_objective_card_counts_and_rolls_up_only_visible_key_results(
    world: World, member_client: Client, admin_client: Client
) -> None:
    _platform_objective_with_a_private_key_result(world)
    home = reverse("okrs:home", args=[world.org.slug])
    member_page = member_client.get(home).content.decode()
    assert "Scale the platform" in member_page
    assert "1 key result" in member_page
    assert "2 key results" not in member_page
    # The private key result is done: a roll-up over it would show 50%, not 0%.
    assert "50%" not in member_page
    assert "2 key results" in admin_client.get(home).content.decode()


def test_the_initiative_form_neither_offers_nor_accepts_a_private_key_result(
    world: World, member_client: Client
) -> None:
    objective, private_kr = _platform_objective_with_a_private_key_result(world)
    url = reverse("okrs:initiative_new", args=[world.org.slug, objective.uid])
    page = member_client.get(f"{url}?key_result={private_kr.uid}").content.decode()
    assert "PRIVATE-MARKER" not in page
    assert f'value="{private_kr.uid}"' not in page
    response = member_client.post(
        url,
        {
            "title": "Sneaky",
            "team": world.team.uid,
            "key_result": private_kr.uid,
            "state": "planned",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["key_result"]
    assert not Initiative.objects.filter(title="Sneaky").exists()


def test_an_initiative_cannot_be_moved_onto_a_private_key_result(
    world: World, member_client: Client
) -> None:
    objective, private_kr = _platform_objective_with_a_private_key_result(world)
    initiative = okrs.create_initiative(
        actor=world.member, objective=objective, team=world.team, title="Ours", owner=world.member
    )
    url = reverse("okrs:initiative_edit", args=[world.org.slug, initiative.uid])
    response = member_client.post(
        url,
        {"title": "Ours", "team": world.team.uid, "key_result": private_kr.uid, "state": "planned"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["key_result"]
    initiative.refresh_from_db()
    assert initiative.key_result_id is None


@pytest.mark.parametrize("field", ["team", "owner"])
def test_the_initiative_form_rejects_another_organizations_team_or_owner(
    world: World, member_client: Client, objective: Objective, field: str
) -> None:
    globex_team = orgs.create_team(organization=world.other_org, actor=world.outsider, name="G")
    data = {"title": "Foreign", "team": world.team.uid, "state": "planned"}
    data[field] = globex_team.uid if field == "team" else world.outsider.uid
    url = reverse("okrs:initiative_new", args=[world.org.slug, objective.uid])
    response = member_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Initiative.objects.filter(title="Foreign").exists()


@pytest.mark.parametrize("field", ["period", "owner_teams", "owner_person", "shared_with"])
def test_the_objective_form_rejects_another_organizations_period_team_or_people(
    world: World, admin_client: Client, field: str
) -> None:
    globex_team = orgs.create_team(organization=world.other_org, actor=world.outsider, name="G")
    data: dict[str, Any] = {
        "title": "Foreign objective",
        "period": world.period.uid,
        "owner_teams": [world.team.uid],
        "visibility": "private",
    }
    data[field] = {
        "period": world.other_period.uid,
        "owner_teams": [globex_team.uid],
        "owner_person": world.outsider.uid,
        "shared_with": [world.outsider.uid],
    }[field]
    if field == "owner_person":
        data["owner_teams"] = []
    response = admin_client.post(reverse("okrs:objective_new", args=[world.org.slug]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Objective.objects.filter(title="Foreign objective").exists()


def test_the_key_result_form_rejects_an_owner_or_sharee_from_another_organization(
    world: World, member_client: Client, objective: Objective
) -> None:
    url = reverse("okrs:key_result_new", args=[world.org.slug, objective.uid])
    for name, value in (("owner", world.outsider.uid), ("shared_with", [world.outsider.uid])):
        data: dict[str, Any] = {
            "title": "Foreign KR",
            "kind": "metric",
            "start_value": 0,
            "target_value": 5,
            "weight": 1,
            "visibility": "public",
            name: value,
        }
        response = member_client.post(url, data)
        assert response.status_code == 200
        assert response.context["form"].errors[name]
    assert not KeyResult.objects.filter(title="Foreign KR").exists()


@pytest.mark.parametrize("kind", ["private objective", "private key result", "foreign objective"])
def test_aligning_to_an_invisible_parent_by_its_uuid_fails(
    world: World,
    member_client: Client,
    objective: Objective,
    private_objective: Objective,
    kind: str,
) -> None:
    _platform, private_kr = _platform_objective_with_a_private_key_result(world)
    foreign = okrs.create_objective(
        actor=world.outsider,
        period=world.other_period,
        title="GLOBEX objective",
        owner_person=world.outsider,
    )
    value = {
        "private objective": f"o:{private_objective.uid}",
        "private key result": f"k:{private_kr.uid}",
        "foreign objective": f"o:{foreign.uid}",
    }[kind]
    url = reverse("okrs:objective_align", args=[world.org.slug, objective.uid])
    page = member_client.get(url).content.decode()
    assert "PRIVATE-MARKER" not in page
    assert "GLOBEX" not in page
    response = member_client.post(url, {"parent": value})
    assert response.status_code == 200
    assert response.context["form"].errors["parent"]
    assert not Alignment.objects.filter(child=objective).exists()


def test_history_does_not_name_a_private_parent_after_the_link_is_removed_either(
    world: World, member_client: Client, objective: Objective, private_objective: Objective
) -> None:
    link = okrs.align(actor=world.admin, child=objective, parent_objective=private_objective)
    okrs.unalign(actor=world.admin, link=link)
    page = member_client.get(
        reverse("okrs:objective", args=[world.org.slug, objective.uid])
    ).content.decode()
    assert "PRIVATE-MARKER" not in page
    assert page.count("a private item") == 2


def test_removing_an_alignment_to_a_private_parent_does_not_name_it(
    world: World, member_client: Client, objective: Objective, private_objective: Objective
) -> None:
    link = okrs.align(actor=world.admin, child=objective, parent_objective=private_objective)
    url = reverse("okrs:alignment_delete", args=[world.org.slug, link.uid])
    page = member_client.get(url).content.decode()
    assert "PRIVATE-MARKER" not in page
    response = member_client.post(url, headers={"HX-Request": "true"})
    assert "PRIVATE-MARKER" not in response.content.decode()


def test_a_team_lead_outside_the_team_and_a_key_result_owner_see_their_private_items(
    world: World, private_objective: Objective
) -> None:
    """The rule's less common paths: leads (not members) see their team's private objectives;
    the owner of a private key result sees it even outside the objective's teams."""
    lead = orgs.add_member(
        organization=world.org,
        email="lee@acme.test",
        role=Role.MEMBER,
        name="Lee",
        actor=world.admin,
    )
    orgs.update_team(team=world.other_team, actor=world.admin, lead=lead)
    _objective, private_kr = _platform_objective_with_a_private_key_result(world)
    okrs.update_key_result(key_result=private_kr, actor=world.admin, owner=world.member)
    lead_client = login(Client(), lead)
    team_page = lead_client.get(reverse("okrs:team", args=[world.org.slug, world.other_team.uid]))
    assert "PRIVATE-MARKER secret objective" in team_page.content.decode()
    member_client = login(Client(), world.member)
    person_page = member_client.get(reverse("okrs:person", args=[world.org.slug, world.member.uid]))
    assert "PRIVATE-MARKER cost ceiling" in person_page.content.decode()
    assert (
        member_client.get(
            reverse("checkins:key_result", args=[world.org.slug, private_kr.uid])
        ).status_code
        == 200
    )


@pytest.mark.parametrize("case", ["team member", "team parent", "team lead", "person team"])
def test_org_forms_reject_another_organizations_people_and_teams(
    world: World, admin_client: Client, case: str
) -> None:
    globex_team = orgs.create_team(organization=world.other_org, actor=world.outsider, name="G")
    slug = world.org.slug
    url, data, field = {
        "team member": (
            reverse("orgs:team_members", args=[slug, world.team.uid]),
            {"op": "add", "member": world.outsider.uid},
            "member",
        ),
        "team parent": (
            reverse("orgs:team_create", args=[slug]),
            {"name": "New", "parent": globex_team.uid},
            "parent",
        ),
        "team lead": (
            reverse("orgs:team_create", args=[slug]),
            {"name": "New", "lead": world.outsider.uid},
            "lead",
        ),
        "person team": (
            reverse("orgs:person_create", args=[slug]),
            {"email": "new@acme.test", "role": "member", "team": globex_team.uid},
            "team",
        ),
    }[case]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Team.objects.filter(organization=world.org, name="New").exists()
    assert not world.outsider.team_memberships.exists()


@pytest.mark.parametrize("direction", ["private parent", "private child"])
def test_moving_an_objective_to_another_period_does_not_name_a_private_item(
    world: World,
    member_client: Client,
    objective: Objective,
    private_objective: Objective,
    direction: str,
) -> None:
    other_quarter = orgs.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )
    if direction == "private parent":
        okrs.align(actor=world.admin, child=objective, parent_objective=private_objective)
    else:
        okrs.align(actor=world.admin, child=private_objective, parent_objective=objective)
    response = member_client.post(
        reverse("okrs:objective_edit", args=[world.org.slug, objective.uid]),
        {
            "title": objective.title,
            "period": other_quarter.pk,
            "owner_teams": [world.team.pk],
            "visibility": "public",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["period"]
    assert "PRIVATE-MARKER" not in response.content.decode()


@pytest.mark.parametrize("field", ["shared_with", "owner_teams"])
def test_an_out_of_range_id_in_a_multiple_choice_is_a_form_error(
    world: World, member_client: Client, field: str
) -> None:
    data: dict[str, Any] = {
        "title": "Overflow",
        "period": world.period.uid,
        "owner_teams": [world.team.uid],
        "visibility": "public",
        field: ["99999999999999999999"],
    }
    response = member_client.post(reverse("okrs:objective_new", args=[world.org.slug]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
