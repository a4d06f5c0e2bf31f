"""The smooth curve behind quantiles_to_cdf: a C2 monotone spline of the log-odds, with tails that keep the tail
masses.

docs/forecast-maths.md (section 2.3) gives the formulas; static/js/quantile_cdf.js repeats them for the preview and
tests/forecasting/maths/test_cdf_smooth_math.py checks that both agree.
"""
from __future__ import annotations

import math

import numpy as np

# End-node slopes stay within these multiples of the outermost secant.
END_RANGE = (0.25, 2.0)
# Closed sides (see _LogitSpline and _closed_end): the fade's power, and the share of the tail mass that a logistic
# tail would put beyond the bound at which the tail becomes fully logarithmic.
CLOSED_POWER = 2.0
CLOSED_SPILL = 0.3
# Safe inner-node derivatives: of the 5 units that keep a quintic piece increasing (the middle Bernstein
# coefficient of its derivative), an inner node may spend BUDGET, or what an end node leaves.
BUDGET = 2.5
# Rounds of halving the step from the estimated towards the safe node derivatives; then the safe ones are used.
ROUNDS = 5


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _halves(c: np.ndarray) -> np.ndarray:
    """de Casteljau: the Bernstein coefficients (rows of 5) of both halves of each quartic, stacked."""
    rows = [c]
    for _ in range(4):
        c = 0.5 * (c[:, :-1] + c[:, 1:])
        rows.append(c)
    left = np.stack([r[:, 0] for r in rows], axis=1)
    right = np.stack([r[:, -1] for r in rows[::-1]], axis=1)
    return np.concatenate([left, right])


def _subdivision() -> np.ndarray:
    """The linear map from a quartic's 5 Bernstein coefficients to those of its 8 eighths (halved three times)."""
    c = np.eye(5)
    for _ in range(3):
        c = _halves(c)
    return c.reshape(-1, 5, 5).transpose(1, 0, 2).reshape(5, -1)  # column j: coefficient j of each eighth


_EIGHTHS = _subdivision()


def _increasing(h, secant, d0, d1, s0, s1) -> np.ndarray:
    """Per piece: is the quintic's derivative provably >= 0? Normalised (alpha = d/secant, sigma = s h/secant) it
    has Bernstein coefficients alpha, alpha + sigma0/4, 5 - 2 alpha - 2 beta + (sigma1 - sigma0)/4,
    beta - sigma1/4, beta; those of its eighths (three halvings) all >= 0 is a nearly exact test."""
    a, b = d0 / secant, d1 / secant
    g0, g1 = s0 * h / secant, s1 * h / secant
    c = np.stack([a, a + g0 / 4, 5.0 - 2.0 * a - 2.0 * b + (g1 - g0) / 4, b - g1 / 4, b], axis=1)
    return (c @ _EIGHTHS >= -1e-12).all(axis=1)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700.0 else 0.0


def _closed_end(secant: float, inner: float, gap: float, level: float, height: float):
    """End node on one side: (slope d, curvature s, blend lam). ``level`` is p_1 (lower side) or 1 - p_m (upper,
    then every sign is mirrored by the caller), ``height`` z_1 (or -z_m), ``gap`` the distance to a closed bound or
    0 on an open side. d starts as D^2/d_inner (z' continues geometrically) within END_RANGE x D; on a closed side
    lam = min(1, (spill / CLOSED_SPILL)^2) with spill the share of the tail mass that a logistic tail of slope d
    would put beyond the bound, d is raised to at least lam / ((1 - 2 level) gap) (within END_RANGE) and
    s = -lam d / gap (the caller keeps it within what the node's own Bernstein coefficient allows)."""
    d = secant * min(max(secant / inner, END_RANGE[0]), END_RANGE[1])
    if not gap:
        return d, 0.0, 0.0
    lam = min(1.0, (_sigmoid(height - d * gap) / level / CLOSED_SPILL) ** 2)
    need = lam / ((1.0 - 2.0 * level) * gap)
    if need > d:
        d = min(need, END_RANGE[1] * secant)
    return d, -lam * d / gap, lam


