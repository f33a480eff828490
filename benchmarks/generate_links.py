"""The generator's links between objectives: vertical alignments, initiatives, dependencies
(planned before key results are written, since a key result counts its unaccepted ones) and
the syncs of shared OKRs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from benchmarks import words
from benchmarks.bulk import Table
from benchmarks.world import DependencyPlan, World, uid
from cairn.alignment.models import Dependency, DependencyEvent, DependencyState
from cairn.checkins.models import Sync
from cairn.okrs.models import Alignment, Initiative, InitiativeState

# Dependencies are planned before key results are written (their counter is a column) -------

_DEPENDENCY_STATES = (
    (DependencyState.PROPOSED, 0.25),
    (DependencyState.ACCEPTED, 0.35),
    (DependencyState.DECLINED, 0.1),
    (DependencyState.MADE_SHARED, 0.05),
    (DependencyState.DEFERRED, 0.1),
    (DependencyState.WITHDRAWN, 0.15),
)
UNACCEPTED = {DependencyState.PROPOSED, DependencyState.DECLINED, DependencyState.DEFERRED}


def plan_dependencies(w: World) -> dict[int, int]:
    rng = w.rng
    team_objectives = [
        i for i, o in enumerate(w.objectives) if o.teams and not w.periods[o.period].planning
    ]
    plans = []
    states = [s for s, _ in _DEPENDENCY_STATES]
    shares = [p for _, p in _DEPENDENCY_STATES]
    for i in range(w.counts.dependencies):
        index = rng.choice(team_objectives)
        o = w.objectives[index]
        kr = o.first_kr + rng.randrange(o.n_krs) if rng.random() < 0.7 else None
        providing = rng.randrange(len(w.team_ids))
        if providing == o.teams[0]:
            providing = (providing + 1) % len(w.team_ids)
        # Every state at least once, then in proportion.
        state = states[i] if i < len(states) else rng.choices(states, shares)[0]
        plans.append(DependencyPlan(index, kr, o.teams[0], providing, state))
    w.dependencies = plans
    unaccepted: dict[int, int] = {}
    for d in plans:
        if d.kr is not None and d.state in UNACCEPTED:
            unaccepted[d.kr] = unaccepted.get(d.kr, 0) + 1
    return unaccepted


# Alignments, initiatives, dependencies and syncs --------------------------------------------


def links(w: World) -> list[Table]:
    rng = w.rng
    alignments = Table(Alignment, with_id=False)
    rows = []
    for plan in w.objectives:
        if plan.parent is None:
            continue
        target, kr = plan.parent
        parent = w.objectives[target]
        rows.append(
            alignments.row(
                uid=uid(rng),
                organization_id=w.org_id,
                child_id=plan.id,
                parent_objective_id=parent.id if kr is None else None,
                parent_key_result_id=parent.first_kr + kr if kr is not None else None,
                created_by_id=w.admin_id,
                created_at=w.periods[plan.period].begin,
            )
        )
    alignments.write(rows)
    initiatives = _initiatives(w)
    dependencies, events = _dependencies(w)
    syncs, attendees = _syncs(w)
    return [alignments, initiatives, dependencies, events, syncs, attendees]


def _initiatives(w: World) -> Table:
    rng = w.rng
    table = Table(Initiative)
    first = table.next_id()
    rows = []
    for i in range(w.counts.initiatives):
        plan = w.objectives[rng.randrange(len(w.objectives))]
        period = w.periods[plan.period]
        team = plan.teams[0] if plan.teams else w.member_team[plan.person or 0]
        if period.planning:
            state = InitiativeState.PLANNED
        elif period.closed:
            state = rng.choices(list(InitiativeState), (0.05, 0.1, 0.7, 0.15))[0]
        else:
            state = rng.choices(list(InitiativeState), (0.3, 0.4, 0.25, 0.05))[0]
        created = period.begin + dt.timedelta(days=rng.randrange(20))
        rows.append(
            table.row(
                id=first + i,
                uid=uid(rng),
                organization_id=w.org_id,
                period_id=period.id,
                objective_id=plan.id,
                key_result_id=plan.first_kr + rng.randrange(plan.n_krs)
                if rng.random() < 0.6
                else None,
                team_id=w.team_ids[team],
                owner_id=w.member_ids[rng.choice(w.team_members[team])],
                title=words.plan(rng).capitalize(),
                description="",
                state=state,
                due=period.start + dt.timedelta(days=rng.randrange(20, 88)),
                created_at=created,
                updated_at=created,
            )
        )
    table.write(rows)
    return table


def _dependencies(w: World) -> tuple[Table, Table]:
    rng = w.rng
    table, events = Table(Dependency), Table(DependencyEvent, with_id=False)
    first = table.next_id()
    rows, event_rows = [], []
    for i, d in enumerate(w.dependencies):
        plan = w.objectives[d.objective]
        period = w.periods[plan.period]
        asked = period.begin + dt.timedelta(days=rng.randrange(60), hours=rng.randrange(9))
        asked = min(asked, w.now - dt.timedelta(days=rng.randrange(1, 20)))
        answered = None if d.state == DependencyState.PROPOSED else asked + dt.timedelta(days=2)
        asker = w.member_ids[rng.choice(w.team_members[d.requesting])]
        answerer = w.member_ids[rng.choice(w.team_members[d.providing])]
        rows.append(
            table.row(
                id=first + i,
                uid=uid(rng),
                organization_id=w.org_id,
                objective_id=plan.id,
                key_result_id=d.kr,
                requesting_team_id=w.team_ids[d.requesting],
                providing_team_id=w.team_ids[d.providing],
                need=f"Help to {words.plan(rng)}",
                due=period.end - dt.timedelta(days=20),
                initiative_id=None,
                state=d.state,
                created_by_id=asker,
                created_at=asked,
                updated_at=answered or asked,
                asked_at=asked,
                answered_at=answered,
            )
        )
        event_rows.append(
            events.row(
                uid=uid(rng),
                organization_id=w.org_id,
                dependency_id=first + i,
                author_id=asker,
                from_state="",
                to_state=DependencyState.PROPOSED,
                comment="Asked.",
                created_at=asked,
            )
        )
        if answered is not None:
            event_rows.append(
                events.row(
                    uid=uid(rng),
                    organization_id=w.org_id,
                    dependency_id=first + i,
                    author_id=answerer,
                    from_state=DependencyState.PROPOSED,
                    to_state=d.state,
                    comment=words.sentence(rng).capitalize(),
                    created_at=answered,
                )
            )
    table.write(rows)
    events.write(event_rows)
    return table, events


def _syncs(w: World) -> tuple[Table, Table]:
    rng = w.rng
    table = Table(Sync)
    attendees = Table(Sync.attendees.through, with_id=False)
    first = table.next_id()
    rows: list[list[Any]] = []
    attendee_rows: list[list[Any]] = []
    for plan in w.objectives:
        period = w.periods[plan.period]
        if len(plan.teams) < 2 or period.planning:
            continue
        held = period.start + dt.timedelta(days=7)
        while held < min(period.end, w.now.date()):
            sync_id = first + len(rows)
            rows.append(
                table.row(
                    id=sync_id,
                    uid=uid(rng),
                    organization_id=w.org_id,
                    objective_id=plan.id,
                    held_on=held,
                    notes=words.sentence(rng).capitalize(),
                    next_sync_on=held + dt.timedelta(days=14),
                    recorded_by_id=w.member_ids[rng.choice(w.team_members[plan.teams[0]])],
                    created_at=dt.datetime.combine(held, dt.time(15), dt.UTC),
                )
            )
            people = {w.member_ids[rng.choice(w.team_members[t])] for t in plan.teams}
            attendee_rows.extend(attendees.row(sync_id=sync_id, member_id=m) for m in people)
            held += dt.timedelta(days=14)
    table.write(rows)
    attendees.write(attendee_rows)
    return table, attendees
