"""Scoring kernel: input checks, forecasts as step functions (SCORING.md section 1) and the time-averaged score sweep
shared by binary and numeric questions."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
