"""A period to close, on the four people of `cairn.conftest.world` (admin Ada; Mia, a member
of Product; Vic, a viewer; Otto outside), for the closing, carry-over and read-only tests.

2026 Q4 (the world's active period), and 2027 Q1 after it (planning) unless asked not to:
- "Launch the Acme product successfully", public, Product's (Mia's team), aligned to Ada's
  "Company goal" (same period):
  - "Signups" 0 → 100, checked in at 40 with a Next Up and an open blocker "BLOCKER-WORDS"
    (unfinished, no result);
  - "Demo calls" 0 → 10, at 10 with a Result scored 1.00 (achieved);
  - "Private pipeline" 0 → 50, private, at 20 (unfinished), owned by Mia;
  - initiatives of Product: "Referral flow" planned on Signups, "Landing page" in
    progress, "Press kit" done, and "Partner deals" deferred into 2027 Q1;
  - a dependency on Platform ("Need the payments API") on Signups, with a comment;
  - a sync recorded by Mia.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import time_machine

from cairn.alignment import services as alignment
from cairn.alignment.models import Dependency
from cairn.checkins import services as checkins
from cairn.checkins import syncs
from cairn.checkins.models import CheckIn, Sync
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import Alignment, Initiative, InitiativeState, KeyResult, Objective
from cairn.orgs import services as orgs
from cairn.orgs.models import Member, Period

RESULT_DAY = dt.datetime(2026, 12, 20, 10, 0, tzinfo=dt.UTC)
CHECK_IN_DAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@dataclass
class Closing:
    period: Period
    next_period: Period | None
    objective: Objective
    company: Objective
    signups: KeyResult
    demos: KeyResult
    private: KeyResult
    blocker: CheckIn
    initiatives: dict[str, Initiative] = field(default_factory=dict)
    dependency: Dependency | None = None
    sync: Sync | None = None
    alignment: Alignment | None = None


def next_quarter(world: World) -> Period:
    return orgs.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )


def check_in(key_result: KeyResult, author: Member, at: dt.datetime, **sections: object) -> CheckIn:
    with time_machine.travel(at, tick=False):
        key_result.refresh_from_db()
        return checkins.record_check_in(key_result=key_result, author=author, at=at, **sections)  # type: ignore[arg-type]


def metric(
    objective: Objective, actor: Member, title: str, target: int, **kwargs: object
) -> KeyResult:
    return okrs.create_key_result(
        actor=actor,
        objective=objective,
        title=title,
        start_value=0,
        target_value=target,
        **kwargs,  # type: ignore[arg-type]
    )


def build(world: World, *, with_next: bool = True) -> Closing:
    admin, mia = world.admin, world.member
    period = world.period
    following = next_quarter(world) if with_next else None
    company = okrs.create_objective(
        actor=admin, period=period, title="Company goal", owner_person=admin
    )
    objective = okrs.create_objective(
        actor=mia,
        period=period,
        title="Launch the Acme product successfully",
        owner_teams=[world.team],
    )
    link = okrs.align(actor=mia, child=objective, parent_objective=company)
    signups = metric(objective, mia, "Signups", 100, unit="signups")
    demos = metric(objective, mia, "Demo calls", 10)
    private = metric(objective, mia, "Private pipeline", 50, visibility="private", owner=mia)
    check_in(
        signups,
        mia,
        CHECK_IN_DAY,
        progress=checkins.Progress(value=40, comment="Halfway there"),
        confidence=checkins.Confidence(level=5, needs="BLOCKER-WORDS the payments API"),
        next_up=checkins.NextUp(plan="Ship the referral flow"),
        blocker=True,
    )
    check_in(private, mia, CHECK_IN_DAY, progress=checkins.Progress(value=20))
    check_in(demos, mia, RESULT_DAY, result=checkins.Result(value=10, learned="Calls work"))
    initiatives = {
        "planned": okrs.create_initiative(
            actor=mia,
            objective=objective,
            team=world.team,
            title="Referral flow",
            key_result=signups,
        ),
        "in_progress": okrs.create_initiative(
            actor=mia,
            objective=objective,
            team=world.team,
            title="Landing page",
            state=InitiativeState.IN_PROGRESS,
        ),
        "done": okrs.create_initiative(
            actor=mia,
            objective=objective,
            team=world.team,
            title="Press kit",
            state=InitiativeState.DONE,
        ),
    }
    if following is not None:
        deferred = okrs.create_initiative(
            actor=mia, objective=objective, team=world.team, title="Partner deals"
        )
        initiatives["deferred"] = okrs.defer_initiative(initiative=deferred, actor=mia)
    dependency = alignment.request_dependency(
        actor=mia,
        objective=objective,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="Need the payments API",
        key_result=signups,
    )
    alignment.comment_on_dependency(actor=mia, dependency=dependency, comment="Any news?")
    sync = syncs.record_sync(
        actor=mia,
        objective=objective,
        held_on=dt.date(2026, 11, 3),
        attendees=[mia],
        notes="We synced",
    )
    blocker = CheckIn.objects.get(key_result=signups, is_blocker=True)
    for item in (signups, demos, private):
        item.refresh_from_db()
    return Closing(
        period=period,
        next_period=following,
        objective=objective,
        company=company,
        signups=signups,
        demos=demos,
        private=private,
        blocker=blocker,
        initiatives=initiatives,
        dependency=dependency,
        sync=sync,
        alignment=link,
    )
