"""The unit grid of numeric forecasts: its constants, the error type, and the mapping between question units and
[0, 1]."""
from __future__ import annotations

import math
from typing import Any

import numpy as np


GRID_SIZE = 201
N_CELLS = GRID_SIZE - 1
CELL_WIDTH = 1.0 / N_CELLS
MIN_STEP = 1e-5
OPEN_BOUND_MIN = 0.001  # cdf[0] >= this when the lower bound is open
OPEN_BOUND_MAX = 0.999  # cdf[200] <= this when the upper bound is open
REQUIRED_LEVELS = (0.1, 0.5, 0.9)
# How a quantile at or beyond an open bound is reported: the bound's value plus one of these markers.
BELOW = "below"
ABOVE = "above"
MAX_QUANTILES = 100

# u_j = j/200, each exactly the correctly rounded double (linspace can be off by an ulp).
UNIT_GRID = np.arange(GRID_SIZE, dtype=np.float64) / N_CELLS
UNIT_GRID.flags.writeable = False

# Validation forgives float noise of 1e-14 on a step, so a user's cdf built as 0.001 + j * 1e-5 is not rejected
# for an ulp; and snaps cdf[0]/cdf[200] within 1e-12 of 0/1 to exactly 0/1 on closed bounds.
_STEP_SLACK = 1e-14
_END_SNAP = 1e-12
# Construction keeps a margin above the minimum step so rounding in cumulative sums can never break validation.
_BUILD_STEP = MIN_STEP * (1.0 + 1e-6)
# Quantiles within 1e-9 grid cells (5e-12 in unit space) of a grid point are treated as lying on it.
_GRID_SNAP = 1e-9
_LEVEL_MATCH = 1e-9
_FEAS_TOL = 1e-12


class CdfError(ValueError):
    """A CDF or quantile input broke a rule. ``message`` is for the user; ``field`` names the input at fault
    ("cdf" or "quantiles"). Services map it to the domain ValidationError (HTTP 400)."""

    def __init__(self, message: str, field: str = "cdf"):
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------------------------------------
# Unit mapping
# ------------------------------------------------------------------------------------------------------------
def _check_range(range_min: float, range_max: float, log_scale: bool) -> tuple[float, float]:
    lo, hi = float(range_min), float(range_max)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise ValueError(f"range_min must be less than range_max (both finite), got {range_min!r}, {range_max!r}")
    if log_scale and lo <= 0:
        raise ValueError(f"a log-scale question needs range_min > 0, got {range_min!r}")
    return lo, hi


def to_unit(x: Any, *, range_min: float, range_max: float, log_scale: bool) -> Any:
    """Map values in the question's units to unit positions: (x - min)/(max - min), or with ``log_scale``
    (ln x - ln min)/(ln max - ln min). Vectorized: a scalar gives a float, an array an array. Values outside
    the range map outside [0, 1]. Raises ValueError for a bad range or, on a log scale, x <= 0."""
    lo, hi = _check_range(range_min, range_max, log_scale)
    arr = np.asarray(x, dtype=np.float64)
    if log_scale:
        if np.any(~(arr > 0)):
            raise ValueError("on a log scale every value must be positive")
        llo = math.log(lo)
        u = (np.log(arr) - llo) / (math.log(hi) - llo)
    else:
        u = (arr - lo) / (hi - lo)
    return float(u) if u.ndim == 0 else u


def from_unit(u: Any, *, range_min: float, range_max: float, log_scale: bool) -> Any:
    """Inverse of ``to_unit``: min + u (max - min), or exp(ln min + u (ln max - ln min)) on a log scale."""
    lo, hi = _check_range(range_min, range_max, log_scale)
    arr = np.asarray(u, dtype=np.float64)
    if log_scale:
        llo = math.log(lo)
        x = np.exp(llo + arr * (math.log(hi) - llo))
    else:
        x = lo + arr * (hi - lo)
    return float(x) if x.ndim == 0 else x
