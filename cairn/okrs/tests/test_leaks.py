"""Nothing private leaks, anywhere a person can click (PRODUCT.md, "Transparency").

The crawl test builds the demo organization plus private items whose every visible text
(title, description, unit, initiative title) carries a unique marker, and a second
organization with markers of its own. On the private key results (and a public one), check-ins
carry a marker in every text (insights, open and resolved blockers, corrections with their
earlier text); two are tombstoned, and their words belong to nobody, not even an admin.
Dependencies from private and public objectives and key results carry markers in their need,
state-change notes and thread comments, and syncs in their notes (a dependency is as visible
as its objective and key result, a sync as its objective). Then, as each of several people,
it follows every same-site link and `hx-get` from the start pages and the alignment surfaces
(map, health, team alignment, dependency pages and fragments, sync views), full pages and
htmx fragments, and checks:

- no response is a server error;
- no marker of an item the person may not see appears in any response; "may see" is computed
  in plain Python from the rule (`cairn.testing.leaks.Rule`), independently of the
  `visible_to` QuerySets;
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
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from cairn.alignment import services as alignment
from cairn.alignment.models import Dependency, DependencyState
from cairn.checkins import reminders, syncs
from cairn.checkins import services as checkins
from cairn.checkins.models import CheckIn, Reminder, Sync
from cairn.conftest import World, login
from cairn.demo.loader import Demo, load_demo
from cairn.lib import rhythm
from cairn.notifications import emails
from cairn.okrs import services as okrs
from cairn.okrs.models import Alignment, Initiative, KeyResult, Objective, Visibility
from cairn.orgs import services as orgs
from cairn.orgs.models import Member, Organization, Period, PeriodState, Role, Team
from cairn.testing.leaks import (
    TOMBSTONE,
    UUID_RE,
    Rule,
    Tombstone,
    audit,
    crawl,
    foreign_urls,
    markers_in,
    report_urls,
    statuses,
    uid_index,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 14)
PRIVATE = Visibility.PRIVATE


# The world ------------------------------------------------------------------------------------


@dataclass
class LeakWorld:
    demo: Demo
    acme: Organization
    globex: Organization
    people: dict[str, Member]
    # marker -> the object whose visibility decides who may read it
    markers: dict[str, Objective | KeyResult | Initiative | Dependency | Sync | Tombstone] = field(
        default_factory=dict
    )
    objects: dict[str, Any] = field(default_factory=dict)
    # The check-ins written for the test, and the markers of the live ones' words (every one
    # of them is on its key result's page: the positive control for check-ins).
    check_ins: list[CheckIn] = field(default_factory=list)
    check_in_markers: set[str] = field(default_factory=set)
    # The test's dependencies and syncs, and the markers of their words that the people who
    # may see them must find (on the dependency's or the sync's own page).
    dependencies: list[Dependency] = field(default_factory=list)
    syncs: list[Sync] = field(default_factory=list)
    thread_markers: set[str] = field(default_factory=set)


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

    # 7. Dependencies whose need, state-change notes and thread comments carry markers. A
    #    private request may only go to a team all of whose people may see it: Platform Ops,
    #    led by Sofia alone. From Platform's private objective (and key result); from Sofia's
    #    private key result in the public Quality objective (Omar and Mia see the objective,
    #    never the request); and two public ones, which everyone in Acme sees.
    platform_ops = orgs.create_team(
        organization=world.acme,
        actor=ada,
        name="Platform Ops",
        parent=teams["Platform"],
        lead=people["sofia"],
    )

    def dependency(
        of: Objective,
        requesting: Team,
        providing: Team,
        *,
        key_result: KeyResult | None = None,
        moves: tuple[str, ...] = (),
    ) -> Dependency:
        need = mark("n")
        created = alignment.request_dependency(
            actor=ada,
            objective=of,
            key_result=key_result,
            requesting_team=requesting,
            providing_team=providing,
            need=f"{need} need",
            due=TODAY + dt.timedelta(days=21),
        )
        words = [need]
        for state in moves:
            words.append(mark("s"))
            alignment.change_dependency_state(
                actor=ada, dependency=created, to_state=state, comment=f"{words[-1]} because"
            )
        for _ in range(2):
            words.append(mark("c"))
            alignment.comment_on_dependency(
                actor=ada, dependency=created, comment=f"{words[-1]} comment"
            )
        for word in words:
            world.markers[word] = created
        world.thread_markers.update(words)
        world.dependencies.append(created)
        return created

    shared_okr = demo.shared_objective
    assert shared_okr is not None
    public_kr = KeyResult.objects.filter(objective=shared_okr, visibility=Visibility.PUBLIC).first()
    assert public_kr is not None
    dependency(
        platform_secret,
        teams["Platform"],
        platform_ops,
        key_result=platform_kr,
        moves=(DependencyState.ACCEPTED,),
    )
    dependency(quality, teams["Quality"], platform_ops, key_result=sofia_kr)
    dependency(
        shared_okr,
        teams["Product"],
        teams["Quality"],
        key_result=public_kr,
        moves=(DependencyState.DECLINED,),
    )
    dependency(company, teams["Acme"], teams["Growth"])
    # Sync notes: a private objective's and the shared OKR's.
    for synced in (platform_secret, shared_okr):
        notes = mark("y")
        sync = syncs.record_sync(
            actor=ada,
            objective=synced,
            held_on=TODAY - dt.timedelta(days=2),
            attendees=[ada, people["sofia"]],
            notes=f"{notes} notes",
        )
        world.markers[notes] = sync
        world.thread_markers.add(notes)
        world.syncs.append(sync)

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


LEAK_RE = re.compile(r"LEAK-(?:CI\d{3}|\d{2})")


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


def alignment_seeds(world: LeakWorld) -> list[str]:
    """The alignment surfaces with every filter value, every team's alignment and
    dependencies, the test's dependencies (page, edit form, the objective's fragment) and the
    sync view of every objective that has a dependency or a sync."""
    slug = world.acme.slug
    base = f"/o/{slug}/"
    urls = [
        reverse("alignment:map", args=[slug]),
        reverse("alignment:health", args=[slug]),
        reverse("alignment:dependencies", args=[slug]),
    ]
    for period in Period.objects.filter(organization=world.acme):
        urls.append(reverse("alignment:map", args=[slug]) + f"?period={period.uid}")
    for team in Team.objects.filter(organization=world.acme).order_by("name"):
        urls += [
            reverse("alignment:map", args=[slug]) + f"?team={team.uid}",
            reverse("alignment:team_alignment", args=[slug, team.uid]),
            reverse("alignment:team_dependencies", args=[slug, team.uid]),
        ]
    objectives = {d.objective for d in world.dependencies} | {s.objective for s in world.syncs}
    for objective in sorted(objectives, key=lambda o: o.pk):
        urls += [
            reverse("okrs:objective", args=[slug, objective.uid]),
            reverse("alignment:objective_dependencies", args=[slug, objective.uid]),
            reverse("alignment:dependency_new", args=[slug, objective.uid]),
            f"{base}objectives/{objective.uid}/sync/",
        ]
    for dependency in world.dependencies:
        urls += [
            reverse("alignment:dependency", args=[slug, dependency.uid]),
            reverse("alignment:dependency_edit", args=[slug, dependency.uid]),
        ]
    return urls


def closing_seeds(world: LeakWorld) -> list[str]:
    """Every period's closing checklist, for the organization and for every team (the
    crawl takes one `?team=` for the lot), and the carry-over form of every objective."""
    slug = world.acme.slug
    urls = []
    for period in Period.objects.filter(organization=world.acme).order_by("start"):
        checklist = reverse("reporting:checklist", args=[slug, period.uid])
        urls.append(checklist)
        urls += [
            f"{checklist}?team={team.uid}"
            for team in Team.objects.filter(organization=world.acme).order_by("name")
        ]
    for objective in Objective.objects.filter(organization=world.acme).order_by("pk"):
        urls.append(reverse("reporting:carry_over", args=[slug, objective.uid]))
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
    seeds_for["acme"] += check_in_seeds(world) + alignment_seeds(world) + closing_seeds(world)
    # The period reports, their exports (XLSX read as text) and calibration (issue 6).
    seeds_for["acme"] += report_urls(world.acme, world.demo.current)
    seeds_for["globex"] += report_urls(world.globex)
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

    uids = uid_index()
    plain = [marker for marker in world.markers if not LEAK_RE.match(marker)]

    problems: list[str] = []
    for name, result in crawls.items():
        person = people[name]
        found = audit(
            result,
            name=name,
            rule=rule,
            markers=world.markers,  # type: ignore[arg-type]
            pattern=LEAK_RE,
            uids=uids,
            plain=plain,
        )
        problems += found.problems
        hidden = {m for m, obj in world.markers.items() if not rule.may_see(person, obj)}
        # Every word of every live check-in this person may see is on its key result's page;
        # every word of a dependency's thread and of a sync on the dependency's or sync's.
        wanted = probes[name] | ((world.check_in_markers | world.thread_markers) - hidden)
        missing = wanted - found.seen
        if missing:
            problems.append(f"{name} never saw {sorted(missing)} (positive control)")
        if name != "otto":
            assert world.check_in_markers - hidden, f"{name} may see no check-in: no control"
            assert world.thread_markers - hidden, f"{name} may see no dependency: no control"

    # E-mails: every reminder and digest, for everyone in both organizations.
    mailed = rendered_emails(world)
    members = {m.user.email: m for m in Member.objects.select_related("user")}
    mailed_markers: set[str] = set()
    for key, body in mailed.items():
        person = members[key.split()[0]]
        for marker in sorted(markers_in(body, world.markers, pattern=LEAK_RE, plain=plain)):
            if rule.may_see(person, world.markers[marker]):
                mailed_markers.add(marker)
            else:
                problems.append(f"e-mail {key}: shows {marker!r}")
    # Positive control: the blockers of a reminder and the notes of a digest carry words.
    for key in ("sofia@acme.example reminder", "omar@acme.example digest"):
        if key not in mailed or not markers_in(
            mailed[key], world.markers, pattern=LEAK_RE, plain=plain
        ):
            problems.append(f"e-mail {key}: missing or without a check-in's words")

    # Another organization's uuids are a 404, under either organization's slug.
    cross = [
        (people["ada"], foreign_urls(otto_crawl, "globex", "acme")),
        (people["mia"], foreign_urls(otto_crawl, "globex", "acme")),
        (people["otto"], foreign_urls(admin_crawl, "acme", "globex")),
    ]
    for person, urls in cross:
        assert urls
        for url, status in statuses(person, urls).items():
            if status != 404:
                problems.append(f"{person.name} GET {url}: {status}, expected 404 (foreign uuid)")

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
