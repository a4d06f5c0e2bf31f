"""Multiple-choice questions: multi-category Brier, log baseline and peer scores on the chosen option
(docs/scoring.md, "Multiple-choice questions").

A forecast is a vector p = (p_1 ... p_K), K = 2..20 options, each in (0, 1), summing to 1; the outcome is the index
c of the option that happened (0-based), o_k = 1 if k = c else 0.

- Multi-category Brier: b(p, c) = sum_k (p_k - o_k)^2, on 0..2 (lower is better). Binary Brier as Readout defines it
  is on 0..1; this one sums over every option, so a binary question scored this way would score exactly double.
- Baseline (log) score: 100 * (ln p_c - ln(1/K)) / ln K; 0 for the uniform forecast, 100 for certainty on c. With
  K = 2 it is Readout's binary baseline 100 * (log2 p_o + 1).
- Peer score: 100 * n/(n-1) * ln(p_c,i / GM) at each instant with n >= 2 active forecasters, GM the geometric mean of
  p_c over them (SCORING.md section 2, on the chosen option's probability).

All three are time-averaged over W exactly as binary scores are (the shared kernel). Pure numpy, no Django.
"""
from __future__ import annotations

import numpy as np

from .kernel import (
    ForecasterScores, SeriesScores, _StepIntegral, _check_intervals, _check_window, _float_array, _score_kernel,
    _series_intervals, _series_result,
)
from .market import MARKET_PROBABILITY_MIN

SUM_TOLERANCE = 1e-6  # a forecast's probabilities must sum to 1 within this


def _check_choice(outcome, k: int) -> int:
    if isinstance(outcome, (bool, str, bytes)) or not isinstance(outcome, (int, np.integer)) or not 0 <= outcome < k:
        raise ValueError(f"outcome: must be an option index from 0 to {k - 1}, got {outcome!r}")
    return int(outcome)


def _check_vectors(name: str, p: np.ndarray, *, allow_nan_rows: bool = False) -> np.ndarray:
    """Rows that are defined (no NaN); raises ValueError for a row outside (0, 1) or not summing to 1."""
    if p.ndim != 2 or not 2 <= p.shape[1] <= 20:
        raise ValueError(f"{name}: expected an (M, K) array with 2 <= K <= 20, got shape {p.shape}")
    defined = ~np.isnan(p).any(axis=1) if allow_nan_rows else np.ones(p.shape[0], dtype=bool)
    q = p[defined]
    bad = ((q <= 0.0) | (q >= 1.0)).any(axis=1) | (np.abs(q.sum(axis=1) - 1.0) > SUM_TOLERANCE)
    if bad.any():
        row = int(np.flatnonzero(defined)[np.flatnonzero(bad)[0]])
        raise ValueError(f"{name}[{row}] = {p[row].tolist()!r}; each probability must lie strictly between 0 and 1 "
                         f"and the row must sum to 1 (within {SUM_TOLERANCE:g})")
    return defined


def brier_multi(p, outcome: int) -> np.ndarray:
    """Multi-category Brier sum_k (p_k - o_k)^2 of each row of ``p`` ((M, K) or (K,)), on 0..2."""
    p = np.asarray(p, dtype=np.float64)
    c = _check_choice(outcome, p.shape[-1])
    o = np.zeros(p.shape[-1])
    o[c] = 1.0
    return ((p - o) ** 2).sum(axis=-1)


def baseline_choice(p_chosen, k: int) -> np.ndarray:
    """100 * (ln p_c - ln(1/K)) / ln K, the instantaneous baseline score of probability ``p_chosen`` on the option
    that happened."""
    return 100.0 * (np.log(np.asarray(p_chosen, dtype=np.float64)) + np.log(k)) / np.log(k)


