"""Numeric questions: outcome buckets, PMFs, the unit CRPS and the numeric scores (SCORING.md section 3)."""
from __future__ import annotations

import numpy as np

from .kernel import (
    ForecasterScores, GRID_SIZE, IN_RANGE_BUCKETS, OUT_OF_RANGE_BASE, PMF_SIZE, SeriesScores, _BUCKET_TOLERANCE,
    _StepIntegral, _check_intervals, _check_window, _float_array, _score_kernel, _series_intervals, _series_result,
)


# ---------------------------------------------------------------------------------------------------------------
# Section 3: numeric questions
# ---------------------------------------------------------------------------------------------------------------


def unit_position(y: float, *, range_min: float, range_max: float, log_scale: bool) -> float:
    """Map an outcome in the question's units to unit space, NOT clipped (so out-of-range stays visible).

    u(y) = (y - min)/(max - min), or (ln y - ln min)/(ln max - ln min) on a log scale. On a log scale a y <= 0
    lies below any positive range_min and maps to -inf (bucket "below range", CRPS with y' = 0).

    Raises:
        ValueError: NaN/infinite y, range_min >= range_max, or a log scale with range_min <= 0.
    """
    y, lo, hi = float(y), float(range_min), float(range_max)
    if not np.isfinite(y):
        raise ValueError(f"y: the outcome must be a finite number, got {y!r}")
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"range: range_min ({lo!r}) must be less than range_max ({hi!r})")
    if not log_scale:
        return (y - lo) / (hi - lo)
    if lo <= 0:
        raise ValueError(f"range_min: a log-scaled question needs range_min > 0, got {lo!r}")
    if y <= 0:
        return -np.inf
    return (np.log(y) - np.log(lo)) / (np.log(hi) - np.log(lo))


def numeric_bucket(y_unit: float, *, open_lower: bool, open_upper: bool) -> int:
    """Index 0..201 of the pmf bucket holding the outcome at unit position ``y_unit`` (unclipped).

    0 = below the range (u < 0); k = 1..200 = the in-range bucket (u_{k-1}, u_k]; 201 = above (u > 1). Buckets are
    closed on the right because cdf[j] = P(X <= x(u_j)); u = 0 exactly belongs to bucket 1 (the range includes
    range_min). A y within 1e-9 of a grid step above a grid point counts as on it (float noise of u(y)).

    Raises:
        ValueError: y_unit is NaN, or lies outside the range on a closed side (such an outcome cannot happen).
    """
    u = float(y_unit)
    if np.isnan(u):
        raise ValueError("y_unit: NaN is not an outcome position")
    if u < 0:
        if not open_lower:
            raise ValueError(f"y: the outcome lies below range_min (u = {u!r}) but the lower bound is closed")
        return 0
    if u > 1:
        if not open_upper:
            raise ValueError(f"y: the outcome lies above range_max (u = {u!r}) but the upper bound is closed")
        return PMF_SIZE - 1
    return int(min(max(np.ceil(u * IN_RANGE_BUCKETS - _BUCKET_TOLERANCE), 1), IN_RANGE_BUCKETS))


def _check_cdfs(name: str, cdfs, *, allow_nan_rows: bool = False) -> np.ndarray:
    arr = _float_array(name, cdfs, allow_nan=allow_nan_rows)
    if arr.ndim != 2 or arr.shape[1] != GRID_SIZE:
        raise ValueError(f"{name}: expected shape (M, {GRID_SIZE}), got {arr.shape}")
    return arr


def numeric_pmf(cdfs) -> np.ndarray:
    """(M, 201) CDFs -> (M, 202) bucket masses: [cdf[0], diff(cdf), 1 - cdf[200]]."""
    cdfs = _check_cdfs("cdfs", cdfs)
    return np.concatenate((cdfs[:, :1], np.diff(cdfs, axis=1), 1.0 - cdfs[:, -1:]), axis=1)


