"""The reports' charts, drawn on the server: bars in proportion, every figure in the chart's
description (read in place of the picture), and nothing drawn outside the picture."""

from __future__ import annotations

import itertools

from web.reports.chart import CHAR_WIDTH, MIN_BAR, bar_chart, weeks_band


def test_bars_are_in_proportion_to_the_largest_value() -> None:
    chart = bar_chart(
        "Open requests",
        [("Under 6 weeks", 8, "8"), ("6 to 15 weeks", 2, "2"), ("52 weeks or more", 0, "0")],
        described="Requests by weeks.",
    )
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == chart.longest
    assert abs(widths[1] - chart.longest / 4) < 0.1
    assert widths[2] == 0
    tops = [bar.y for bar in chart.bars]
    assert tops == sorted(tops)
    assert min(b - a for a, b in itertools.pairwise(tops)) > chart.bar_height + 14
    assert chart.bars[-1].y + chart.bar_height <= chart.height
    assert not chart.track


def test_a_share_is_drawn_against_a_whole_and_a_tiny_one_is_still_seen() -> None:
    chart = bar_chart(
        "Within 20 weeks",
        [("Including exceptions", 50.0, "50.0%"), ("Excluding exceptions", 0.1, "0.1%")],
        described="Shares.",
        scale=100,
    )
    assert chart.track
    assert abs(chart.bars[0].width - chart.longest / 2) < 0.1
    assert chart.bars[1].width == MIN_BAR
    # The values fit after the whole track.
    assert chart.longest + len("50.0%") * CHAR_WIDTH <= chart.width


def test_the_description_holds_every_figure() -> None:
    chart = bar_chart(
        "Open requests",
        [("Under 6 weeks", 3, "3"), ("52 weeks or more", 1, "1")],
        described="Requests by weeks.",
    )
    assert chart.description == "Requests by weeks. Under 6 weeks: 3; 52 weeks or more: 1."


def test_the_reports_week_bands_in_words() -> None:
    assert [weeks_band(b) for b in ("0-6", "6-16", "16-20", "20-26", "26-52", "52+")] == [
        "Under 6 weeks",
        "6 to 15 weeks",
        "16 to 19 weeks",
        "20 to 25 weeks",
        "26 to 51 weeks",
        "52 weeks or more",
    ]
    assert weeks_band("later") == "later"
