"""Acme's two closed quarters, written through the services: objectives, a quarter of check-ins,
Results with retrospectives, the closing, and the carry-over into the current quarter.

What happens (the content is in `closed_story.py`):

- the earlier quarter (the one before the previous) is planned, checked in week by week,
  most of its key results get a Result (one does not), and Ada closes it with a note;
- the previous quarter likewise, every key result with a Result (two with an overridden
  score); one Growth initiative is deferred into the current quarter before the close;
  Platform closes the quarter for its own OKRs first (Omar, its lead), then Ada closes it;
- three unfinished objectives are carried over into the current quarter (`carry_over`):
  Growth's (its unfinished initiative copied, the deferred one re-pointed), Business
  Development's pilots and Platform's launch traffic. The current story checks them in.

Everything a closed period holds is written before it closes (closed periods refuse every
write). The services stamp their rows with the clock; what the story dates in the past is
moved there, as `dependencies.backdated` does for the current quarter.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cairn.checkins import services as checkins
from cairn.demo.closed_story import EARLIER, PREVIOUS, Goal, Note, Track
from cairn.demo.dependencies import backdated
from cairn.demo.story import (
    COMMENTS_DOWN,
    COMMENTS_FLAT,
    COMMENTS_UP,
    MITIGATIONS,
    NEEDS,
    Story,
    Walk,
    Week,
    walk,
    write,
)
from cairn.okrs import services as okrs
from cairn.okrs.models import Alignment, KeyResult, KeyResultKind, Objective
from cairn.orgs.models import Member, Period, TeamClosure
from cairn.reporting import services as reporting

if TYPE_CHECKING:
    from cairn.demo.loader import Demo

SEED = 11
# Planning ends a few days before a quarter starts; the closing days after it ends.
PLANNED_DAYS_BEFORE = 4
EARLIER_CLOSED_DAYS_AFTER = 6
TEAM_CLOSED_DAYS_AFTER = 2
PREVIOUS_CLOSED_DAYS_AFTER = 4
FIRST_TO_CLOSE = "Platform"

EARLIER_NOTE = (
    "Quarter review done. Letters of intent has no Result: Tom was on leave, and the number "
    "(one letter) is in his last check-in."
)
TEAM_NOTE = "Platform's results and retrospectives are in; the load-test work continues."
PREVIOUS_NOTE = (
    "Quarter review done: Growth, Business Development and Platform carry their unfinished "
    "objectives into the launch quarter."
)

# (goal key, the key result continued, who carries it over)
CARRIED: tuple[tuple[str, str, str], ...] = (
    ("growth", "Activation rate of new sign-ups", "gus"),
    ("pilots", "Sign pilot agreements with 3 partners", "bea"),
    ("launch_traffic", "Requests per second sustained in the load test", "omar"),
)


class Quarter:
    """One quarter being written: its days, objectives and key results by title."""

    def __init__(self, demo: Demo, period: Period, rng: random.Random) -> None:
        organization = demo.organization
        try:
            self.zone = ZoneInfo(organization.time_zone)
        except (KeyError, ValueError):
            self.zone = ZoneInfo("UTC")
        self.demo, self.period, self.rng = demo, period, rng
        day, self.days = period.start, []
        while day <= period.end:
            if day.weekday() == organization.checkin_weekday:
                self.days.append(day)
            day += dt.timedelta(days=1)
        self.objectives: dict[str, Objective] = {}
        self.key_results: dict[str, KeyResult] = {}

    def at(self, day: dt.date, hour: int = 15) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, self.rng.randrange(60)), tzinfo=self.zone)

    def moment(self, day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.zone)


# Building and telling a quarter -------------------------------------------------------------


def _plan(quarter: Quarter, goals: tuple[Goal, ...]) -> None:
    """The quarter's objectives, key results, initiatives and alignments, dated at its
    planning."""
    demo, period = quarter.demo, quarter.period
    planned = quarter.moment(period.start - dt.timedelta(days=PLANNED_DAYS_BEFORE), 10)
    with backdated(demo.organization, planned):
        for goal in goals:
            actor = demo.people[goal.actor]
            objective = okrs.create_objective(
                actor=actor,
                period=period,
                title=goal.title,
                description=goal.description,
                owner_teams=[demo.teams[name] for name in goal.teams],
            )
            quarter.objectives[goal.key] = objective
            for track in goal.tracks:
                quarter.key_results[track.title] = okrs.create_key_result(
                    actor=actor,
                    objective=objective,
                    title=track.title,
                    kind=track.kind,
                    start_value=track.start,
                    target_value=track.target,
                    unit=track.unit,
                    owner=demo.people[track.owner],
                )
            if goal.aligned_to is not None:
                parent_key, words = goal.aligned_to
                parent = quarter.objectives[parent_key]
                okrs.align(
                    actor=actor,
                    child=objective,
                    parent_objective=parent if words is None else None,
                    parent_key_result=None if words is None else _kr(quarter, words),
                )
            for work in goal.work:
                okrs.create_initiative(
                    actor=demo.people[work.owner],
                    objective=objective,
                    team=demo.teams[work.team],
                    owner=demo.people[work.owner],
                    title=work.title,
                    key_result=_kr(quarter, work.key_result) if work.key_result else None,
                    state=work.state,
                )
    stamps = {"created_at": planned, "updated_at": planned}
    Objective.objects.filter(period=period).update(**stamps)
    KeyResult.objects.filter(objective__period=period).update(**stamps)
    Alignment.objects.filter(child__period=period).update(created_at=planned)


def _kr(quarter: Quarter, words: str) -> KeyResult:
    (found,) = (kr for title, kr in quarter.key_results.items() if title.startswith(words))
    return found


def _values(quarter: Quarter, track: Track) -> list[Decimal]:
    """The track's value on each of its check-in weeks: from the start towards the final
    value along its shape, with some noise in between."""
    last = len(quarter.days) - 1
    distance = track.final - track.start
    values = []
    for week in track.weeks:
        value: float
        if track.kind == KeyResultKind.MILESTONE:
            value = 1 if track.done_week is not None and week >= track.done_week else 0
        else:
            share = (week / last) ** track.shape
            noise = distance * quarter.rng.uniform(-0.06, 0.06) if week else 0
            value = round(track.start + distance * share + noise, track.decimals)
            if track.kind == KeyResultKind.PERCENTAGE:
                value = min(100, max(0, value))
        values.append(Decimal(str(value)))
    return values


def _confidence_weeks(track: Track) -> dict[int, int]:
    """The confidence levels spread evenly over the track's check-ins, first and last
    included."""
    count, levels = len(track.weeks), track.confidence
    if len(levels) == 1:
        return {track.weeks[0]: levels[0]}
    spread = len(levels) - 1
    return {
        track.weeks[round(index * (count - 1) / spread)]: level
        for index, level in enumerate(levels)
    }


def _comment(quarter: Quarter, track: Track, before: Decimal | None, value: Decimal) -> str:
    if before is None:
        return "Where we start this quarter."
    if track.kind == KeyResultKind.MILESTONE:
        return "Done." if value > before else "Not done yet."
    moved = (value > before) - (value < before)
    towards = moved * (1 if track.target >= track.start else -1)
    pool = COMMENTS_UP if towards > 0 else COMMENTS_DOWN if towards < 0 else COMMENTS_FLAT
    return quarter.rng.choice(pool)


def _tell(quarter: Quarter, track: Track) -> None:
    """The track's check-ins by its owner, then its Result on the quarter's last check-in
    day."""
    demo, rng = quarter.demo, quarter.rng
    key_result = quarter.key_results[track.title]
    author = demo.people[track.owner]
    levels = _confidence_weeks(track)
    before: Decimal | None = None
    for position, (week, value) in enumerate(
        zip(track.weeks, _values(quarter, track), strict=True)
    ):
        note = track.notes.get(week, Note())
        day = quarter.days[week]
        level = levels.get(week)
        worried = level is not None and level <= 5
        following = track.weeks[position + 1] if position + 1 < len(track.weeks) else None
        due = quarter.days[following] if following is not None else day + dt.timedelta(days=7)
        check_in = checkins.record_check_in(
            key_result=key_result,
            author=author,
            at=quarter.at(day),
            progress=checkins.Progress(
                value=value, comment=note.comment or _comment(quarter, track, before, value)
            ),
            confidence=(
                checkins.Confidence(
                    level=level,
                    needs=note.needs or (rng.choice(NEEDS) if worried else ""),
                    mitigation=note.mitigation or (rng.choice(MITIGATIONS) if worried else ""),
                )
                if level is not None
                else None
            ),
            next_up=checkins.NextUp(plan=note.plan, due=due) if note.plan else None,
            reflection=(
                checkins.Reflection(outcome=note.outcome, learned=note.learned)
                if note.outcome
                else None
            ),
            context=(
                checkins.Context(
                    why=track.why,
                    baseline=f"{track.start:g} at the start of the quarter.",
                    tactic=track.tactic,
                )
                if before is None
                else None
            ),
            insight=note.insight,
            blocker=note.blocker,
        )
        if note.resolved:
            resolver, resolved_week, how = note.resolved
            checkins.resolve_blocker(
                check_in=check_in,
                actor=demo.people[resolver],
                how=how,
                at=quarter.at(quarter.days[resolved_week], hour=11),
            )
        before = value
    if track.result is None:
        return
    retro = track.result
    final = Decimal(str(track.final))
    checkins.record_check_in(
        key_result=key_result,
        author=author,
        at=quarter.at(quarter.days[-1], hour=16),
        progress=checkins.Progress(value=final, comment=retro.comment),
        result=checkins.Result(
            value=final,
            score=retro.score,
            override_reason=retro.reason,
            worked=retro.worked,
            did_not_work=retro.did_not_work,
            learned=retro.learned,
        ),
    )


def _defer(quarter: Quarter, goals: tuple[Goal, ...]) -> None:
    """Initiatives that will not happen this quarter move to the next one (before it
    closes: a closed quarter takes no more changes)."""
    demo = quarter.demo
    moment = quarter.moment(quarter.days[-3], 12)
    for goal in goals:
        for work in goal.work:
            if not work.deferred:
                continue
            initiative = quarter.objectives[goal.key].initiatives.get(title=work.title)
            with backdated(demo.organization, moment):
                okrs.defer_initiative(
                    initiative=initiative,
                    actor=demo.people[work.owner],
                    note=work.deferred,
                )


def _write(demo: Demo, period: Period, goals: tuple[Goal, ...], rng: random.Random) -> Quarter:
    quarter = Quarter(demo, period, rng)
    _plan(quarter, goals)
    for goal in goals:
        for track in goal.tracks:
            _tell(quarter, track)
    _defer(quarter, goals)
    return quarter


# Closing ------------------------------------------------------------------------------------


def _closing_moment(quarter: Quarter, days_after: int, hour: int, today: dt.date) -> dt.datetime:
    """A few days after the quarter's end, but never after today."""
    end = quarter.period.end
    day = max(end + dt.timedelta(days=1), min(end + dt.timedelta(days=days_after), today))
    return quarter.moment(day, hour)


