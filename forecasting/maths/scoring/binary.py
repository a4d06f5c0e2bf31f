"""Binary questions: the Brier score of forecasters and of the community aggregates (SCORING.md section 2)."""
from __future__ import annotations

import numpy as np

from .kernel import (
    ForecasterScores, SeriesScores, _LN2, _StepIntegral, _check_intervals, _check_outcome, _check_probabilities,
    _check_window, _float_array, _score_kernel, _series_intervals, _series_result,
)


# ---------------------------------------------------------------------------------------------------------------
# Section 2: binary questions
# ---------------------------------------------------------------------------------------------------------------


def brier(p, outcome: int) -> np.ndarray:
    """Brier score (p - o)^2 on the 0-1 scale. Good Judgment Open's two-category Brier is exactly twice this."""
    return (np.asarray(p, dtype=np.float64) - _check_outcome(outcome)) ** 2


def _binary_community(community_times, community_values, outcome: int, t0: float, te: float) -> _StepIntegral:
    times = _float_array("community_times", community_times)
    values = _float_array("community_values", community_values, allow_nan=True)
    if times.shape != values.shape or times.ndim != 1:
        raise ValueError("community_times and community_values must be 1-d arrays of the same length")
    if ((values < 0) | (values > 1)).any():
        raise ValueError("community_values must lie in [0, 1] (NaN where there is no community forecast)")
    return _StepIntegral(times - t0, (values - outcome) ** 2, te - t0)


def score_binary(
    forecaster, start, end, p, *, outcome: int, t0: float, te: float, community_times, community_values,
    n_forecasters: int | None = None, check_overlap: bool = True,
) -> ForecasterScores:
    """Score binary forecast intervals (SCORING.md section 2).

    Args:
        forecaster, start, end, p: one entry per interval; t0 <= start <= end <= te (seconds); p in (0, 1).
        outcome: 1 (yes) or 0 (no).
        t0, te: W = [t0, te); te is the actual close time min(Tc, known_at).
        community_times, community_values: the community step function (NaN = no community forecast).
        n_forecasters: length of the result arrays (default: largest index + 1).
        check_overlap: verify that no forecaster has two overlapping intervals (one O(M log M) sort).

    Returns:
        ForecasterScores with loss = time-averaged Brier, baseline = 100 (log2 p_o + 1), peer = 100 n/(n-1) ln(p/GM).

    Raises:
        ValueError: naming the field for malformed input.
    """
    t0, te = _check_window(t0, te)
    o = _check_outcome(outcome)
    forecaster, start, end = _check_intervals(forecaster, start, end, t0, te, check_overlap)
    p = _float_array("p", p)
    if p.shape != start.shape:
        raise ValueError(f"p must have one value per interval ({start.size}), got shape {p.shape}")
    _check_probabilities("p", p)
    log_p = np.log(p if o == 1 else 1.0 - p)
    return _score_kernel(
        forecaster, start, end, (p - o) ** 2, log_p, t0=t0, te=te,
        community=_binary_community(community_times, community_values, o, t0, te),
        log_base=np.log(0.5), baseline_scale=100.0 / _LN2, peer_scale=100.0, n_forecasters=n_forecasters,
    )


def score_binary_series(
    times, values, *, outcome: int, t0: float, te: float, community_times=None, community_values=None,
) -> SeriesScores:
    """Score one binary step function (community, extremized aggregate, market price) like a forecaster.

    ``values[k]`` in (0, 1) applies from ``times[k]`` to ``times[k + 1]`` (the last until te), NaN = no forecast.
    Times before t0 are clipped to t0; times at or after te score nothing. ``relative`` is computed against the
    given community series, else NaN.
    """
    t0, te = _check_window(t0, te)
    o = _check_outcome(outcome)
    values = _float_array("values", values, allow_nan=True)
    defined = ~np.isnan(values)
    if np.shape(times) != values.shape or values.ndim != 1:
        raise ValueError("times and values must be 1-d arrays of the same length")
    _check_probabilities("values", np.where(defined, values, 0.5))
    rows, start, end = _series_intervals(times, t0, te, defined)
    p = values[rows]
    community = None
    if community_times is not None:
        community = _binary_community(community_times, community_values, o, t0, te)
    scores = _score_kernel(
        np.zeros(rows.size, dtype=np.int64), start, end, (p - o) ** 2, np.log(p if o == 1 else 1.0 - p),
        t0=t0, te=te, community=community, log_base=np.log(0.5), baseline_scale=100.0 / _LN2, peer_scale=100.0,
        n_forecasters=1,
    )
    return _series_result(scores)
