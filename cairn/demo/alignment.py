"""Acme's alignment story: sideways dependencies in every state, a recorded sync of the shared
OKR, and the structure the alignment map and health report have something to say about.

What the demo shows (PRODUCT.md, "360° alignment"):

- dependencies in every state, each with its discussion (`dependencies.py`), and the
  over-optimistic key results that lean on a proposed or declined one;
- a silo: Growth owns objectives but has no dependency in or out;
- an unaligned team objective (Growth's help centre) below the company level;
- a private objective inside an alignment chain: the public company objective ← Engineering's
  private budget objective ← Platform's public cloud-cost objective, so that anyone outside
  Engineering sees the chain with its middle redacted;
- a sync of the shared Acme OKR held four weeks ago, so that its room says what moved since.

Everything goes through the services; what the story dates in the past is moved there by
`dependencies.backdated`, as the check-ins of `story.py` are.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cairn.checkins import services as checkins
from cairn.checkins.syncs import record_sync
from cairn.demo import dependencies
from cairn.demo.dependencies import backdated
from cairn.demo.story import Story, Walk, walk
from cairn.okrs import services as okrs
from cairn.okrs.models import InitiativeState, KeyResult, KeyResultKind, Objective, Visibility

if TYPE_CHECKING:
    from cairn.demo.loader import Demo

SYNC_EVERY_DAYS = 28


# The objectives the alignment story needs ------------------------------------------------


def build(demo: Demo) -> None:
    """The current quarter's objectives that complete the alignment picture (their check-ins
    are written by `tell`)."""
    assert demo.current is not None and demo.shared_objective is not None
    period, people, teams = demo.current, demo.people, demo.teams
    linus, omar, priya, gus = people["linus"], people["omar"], people["priya"], people["gus"]

    # The private middle of a chain: only Engineering (Linus), Omar and the admins see it.
    budget = okrs.create_objective(
        actor=linus,
        period=period,
        title="Fit Engineering into next year's budget",
        description="Private until the board has seen the budget: it names roles and costs.",
        owner_teams=[teams["Engineering"]],
        visibility=Visibility.PRIVATE,
        shared_with=[omar],
    )
    okrs.align(actor=linus, child=budget, parent_objective=demo.objectives["company"])
    _kr(
        demo,
        budget,
        owner="linus",
        title="Cloud spend as a share of revenue",
        kind=KeyResultKind.PERCENTAGE,
        start=38,
        target=25,
    )
    cloud = okrs.create_objective(
        actor=omar,
        period=period,
        title="Halve the cloud cost per active user",
        description="Launch traffic must not double the bill.",
        owner_teams=[teams["Platform"]],
    )
    okrs.align(actor=omar, child=cloud, parent_objective=budget)
    cloud_kr = _kr(
        demo,
        cloud,
        owner="sofia",
        title="Cloud cost per 1,000 daily actives",
        start=42,
        target=21,
        unit="$",
    )
    okrs.create_initiative(
        actor=omar,
        objective=cloud,
        team=teams["Platform"],
        owner=people["sofia"],
        title="Right-size the database replicas",
        key_result=cloud_kr,
        state=InitiativeState.IN_PROGRESS,
    )

    # Product's objective that Platform joins when it answers Product's request (made shared).
    sync = okrs.create_objective(
        actor=priya,
        period=period,
        title="Make large projects as fast as small ones",
        description="Detractors name slow sync on large projects before anything else.",
        owner_teams=[teams["Product"]],
    )
    nps = demo.shared_objective.key_results.get(title__contains="Net Promoter Score")
    okrs.align(actor=priya, child=sync, parent_key_result=nps)
    sync_kr = _kr(
        demo,
        sync,
        owner="priya",
        title="Sync time for projects over 10,000 items",
        start=40,
        target=2,
        unit="s",
    )
    okrs.create_initiative(
        actor=priya,
        objective=sync,
        team=teams["Product"],
        owner=people["hana"],
        title="Sync progress indicator in large projects",
        key_result=sync_kr,
        state=InitiativeState.DONE,
    )

    # Growth works in its own corner: an objective aligned to nothing, and no dependencies.
    help_centre = okrs.create_objective(
        actor=gus,
        period=period,
        title="Rebuild the help centre around the new onboarding",
        owner_teams=[teams["Growth"]],
    )
    help_kr = _kr(
        demo,
        help_centre,
        owner="hana",
        title="Help articles rewritten",
        start=0,
        target=40,
        unit="articles",
    )
    okrs.create_initiative(
        actor=gus,
        objective=help_centre,
        team=teams["Growth"],
        owner=people["hana"],
        title="Rewrite the forty most read help articles",
        key_result=help_kr,
        state=InitiativeState.IN_PROGRESS,
    )
    demo.objectives.update(budget=budget, cloud=cloud, sync=sync, help_centre=help_centre)


def _kr(
    demo: Demo,
    objective: Objective,
    *,
    owner: str,
    title: str,
    start: float,
    target: float,
    unit: str = "",
    kind: str = KeyResultKind.METRIC,
) -> KeyResult:
    return okrs.create_key_result(
        actor=demo.people[owner],
        objective=objective,
        title=title,
        kind=kind,
        start_value=start,
        target_value=target,
        unit=unit,
        owner=demo.people[owner],
    )


WALKS: tuple[Walk, ...] = (
    Walk(
        "Cloud spend as a share of revenue",
        "linus",
        37,
        31,
        "Cloud spend grew faster than revenue last year.",
        "Platform cuts the cost per user; hiring follows the budget, not the other way round.",
        ("Go through the cloud bill with Omar.", "Budget review with Noah."),
        confidence=5,
        decimals=1,
    ),
    Walk(
        "Cloud cost per 1,000 daily actives",
        "sofia",
        41,
        29,
        "Launch traffic must not double the bill.",
        "Right-size the databases first, then move batch work to cheaper machines.",
        ("Right-size two database replicas.", "Move the nightly batch jobs to spot machines."),
    ),
    Walk(
        "Sync time for projects over 10,000 items",
        "priya",
        38,
        9,
        "Slow sync is the first thing detractors name.",
        "Measure the ten largest projects weekly while Platform rolls out the new engine.",
        ("Measure sync time on the ten largest projects.", "Review the rollout with Omar."),
    ),
    Walk(
        "Help articles rewritten",
        "hana",
        2,
        21,
        "New users look for help before they ask for it.",
        "Five articles a week, the most read first.",
        ("Rewrite five articles on the new onboarding.", "Test the help search with users."),
        confidence=7,
    ),
)


# Telling it ---------------------------------------------------------------------------------


def tell(demo: Demo, story: Story, today: dt.date) -> None:
    """The check-ins of the alignment objectives, the dependencies and the shared OKR's sync."""
    assert demo.current is not None
    key_results = {kr.title: kr for kr in KeyResult.objects.filter(objective__period=demo.current)}
    for spec in WALKS:
        walk(story, key_results[spec.title], spec)
    dependencies.tell(demo, story, today, key_results)
    _platform_next_up(story, key_results)
    _sync(demo, story, today)


