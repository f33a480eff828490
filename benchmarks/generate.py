"""`cairn bench generate`: a synthetic organization at enterprise scale, written in bulk.

L: 20,000 members, 2,000 teams in 5 levels, 4 periods (two closed quarters, the current one,
the next in planning), 40,000 objectives (10% shared by 2-4 teams, 10% private, 5% personal),
150,000 key results, 2,000,000 check-ins with every section and flag, 5,000 dependencies in
every state, 60,000 initiatives, vertical alignments, syncs and history. M is a tenth, S a
hundredth. The same seed gives the same organization (dates follow the current quarter).

Every roll-up the services keep in a check-in's transaction (current value, confidence, last
check-in, Next Up, open blockers, unaccepted dependencies, score) is computed here from the
rows written, so that pages read the same columns they read in production.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from benchmarks import words
from benchmarks.bulk import Table, reset_sequences
from benchmarks.checkin_rows import CheckInMaker
from benchmarks.generate_links import links, plan_dependencies
from benchmarks.sizes import FACTORS, PASSWORD, Counts, admin_email, member_email, slug_for
from benchmarks.world import GenerateError, ObjectivePlan, PeriodInfo, World, uid
from cairn.checkins.models import CheckIn, CheckInRevision
from cairn.lib.database import refresh_statistics
from cairn.lib.dates import next_quarter as next_q
from cairn.lib.dates import previous_quarter, quarter_bounds, quarter_name, quarter_of
from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import (
    HistoryEvent,
    Member,
    Organization,
    Period,
    PeriodState,
    Role,
    Team,
    TeamMembership,
    User,
)

TIME_ZONE = "Europe/Stockholm"
CHUNK = 400  # objectives per write: their key results and check-ins stay in memory
INCOMPLETE = " (incomplete)"


def generate(
    *,
    size: str = "S",
    seed: int = 1,
    factor: float | None = None,
    out: Callable[[str], Any] = print,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Build the organization and return what was written, how long it took and the peak
    memory of this process."""
    if size not in FACTORS:
        raise GenerateError(f"unknown size {size!r}: choose S, M or L")
    slug = slug_for(size, factor)
    if Organization.objects.filter(slug=slug).exists():
        raise GenerateError(
            f"organization {slug!r} already exists in this database; generate into a fresh "
            "CAIRN_DATA_DIR or DATABASE_URL"
        )
    counts = Counts.at(FACTORS[size] if factor is None else factor)
    started = time.monotonic()
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-200000")
    org = Organization.objects.create(
        name=f"Bench {size}{INCOMPLETE}", slug=slug, time_zone=TIME_ZONE
    )
    world = World(rng=rng, counts=counts, org_id=org.id, now=now)
    tables: list[Table] = []
    steps: dict[str, float] = {}

    def step(name: str, fn: Callable[[World], list[Table]]) -> None:
        begun = time.monotonic()
        tables.extend(fn(world))
        steps[name] = round(time.monotonic() - begun, 1)
        out(f"  {name}: {steps[name]} s")

    out(f"Generating {slug} (seed {seed}) on {connection.vendor}: {counts}")
    step("people and teams", _people_and_teams)
    step("periods", _periods)
    step("plan", _plan)
    step("objectives, key results and check-ins", _objectives)
    step("alignments, initiatives, dependencies, syncs", links)
    reset_sequences(tables)
    # As after any bulk load: the planner's statistics (cairn.lib.database explains why).
    begun = time.monotonic()
    refresh_statistics()
    steps["analyze"] = round(time.monotonic() - begun, 1)
    Organization.objects.filter(id=org.id).update(name=f"Bench {size}")
    elapsed = time.monotonic() - started
    written = {t.name: t.count for t in tables if t.count}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out(
        f"Done in {elapsed:.0f} s, peak memory {peak_mb:.0f} MB. Sign in as {admin_email(slug)} "
        f"or {member_email(slug, 0)} with password {PASSWORD!r}."
    )
    return {
        "slug": slug,
        "size": size,
        "seed": seed,
        "vendor": connection.vendor,
        "seconds": round(elapsed, 1),
        "peak_rss_mb": round(peak_mb),
        "steps": steps,
        "rows": written,
    }


# People and teams ---------------------------------------------------------------------------

