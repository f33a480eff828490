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


def _svg(uid: str, css: str, title: str, summary: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
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
