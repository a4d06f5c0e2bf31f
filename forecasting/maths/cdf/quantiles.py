"""Parsing the quantiles a forecaster submits."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .grid import CdfError, MAX_QUANTILES, REQUIRED_LEVELS, _LEVEL_MATCH
from .validation import _describe, _fmt, _is_number


# ------------------------------------------------------------------------------------------------------------
# Quantiles -> CDF
# ------------------------------------------------------------------------------------------------------------
def _parse_level(key: Any) -> float:
    if isinstance(key, str):
        try:
            level = float(key.strip())
        except ValueError:
            raise CdfError(f"quantile levels must be probabilities such as 0.1 or 0.5, got {key!r}",
                           field="quantiles") from None
    elif _is_number(key):
        level = float(key)
    else:
        raise CdfError(f"quantile levels must be probabilities such as 0.1 or 0.5, got {_describe(key)}",
                       field="quantiles")
    if not (math.isfinite(level) and 0.0 < level < 1.0):
        raise CdfError(f"quantile levels must lie strictly between 0 and 1 (0.1 is the 10th percentile), "
                       f"got {key!r}", field="quantiles")
    return level


def _parse_quantiles(quantiles: Any) -> tuple[np.ndarray, np.ndarray]:
    """Levels and values sorted by level, checked for type, duplicates, required levels and monotonicity."""
    if not isinstance(quantiles, Mapping):
        raise CdfError('quantiles must map probability levels to values, e.g. {"0.1": 2.5, "0.5": 4, "0.9": 7}',
                       field="quantiles")
    if len(quantiles) > MAX_QUANTILES:
        raise CdfError(f"at most {MAX_QUANTILES} quantiles are allowed, got {len(quantiles)}", field="quantiles")
    pairs: list[tuple[float, float]] = []
    for key, value in quantiles.items():
        level = _parse_level(key)
        if not _is_number(value):
            raise CdfError(f"the {_fmt(level)} quantile must be a number, got {_describe(value)}",
                           field="quantiles")
        v = float(value)
        if not math.isfinite(v):
            raise CdfError(f"the {_fmt(level)} quantile must be a finite number, got {value!r}", field="quantiles")
        pairs.append((level, v))
    pairs.sort()
    levels = np.array([p for p, _ in pairs], dtype=np.float64)
    values = np.array([v for _, v in pairs], dtype=np.float64)
    for k in range(1, len(pairs)):
        if levels[k] - levels[k - 1] <= _LEVEL_MATCH:
            raise CdfError(f"the level {_fmt(levels[k])} is given twice", field="quantiles")
    missing = [r for r in REQUIRED_LEVELS if not np.any(np.abs(levels - r) <= _LEVEL_MATCH)]
    if missing:
        raise CdfError("quantiles must include at least the 0.1, 0.5 and 0.9 levels (10th, 50th and 90th "
                       f"percentiles); missing {', '.join(_fmt(m) for m in missing)}", field="quantiles")
    for k in range(1, len(pairs)):
        if not values[k] > values[k - 1]:
            raise CdfError(f"quantiles must increase with the level: the {_fmt(levels[k])} quantile "
                           f"({_fmt(values[k])}) must be greater than the {_fmt(levels[k - 1])} quantile "
                           f"({_fmt(values[k - 1])})", field="quantiles")
    return levels, values
