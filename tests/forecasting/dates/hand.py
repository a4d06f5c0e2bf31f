"""Independent hand computations for date-question tests: the date -> unit mapping, unit CRPS of a piecewise-linear
CDF and the numeric baseline, written from SCORING.md section 3 without the project's scoring code."""
import datetime as dt
import math

import numpy as np


def unit_of(day: dt.date, lo: dt.date, hi: dt.date) -> float:
    """u(y) = (y - min)/(max - min) with every date at 00:00 UTC, computed in whole days."""
    return (day - lo).days / (hi - lo).days


def crps_exact(cdf, y: float) -> float:
    """Integral over [0, 1] of (F(u) - 1{u >= y})^2 for F linear between u_j = j/200: each segment, split at y,
    integrated in closed form (of a linear function squared)."""
    total = 0.0
    n = len(cdf) - 1
    for j in range(n):
        u0, u1, a, b = j / n, (j + 1) / n, float(cdf[j]), float(cdf[j + 1])

        def integral(ua, ub, shift):
            # ∫ (F(u) - shift)^2 du over [ua, ub] with F linear on [u0, u1]
            if ub <= ua:
                return 0.0
            fa = a + (b - a) * (ua - u0) / (u1 - u0) - shift
            fb = a + (b - a) * (ub - u0) / (u1 - u0) - shift
            return (ub - ua) * (fa * fa + fa * fb + fb * fb) / 3.0

        split = min(max(y, u0), u1)
        total += integral(u0, split, 0.0) + integral(split, u1, 1.0)
    return total


def crps_trapezoid(cdf, y: float, *, per_cell: int = 400) -> float:
    """The same integral by a fine midpoint rule: a numeric cross-check of crps_exact."""
    n = len(cdf) - 1
    m = n * per_cell
    u = (np.arange(m) + 0.5) / m
    f = np.interp(u, np.arange(n + 1) / n, np.asarray(cdf, dtype=float))
    return float(np.mean((f - (u >= y)) ** 2))


def baseline(cdf, y: float, *, open_lower: bool, open_upper: bool) -> float:
    """100 * ln(pmf[b] / base) / 2 for the bucket b holding y (SCORING.md 3)."""
    n = len(cdf) - 1
    if y < 0:
        mass, base = cdf[0], 0.05
    elif y > 1:
        mass, base = 1 - cdf[-1], 0.05
    else:
        k = max(1, math.ceil(y * n - 1e-9))
        mass, base = cdf[k] - cdf[k - 1], (1 - 0.05 * (int(open_lower) + int(open_upper))) / n
    return 100 * math.log(mass / base) / 2