LEVEL_SHARES = (0.0005, 0.004, 0.03, 0.2)  # of all teams, levels 0-3; level 4 gets the rest


def _people_and_teams(w: World) -> list[Table]:
    rng, c = w.rng, w.counts
    slug = Organization.objects.get(id=w.org_id).slug
    users, members = Table(User), Table(Member)
    teams, memberships = Table(Team), Table(TeamMembership, with_id=False)
    password = make_password(PASSWORD)
    user_id, member_id, team_id = users.next_id(), members.next_id(), teams.next_id()
    joined = w.now - dt.timedelta(days=400)

    # Levels: one root, then wider and wider; every level has at least one team.
    sizes = [max(1, round(c.teams * s)) for s in LEVEL_SHARES]
    sizes.append(max(1, c.teams - sum(sizes)))
    for level, n in enumerate(sizes):
        for _ in range(n):
            w.team_level.append(level)
    n_teams = len(w.team_level)
    w.team_ids = [team_id + i for i in range(n_teams)]
    starts = [sum(sizes[:lv]) for lv in range(len(sizes))]
    for i, level in enumerate(w.team_level):
        if level == 0:
            w.team_parent.append(None)
        else:
            # Spread children evenly over the level above.
            above = sizes[level - 1]
            w.team_parent.append(starts[level - 1] + (i - starts[level]) % above)
    w.team_members = [[] for _ in range(n_teams)]

    user_rows, member_rows, membership_rows = [], [], []
    n_members = max(c.members, n_teams)
    for i in range(n_members + 1):  # the last one is the admin who signs in for benchmarks
        is_admin_login = i == n_members
        email = admin_email(slug) if is_admin_login else member_email(slug, i)
        uid_ = user_id + i
        user_rows.append(
            users.row(
                id=uid_,
                email=email,
                name=_person_name(rng, i),
                password=password,
                is_active=True,
                is_staff=False,
                is_superuser=False,
                date_joined=joined,
            )
        )
        if is_admin_login or i % 50 == 7:
            role = Role.ADMIN
        elif i >= n_teams and i % 33 == 5:
            role = Role.VIEWER
        else:
            role = Role.MEMBER
        member_rows.append(
            members.row(
                id=member_id + i,
                uid=uid(rng),
                organization_id=w.org_id,
                user_id=uid_,
                role=role,
                title=rng.choice(
                    ("Engineer", "Designer", "Analyst", "Manager", "Lead", "Specialist")
                ),
                created_at=joined,
            )
        )
        w.member_ids.append(member_id + i)
        if is_admin_login:
            w.admin_id = member_id + i
            continue
        # Member i < n_teams founds (and leads) team i; the rest spread evenly, leaf-heavy.
        team = (
            i
            if i < n_teams
            else rng.randrange(starts[3], n_teams)
            if rng.random() < 0.8
            else rng.randrange(n_teams)
        )
        w.member_team.append(team)
        w.team_members[team].append(i)
        extra = {team}
        if rng.random() < 0.1:
            extra.add(rng.randrange(n_teams))
        for t in extra:
            if t != team:
                w.team_members[t].append(i)
            membership_rows.append(
                memberships.row(
                    organization_id=w.org_id,
                    team_id=w.team_ids[t],
                    member_id=member_id + i,
                    created_at=joined,
                )
            )
    users.write(user_rows)
    members.write(member_rows)
    team_rows = []
    for i, level in enumerate(w.team_level):
        parent = w.team_parent[i]
        team_rows.append(
            teams.row(
                id=w.team_ids[i],
                uid=uid(rng),
                organization_id=w.org_id,
                name=f"{rng.choice(words.TEAM_ADJECTIVES)} {words.TEAM_NOUNS[level * 2]} {i + 1}",
                description="",
                created_at=joined,
                parent_id=None if parent is None else w.team_ids[parent],
                lead_id=member_id + i,
            )
        )
    teams.write(team_rows)
    memberships.write(membership_rows)
    return [users, members, teams, memberships]


def _person_name(rng: random.Random, i: int) -> str:
    first = (
        "Ada",
        "Bo",
        "Cleo",
        "Dag",
        "Eva",
        "Femi",
        "Gus",
        "Hana",
        "Ivo",
        "Jun",
        "Kai",
        "Lena",
        "Mo",
        "Nour",
        "Oskar",
        "Pia",
        "Quinn",
        "Rui",
        "Sven",
        "Tove",
        "Uma",
    )
    last = ("Lind", "Nguyen", "Berg", "Okafor", "Tran", "Holm", "Silva", "Ek", "Pham", "Moss")
    return f"{rng.choice(first)} {rng.choice(last)} {i}"


