"""Periods, progress and the signals (confidence, staleness, open blockers) every OKR page shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from cairn.lib import rhythm
from cairn.okrs import progress as progress_maths
from cairn.okrs.models import (
    KeyResult,
)
from cairn.orgs.models import Member, Organization, Period, PeriodState

PACE_LABELS = {
    progress_maths.Pace.AHEAD: gettext_lazy("Ahead"),
    progress_maths.Pace.ON_PACE: gettext_lazy("On pace"),
    progress_maths.Pace.BEHIND: gettext_lazy("Behind"),
    progress_maths.Pace.NOT_STARTED: gettext_lazy("Not started"),
}


def today_for(organization: Organization) -> dt.date:
    return organization.today()


# Periods ------------------------------------------------------------------------------------


def periods_of(member: Member) -> list[Period]:
    return list(Period.objects.in_org(member.organization).order_by("-start", "-end"))


def current_period(periods: Iterable[Period], today: dt.date) -> Period | None:
    """The active period containing today, else the latest active or planning one, else the
    latest of all. `periods` is the organization's list (see `periods_of`)."""
    periods = list(periods)
    active = [p for p in periods if p.state == PeriodState.ACTIVE and p.contains_day(today)]
    if active:
        # The shortest containing period: a quarter before the year around it.
        return min(active, key=lambda p: (p.end - p.start, p.start))
    open_ = [p for p in periods if p.state in (PeriodState.ACTIVE, PeriodState.PLANNING)]
    if open_:
        return max(open_, key=lambda p: (p.start, p.end))
    return max(periods, key=lambda p: (p.start, p.end)) if periods else None


# Progress -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressView:
    """Progress, expected progress and pace, with the integer percentages the bars draw."""

    value: float | None
    expected: float
    pace: progress_maths.Pace | None

    @classmethod
    def of(cls, value: float | None, period: Period, today: dt.date) -> ProgressView:
        expected = progress_maths.expected_progress(start=period.start, end=period.end, today=today)
        pace = None if value is None else progress_maths.pace(progress=value, expected=expected)
        return cls(value=value, expected=expected, pace=pace)

    @property
    def pct(self) -> int | None:
        return None if self.value is None else round(self.value * 100)

    @property
    def bar_pct(self) -> int:
        return 0 if self.value is None else round(progress_maths.clamp_unit(self.value) * 100)

    @property
    def expected_pct(self) -> int:
        return round(self.expected * 100)

    @property
    def pace_label(self) -> str:
        return str(PACE_LABELS[self.pace]) if self.pace else ""


# Signals: confidence, staleness, open blockers -------------------------------------------

STALENESS_LABELS = {
    rhythm.Staleness.FRESH: gettext_lazy("Fresh"),
    rhythm.Staleness.DUE: gettext_lazy("Due"),
    rhythm.Staleness.STALE: gettext_lazy("Stale"),
    rhythm.Staleness.STILL: gettext_lazy("Still"),
    rhythm.Staleness.DEAD: gettext_lazy("Dead"),
}
STALENESS_HELP = {
    rhythm.Staleness.FRESH: gettext_lazy("Checked in this cadence."),
    rhythm.Staleness.DUE: gettext_lazy("A check-in is due this cadence."),
    rhythm.Staleness.STALE: gettext_lazy("No check-in for more than a cadence."),
    rhythm.Staleness.STILL: gettext_lazy("No current Next Up, or the Next Up is overdue."),
    rhythm.Staleness.DEAD: gettext_lazy("Still for two cadences or more."),
}
# The order counts and filters are shown in: the worst first, where a team lead looks.
STALENESS_ORDER = (
    rhythm.Staleness.DEAD,
    rhythm.Staleness.STALE,
    rhythm.Staleness.STILL,
    rhythm.Staleness.DUE,
    rhythm.Staleness.FRESH,
)
BAND_LABELS = {
    rhythm.Band.ON_TRACK: gettext_lazy("On track"),
    rhythm.Band.AT_RISK: gettext_lazy("At risk"),
    rhythm.Band.OFF_TRACK: gettext_lazy("Off track"),
}


def staleness_for(
    key_result: KeyResult, organization: Organization, today: dt.date
) -> rhythm.Staleness:
    """The one staleness rule (`rhythm.staleness`), fed from the key result's roll-ups."""
    return rhythm.staleness_for(key_result, organization, today)


def parse_staleness(value: str | None) -> rhythm.Staleness | None:
    """A `?staleness=` filter value; anything unknown means no filter."""
    try:
        return rhythm.Staleness(value or "")
    except ValueError:
        return None


@dataclass(frozen=True)
class Signals:
    """What a list shows about a key result's rhythm, read from its roll-ups (no query)."""

    key_result: KeyResult
    staleness: rhythm.Staleness
    confidence: int | None
    open_blockers: int
    over_optimistic: bool = False

    @classmethod
    def of(cls, key_result: KeyResult, organization: Organization, today: dt.date) -> Signals:
        return cls(
            key_result=key_result,
            staleness=staleness_for(key_result, organization, today),
            confidence=key_result.confidence,
            open_blockers=key_result.open_blockers,
            over_optimistic=key_result.is_over_optimistic,
        )

    @property
    def staleness_label(self) -> str:
        return str(STALENESS_LABELS[self.staleness])

    @property
    def staleness_help(self) -> str:
        return str(STALENESS_HELP[self.staleness])

    @property
    def band(self) -> rhythm.Band | None:
        return None if self.confidence is None else rhythm.band(self.confidence)

    @property
    def band_label(self) -> str:
        return str(BAND_LABELS[self.band]) if self.band else ""


@dataclass(frozen=True)
class StalenessCount:
    state: rhythm.Staleness
    count: int

    @property
    def label(self) -> str:
        return str(STALENESS_LABELS[self.state])


def staleness_counts(
    signals: Iterable[Signals], more: dict[int, rhythm.Staleness] | None = None
) -> list[StalenessCount]:
    """How many key results are in each state, worst first; each key result counted once.
    `more` adds key results known by id only (a sub-team's line on the team page)."""
    seen: dict[int, rhythm.Staleness] = {**(more or {})}
    seen.update((s.key_result.pk, s.staleness) for s in signals)
    return [
        StalenessCount(state, sum(1 for value in seen.values() if value == state))
        for state in STALENESS_ORDER
    ]


def visible_key_results(member: Member) -> QuerySet[KeyResult]:
    return KeyResult.objects.visible_to(member).select_related("owner__user")


def objective_progress(key_results: Iterable[KeyResult]) -> float | None:
    """The weighted mean over the key results given: callers pass only those the viewing
    member can see, so that a private key result cannot be inferred from the roll-up."""
    return progress_maths.objective_progress((kr.progress, float(kr.weight)) for kr in key_results)


def objective_score(key_results: Iterable[KeyResult]) -> float | None:
    """The objective's score: the weighted mean of the scores of the key results given that
    have one (`progress.objective_score`). As for progress, callers pass only those the
    viewing member can see; a shared OKR has this one score for all its owning teams."""
    return progress_maths.objective_score(
        (float(kr.score), float(kr.weight)) for kr in key_results if kr.score is not None
    )
