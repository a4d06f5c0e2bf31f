"""The community forecast (SCORING.md section 4): recency weights, weighted median, extremized log-odds mean,
mean of CDFs, and an incremental per-question set of active forecasts.

Pure maths: imports numpy and the standard library only, never Django.

Conventions used throughout:
- "oldest first": forecasts are ordered by the time the forecaster's latest active forecast was made, index
  n = 1 (oldest) ... N (newest). Recency weights are w_n = exp(sqrt(n) - sqrt(N)), all ones when N <= 2.
- Binary values are probabilities strictly inside (0, 1) (the API accepts [0.001, 0.999]).
- Numeric values are CDFs on the 201-point unit grid (see ``forecasting.maths.cdf``).
- Ties among equal values in the weighted median are broken by the stable order: equal values keep their
  oldest-first order. The median itself does not depend on that choice (equal values are equal); fixing it only
  makes the floating-point running sum, and therefore the result, bit-for-bit reproducible.
"""
from .weights import Kind, DEFAULT_EXTREMIZATION, MEDIAN_RTOL, recency_weights, weighted_median
from .binary import binary_median, binary_extremized
from .numeric import numeric_mean
from .active_set import ActiveSet
from .replay import Event, replay, replay_incremental
from .choice import ChoiceActiveSet, choice_aggregate

__all__ = [
    "DEFAULT_EXTREMIZATION",
    "MEDIAN_RTOL",
    "ActiveSet",
    "ChoiceActiveSet",
    "choice_aggregate",
    "binary_extremized",
    "binary_median",
    "numeric_mean",
    "recency_weights",
    "replay",
    "replay_incremental",
    "weighted_median",
]