# Periods ------------------------------------------------------------------------------------


def _periods(w: World) -> list[Table]:
    periods = Table(Period)
    tz = ZoneInfo(TIME_ZONE)
    today = w.now.astimezone(tz).date()
    year, q = quarter_of(today)
    quarters = [
        previous_quarter(*previous_quarter(year, q)),
        previous_quarter(year, q),
        (year, q),
        next_q(year, q),
    ]
    first = periods.next_id()
    rows = []
    for i, (yy, qq) in enumerate(quarters):
        start, end = quarter_bounds(yy, qq)
        closed, planning = i < 2, i == 3
        begin = dt.datetime.combine(start, dt.time(8), tz)
        until = dt.datetime.combine(end, dt.time(17), tz) if closed else w.now
        closed_at = dt.datetime.combine(end + dt.timedelta(days=4), dt.time(10), tz)
        state = (
            PeriodState.CLOSED
            if closed
            else (PeriodState.PLANNING if planning else PeriodState.ACTIVE)
        )
        rows.append(
            periods.row(
                id=first + i,
                uid=uid(w.rng),
                organization_id=w.org_id,
                name=quarter_name(yy, qq),
                kind="quarter",
                start=start,
                end=end,
                state=state,
                closed_at=closed_at if closed else None,
                closed_by_id=w.admin_id if closed else None,
                created_at=begin - dt.timedelta(days=30),
            )
        )
        w.periods.append(PeriodInfo(first + i, start, end, closed, planning, until, begin))
    periods.write(rows)
    return [periods]


# The plan: who owns what, which objective aligns where --------------------------------------


def _plan(w: World) -> list[Table]:
    rng, c = w.rng, w.counts
    n_teams = len(w.team_ids)
    per_period = c.objectives // len(w.periods)
    # Key results: 3 or 4 per objective, so that the total comes out at c.key_results.
    four_share = min(1.0, max(0.0, c.key_results / c.objectives - 3))
    next_objective = Table(Objective).next_id()
    next_kr = Table(KeyResult).next_id()
    by_team_period: dict[tuple[int, int], list[int]] = {}
    for p in range(len(w.periods)):
        for j in range(per_period):
            personal = rng.random() < 0.05
            if personal:
                teams: list[int] = []
                person: int | None = rng.randrange(len(w.member_team))
            else:
                # Round-robin over teams in level order: parents get objectives first.
                team = j % n_teams
                teams = [team]
                person = None
                if rng.random() < 0.105:  # shared by 2-4 teams of the same level
                    level = w.team_level[team]
                    peers = [t for t in range(n_teams) if w.team_level[t] == level and t != team]
                    for t in rng.sample(peers, min(len(peers), rng.randint(1, 3))):
                        teams.append(t)
            n_krs = 4 if rng.random() < four_share else 3
            plan = ObjectivePlan(
                id=next_objective + len(w.objectives),
                period=p,
                teams=teams,
                person=person,
                private=rng.random() < 0.1,
                n_krs=n_krs,
                first_kr=next_kr,
            )
            next_kr += n_krs
            index = len(w.objectives)
            # Aligned to an objective (or one of its key results) of the parent team.
            home = teams[0] if teams else w.member_team[person or 0]
            parent_team = w.team_parent[home] if teams else home
            candidates = by_team_period.get((parent_team, p), []) if parent_team is not None else []
            if candidates and rng.random() < (0.85 if teams else 0.5):
                target = rng.choice(candidates)
                kr = rng.randrange(w.objectives[target].n_krs) if rng.random() < 0.25 else None
                plan.parent = (target, kr)
            w.objectives.append(plan)
            for t in teams:
                by_team_period.setdefault((t, p), []).append(index)
    return []


# Objectives, key results and check-ins ------------------------------------------------------