def _close_period(quarter: Quarter, actor: Member, note: str, moment: dt.datetime) -> None:
    demo, period = quarter.demo, quarter.period
    still_open = list(
        Objective.objects.filter(period=period, closed_at__isnull=True).values_list("pk", flat=True)
    )
    with backdated(demo.organization, moment):
        reporting.close_period(period=period, actor=actor, note=note)
    Period.objects.filter(pk=period.pk).update(closed_at=moment)
    Objective.objects.filter(pk__in=still_open).update(closed_at=moment)
    period.refresh_from_db()


def _close_for_team(quarter: Quarter, team_name: str, note: str, moment: dt.datetime) -> None:
    demo, period = quarter.demo, quarter.period
    team = demo.teams[team_name]
    assert team.lead is not None
    with backdated(demo.organization, moment):
        reporting.close_for_team(period=period, team=team, actor=team.lead, note=note)
    TeamClosure.objects.filter(period=period, team=team).update(closed_at=moment)
    Objective.objects.filter(period=period, closed_at__isnull=False).update(closed_at=moment)


# The whole story ----------------------------------------------------------------------------


def build(demo: Demo, today: dt.date) -> Quarter:
    """Write and close the earlier and the previous quarter; the previous one is returned
    for `carry_over`."""
    assert demo.earlier is not None and demo.previous is not None
    rng = random.Random(SEED)
    ada = demo.people["ada"]
    earlier = _write(demo, demo.earlier, EARLIER, rng)
    _close_period(
        earlier, ada, EARLIER_NOTE, _closing_moment(earlier, EARLIER_CLOSED_DAYS_AFTER, 16, today)
    )
    previous = _write(demo, demo.previous, PREVIOUS, rng)
    _close_for_team(
        previous,
        FIRST_TO_CLOSE,
        TEAM_NOTE,
        _closing_moment(previous, TEAM_CLOSED_DAYS_AFTER, 11, today),
    )
    _close_period(
        previous,
        ada,
        PREVIOUS_NOTE,
        _closing_moment(previous, PREVIOUS_CLOSED_DAYS_AFTER, 16, today),
    )
    return previous


