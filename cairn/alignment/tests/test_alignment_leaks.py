"""Nothing private leaks from generated organizations, alignment surfaces included (issue 4).

Hypothesis generates small organizations: a tree of teams, four to seven people with random
roles, memberships and leads, five to ten objectives owned by a person or by one to three
teams with random visibility and sharing, key results with their own, alignment links
(built with `okrs.align`, invalid ones skipped), dependencies between teams in random states
with thread comments (`alignment.request_dependency`, refused ones skipped), check-ins and
sync notes; and beside it a second organization. Every text of every item carries a unique
marker (`MK-<example>-<n>`). Then, as every person, it crawls every page and htmx fragment
reachable from the start page, home, inbox, blockers, alignment map (each period) and
health, the dependency list, every team's pages, and every objective (with its dependency
fragment, sync view and check-in stream), key result and dependency page; every page of the
admin's crawl that names an item the person may not see is asked for too. It checks each
response with `cairn.testing.leaks.Rule` (the rule in plain Python, not the `visible_to`
QuerySets):

- no response is a server error;
- no marker of an item the person may not see is in any response, full page or fragment;
- a URL naming an item the person may not see is a 404, and so is every URL with the other
  organization's uuids, under either organization;
- the positive control: each person finds the title of every objective and key result, the
  need of every dependency, the progress of every check-in and the notes of every sync they
  may see, so the test fails when a page goes blank or a gate shuts too much;
- where a private objective sits between two objectives a person sees in an alignment
  chain, both of their pages and the alignment map show it as "Private objective", without
  its words.

Cost: an example is a few thousand requests (half a minute here), so the test runs a
hand-made organization (`RICH`, which always has a private objective inside a visible chain
and private requests) and one generated one; the generator skips the trivial organization
hypothesis tries first. It is derandomized, so CI runs the same examples every time; to
explore, raise `max_examples` locally. Shrinking is off (every step would build and crawl
again): a failure reports its example's plan, and each problem names URL, person and marker.
A form is crawled once per kind and person (`light_key`): the choices it offers do not
depend on the item it changes.

Database: `hypothesis.extra.django.TestCase` wraps every example in its own transaction and
rolls it back; pytest-django runs it as it runs any Django TestCase. (Its function-scoped
`db` fixture would instead keep one transaction for all examples, so their rows would pile
up.) Slugs, e-mails and markers carry the example number all the same.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from cairn.alignment import services as alignment
from cairn.alignment.models import Dependency, DependencyState
from cairn.checkins import services as checkins
from cairn.checkins import syncs
from cairn.checkins.models import CheckIn, Sync
from cairn.okrs import services as okrs
from cairn.okrs.models import Alignment, KeyResult, Objective, Visibility
from cairn.orgs import services as orgs
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, Organization, Period, PeriodState, Role, Team
from cairn.orgs.tokens import create_token
from cairn.testing.leaks import (
    UUID_RE,
    Crawl,
    Rule,
    api_crawl,
    api_routes,
    audit,
    crawl,
    error_shapes,
    foreign_urls,
    non_confirmation,
    report_urls,
    statuses,
    uid_index,
    uid_kinds,
)

NOW = dt.datetime(2026, 5, 14, 9, 0, tzinfo=dt.UTC)
MARKER_RE = re.compile(r"MK-\d{3}-\d{3}")
# How many pages (by `light_key`) one person's crawl may know of; the seeds are always fetched.
PAGE_LIMIT = 150
REDACTED = "Private objective"
S = DependencyState


# The plan of an organization, as hypothesis draws it ------------------------------------------


@dataclass(frozen=True)
class TeamPlan:
    parent: int | None
    lead: int | None


@dataclass(frozen=True)
class PersonPlan:
    role: str
    teams: frozenset[int]


@dataclass(frozen=True)
class KeyResultPlan:
    private: bool
    owner: int | None
    shared_with: frozenset[int]
    check_ins: int
    blocker: bool


@dataclass(frozen=True)
class ObjectivePlan:
    owner_person: int
    owner_teams: tuple[int, ...]
    private: bool
    shared_with: frozenset[int]
    key_results: tuple[KeyResultPlan, ...]
    sync: bool


@dataclass(frozen=True)
class LinkPlan:
    child: int
    parent: int
    # Through one of the parent's key results (an index, modulo their number), or not.
    key_result: int | None


@dataclass(frozen=True)
class DependencyPlan:
    objective: int
    # One of the objective's key results (modulo their number), or the objective itself.
    key_result: int | None
    # Indexes (modulo) into the objective's owning teams (or its owner's teams), and into
    # the other teams.
    requesting: int
    providing: int
    state: str
    comments: int
    # Share a private objective (and key result) with the providing team's people first, as
    # the request form asks: otherwise most private requests would be refused.
    share_first: bool


@dataclass(frozen=True)
class OrgPlan:
    teams: tuple[TeamPlan, ...]
    people: tuple[PersonPlan, ...]
    objectives: tuple[ObjectivePlan, ...]
    links: tuple[LinkPlan, ...]
    dependencies: tuple[DependencyPlan, ...]


# Hypothesis tries the simplest example first: let it be members and private items rather
# than admins (who see everything) and public ones.
ROLES = st.sampled_from((Role.MEMBER, Role.VIEWER, Role.ADMIN))
PRIVATE = st.sampled_from((True, False))


@st.composite
def org_plans(draw: st.DrawFn) -> OrgPlan:
    n_teams = draw(st.integers(2, 4))
    n_people = draw(st.integers(4, 7))
    person = st.integers(0, n_people - 1)
    people_set = st.frozensets(person, max_size=2)
    teams = tuple(
        TeamPlan(
            parent=None if i == 0 else draw(st.none() | st.integers(0, i - 1)),
            lead=draw(st.none() | person),
        )
        for i in range(n_teams)
    )
    # Person 0 is the admin who builds everything; the others have any role.
    people = tuple(
        PersonPlan(
            role=Role.ADMIN if i == 0 else draw(ROLES),
            teams=draw(st.frozensets(st.integers(0, n_teams - 1), max_size=2)),
        )
        for i in range(n_people)
    )
    objectives = []
    for _ in range(draw(st.integers(5, 10))):
        owner_teams = draw(
            st.just(()) | st.lists(st.integers(0, n_teams - 1), min_size=1, max_size=3, unique=True)
        )
        key_results = tuple(
            KeyResultPlan(
                private=draw(PRIVATE),
                owner=draw(st.none() | person),
                shared_with=draw(people_set),
                check_ins=draw(st.integers(0, 2)),
                blocker=draw(st.booleans()),
            )
            for _ in range(draw(st.integers(0, 2)))
        )
        objectives.append(
            ObjectivePlan(
                owner_person=draw(person),
                owner_teams=tuple(owner_teams),
                private=draw(PRIVATE),
                shared_with=draw(people_set),
                key_results=key_results,
                sync=draw(st.booleans()),
            )
        )
    n = len(objectives)
    links = draw(
        st.lists(
            st.builds(
                LinkPlan,
                child=st.integers(0, n - 1),
                parent=st.integers(0, n - 1),
                key_result=st.none() | st.integers(0, 1),
            ),
            min_size=2,
            max_size=8,
        )
    )
    dependencies = draw(
        st.lists(
            st.builds(
                DependencyPlan,
                objective=st.integers(0, n - 1),
                key_result=st.none() | st.integers(0, 1),
                requesting=st.integers(0, 3),
                providing=st.integers(0, 3),
                state=st.sampled_from(S.values),
                comments=st.integers(0, 2),
                share_first=st.sampled_from((True, False)),
            ),
            min_size=2,
            max_size=6,
        )
    )
    return OrgPlan(teams, people, tuple(objectives), tuple(links), tuple(dependencies))


def has_private_team_items(plan: OrgPlan) -> bool:
    """Not the simplest organization hypothesis tries first (every objective a person's,
    nobody in a team): half a minute spent on it would test little."""
    return any(o.owner_teams and o.private for o in plan.objectives) and any(
        p.teams and p.role != Role.ADMIN for p in plan.people
    )


# Building it ------------------------------------------------------------------------------------


@dataclass
class Built:
    organization: Organization
    people: list[Member]
    teams: list[Team]
    periods: list[Period]
    objectives: list[Objective] = field(default_factory=list)
    key_results: list[KeyResult] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    syncs: list[Sync] = field(default_factory=list)


class Markers:
    """Unique marker strings of one example, and the item each one's visibility follows.
    `control` are those a person who may see their item must find on its own page."""

    def __init__(self, example: int) -> None:
        self.prefix = f"MK-{example % 1000:03d}-"
        self.numbers = itertools.count(1)
        self.owner: dict[str, Any] = {}
        self.control: set[str] = set()
        self._pending: list[tuple[str, bool]] = []

    def new(self, *, control: bool = False) -> str:
        marker = f"{self.prefix}{next(self.numbers):03d}"
        assert len(marker) == 10, "at most 999 markers an example"
        self._pending.append((marker, control))
        return marker

    def belong_to(self, owner: Any) -> None:
        """The markers made since the last call are the words of `owner`."""
        for marker, control in self._pending:
            self.owner[marker] = owner
            if control:
                self.control.add(marker)
        self._pending.clear()

    def drop(self) -> None:
        """The item they were for was refused: its words are nowhere."""
        self._pending.clear()


def build_organization(plan: OrgPlan, tag: str, marks: Markers) -> Built:
    organization, admin = orgs.create_organization(
        name=f"Org {tag}", slug=f"org-{tag}", admin_email=f"p0@org-{tag}.test", admin_name="P0"
    )
    people = [admin]
    for i, person in enumerate(plan.people[1:], start=1):
        people.append(
            orgs.add_member(
                organization=organization,
                email=f"p{i}@org-{tag}.test",
                role=person.role,
                name=f"P{i} {person.role}",
                actor=admin,
            )
        )
    teams: list[Team] = []
    for i, team in enumerate(plan.teams):
        teams.append(
            orgs.create_team(
                organization=organization,
                actor=admin,
                name=f"Team {i}",
                parent=None if team.parent is None else teams[team.parent],
                lead=None if team.lead is None else people[team.lead],
            )
        )
    for member, person in zip(people, plan.people, strict=True):
        for i in sorted(person.teams):
            if teams[i].lead_id != member.pk:
                orgs.add_team_member(team=teams[i], member=member, actor=admin)
    today = NOW.date()
    periods = [
        orgs.create_period(
            organization=organization,
            actor=admin,
            name="This quarter",
            start=dt.date(2026, 4, 1),
            end=dt.date(2026, 6, 30),
            state=PeriodState.ACTIVE,
        ),
        # Where deferred requests go.
        orgs.create_period(
            organization=organization,
            actor=admin,
            name="Next quarter",
            start=dt.date(2026, 7, 1),
            end=dt.date(2026, 9, 30),
        ),
    ]
    built = Built(organization, people, teams, periods)

    def writer(i: int | None) -> Member | None:
        """An owner must be able to write: a viewer drawn as owner gives it to the admin."""
        if i is None:
            return None
        return people[i] if people[i].can_write else admin

    def visibility(private: bool) -> str:
        return Visibility.PRIVATE if private else Visibility.PUBLIC

    for objective_plan in plan.objectives:
        title, description = marks.new(control=True), marks.new()
        owner_teams = [teams[i] for i in objective_plan.owner_teams]
        objective = okrs.create_objective(
            actor=admin,
            period=periods[0],
            title=f"{title} objective",
            description=f"{description} why",
            owner_person=None if owner_teams else writer(objective_plan.owner_person),
            owner_teams=owner_teams,
            visibility=visibility(objective_plan.private),
            shared_with=[people[i] for i in sorted(objective_plan.shared_with)],
        )
        marks.belong_to(objective)
        built.objectives.append(objective)
        for kr_plan in objective_plan.key_results:
            title, description, unit = marks.new(control=True), marks.new(), marks.new()
            key_result = okrs.create_key_result(
                actor=admin,
                objective=objective,
                title=f"{title} key result",
                description=f"{description} how",
                unit=unit,
                start_value=0,
                target_value=10,
                owner=writer(kr_plan.owner),
                visibility=visibility(kr_plan.private),
                shared_with=[people[i] for i in sorted(kr_plan.shared_with)],
            )
            marks.belong_to(key_result)
            built.key_results.append(key_result)
            for n in range(kr_plan.check_ins):
                check_in(key_result, writer(kr_plan.owner) or admin, n, kr_plan.blocker, marks)
        if objective_plan.sync:
            notes = marks.new(control=True)
            sync = syncs.record_sync(
                actor=admin,
                objective=objective,
                held_on=today - dt.timedelta(days=3),
                attendees=people[:2],
                notes=f"{notes} notes",
            )
            marks.belong_to(sync)
            built.syncs.append(sync)

    for link in plan.links:
        child, parent = built.objectives[link.child], built.objectives[link.parent]
        parent_krs = list(parent.key_results.all())
        try:
            if link.key_result is not None and parent_krs:
                kr = parent_krs[link.key_result % len(parent_krs)]
                okrs.align(actor=admin, child=child, parent_key_result=kr)
            else:
                okrs.align(actor=admin, child=child, parent_objective=parent)
        except ValidationError:
            pass  # a cycle, a duplicate, an objective aligned to itself

    for dependency_plan in plan.dependencies:
        dependency = request(built, dependency_plan, marks)
        if dependency is not None:
            built.dependencies.append(dependency)
    return built


def check_in(key_result: KeyResult, author: Member, n: int, blocker: bool, marks: Markers) -> None:
    comment = marks.new(control=True)
    needs, plan = marks.new(), marks.new()
    checkins.record_check_in(
        key_result=key_result,
        author=author,
        at=NOW - dt.timedelta(days=6 - 2 * n),
        progress=checkins.Progress(value=3 + n, comment=f"{comment} progress"),
        confidence=checkins.Confidence(level=4 + n, needs=f"{needs} needs"),
        next_up=checkins.NextUp(plan=f"{plan} plan"),
        blocker=blocker and n == 0,
        insight=n == 1,
    )
    marks.belong_to(key_result)


def request(built: Built, plan: DependencyPlan, marks: Markers) -> Dependency | None:
    """The request the plan describes, in its state with its thread, or None where the
    domain refuses it (the requesting team must own the objective, a private item may only
    go to a team that may all see it, ...)."""
    admin = built.people[0]
    objective = built.objectives[plan.objective]
    key_results = list(objective.key_results.all())
    key_result = None
    if plan.key_result is not None and key_results:
        key_result = key_results[plan.key_result % len(key_results)]
    owning = sorted(link.team_id for link in objective.team_links.all())
    if not owning and objective.owner_person is not None:
        owning = sorted(team_ids_of(objective.owner_person))
    if not owning:
        return None
    by_id = {team.pk: team for team in built.teams}
    requesting = by_id[owning[plan.requesting % len(owning)]]
    # Any team that does not own the objective (the domain refuses the others).
    others = [t for t in built.teams if t.pk != requesting.pk and t.pk not in owning]
    if not others:
        return None
    providing = others[plan.providing % len(others)]
    if plan.share_first:
        their = set(providing.memberships.values_list("member_id", flat=True))
        their |= {providing.lead_id} if providing.lead_id else set()
        theirs = [m for m in built.people if m.pk in their]
        if objective.is_private:
            okrs.update_objective(
                objective=objective,
                actor=admin,
                shared_with=[*objective.shared_with.all(), *theirs],
            )
        if key_result is not None and key_result.is_private:
            okrs.update_key_result(
                key_result=key_result,
                actor=admin,
                shared_with=[*key_result.shared_with.all(), *theirs],
            )
    need = marks.new(control=True)
    try:
        dependency = alignment.request_dependency(
            actor=admin,
            objective=objective,
            key_result=key_result,
            requesting_team=requesting,
            providing_team=providing,
            need=f"{need} need",
            due=NOW.date() + dt.timedelta(days=20),
        )
    except ValidationError:
        marks.drop()
        return None
    marks.belong_to(dependency)
    # Every state is one move from proposed, made by the admin (who may make both sides');
    # a move the domain refuses (a personal objective cannot become shared) leaves it be.
    if plan.state != S.PROPOSED:
        note = marks.new()
        try:
            dependency = alignment.change_dependency_state(
                actor=admin, dependency=dependency, to_state=plan.state, comment=f"{note} why"
            )
        except ValidationError:
            marks.drop()
        else:
            marks.belong_to(dependency)
    for _ in range(plan.comments):
        comment = marks.new()
        alignment.comment_on_dependency(
            actor=admin, dependency=dependency, comment=f"{comment} comment"
        )
        marks.belong_to(dependency)
    return dependency


def build_other_organization(tag: str, marks: Markers) -> Built:
    """A second organization, with public and private items, a check-in and a request:
    nothing of it may reach the first one, nor the other way round."""
    organization, otto = orgs.create_organization(
        name=f"Other {tag}", slug=f"other-{tag}", admin_email=f"otto@other-{tag}.test"
    )
    gina = orgs.add_member(
        organization=organization,
        email=f"gina@other-{tag}.test",
        role=Role.MEMBER,
        name="Gina",
        actor=otto,
    )
    ops = orgs.create_team(organization=organization, actor=otto, name="Ops", lead=gina)
    sales = orgs.create_team(organization=organization, actor=otto, name="Sales")
    period = orgs.create_period(
        organization=organization,
        actor=otto,
        name="This quarter",
        start=dt.date(2026, 4, 1),
        end=dt.date(2026, 6, 30),
        state=PeriodState.ACTIVE,
    )
    built = Built(organization, [otto, gina], [ops, sales], [period])
    public = okrs.create_objective(
        actor=otto, period=period, title=f"{marks.new(control=True)} other", owner_teams=[ops]
    )
    marks.belong_to(public)
    kr = okrs.create_key_result(
        actor=otto, objective=public, title=f"{marks.new(control=True)} other kr", target_value=9
    )
    marks.belong_to(kr)
    check_in(kr, gina, 0, True, marks)
    private = okrs.create_objective(
        actor=otto,
        period=period,
        title=f"{marks.new(control=True)} other private",
        owner_person=otto,
        visibility=Visibility.PRIVATE,
    )
    marks.belong_to(private)
    okrs.align(actor=otto, child=private, parent_key_result=kr)
    need = marks.new(control=True)
    dependency = alignment.request_dependency(
        actor=otto,
        objective=public,
        key_result=kr,
        requesting_team=ops,
        providing_team=sales,
        need=f"{need} other need",
    )
    marks.belong_to(dependency)
    built.objectives += [public, private]
    built.key_results.append(kr)
    built.dependencies.append(dependency)
    return built


# Crawling it ------------------------------------------------------------------------------------


def seeds(built: Built) -> list[str]:
    """The start page, home, inbox, blockers, the alignment map and health (each period),
    the dependency list; every team's pages, its map and its dependencies; every objective,
    key result and dependency page, with the objective's dependency fragment, sync view and
    check-in stream."""
    slug = built.organization.slug
    base = f"/o/{slug}/"
    urls = [
        "/",
        base,
        f"{base}inbox/",
        f"{base}blockers/",
        reverse("alignment:map", args=[slug]),
        reverse("alignment:health", args=[slug]),
        reverse("alignment:dependencies", args=[slug]),
    ]
    for period in built.periods:
        urls += [
            reverse("alignment:map", args=[slug]) + f"?period={period.uid}",
            reverse("alignment:health", args=[slug]) + f"?period={period.uid}",
        ]
    for team in built.teams:
        urls += [
            reverse("alignment:map", args=[slug]) + f"?team={team.uid}",
            reverse("alignment:dependencies", args=[slug]) + f"?team={team.uid}",
            reverse("okrs:team", args=[slug, team.uid]),
            reverse("alignment:team_alignment", args=[slug, team.uid]),
            reverse("alignment:team_dependencies", args=[slug, team.uid]),
        ]
    for objective in built.objectives:
        urls += [
            reverse("okrs:objective", args=[slug, objective.uid]),
            reverse("alignment:objective_dependencies", args=[slug, objective.uid]),
            reverse("checkins:sync", args=[slug, objective.uid]),
            reverse("checkins:objective_check_ins", args=[slug, objective.uid]),
        ]
    urls += [reverse("checkins:key_result", args=[slug, kr.uid]) for kr in built.key_results]
    urls += [reverse("alignment:dependency", args=[slug, d.uid]) for d in built.dependencies]
    # The period reports, their exports (XLSX read as text) and calibration (issue 6).
    urls += report_urls(built.organization, built.periods[0])
    return urls


# A form names the item it changes, but what it can leak (the choices it offers) is the same
# for every item of a kind: one of each kind per person is crawled (the seeds are all pages
# that show items), and every form of an item the person may not see is asked for its 404.
FORM_RE = re.compile(
    r"/(?:edit|delete|align|new|check-in|members|move|comment|correct|resolve|record)/$"
)


def light_key(url: str) -> str:
    """One page per path whatever its filters, every form of a kind one page: the seeds hold
    every page that shows items, the map and the dependency list filtered by each team and
    period among them; the crawl adds what they link to."""
    path = urlsplit(url).path
    return UUID_RE.sub("*", path) if FORM_RE.search(path) else path


def for_every_item(urls: Iterable[str], organization: Organization) -> set[str]:
    """`urls`, and each one that names one item once more for every other item of its kind
    in the organization: the admin's crawl holds one form of a kind, the 404 checks want
    them all."""
    kinds: dict[str, list[str]] = {}
    kind_of: dict[str, str] = {}
    for model in (Objective, KeyResult, Dependency, Sync, CheckIn, Team, Member, Period):
        for uid in model.objects.filter(organization=organization).values_list(  # type: ignore[attr-defined]
            "uid", flat=True
        ):
            kinds.setdefault(model.__name__, []).append(str(uid))
            kind_of[str(uid)] = model.__name__
    result = set(urls)
    for url in urls:
        named = UUID_RE.findall(url)
        if len(named) == 1 and named[0] in kind_of:
            result |= {url.replace(named[0], uid) for uid in kinds[kind_of[named[0]]]}
    return result


def names_hidden(rule: Rule, person: Member, url: str, uids: dict[str, Any]) -> bool:
    return any(uid in uids and not rule.may_see(person, uids[uid]) for uid in UUID_RE.findall(url))


def redacted_between(rule: Rule, person: Member, built: Built) -> list[tuple[str, str, str]]:
    """(child, private objective, parent) uids where the person sees child and parent, not
    the objective between them."""
    up: dict[int, set[int]] = {}
    for link in Alignment.objects.filter(organization=built.organization).select_related(
        "parent_key_result"
    ):
        up.setdefault(link.child_id, set()).add(link.parent_objective_id_effective())
    uid_of = {objective.pk: str(objective.uid) for objective in built.objectives}
    found = []
    for child, parents in sorted(up.items()):
        for middle in sorted(parents):
            if rule.objective(person, middle) or not rule.objective(person, child):
                continue
            for parent in sorted(up.get(middle, ())):
                if rule.objective(person, parent):
                    found.append((uid_of[child], uid_of[middle], uid_of[parent]))
    return found


def describe(built: Built) -> str:
    """One line about what an example built, for the test's output."""
    requests = Dependency.objects.filter(organization=built.organization).select_related(
        "objective", "key_result"
    )
    private = [
        d for d in requests if d.objective.is_private or (d.key_result and d.key_result.is_private)
    ]
    TALLY.private_requests += len(private)
    roles = sorted(m.role for m in built.people)
    return (
        f"{len(built.people)} people ({', '.join(roles)}), {len(built.teams)} teams, "
        f"{len(built.objectives)} objectives ({sum(o.is_private for o in built.objectives)} "
        f"private), {len(built.key_results)} key results "
        f"({sum(k.is_private for k in built.key_results)} private), "
        f"{Alignment.objects.filter(organization=built.organization).count()} links, "
        f"requests: {sorted(d.state for d in requests)} ({len(private)} private), "
        f"{len(built.syncs)} syncs"
    )