def _fade(t: np.ndarray) -> np.ndarray:
    """g(t) = ln t + (1-t) + (1-t)^2/2 + (1-t)^3/3 = -sum_{k>=4} (1-t)^k/k: 0 with its first three derivatives at
    t = 1, increasing (g'(t) = (1-t)^3/t), -inf at t = 0."""
    x = 1.0 - t
    with np.errstate(divide="ignore"):
        return np.log(t) + x + x * x / 2.0 + x * x * x / 3.0


def _node_derivatives(u: np.ndarray, z: np.ndarray, lower_gap: float, upper_gap: float, p: np.ndarray):
    """Slopes d and second derivatives s of z(u) at the nodes (docs/forecast-maths.md, section 2.3).

    Inner nodes, estimated: the Fritsch-Butland slope (the weighted harmonic mean of the two neighbouring
    secants, which stays near the smaller one) and the curvature of the parabola through the node and its
    neighbours. End nodes: see _closed_end (s = 0 on an open side). Inner nodes, safe: the slope at
    most half the node's budget x each neighbouring secant and the curvature clipped so that the node's own
    coefficients stay >= 0 and its share of the middle one within budget, so every piece is increasing. Each inner
    node starts at the estimate; a node next to a piece that is not provably increasing moves halfway to its safe
    values, and after ROUNDS such rounds every inner node takes them.
    """
    h = np.diff(u)
    secant = np.diff(z) / h
    n = u.shape[0]
    hl, hr, dl, dr = h[:-1], h[1:], secant[:-1], secant[1:]
    w1, w2 = 2.0 * hr + hl, hr + 2.0 * hl
    d_est = (w1 + w2) / (w1 / dl + w2 / dr)
    s_est = 2.0 * (dr - dl) / (hl + hr)

    first, s_first, lam_first = _closed_end(float(secant[0]), float(d_est[0]), lower_gap, float(p[0]), float(z[0]))
    last, s_last, lam_last = _closed_end(float(secant[-1]), float(d_est[-1]), upper_gap, 1.0 - float(p[-1]),
                                         -float(z[-1]))
    s_first = max(s_first, -4.0 * first / float(h[0]))
    s_last = min(-s_last, 4.0 * last / float(h[-1]))

    bl = np.full(n - 2, BUDGET)
    br = np.full(n - 2, BUDGET)
    bl[0] = 5.0 - (2.0 * first + s_first * float(h[0]) / 4.0) / float(secant[0])
    br[-1] = 5.0 - (2.0 * last - s_last * float(h[-1]) / 4.0) / float(secant[-1])
    d_safe = np.minimum(d_est, 0.5 * np.minimum(bl * dl, br * dr))
    low = np.maximum(-4.0 * d_safe / hr, 4.0 * (2.0 * d_safe - bl * dl) / hl)
    high = np.minimum(4.0 * (br * dr - 2.0 * d_safe) / hr, 4.0 * d_safe / hl)
    s_safe = np.minimum(np.maximum(s_est, low), high)

    weight = np.ones(n - 2)
    for rnd in range(ROUNDS + 1):
        d = np.concatenate(([first], d_safe + weight * (d_est - d_safe), [last]))
        s = np.concatenate(([s_first], s_safe + weight * (s_est - s_safe), [s_last]))
        bad = ~_increasing(h, secant, d[:-1], d[1:], s[:-1], s[1:])
        if not bad.any():
            break
        if rnd == ROUNDS - 1:  # last resort: every inner node safe, so every piece is increasing
            weight = np.zeros(n - 2)
        else:
            weight = np.where(bad[1:] | bad[:-1], 0.5 * weight, weight)  # inner node k: pieces k-1 and k
    return h, d, s, lam_first, lam_last


def _closed_tail(y: np.ndarray, gap: float, d: float, lam: float) -> np.ndarray:
    """z - z_1 in a closed lower tail at distance y = u_1 - u from the quantile (mirrored for the upper one)."""
    t = 1.0 - y / gap
    out = np.zeros_like(y)
    with np.errstate(divide="ignore"):
        if lam < 1.0:
            out += (1.0 - lam) * (-d * y + CLOSED_POWER * _fade(t))
        if lam > 0.0:
            out += lam * d * gap * np.log(t)
    return out


