"""Numeric markets' buckets in the question's units. Pure: numpy and the standard library only.

A numeric market has K equal buckets over the question's unit interval (SCORING.md section 3 maps a value x to
u(x) = (x - min)/(max - min), or (ln x - ln min)/(ln max - ln min) on a log scale). Bucket j covers (j/K, (j+1)/K]
(the first [0, 1/K]): a value on an edge belongs to the bucket below it, the convention of forecast scoring, where
cdf[j] = P(X <= x(u_j)); the first bucket also absorbs outcomes below the range and the last those above it
(``markets.lmsr.bucket_for_unit``).

markets may not import forecasting, so the unit mapping is repeated here in its two lines; it must agree with
``forecasting.maths.cdf.to_unit`` (tests/markets/test_buckets.py checks the formulas on hand-computed values).
"""
from __future__ import annotations

import math

import numpy as np

from markets import date_axis, lmsr

CDF_GRID_SIZE = 201


def to_unit(x: float, *, range_min: float, range_max: float, log_scale: bool) -> float:
    """The unit position of ``x`` (not clipped: below the range < 0, above > 1). On a log scale a value <= 0 maps to
    -inf (below any range). Raises ValueError for a non-finite ``x``."""
    if not math.isfinite(x):
        raise ValueError(f"outcome must be a finite number, got {x!r}.")
    if log_scale:
        if x <= 0:
            return -math.inf
        return (math.log(x) - math.log(range_min)) / (math.log(range_max) - math.log(range_min))
    return (x - range_min) / (range_max - range_min)


def from_unit(u: float, *, range_min: float, range_max: float, log_scale: bool) -> float:
    """The value in the question's units at unit position ``u`` (the inverse of :func:`to_unit`)."""
    if log_scale:
        return math.exp(math.log(range_min) + u * (math.log(range_max) - math.log(range_min)))
    return range_min + u * (range_max - range_min)


def winning_bucket(y: float, *, K: int, range_min: float, range_max: float, log_scale: bool) -> int:
    """The bucket (0 .. K-1) holding outcome ``y`` in the question's units; out-of-range values go to the end
    buckets, and a value exactly on an edge to the bucket below it. Raises ValueError for a non-finite ``y``."""
    u = to_unit(y, range_min=range_min, range_max=range_max, log_scale=log_scale)
    if math.isinf(u):  # y <= 0 on a log scale, or a finite y so far out that u overflows
        return 0 if u < 0 else lmsr.bucket_for_unit(2.0, K)
    return lmsr.bucket_for_unit(u, K)


def bucket_bounds(*, K: int, range_min: float, range_max: float, log_scale: bool) -> list[tuple[float, float]]:
    """Each bucket's (lower, upper) edge in the question's units, K pairs."""
    edges = [from_unit(float(u), range_min=range_min, range_max=range_max, log_scale=log_scale)
             for u in lmsr.bucket_edges(K)]
    return list(zip(edges[:-1], edges[1:]))


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def bucket_labels(*, K: int, range_min: float, range_max: float, log_scale: bool, unit: str = "") -> list[str]:
    """Short labels: "≤ 4", "4 to 8", ..., "> 36" (an edge belongs to the bucket below it; the end buckets absorb
    out-of-range values), unit appended."""
    bounds = bucket_bounds(K=K, range_min=range_min, range_max=range_max, log_scale=log_scale)
    suffix = f" {unit}" if unit else ""
    labels = []
    for j, (lo, hi) in enumerate(bounds):
        if j == 0:
            labels.append(f"≤ {_fmt(hi)}{suffix}")
        elif j == K - 1:
            labels.append(f"> {_fmt(lo)}{suffix}")
        else:
            labels.append(f"{_fmt(lo)} to {_fmt(hi)}{suffix}")
    return labels


def date_bucket_labels(*, K: int, range_min: float, range_max: float) -> list[str]:
    """A date question's buckets as date ranges, each edge at its nearest date (markets.date_axis):
    "by 7 Feb 2027", "7 Feb – 16 Mar 2027", ..., "after 24 Nov 2027" (the end buckets absorb earlier/later dates)."""
    bounds = bucket_bounds(K=K, range_min=range_min, range_max=range_max, log_scale=False)
    labels = []
    for j, (lo, hi) in enumerate(bounds):
        if j == 0:
            labels.append(f"by {date_axis.format_day(hi)}")
        elif j == K - 1:
            labels.append(f"after {date_axis.format_day(lo)}")
        else:
            labels.append(date_axis.format_day_range(lo, hi))
    return labels


def outcome_labels(market) -> list[str]:
    """Labels of a market's outcomes: ["NO", "YES"] for binary, bucket ranges for numeric. ``market`` needs ``n``
    and ``question`` (type, range, scale, unit)."""
    question = market.question
    if question.is_binary:
        return ["NO", "YES"]
    if question.is_date:
        return date_bucket_labels(K=market.n, range_min=question.range_min, range_max=question.range_max)
    if question.is_multiple_choice:  # outcome j is option j (markets.choices)
        return list(question.options or [])
    return bucket_labels(K=market.n, range_min=question.range_min, range_max=question.range_max,
                         log_scale=question.log_scale, unit=question.unit)


def bucket_cdf(probabilities, *, grid_size: int = CDF_GRID_SIZE) -> np.ndarray:
    """A CDF on ``grid_size`` evenly spaced unit positions from K bucket probabilities, spreading each bucket's mass
    uniformly over its width (so the CDF is linear inside a bucket): cdf(u) = sum of the buckets below u plus the
    covered fraction of the bucket holding u. cdf[0] = 0 and cdf[-1] = 1 (the end buckets' out-of-range mass is put
    inside the range). This is the market's raw CDF, not a valid forecast: steps can be 0 (a bucket priced at or
    near 0) and there are no open-bound tails. Scoring uses ``forecasting.maths.scoring.market_cdfs``, which holds
    it to the forecast rules (docs/scoring.md)."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 1 or p.size < 2 or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("probabilities must be a flat sequence of at least 2 non-negative finite numbers.")
    p = p / p.sum()
    K = p.size
    u = np.linspace(0.0, 1.0, grid_size)
    cum = np.concatenate([[0.0], np.cumsum(p)])
    j = np.minimum((u * K).astype(int), K - 1)
    frac = u * K - j
    cdf = cum[j] + p[j] * frac
    cdf[-1] = 1.0
    return np.maximum.accumulate(np.clip(cdf, 0.0, 1.0))