@dataclass
class Tally:
    examples: int = 0
    people: int = 0
    responses: int = 0
    redacted_checks: int = 0
    api_requests: int = 0
    private_requests: int = 0
    seconds: list[float] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)


TALLY = Tally()
EXAMPLES = itertools.count(1)

# A hand-made organization, always run first: a private objective between two public ones
# in a chain (seen from a team outside it), private requests (shared first) from a private
# objective and from a private key result of a public one, a request made a shared OKR, one
# declined and one deferred, a viewer a private objective is shared with, check-ins with
# blockers, syncs.
KR = KeyResultPlan
RICH = OrgPlan(
    teams=(TeamPlan(None, 1), TeamPlan(0, 2), TeamPlan(0, None)),
    people=(
        PersonPlan(Role.ADMIN, frozenset()),
        PersonPlan(Role.MEMBER, frozenset({0})),
        PersonPlan(Role.MEMBER, frozenset({1})),
        PersonPlan(Role.VIEWER, frozenset()),
        PersonPlan(Role.MEMBER, frozenset({2})),
        PersonPlan(Role.MEMBER, frozenset()),
    ),
    objectives=(
        ObjectivePlan(
            0,
            (0,),
            False,
            frozenset(),
            (KR(False, 1, frozenset(), 2, True), KR(True, 1, frozenset(), 2, False)),
            True,
        ),
        ObjectivePlan(0, (1,), True, frozenset(), (KR(False, 2, frozenset(), 1, True),), False),
        ObjectivePlan(0, (2,), False, frozenset(), (KR(True, 4, frozenset({5}), 1, False),), False),
        ObjectivePlan(4, (), True, frozenset({3}), (KR(False, 4, frozenset(), 1, False),), True),
        ObjectivePlan(0, (1, 2), False, frozenset(), (), True),
    ),
    links=(
        LinkPlan(2, 1, None),
        LinkPlan(1, 0, 0),
        LinkPlan(4, 3, None),
        LinkPlan(3, 0, 1),
    ),
    dependencies=(
        DependencyPlan(1, 0, 0, 1, S.ACCEPTED, 2, True),  # team 1 asks team 2
        DependencyPlan(0, 1, 0, 0, S.PROPOSED, 1, True),  # team 0 asks team 1
        DependencyPlan(4, None, 1, 0, S.MADE_SHARED, 1, False),  # team 2 asks team 0
        DependencyPlan(0, None, 0, 1, S.DECLINED, 1, False),  # team 0 asks team 2
        DependencyPlan(2, None, 0, 1, S.DEFERRED, 0, False),  # team 2 asks team 1
    ),
)


