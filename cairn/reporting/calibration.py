"""Confidence calibration: how well confidence check-ins forecast the outcome.

Pure functions, no Django. Property-tested in tests/test_calibration.py.

Rules:
- A forecast is one confidence check-in on a key result: probability p = confidence / 10,
  and the outcome, whether the key result was achieved (its score reached the
  organization's threshold, 0.70 by default).
- The Brier score is the mean of (p - outcome)^2 over the forecasts: 0 is a perfect
  forecaster, 0.25 is what always saying 5 of 10 earns, 1 is always certain and always wrong.
- Forecasts are grouped in five bands of confidence: 0-2, 3-4, 5-6, 7-8 and 9-10. A band
  shows how many forecasts fell in it, their mean forecast and the share that came true.
- Over- or under-confidence compares the mean forecast with the observed rate: more than
  MARGIN (10 percentage points) above it is over-confident, more than MARGIN below is
  under-confident, otherwise calibrated. Under MIN_FORECASTS forecasts there is not enough
  data to say.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Confidence levels (inclusive) of each band, lowest first.
BANDS: tuple[tuple[int, int], ...] = ((0, 2), (3, 4), (5, 6), (7, 8), (9, 10))
# Mean forecast minus observed rate beyond this is over- (or under-) confidence.
MARGIN = 0.10
# Fewer forecasts than this say nothing about a forecaster.
MIN_FORECASTS = 10


@dataclass(frozen=True)
class Forecast:
    probability: float
    outcome: bool

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0 or math.isnan(self.probability):
            raise ValueError("a forecast's probability is in [0, 1]")

    @classmethod
    def of(cls, confidence: int, achieved: bool) -> Forecast:
        """A confidence check-in (0-10) as the forecast of the outcome."""
        if not 0 <= confidence <= 10:
            raise ValueError("confidence is 0-10")
        return cls(probability=confidence / 10, outcome=achieved)

    @property
    def level(self) -> int:
        """The confidence level (0-10) the probability came from."""
        return round(self.probability * 10)


def achieved(score: float, threshold: float) -> bool:
    """The outcome a confidence check-in forecast: the score reached the threshold."""
    return score >= threshold


def brier_score(forecasts: Iterable[Forecast]) -> float | None:
    """Mean squared distance of the forecasts from what happened, in [0, 1]; None when
    there are none."""
    items = list(forecasts)
    if not items:
        return None
    total = math.fsum((f.probability - float(f.outcome)) ** 2 for f in items)
    return min(1.0, max(0.0, total / len(items)))


def mean_forecast(forecasts: Iterable[Forecast]) -> float | None:
    items = list(forecasts)
    if not items:
        return None
    return min(1.0, max(0.0, math.fsum(f.probability for f in items) / len(items)))


def observed_rate(forecasts: Iterable[Forecast]) -> float | None:
    items = list(forecasts)
    if not items:
        return None
    return sum(1 for f in items if f.outcome) / len(items)


def band_index(level: int) -> int:
    """Which of BANDS a confidence level falls in."""
    for index, (low, high) in enumerate(BANDS):
        if low <= level <= high:
            return index
    raise ValueError("confidence is 0-10")


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    count: int
    # None when no forecast fell in the band.
    mean_forecast: float | None
    observed_rate: float | None

    @property
    def label(self) -> str:
        # An en dash between the two levels, as ranges are written.
        return f"{self.low}\u2013{self.high}"


def bands(forecasts: Iterable[Forecast]) -> list[Band]:
    """Every band of BANDS, empty ones included, with its forecasts' count, mean forecast
    and observed rate."""
    grouped: list[list[Forecast]] = [[] for _ in BANDS]
    for forecast in forecasts:
        grouped[band_index(forecast.level)].append(forecast)
    return [
        Band(
            low=low,
            high=high,
            count=len(items),
            mean_forecast=mean_forecast(items),
            observed_rate=observed_rate(items),
        )
        for (low, high), items in zip(BANDS, grouped, strict=True)
    ]


class Verdict(enum.StrEnum):
    OVER_CONFIDENT = "over_confident"
    UNDER_CONFIDENT = "under_confident"
    CALIBRATED = "calibrated"
    NOT_ENOUGH_DATA = "not_enough_data"


def over_under(
    forecasts: Iterable[Forecast],
    *,
    margin: float = MARGIN,
    minimum: int = MIN_FORECASTS,
) -> Verdict:
    """Over-confident when the mean forecast is more than `margin` above the observed rate,
    under-confident when more than `margin` below; not enough data under `minimum`."""
    items = list(forecasts)
    if len(items) < max(minimum, 1):
        return Verdict.NOT_ENOUGH_DATA
    gap = _gap(items)
    # (A tiny epsilon: 0.8 - 0.7 is 0.10000000000000009 in floating point.)
    if gap > margin + 1e-9:
        return Verdict.OVER_CONFIDENT
    if gap < -margin - 1e-9:
        return Verdict.UNDER_CONFIDENT
    return Verdict.CALIBRATED


def _gap(items: Sequence[Forecast]) -> float:
    forecast, rate = mean_forecast(items), observed_rate(items)
    assert forecast is not None and rate is not None
    return forecast - rate


@dataclass(frozen=True)
class Summary:
    """Everything the calibration report says about one forecaster (a person, a team, the
    organization) over a set of forecasts."""

    count: int
    brier: float | None
    mean_forecast: float | None
    observed_rate: float | None
    bands: tuple[Band, ...]
    verdict: Verdict

    @property
    def gap(self) -> float | None:
        """Mean forecast minus observed rate: above 0 leans over-confident."""
        if self.mean_forecast is None or self.observed_rate is None:
            return None
        return self.mean_forecast - self.observed_rate


def summarize(forecasts: Iterable[Forecast]) -> Summary:
    items = list(forecasts)
    return Summary(
        count=len(items),
        brier=brier_score(items),
        mean_forecast=mean_forecast(items),
        observed_rate=observed_rate(items),
        bands=tuple(bands(items)),
        verdict=over_under(items),
    )
