"""LMSR market maths for Readout's play-money markets (SCORING.md section 6). Pure: numpy and the standard library only.

Units
-----
- ``q``: outstanding shares per outcome, floats in *shares* (a 1-D sequence, n >= 2 outcomes). Storage keeps shares as
  integers in milli-shares; convert with :func:`quantities_from_millishares` / :func:`millishares_to_shares`.
- ``b``: the liquidity parameter, in points (= shares, because one winning share pays one point).
- Costs, budgets and proceeds are floats in *points* inside the maths; every amount of money that leaves this module
  is an ``int`` in *milli-points* (1 point = 1,000 milli-points), rounded in the market maker's favour.

Numerical method
----------------
Everything is computed from the shifted scaled quantities x_i = (q_i - max q) / b, so no ``exp`` ever overflows
(log-sum-exp). Trade costs and budget inversions never subtract two large costs; they use the closed forms
    C(q + d e_k) - C(q) = b ln(1 + p_k (e^(d/b) - 1))
    d(m)                = b ln(1 + (e^(m/b) - 1) / p_k)
evaluated in log space with ``log1p``/``expm1``/log-add-exp so each keeps full relative precision for any size of
trade (see ``_log1p_exp`` and the branches of :func:`trade_cost`). The absolute float error of a trade cost is about
2e-16 times the largest share quantity involved (outstanding quantities and the trade), so it stays below the rounding
tolerance (next section) while those are under a million shares; tests check this against a 60-digit evaluation.

Rounding
--------
A trader's signed cash flow is ``ceil(1000 * cost - EPS)`` milli-points with EPS = 1e-6 milli-points
(``ROUNDING_EPSILON_POINTS`` = 1e-9 points): a payment is rounded up, proceeds are rounded down, and a result that is
an exact number of milli-points up to float noise (2.0000000000001 points) is not pushed one milli-point the wrong
way. The tolerance can favour the trader by at most EPS per trade. Because charges, payouts and the reserve are whole
milli-points, the maker's settled loss still never exceeds the reserve while a market's accumulated tolerance stays
under one milli-point, i.e. for fewer than a million trades (proof in docs/markets.md).

Errors
------
Bad input raises :class:`LMSRInputError` (a ``ValueError``) whose ``field`` names the argument at fault and whose
message says what is allowed; services map it to their domain validation error.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

MILLI = 1000
"""Milli-points per point, and milli-shares per share."""

ROUNDING_EPSILON_POINTS = 1e-9
"""Float-noise tolerance of money rounding, in points (1e-6 milli-points). See the module docstring."""

BUCKET_EDGE_TOLERANCE = 1e-9 / 200
"""A unit position at most this far above a bucket edge counts as lying exactly on it (so float noise in u(y) cannot
move a readout into the next bucket up). It is forecast scoring's tolerance, 1e-9 of a 1/200 grid step
(``forecasting.maths.scoring.numeric_bucket``), so that the two always pick the same side of an edge."""

MIN_LIQUIDITY = 1e-3
MAX_LIQUIDITY = 1e9
MAX_AMOUNT = 1e15
"""Largest magnitude accepted for a quantity, a trade size or a budget (shares or points): 1e15 points is 1e18
milli-points, still inside a signed 64-bit ledger column, and keeps every intermediate float finite."""

MAX_BUCKETS = 1000

_EPS_MILLIPOINTS = ROUNDING_EPSILON_POINTS * MILLI


class LMSRInputError(ValueError):
    """An argument is malformed or out of range. ``field`` names it; the message says what is allowed."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


# --------------------------------------------------------------------------------------------------- validation


