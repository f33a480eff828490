"""The server-rendered SVG charts: well-formed XML, accessible, and a summary that tells the
same story as the picture."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from cairn.lib import charts

SVG = "{http://www.w3.org/2000/svg}"
Q4 = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 12, 31)}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}desc") is not None
    return root


def progress(points: list[tuple[dt.date, float]], **kwargs: object) -> charts.Chart:
    options: dict[str, object] = {
        "start": 0,
        "target": 500_000,
        "today": dt.date(2026, 11, 15),
        **Q4,
        **kwargs,
    }
    return charts.progress_chart(points, **options)  # type: ignore[arg-type]


def test_an_empty_progress_chart_still_draws_target_and_ideal_pace() -> None:
    chart = progress([])
    root = parse(chart.svg)
    classes = {el.get("class") for el in root.iter()}
    assert {"chart__target", "chart__ideal"} <= classes
    assert "chart__line-point" not in classes
    assert chart.summary.startswith("No value has been recorded yet")
    assert "500,000" in chart.summary


def test_one_point_says_the_value_since_its_date() -> None:
    chart = progress([(dt.date(2026, 10, 5), 120_000)])
    root = parse(chart.svg)
    assert len([c for c in root.iter(f"{SVG}circle")]) == 1
    assert root.find(f"{SVG}polyline") is None
    assert chart.summary.startswith("Value is 120,000 since October 5")


def test_the_summary_names_the_rise_and_the_ideal_pace_today() -> None:
    chart = progress(
        [(dt.date(2026, 10, 20), 260_000), (dt.date(2026, 10, 1), 120_000)],
        today=dt.date(2026, 11, 22),
    )
    parse(chart.svg)
    # 52 of 91 days: 500,000 * 52 / 91 = 285,714
    assert chart.summary.startswith(
        "Value rose from 120,000 to 260,000 since October 1; the ideal pace today is 285,714."
    )
    assert "The target is 500,000 by December 31." in chart.summary


def test_a_decreasing_metric_falls_towards_its_target() -> None:
    chart = progress(
        [(dt.date(2026, 10, 2), 40), (dt.date(2026, 11, 1), 25.5)],
        start=40,
        target=10,
        today=dt.date(2026, 12, 31),
    )
    root = parse(chart.svg)
    assert "Value fell from 40 to 25.5" in chart.summary
    assert "the ideal pace today is 10." in chart.summary
    ideal = next(el for el in root.iter() if el.get("class") == "chart__ideal")
    # Drawn downwards: the end (target 10) is lower on the chart, i.e. a larger y.
    assert float(ideal.get("y2", 0)) > float(ideal.get("y1", 0))


def test_values_beyond_the_target_and_below_the_start_stay_inside_the_drawing() -> None:
    chart = progress([(dt.date(2026, 10, 3), -50_000), (dt.date(2026, 12, 1), 900_000)])
    root = parse(chart.svg)
    height = float(root.get("viewBox", "").split()[3])
    for circle in root.iter(f"{SVG}circle"):
        assert 0 <= float(circle.get("cy", -1)) <= height
    assert "rose from -50,000 to 900,000" in chart.summary


def test_points_outside_the_period_widen_the_time_axis() -> None:
    chart = progress([(dt.date(2027, 1, 10), 510_000)])
    root = parse(chart.svg)
    width = float(root.get("viewBox", "").split()[2])
    assert all(0 <= float(c.get("cx", -1)) <= width for c in root.iter(f"{SVG}circle"))


def test_a_flat_series_stayed_and_text_is_escaped() -> None:
    chart = progress(
        [(dt.date(2026, 10, 3), 5), (dt.date(2026, 10, 10), 5)],
        start=5,
        target=5.5,
        title="Less <b>churn</b> & more",
    )
    root = parse(chart.svg)
    assert root.find(f"{SVG}title").text == "Less <b>churn</b> & more"  # type: ignore[union-attr]
    assert "Value stayed at 5 since October 3" in chart.summary


def test_ideal_pace_is_start_before_and_target_after_the_period() -> None:
    assert charts.ideal_value(start=10, target=20, day=dt.date(2026, 9, 1), **Q4) == 10
    assert charts.ideal_value(start=10, target=20, day=dt.date(2027, 2, 1), **Q4) == 20
    same_day = {"period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 10, 1)}
    assert charts.ideal_value(start=1, target=2, day=dt.date(2026, 10, 1), **same_day) == 2


def test_an_empty_confidence_chart_still_shows_its_band_zones() -> None:
    chart = charts.confidence_chart([], **Q4)
    root = parse(chart.svg)
    zones = [el for el in root.iter(f"{SVG}rect") if "chart__zone" in (el.get("class") or "")]
    assert len(zones) == 3
    texts = {el.text for el in root.iter(f"{SVG}text")}
    assert {"on track", "at risk", "off track"} <= texts
    assert chart.summary == "No confidence has been given yet."


@pytest.mark.parametrize(
    ("levels", "summary"),
    [
        ([6], "Confidence is 6 of 10 (at risk) since October 1."),
        ([5, 8], "Confidence rose from 5 of 10 (at risk) to 8 of 10 (on track) since October 1."),
        ([8, 3], "Confidence fell from 8 of 10 (on track) to 3 of 10 (off track) since October 1."),
        (
            [7, 2, 7],
            "Confidence stayed at 7 of 10 (on track) since October 1. "
            "It dipped to 2 of 10 (off track) in between.",
        ),
        (
            [6, 7, 7, 6],
            "Confidence stayed at 6 of 10 (at risk) since October 1. "
            "It peaked at 7 of 10 (on track) in between.",
        ),
        (
            [0, 10],
            "Confidence rose from 0 of 10 (off track) to 10 of 10 (on track) since October 1.",
        ),
    ],
)
def test_the_confidence_summary_tells_the_trend_in_words(levels: list[int], summary: str) -> None:
    points = [(dt.date(2026, 10, 1) + dt.timedelta(days=7 * i), v) for i, v in enumerate(levels)]
    chart = charts.confidence_chart(points, today=dt.date(2026, 10, 20), **Q4)
    root = parse(chart.svg)
    assert chart.summary == summary
    assert root.find(f"{SVG}desc").text == summary  # type: ignore[union-attr]
    assert len(list(root.iter(f"{SVG}circle"))) == len(levels)


def test_axis_labels_are_bare_numbers_and_the_summary_carries_the_unit() -> None:
    import datetime as dt
    import xml.etree.ElementTree as ET

    from cairn.lib import charts

    chart = charts.progress_chart(
        [(dt.date(2026, 10, 2), 3.0), (dt.date(2026, 10, 9), 5.0)],
        start=3,
        target=8,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 12, 31),
        today=dt.date(2026, 10, 10),
        unit="engineers",
    )
    texts = [
        el.text or "" for el in ET.fromstring(chart.svg).iter("{http://www.w3.org/2000/svg}text")
    ]
    axis = [t for t in texts if t and t[0].isdigit() and "engineers" not in t]
    assert axis, texts
    assert "engineers" in chart.summary


def test_gridlines_sit_on_round_values_that_their_labels_name() -> None:
    from cairn.lib.charts import nice_ticks

    assert nice_ticks(3, 8) == [4, 6, 8]
    assert nice_ticks(0, 500_000) == [0, 200_000, 400_000]
    assert nice_ticks(2, 2.1) == [2.0, 2.05, 2.1]
    assert nice_ticks(5, 5) == [5]