def _platform_next_up(story: Story, key_results: dict[str, KeyResult]) -> None:
    """Platform owns none of the shared key results, yet works on them: Sofia's plan for the
    crash backlog is the bugs result's current Next Up, so the sync view shows each of the
    three teams' plans."""
    (bugs,) = (kr for title, kr in key_results.items() if "critical or blocking bugs" in title)
    day = story.days[-1]
    checkins.record_check_in(
        key_result=bugs,
        author=story.people["sofia"],
        at=dt.datetime.combine(day, dt.time(17, 30), tzinfo=story.zone),
        next_up=checkins.NextUp(
            plan="Crash triage rota: fix the three sync-related crashes as the sync engine "
            "reaches 50% of users; pair with Ken on the release gate.",
            due=day + dt.timedelta(days=7),
        ),
    )


# The shared OKR's sync ----------------------------------------------------------------------

SYNC_NOTES = "\n".join(
    (
        "Outage review: autoscaling moves to the front of Platform's queue; campaigns stay "
        "paused until it ships (Omar).",
        "Partner content becomes a second growth channel: Raj sends Priya the launch dates "
        "of the signed partner.",
        "Conversion: the upgrade prompt shipped on Friday; Gus brings the first numbers next time.",
        "Bugs: Android crash reports are readable again; Ken and Sofia work through the backlog.",
        "NPS: the status page and the outage post-mortem go out this week (Hana).",
        "From now on we meet every four weeks.",
    )
)

SYNC_ATTENDEES = ("priya", "mia", "gus", "hana", "omar", "sofia", "ken", "bea", "raj")


def _sync(demo: Demo, story: Story, today: dt.date) -> None:
    """The shared OKR's last sync, four weeks ago: its room and sync view show what moved
    since (value and confidence moves, new blockers and insights, every team's Next Ups)."""
    assert demo.shared_objective is not None and demo.current is not None
    held_on = today - dt.timedelta(days=SYNC_EVERY_DAYS)
    # Nobody meets on a weekend: the meeting was on the Monday after.
    if held_on.weekday() >= 5:
        held_on += dt.timedelta(days=7 - held_on.weekday())
    held_on = max(held_on, demo.current.start)
    # The service refuses a sync dated after the real today (a demo loaded for a future
    # date, as tests do).
    held_on = min(held_on, demo.organization.today())
    moment = dt.datetime.combine(held_on, dt.time(11), tzinfo=story.zone)
    with backdated(demo.organization, moment):
        demo.sync = record_sync(
            actor=demo.people["priya"],
            objective=demo.shared_objective,
            held_on=held_on,
            attendees=[demo.people[key] for key in SYNC_ATTENDEES],
            notes=SYNC_NOTES,
            cadence_days=SYNC_EVERY_DAYS,
        )
