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
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecasting.maths.cdf import MIN_STEP, OPEN_BOUND_MAX, OPEN_BOUND_MIN

GRID_SIZE = 201  # CDF grid points u_0 = 0 ... u_200 = 1 (SCORING.md section 3)
IN_RANGE_BUCKETS = GRID_SIZE - 1  # 200 buckets between grid points
PMF_SIZE = IN_RANGE_BUCKETS + 2  # plus one bucket below and one above the range
OUT_OF_RANGE_BASE = 0.05  # baseline mass of an out-of-range bucket
_BUCKET_TOLERANCE = 1e-9  # in grid steps: y within this of a grid point counts as on it (float noise from u(y))
_LN2 = float(np.log(2.0))


@dataclass(frozen=True)
class Intervals:
    """Step-function intervals: ``row`` indexes the forecast rows given to ``build_intervals``."""

    row: np.ndarray  # int64, index into the caller's forecast arrays (pick p or the CDF with it)
    forecaster: np.ndarray  # int64
    start: np.ndarray  # float64 seconds
    end: np.ndarray  # float64 seconds, > start

    @property
    def seconds(self) -> np.ndarray:
        return self.end - self.start


@dataclass(frozen=True)
class ForecasterScores:
    """Per-forecaster results, each an array of length n_forecasters indexed by forecaster.

    loss: time-averaged Brier (binary) or unit CRPS (numeric) over W_u, in [0, 1], lower is better;
        NaN for a forecaster with no active forecast in W.
    coverage: |W_u| / |W| in [0, 1].
    relative: (1/|W|) * integral over W of loss(u) - loss(community); negative beats the crowd; 0 if no forecast.
    baseline: Metaculus-style log baseline score, time-averaged over W (0 where u has no forecast); higher is better.
    peer: Metaculus-style peer score, time-averaged over W (0 where u has no forecast or fewer than 2 forecast).
    active_seconds: |W_u| in seconds.
    """

    loss: np.ndarray
    coverage: np.ndarray
    relative: np.ndarray
    baseline: np.ndarray
    peer: np.ndarray
    active_seconds: np.ndarray


@dataclass(frozen=True)
class SeriesScores:
    """Scores of one step function (community median, extremized aggregate, market price), as floats.

    ``relative`` is NaN unless a community series was given to compare against.
    """

    loss: float
    coverage: float
    relative: float
    baseline: float
    active_seconds: float


# ---------------------------------------------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------------------------------------------


def _float_array(name: str, values, *, allow_nan: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected numbers, got {values!r:.80}") from exc
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad.ravel())[0])
        what = "infinite" if allow_nan else "NaN or infinite"
        raise ValueError(f"{name}[{first}] is {what} ({float(arr.ravel()[first])!r}); finite numbers are required")
    return arr


def _check_window(t0: float, te: float) -> tuple[float, float]:
    t0, te = float(t0), float(te)
    if not (np.isfinite(t0) and np.isfinite(te)) or te <= t0:
        raise ValueError(f"scoring window: te ({te!r}) must be finite and later than t0 ({t0!r})")
    return t0, te


def _check_outcome(outcome) -> int:
    if isinstance(outcome, (str, bytes)) or outcome not in (0, 1):
        raise ValueError(f"outcome: must be 0 (no) or 1 (yes), got {outcome!r}")
    return int(outcome)


def _check_probabilities(name: str, p: np.ndarray) -> None:
    bad = (p <= 0.0) | (p >= 1.0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{first}] = {float(p[first])!r}; probabilities must lie strictly between 0 and 1")


