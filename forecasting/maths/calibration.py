"""Calibration bins, Wilson intervals and the Murphy decomposition for binary forecasts (SCORING.md section 5).

Pure numpy, no Django. Every forecast carries a weight: the fraction of its question's scoring window |W| during
which it was active (``Intervals.seconds / |W|`` from ``forecasting.maths.scoring.build_intervals``), so a forecast
held for the whole window counts once and one replaced after an hour counts almost nothing.

Bins: ``n_bins`` (default 10) of equal width over [0, 1]. Bin k holds k/n <= p < (k+1)/n, the last bin also
holds p = 1. A p within 1e-9 below an interior edge (e.g. 0.7 stored as 0.69999999999999996) counts as on the
edge and goes to the upper bin, so decimal forecasts land in the bin their printed value says.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_BINS = 10
WILSON_Z = 1.959963984540054  # two-sided 95% normal quantile
_EDGE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CalibrationBins:
    """Per-bin arrays of length n_bins. Empty bins have weight 0, n_questions 0 and NaN means and bounds."""

    lower: np.ndarray  # bin's lower edge
    upper: np.ndarray  # bin's upper edge
    weight: np.ndarray  # total weight (sum of active fractions)
    n_questions: np.ndarray  # int: distinct questions with a positive-weight forecast in the bin
    mean_forecast: np.ndarray  # weighted mean p
    observed_frequency: np.ndarray  # weighted mean outcome
    wilson_low: np.ndarray  # 95% Wilson interval of observed_frequency with n = n_questions
    wilson_high: np.ndarray


@dataclass(frozen=True)
class MurphyDecomposition:
    """REL - RES + UNC approximates ``brier`` (equal when every forecast sits at its bin's mean forecast).

    All NaN when the total weight is 0.
    """

    reliability: float  # sum_k W_k (f_k - o_k)^2 / W, lower is better
    resolution: float  # sum_k W_k (o_k - o)^2 / W, higher is better
    uncertainty: float  # o (1 - o), o the weighted base rate
    brier: float  # time-weighted Brier sum w (p - o)^2 / W
    base_rate: float
    total_weight: float


def _inputs(p, weight, outcome) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    outcome = np.asarray(outcome, dtype=np.float64)
    if p.ndim != 1 or not (p.shape == weight.shape == outcome.shape):
        raise ValueError(
            f"p, weight and outcome must be 1-d arrays of one length (got {p.shape}, {weight.shape}, {outcome.shape})"
        )
    for name, arr, ok in (
        ("p", p, (p >= 0) & (p <= 1)),
        ("weight", weight, np.isfinite(weight) & (weight >= 0)),
        ("outcome", outcome, (outcome == 0) | (outcome == 1)),
    ):
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            allowed = {"p": "a probability in [0, 1]", "weight": "finite and >= 0", "outcome": "0 or 1"}[name]
            raise ValueError(f"{name}[{i}] = {float(arr[i])!r}; must be {allowed}")
    return p, weight, outcome


def calibration_bin_index(p, n_bins: int = N_BINS) -> np.ndarray:
    """Bin index 0..n_bins-1 of each probability (edges k/n_bins; an edge value goes up; p = 1 in the last bin)."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    p = np.asarray(p, dtype=np.float64)
    return np.clip(np.floor(p * n_bins + _EDGE_TOLERANCE), 0, n_bins - 1).astype(np.int64)


def wilson_interval(frequency, n, z: float = WILSON_Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for an observed frequency out of n trials; NaN where n = 0.

    centre = (f + z^2/2n) / (1 + z^2/n), half-width = z/(1 + z^2/n) * sqrt(f(1-f)/n + z^2/4n^2).
    """
    f = np.asarray(frequency, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        z2n = z * z / n
        centre = (f + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(f * (1 - f) / n + z2n / (4 * n))
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def _bin_sums(p, weight, outcome, n_bins):
    k = calibration_bin_index(p, n_bins)
    w_k = np.bincount(k, weights=weight, minlength=n_bins)
    wp_k = np.bincount(k, weights=weight * p, minlength=n_bins)
    wo_k = np.bincount(k, weights=weight * outcome, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_k = np.where(w_k > 0, wp_k / w_k, np.nan)
        o_k = np.where(w_k > 0, wo_k / w_k, np.nan)
    return k, w_k, f_k, o_k


def calibration_bins(p, weight, outcome, question_id, *, n_bins: int = N_BINS, z: float = WILSON_Z) -> CalibrationBins:
    """Weighted calibration table over ``n_bins`` equal bins.

    Args:
        p: forecast probabilities in [0, 1], one per forecast.
        weight: each forecast's active fraction of its question's window (>= 0).
        outcome: the question's outcome (0 or 1) for each forecast.
        question_id: any comparable id per forecast; counts distinct questions per bin (the n of the Wilson
            interval, because forecasts on one question are not independent trials). Zero-weight forecasts
            do not count.

    Raises:
        ValueError: naming the field and row of the first bad value.
    """
    p, weight, outcome = _inputs(p, weight, outcome)
    question_id = np.asarray(question_id)
    if question_id.shape != p.shape:
        raise ValueError(f"question_id must have one entry per forecast ({p.size}), got shape {question_id.shape}")
    k, w_k, f_k, o_k = _bin_sums(p, weight, outcome, n_bins)
    counted = weight > 0
    n_q = np.zeros(n_bins, dtype=np.int64)
    if counted.any():
        codes = np.unique(question_id[counted], return_inverse=True)[1].ravel()
        pairs = np.unique(k[counted] * (int(codes.max()) + 1) + codes)
        n_q = np.bincount(pairs // (int(codes.max()) + 1), minlength=n_bins)
    low, high = wilson_interval(o_k, n_q, z)
    edges = np.arange(n_bins + 1) / n_bins
    return CalibrationBins(
        lower=edges[:-1], upper=edges[1:], weight=w_k, n_questions=n_q, mean_forecast=f_k,
        observed_frequency=o_k, wilson_low=low, wilson_high=high,
    )


def murphy_decomposition(p, weight, outcome, *, n_bins: int = N_BINS) -> MurphyDecomposition:
    """Murphy (1973) decomposition of the weighted Brier score over the calibration bins.

    REL = sum_k W_k (f_k - o_k)^2 / W, RES = sum_k W_k (o_k - o)^2 / W, UNC = o (1 - o). With binned forecasts
    Brier = REL - RES + UNC exactly; otherwise the within-bin spread of p makes the identity approximate.
    """
    p, weight, outcome = _inputs(p, weight, outcome)
    total = float(weight.sum())
    if total <= 0:
        nan = float("nan")
        return MurphyDecomposition(nan, nan, nan, nan, nan, 0.0)
    _, w_k, f_k, o_k = _bin_sums(p, weight, outcome, n_bins)
    base = float((weight * outcome).sum() / total)
    filled = w_k > 0
    rel = float((w_k[filled] * (f_k[filled] - o_k[filled]) ** 2).sum() / total)
    res = float((w_k[filled] * (o_k[filled] - base) ** 2).sum() / total)
    brier = float((weight * (p - outcome) ** 2).sum() / total)
    return MurphyDecomposition(
        reliability=rel, resolution=res, uncertainty=base * (1 - base), brier=brier, base_rate=base,
        total_weight=total,
    )