class AlignmentLeakTest(TestCase):
    @pytest.fixture(autouse=True)
    def _quiet(self, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
        # Hundreds of expected 403s and 404s: logging each with its traceback costs seconds.
        caplog.set_level(logging.CRITICAL, logger="django.request")
        yield
        print(
            f"\n{TALLY.examples} organizations, {TALLY.people} people crawled, "
            f"{TALLY.responses} responses, {TALLY.api_requests} API requests, "
            f"{TALLY.redacted_checks} redacted-node checks, "
            f"{TALLY.private_requests} private requests, "
            f"{' + '.join(f'{s:.0f}' for s in TALLY.seconds)} s"
        )
        for line in TALLY.organizations:
            print(f"  {line}")

    @settings(
        # The hand-made example and one generated organization: each takes half a minute.
        max_examples=1,
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: every step would build and crawl an organization again.
        phases=(Phase.explicit, Phase.generate),
        report_multiple_bugs=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )
    @given(plan=org_plans().filter(has_private_team_items))
    @example(plan=RICH)
    def test_no_generated_organization_leaks_a_private_item_anywhere(self, plan: OrgPlan) -> None:
        started = time.monotonic()
        example = next(EXAMPLES)
        tag = f"{example:03d}"
        marks = Markers(example)
        with time_machine.travel(NOW, tick=False):
            built = build_organization(plan, tag, marks)
            other = build_other_organization(tag, marks)
            problems = self.crawl_and_check(plan, built, other, marks)
        TALLY.examples += 1
        TALLY.seconds.append(time.monotonic() - started)
        assert not problems, "\n".join(problems)

    def crawl_and_check(
        self, plan: OrgPlan, built: Built, other: Built, marks: Markers
    ) -> list[str]:
        rule = Rule()
        uids = uid_index()
        people = Member.objects.select_related("user", "organization").in_bulk(
            [m.pk for m in built.people + other.people]
        )
        # The admin crawls first; everyone else crawls from the same seeds, then asks for
        # every page of the admin's, for every item of its kind, that names an item they
        # may not see (a 404 each).
        admin = people[built.people[0].pk]
        own_seeds = seeds(built)
        admin_crawl = crawl(admin, own_seeds, PAGE_LIMIT, key=light_key)
        every_page = for_every_item(admin_crawl.urls, built.organization)
        crawls: dict[str, Crawl] = {"P0": admin_crawl}
        for i, member in enumerate(built.people[1:], start=1):
            person = people[member.pk]
            result = crawl(person, own_seeds, PAGE_LIMIT, key=light_key)
            hidden = [
                url
                for url in sorted(every_page - result.urls)
                if names_hidden(rule, person, url, uids)
            ]
            result.responses.update(crawl(person, hidden, follow=False, htmx=(False,)).responses)
            crawls[f"P{i}"] = result
        # The other organization: its admin crawls it, its member reads the seeds.
        other_seeds = seeds(other)
        otto, gina = (people[member.pk] for member in other.people)
        crawls["otto"] = crawl(otto, other_seeds, PAGE_LIMIT, key=light_key)
        crawls["gina"] = crawl(gina, other_seeds, follow=False)

        problems: list[str] = []
        for name, result in crawls.items():
            person = result.person
            found = audit(
                result, name=name, rule=rule, markers=marks.owner, pattern=MARKER_RE, uids=uids
            )
            problems += found.problems
            wanted = {m for m in marks.control if rule.may_see(person, marks.owner[m])}
            missing = wanted - found.seen
            if missing:
                problems.append(f"{name} never saw {sorted(missing)} (positive control)")
            TALLY.people += 1
            TALLY.responses += len(result.responses)

        # Another organization's uuids are a 404, under either organization's slug.
        own, theirs = built.organization.slug, other.organization.slug
        for person, urls in (
            (admin, foreign_urls(crawls["otto"], theirs, own)),
            (otto, foreign_urls(admin_crawl, own, theirs)),
        ):
            assert urls
            for url, status in statuses(person, urls).items():
                if status != 404:
                    problems.append(f"{person.name} GET {url}: {status}, expected 404 (foreign)")

        # A private objective between two visible ones is a redacted node on both pages.
        checks = 0
        for i in range(len(built.people)):
            found_problems, checked = self.redacted_nodes(
                f"P{i}", crawls[f"P{i}"], rule, built, marks
            )
            problems += found_problems
            checks += checked
        TALLY.redacted_checks += checks
        TALLY.organizations.append(describe(built))
        if plan == RICH:
            # The hand-made organization must have built what it is there to test.
            assert checks, "no private objective between two visible ones"
            assert len(built.dependencies) == len(RICH.dependencies), "a request was refused"
        return problems + api_problems(built, other, marks, rule, uids, people)

    def redacted_nodes(
        self, name: str, result: Crawl, rule: Rule, built: Built, marks: Markers
    ) -> tuple[list[str], int]:
        """The problems with the redacted nodes this person's pages should show, and how
        many pages were checked."""
        problems = []
        checked = 0
        slug = built.organization.slug
        between = redacted_between(rule, result.person, built)
        if between:
            # The alignment map of the period draws the chain too.
            url = reverse("alignment:map", args=[slug])
            status, body = result.responses[(url, False)]
            checked += 1
            if status != 200 or REDACTED not in body:
                problems.append(f"{name} GET {url}: {status}, no {REDACTED!r} on the map")
        for child, middle, parent in between:
            words = {
                m
                for m, o in marks.owner.items()
                if isinstance(o, Objective) and str(o.uid) == middle
            }
            for uid in (child, parent):
                url = reverse("okrs:objective", args=[slug, uid])
                status, body = result.responses[(url, False)]
                checked += 1
                if status != 200 or REDACTED not in body:
                    problems.append(
                        f"{name} GET {url}: {status}, no {REDACTED!r} for the private {middle} "
                        f"between {child} and {parent}"
                    )
                if any(word in body for word in words):
                    problems.append(f"{name} GET {url}: shows the words of the private {middle}")
        return problems, checked


# The API (issue 5): the same people, each with a token ------------------------------------------


def api_problems(
    built: Built,
    other: Built,
    marks: Markers,
    rule: Rule,
    uids: dict[str, Any],
    people: dict[int, Member],
) -> list[str]:
    """Every person's API crawl (`cairn.testing.leaks.api_crawl`) from the URLs their
    admin's crawl asked for, and the other organization's URLs that name an item: no server
    error, no marker of an item they may not see, an item they may not see answers as one
    that does not exist, every error in the one shape, and each person reads the title of
    every objective and key result, the words of every check-in and the need of every
    request they may see (sync notes are not in the API)."""
    routes = api_routes(Client().get("/api/v1/openapi.json").json())
    kinds = uid_kinds()
    tokens = {
        pk: create_token(member=person, name="API crawl", read_only=not person.can_write)[1]
        for pk, person in people.items()
    }
    problems: list[str] = []
    with override_settings(CAIRN_API_RATE_PER_MINUTE=0):
        admins = {
            b.organization.pk: api_crawl(
                people[b.people[0].pk], tokens[b.people[0].pk], routes, kinds=kinds
            )
            for b in (built, other)
        }
        for b, foreign in ((built, other), (other, built)):
            naming = [u for u in admins[foreign.organization.pk].urls if UUID_RE.search(u)]
            own = sorted(admins[b.organization.pk].urls)
            for i, member in enumerate(b.people):
                person = people[member.pk]
                name = f"{b.organization.slug} P{i} (API)"
                result = api_crawl(
                    person, tokens[person.pk], routes, seeds=own + naming, kinds=kinds
                )
                found = audit(
                    result,
                    name=name,
                    rule=rule,
                    markers=marks.owner,
                    pattern=MARKER_RE,
                    uids=uids,
                    naming=(),
                )
                problems += found.problems + error_shapes(result, name=name)
                problems += non_confirmation(
                    result, tokens[person.pk], name=name, rule=rule, uids=uids
                )
                problems += [
                    f"{name} GET {url}: traceback:\n{tb}" for url, tb in result.tracebacks.items()
                ]
                wanted = {
                    m
                    for m in marks.control
                    if not isinstance(marks.owner[m], Sync) and rule.may_see(person, marks.owner[m])
                }
                missing = wanted - found.seen
                if missing:
                    problems.append(f"{name} never read {sorted(missing)} (positive control)")
                TALLY.api_requests += len(result.responses)
    # (Whether every route is reached is the demo crawl's business: a generated organization
    # has no initiatives or webhooks.)
    return problems


# Counts: what a marker cannot show ---------------------------------------------------------------

# A form's CSRF token, the one thing that changes between two fetches of the same page.
CSRF_RE = re.compile(r"[A-Za-z0-9]{64}")


def add_hidden_items(built: Built) -> None:
    """Items that people 3 (a viewer) and 5 (a member of no team) of `RICH` may not see, in
    no chain they can see: a private objective of team 1 (shared with person 4, in team 2)
    with a private key result, check-ins (a blocker, an insight), a sync and an accepted
    request to team 2; a private key result of person 1 in the public objective 0 with an
    open blocker and a request to team 1 nobody answered; and a private objective of
    person 4 in the next period."""
    admin, people, (team0, team1, team2) = built.people[0], built.people, built.teams
    period, next_period = built.periods
    secret = okrs.create_objective(
        actor=admin,
        period=period,
        title="Hidden objective",
        description="Hidden why",
        owner_teams=[team1],
        visibility=Visibility.PRIVATE,
        shared_with=[people[4]],
    )
    secret_kr = okrs.create_key_result(
        actor=admin,
        objective=secret,
        title="Hidden key result",
        target_value=10,
        owner=people[2],
        visibility=Visibility.PRIVATE,
        shared_with=[people[4]],
    )
    checkins.record_check_in(
        key_result=secret_kr,
        author=people[2],
        at=NOW - dt.timedelta(days=2),
        progress=checkins.Progress(value=4, comment="Hidden progress"),
        confidence=checkins.Confidence(level=3, needs="Hidden needs"),
        next_up=checkins.NextUp(plan="Hidden plan"),
        blocker=True,
        insight=True,
    )
    syncs.record_sync(
        actor=admin,
        objective=secret,
        held_on=NOW.date() - dt.timedelta(days=1),
        attendees=[people[2]],
        notes="Hidden notes",
    )
    request = alignment.request_dependency(
        actor=admin,
        objective=secret,
        key_result=secret_kr,
        requesting_team=team1,
        providing_team=team2,
        need="Hidden need",
    )
    alignment.change_dependency_state(
        actor=admin, dependency=request, to_state=S.ACCEPTED, comment="Hidden yes"
    )
    public = built.objectives[0]
    secret_kr = okrs.create_key_result(
        actor=admin,
        objective=public,
        title="Hidden key result of a public objective",
        target_value=10,
        owner=people[1],
        visibility=Visibility.PRIVATE,
        shared_with=[people[2]],
    )
    checkins.record_check_in(
        key_result=secret_kr,
        author=people[1],
        at=NOW - dt.timedelta(days=1),
        progress=checkins.Progress(value=2, comment="Hidden progress"),
        blocker=True,
    )
    alignment.request_dependency(
        actor=admin,
        objective=public,
        key_result=secret_kr,
        requesting_team=team0,
        providing_team=team1,
        need="Hidden need",
    )
    okrs.create_objective(
        actor=admin,
        period=next_period,
        title="Hidden objective next quarter",
        owner_person=people[4],
        visibility=Visibility.PRIVATE,
    )


# The one count of hidden items the product shows on purpose: issue 4 asks the alignment
# health report for "the number of private items (a count only for those who may not see
# them)". Everything else must stay byte-identical.
HEALTH_PRIVATE_RE = re.compile(r'<p class="muted small health-private">.*?</p>', re.S)


def _comparable(body: str) -> list[str]:
    return HEALTH_PRIVATE_RE.sub("", CSRF_RE.sub("", body)).splitlines()


@pytest.mark.django_db
def test_items_a_person_may_not_see_change_nothing_they_can_see(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Non-interference: a private item does not exist for those who may not see it, so
    adding some (with their check-ins, syncs and requests) must not change one byte of any
    page or fragment they can reach: no count, total, progress, flag or "N hidden" note.
    (Items inside a chain they see would rightly add a redacted node: these are in none.)"""
    caplog.set_level(logging.CRITICAL, logger="django.request")
    problems: list[str] = []
    with time_machine.travel(NOW, tick=False):
        built = build_organization(RICH, "100", Markers(100))
        watchers = [
            Member.objects.select_related("user", "organization").get(pk=built.people[i].pk)
            for i in (3, 5)
        ]
        before = {p.pk: crawl(p, seeds(built), PAGE_LIMIT, key=light_key) for p in watchers}
        add_hidden_items(built)
        for person in watchers:
            was = before[person.pk]
            now = crawl(person, sorted(was.urls), follow=False)
            for key, (status, body) in sorted(was.responses.items()):
                new_status, new_body = now.responses[key]
                old_lines = _comparable(body)
                new_lines = _comparable(new_body)
                if status != new_status or old_lines != new_lines:
                    changed = [
                        line.strip()
                        for line in difflib.unified_diff(old_lines, new_lines, n=0, lineterm="")
                        if line[:1] in "+-" and line[:3] not in ("+++", "---")
                    ]
                    url, htmx = key
                    problems.append(
                        f"{person.name} GET {url}{' (htmx)' if htmx else ''}: "
                        f"{status} -> {new_status}, {changed[:4]}"
                    )
    assert sum(len(before[p.pk].responses) for p in watchers) > 200
    assert not problems, "\n".join(problems)