class _LogitSpline:
    """F(u) = sigmoid(z(u)) through the quantile points (u_k, p_k) in unit space, z_k = logit p_k.

    * Between the outermost quantiles z is a quintic Hermite spline with node slopes d_k and second derivatives
      s_k, so z, z', z'' are continuous and the density F' = F (1 - F) z' is C1 (no kinks, no notches).
    * Open side: z continues linearly with the end slope (a logistic tail), holding exactly the typed tail mass
      (p_1 below u_1, 1 - p_m above u_m), part of it beyond the bound.
    * Closed lower side, t = u/u_1: z = z_1 + (1 - lam) [d_1 (u - u_1) + CLOSED_POWER g(t)] + lam d_1 u_1 ln t,
      with g from _fade (mirrored above u_m with t = (1 - u)/L, L = 1 - u_m). F = 0 at the bound and all of the
      tail mass stays inside the range. Far from the bound (lam = 0) this is the logistic tail with a fade that
      leaves z and its first three derivatives unchanged at the quantile (no bend where the tail starts); when a
      logistic tail would put a real share of the tail mass beyond the bound (lam -> 1) it becomes the power law
      F ~ u^(d_1 u_1), whose density falls steadily towards the bound, the end node's s being its curvature.
    """

    def __init__(self, u: np.ndarray, p: np.ndarray, *, closed_lower: bool, closed_upper: bool):
        p = np.asarray(p, dtype=np.float64)
        u = np.asarray(u, dtype=np.float64)
        z = _logit(p)
        self.lower_gap = float(u[0]) if closed_lower else 0.0
        self.upper_gap = float(1.0 - u[-1]) if closed_upper else 0.0
        self.h, self.d, self.s, self.lam_lower, self.lam_upper = _node_derivatives(u, z, self.lower_gap,
                                                                                   self.upper_gap, p)
        self.u, self.z = u, z
        self.levels = np.concatenate(([0.0], p, [1.0]))

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        u, z, h, d, s = self.u, self.z, self.h, self.d, self.s
        out = np.empty_like(x)
        lower = x < u[0]
        upper = x > u[-1]
        mid = ~(lower | upper)
        out[lower] = z[0] + d[0] * (x[lower] - u[0])
        out[upper] = z[-1] + d[-1] * (x[upper] - u[-1])
        if self.lower_gap:
            out[lower] = z[0] + _closed_tail(u[0] - x[lower], self.lower_gap, d[0], self.lam_lower)
        if self.upper_gap:
            out[upper] = z[-1] - _closed_tail(x[upper] - u[-1], self.upper_gap, d[-1], self.lam_upper)
        xm = x[mid]
        k = np.clip(np.searchsorted(u, xm, side="right") - 1, 0, u.shape[0] - 2)
        hk = h[k]
        t = (xm - u[k]) / hk
        t2 = t * t
        t3 = t2 * t
        t4 = t3 * t
        t5 = t4 * t
        out[mid] = ((1.0 - 10.0 * t3 + 15.0 * t4 - 6.0 * t5) * z[k]
                    + (t - 6.0 * t3 + 8.0 * t4 - 3.0 * t5) * hk * d[k]
                    + 0.5 * (t2 - 3.0 * t3 + 3.0 * t4 - t5) * hk * hk * s[k]
                    + (10.0 * t3 - 15.0 * t4 + 6.0 * t5) * z[k + 1]
                    + (-4.0 * t3 + 7.0 * t4 - 3.0 * t5) * hk * d[k + 1]
                    + 0.5 * (t3 - 2.0 * t4 + t5) * hk * hk * s[k + 1])
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """F(x), kept between the levels of the typed quantiles on either side of x (logit and sigmoid can be an
        ulp off, and a quantile typed beyond an open bound must leave at least its level beyond it)."""
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            f = 1.0 / (1.0 + np.exp(-self.log_odds(x)))
        below = self.levels[np.searchsorted(self.u, x, side="right")]
        above = self.levels[np.searchsorted(self.u, x, side="left") + 1]
        return np.minimum(np.maximum(f, below), above)