def numeric_baseline_mass(bucket: int, *, open_lower: bool, open_upper: bool) -> float:
    """The uniform-prior mass the numeric baseline compares against: 0.05 out of range, else (1-0.05*opens)/200."""
    if bucket in (0, PMF_SIZE - 1):
        return OUT_OF_RANGE_BASE
    return (1.0 - OUT_OF_RANGE_BASE * (int(open_lower) + int(open_upper))) / IN_RANGE_BUCKETS


def _pair_sums(points: np.ndarray) -> np.ndarray:
    """Row sums of a^2 + ab + b^2 over consecutive pairs (a, b) of ``points`` (M, k+1); zeros if k = 0.

    Each interior point appears squared in two pairs, the two end points in one: sum = 2 sum c^2 - ends + sum ab.
    """
    if points.shape[1] < 2:
        return np.zeros(points.shape[0])
    ends = points[:, 0] ** 2 + points[:, -1] ** 2
    return (
        2.0 * np.einsum("ij,ij->i", points, points) - ends
        + np.einsum("ij,ij->i", points[:, :-1], points[:, 1:])
    )


def crps_unit(cdfs, y_unit: float) -> np.ndarray:
    """Exact unit CRPS of piecewise-linear CDFs: integral over [0, 1] of (F(u) - 1{u >= y'})^2, y' = clip(y_unit).

    Args:
        cdfs: (M, 201) CDF values on u_j = j/200, linear in between.
        y_unit: the outcome's unit position (may lie outside [0, 1]; it is clipped).

    A segment from a to b over width d contributes d(a^2 + ab + b^2)/3 left of y' and
    d((1-a)^2 + (1-a)(1-b) + (1-b)^2)/3 right of it; the segment holding y' is split at F(y').
    Returns (M,) values; for a CDF with values in [0, 1] they lie in [0, 1].
    """
    cdfs = _check_cdfs("cdfs", cdfs)
    u = float(y_unit)
    if np.isnan(u):
        raise ValueError("y_unit: NaN is not an outcome position")
    y = min(max(u, 0.0), 1.0)
    d = 1.0 / IN_RANGE_BUCKETS
    j = min(int(y * IN_RANGE_BUCKETS), IN_RANGE_BUCKETS - 1)  # segment [u_j, u_{j+1}] holding y'
    # Whole segments left of y' sum a^2 + ab + b^2; right of it (1-a)^2 + (1-a)(1-b) + (1-b)^2, which expands to
    # 3 - 3(a + b) + a^2 + ab + b^2. Row reductions over slices (no (M, 200) temporaries) keep this memory-light.
    left = _pair_sums(cdfs[:, : j + 1])
    tail = cdfs[:, j + 1 :]  # points u_{j+1} .. u_200: the whole segments right of y'
    n_tail = tail.shape[1] - 1
    right = _pair_sums(tail) + 3.0 * n_tail - 3.0 * (2.0 * tail.sum(axis=1) - tail[:, 0] - tail[:, -1])
    a, b = cdfs[:, j], cdfs[:, j + 1]
    d1 = y - j / IN_RANGE_BUCKETS
    d2 = (j + 1) / IN_RANGE_BUCKETS - y
    m = a + (b - a) * (d1 / d)  # F(y')
    split = d1 * (a * a + a * m + m * m) + d2 * ((1 - m) ** 2 + (1 - m) * (1 - b) + (1 - b) ** 2)
    return (d * (left + right) + split) / 3.0


def _numeric_community(community_times, community_cdfs, y_unit: float, t0: float, te: float) -> _StepIntegral:
    times = _float_array("community_times", community_times)
    cdfs = _check_cdfs("community_cdfs", community_cdfs, allow_nan_rows=True)
    if cdfs.shape[0] != times.size:
        raise ValueError("community_times and community_cdfs must have the same number of rows")
    undefined = np.isnan(cdfs).any(axis=1)
    losses = np.full(times.size, np.nan)
    if (~undefined).any():
        losses[~undefined] = crps_unit(cdfs[~undefined], y_unit)
    return _StepIntegral(times - t0, losses, te - t0)