def _order_by_forecaster_then_time(forecaster: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Stable order by (forecaster, time): rows with equal keys keep their input order."""
    by_time = np.argsort(time, kind="stable")
    keys = forecaster[by_time]
    if keys.size and keys.max() < 2**16:
        keys = keys.astype(np.uint16)  # numpy radix-sorts 16-bit keys in O(M), much faster than lexsort
    return by_time[np.argsort(keys, kind="stable")]


def _check_no_overlap(forecaster: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    same = forecaster[1:] == forecaster[:-1]
    in_order = (forecaster[1:] >= forecaster[:-1]).all() and (~same | (start[1:] >= start[:-1])).all()
    order = np.arange(start.size) if in_order else _order_by_forecaster_then_time(forecaster, start)
    f, s, e = forecaster[order], start[order], end[order]
    clash = (f[1:] == f[:-1]) & (s[1:] < e[:-1])
    if clash.any():
        k = int(np.flatnonzero(clash)[0])
        raise ValueError(
            f"intervals {int(order[k])} and {int(order[k + 1])} of forecaster {int(f[k])} overlap; "
            "a forecaster has at most one active forecast at a time"
        )


def _check_intervals(forecaster, start, end, t0: float, te: float, check_overlap: bool):
    forecaster = np.asarray(forecaster)
    if forecaster.ndim != 1 or (forecaster.size and not np.issubdtype(forecaster.dtype, np.integer)):
        raise ValueError("forecaster: expected a 1-d array of non-negative integer indices")
    forecaster = forecaster.astype(np.int64, copy=False)
    start = _float_array("start", start)
    end = _float_array("end", end)
    if not (start.shape == end.shape == forecaster.shape):
        raise ValueError(
            f"forecaster, start and end must have the same length (got {forecaster.size}, {start.size}, {end.size})"
        )
    if forecaster.size:
        if forecaster.min() < 0:
            raise ValueError("forecaster: indices must be >= 0")
        bad = (start < t0) | (end > te) | (end < start)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"interval {i}: [{float(start[i])!r}, {float(end[i])!r}] must satisfy t0 <= start <= end <= te "
                f"(t0={t0!r}, te={te!r}); clip intervals to the window first (see build_intervals)"
            )
        if check_overlap:
            _check_no_overlap(forecaster, start, end)
    return forecaster, start, end


# ---------------------------------------------------------------------------------------------------------------
# Section 1: forecasts as step functions
# ---------------------------------------------------------------------------------------------------------------


def build_intervals(forecaster_idx, created_at, withdrawn_at, t0: float, te: float) -> Intervals:
    """Turn forecast rows into step-function intervals clipped to W = [t0, te).

    Args:
        forecaster_idx: int array (N,), the forecaster of each row.
        created_at: float seconds (N,), when each forecast was made; must be >= t0.
        withdrawn_at: float seconds (N,), when that forecast was withdrawn, NaN if never; must be >= created_at.
        t0, te: the scoring window in seconds, te > t0.

    Forecast k of a forecaster is active from its created_at until the same forecaster's next forecast, its
    withdrawal, or te, whichever comes first. Rows made at or after te score nothing and are dropped, as are
    rows whose active span is empty (withdrawn at once, or replaced at the same instant). Two rows of one
    forecaster with the same created_at: the later row in input order is the one that stays active, so pass
    rows in creation (primary key) order.

    Returns:
        Intervals sorted by (forecaster, start); ``row`` points back into the inputs.

    Raises:
        ValueError: naming the field and row for NaN times, forecasts before t0, withdrawals before creation.
    """
    t0, te = _check_window(t0, te)
    forecaster = np.asarray(forecaster_idx)
    if forecaster.ndim != 1 or (forecaster.size and not np.issubdtype(forecaster.dtype, np.integer)):
        raise ValueError("forecaster_idx: expected a 1-d array of integer indices")
    forecaster = forecaster.astype(np.int64, copy=False)
    if forecaster.size and forecaster.min() < 0:
        raise ValueError("forecaster_idx: indices must be >= 0")
    created = _float_array("created_at", created_at)
    withdrawn = _float_array("withdrawn_at", withdrawn_at, allow_nan=True)
    if not (created.shape == withdrawn.shape == forecaster.shape):
        raise ValueError("forecaster_idx, created_at and withdrawn_at must have the same length")
    if created.size and (created < t0).any():
        i = int(np.flatnonzero(created < t0)[0])
        raise ValueError(f"created_at[{i}] = {float(created[i])!r} is before the question opened (t0 = {t0!r})")
    early = withdrawn < created  # NaN compares False: never withdrawn
    if early.any():
        i = int(np.flatnonzero(early)[0])
        raise ValueError(
            f"withdrawn_at[{i}] = {float(withdrawn[i])!r} is before created_at[{i}] = {float(created[i])!r}"
        )

    # Stable sort by (forecaster, created_at): ties keep input order, so the later row supersedes the earlier.
    order = _order_by_forecaster_then_time(forecaster, created)
    f, c, w = forecaster[order], created[order], withdrawn[order]
    same_next = np.zeros(f.size, dtype=bool)
    same_next[:-1] = f[1:] == f[:-1]
    next_created = np.full(f.size, np.inf)
    next_created[:-1] = c[1:]
    end = np.minimum(np.where(same_next, next_created, np.inf), np.fmin(w, np.inf))  # fmin ignores NaN
    end = np.minimum(end, te)
    keep = (c < te) & (end > c)
    return Intervals(row=order[keep].astype(np.int64), forecaster=f[keep], start=c[keep], end=end[keep])


# ---------------------------------------------------------------------------------------------------------------
# Step functions (community, market) and the generic kernel
# ---------------------------------------------------------------------------------------------------------------


class _StepIntegral:
    """Prefix integrals of a step function of loss values on [0, span] (times relative to t0).

    NaN values and the span before the first time are undefined: they add nothing to either integral.
    """

    def __init__(self, times_rel: np.ndarray, losses: np.ndarray, span: float):
        if times_rel.size and (np.diff(times_rel) < 0).any():
            k = int(np.flatnonzero(np.diff(times_rel) < 0)[0])
            raise ValueError(f"community_times must be non-decreasing (times[{k + 1}] < times[{k}])")
        knots = np.clip(times_rel, 0.0, span)
        if knots.size == 0 or knots[0] > 0.0:  # an undefined step from 0 spares a "before the first knot" case
            knots = np.concatenate(([0.0], knots))
            losses = np.concatenate(([np.nan], losses))
        widths = np.diff(knots, append=span)
        defined = ~np.isnan(losses)
        self.knots = knots
        self.value = np.where(defined, losses, 0.0)
        self.is_defined = defined.astype(np.float64)
        # integrals from 0 to each knot
        self.cum_value = np.concatenate(([0.0], np.cumsum(self.value * widths)[:-1]))
        self.cum_defined = np.concatenate(([0.0], np.cumsum(self.is_defined * widths)[:-1]))

    def prefix(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integrals from 0 to each t (0 <= t <= span) of the loss and of the defined indicator."""
        k = np.searchsorted(self.knots, t, side="right") - 1
        dt = t - self.knots[k]
        return self.cum_value[k] + dt * self.value[k], self.cum_defined[k] + dt * self.is_defined[k]


# Events are swept in blocks so that temporaries stay cache-sized and are reused instead of faulting in fresh
# pages for every full-length array (this halves the cost of a cold call on 1M intervals). Blocks are not a loop
# over forecasters or intervals: each block is fully vectorised and only the running sums carry across.
_SWEEP_BLOCK = 1 << 16


def _sweep(
    forecaster: np.ndarray, start: np.ndarray, end: np.ndarray, loss: np.ndarray, log_p: np.ndarray,
    community: _StepIntegral | None, n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One global event sweep over all intervals (times relative to t0). Returns per forecaster:

    - the integral over W of n/(n-1) (ln p_i - mean ln p) wherever n >= 2 forecasters are active (peer, unscaled);
    - the integral of loss_i - loss_community over the parts of i's intervals where the community is defined.

    Sort all endpoints once; n(t) and L(t) = sum of ln p over active intervals are running sums of +-1 and +-ln p.
    With A(t) = integral of 1{n>=2} n/(n-1) and B(t) = integral of 1{n>=2} L/(n-1), interval i contributes
    ln p_i (A(e) - A(s)) - (B(e) - B(s)), because n/(n-1) (ln p_i - L/n) = ln p_i n/(n-1) - L/(n-1).
    Likewise with C(t), D(t) the community's loss integral and defined length: loss_i (D(e) - D(s)) - (C(e) - C(s)).
    Each event adds its half (end +, start -) straight into its forecaster's total, so nothing is scattered back.
    Equal endpoint times only create zero-width segments, so their order in the sort does not matter.
    """
    m = start.size
    peer = np.zeros(n)
    relative = np.zeros(n)
    if m == 0:
        return peer, relative
    times = np.concatenate((start, end))
    order = np.argsort(times)
    n_active, total, a_cum, b_cum = 0, 0.0, 0.0, 0.0  # carried across blocks
    block = max(_SWEEP_BLOCK, n)  # bincount costs O(n) per block
    for lo in range(0, 2 * m, block):
        hi = min(lo + block, 2 * m)
        events = order[lo:hi]
        t = times[events]
        t_next = times[order[hi]] if hi < 2 * m else t[-1]
        is_start = events < m
        row = events - m * ~is_start
        lp = log_p[row]
        who = forecaster[row]
        sign = np.where(is_start, -1.0, 1.0)  # end minus start
        active = n_active + np.cumsum(is_start) * 2 - np.arange(1, hi - lo + 1)
        running = total + np.cumsum(-sign * lp)
        weight = np.zeros(hi - lo)  # segment width / (n - 1) where n >= 2; segment j runs to the next event
        np.divide(np.diff(t, append=t_next), active - 1, out=weight, where=active >= 2)
        a_inc = weight * active
        b_inc = weight * running
        a_at = a_cum + (np.cumsum(a_inc) - a_inc)  # A at each event (integral up to it)
        b_at = b_cum + (np.cumsum(b_inc) - b_inc)
        peer += np.bincount(who, weights=sign * (lp * a_at - b_at), minlength=n)
        if community is not None:
            c_at, d_at = community.prefix(t)
            relative += np.bincount(who, weights=sign * (loss[row] * d_at - c_at), minlength=n)
        n_active, total = int(active[-1]), float(running[-1])
        a_cum, b_cum = a_cum + float(a_inc.sum()), b_cum + float(b_inc.sum())
    return peer, relative


def _score_kernel(
    forecaster, start, end, loss, log_p, *, t0, te, community: _StepIntegral | None,
    log_base: float, baseline_scale: float, peer_scale: float, n_forecasters: int | None,
) -> ForecasterScores:
    """Shared time-averaging kernel. Inputs are validated arrays; times are absolute seconds.

    baseline per instant = baseline_scale * (log_p - log_base); peer per instant = peer_scale * n/(n-1) ln(p/GM).
    """
    span = te - t0
    n = int(forecaster.max()) + 1 if forecaster.size else 0
    if n_forecasters is not None:
        if n_forecasters < n:
            raise ValueError(f"n_forecasters = {n_forecasters} but forecaster index {n - 1} occurs")
        n = int(n_forecasters)
    s, e = start - t0, end - t0  # relative times keep the prefix integrals well conditioned
    seconds = e - s
    active = np.bincount(forecaster, weights=seconds, minlength=n)
    loss_seconds = np.bincount(forecaster, weights=seconds * loss, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_loss = np.where(active > 0, loss_seconds / active, np.nan)
    baseline = np.bincount(forecaster, weights=seconds * (log_p - log_base), minlength=n) * (baseline_scale / span)
    peer, relative = _sweep(forecaster, s, e, loss, log_p, community, n)
    return ForecasterScores(
        loss=mean_loss,
        coverage=active / span,
        relative=relative / span if community is not None else np.full(n, np.nan),
        baseline=baseline,
        peer=peer * (peer_scale / span),
        active_seconds=active,
    )


def _series_intervals(times, t0: float, te: float, defined: np.ndarray):
    """Intervals of a step series: value k from times[k] to times[k+1] (or te), clipped to W, defined rows only."""
    times = _float_array("times", times)
    if times.size and (np.diff(times) < 0).any():
        raise ValueError("times must be non-decreasing")
    start = np.clip(times, t0, te)
    end = np.clip(np.append(times[1:], te), t0, te)
    keep = defined & (end > start)
    return np.flatnonzero(keep), start[keep], end[keep]


def _series_result(scores: ForecasterScores) -> SeriesScores:
    return SeriesScores(
        loss=float(scores.loss[0]), coverage=float(scores.coverage[0]), relative=float(scores.relative[0]),
        baseline=float(scores.baseline[0]), active_seconds=float(scores.active_seconds[0]),
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


# ---------------------------------------------------------------------------------------------------------------
# Section 4: the market price as a forecast
# ---------------------------------------------------------------------------------------------------------------

MARKET_PROBABILITY_MIN = OPEN_BOUND_MIN  # a market price is held to the forecast range [0.001, 0.999]
MARKET_PROBABILITY_MAX = OPEN_BOUND_MAX
# Floors of the market's scorable CDF: the forecast minima (every in-range step 1e-5, an open tail 0.001) with a
# relative margin of 1e-6, so the float noise of a cumulative sum (~1e-16) can never take a step below the rule.
_MARKET_STEP_FLOOR = MIN_STEP * (1.0 + 1e-6)
_MARKET_TAIL_FLOOR = OPEN_BOUND_MIN * (1.0 + 1e-6)


def market_probabilities(yes) -> np.ndarray:
    """A binary market's YES prices as a scorable forecast: each clipped to [0.001, 0.999], the range a forecaster's
    probability is held to (SCORING.md section 2). LMSR prices can be as extreme as exactly 0 or 1 (float underflow
    when outcomes differ by more than ~745 b shares); clipped, the market scores like the most confident forecaster
    allowed and every log score stays finite. NaN (no price) stays NaN."""
    values = _float_array("yes", yes, allow_nan=True)
    return np.clip(values, MARKET_PROBABILITY_MIN, MARKET_PROBABILITY_MAX)


def _market_cell_weights(K: int) -> np.ndarray:
    """(K, 200) share of market bucket j = [j/K, (j+1)/K] that lies in grid cell c = [c/200, (c+1)/200].

    In units of 1/(200 K) both partitions have integer edges (bucket j: [200 j, 200 (j+1)], cell c: [K c, K (c+1)]),
    so the overlaps are exact integers and each row sums to exactly 200 before the one division."""
    j = np.arange(K)[:, None]
    c = np.arange(IN_RANGE_BUCKETS)[None, :]
    overlap = np.minimum(200 * (j + 1), K * (c + 1)) - np.maximum(200 * j, K * c)
    return np.maximum(overlap, 0) / float(IN_RANGE_BUCKETS)


def market_cdfs(prices, *, open_lower: bool, open_upper: bool) -> np.ndarray:
    """A numeric market's bucket prices as scorable forecast CDFs, one per row (SCORING.md sections 3 and 4).

    ``prices`` is (M, K): the probabilities of the market's K equal buckets over the unit range (a row of NaN = no
    price). The rule, documented in docs/scoring.md ("The market scored like a forecaster"):

    1. Each bucket's price is spread uniformly over its width, so the market's own CDF is piecewise linear with the
       value sum(p_0..p_{j-1}) at edge j/K; the 200 grid cells get their masses from exact overlaps (no
       subtraction of nearly equal cumulative sums, which would turn a price of 1e-18 next to 0.9999 into 0).
       The market states nothing about outcomes beyond the range (its end buckets absorb them), so it puts no mass
       there of its own.
    2. It is then held to the rules every forecast obeys: a floor mass is mixed in, p' = f + (1 - sum f) p, with
       f = 1e-5 for each in-range cell and 0.001 for each open bound's tail (0 beyond a closed bound), each with a
       relative margin of 1e-6. The result passes ``forecasting.maths.cdf.validate_cdf`` for any prices, including
       prices of exactly 0 after float underflow, and no bucket is ever empty, so every log score is finite. The
       mixture moves at most 0.2% (closed bounds) to 0.4% (both open) of the market's mass.

    Returns an (M, 201) array; cdf[0] = 0 on a closed lower bound, cdf[200] = 1 on a closed upper bound.
    Raises ValueError for a row that is not a probability vector (negative, infinite, or summing to 0).
    """
    p = _float_array("prices", prices, allow_nan=True)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"prices: expected shape (M, K) with K >= 2 buckets, got {p.shape}")
    missing = np.isnan(p).any(axis=1)
    p = np.where(missing[:, None], 1.0, p)
    if (p < 0).any():
        raise ValueError("prices: bucket prices must be non-negative")
    total = p.sum(axis=1)
    if (total <= 0).any():
        raise ValueError("prices: every row needs a positive total")
    cells = (p / total[:, None]) @ _market_cell_weights(p.shape[1])  # (M, 200), rows sum to 1
    floor = np.full(PMF_SIZE, _MARKET_STEP_FLOOR)
    floor[0] = _MARKET_TAIL_FLOOR if open_lower else 0.0
    floor[-1] = _MARKET_TAIL_FLOOR if open_upper else 0.0
    pmf = np.zeros((p.shape[0], PMF_SIZE))
    pmf[:, 1:-1] = cells
    pmf = floor + (1.0 - floor.sum()) * pmf
    cdfs = np.cumsum(pmf[:, :GRID_SIZE], axis=1)
    if not open_lower:
        cdfs[:, 0] = 0.0
    if not open_upper:
        cdfs[:, -1] = 1.0
    cdfs[missing] = np.nan
    return cdfs
