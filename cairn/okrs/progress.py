"""Progress maths: pure functions, no Django. Property-tested in tests/test_progress.py.

Rules:
- A key result's progress is the share of the way from start to target that the current value
  has travelled, in the key result's own direction (a falling metric progresses as it falls).
  Below the start it is 0; beyond the target it keeps growing (overachievement is shown).
- Roll-ups (an objective's progress) clamp each key result to [0, 1] first, so that one
  overachieved result cannot hide another that is behind, then take the weighted mean.
- Expected progress is the elapsed share of the period; pace compares the two with a
  tolerance band.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable

from cairn.lib.dates import elapsed_fraction

PACE_TOLERANCE = 0.1


class Pace(enum.StrEnum):
    AHEAD = "ahead"
    ON_PACE = "on_pace"
    BEHIND = "behind"
    NOT_STARTED = "not_started"


def key_result_progress(*, start: float, target: float, current: float) -> float:
    """Progress from start to target, >= 0, unbounded above. Direction follows target - start."""
    span = target - start
    if span == 0:
        raise ValueError("start and target must differ")
    return max(0.0, (current - start) / span)


def clamp_unit(value: float) -> float:
    return min(1.0, max(0.0, value))


def objective_progress(items: Iterable[tuple[float, float]]) -> float | None:
    """Weighted mean of clamped key result progress; `items` are (progress, weight) pairs.

    None when there is nothing to average (no key results, or all weights zero).
    """
    pairs = list(items)
    if any(weight < 0 for _, weight in pairs):
        raise ValueError("weights must not be negative")
    heaviest = max((weight for _, weight in pairs), default=0.0)
    if heaviest == 0:
        return None
    # Relative weights: tiny absolute weights would otherwise underflow to zero.
    total_weight = math.fsum(weight / heaviest for _, weight in pairs)
    weighted = math.fsum(clamp_unit(value) * (weight / heaviest) for value, weight in pairs)
    return clamp_unit(weighted / total_weight)


def expected_progress(*, start: dt.date, end: dt.date, today: dt.date) -> float:
    """Where a linear plan would be today: the elapsed share of the period, in [0, 1]."""
    if today < start:
        return 0.0
    return elapsed_fraction(start, end, today)


def pace(*, progress: float, expected: float, tolerance: float = PACE_TOLERANCE) -> Pace:
    if expected <= 0:
        return Pace.NOT_STARTED if progress <= 0 else Pace.AHEAD
    progress = clamp_unit(progress)
    if progress >= expected + tolerance:
        return Pace.AHEAD
    if progress < expected - tolerance:
        return Pace.BEHIND
    return Pace.ON_PACE


# Scores (the Result of a key result at the end of a period).
#
# Rule: a key result's score is its progress at the final value, clamped to [0, 1] and
# rounded to two decimals (half up). Progress is the share of the way from start to target in
# the key result's direction, so a falling metric scores as it falls; a milestone (start 0,
# target 1) scores 1.0 when done and 0.0 otherwise. The owner may override the score (with a
# reason). An objective's score is the weighted mean of its key results' scores, over the
# key results that have one: the same rule as progress roll-ups, on scores instead.


def key_result_score(*, start: float, target: float, final: float) -> float:
    """The computed score of a key result that ended at `final`, in [0, 1], two decimals."""
    progress = clamp_unit(key_result_progress(start=start, target=target, current=final))
    # Half up on the decimal value, so 0.695 scores 0.70 however the float rounds.
    return math.floor(progress * 100 + 0.5 + 1e-9) / 100


def objective_score(items: Iterable[tuple[float, float]]) -> float | None:
    """Weighted mean of key result scores; `items` are (score, weight) pairs of the key
    results that have a score. None when there is nothing to average."""
    return objective_progress(items)