def _objectives(w: World) -> list[Table]:
    objectives, owners = Table(Objective), Table(ObjectiveTeam, with_id=False)
    krs, history = Table(KeyResult), Table(HistoryEvent, with_id=False)
    maker = CheckInMaker(w, Table(CheckIn), Table(CheckInRevision, with_id=False))
    unaccepted = plan_dependencies(w)
    heavy_every = 400  # one key result in 400 gets 100-150 check-ins
    active = [p for p in w.periods if not p.planning]
    weights = {p.id: (p.until - p.begin).total_seconds() for p in active}
    kr_total = sum(o.n_krs for o in w.objectives if not w.periods[o.period].planning)
    heavy_total = (kr_total // heavy_every) * 125
    spread = max(0, w.counts.check_ins - heavy_total)
    weight_sum = (
        sum(
            weights[w.periods[o.period].id] * o.n_krs
            for o in w.objectives
            if not w.periods[o.period].planning
        )
        or 1.0
    )
    per_second = spread / weight_sum

    kr_seen = 0
    for begin in range(0, len(w.objectives), CHUNK):
        o_rows: list[list[Any]] = []
        t_rows: list[list[Any]] = []
        k_rows: list[list[Any]] = []
        h_rows: list[list[Any]] = []
        for plan in w.objectives[begin : begin + CHUNK]:
            period = w.periods[plan.period]
            rng = w.rng
            created = period.begin - dt.timedelta(days=10, minutes=rng.randrange(7200))
            author = _member_of(w, plan)
            o_uid = uid(rng)
            title = words.objective_title(rng)
            o_rows.append(
                objectives.row(
                    id=plan.id,
                    uid=o_uid,
                    organization_id=w.org_id,
                    period_id=period.id,
                    title=title,
                    description=f"{words.sentence(rng).capitalize()}.",
                    owner_person_id=w.member_ids[plan.person] if plan.person is not None else None,
                    visibility="private" if plan.private else "public",
                    sync_cadence_days=14,
                    closed_at=_closed_at(period),
                    created_by_id=author,
                    created_at=created,
                    updated_at=created,
                )
            )
            t_rows.extend(
                owners.row(organization_id=w.org_id, objective_id=plan.id, team_id=w.team_ids[t])
                for t in plan.teams
            )
            h_rows.append(_created(w, history, author, created, "objective", o_uid, title))
            for k in range(plan.n_krs):
                kr_id = plan.first_kr + k
                if period.planning:
                    n = 0
                elif kr_seen % heavy_every == 5:
                    n = rng.randint(100, 150)
                else:
                    base = per_second * weights[period.id]
                    n = max(1, round(base * rng.uniform(0.5, 1.5)))
                kr_seen += 0 if period.planning else 1
                owner = _member_of(w, plan)
                row, kr_uid, kr_title = maker.key_result(
                    krs,
                    plan,
                    period,
                    kr_id=kr_id,
                    position=k,
                    owner=owner,
                    created=created,
                    n_check_ins=n,
                    unaccepted=unaccepted.get(kr_id, 0),
                )
                k_rows.append(row)
                h_rows.append(_created(w, history, owner, created, "key_result", kr_uid, kr_title))
        # One transaction per chunk: the write-ahead log stays small, and an interrupted run
        # leaves the organization named "(incomplete)".
        with transaction.atomic():
            objectives.write(o_rows)
            owners.write(t_rows)
            krs.write(k_rows)
            history.write(h_rows)
            maker.flush()
    return [objectives, owners, krs, history, maker.check_ins, maker.revisions]


def _closed_at(period: PeriodInfo) -> dt.datetime | None:
    if not period.closed:
        return None
    return dt.datetime.combine(period.end + dt.timedelta(days=4), dt.time(10), dt.UTC)


def _member_of(w: World, plan: ObjectivePlan) -> int:
    """A member id from the objective's (first) owning team, or its personal owner."""
    if plan.person is not None:
        return w.member_ids[plan.person]
    people = w.team_members[plan.teams[0]]
    return w.member_ids[w.rng.choice(people)]


def _created(
    w: World,
    history: Table,
    actor: int,
    at: dt.datetime,
    kind: str,
    target_uid: uuid.UUID,
    label: str,
) -> list[Any]:
    return history.row(
        uid=uid(w.rng),
        organization_id=w.org_id,
        at=at,
        actor_id=actor,
        action="created",
        target_kind=kind,
        target_uid=target_uid,
        target_label=label[:300],
        changes={},
        note="",
    )
