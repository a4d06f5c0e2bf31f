"""Recency weights and the weighted median shared by every aggregate."""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Literal

import numpy as np


Kind = Literal["binary", "numeric"]

DEFAULT_EXTREMIZATION = 1.5
MEDIAN_RTOL = 1e-9


# --------------------------------------------------------------------------------------------------------------
# Weights and aggregates
# --------------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _recency_weights_cached(n: int) -> np.ndarray:
    if n <= 2:
        w = np.ones(n, dtype=np.float64)
    else:
        k = np.arange(1, n + 1, dtype=np.float64)
        w = np.exp(np.sqrt(k) - math.sqrt(n))
    w.flags.writeable = False  # shared by every caller through the cache
    return w


def recency_weights(n: int) -> np.ndarray:
    """Recency weights for ``n`` forecasts ordered oldest first: w_k = exp(sqrt(k) - sqrt(n)), k = 1..n.

    All weights are 1 when n <= 2; the newest weight is always 1. Returns a read-only float64 array of shape (n,)
    (cached, so the caller must not modify it). Raises ValueError when n is negative or not an int.
    Weights of very old forecasts underflow to 0.0 only past n ~ 555,000 (sqrt(n) - 1 > 745), which is harmless.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n must be an integer, got {n!r}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return _recency_weights_cached(int(n))


def _median_of_sorted(sorted_values: np.ndarray, sorted_weights: np.ndarray, rtol: float) -> float:
    """Weighted median of values already sorted ascending (SCORING.md section 4).

    S is taken as the last running sum, so that C_N == S holds exactly and the search always ends. The running
    sums never decrease, so the first C_i that is > S/2 or within ``rtol`` of S/2 is found by binary search: it is
    the first C_i >= S/2 * (1 - rtol).
    """
    c = np.cumsum(sorted_weights)
    half = float(c[-1]) / 2.0
    i = int(np.searchsorted(c, half * (1.0 - rtol), side="left"))
    while True:  # at most two rounds; the loop only guards against rounding in half * (1 - rtol)
        ci = float(c[i])
        # "C_i equals S/2 within relative tolerance rtol", relative to S/2 (math.isclose semantics).
        if abs(ci - half) <= rtol * max(ci, half):
            if i + 1 < c.shape[0]:
                return float((sorted_values[i] + sorted_values[i + 1]) / 2.0)
            return float(sorted_values[i])
        if ci > half:
            return float(sorted_values[i])
        i += 1


def weighted_median(values: Any, weights: Any, rtol: float = MEDIAN_RTOL) -> float:
    """Weighted median, exactly as SCORING.md section 4 defines it.

    Sort the values ascending with their weights (stable: equal values keep their input order), S = sum of weights,
    C_i = running sum. The result is v_i for the smallest i with C_i > S/2; if that first C_i reaching S/2 equals
    S/2 within relative tolerance ``rtol`` (|C_i - S/2| <= rtol * max(C_i, S/2)), the result is (v_i + v_{i+1})/2.
    With equal weights this is the ordinary median (``np.median``).

    Preconditions: 1-D, same length >= 1, finite values, finite non-negative weights with a positive sum.
    Raises ValueError otherwise.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if v.ndim != 1 or w.ndim != 1 or v.shape != w.shape:
        raise ValueError(f"values and weights must be 1-D of the same length, got shapes {v.shape} and {w.shape}")
    if v.shape[0] == 0:
        raise ValueError("weighted_median needs at least one value")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be finite, non-negative and have a positive sum")
    order = np.argsort(v, kind="stable")
    return _median_of_sorted(v[order], w[order], rtol)
