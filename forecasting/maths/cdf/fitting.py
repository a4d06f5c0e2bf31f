"""The constrained fit behind quantiles_to_cdf: water-filling and the chain solver (the smooth curve is in
smooth.py)."""
from __future__ import annotations

import math

import numpy as np

from .grid import CdfError, MIN_STEP, OPEN_BOUND_MAX, OPEN_BOUND_MIN, _FEAS_TOL
from .validation import _fmt


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