def _numeric_logs(cdfs: np.ndarray, y_unit: float, open_lower: bool, open_upper: bool, name: str):
    bucket = numeric_bucket(y_unit, open_lower=open_lower, open_upper=open_upper)
    mass = numeric_pmf(cdfs)[:, bucket] if cdfs.shape[0] else np.zeros(0)
    if (mass <= 0).any():
        i = int(np.flatnonzero(mass <= 0)[0])
        raise ValueError(f"{name}[{i}] gives the outcome's bucket {bucket} no probability mass ({float(mass[i])!r})")
    base = numeric_baseline_mass(bucket, open_lower=open_lower, open_upper=open_upper)
    return np.log(mass), np.log(base)


def score_numeric(
    forecaster, start, end, cdfs, *, y_unit: float, open_lower: bool, open_upper: bool, t0: float, te: float,
    community_times, community_cdfs, n_forecasters: int | None = None, check_overlap: bool = True,
) -> ForecasterScores:
    """Score numeric forecast intervals (SCORING.md section 3); like ``score_binary`` with unit CRPS for Brier.

    Args:
        cdfs: (M, 201) the CDF of each interval's forecast.
        y_unit: the outcome's unit position, unclipped (see ``unit_position``).
        open_lower, open_upper: the question's open-bound flags (choose the baseline mass, permit out-of-range y).
        community_times, community_cdfs: the community step function; a row with NaN = no community forecast.

    Returns:
        ForecasterScores with loss = time-averaged unit CRPS, baseline = 100 ln(pmf[b]/base)/2 and
        peer = 50 n/(n-1) ln(pmf[b]/GM).
    """
    t0, te = _check_window(t0, te)
    forecaster, start, end = _check_intervals(forecaster, start, end, t0, te, check_overlap)
    cdfs = _check_cdfs("cdfs", cdfs)
    if cdfs.shape[0] != start.size:
        raise ValueError(f"cdfs must have one row per interval ({start.size}), got {cdfs.shape[0]}")
    log_p, log_base = _numeric_logs(cdfs, y_unit, open_lower, open_upper, "cdfs")
    return _score_kernel(
        forecaster, start, end, crps_unit(cdfs, y_unit), log_p, t0=t0, te=te,
        community=_numeric_community(community_times, community_cdfs, y_unit, t0, te),
        log_base=log_base, baseline_scale=50.0, peer_scale=50.0, n_forecasters=n_forecasters,
    )


def score_numeric_series(
    times, cdfs, *, y_unit: float, open_lower: bool, open_upper: bool, t0: float, te: float,
    community_times=None, community_cdfs=None,
) -> SeriesScores:
    """Score one numeric step function of CDFs (e.g. the community) like a forecaster; NaN rows = no forecast."""
    t0, te = _check_window(t0, te)
    cdfs = _check_cdfs("cdfs", cdfs, allow_nan_rows=True)
    if np.size(times) != cdfs.shape[0]:
        raise ValueError("times and cdfs must have the same number of rows")
    rows, start, end = _series_intervals(times, t0, te, ~np.isnan(cdfs).any(axis=1))
    picked = cdfs[rows]
    log_p, log_base = _numeric_logs(picked, y_unit, open_lower, open_upper, "cdfs")
    community = None
    if community_times is not None:
        community = _numeric_community(community_times, community_cdfs, y_unit, t0, te)
    scores = _score_kernel(
        np.zeros(rows.size, dtype=np.int64), start, end, crps_unit(picked, y_unit), log_p, t0=t0, te=te,
        community=community, log_base=log_base, baseline_scale=50.0, peer_scale=50.0, n_forecasters=1,
    )
    return _series_result(scores)
