"""Base rates from a sample of past values (pure numpy, no Django): the base-rate reference forecaster's forecast
of a magnitude question from the platform's own earlier readouts of the same metric (docs/scoring.md).

- ``empirical_probability``: the share of past values that satisfy the question's comparison, with a half count
  added on each side (Jeffreys' prior: (k + 1/2) / (n + 1)), so a sample of five never says 0 or 1.
- ``empirical_cdf``: a smoothed empirical distribution on the question's 201-point unit grid: a mixture of logistic
  kernels centred on each past value (bandwidth by Silverman's rule, at least 0.03 of the range), renormalised to
  the question's closed bounds, mixed with 1% of a uniform so every step is >= 5e-5, and held within the open-bound
  limits [0.001, 0.999]. Always valid by ``forecasting.maths.cdf.validate_cdf``.
"""
from __future__ import annotations

import numpy as np

from forecasting.maths.cdf import GRID_SIZE, OPEN_BOUND_MAX, OPEN_BOUND_MIN, validate_cdf

UNIFORM_SHARE = 0.01
MIN_BANDWIDTH = 0.03


def empirical_probability(satisfied) -> float:
    """(k + 1/2) / (n + 1) for a boolean sample with k True; clipped to [0.001, 0.999]. Needs n >= 1."""
    s = np.asarray(satisfied, dtype=bool).reshape(-1)
    if s.size == 0:
        raise ValueError("satisfied: an empty sample has no base rate")
    return float(np.clip((s.sum() + 0.5) / (s.size + 1), 0.001, 0.999))


def empirical_cdf(unit_values, *, open_lower: bool, open_upper: bool) -> np.ndarray:
    """The smoothed empirical CDF of ``unit_values`` (sample positions on the unit scale; values beyond [0, 1] are
    allowed and put mass beyond the bounds) as a valid (201,) CDF. Raises ValueError for an empty or non-finite
    sample."""
    u = np.asarray(unit_values, dtype=np.float64).reshape(-1)
    if u.size == 0 or not np.all(np.isfinite(u)):
        raise ValueError("unit_values: need at least one finite value")
    spread = float(np.std(u)) if u.size > 1 else 0.0
    h = max(MIN_BANDWIDTH, 1.06 * spread * u.size ** -0.2)
    grid = np.linspace(0.0, 1.0, GRID_SIZE)
    # logistic kernel with standard deviation h: scale s = h * sqrt(3) / pi
    s = h * np.sqrt(3.0) / np.pi
    z = np.clip((grid[:, None] - u[None, :]) / s, -700, 700)
    f = (1.0 / (1.0 + np.exp(-z))).mean(axis=1)
    lo, hi = f[0], f[-1]
    if not open_lower:
        f = f - lo
        hi = hi - lo
    if not open_upper:
        f = f / hi if hi > 0 else grid.copy()
    f = (1.0 - UNIFORM_SHARE) * f + UNIFORM_SHARE * _uniform(grid, open_lower=open_lower, open_upper=open_upper)
    if open_lower:
        f = np.maximum(f, OPEN_BOUND_MIN + UNIFORM_SHARE * (grid - grid[0]))
    if open_upper:
        f = np.minimum(f, OPEN_BOUND_MAX - UNIFORM_SHARE * (grid[-1] - grid))
    f = np.maximum.accumulate(f)
    if not open_lower:
        f[0] = 0.0
    if not open_upper:
        f[-1] = 1.0
    return validate_cdf(f, open_lower=open_lower, open_upper=open_upper)


def _uniform(grid: np.ndarray, *, open_lower: bool, open_upper: bool) -> np.ndarray:
    lo = OPEN_BOUND_MIN if open_lower else 0.0
    hi = OPEN_BOUND_MAX if open_upper else 1.0
    return lo + (hi - lo) * grid
