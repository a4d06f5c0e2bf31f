"""Quantiles -> CDF: the conversion of a forecaster's quantiles into a valid CDF on the unit grid."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .fitting import _Anchor, _Link, _infeasible_error, _solve_chain, _water_fill
from .grid import (
    CdfError, GRID_SIZE, MIN_STEP, N_CELLS, OPEN_BOUND_MAX, OPEN_BOUND_MIN, UNIT_GRID, _BUILD_STEP, _FEAS_TOL,
    _GRID_SNAP, _check_range, to_unit,
)
from .quantiles import _parse_quantiles
from .smooth import _LogitSpline
from .validation import _fmt, validate_cdf


def quantiles_to_cdf(quantiles: Mapping[Any, Any], *, range_min: float, range_max: float, log_scale: bool,
                     open_lower: bool, open_upper: bool) -> np.ndarray:
    """Convert quantiles to a valid 201-point CDF that reproduces every in-range quantile exactly.

    ``quantiles`` maps probability levels in (0, 1) (numbers, or numeric strings as JSON object keys arrive) to
    values in the question's units. The 0.1, 0.5 and 0.9 levels are required, up to 100 levels are allowed, and
    values must strictly increase with the level.

    Construction (docs/forecast-maths.md has the full story):
    1. Map values to unit positions u_k. A value outside the range is allowed only on an open side (it then shapes
       the curve and the out-of-range mass); on a closed side it must lie strictly inside the range.
    2. Build a smooth monotone CDF through the points (smooth.py: a C2 monotone quintic spline of the log-odds,
       logistic tails that keep the tail masses the outermost levels imply; on a closed side the tail fades to 0
       at the bound, so all of that mass stays inside the range).
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
        smooth = _LogitSpline(u, levels, closed_lower=not open_lower, closed_upper=not open_upper)
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