def carry_over(demo: Demo, previous: Quarter, today: dt.date) -> None:
    """Continue the unfinished objectives into the current quarter, right after the close:
    `demo.objectives` gets the continuations (growth, pilots, launch_traffic)."""
    assert demo.current is not None
    moment = _closing_moment(previous, PREVIOUS_CLOSED_DAYS_AFTER, 17, today)
    with backdated(demo.organization, moment):
        for key, title, actor in CARRIED:
            demo.objectives[key] = reporting.carry_over(
                actor=demo.people[actor],
                objective=previous.objectives[key],
                key_results=[previous.key_results[title]],
                to=demo.current,
            )


def align_continuations(demo: Demo) -> None:
    """The continued objectives contribute to the launch: pilots to the partner deals,
    launch traffic to the daily actives. (Growth's is aligned with the current quarter.)"""
    assert demo.shared_objective is not None
    shared = demo.shared_objective.key_results
    for key, actor, words in (
        ("pilots", "bea", "40% revenue share"),
        ("launch_traffic", "omar", "500,000 daily active users"),
    ):
        okrs.align(
            actor=demo.people[actor],
            child=demo.objectives[key],
            parent_key_result=shared.get(title__contains=words),
        )


# The continuations in the current quarter -----------------------------------------------------

PILOTS: dict[int, Week] = {
    0: Week(
        2,
        "Two pilots running; the third partner is reviewing the first-look window.",
        6,
        "Their legal team's answer.",
        "Bea calls their head of content, not only the lawyers.",
        "Call the third partner with Bea: first-look window and a launch date.",
        context=(
            "Three pilots are the proof the revenue-share deals need.",
            "Two pilots signed last quarter; the third partner is with its lawyers.",
            "Trade exclusivity for a first-look window and a launch date.",
        ),
    ),
    2: Week(
        2,
        "Still two: their lawyers want a longer first-look window.",
        5,
        "A decision from their legal team.",
        "Offer nine months if they commit to a launch date.",
        "Send the revised terms with a launch date in them.",
        "done",
        "Their head of content cares about the launch date, not the clause.",
    ),
    4: Week(
        3,
        "Third pilot signed: nine-month first-look window, launch date agreed.",
        8,
        plan="Hand the three pilots to Tom for the page launches.",
        outcome="done",
        learned="A concrete launch date was worth more to them than exclusivity.",
        insight=True,
    ),
    6: Week(
        3,
        "All three pilots live or scheduled.",
        9,
        plan="Turn the pilots into revenue-share deals with Bea.",
        outcome="done",
        learned="Tom's page template made the handover a one-hour meeting.",
    ),
    8: Week(
        3,
        "Done; the pilots now feed the revenue-share deals of the launch OKR.",
        9,
        plan="Monthly call with the three pilot partners.",
        outcome="partly",
        learned="Two of three are ready for revenue-share terms; one wants to wait for data.",
    ),
}

TRAFFIC = Walk(
    "Requests per second sustained in the load test",
    "omar",
    6800,
    9400,
    "Launch traffic we have never served.",
    "Autoscaling for the web tier, then the database's read replicas.",
    (
        "Load test with autoscaling on, twice a week.",
        "Read replicas for the sync service; test again.",
    ),
    confidence=5,
    baseline="6,800 req/s in last quarter's final load test, carried over with its target.",
)


def tell_current(demo: Demo, story: Story) -> None:
    """The continued key results' check-ins in the current quarter (Growth's activation
    rate is one of `story.py`'s walks)."""
    write(story, demo.objectives["pilots"].key_results.get(), "raj", PILOTS)
    walk(story, demo.objectives["launch_traffic"].key_results.get(), TRAFFIC)
