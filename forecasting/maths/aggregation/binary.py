"""Binary aggregates: the recency-weighted median and the extremized log-odds mean."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .weights import DEFAULT_EXTREMIZATION, recency_weights, weighted_median


def _logit(p: np.ndarray) -> np.ndarray:
    # One log instead of log(p) - log1p(-p): half the cost, and 1 - p loses nothing that matters for p in (0, 1).
    return np.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    # Two branches so exp never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _check_probabilities(p: np.ndarray) -> None:
    if p.ndim != 1 or p.shape[0] == 0:
        raise ValueError(f"expected a non-empty 1-D array of probabilities, got shape {p.shape}")
    if not np.all((p > 0.0) & (p < 1.0)):  # also rejects NaN
        raise ValueError("probabilities must lie strictly between 0 and 1")


def _extremized_unchecked(p: np.ndarray, w: np.ndarray, a: float) -> float:
    z = float(np.dot(w, _logit(p))) / float(np.sum(w))
    return _sigmoid(a * z)


def binary_median(values_oldest_first: Any) -> float:
    """Community median: the recency-weighted median of the latest active probabilities, ordered oldest first.

    Raises ValueError on an empty input or values outside (0, 1).
    """
    p = np.asarray(values_oldest_first, dtype=np.float64)
    _check_probabilities(p)
    return weighted_median(p, recency_weights(p.shape[0]))


def binary_extremized(values_oldest_first: Any, a: float = DEFAULT_EXTREMIZATION) -> float:
    """Extremized recency-weighted mean of log-odds: sigmoid(a * sum(w_n logit p_n) / S).

    ``values_oldest_first`` are probabilities strictly inside (0, 1); ``a`` is the extremization factor
    (1 = plain log-odds mean; SCORING.md default 1.5). logit is computed as log(p / (1 - p)) and the sigmoid
    in the branch that cannot overflow. Raises ValueError on empty input, values outside (0, 1) or a bad ``a``.
    """
    if not (isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a)):
        raise ValueError(f"extremization factor a must be a finite number, got {a!r}")
    p = np.asarray(values_oldest_first, dtype=np.float64)
    _check_probabilities(p)
    return _extremized_unchecked(p, recency_weights(p.shape[0]), float(a))
