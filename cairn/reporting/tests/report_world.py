"""A closed quarter for the report, export and calibration tests, on the four people of
`cairn.conftest.world` (admin Ada; Mia, a member of Product; Vic, a viewer; Otto outside).

Third quarter of 2026 (July to September), closed by Ada:
- "Grow the funnel", public, Product's: two key results with weekly confidence, an insight
  and a blocker (resolved), and results: "Signups" scores 0.80 (achieved), "Demo calls"
  0.40 (missed);
- "Shared launch", public, owned by Product and Platform (a shared OKR): one key result,
  achieved, and one with a single confidence check-in (left out of the calibration);
- "PRIVATE-MARKER secret plan", private, Platform's (Mia is not in Platform): one key result
  "PRIVATE-KR-MARKER", unit "PRIVATE-UNIT", target 987654 and a final 876543 — with
  confidence, a result, an insight "PRIVATE-INSIGHT-MARKER" and a blocker
  "PRIVATE-BLOCKER-MARKER";
- "Platform basics", public, Platform's, with a private key result "PRIVATE-KR2-MARKER"
  (target 333333, scored 0.30).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import time_machine
from django.utils import timezone

from cairn.checkins import services as checkins
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import KeyResult, KeyResultKind, Objective
from cairn.orgs import services as orgs
from cairn.orgs.models import Member, Period, PeriodState

Q3_START = dt.date(2026, 7, 1)
Q3_END = dt.date(2026, 9, 30)
# Mondays of the quarter's first weeks, and the day results open (two weeks before the end).
WEEKS = [dt.date(2026, 7, 6) + dt.timedelta(weeks=n) for n in range(10)]
RESULT_DAY = dt.date(2026, 9, 25)
CLOSED_AT = dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC)
PRIVATE_WORDS = (
    "PRIVATE-MARKER",
    "PRIVATE-KR-MARKER",
    "PRIVATE-UNIT",
    "PRIVATE-INSIGHT-MARKER",
    "PRIVATE-BLOCKER-MARKER",
    "PRIVATE-KR2-MARKER",
    "PRIVATE-RETRO-MARKER",
)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def check_in(key_result: KeyResult, author: Member, day: dt.date, **sections: object) -> None:
    """A check-in recorded on `day`, with the clock there too."""
    moment = at(day)
    with time_machine.travel(moment, tick=False):
        key_result.refresh_from_db()
        checkins.record_check_in(key_result=key_result, author=author, at=moment, **sections)  # type: ignore[arg-type]


def confidences(key_result: KeyResult, author: Member, levels: list[int]) -> None:
    for day, level in zip(WEEKS, levels, strict=False):
        check_in(key_result, author, day, confidence=checkins.Confidence(level=level))


def result(key_result: KeyResult, author: Member, value: object, **words: str) -> None:
    check_in(key_result, author, RESULT_DAY, result=checkins.Result(value=value, **words))  # type: ignore[arg-type]


@dataclass
class Quarter:
    period: Period
    objectives: dict[str, Objective] = field(default_factory=dict)
    key_results: dict[str, KeyResult] = field(default_factory=dict)


def closed_quarter(world: World, *, close: bool = True, name: str = "2026 Q3") -> Quarter:
    admin, member = world.admin, world.member
    with time_machine.travel(at(Q3_START - dt.timedelta(days=5)), tick=False):
        period = orgs.create_period(
            organization=world.org,
            actor=admin,
            name=name,
            start=Q3_START,
            end=Q3_END,
            state=PeriodState.ACTIVE,
        )
        q = Quarter(period)
        funnel = okrs.create_objective(
            actor=admin, period=period, title="Grow the funnel", owner_teams=[world.team]
        )
        signups = okrs.create_key_result(
            actor=admin, objective=funnel, title="Signups", target_value=100, owner=member
        )
        calls = okrs.create_key_result(
            actor=admin, objective=funnel, title="Demo calls", target_value=50, owner=member
        )
        shared = okrs.create_objective(
            actor=admin,
            period=period,
            title="Shared launch",
            owner_teams=[world.team, world.other_team],
        )
        launch = okrs.create_key_result(
            actor=admin,
            objective=shared,
            title="Launch done",
            kind=KeyResultKind.MILESTONE,
            start_value=0,
            target_value=1,
            owner=admin,
        )
        lonely = okrs.create_key_result(
            actor=admin, objective=shared, title="Press mentions", target_value=10, owner=admin
        )
        secret = okrs.create_objective(
            actor=admin,
            period=period,
            title="PRIVATE-MARKER secret plan",
            owner_teams=[world.other_team],
            visibility="private",
        )
        secret_kr = okrs.create_key_result(
            actor=admin,
            objective=secret,
            title="PRIVATE-KR-MARKER cost",
            target_value=987654,
            unit="PRIVATE-UNIT",
            owner=admin,
        )
        basics = okrs.create_objective(
            actor=admin, period=period, title="Platform basics", owner_teams=[world.other_team]
        )
        uptime = okrs.create_key_result(
            actor=admin, objective=basics, title="Uptime", target_value=10, owner=admin
        )
        hidden_kr = okrs.create_key_result(
            actor=admin,
            objective=basics,
            title="PRIVATE-KR2-MARKER margin",
            target_value=333333,
            owner=admin,
            visibility="private",
        )
    q.objectives.update(funnel=funnel, shared=shared, secret=secret, basics=basics)
    q.key_results.update(
        signups=signups,
        calls=calls,
        launch=launch,
        lonely=lonely,
        secret=secret_kr,
        uptime=uptime,
        hidden=hidden_kr,
    )

    # Product is sure of itself and half wrong: over-confident.
    confidences(signups, member, [8, 8, 9, 9, 9, 9])
    confidences(calls, member, [9, 9, 8, 8, 8, 8])
    confidences(launch, admin, [6, 7, 7, 8])
    confidences(lonely, admin, [5])
    confidences(secret_kr, admin, [3, 3, 2, 2])
    confidences(uptime, admin, [7, 7])
    confidences(hidden_kr, admin, [4, 4, 5])
    check_in(
        signups,
        member,
        WEEKS[1] + dt.timedelta(days=1),
        progress=checkins.Progress(value=30, comment="A good week of signups"),
        insight=True,
    )
    check_in(
        calls,
        member,
        WEEKS[2] + dt.timedelta(days=1),
        confidence=checkins.Confidence(level=5, needs="Sales team on holiday"),
        blocker=True,
    )
    check_in(
        secret_kr,
        admin,
        WEEKS[2] + dt.timedelta(days=2),
        progress=checkins.Progress(value=100000, comment="PRIVATE-INSIGHT-MARKER learned"),
        insight=True,
    )
    check_in(
        secret_kr,
        admin,
        WEEKS[3] + dt.timedelta(days=2),
        confidence=checkins.Confidence(level=2, needs="PRIVATE-BLOCKER-MARKER vendor"),
        blocker=True,
    )
    blocker = calls.check_ins.get(is_blocker=True)
    with time_machine.travel(at(WEEKS[4]), tick=False):
        checkins.resolve_blocker(
            check_in=blocker, actor=member, how="Booked the calls ourselves", at=at(WEEKS[4])
        )

    result(signups, member, 80, worked="Referral emails", learned="Ask earlier")
    result(calls, member, 20, did_not_work="Holidays")
    result(launch, admin, True)
    result(lonely, admin, 9)
    result(secret_kr, admin, 876543, learned="PRIVATE-RETRO-MARKER lesson")
    result(uptime, admin, 10)
    result(hidden_kr, admin, 100000)

    if close:
        close_quarter(q, world.admin)
    for key, kr in q.key_results.items():
        kr.refresh_from_db()
        q.key_results[key] = kr
    return q


def close_quarter(q: Quarter, by: Member, when: dt.datetime = CLOSED_AT) -> None:
    """Closed as the close service leaves it: every objective and the period."""
    Objective.objects.filter(period=q.period).update(closed_at=when)
    q.period.state = PeriodState.CLOSED
    q.period.closed_at = when
    q.period.closed_by = by
    q.period.save(update_fields=["state", "closed_at", "closed_by"])
    for key, objective in q.objectives.items():
        objective.refresh_from_db()
        q.objectives[key] = objective


def more_objectives(world: World, period: Period, n: int, *, tag: str = "extra") -> None:
    """`n` more objectives of Product in `period`, each with two key results with two
    confidence check-ins, an insight, a blocker and a result: for query counts."""
    admin = world.admin
    for i in range(n):
        with time_machine.travel(at(Q3_START - dt.timedelta(days=3)), tick=False):
            objective = okrs.create_objective(
                actor=admin,
                period=period,
                title=f"{tag} objective {i}",
                owner_teams=[world.team],
            )
            krs = [
                okrs.create_key_result(
                    actor=admin, objective=objective, title=f"{tag} kr {i}.{j}", owner=admin
                )
                for j in range(2)
            ]
        for kr in krs:
            confidences(kr, admin, [6, 7])
            check_in(
                kr,
                admin,
                WEEKS[3],
                progress=checkins.Progress(value=10, comment="progress"),
                insight=True,
                blocker=True,
            )
            result(kr, admin, 75)
    Objective.objects.filter(period=period, closed_at__isnull=True).update(closed_at=timezone.now())


def score(kr: KeyResult) -> Decimal:
    kr.refresh_from_db()
    assert kr.score is not None
    return kr.score
