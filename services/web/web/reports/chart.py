"""Bar charts drawn on the server as SVG: the pages send no JavaScript (their policy allows
none), and a picture must not be the only way to read a figure, so each chart carries its
figures in its ``<desc>`` and the page shows them in a table too. Pure: the geometry here,
the markup in ``templates/macros/bar_chart.html``.

Horizontal bars, each under its label: they stay readable on a phone, where a column chart's
labels would not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHAR_WIDTH = 15
"""A generous width of one character of the chart's text, to keep each value inside the
picture: 14 units on a wide screen, 24 on a phone (web.css: the picture is drawn smaller
there), in Arial or a wider fallback such as DejaVu Sans."""
LABEL = 30
"""Each bar's label is written above it, at the left: a label of any length fits a phone."""
BAR = 20
GAP = 12
ROW = LABEL + BAR + GAP
WIDTH = 440
MIN_BAR = 2
"""A value above zero is never drawn as nothing."""


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str
    """The value as the chart writes it beside the bar (``46.4%``, ``3``)."""
    y: float
    """The top of the bar; its label sits on the line just above."""
    width: float


@dataclass(frozen=True)
class BarChart:
    """What the template draws: a bar per row under its label, a track behind each when the
    scale is fixed (a share of 100%), the value after the bar (or after the track)."""

    title: str
    description: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    longest: float
    """The scale's length: the track's width, and the bar of the largest value."""
    track: bool
    bar_height: int = BAR
    label_gap: int = 5


def bar_chart(
    title: str,
    items: Sequence[tuple[str, float, str]],
    *,
    described: str,
    scale: float | None = None,
) -> BarChart:
    """A chart of ``items`` (label, value, value as written). ``scale``: the value a full bar
    means (100 for a share); else the largest value. ``described``: what the chart shows,
    to which the figures are added for the ``<desc>`` (read out in place of the picture)."""
    value_width = max((len(shown) for _, _, shown in items), default=0) * CHAR_WIDTH
    longest = max(WIDTH - value_width - GAP, 40)
    top = max(scale or 0, *(value for _, value, _ in items), 0)
    bars = tuple(
        Bar(
            label=label,
            shown=shown,
            y=LABEL + n * ROW,
            width=round(max(longest * value / top, MIN_BAR), 1) if value > 0 else 0,
        )
        for n, (label, value, shown) in enumerate(items)
    )
    figures = "; ".join(f"{label}: {shown}" for label, _, shown in items)
    return BarChart(
        title=title,
        description=f"{described} {figures}.",
        bars=bars,
        width=WIDTH,
        height=ROW * len(items) - GAP + 1,
        longest=round(longest, 1),
        track=scale is not None,
    )


def weeks_band(band: str) -> str:
    """The timeliness report's bands in words: ``0-6`` (whole weeks 0 to 5) is "Under 6
    weeks", ``6-16`` "6 to 15 weeks", ``52+`` "52 weeks or more"; anything else as it is."""
    low, dash, high = band.partition("-")
    if dash and low.isdigit() and high.isdigit():
        if int(low) == 0:
            return f"Under {high} weeks"
        return f"{low} to {int(high) - 1} weeks"
    if band.endswith("+") and band[:-1].isdigit():
        return f"{band[:-1]} weeks or more"
    return band