def _real(value, field: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LMSRInputError(f"{field} must be a number, got {value!r}.", field=field)
    value = float(value)
    if not math.isfinite(value):
        raise LMSRInputError(f"{field} must be a finite number, got {value!r}.", field=field)
    if low is not None and value < low:
        raise LMSRInputError(f"{field} must be at least {low:g}, got {value!r}.", field=field)
    if high is not None and value > high:
        raise LMSRInputError(f"{field} must be at most {high:g}, got {value!r}.", field=field)
    return value


def _integer(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise LMSRInputError(f"{field} must be an integer, got {value!r}.", field=field)
    return int(value)


def _liquidity(b) -> float:
    return _real(b, "b", low=MIN_LIQUIDITY, high=MAX_LIQUIDITY)


def _quantities(q) -> np.ndarray:
    try:
        arr = np.asarray(q, dtype=float)
    except (TypeError, ValueError):
        raise LMSRInputError("q must be a sequence of numbers (shares per outcome).", field="q") from None
    if arr.ndim != 1 or arr.size < 2:
        raise LMSRInputError(
            f"q must be a flat sequence with one quantity per outcome and at least 2 outcomes, got shape {arr.shape}.",
            field="q",
        )
    if not np.all(np.isfinite(arr)):
        raise LMSRInputError("q must contain only finite numbers.", field="q")
    if np.any(np.abs(arr) > MAX_AMOUNT):
        raise LMSRInputError(f"q entries must be at most {MAX_AMOUNT:g} shares in magnitude.", field="q")
    return arr


def _outcome(outcome, n: int) -> int:
    k = _integer(outcome, "outcome")
    if not 0 <= k < n:
        raise LMSRInputError(f"outcome must be an index from 0 to {n - 1}, got {k}.", field="outcome")
    return k


# ------------------------------------------------------------------------------------------------ log-space core


def _logsumexp(v: np.ndarray) -> float:
    """ln(sum exp(v)) without overflow; the largest term is factored out and the rest goes through log1p, which
    keeps precision when one term dominates (a price near 1)."""
    i = int(np.argmax(v))
    m = float(v[i])
    rest = np.delete(v, i)
    if rest.size == 0:
        return m
    with np.errstate(under="ignore"):  # terms far below the largest vanish by design
        return m + math.log1p(float(np.sum(np.exp(rest - m))))


def _scaled(q: np.ndarray, b: float) -> np.ndarray:
    # Shifting by max q makes the largest scaled quantity exactly 0: exp never overflows, and prices and trade costs
    # depend only on differences of quantities, so nothing is lost.
    return (q - q.max()) / b


def _log_price_split(q: np.ndarray, b: float, k: int) -> tuple[float, float]:
    """(ln p_k, ln(1 - p_k)), each computed directly so neither loses precision when p_k is near 0 or 1."""
    x = _scaled(q, b)
    log_total = _logsumexp(x)
    log_p = float(x[k]) - log_total
    log_rest = _logsumexp(np.delete(x, k)) - log_total
    return log_p, log_rest


def _log_expm1(t: float) -> float:
    """ln(e^t - 1) for t > 0, without overflow for large t and without cancellation for small t."""
    if t < 1.0:
        return math.log(math.expm1(t))
    return t + math.log1p(-math.exp(-t))


def _logaddexp(a: float, c: float) -> float:
    """ln(e^a + e^c) without overflow (math.exp underflows quietly to 0, whatever numpy's error state)."""
    hi, lo = (a, c) if a >= c else (c, a)
    return hi + math.log1p(math.exp(lo - hi))


def _log1p_exp(t: float) -> float:
    """ln(1 + e^t) (softplus), accurate for every finite t."""
    if t > 0:
        return t + math.log1p(math.exp(-t))
    return math.log1p(math.exp(t))


# ------------------------------------------------------------------------------------------------- prices, costs


def cost(q, b) -> float:
    """LMSR cost function C(q) = b ln(sum_i exp(q_i / b)), in points.

    ``q``: shares per outcome (n >= 2, finite); ``b``: liquidity in points. Computed as max q + b ln(sum exp(x_i))
    with x_i = (q_i - max q) / b, so it stays finite for any representable quantities.
    Raises LMSRInputError for bad ``q`` or ``b``.
    """
    arr = _quantities(q)
    b = _liquidity(b)
    return float(arr.max()) + b * _logsumexp(_scaled(arr, b))


def prices(q, b) -> np.ndarray:
    """Instantaneous prices p_i = exp(q_i / b) / sum_j exp(q_j / b): probabilities that sum to 1 (within rounding).

    Each price is strictly between 0 and 1 in exact arithmetic; in floats a price underflows to 0 once its outcome
    trails the leader by more than ~745 b shares, and the leader's price rounds to 1.0 once every other outcome trails
    it by more than ~37 b. Raises LMSRInputError for bad ``q`` or ``b``.
    """
    arr = _quantities(q)
    b = _liquidity(b)
    with np.errstate(under="ignore"):  # an outcome trailing by > ~745 b has price 0.0 in floats
        e = np.exp(_scaled(arr, b))
        return e / e.sum()


def trade_cost(q, b, outcome, shares) -> float:
    """What a trader pays, in points, to change outcome ``outcome``'s quantity by ``shares``: C(q + d e_k) - C(q).

    ``shares`` > 0 buys (cost > 0); ``shares`` < 0 sells (cost < 0: the trader receives -cost). This function does not
    know positions: the caller checks that a seller owns the shares. Unrounded: use :func:`trade_cash_millipoints`
    for money. Raises LMSRInputError for bad arguments (``shares`` is limited to ``MAX_AMOUNT`` in magnitude).
    """
    arr = _quantities(q)
    b = _liquidity(b)
    k = _outcome(outcome, arr.size)
    d = _real(shares, "shares", low=-MAX_AMOUNT, high=MAX_AMOUNT)
    if d == 0.0:
        return 0.0
    log_p, log_rest = _log_price_split(arr, b, k)
    delta = d / b
    if delta == 0.0:  # |d| below ~1e-300 shares: the cost is zero to double precision
        return 0.0
    if delta > 0:
        # ln(1 + p (e^delta - 1)) = softplus(ln p + ln(e^delta - 1)): exact for tiny trades, no overflow for huge ones.
        return b * _log1p_exp(log_p + _log_expm1(delta))
    z = math.exp(log_p) * math.expm1(delta)  # in (-p_k, 0)
    if z >= -0.5:
        return b * math.log1p(z)
    # Selling most of a near-certain outcome: 1 + z would cancel, so use ln((1 - p) + p e^delta) in log space.
    return b * _logaddexp(log_rest, log_p + delta)


def shares_for_budget(q, b, outcome, budget) -> float:
    """Shares of ``outcome`` that exactly ``budget`` points buy: d = b ln(1 + (e^(m/b) - 1) / p_k), the inverse of
    :func:`trade_cost` for purchases.

    ``budget`` >= 0 in points (0 buys nothing). The result is an unrounded float; to buy in storage units use
    :func:`shares_for_budget_millishares`, which never exceeds the budget after rounding. Raises LMSRInputError.
    """
    arr = _quantities(q)
    b = _liquidity(b)
    k = _outcome(outcome, arr.size)
    m = _real(budget, "budget", low=0.0, high=MAX_AMOUNT)
    if m == 0.0:
        return 0.0
    mu = m / b
    if mu == 0.0:  # a budget below ~1e-300 points buys nothing representable
        return 0.0
    log_p, _ = _log_price_split(arr, b, k)
    # ln(1 + y) with ln y = ln(e^mu - 1) - ln p_k: no overflow when p_k is tiny or the budget dwarfs b.
    return b * _log1p_exp(_log_expm1(mu) - log_p)


def max_loss(b, n) -> float:
    """The market maker's worst-case loss b ln(n), in points, for a market with ``n`` >= 2 outcomes started at q = 0."""
    b = _liquidity(b)
    n = _integer(n, "n")
    if n < 2:
        raise LMSRInputError(f"n must be at least 2 outcomes, got {n}.", field="n")
    return b * math.log(n)


def reserve_millipoints(b, n) -> int:
    """The house reserve for a new market, in milli-points: b ln(n) rounded UP, so the reserve always covers the loss.

    The tolerance is added, not subtracted, so float noise can only make the reserve one milli-point larger.
    """
    return math.ceil(max_loss(b, n) * MILLI + _EPS_MILLIPOINTS)


# ------------------------------------------------------------------------------------------------ money rounding


def charge_millipoints(cost_points) -> int:
    """What a trader pays for a cost of ``cost_points`` >= 0 points, in milli-points, rounded UP.

    A cost within ``ROUNDING_EPSILON_POINTS`` above a whole milli-point is treated as float noise and charged that
    milli-point (2.0000000000001 points -> 2000). Any positive cost charges at least 1 milli-point, so nothing is
    ever bought for free. 0 charges 0. Raises LMSRInputError for a negative or non-finite cost.
    """
    c = _real(cost_points, "cost_points", low=0.0, high=MAX_AMOUNT)
    if c == 0.0:
        return 0
    return max(1, math.ceil(c * MILLI - _EPS_MILLIPOINTS))


def payout_millipoints(proceeds_points) -> int:
    """What a trader receives for proceeds of ``proceeds_points`` >= 0 points, in milli-points, rounded DOWN.

    Proceeds within ``ROUNDING_EPSILON_POINTS`` below a whole milli-point are treated as float noise and paid that
    milli-point (1.9999999999999 points -> 2000). Raises LMSRInputError for negative or non-finite proceeds.
    """
    c = _real(proceeds_points, "proceeds_points", low=0.0, high=MAX_AMOUNT)
    return math.floor(c * MILLI + _EPS_MILLIPOINTS)


def trade_cash_millipoints(q, b, outcome, shares) -> int:
    """The trader's signed cash flow for a trade, in milli-points: positive = the trader pays (rounded up, at least
    1 for any purchase), negative = the trader receives (magnitude rounded down), 0 for ``shares`` == 0.

    Arguments as for :func:`trade_cost`. Raises LMSRInputError.
    """
    c = trade_cost(q, b, outcome, shares)
    if shares > 0:
        return max(1, charge_millipoints(max(c, 0.0)))
    if shares < 0:
        # A sale's cost is never positive in exact arithmetic; clamp float noise so it cannot become a charge.
        return -payout_millipoints(max(-c, 0.0))
    return 0


# ------------------------------------------------------------------------------------------- share storage units


def millishares_to_shares(millishares) -> float:
    """Convert an integer number of milli-shares (storage) to shares (maths). Raises LMSRInputError if not an int."""
    return _integer(millishares, "millishares") / MILLI


def shares_to_millishares(shares) -> int:
    """Convert shares to integer milli-shares. ``shares`` must be a whole number of milli-shares (a multiple of 0.001,
    up to float noise of 1e-6 milli-shares): a trade size the user typed, not a computed float. Raises LMSRInputError.
    """
    s = _real(shares, "shares", low=-MAX_AMOUNT, high=MAX_AMOUNT)
    scaled = s * MILLI
    whole = round(scaled)
    if abs(scaled - whole) > 1e-6:
        raise LMSRInputError(f"shares must be a multiple of 0.001, got {s!r}.", field="shares")
    return int(whole)


def quantities_from_millishares(q_millishares) -> np.ndarray:
    """Convert stored per-outcome quantities (integers, milli-shares) to the float shares the maths takes."""
    try:
        values = list(q_millishares)
    except TypeError:
        raise LMSRInputError("q_millishares must be a sequence of integers (milli-shares per outcome).",
                             field="q_millishares") from None
    for i, v in enumerate(values):
        _integer(v, f"q_millishares[{i}]")
    return np.array([int(v) / MILLI for v in values], dtype=float)


def shares_for_budget_millishares(q, b, outcome, budget_millipoints) -> int:
    """The largest number of milli-shares of ``outcome`` whose rounded charge does not exceed ``budget_millipoints``.

    ``q``, ``b``, ``outcome`` as for :func:`trade_cost`; ``budget_millipoints`` an int >= 0. Returns 0 when the budget
    does not buy one milli-share. Unlike :func:`shares_for_budget` the result is exact in storage units:
    trade_cash_millipoints(q, b, outcome, result / 1000) <= budget < the cash for one more milli-share.
    """
    budget = _integer(budget_millipoints, "budget_millipoints")
    if budget < 0:
        raise LMSRInputError(f"budget_millipoints must be at least 0, got {budget}.", field="budget_millipoints")
    if budget == 0:
        return 0
    estimate = shares_for_budget(q, b, outcome, budget / MILLI) * MILLI
    limit = int(MAX_AMOUNT * MILLI)  # trade sizes are capped at MAX_AMOUNT shares
    ms = min(max(0, math.floor(estimate)), limit)

    def cash(n: int) -> int:
        return trade_cash_millipoints(q, b, outcome, n / MILLI)

    # The float estimate is off by far less than one milli-share; these loops fix the last step of rounding and run
    # at most a couple of times. Cash is non-decreasing in shares, so the result is the largest affordable amount.
    while ms > 0 and cash(ms) > budget:
        ms -= 1
    while ms < limit and cash(ms + 1) <= budget:
        ms += 1
    return ms


# --------------------------------------------------------------------------------------------------------- quote


@dataclass(frozen=True)
class Quote:
    """The preview of one trade. Prices are per outcome (index = outcome), before and after the trade.

    ``cash_millipoints`` is the trader's signed cash flow (positive = pays, negative = receives);
    ``average_price`` is points per share paid (purchase) or received (sale): cash / shares, always >= 0.
    """

    outcome: int
    shares: float
    cash_millipoints: int
    average_price: float
    price_before: tuple[float, ...]
    price_after: tuple[float, ...]


def quote(q, b, outcome, shares) -> Quote:
    """Preview buying (``shares`` > 0) or selling (``shares`` < 0) shares of ``outcome``; nothing is changed.

    Arguments as for :func:`trade_cost`; ``shares`` must be non-zero. Raises LMSRInputError.
    """
    arr = _quantities(q)
    cash = trade_cash_millipoints(arr, b, outcome, shares)
    d = float(shares)
    if d == 0.0:
        raise LMSRInputError("shares must be non-zero to quote a trade.", field="shares")
    after = arr.copy()
    after[int(outcome)] += d
    return Quote(
        outcome=int(outcome),
        shares=d,
        cash_millipoints=cash,
        average_price=(cash / MILLI) / d,
        price_before=tuple(float(p) for p in prices(arr, b)),
        price_after=tuple(float(p) for p in prices(after, b)),
    )


# ---------------------------------------------------------------------------------------------- numeric markets


def _bucket_count(K) -> int:
    K = _integer(K, "K")
    if not 2 <= K <= MAX_BUCKETS:
        raise LMSRInputError(f"K must be between 2 and {MAX_BUCKETS} buckets, got {K}.", field="K")
    return K


def bucket_edges(K) -> np.ndarray:
    """The K + 1 edges of K equal buckets over the unit interval: [0, 1/K, ..., 1], each j/K correctly rounded.

    Bucket j covers (j/K, (j+1)/K] for j > 0 and the first bucket covers [0, 1/K]: a value on an inner edge belongs
    to the bucket BELOW it, as in forecast scoring, where cdf[j] = P(X <= x(u_j)) makes each of the 200 scoring
    buckets closed on the right (SCORING.md section 3); u = 0 belongs to the first bucket. Raises LMSRInputError
    unless 2 <= K <= 1000.
    """
    K = _bucket_count(K)
    return np.arange(K + 1, dtype=float) / K


def bucket_for_unit(u, K) -> int:
    """The bucket (0 .. K-1) holding unit position ``u`` (see :func:`bucket_edges` for which bucket owns an edge).

    Out-of-range outcomes are absorbed: u < 0 -> bucket 0, u > 1 -> bucket K - 1. A ``u`` at most
    ``BUCKET_EDGE_TOLERANCE`` above an edge counts as on it, so a readout exactly at a boundary lands in the bucket
    below it whatever the float noise of its unit position (HR 0.7 on [0.3, 1.3] maps to 0.39999999999999997, HR 1.0
    on a log scale [0.1, 10] to 0.49999999999999994 or a hair above 0.5). When K divides 200 every market edge is a
    scoring grid point and the bucket is always the one holding forecast scoring's bucket
    (``forecasting.maths.scoring.numeric_bucket``): j = ceil(K u - K tol) - 1 there, c = ceil(200 u - 200 tol) for
    the grid. Raises LMSRInputError for a non-finite ``u`` or bad K.
    """
    K = _bucket_count(K)
    value = min(max(_real(u, "u"), -1.0), 2.0)  # out of range either way; keeps K * u finite for any float
    j = math.ceil(K * value - K * BUCKET_EDGE_TOLERANCE) - 1
    return min(max(j, 0), K - 1)


# -------------------------------------------------------------------------------------------------- settlement


def settlement_payout_millipoints(shares_millishares, winning) -> int:
    """What a position of ``shares_millishares`` (int >= 0) is paid at settlement, in milli-points.

    Each winning share pays 1 point, so a winning position is paid exactly its size in milli-shares as milli-points
    (no rounding); a losing position is paid 0. ``winning`` must be a bool. Raises LMSRInputError.
    """
    ms = _integer(shares_millishares, "shares_millishares")
    if ms < 0:
        raise LMSRInputError(f"shares_millishares must be at least 0, got {ms}.", field="shares_millishares")
    if not isinstance(winning, (bool, np.bool_)):
        raise LMSRInputError(f"winning must be True or False, got {winning!r}.", field="winning")
    return ms if winning else 0
