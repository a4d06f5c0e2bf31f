"""Scoring maths for binary and numeric questions (SCORING.md sections 1-4). Pure numpy, no Django.

Units and conventions used throughout:
- Times are POSIX seconds as floats. The scoring window is W = [t0, te), |W| = te - t0 > 0.
- A forecaster's forecasts are step functions, represented as *intervals* ``(forecaster, start, end, value)``
  with t0 <= start <= end <= te. ``build_intervals`` turns raw forecast rows into intervals.
- Forecasters are integer indices 0..n-1 chosen by the caller; every result array is indexed by them.
- A community (or market) series is a step function given as ``(times, values)``: ``values[k]`` applies from
  ``times[k]`` to ``times[k + 1]`` (the last one until te); before ``times[0]``, and wherever a value is NaN,
  there is no community forecast. Where there is none, the relative score compares nothing and adds 0.

Every kernel is vectorised (sorts, cumulative sums, ``searchsorted``, ``bincount``): O(M log M) for M intervals,
no Python loop over forecasters or intervals. See docs/scoring.md for the choices made and why.
"""
from .kernel import (
    GRID_SIZE,
    IN_RANGE_BUCKETS,
    PMF_SIZE,
    OUT_OF_RANGE_BASE,
    Intervals,
    ForecasterScores,
    SeriesScores,
    build_intervals,
)
from .binary import brier, score_binary, score_binary_series
from .numeric import (
    unit_position,
    numeric_bucket,
    numeric_pmf,
    numeric_baseline_mass,
    crps_unit,
    score_numeric,
    score_numeric_series,
)
from .market import MARKET_PROBABILITY_MIN, MARKET_PROBABILITY_MAX, market_probabilities, market_cdfs
from .choice import (
    baseline_choice, brier_multi, market_choice_probabilities, score_choice, score_choice_series,
)

__all__ = [
    "GRID_SIZE",
    "IN_RANGE_BUCKETS",
    "PMF_SIZE",
    "OUT_OF_RANGE_BASE",
    "Intervals",
    "ForecasterScores",
    "SeriesScores",
    "build_intervals",
    "brier",
    "score_binary",
    "score_binary_series",
    "unit_position",
    "numeric_bucket",
    "numeric_pmf",
    "numeric_baseline_mass",
    "crps_unit",
    "score_numeric",
    "score_numeric_series",
    "MARKET_PROBABILITY_MIN",
    "MARKET_PROBABILITY_MAX",
    "market_probabilities",
    "market_cdfs",
    "baseline_choice",
    "brier_multi",
    "market_choice_probabilities",
    "score_choice",
    "score_choice_series",
]
