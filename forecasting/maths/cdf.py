"""Numeric forecasts as CDFs on a 201-point unit grid (SCORING.md section 3).

Pure maths: imports numpy and the standard library only, never Django.

A numeric question maps its range to the unit interval: u(x) = (x - min)/(max - min), or (ln x - ln min)/(ln max -
ln min) on a log scale. A forecast is cdf[j] = P(X <= x(u_j)) at u_j = j/200, j = 0..200, linear in u between grid
points. Validation rules: every step cdf[j] - cdf[j-1] >= 1e-5; cdf[0] = 0 (closed lower bound) or >= 0.001 (open);
cdf[200] = 1 (closed upper bound) or <= 0.999 (open).

``quantiles_to_cdf`` turns a few quantiles (what users type) into such a CDF; docs/forecast-maths.md explains the
construction for users and researchers.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np

__all__ = [
    "ABOVE",
    "BELOW",
    "CELL_WIDTH",
    "GRID_SIZE",
    "MAX_QUANTILES",
    "MIN_STEP",
    "N_CELLS",
    "OPEN_BOUND_MAX",
    "OPEN_BOUND_MIN",
    "REQUIRED_LEVELS",
    "UNIT_GRID",
    "CdfError",
    "cdf_pdf_for_display",
    "cdf_pmf",
    "cdf_quantile",
    "cdf_quantiles_in_range",
    "from_unit",
    "quantile_in_range",
    "quantiles_to_cdf",
    "to_unit",
    "validate_cdf",
]

GRID_SIZE = 201
N_CELLS = GRID_SIZE - 1
CELL_WIDTH = 1.0 / N_CELLS
MIN_STEP = 1e-5
OPEN_BOUND_MIN = 0.001  # cdf[0] >= this when the lower bound is open
OPEN_BOUND_MAX = 0.999  # cdf[200] <= this when the upper bound is open
REQUIRED_LEVELS = (0.1, 0.5, 0.9)
# How a quantile at or beyond an open bound is reported: the bound's value plus one of these markers.
BELOW = "below"
ABOVE = "above"
MAX_QUANTILES = 100

# u_j = j/200, each exactly the correctly rounded double (linspace can be off by an ulp).
UNIT_GRID = np.arange(GRID_SIZE, dtype=np.float64) / N_CELLS
UNIT_GRID.flags.writeable = False

# Validation forgives float noise of 1e-14 on a step, so a user's cdf built as 0.001 + j * 1e-5 is not rejected
# for an ulp; and snaps cdf[0]/cdf[200] within 1e-12 of 0/1 to exactly 0/1 on closed bounds.
_STEP_SLACK = 1e-14
_END_SNAP = 1e-12
# Construction keeps a margin above the minimum step so rounding in cumulative sums can never break validation.
_BUILD_STEP = MIN_STEP * (1.0 + 1e-6)
# Quantiles within 1e-9 grid cells (5e-12 in unit space) of a grid point are treated as lying on it.
_GRID_SNAP = 1e-9
_LEVEL_MATCH = 1e-9
_FEAS_TOL = 1e-12


class CdfError(ValueError):
    """A CDF or quantile input broke a rule. ``message`` is for the user; ``field`` names the input at fault
    ("cdf" or "quantiles"). Services map it to the domain ValidationError (HTTP 400)."""

    def __init__(self, message: str, field: str = "cdf"):
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------------------------------------------------
# Unit mapping
# ------------------------------------------------------------------------------------------------------------
def _check_range(range_min: float, range_max: float, log_scale: bool) -> tuple[float, float]:
    lo, hi = float(range_min), float(range_max)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise ValueError(f"range_min must be less than range_max (both finite), got {range_min!r}, {range_max!r}")
    if log_scale and lo <= 0:
        raise ValueError(f"a log-scale question needs range_min > 0, got {range_min!r}")
    return lo, hi


def to_unit(x: Any, *, range_min: float, range_max: float, log_scale: bool) -> Any:
    """Map values in the question's units to unit positions: (x - min)/(max - min), or with ``log_scale``
    (ln x - ln min)/(ln max - ln min). Vectorized: a scalar gives a float, an array an array. Values outside
    the range map outside [0, 1]. Raises ValueError for a bad range or, on a log scale, x <= 0."""
    lo, hi = _check_range(range_min, range_max, log_scale)
    arr = np.asarray(x, dtype=np.float64)
    if log_scale:
        if np.any(~(arr > 0)):
            raise ValueError("on a log scale every value must be positive")
        llo = math.log(lo)
        u = (np.log(arr) - llo) / (math.log(hi) - llo)
    else:
        u = (arr - lo) / (hi - lo)
    return float(u) if u.ndim == 0 else u


def from_unit(u: Any, *, range_min: float, range_max: float, log_scale: bool) -> Any:
    """Inverse of ``to_unit``: min + u (max - min), or exp(ln min + u (ln max - ln min)) on a log scale."""
    lo, hi = _check_range(range_min, range_max, log_scale)
    arr = np.asarray(u, dtype=np.float64)
    if log_scale:
        llo = math.log(lo)
        x = np.exp(llo + arr * (math.log(hi) - llo))
    else:
        x = lo + arr * (hi - lo)
    return float(x) if x.ndim == 0 else x


# ------------------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------------------
def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _describe(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return f"the boolean {x!r}"
    if isinstance(x, str):
        return f"the text {x!r}"
    if isinstance(x, (list, tuple, dict)):
        return f"a {type(x).__name__}"
    if x is None:
        return "null"
    return f"a {type(x).__name__}"


def _is_number(x: Any) -> bool:
    return (isinstance(x, (numbers.Real, Decimal)) and not isinstance(x, (bool, np.bool_)))


def validate_cdf(cdf: Any, *, open_lower: bool, open_upper: bool) -> np.ndarray:
    """Check a submitted CDF and return it as a new float64 array of shape (201,).

    Accepts a list/tuple of 201 numbers (int or float; bools, strings, None and nested lists are rejected) or a
    1-D numeric numpy array. Rules: all finite; cdf[0] = 0 when the lower bound is closed, otherwise
    cdf[0] >= 0.001; cdf[200] = 1 when the upper bound is closed, otherwise cdf[200] <= 0.999; every step
    cdf[j] - cdf[j-1] >= 1e-5 (float slack of 1e-14 forgiven). On closed bounds values within 1e-12 of 0 or 1 are
    snapped to exactly 0 or 1. Raises CdfError(field="cdf") naming the first broken rule.
    """
    if isinstance(cdf, np.ndarray):
        if cdf.ndim != 1 or cdf.dtype.kind not in "iuf":
            raise CdfError(f"cdf must be a flat list of {GRID_SIZE} numbers")
        if cdf.shape[0] != GRID_SIZE:
            raise CdfError(f"cdf must have exactly {GRID_SIZE} values, got {cdf.shape[0]}")
        arr = cdf.astype(np.float64)  # always a copy
    elif isinstance(cdf, (list, tuple)):
        if len(cdf) != GRID_SIZE:
            raise CdfError(f"cdf must have exactly {GRID_SIZE} values, got {len(cdf)}")
        for i, x in enumerate(cdf):
            # Exact type test first: JSON gives float/int, and the ABC check is ~10x slower.
            if type(x) is not float and type(x) is not int and not _is_number(x):
                raise CdfError(f"cdf[{i}] must be a number, got {_describe(x)}")
        arr = np.array([float(x) for x in cdf], dtype=np.float64)
    else:
        raise CdfError(f"cdf must be a list of {GRID_SIZE} numbers, got {_describe(cdf)}")

    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.shape[0]:
        i = int(bad[0])
        raise CdfError(f"cdf[{i}] must be a finite number, got {float(arr[i])!r}")

    last = N_CELLS
    if open_lower:
        if not arr[0] >= OPEN_BOUND_MIN:
            raise CdfError(f"cdf[0] must be at least {_fmt(OPEN_BOUND_MIN)} because the lower bound is open "
                           f"(got {_fmt(arr[0])})")
    else:
        if abs(arr[0]) > _END_SNAP:
            raise CdfError(f"cdf[0] must be 0 because the lower bound is closed (got {_fmt(arr[0])})")
        arr[0] = 0.0
    if open_upper:
        if not arr[last] <= OPEN_BOUND_MAX:
            raise CdfError(f"cdf[{last}] must be at most {_fmt(OPEN_BOUND_MAX)} because the upper bound is open "
                           f"(got {_fmt(arr[last])})")
    else:
        if abs(arr[last] - 1.0) > _END_SNAP:
            raise CdfError(f"cdf[{last}] must be 1 because the upper bound is closed (got {_fmt(arr[last])})")
        arr[last] = 1.0

    steps = np.diff(arr)
    low = np.flatnonzero(steps < MIN_STEP - _STEP_SLACK)
    if low.shape[0]:
        j = int(low[0]) + 1
        raise CdfError(f"cdf must be non-decreasing with every step at least {MIN_STEP:g} "
                       f"(step {j}, cdf[{j}] - cdf[{j - 1}], is {steps[j - 1]:.6g})")
    return arr


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


class _SmoothCdf:
    """Continuous monotone CDF in unit space through the quantile points (u_k, p_k), used for the shape.

    Inside [u_first, u_last]: cubic Hermite with Fritsch-Butland (PCHIP) slopes at interior points and, at the two
    end points, the slopes of the untruncated exponential tails (so on an open side the density is continuous).
    Tails: below u_first, F(u) = p_first * exp(lam (u - u_first)) with lam = ln(p_2/p_1)/(u_2 - u_1) (log-linear
    through the two lowest quantiles), which holds exactly mass p_first below u_first; on a closed lower bound the
    same exponential is truncated and rescaled to hold all of p_first inside [0, u_first]. The upper tail mirrors
    it with 1 - F.
    """

    def __init__(self, u: np.ndarray, p: np.ndarray, *, closed_lower: bool, closed_upper: bool):
        self.u, self.p = u, p
        h = np.diff(u)
        delta = np.diff(p) / h
        self.h = h
        self.lam = math.log(p[1] / p[0]) / h[0]
        self.mu = math.log((1.0 - p[-2]) / (1.0 - p[-1])) / h[-1]
        d = np.empty_like(p)
        # Fritsch-Butland weighted harmonic mean: d_k <= 3 min(delta) keeps every Hermite piece monotone.
        w1 = 2.0 * h[1:] + h[:-1]
        w2 = h[1:] + 2.0 * h[:-1]
        d[1:-1] = (w1 + w2) / (w1 / delta[:-1] + w2 / delta[1:])
        # End slopes match the tails; d/delta = ln(r)/(r - 1) < 1, inside the monotone region.
        d[0] = self.lam * p[0]
        d[-1] = self.mu * (1.0 - p[-1])
        self.d = d
        self.closed_lower, self.closed_upper = closed_lower, closed_upper

    def __call__(self, x: np.ndarray) -> np.ndarray:
        u, p, h, d = self.u, self.p, self.h, self.d
        out = np.empty_like(x)
        lower = x < u[0]
        upper = x > u[-1]
        mid = ~(lower | upper)
        if np.any(mid):
            xm = x[mid]
            k = np.clip(np.searchsorted(u, xm, side="right") - 1, 0, len(u) - 2)
            s = (xm - u[k]) / h[k]
            s2, s3 = s * s, s * s * s
            out[mid] = ((2 * s3 - 3 * s2 + 1) * p[k] + (s3 - 2 * s2 + s) * h[k] * d[k]
                        + (-2 * s3 + 3 * s2) * p[k + 1] + (s3 - s2) * h[k] * d[k + 1])
        if np.any(lower):
            xl = x[lower]
            tail = np.exp(self.lam * (xl - u[0]))
            if self.closed_lower:
                floor = math.exp(-self.lam * u[0])
                tail = (tail - floor) / -math.expm1(-self.lam * u[0])
            out[lower] = p[0] * tail
        if np.any(upper):
            xu = x[upper]
            tail = np.exp(-self.mu * (xu - u[-1]))
            if self.closed_upper:
                floor = math.exp(-self.mu * (1.0 - u[-1]))
                tail = (tail - floor) / -math.expm1(-self.mu * (1.0 - u[-1]))
            out[upper] = 1.0 - (1.0 - p[-1]) * tail
        return out


def _water_fill(total: float, weights: np.ndarray, floor: float) -> np.ndarray:
    """Masses m_j = max(floor, lam * weights_j) summing to ``total`` (needs total >= n * floor).

    The free cells between two anchors follow the smooth CDF's shape, except that no cell gets less than the
    minimum step.
    """
    n = weights.shape[0]
    if n == 0:
        return np.empty(0)
    w = np.maximum(weights, 0.0)
    if total <= n * floor or not w.sum() > 0:
        return np.full(n, total / n)
    active = np.ones(n, dtype=bool)
    lam = 0.0
    for _ in range(n + 1):  # the active set only shrinks, so this ends within n rounds
        lam = (total - floor * (n - int(active.sum()))) / w[active].sum()
        new_active = active & (lam * w > floor)
        if np.array_equal(new_active, active):
            break
        active = new_active
        if not active.any():
            return np.full(n, total / n)
    return np.where(active, lam * w, floor)


class _Anchor:
    """One grid cell holding one or more in-range quantiles: where they sit in it (t) and their levels."""

    __slots__ = ("cell", "t_first", "t_last", "p_first", "p_last", "label_first", "label_last")

    def __init__(self, cell, t_first, t_last, p_first, p_last, label_first, label_last):
        self.cell, self.t_first, self.t_last = cell, t_first, t_last
        self.p_first, self.p_last = p_first, p_last
        self.label_first, self.label_last = label_first, label_last


class _Link:
    """a * x_left + b * x_right (= or <=) prob - (f1 - f0) * step; "=" exactly when no free cell lies between."""

    __slots__ = ("a", "b", "prob", "f0", "f1", "left", "right")

    def __init__(self, a, b, prob, f0, f1, left, right):
        self.a, self.b, self.prob, self.f0, self.f1 = float(a), float(b), float(prob), int(f0), int(f1)
        self.left, self.right = left, right

    @property
    def eq(self) -> bool:
        return self.f1 == self.f0


def _solve_chain(boxes: list[list[float]], targets: list[float], links: list[_Link],
                 step: float) -> tuple[list[float] | None, int]:
    """Choose x_0..x_{q+1} within their boxes satisfying every link, each as near its target as the chain allows.

    Each link ties only two neighbours, so the feasible set is found exactly by one forward pass of intervals
    (J[i] = the x_i consistent with every link to its left) and a solution by one backward pass (pick x_i nearest
    its target among values compatible with the x_{i+1} already chosen). Returns (x, -1), or (None, i) with the
    index of the link where the chain became infeasible.
    """
    J = [list(b) for b in boxes]
    for i, ln in enumerate(links):
        c = ln.prob - (ln.f1 - ln.f0) * step
        lo_, hi_ = J[i]
        if ln.b == 0.0:  # the link constrains x_i alone (its right quantile sits on a grid point)
            if ln.a == 0.0:
                if (ln.eq and abs(c) > _FEAS_TOL) or c < -_FEAS_TOL:
                    return None, i
                continue
            if ln.eq:
                v = c / ln.a
                if not (lo_ - _FEAS_TOL <= v <= hi_ + _FEAS_TOL):
                    return None, i
                J[i] = [min(max(v, lo_), hi_)] * 2
            else:
                if c / ln.a < lo_ - _FEAS_TOL:
                    return None, i
                J[i][1] = max(min(hi_, c / ln.a), lo_)
            continue
        nlo, nhi = J[i + 1]
        ylo = (c - ln.a * hi_) / ln.b if ln.eq else -math.inf
        yhi = (c - ln.a * lo_) / ln.b
        new_lo, new_hi = max(nlo, ylo), min(nhi, yhi)
        if new_lo > new_hi + _FEAS_TOL * max(1.0, 1.0 / ln.b):
            return None, i
        if new_lo > new_hi:  # empty only by rounding: collapse onto the nearer end
            new_lo = new_hi = min(max(new_lo, nlo), nhi)
        J[i + 1] = [new_lo, new_hi]

    x = [0.0] * len(J)
    x[-1] = min(max(targets[-1], J[-1][0]), J[-1][1])
    for i in range(len(links) - 1, -1, -1):
        ln = links[i]
        c = ln.prob - (ln.f1 - ln.f0) * step
        lo_, hi_ = J[i]
        if ln.a == 0.0:
            x[i] = min(max(targets[i], lo_), hi_)
        elif ln.eq:
            x[i] = min(max((c - ln.b * x[i + 1]) / ln.a, lo_), hi_)
        else:
            x[i] = min(max(targets[i], lo_), max(min(hi_, (c - ln.b * x[i + 1]) / ln.a), lo_))
    return x, -1


def _infeasible_error(links: list[_Link], i: int, *, open_lower: bool, open_upper: bool) -> CdfError:
    """A user-facing explanation for the link where no valid grid CDF could be found."""
    ln = links[i]
    n_free = ln.f1 - ln.f0
    head = "quantiles cannot be represented on the 201-point grid: "
    steps = f"each of the {n_free} grid steps between them needs at least {MIN_STEP:g}"
    if i == 0 and len(links) > 1:  # range_min .. first in-range quantile
        need = n_free * MIN_STEP + (OPEN_BOUND_MIN if open_lower else 0.0)
        if ln.prob < need:
            bound = (f"at least {_fmt(OPEN_BOUND_MIN)} of probability must lie below the open lower bound and "
                     if open_lower else "")
            move = "move its value below range_min" if open_lower else "move its value further from range_min"
            return CdfError(f"{head}between {ln.left} and {ln.right} {bound}{steps}, so that quantile needs a level "
                            f"of at least {_fmt(need)}; raise its level or {move}", field="quantiles")
    elif i == len(links) - 1 and len(links) > 1:  # last in-range quantile .. range_max
        need = n_free * MIN_STEP + ((1.0 - OPEN_BOUND_MAX) if open_upper else 0.0)
        if ln.prob < need:
            bound = (f"at least {_fmt(1.0 - OPEN_BOUND_MAX)} of probability must lie above the open upper bound "
                     "and " if open_upper else "")
            move = "move its value above range_max" if open_upper else "move its value further from range_max"
            return CdfError(f"{head}between {ln.left} and {ln.right} {bound}{steps}, so that quantile can have a "
                            f"level of at most {_fmt(1.0 - need)}; lower its level or {move}", field="quantiles")
    elif ln.prob < n_free * MIN_STEP:
        return CdfError(f"{head}between {ln.left} and {ln.right} there is probability {_fmt(ln.prob)}, but {steps} "
                        f"({_fmt(n_free * MIN_STEP)} in all); use levels further apart or values closer together",
                        field="quantiles")
    return CdfError(f"{head}{ln.left} and {ln.right} are too close together for the probability between them "
                    "(a grid step is 1/200 of the range); spread the values further apart", field="quantiles")


def quantiles_to_cdf(quantiles: Mapping[Any, Any], *, range_min: float, range_max: float, log_scale: bool,
                     open_lower: bool, open_upper: bool) -> np.ndarray:
    """Convert quantiles to a valid 201-point CDF that reproduces every in-range quantile exactly.

    ``quantiles`` maps probability levels in (0, 1) (numbers, or numeric strings as JSON object keys arrive) to
    values in the question's units. The 0.1, 0.5 and 0.9 levels are required, up to 100 levels are allowed, and
    values must strictly increase with the level.

    Construction (docs/forecast-maths.md has the full story):
    1. Map values to unit positions u_k. A value outside the range is allowed only on an open side (it then shapes
       the curve and the out-of-range mass); on a closed side it must lie strictly inside the range.
    2. Build a smooth monotone CDF through the points (PCHIP inside, exponential tails that keep the tail masses
       the outermost levels imply; truncated to the range on a closed side).
    3. Fit the stored piecewise-linear grid CDF to it under exact constraints: for each in-range quantile the line
       across its grid cell passes through (u_k, p_k); every step >= 1e-5; cdf[0] = 0 or >= 0.001; cdf[200] = 1 or
       <= 0.999. The cells holding quantiles, the below-range mass and the above-range mass form a chain of linked
       unknowns, solved by interval propagation (forward) and nearest-to-the-smooth-curve choice (backward); the
       cells in between follow the smooth curve with the 1e-5 minimum enforced by water filling.

    The result passes ``validate_cdf`` and, for every quantile with 0 <= u_k <= 1, the linear grid CDF reaches
    level p_k within 1e-6 of u_k (in practice within 1e-11).

    Raises CdfError(field="quantiles") for malformed input, a value outside a closed side, a non-positive value on
    a log scale, or quantiles that no valid grid CDF can reproduce: levels below 0.001 (above 0.999) inside the
    range with an open lower (upper) side, quantiles so close together that one grid cell would need more than its
    share of probability, or levels so close together that the cells between them cannot each hold 1e-5. The
    message names the quantiles involved and what would work. Raises ValueError for a malformed range.
    """
    lo, hi = _check_range(range_min, range_max, log_scale)
    levels, values = _parse_quantiles(quantiles)
    labels = [f"the {_fmt(p)} quantile ({_fmt(v)})" for p, v in zip(levels, values)]

    if log_scale:
        for k in range(len(values)):
            if not values[k] > 0:
                raise CdfError(f"{labels[k]} must be positive because the question uses a log scale",
                               field="quantiles")
    if not open_lower and not values[0] > lo:
        raise CdfError(f"{labels[0]} must be greater than the range minimum {_fmt(lo)} because the lower bound is "
                       "closed (all probability lies inside the range)", field="quantiles")
    if not open_upper and not values[-1] < hi:
        raise CdfError(f"{labels[-1]} must be less than the range maximum {_fmt(hi)} because the upper bound is "
                       "closed (all probability lies inside the range)", field="quantiles")

    u = np.asarray(to_unit(values, range_min=lo, range_max=hi, log_scale=log_scale), dtype=np.float64)
    if not np.all(np.isfinite(u)):
        raise CdfError("quantile values are too far outside the range to be used", field="quantiles")
    g = u * N_CELLS
    r = np.round(g)
    # Only in-range positions snap; a value just outside an open bound stays outside (it is not a constraint).
    near = (np.abs(g - r) <= _GRID_SNAP) & (g >= 0) & (g <= N_CELLS)
    g = np.where(near, r, g)
    u = np.where(near, r / N_CELLS, u)
    for k in range(1, len(u)):
        if not g[k] > g[k - 1]:
            raise CdfError(f"{labels[k - 1]} and {labels[k]} are too close together to tell apart on the "
                           "question's scale", field="quantiles")

    with np.errstate(all="ignore"):  # absurdly close quantiles can overflow; caught just below
        smooth = _SmoothCdf(u, levels, closed_lower=not open_lower, closed_upper=not open_upper)
        fg = smooth(UNIT_GRID.copy())
    if not np.all(np.isfinite(fg)):
        raise CdfError("quantiles are too close together to be represented on the 201-point grid; spread the "
                       "values further apart", field="quantiles")
    if not open_lower:
        fg[0] = 0.0
    if not open_upper:
        fg[-1] = 1.0
    cell_mass = np.maximum(np.diff(fg), 0.0)

    # Anchors: grid cells holding in-range quantiles, in order.
    anchors: list[_Anchor] = []
    for k in np.flatnonzero((g >= 0) & (g <= N_CELLS)):
        cell = min(int(math.floor(g[k])), N_CELLS - 1)
        t = float(g[k] - cell)
        if anchors and anchors[-1].cell == cell:
            a = anchors[-1]
            a.t_last, a.p_last, a.label_last = t, float(levels[k]), labels[k]
        else:
            anchors.append(_Anchor(cell, t, t, float(levels[k]), float(levels[k]), labels[k], labels[k]))
    # Same-cell quantiles fix that cell's mass: the line through them has slope (dp/dt) per cell.
    fixed_mass: dict[int, float] = {}
    in_range = list(np.flatnonzero((g >= 0) & (g <= N_CELLS)))
    for k0, k1 in zip(in_range, in_range[1:]):
        c0 = min(int(math.floor(g[k0])), N_CELLS - 1)
        c1 = min(int(math.floor(g[k1])), N_CELLS - 1)
        if c0 != c1:
            continue
        mass = float((levels[k1] - levels[k0]) / ((g[k1] - c0) - (g[k0] - c0)))
        prev = fixed_mass.get(c0)
        if prev is not None and abs(prev - mass) > 1e-9 * max(prev, mass):
            raise CdfError(f"{labels[k0]} and {labels[k1]} are too close together: three or more quantiles fall "
                           "in one grid cell (1/200 of the range) and do not lie on one line; spread them out",
                           field="quantiles")
        fixed_mass[c0] = mass if prev is None else prev

    for a in anchors:
        m = fixed_mass.get(a.cell)
        if m is not None and not (MIN_STEP - _FEAS_TOL <= m <= 1.0 + _FEAS_TOL):
            why = ("need more probability than one grid cell can hold" if m > 1.0 else
                   f"leave less than the minimum {MIN_STEP:g} per grid step between them")
            raise CdfError(f"{a.label_first} and {a.label_last} share one grid cell (1/200 of the range) and "
                           f"{why}; spread their values or their levels further apart", field="quantiles")

    lower_label = f"range_min ({_fmt(lo)}, {'open' if open_lower else 'closed'} lower bound)"
    upper_label = f"range_max ({_fmt(hi)}, {'open' if open_upper else 'closed'} upper bound)"
    # Links between consecutive unknowns: a*x_i + b*x_{i+1} (= or <=) the probability between the two anchors
    # minus the minimum owed to the free cells f0..f1-1 between them ("=" when there are none).
    links: list[_Link] = []
    if anchors:
        first, last = anchors[0], anchors[-1]
        links.append(_Link(1.0, first.t_first, first.p_first, 0, first.cell, lower_label, first.label_first))
        for a0, a1 in zip(anchors, anchors[1:]):
            links.append(_Link(1.0 - a0.t_last, a1.t_first, a1.p_first - a0.p_last, a0.cell + 1, a1.cell,
                               a0.label_last, a1.label_first))
        links.append(_Link(1.0 - last.t_last, 1.0, 1.0 - last.p_last, last.cell + 1, N_CELLS,
                           last.label_last, upper_label))
    else:
        links.append(_Link(1.0, 1.0, 1.0, 0, N_CELLS, lower_label, upper_label))

    # Unknowns x_0 = cdf[0] (mass below the range), x_1..x_q = masses of the anchor cells, x_{q+1} = 1 - cdf[200]
    # (mass above the range), each with a target from the smooth CDF.
    targets = [float(fg[0])] + [float(cell_mass[a.cell]) for a in anchors] + [float(1.0 - fg[-1])]

    def boxes_for(step: float) -> list[list[float]]:
        boxes = [[OPEN_BOUND_MIN, 1.0] if open_lower else [0.0, 0.0]]
        for a in anchors:
            m = fixed_mass.get(a.cell)
            boxes.append([step, 1.0] if m is None else [m, m])
        boxes.append([1.0 - OPEN_BOUND_MAX, 1.0] if open_upper else [0.0, 0.0])
        return boxes

    # First with a hair of margin above the minimum step, so rounding can never touch the limit; only a case
    # sitting exactly on the limit needs the second try.
    step = _BUILD_STEP
    x, failed = _solve_chain(boxes_for(step), targets, links, step)
    if x is None:
        step = MIN_STEP
        x, failed = _solve_chain(boxes_for(step), targets, links, step)
    if x is None:
        raise _infeasible_error(links, failed, open_lower=open_lower, open_upper=open_upper)

    # Assemble cell masses: anchor cells from x, free cells by water filling what each link leaves.
    mass = np.empty(N_CELLS, dtype=np.float64)
    for k, a in enumerate(anchors, start=1):
        mass[a.cell] = x[k]
    for i, link in enumerate(links):
        if link.f1 > link.f0:
            remainder = link.prob - link.a * x[i] - link.b * x[i + 1]
            mass[link.f0:link.f1] = _water_fill(remainder, cell_mass[link.f0:link.f1], step)
    out = np.empty(GRID_SIZE, dtype=np.float64)
    out[0] = x[0]
    out[1:] = x[0] + np.cumsum(mass)
    # Rounding in the cumulative sum is ~1e-16 (validation forgives 1e-14 per step): pin quantiles that sit
    # exactly on grid points to their exact level and clip the ends.
    for k in np.flatnonzero((g >= 0) & (g <= N_CELLS) & (g == np.floor(g))):
        out[int(g[k])] = levels[k]
    if open_lower:
        out[0] = max(out[0], OPEN_BOUND_MIN)
    else:
        out[0] = 0.0
    if open_upper:
        out[-1] = min(out[-1], OPEN_BOUND_MAX)
    else:
        out[-1] = 1.0
    return validate_cdf(out, open_lower=open_lower, open_upper=open_upper)


# ------------------------------------------------------------------------------------------------------------
# Reading a CDF
# ------------------------------------------------------------------------------------------------------------
def cdf_quantile(cdf: Any, p: Any) -> Any:
    """Unit position u where the piecewise-linear CDF reaches level ``p`` (inverse CDF), vectorized over ``p``.

    Precondition: ``cdf`` is valid (strictly increasing). Levels below cdf[0] lie below the range and give -inf;
    levels above cdf[200] give +inf (only possible with open bounds). Raises ValueError for p outside [0, 1].
    This is unit space only: to report quantiles in the question's units use ``cdf_quantiles_in_range``, never
    ``from_unit`` on this result (it would give ±inf, or 0.0 on a log scale).
    """
    c = np.asarray(cdf, dtype=np.float64)
    q = np.asarray(p, dtype=np.float64)
    if c.shape != (GRID_SIZE,):
        raise ValueError(f"cdf must have shape ({GRID_SIZE},), got {c.shape}")
    if np.any(~((q >= 0) & (q <= 1))):
        raise ValueError("levels must lie in [0, 1]")
    u = np.interp(q, c, UNIT_GRID)
    u = np.where(q < c[0], -np.inf, np.where(q > c[-1], np.inf, u))
    return float(u) if u.ndim == 0 else u


def cdf_quantiles_in_range(cdf: Any, p: Any, *, range_min: float, range_max: float, log_scale: bool,
                           open_lower: bool, open_upper: bool) -> tuple[np.ndarray, list[str | None]]:
    """The ``p``-quantiles of a CDF in the question's units as they are reported: ``(values, beyond)``.

    ``values`` is a float64 array shaped like ``p`` (a 1-D array for a scalar), every entry finite and within
    [range_min, range_max]. ``beyond[i]`` is ``BELOW`` when the p_i-quantile lies at or below range_min on an open
    lower side (p_i <= cdf[0]); ``values[i]`` is then exactly range_min. Mirrored: ``ABOVE`` and exactly range_max
    when p_i >= cdf[200] on an open upper side. Otherwise ``beyond[i]`` is None and ``values[i]`` is the quantile,
    kept strictly inside an open bound (one ulp in, should rounding land it on the bound), so that a reported value
    equals an open bound exactly when it is flagged; ``quantile_in_range`` relies on that to re-derive the marker
    from a stored value.

    Precondition: ``cdf`` is a valid CDF (``validate_cdf``) for a question with these bounds. Raises ValueError for
    a malformed range, a CDF of the wrong shape or with non-finite values, or p outside [0, 1].
    """
    lo, hi = _check_range(range_min, range_max, log_scale)
    c = np.asarray(cdf, dtype=np.float64)
    if c.shape != (GRID_SIZE,) or not np.all(np.isfinite(c)):
        raise ValueError(f"cdf must be {GRID_SIZE} finite numbers")
    q = np.atleast_1d(np.asarray(p, dtype=np.float64))
    if np.any(~((q >= 0) & (q <= 1))):
        raise ValueError("levels must lie in [0, 1]")
    u = np.interp(q, c, UNIT_GRID)  # 0 for q <= cdf[0], 1 for q >= cdf[200]
    below = (q <= c[0]) if open_lower else np.zeros(q.shape, dtype=bool)
    above = ((q >= c[-1]) & ~below) if open_upper else np.zeros(q.shape, dtype=bool)
    x = np.clip(np.asarray(from_unit(np.clip(u, 0.0, 1.0), range_min=lo, range_max=hi, log_scale=log_scale),
                           dtype=np.float64).reshape(q.shape), lo, hi)
    inside = ~(below | above)
    if open_lower:
        x = np.where(inside & (x <= lo), np.nextafter(lo, hi), x)
    if open_upper:
        x = np.where(inside & (x >= hi), np.nextafter(hi, lo), x)
    x = np.where(below, lo, np.where(above, hi, x))
    beyond = [BELOW if b else ABOVE if a else None for b, a in zip(below.tolist(), above.tolist())]
    return x, beyond


def quantile_in_range(x: Any, *, range_min: float, range_max: float, open_lower: bool,
                      open_upper: bool) -> tuple[float | None, str | None]:
    """A stored quantile value as it is reported: ``(value, beyond)``, the same representation as
    ``cdf_quantiles_in_range``.

    Copes with values written by older code, which stored a quantile beyond an open bound as -inf/+inf (and, on a
    log scale, the lower one as 0.0): a value at or below range_min on an open lower side gives
    ``(range_min, BELOW)``, at or above range_max on an open upper side ``(range_max, ABOVE)``; any other value is
    clipped into [range_min, range_max] with ``beyond`` None. None and NaN give ``(None, None)``.
    """
    if x is None:
        return None, None
    value = float(x)
    if math.isnan(value):
        return None, None
    lo, hi = float(range_min), float(range_max)
    if open_lower and value <= lo:
        return lo, BELOW
    if open_upper and value >= hi:
        return hi, ABOVE
    return min(max(value, lo), hi), None


def cdf_pmf(cdf: Any) -> np.ndarray:
    """Bucket masses, shape (202,): [P(below range), 200 in-range cells, P(above range)]; they sum to 1."""
    c = np.asarray(cdf, dtype=np.float64)
    if c.shape != (GRID_SIZE,):
        raise ValueError(f"cdf must have shape ({GRID_SIZE},), got {c.shape}")
    return np.concatenate(([c[0]], np.diff(c), [1.0 - c[-1]]))


def cdf_pdf_for_display(cdf: Any, *, range_min: float, range_max: float,
                        log_scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """Points for a density chart: (x at the 200 cell midpoints in the question's units, density per unit of u).

    The density is taken with respect to the unit position u (mass of the cell * 200), so on the question's own
    axis (linear, or logarithmic when ``log_scale``) the area under the curve is the in-range probability and the
    shape is what the forecaster sees. Midpoints are arithmetic in u, hence geometric in x on a log scale.
    """
    c = np.asarray(cdf, dtype=np.float64)
    if c.shape != (GRID_SIZE,):
        raise ValueError(f"cdf must have shape ({GRID_SIZE},), got {c.shape}")
    mids = (UNIT_GRID[:-1] + UNIT_GRID[1:]) / 2.0
    x = from_unit(mids, range_min=range_min, range_max=range_max, log_scale=log_scale)
    return np.asarray(x), np.diff(c) * N_CELLS
