"""Validating a submitted CDF on the unit grid."""
from __future__ import annotations

import numbers
from decimal import Decimal
from typing import Any

import numpy as np

from .grid import CdfError, GRID_SIZE, MIN_STEP, N_CELLS, OPEN_BOUND_MAX, OPEN_BOUND_MIN, _END_SNAP, _STEP_SLACK


# ------------------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------------------
def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _describe(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return f"the boolean {x!r}"
    if isinstance(x, str):
        return f"the text {x!r}"
    if isinstance(x, (list, tuple, dict)):
        return f"a {type(x).__name__}"
    if x is None:
        return "null"
    return f"a {type(x).__name__}"


def _is_number(x: Any) -> bool:
    return (isinstance(x, (numbers.Real, Decimal)) and not isinstance(x, (bool, np.bool_)))


def validate_cdf(cdf: Any, *, open_lower: bool, open_upper: bool) -> np.ndarray:
    """Check a submitted CDF and return it as a new float64 array of shape (201,).

    Accepts a list/tuple of 201 numbers (int or float; bools, strings, None and nested lists are rejected) or a
    1-D numeric numpy array. Rules: all finite; cdf[0] = 0 when the lower bound is closed, otherwise
    cdf[0] >= 0.001; cdf[200] = 1 when the upper bound is closed, otherwise cdf[200] <= 0.999; every step
    cdf[j] - cdf[j-1] >= 1e-5 (float slack of 1e-14 forgiven). On closed bounds values within 1e-12 of 0 or 1 are
    snapped to exactly 0 or 1. Raises CdfError(field="cdf") naming the first broken rule.
    """
    if isinstance(cdf, np.ndarray):
        if cdf.ndim != 1 or cdf.dtype.kind not in "iuf":
            raise CdfError(f"cdf must be a flat list of {GRID_SIZE} numbers")
        if cdf.shape[0] != GRID_SIZE:
            raise CdfError(f"cdf must have exactly {GRID_SIZE} values, got {cdf.shape[0]}")
        arr = cdf.astype(np.float64)  # always a copy
    elif isinstance(cdf, (list, tuple)):
        if len(cdf) != GRID_SIZE:
            raise CdfError(f"cdf must have exactly {GRID_SIZE} values, got {len(cdf)}")
        for i, x in enumerate(cdf):
            # Exact type test first: JSON gives float/int, and the ABC check is ~10x slower.
            if type(x) is not float and type(x) is not int and not _is_number(x):
                raise CdfError(f"cdf[{i}] must be a number, got {_describe(x)}")
        arr = np.array([float(x) for x in cdf], dtype=np.float64)
    else:
        raise CdfError(f"cdf must be a list of {GRID_SIZE} numbers, got {_describe(cdf)}")

    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.shape[0]:
        i = int(bad[0])
        raise CdfError(f"cdf[{i}] must be a finite number, got {float(arr[i])!r}")

    last = N_CELLS
    if open_lower:
        if not arr[0] >= OPEN_BOUND_MIN:
            raise CdfError(f"cdf[0] must be at least {_fmt(OPEN_BOUND_MIN)} because the lower bound is open "
                           f"(got {_fmt(arr[0])})")
    else:
        if abs(arr[0]) > _END_SNAP:
            raise CdfError(f"cdf[0] must be 0 because the lower bound is closed (got {_fmt(arr[0])})")
        arr[0] = 0.0
    if open_upper:
        if not arr[last] <= OPEN_BOUND_MAX:
            raise CdfError(f"cdf[{last}] must be at most {_fmt(OPEN_BOUND_MAX)} because the upper bound is open "
                           f"(got {_fmt(arr[last])})")
    else:
        if abs(arr[last] - 1.0) > _END_SNAP:
            raise CdfError(f"cdf[{last}] must be 1 because the upper bound is closed (got {_fmt(arr[last])})")
        arr[last] = 1.0

    steps = np.diff(arr)
    low = np.flatnonzero(steps < MIN_STEP - _STEP_SLACK)
    if low.shape[0]:
        j = int(low[0]) + 1
        raise CdfError(f"cdf must be non-decreasing with every step at least {MIN_STEP:g} "
                       f"(step {j}, cdf[{j}] - cdf[{j - 1}], is {steps[j - 1]:.6g})")
    return arr
