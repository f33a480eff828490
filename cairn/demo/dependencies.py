"""Acme's dependencies: one team asks another for something, in every state, each with its
discussion (PRODUCT.md, "Dependency"), dated in the past like the check-ins of `story.py`.

- accepted: Quality's staging environment (Platform), Acme's hiring plan (Engineering);
- declined: Partnerships' partner dashboard (Product), so "Qualified partner conversations"
  is over-optimistic;
- made shared: Product's sync objective, which Platform joins as an owner;
- deferred: Partnerships' partner API, whose Platform initiative moves to the next quarter;
- withdrawn: Product's engineers on loan for launch week (Engineering);
- proposed: Platform's nightly-suite request to Quality, unanswered for more than a week, and
  Acme's partner revenue forecast from Business Development, asked two days ago. Both make
  their key result over-optimistic.

Growth asks nobody and is asked nothing: the silo of the alignment health report.

The services stamp their rows with the clock; `backdated` moves those stamps back to the day
the story says it happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from cairn.alignment import services as alignment
from cairn.alignment.models import Dependency, DependencyEvent, DependencyState
from cairn.checkins.models import Sync
from cairn.demo.story import Story
from cairn.okrs import services as okrs
from cairn.okrs.models import Initiative, InitiativeState, KeyResult
from cairn.orgs.models import HistoryEvent, Organization

if TYPE_CHECKING:
    from cairn.demo.loader import Demo

S = DependencyState
PARTNER_API = "Partner content API"

# Dating the services' rows in the past -----------------------------------------------------


# The tables whose rows the services stamp with the clock.
STAMPED: tuple[type[models.Model], ...] = (
    Dependency,
    DependencyEvent,
    Initiative,
    Sync,
    HistoryEvent,
)


@contextmanager
def backdated(organization: Organization, moment: dt.datetime) -> Iterator[None]:
    """Rows the block creates or touches carry `moment` instead of the clock's time, in every
    date-time column the block set (one UPDATE per table: the demo must load in seconds)."""
    started = timezone.now()
    yield
    for model in STAMPED:
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.DateTimeField)
        ]
        touched = models.Q()
        for name in names:
            touched |= models.Q(**{f"{name}__gte": started})
        model._default_manager.filter(touched, organization=organization).update(
            **{
                name: models.Case(
                    models.When(**{f"{name}__gte": started}, then=models.Value(moment)),
                    default=models.F(name),
                )
                for name in names
            }
        )


# The dependencies, with their discussions ---------------------------------------------------


@dataclass(frozen=True)
class When:
    """A moment of the story: `days` after check-in round `round` (a Friday with the default
    settings), at `hour`; `round` None counts `days` from today."""

    round: int | None
    days: int
    hour: int

    def at(self, story: Story, today: dt.date) -> dt.datetime:
        day = today if self.round is None else story.days[self.round]
        day += dt.timedelta(days=self.days)
        return dt.datetime.combine(day, dt.time(self.hour), tzinfo=story.zone)


@dataclass(frozen=True)
class Say:
    """One entry of a discussion: a comment, or a move with the comment that explains it."""

    when: When
    who: str
    comment: str
    move: str = ""


@dataclass(frozen=True)
class Ask:
    """A request of `requesting` to `providing` for one of its objectives (a key of
    `Demo.objectives`), and the discussion that follows."""

    key: str
    objective: str
    requesting: str
    providing: str
    by: str
    when: When
    need: str
    due: When | None = None
    key_result: str = ""
    # The providing team's initiative the request points at (it is planned already).
    initiative: str = ""
    # Made shared: the initiative the new owner brings, as every team of a shared OKR does.
    joins_with: str = ""
    thread: tuple[Say, ...] = ()


ASKS: tuple[Ask, ...] = (
    Ask(
        "loan",
        objective="shared",
        requesting="Product",
        providing="Engineering",
        by="priya",
        when=When(0, 3, 10),
        need="Two engineers on loan in launch week, to fix onboarding bugs the day they come in.",
        due=When(1, 0, 0),
        thread=(
            Say(
                When(0, 4, 14),
                "linus",
                "Two people for three days, if the launch date holds.",
                S.ACCEPTED,
            ),
            Say(When(0, 4, 16), "priya", "Thank you! They would work from Mia's launch bug board."),
            Say(
                When(1, 3, 10),
                "priya",
                "Launch week went smoothly and the fixes fit into our own sprint: withdrawn, "
                "thanks for holding the slot.",
                S.WITHDRAWN,
            ),
        ),
    ),
    Ask(
        "staging",
        objective="quality",
        key_result="Automated test coverage of checkout",
        requesting="Quality",
        providing="Platform",
        by="ken",
        when=When(0, 4, 10),
        need="A staging environment with production-sized data, so that the checkout "
        "end-to-end tests run against real volumes.",
        due=When(3, 0, 0),
        thread=(
            Say(
                When(1, 0, 11),
                "omar",
                "Could it share the load-test environment? That one already has a copy of "
                "production data.",
            ),
            Say(
                When(1, 0, 13),
                "ken",
                "Yes, as long as our nightly runs and your load tests do not overlap.",
            ),
            Say(
                When(1, 5, 10),
                "omar",
                "Accepted: Sofia adds a nightly slot to the load-test environment, ready within "
                "two weeks.",
                S.ACCEPTED,
            ),
            Say(
                When(3, 3, 9),
                "lea",
                "Running nightly on staging since Monday; it already found two slow refund "
                "queries.",
            ),
        ),
    ),
    Ask(
        "hiring",
        objective="company",
        requesting="Acme",
        providing="Engineering",
        by="noah",
        when=When(1, 3, 9),
        need="An engineering hiring plan for next year, with the cost of each role, for the "
        "budget round.",
        due=When(5, 0, 0),
        thread=(
            Say(
                When(1, 4, 11),
                "linus",
                "Accepted. A draft by the end of the month; I will go through it with Omar and "
                "Ken first.",
                S.ACCEPTED,
            ),
            Say(
                When(4, 0, 17),
                "linus",
                "Draft shared with Ada and Noah; it follows Engineering's budget plan.",
            ),
        ),
    ),
    Ask(
        "sync",
        objective="sync",
        key_result="Sync time for projects over 10,000 items",
        requesting="Product",
        providing="Platform",
        by="hana",
        when=When(2, 3, 10),
        need="A sync engine that keeps projects with more than 10,000 items in sync within two "
        "seconds.",
        due=When(6, 0, 0),
        joins_with="New sync engine, rolled out from the largest projects down",
        thread=(
            Say(
                When(2, 4, 9),
                "omar",
                "Sync is the biggest piece of Platform's quarter anyway. Rather than a favour to "
                "Product, should this be our objective too?",
            ),
            Say(
                When(2, 4, 12),
                "priya",
                "Yes please: one objective, one number, both teams on it.",
            ),
            Say(
                When(2, 5, 10),
                "omar",
                "Platform joins as an owner. The new sync engine is our initiative here; the "
                "rollout starts in week 6, largest projects first.",
                S.MADE_SHARED,
            ),
        ),
    ),
    Ask(
        "partner_api",
        objective="pipeline",
        requesting="Partnerships",
        providing="Platform",
        by="raj",
        when=When(3, 3, 11),
        need="An API for partners to publish and update their content pages themselves.",
        due=When(6, 0, 0),
        initiative=PARTNER_API,
        thread=(
            Say(
                When(4, 4, 10),
                "omar",
                "Last week's outage moved autoscaling to the front of our queue. Could the first "
                "partners live with us publishing their pages for them?",
            ),
            Say(
                When(4, 4, 15),
                "raj",
                "The two we have, yes. The third wants to publish on its own before it signs.",
            ),
            Say(
                When(5, 3, 10),
                "omar",
                "Deferred: autoscaling and the load test take Platform until launch traffic "
                "settles. The partner API is the first thing we build next quarter; until then "
                "Sofia publishes partner pages within a day.",
                S.DEFERRED,
            ),
            Say(
                When(5, 3, 14),
                "raj",
                "Understood. We tell the third partner the API comes next quarter and offer "
                "same-day publishing meanwhile.",
            ),
        ),
    ),
    Ask(
        "dashboard",
        objective="pipeline",
        key_result="Qualified partner conversations",
        requesting="Partnerships",
        providing="Product",
        by="raj",
        when=When(4, 5, 16),
        need="A dashboard where partners see the visits and sign-ups their pages bring.",
        due=When(7, 0, 0),
        thread=(
            Say(
                When(5, 4, 10),
                "mia",
                "Which numbers do partners ask for most? An export might do.",
            ),
            Say(
                When(5, 4, 12),
                "tom",
                "Visits, sign-ups and paid conversions per page, monthly.",
            ),
            Say(
                When(6, 3, 9),
                "priya",
                "Not this quarter: onboarding and the sync work take all of Product. Mia can "
                "send a monthly export with those three numbers instead.",
                S.DECLINED,
            ),
            Say(
                When(6, 3, 11),
                "raj",
                "Fair. Tom sends the export to the partners himself; we ask again at planning.",
            ),
        ),
    ),
    # Never answered: Quality has not said a word for more than a week.
    Ask(
        "nightly",
        objective="cloud",
        key_result="Cloud cost per 1,000 daily actives",
        requesting="Platform",
        providing="Quality",
        by="sofia",
        when=When(6, 3, 14),
        need="Run the nightly end-to-end suite every other night, or on spot machines: it is a "
        "third of our CI bill.",
        due=When(8, 0, 0),
        thread=(
            Say(
                When(7, 4, 10),
                "sofia",
                "Any news? Even a “not now” would help us plan the month.",
            ),
        ),
    ),
    # Asked two days ago: still waiting, but not late yet.
    Ask(
        "forecast",
        objective="company",
        key_result="Annual recurring revenue",
        requesting="Acme",
        providing="Business Development",
        by="noah",
        when=When(None, -2, 10),
        need="A forecast of partner revenue for the rest of the year, for the board pack.",
        due=When(None, 10, 0),
        thread=(
            Say(
                When(None, -1, 9),
                "bea",
                "On it: Raj and I will send a first number this week.",
            ),
        ),
    ),
)


def tell(demo: Demo, story: Story, today: dt.date, key_results: dict[str, KeyResult]) -> None:
    _partner_api(demo, story, today, key_results)
    for ask in ASKS:
        demo.dependencies[ask.key] = _ask(demo, story, today, ask, key_results)


def _partner_api(
    demo: Demo, story: Story, today: dt.date, key_results: dict[str, KeyResult]
) -> None:
    """Platform plans a partner API on the shared OKR the day before Partnerships asks for it;
    deferring the request later moves it to the next quarter."""
    assert demo.shared_objective is not None
    omar = demo.people["omar"]
    with backdated(demo.organization, When(3, 2, 15).at(story, today)):
        okrs.create_initiative(
            actor=omar,
            objective=demo.shared_objective,
            team=demo.teams["Platform"],
            owner=omar,
            title=PARTNER_API,
            key_result=key_results["At least 40% revenue share with 5 target content partners"],
            state=InitiativeState.PLANNED,
        )


def _ask(
    demo: Demo, story: Story, today: dt.date, ask: Ask, key_results: dict[str, KeyResult]
) -> Dependency:
    organization, people, teams = demo.organization, demo.people, demo.teams
    objective = demo.objectives[ask.objective]
    provider = teams[ask.providing]
    initiative = (
        Initiative.objects.get(organization=organization, team=provider, title=ask.initiative)
        if ask.initiative
        else None
    )
    key_result = key_results[ask.key_result] if ask.key_result else None
    with backdated(organization, ask.when.at(story, today)):
        dependency = alignment.request_dependency(
            actor=people[ask.by],
            objective=objective,
            requesting_team=teams[ask.requesting],
            providing_team=provider,
            need=ask.need,
            key_result=key_result,
            due=ask.due.at(story, today).date() if ask.due else None,
            initiative=initiative,
        )
    for say in ask.thread:
        with backdated(organization, say.when.at(story, today)):
            if not say.move:
                alignment.comment_on_dependency(
                    actor=people[say.who], dependency=dependency, comment=say.comment
                )
                continue
            dependency = alignment.change_dependency_state(
                actor=people[say.who], dependency=dependency, to_state=say.move, comment=say.comment
            )
            if say.move == S.MADE_SHARED and ask.joins_with:
                okrs.create_initiative(
                    actor=people[say.who],
                    objective=objective,
                    team=provider,
                    owner=people[say.who],
                    title=ask.joins_with,
                    key_result=key_result,
                    state=InitiativeState.IN_PROGRESS,
                )
    dependency.refresh_from_db()
    return dependency
