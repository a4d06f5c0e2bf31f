"""The market price as a forecast, scored like the crowd (SCORING.md section 4)."""
from __future__ import annotations

import numpy as np

from forecasting.maths.cdf import MIN_STEP, OPEN_BOUND_MAX, OPEN_BOUND_MIN

from .kernel import GRID_SIZE, IN_RANGE_BUCKETS, PMF_SIZE, _float_array


# ---------------------------------------------------------------------------------------------------------------
# Section 4: the market price as a forecast
# ---------------------------------------------------------------------------------------------------------------

MARKET_PROBABILITY_MIN = OPEN_BOUND_MIN  # a market price is held to the forecast range [0.001, 0.999]
MARKET_PROBABILITY_MAX = OPEN_BOUND_MAX
# Floors of the market's scorable CDF: the forecast minima (every in-range step 1e-5, an open tail 0.001) with a
# relative margin of 1e-6, so the float noise of a cumulative sum (~1e-16) can never take a step below the rule.
_MARKET_STEP_FLOOR = MIN_STEP * (1.0 + 1e-6)
_MARKET_TAIL_FLOOR = OPEN_BOUND_MIN * (1.0 + 1e-6)


def market_probabilities(yes) -> np.ndarray:
    """A binary market's YES prices as a scorable forecast: each clipped to [0.001, 0.999], the range a forecaster's
    probability is held to (SCORING.md section 2). LMSR prices can be as extreme as exactly 0 or 1 (float underflow
    when outcomes differ by more than ~745 b shares); clipped, the market scores like the most confident forecaster
    allowed and every log score stays finite. NaN (no price) stays NaN."""
    values = _float_array("yes", yes, allow_nan=True)
    return np.clip(values, MARKET_PROBABILITY_MIN, MARKET_PROBABILITY_MAX)


def _market_cell_weights(K: int) -> np.ndarray:
    """(K, 200) share of market bucket j = [j/K, (j+1)/K] that lies in grid cell c = [c/200, (c+1)/200].

    In units of 1/(200 K) both partitions have integer edges (bucket j: [200 j, 200 (j+1)], cell c: [K c, K (c+1)]),
    so the overlaps are exact integers and each row sums to exactly 200 before the one division."""
    j = np.arange(K)[:, None]
    c = np.arange(IN_RANGE_BUCKETS)[None, :]
    overlap = np.minimum(200 * (j + 1), K * (c + 1)) - np.maximum(200 * j, K * c)
    return np.maximum(overlap, 0) / float(IN_RANGE_BUCKETS)


def market_cdfs(prices, *, open_lower: bool, open_upper: bool) -> np.ndarray:
    """A numeric market's bucket prices as scorable forecast CDFs, one per row (SCORING.md sections 3 and 4).

    ``prices`` is (M, K): the probabilities of the market's K equal buckets over the unit range (a row of NaN = no
    price). The rule, documented in docs/scoring.md ("The market scored like a forecaster"):

    1. Each bucket's price is spread uniformly over its width, so the market's own CDF is piecewise linear with the
       value sum(p_0..p_{j-1}) at edge j/K; the 200 grid cells get their masses from exact overlaps (no
       subtraction of nearly equal cumulative sums, which would turn a price of 1e-18 next to 0.9999 into 0).
       The market states nothing about outcomes beyond the range (its end buckets absorb them), so it puts no mass
       there of its own.
    2. It is then held to the rules every forecast obeys: a floor mass is mixed in, p' = f + (1 - sum f) p, with
       f = 1e-5 for each in-range cell and 0.001 for each open bound's tail (0 beyond a closed bound), each with a
       relative margin of 1e-6. The result passes ``forecasting.maths.cdf.validate_cdf`` for any prices, including
       prices of exactly 0 after float underflow, and no bucket is ever empty, so every log score is finite. The
       mixture moves at most 0.2% (closed bounds) to 0.4% (both open) of the market's mass.

    Returns an (M, 201) array; cdf[0] = 0 on a closed lower bound, cdf[200] = 1 on a closed upper bound.
    Raises ValueError for a row that is not a probability vector (negative, infinite, or summing to 0).
    """
    p = _float_array("prices", prices, allow_nan=True)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"prices: expected shape (M, K) with K >= 2 buckets, got {p.shape}")
    missing = np.isnan(p).any(axis=1)
    p = np.where(missing[:, None], 1.0, p)
    if (p < 0).any():
        raise ValueError("prices: bucket prices must be non-negative")
    total = p.sum(axis=1)
    if (total <= 0).any():
        raise ValueError("prices: every row needs a positive total")
    cells = (p / total[:, None]) @ _market_cell_weights(p.shape[1])  # (M, 200), rows sum to 1
    floor = np.full(PMF_SIZE, _MARKET_STEP_FLOOR)
    floor[0] = _MARKET_TAIL_FLOOR if open_lower else 0.0
    floor[-1] = _MARKET_TAIL_FLOOR if open_upper else 0.0
    pmf = np.zeros((p.shape[0], PMF_SIZE))
    pmf[:, 1:-1] = cells
    pmf = floor + (1.0 - floor.sum()) * pmf
    cdfs = np.cumsum(pmf[:, :GRID_SIZE], axis=1)
    if not open_lower:
        cdfs[:, 0] = 0.0
    if not open_upper:
        cdfs[:, -1] = 1.0
    cdfs[missing] = np.nan
    return cdfs
