"""Percentiles and medians, as the bench reports them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

NAN = float("nan")


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation between the closest ranks, as
    PostgreSQL's ``percentile_cont`` computes it; NaN for no values."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p}: must be between 0 and 100")
    if not values:
        return NAN
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Iterable[float | None]) -> float | None:
    """The median of the known values (None and NaN left out); None when none is known."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    return percentile(known, 50) if known else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, None when either is unknown or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    if math.isnan(numerator) or math.isnan(denominator):
        return None
    return numerator / denominator