def _community(community_times, community_values, outcome: int, t0: float, te: float, k: int) -> _StepIntegral:
    times = _float_array("community_times", community_times)
    values = _float_array("community_values", community_values, allow_nan=True).reshape(-1, k)
    if times.ndim != 1 or times.shape[0] != values.shape[0]:
        raise ValueError("community_times and community_values must have one row per time")
    defined = ~np.isnan(values).any(axis=1)
    if ((values[defined] < 0) | (values[defined] > 1)).any():
        raise ValueError("community_values must lie in [0, 1] (rows of NaN where there is no community forecast)")
    loss = np.full(times.shape[0], np.nan)
    loss[defined] = brier_multi(values[defined], outcome)
    return _StepIntegral(times - t0, loss, te - t0)


def score_choice(
    forecaster, start, end, p, *, outcome: int, t0: float, te: float, community_times, community_values,
    n_forecasters: int | None = None, check_overlap: bool = True,
) -> ForecasterScores:
    """Score multiple-choice forecast intervals.

    Args:
        forecaster, start, end: one entry per interval; t0 <= start <= end <= te (seconds).
        p: (M, K) option probabilities of each interval's forecast, rows in (0, 1) summing to 1.
        outcome: the index of the option that happened.
        community_times, community_values: the community step function, values (C, K), a NaN row = none.

    Returns ForecasterScores: loss = time-averaged multi-category Brier (0..2), relative = against the community,
    baseline = 100 (ln p_c - ln(1/K)) / ln K and peer = 100 n/(n-1) ln(p_c / GM), both time-averaged over W.
    Raises ValueError naming the field for malformed input.
    """
    t0, te = _check_window(t0, te)
    forecaster, start, end = _check_intervals(forecaster, start, end, t0, te, check_overlap)
    p = _float_array("p", p)
    if p.ndim != 2 or p.shape[0] != start.shape[0]:
        raise ValueError(f"p must be (M, K) with one row per interval ({start.size}), got shape {p.shape}")
    k = p.shape[1]
    c = _check_choice(outcome, k)
    _check_vectors("p", p)
    return _score_kernel(
        forecaster, start, end, brier_multi(p, c), np.log(p[:, c]), t0=t0, te=te,
        community=_community(community_times, community_values, c, t0, te, k),
        log_base=-np.log(k), baseline_scale=100.0 / np.log(k), peer_scale=100.0, n_forecasters=n_forecasters,
    )


def score_choice_series(
    times, values, *, outcome: int, t0: float, te: float, community_times=None, community_values=None,
) -> SeriesScores:
    """Score one step function of option vectors (the community, the market price) like a forecaster.
    ``values`` is (T, K); a row of NaN means no forecast then."""
    t0, te = _check_window(t0, te)
    values = _float_array("values", values, allow_nan=True)
    if values.ndim != 2 or np.shape(times) != (values.shape[0],):
        raise ValueError("times must be 1-d and values (T, K) with one row per time")
    k = values.shape[1]
    c = _check_choice(outcome, k)
    defined = _check_vectors("values", values, allow_nan_rows=True)
    rows, start, end = _series_intervals(times, t0, te, defined)
    p = values[rows]
    community = None
    if community_times is not None:
        community = _community(community_times, community_values, c, t0, te, k)
    scores = _score_kernel(
        np.zeros(rows.size, dtype=np.int64), start, end, brier_multi(p, c), np.log(p[:, c]), t0=t0, te=te,
        community=community, log_base=-np.log(k), baseline_scale=100.0 / np.log(k), peer_scale=100.0,
        n_forecasters=1,
    )
    return _series_result(scores)


def market_choice_probabilities(prices) -> np.ndarray:
    """A multiple-choice market's prices (M, K) as scorable forecasts: p' = f + (1 - K f) p with f = 0.001, so
    every option has at least 0.001 (LMSR prices can underflow to 0) and rows still sum to 1. A NaN row stays NaN."""
    p = _float_array("prices", prices, allow_nan=True)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"prices: expected shape (M, K) with K >= 2 options, got {p.shape}")
    if (p < 0).any():
        raise ValueError("prices: option prices must be non-negative")
    total = p.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = p / total
    f = MARKET_PROBABILITY_MIN
    return f + (1.0 - p.shape[1] * f) * p
