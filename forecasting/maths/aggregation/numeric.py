"""Numeric aggregates: the recency-weighted mean CDF."""
from __future__ import annotations

from typing import Any

import numpy as np

from .weights import recency_weights


def numeric_mean(cdfs_oldest_first: Any) -> np.ndarray:
    """Recency-weighted mean of CDFs: sum(w_n * cdf_n) / S, shape (K,) for input of shape (N, K) (K = 201 here).

    A convex combination of valid CDFs is a valid CDF (steps and bounds are preserved up to rounding).
    Raises ValueError on an empty or non-2-D input or non-finite values.
    """
    c = np.asarray(cdfs_oldest_first, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] == 0:
        raise ValueError(f"expected an (N, K) array of CDFs with N >= 1, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("CDF values must be finite")
    return _numeric_mean_unchecked(c)


def _numeric_mean_unchecked(c: np.ndarray) -> np.ndarray:
    w = recency_weights(c.shape[0])
    return (w @ c) / float(np.sum(w))
