"""Small SVG charts rendered on the server: no CDN, no JavaScript, readable in print.

Pure functions: plain lists of (date, value) in, an SVG string and a one-sentence text summary
out. The summary sits beside the chart (and in its `<desc>`) so that a screen reader, a
printout in black and white and a person in a hurry all get the same story. Colours are set
as SVG attributes (not only in CSS) and every line also differs by its dash pattern, so the
chart survives a stylesheet-less printer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cairn.lib import rhythm
from cairn.lib.numbers import tidy

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36

BAND_LABELS = {
    rhythm.Band.ON_TRACK: gettext_lazy("on track"),
    rhythm.Band.AT_RISK: gettext_lazy("at risk"),
    rhythm.Band.OFF_TRACK: gettext_lazy("off track"),
}
BAND_FILLS = {
    rhythm.Band.ON_TRACK: "#e3f3e9",
    rhythm.Band.AT_RISK: "#fbf0d9",
    rhythm.Band.OFF_TRACK: "#fbe5e3",
}
LINE = "#2f6b57"
TARGET = "#1d2521"
IDEAL = "#5d6963"
GRID = "#dde2dd"

Point = tuple[dt.date, float]


@dataclass(frozen=True)
class Chart:
    svg: str
    summary: str


def default_number(value: float) -> str:
    return number_format(tidy(Decimal(str(round(value, 4)))), force_grouping=True)


def default_date(value: dt.date) -> str:
    return date_format(value, "MONTH_DAY_FORMAT")


def band_label(level: int) -> str:
    return str(BAND_LABELS[rhythm.band(level)])


def ideal_value(
    *, start: float, target: float, period_start: dt.date, period_end: dt.date, day: dt.date
) -> float:
    """Where a straight line from start (at period start) to target (at period end) is on
    `day`; before the period it is the start, after it the target."""
    length = (period_end - period_start).days
    if length <= 0:
        return target if day >= period_end else start
    share = min(max((day - period_start).days / length, 0.0), 1.0)
    return start + (target - start) * share


def _round_like(value: float, *references: float) -> float:
    # An ideal pace of 290,322.58 DAU reads as false precision when start and target are whole.
    if all(float(r).is_integer() for r in references):
        return float(round(value))
    return round(value, 2)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Gridline values at round steps (1, 2, 2.5 or 5 times a power of ten) inside
    [low, high], so that every label is exactly the value of its line."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = []
    value = math.ceil(low / step - 1e-9) * step
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


class _Frame:
    """Maps dates and values onto the drawing area."""

    def __init__(self, first: dt.date, last: dt.date, low: float, high: float) -> None:
        if last <= first:
            last = first + dt.timedelta(days=1)
        if high <= low:
            low, high = low - 1, high + 1
        pad = (high - low) * 0.05
        self.first, self.last = first, last
        self.low, self.high = low - pad, high + pad

    def x(self, day: dt.date) -> float:
        share = (day - self.first).days / (self.last - self.first).days
        return round(LEFT + share * (WIDTH - LEFT - RIGHT), 1)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return round(TOP + (1 - share) * (HEIGHT - TOP - BOTTOM), 1)


def _svg(
    uid: str,
    css: str,
    title: str,
    summary: str,
    body: list[str],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" font-family="system-ui, sans-serif" '
        f'font-size="11">'
        f'<title id="{uid}-title">{escape(title)}</title>'
        f'<desc id="{uid}-desc">{escape(summary)}</desc>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return (
        f'<text x="{x}" y="{y}" text-anchor="{anchor}" fill="#1d2521"{klass}>{escape(text)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, css: str, dash: str = "") -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line class="{css}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{stroke}" '
        f'stroke-width="1.5"{dashed}/>'
    )


def _series(
    frame: _Frame,
    points: Sequence[Point],
    label: Callable[[Point], str],
    css: str,
) -> list[str]:
    if not points:
        return []
    coords = [(frame.x(day), frame.y(value)) for day, value in points]
    body = []
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        body.append(
            f'<polyline class="{css}" points="{path}" fill="none" stroke="{LINE}" '
            f'stroke-width="2.5" stroke-linejoin="round"/>'
        )
    for (x, y), point in zip(coords, points, strict=True):
        body.append(
            f'<circle class="{css}-point" cx="{x}" cy="{y}" r="3.5" fill="{LINE}">'
            f"<title>{escape(label(point))}</title></circle>"
        )
    return body


def _x_axis(frame: _Frame, fmt_date: Callable[[dt.date], str], today: dt.date | None) -> list[str]:
    base = HEIGHT - BOTTOM
    body = [
        _line(LEFT, base, WIDTH - RIGHT, base, GRID, "chart__axis"),
        _text(LEFT, base + 16, fmt_date(frame.first)),
        _text(WIDTH - RIGHT, base + 16, fmt_date(frame.last), anchor="end"),
    ]
    if today is not None and frame.first <= today <= frame.last:
        x = frame.x(today)
        body.append(_line(x, TOP, x, base, GRID, "chart__today", dash="2 3"))
        body.append(_text(x, base + 28, _("today"), anchor="middle", css="chart__muted"))
    return body


def progress_chart(
    points: Sequence[Point],
    *,
    start: float,
    target: float,
    period_start: dt.date,
    period_end: dt.date,
    today: dt.date,
    title: str = "",
    uid: str = "progress-chart",
    fmt_number: Callable[[float], str] = default_number,
    fmt_date: Callable[[dt.date], str] = default_date,
    unit: str = "",
) -> Chart:
    """Values over time against the target line and the ideal pace line (start at period
    start to target at period end). Works for falling metrics (target below start) and for
    values beyond either end: the scale always holds every point, the start and the target.
    Axis labels are bare numbers (a unit would crowd them out of the frame); the summary, the
    target label and the points carry the unit."""
    points = sorted(points, key=lambda p: p[0])

    def labelled(value: float) -> str:
        text = fmt_number(value)
        return f"{text} {unit}" if unit else text

    ideal_today = _round_like(
        ideal_value(
            start=start,
            target=target,
            period_start=period_start,
            period_end=period_end,
            day=today,
        ),
        start,
        target,
    )
    summary = _progress_summary(points, ideal_today, target, period_end, labelled, fmt_date)
    values = [value for _day, value in points]
    frame = _Frame(
        min([period_start, *(day for day, _v in points)]),
        max([period_end, *(day for day, _v in points)]),
        min([start, target, *values]),
        max([start, target, *values]),
    )
    body = [
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    # Four value gridlines with their labels, evenly spaced between the extremes.
    low, high = min([start, target, *values]), max([start, target, *values])
    if high == low:
        low, high = low - 1, high + 1
    for value in nice_ticks(low, high):
        y = frame.y(value)
        body.append(_line(LEFT, y, WIDTH - RIGHT, y, GRID, "chart__grid"))
        body.append(_text(LEFT - 6, y + 4, fmt_number(value), "end"))
    body += _x_axis(frame, fmt_date, today)
    target_y = frame.y(target)
    body.append(_line(LEFT, target_y, WIDTH - RIGHT, target_y, TARGET, "chart__target", "8 4"))
    body.append(
        _text(
            WIDTH - RIGHT - 4,
            target_y - 5 if target >= start else target_y + 13,
            _("Target %(value)s") % {"value": labelled(target)},
            "end",
        )
    )
    body.append(
        _line(
            frame.x(period_start),
            frame.y(start),
            frame.x(period_end),
            frame.y(target),
            IDEAL,
            "chart__ideal",
            "2 4",
        )
    )
    body += _series(
        frame,
        points,
        lambda p: f"{fmt_date(p[0])}: {labelled(p[1])}",
        "chart__line",
    )
    return Chart(_svg(uid, "chart--progress", title or _("Progress"), summary, body), summary)


def _progress_summary(
    points: Sequence[Point],
    ideal: float,
    target: float,
    period_end: dt.date,
    fmt_number: Callable[[float], str],
    fmt_date: Callable[[dt.date], str],
) -> str:
    goal = _("The target is %(target)s by %(end)s.") % {
        "target": fmt_number(target),
        "end": fmt_date(period_end),
    }
    names = {"ideal": fmt_number(ideal)}
    if not points:
        text = _("No value has been recorded yet; the ideal pace today is %(ideal)s.") % names
    elif len(points) == 1:
        text = _("Value is %(last)s since %(since)s; the ideal pace today is %(ideal)s.") % {
            **names,
            "last": fmt_number(points[0][1]),
            "since": fmt_date(points[0][0]),
        }
    else:
        (first_day, first), (_last_day, last) = points[0], points[-1]
        values = {
            **names,
            "first": fmt_number(first),
            "last": fmt_number(last),
            "since": fmt_date(first_day),
        }
        if last > first:
            text = (
                _(
                    "Value rose from %(first)s to %(last)s since %(since)s; "
                    "the ideal pace today is %(ideal)s."
                )
                % values
            )
        elif last < first:
            text = (
                _(
                    "Value fell from %(first)s to %(last)s since %(since)s; "
                    "the ideal pace today is %(ideal)s."
                )
                % values
            )
        else:
            text = (
                _("Value stayed at %(last)s since %(since)s; the ideal pace today is %(ideal)s.")
                % values
            )
    return f"{text} {goal}"


def confidence_chart(
    points: Sequence[tuple[dt.date, int]],
    *,
    period_start: dt.date,
    period_end: dt.date,
    today: dt.date | None = None,
    title: str = "",
    uid: str = "confidence-chart",
    fmt_date: Callable[[dt.date], str] = default_date,
) -> Chart:
    """Confidence 0-10 over time over its three band zones (off track 0-3, at risk 4-6,
    on track 7-10), each zone named in words as well as in colour."""
    points = sorted(points, key=lambda p: p[0])
    summary = _confidence_summary(points, fmt_date)
    frame = _Frame(
        min([period_start, *(day for day, _v in points)]),
        max([period_end, *(day for day, _v in points)]),
        0,
        10,
    )
    body = [f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    zones = (
        (rhythm.Band.OFF_TRACK, -0.5, 3.5),
        (rhythm.Band.AT_RISK, 3.5, 6.5),
        (rhythm.Band.ON_TRACK, 6.5, 10.5),
    )
    for zone, low, high in zones:
        top, bottom = frame.y(min(high, frame.high)), frame.y(max(low, frame.low))
        body.append(
            f'<rect class="chart__zone chart__zone--{zone}" x="{LEFT}" y="{top}" '
            f'width="{WIDTH - LEFT - RIGHT}" height="{round(bottom - top, 1)}" '
            f'fill="{BAND_FILLS[zone]}"/>'
        )
        body.append(
            _text(WIDTH - RIGHT - 6, top + 14, str(BAND_LABELS[zone]), "end", "chart__muted")
        )
    for level in (0, 3, 7, 10):
        body.append(_text(LEFT - 6, frame.y(level) + 4, str(level), "end"))
    body += _x_axis(frame, fmt_date, today)
    body += _series(
        frame,
        [(day, float(level)) for day, level in points],
        lambda p: f"{fmt_date(p[0])}: {int(p[1])} ({band_label(int(p[1]))})",
        "chart__line",
    )
    return Chart(
        _svg(uid, "chart--confidence", title or _("Confidence"), summary, body),
        summary,
    )


def _confidence_summary(
    points: Sequence[tuple[dt.date, int]], fmt_date: Callable[[dt.date], str]
) -> str:
    if not points:
        return _("No confidence has been given yet.")

    def level(value: int) -> str:
        return _("%(level)d of 10 (%(band)s)") % {"level": value, "band": band_label(value)}

    (first_day, first), (_last_day, last) = points[0], points[-1]
    values = {"first": level(first), "last": level(last), "since": fmt_date(first_day)}
    if len(points) == 1:
        return _("Confidence is %(last)s since %(since)s.") % values
    if last > first:
        sentence = _("Confidence rose from %(first)s to %(last)s since %(since)s.") % values
    elif last < first:
        sentence = _("Confidence fell from %(first)s to %(last)s since %(since)s.") % values
    else:
        sentence = _("Confidence stayed at %(last)s since %(since)s.") % values
    # The ends alone can hide the path: say where it went in between.
    lowest, highest = min(v for _d, v in points), max(v for _d, v in points)
    if lowest < min(first, last):
        sentence += " " + _("It dipped to %(level)s in between.") % {"level": level(lowest)}
    if highest > max(first, last):
        sentence += " " + _("It peaked at %(level)s in between.") % {"level": level(highest)}
    return sentence


# Calibration (issue 6): forecasts against outcomes ---------------------------------------------

CALIBRATION_SIZE = 320
CAL_LEFT, CAL_RIGHT, CAL_TOP, CAL_BOTTOM = 52, 16, 16, 44
FORECAST = "#2f6b57"


@dataclass(frozen=True)
class CalibrationPoint:
    """One band of forecasts: its mean forecast and the share that came true (both 0-1),
    how many forecasts it holds, and its name ("7-8")."""

    forecast: float
    observed: float
    count: int
    label: str


def _percent(value: float) -> str:
    return _("%(value)s%%") % {"value": number_format(round(value * 100))}


def calibration_summary(points: Sequence[CalibrationPoint]) -> str:
    """One sentence: how many forecasts, how confident on average, how many came true."""
    total = sum(point.count for point in points)
    if not total:
        return _("No forecasts to compare with outcomes yet.")
    forecast = math.fsum(p.forecast * p.count for p in points) / total
    observed = math.fsum(p.observed * p.count for p in points) / total
    return _(
        "%(count)s forecasts said %(forecast)s on average; %(observed)s came true. Points "
        "on the diagonal are perfectly calibrated, below it over-confident, above it "
        "under-confident."
    ) % {
        "count": number_format(total),
        "forecast": _percent(forecast),
        "observed": _percent(observed),
    }


def calibration_chart(
    points: Sequence[CalibrationPoint],
    *,
    title: str = "",
    uid: str = "calibration-chart",
    summary: str = "",
) -> Chart:
    """Forecast (x) against observed rate (y), both 0-100%, one circle per band sized by
    its number of forecasts, over the diagonal of perfect calibration. A point below the
    diagonal came true less often than forecast: over-confidence."""
    size = CALIBRATION_SIZE
    summary = summary or calibration_summary(points)
    inner_w = size - CAL_LEFT - CAL_RIGHT
    inner_h = size - CAL_TOP - CAL_BOTTOM

    def x(value: float) -> float:
        return round(CAL_LEFT + min(max(value, 0.0), 1.0) * inner_w, 1)

    def y(value: float) -> float:
        return round(CAL_TOP + (1 - min(max(value, 0.0), 1.0)) * inner_h, 1)

    base = size - CAL_BOTTOM
    body = [f'<rect x="0" y="0" width="{size}" height="{size}" fill="#ffffff"/>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(_line(CAL_LEFT, y(tick), size - CAL_RIGHT, y(tick), GRID, "chart__grid"))
        body.append(_line(x(tick), CAL_TOP, x(tick), base, GRID, "chart__grid"))
        body.append(_text(CAL_LEFT - 6, y(tick) + 4, _percent(tick), "end"))
        body.append(_text(x(tick), base + 14, _percent(tick), "middle"))
    body.append(
        _text(
            CAL_LEFT + inner_w / 2,
            base + 32,
            _("Forecast (mean confidence of the band)"),
            "middle",
            "chart__muted",
        )
    )
    body.append(
        f'<text x="14" y="{CAL_TOP + inner_h / 2}" text-anchor="middle" fill="#1d2521" '
        f'class="chart__muted" transform="rotate(-90 14 {CAL_TOP + inner_h / 2})">'
        f"{escape(_('Came true'))}</text>"
    )
    body.append(_line(x(0), y(0), x(1), y(1), IDEAL, "chart__diagonal", "4 4"))
    body.append(_text(x(0.97), y(0.97) + 16, _("perfect calibration"), "end", "chart__muted"))
    most = max((point.count for point in points), default=0)
    for point in points:
        if point.count <= 0:
            continue
        radius = round(4 + 10 * math.sqrt(point.count / most), 1)
        label = _(
            "Confidence %(band)s: forecast %(forecast)s, %(observed)s came true "
            "(%(count)s forecasts)"
        ) % {
            "band": point.label,
            "forecast": _percent(point.forecast),
            "observed": _percent(point.observed),
            "count": number_format(point.count),
        }
        body.append(
            f'<circle class="chart__band" cx="{x(point.forecast)}" cy="{y(point.observed)}" '
            f'r="{radius}" fill="{FORECAST}" fill-opacity="0.55" stroke="{FORECAST}" '
            f'stroke-width="1.5"><title>{escape(label)}</title></circle>'
        )
    return Chart(
        _svg(
            uid,
            "chart--calibration",
            title or _("Calibration"),
            summary,
            body,
            width=size,
            height=size,
        ),
        summary,
    )


def brier_trend_chart(
    points: Sequence[tuple[dt.date, float]],
    *,
    names: dict[dt.date, str] | None = None,
    title: str = "",
    uid: str = "brier-trend-chart",
    fmt_date: Callable[[dt.date], str] = default_date,
) -> Chart:
    """The Brier score of each closed period (at its last day) over time, against the 0.25
    that always forecasting 5 of 10 earns. Lower is better."""
    points = sorted(points, key=lambda p: p[0])
    names = names or {}

    def name(day: dt.date) -> str:
        return names.get(day) or fmt_date(day)

    def score(value: float) -> str:
        return number_format(round(value, 2), decimal_pos=2)

    if not points:
        summary = _("No closed period has enough forecasts yet.")
    elif len(points) == 1:
        summary = _("The Brier score was %(score)s in %(period)s; lower is better.") % {
            "score": score(points[0][1]),
            "period": name(points[0][0]),
        }
    else:
        summary = _(
            "The Brier score went from %(first)s in %(first_period)s to %(last)s in "
            "%(last_period)s; lower is better, 0.25 is what always saying 5 of 10 earns."
        ) % {
            "first": score(points[0][1]),
            "first_period": name(points[0][0]),
            "last": score(points[-1][1]),
            "last_period": name(points[-1][0]),
        }
    days = [day for day, _v in points] or [dt.date.today()]
    high = max([0.5, *(value for _d, value in points)])
    first, last = min(days), max(days)
    if first == last:
        # One period: in the middle of a quarter's width.
        first, last = first - dt.timedelta(days=45), last + dt.timedelta(days=45)
    frame = _Frame(first, last, 0.0, high)
    body = [f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    for value in nice_ticks(0.0, high):
        body.append(_line(LEFT, frame.y(value), WIDTH - RIGHT, frame.y(value), GRID, "chart__grid"))
        body.append(_text(LEFT - 6, frame.y(value) + 4, score(value), "end"))
    body.append(
        _line(LEFT, frame.y(0.25), WIDTH - RIGHT, frame.y(0.25), TARGET, "chart__reference", "8 4")
    )
    body.append(
        _text(
            WIDTH - RIGHT - 4, frame.y(0.25) - 5, _("always 5 of 10: 0.25"), "end", "chart__muted"
        )
    )
    base = HEIGHT - BOTTOM
    body.append(_line(LEFT, base, WIDTH - RIGHT, base, GRID, "chart__axis"))
    # The periods' names under the first and the last point (the others in their titles).
    if points:
        body.append(
            _text(
                frame.x(points[0][0]),
                base + 16,
                name(points[0][0]),
                "middle" if len(points) == 1 else "start",
            )
        )
    if len(points) > 1:
        body.append(_text(frame.x(points[-1][0]), base + 16, name(points[-1][0]), "end"))
    body += _series(frame, points, lambda p: f"{name(p[0])}: {score(p[1])}", "chart__line")
    return Chart(
        _svg(uid, "chart--trend", title or _("Brier score over time"), summary, body), summary
    )
