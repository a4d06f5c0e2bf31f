"""Reading a CDF: quantiles, in-range quantiles, PMF and the display density."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .grid import ABOVE, BELOW, GRID_SIZE, N_CELLS, UNIT_GRID, _check_range, from_unit


# ------------------------------------------------------------------------------------------------------------
# Reading a CDF
# ------------------------------------------------------------------------------------------------------------
def cdf_quantile(cdf: Any, p: Any) -> Any:
    """Unit position u where the piecewise-linear CDF reaches level ``p`` (inverse CDF), vectorized over ``p``.

    Precondition: ``cdf`` is valid (strictly increasing). Levels below cdf[0] lie below the range and give -inf;
    levels above cdf[200] give +inf (only possible with open bounds). Raises ValueError for p outside [0, 1].
    This is unit space only: to report quantiles in the question's units use ``cdf_quantiles_in_range``, never
    ``from_unit`` on this result (it would give ±inf, or 0.0 on a log scale).
    """
    c = np.asarray(cdf, dtype=np.float64)
    q = np.asarray(p, dtype=np.float64)
    if c.shape != (GRID_SIZE,):
        raise ValueError(f"cdf must have shape ({GRID_SIZE},), got {c.shape}")
    if np.any(~((q >= 0) & (q <= 1))):
        raise ValueError("levels must lie in [0, 1]")
    u = np.interp(q, c, UNIT_GRID)
    u = np.where(q < c[0], -np.inf, np.where(q > c[-1], np.inf, u))
    return float(u) if u.ndim == 0 else u


def cdf_quantiles_in_range(cdf: Any, p: Any, *, range_min: float, range_max: float, log_scale: bool,
                           open_lower: bool, open_upper: bool) -> tuple[np.ndarray, list[str | None]]:
    """The ``p``-quantiles of a CDF in the question's units as they are reported: ``(values, beyond)``.

    ``values`` is a float64 array shaped like ``p`` (a 1-D array for a scalar), every entry finite and within
    [range_min, range_max]. ``beyond[i]`` is ``BELOW`` when the p_i-quantile lies at or below range_min on an open
    lower side (p_i <= cdf[0]); ``values[i]`` is then exactly range_min. Mirrored: ``ABOVE`` and exactly range_max
    when p_i >= cdf[200] on an open upper side. Otherwise ``beyond[i]`` is None and ``values[i]`` is the quantile,
    kept strictly inside an open bound (one ulp in, should rounding land it on the bound), so that a reported value
    equals an open bound exactly when it is flagged; ``quantile_in_range`` relies on that to re-derive the marker
    from a stored value.

    Precondition: ``cdf`` is a valid CDF (``validate_cdf``) for a question with these bounds. Raises ValueError for
    a malformed range, a CDF of the wrong shape or with non-finite values, or p outside [0, 1].
    """
    lo, hi = _check_range(range_min, range_max, log_scale)
    c = np.asarray(cdf, dtype=np.float64)
    if c.shape != (GRID_SIZE,) or not np.all(np.isfinite(c)):
        raise ValueError(f"cdf must be {GRID_SIZE} finite numbers")
    q = np.atleast_1d(np.asarray(p, dtype=np.float64))
    if np.any(~((q >= 0) & (q <= 1))):
        raise ValueError("levels must lie in [0, 1]")
    u = np.interp(q, c, UNIT_GRID)  # 0 for q <= cdf[0], 1 for q >= cdf[200]
    below = (q <= c[0]) if open_lower else np.zeros(q.shape, dtype=bool)
    above = ((q >= c[-1]) & ~below) if open_upper else np.zeros(q.shape, dtype=bool)
    x = np.clip(np.asarray(from_unit(np.clip(u, 0.0, 1.0), range_min=lo, range_max=hi, log_scale=log_scale),
                           dtype=np.float64).reshape(q.shape), lo, hi)
    inside = ~(below | above)
    if open_lower:
        x = np.where(inside & (x <= lo), np.nextafter(lo, hi), x)
    if open_upper:
        x = np.where(inside & (x >= hi), np.nextafter(hi, lo), x)
    x = np.where(below, lo, np.where(above, hi, x))
    beyond = [BELOW if b else ABOVE if a else None for b, a in zip(below.tolist(), above.tolist())]
    return x, beyond


def quantile_in_range(x: Any, *, range_min: float, range_max: float, open_lower: bool,
                      open_upper: bool) -> tuple[float | None, str | None]:
    """A stored quantile value as it is reported: ``(value, beyond)``, the same representation as
    ``cdf_quantiles_in_range``.

    Copes with values written by older code, which stored a quantile beyond an open bound as -inf/+inf (and, on a
    log scale, the lower one as 0.0): a value at or below range_min on an open lower side gives
    ``(range_min, BELOW)``, at or above range_max on an open upper side ``(range_max, ABOVE)``; any other value is
    clipped into [range_min, range_max] with ``beyond`` None. None and NaN give ``(None, None)``.
    """
    if x is None:
        return None, None
    value = float(x)
    if math.isnan(value):
        return None, None
    lo, hi = float(range_min), float(range_max)
    if open_lower and value <= lo:
        return lo, BELOW
    if open_upper and value >= hi:
        return hi, ABOVE
    return min(max(value, lo), hi), None


def cdf_pmf(cdf: Any) -> np.ndarray:
    """Bucket masses, shape (202,): [P(below range), 200 in-range cells, P(above range)]; they sum to 1."""
    c = np.asarray(cdf, dtype=np.float64)
    if c.shape != (GRID_SIZE,):
        raise ValueError(f"cdf must have shape ({GRID_SIZE},), got {c.shape}")
    return np.concatenate(([c[0]], np.diff(c), [1.0 - c[-1]]))


def cdf_pdf_for_display(cdf: Any, *, range_min: float, range_max: float,
                        log_scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """Points for a density chart: (x at the 200 cell midpoints in the question's units, density per unit of u).

    The density is taken with respect to the unit position u (mass of the cell * 200), so on the question's own
    axis (linear, or logarithmic when ``log_scale``) the area under the curve is the in-range probability and the
    shape is what the forecaster sees. Midpoints are arithmetic in u, hence geometric in x on a log scale.
    """
    c = np.asarray(cdf, dtype=np.float64)
    if c.shape != (GRID_SIZE,):
        raise ValueError(f"cdf must have shape ({GRID_SIZE},), got {c.shape}")
    mids = (UNIT_GRID[:-1] + UNIT_GRID[1:]) / 2.0
    x = from_unit(mids, range_min=range_min, range_max=range_max, log_scale=log_scale)
    return np.asarray(x), np.diff(c) * N_CELLS
