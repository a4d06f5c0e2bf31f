"""The market price as a scorable forecast (forecasting/maths/scoring.py, section 4; docs/scoring.md "The market scored
like a forecaster") and the bucket-edge convention that markets share with forecast scoring (docs/markets.md)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.maths.cdf import validate_cdf
from forecasting.maths.scoring import (
    GRID_SIZE,
    crps_unit,
    market_cdfs,
    market_probabilities,
    numeric_bucket,
    numeric_pmf,
    score_binary_series,
    score_numeric_series,
    unit_position,
)
from markets import lmsr
from markets.buckets import from_unit, to_unit, winning_bucket

BOUNDS = [(False, False), (False, True), (True, False), (True, True)]
DIVISORS_OF_200 = [2, 4, 5, 8, 10, 20, 25, 40, 50, 100]


def _extreme_prices(K: int, b: float, shares: float, outcome: int) -> np.ndarray:
    q = np.zeros(K)
    q[outcome] = shares
    return lmsr.prices(q, b)


# ----------------------------------------------------------------------------------------------- market_cdfs


def test_the_issue_market_b1_40_shares_gives_a_valid_cdf_with_mass_in_every_bucket():
    # b = 1, one 40-share purchase of bucket 1 of 10: the other buckets cost exp(-40) / (9 exp(-40) + 1) ~ 4e-18,
    # far below a CDF step of 1e-5 and below the float spacing near 1, where the raw bucket CDF has steps of 0.
    prices = _extreme_prices(10, 1.0, 40.0, 1)
    assert prices[5] < 1e-17
    for open_lower, open_upper in BOUNDS:
        cdf = market_cdfs(prices[None, :], open_lower=open_lower, open_upper=open_upper)[0]
        validate_cdf(cdf, open_lower=open_lower, open_upper=open_upper)  # raises if any forecast rule is broken
        pmf = numeric_pmf(cdf[None, :])[0]
        assert (pmf[1:-1] >= 1e-5).all()
        assert (pmf[0] >= 0.001) == open_lower and (pmf[-1] >= 0.001) == open_upper
        # Bucket 1 is (0.1, 0.2]: its 20 grid cells hold nearly all the mass.
        assert pmf[21:41].sum() == pytest.approx(1.0, abs=0.005)


@pytest.mark.parametrize("K", [2, 3, 7, 10, 33, 100])
@pytest.mark.parametrize("open_lower, open_upper", BOUNDS)
def test_prices_that_underflow_to_zero_still_give_a_valid_cdf(K, open_lower, open_upper):
    rows = np.array([
        _extreme_prices(K, 1.0, 1e6, 0),  # every other price exactly 0.0
        _extreme_prices(K, 1.0, 1e6, K - 1),
        np.eye(K)[K // 2],  # a hand-made point mass
        np.full(K, 1.0 / K),
    ])
    assert (rows[0][1:] == 0.0).all()
    cdfs = market_cdfs(rows, open_lower=open_lower, open_upper=open_upper)
    assert cdfs.shape == (4, GRID_SIZE)
    for cdf in cdfs:
        validate_cdf(cdf, open_lower=open_lower, open_upper=open_upper)
    assert (numeric_pmf(cdfs)[:, 1:-1] > 0).all()


def test_the_floor_moves_at_most_0_4_percent_of_the_market():
    # A uniform ten-bucket market on a closed range: its own CDF is u itself; the floor mixture moves it by < 0.2%.
    closed = market_cdfs(np.full((1, 10), 0.1), open_lower=False, open_upper=False)[0]
    assert np.abs(closed - np.linspace(0, 1, GRID_SIZE)).max() < 1e-12  # uniform + uniform floor = uniform
    both = market_cdfs(np.full((1, 10), 0.1), open_lower=True, open_upper=True)[0]
    assert both[0] == pytest.approx(0.001, rel=1e-5) and both[-1] == pytest.approx(0.999, rel=1e-5)
    prices = np.array([[0.7, 0.2, 0.1]])
    raw = np.interp(np.linspace(0, 1, GRID_SIZE), [0, 1 / 3, 2 / 3, 1], [0, 0.7, 0.9, 1.0])
    assert np.abs(market_cdfs(prices, open_lower=True, open_upper=True)[0] - raw).max() < 0.004


def test_a_row_without_prices_stays_a_gap_and_bad_rows_are_refused():
    cdfs = market_cdfs(np.array([[0.5, 0.5], [np.nan, np.nan]]), open_lower=False, open_upper=False)
    assert not np.isnan(cdfs[0]).any() and np.isnan(cdfs[1]).all()
    with pytest.raises(ValueError, match="non-negative"):
        market_cdfs(np.array([[1.5, -0.5]]), open_lower=False, open_upper=False)
    with pytest.raises(ValueError, match="K >= 2"):
        market_cdfs(np.array([0.5, 0.5]), open_lower=False, open_upper=False)


@settings(max_examples=200, deadline=None)
@given(
    K=st.integers(min_value=2, max_value=100),
    b=st.floats(min_value=1.0, max_value=1e5),
    q=st.lists(st.floats(min_value=0, max_value=1e7), min_size=100, max_size=100),
    open_lower=st.booleans(), open_upper=st.booleans(),
)
def test_every_lmsr_price_vector_becomes_a_valid_forecast(K, b, q, open_lower, open_upper):
    prices = lmsr.prices(np.array(q[:K]), b)
    cdf = market_cdfs(prices[None, :], open_lower=open_lower, open_upper=open_upper)[0]
    validate_cdf(cdf, open_lower=open_lower, open_upper=open_upper)
    pmf = numeric_pmf(cdf[None, :])[0]
    assert (pmf[1:-1] > 0).all() and pmf.sum() == pytest.approx(1.0)
    # Every market bucket keeps its price up to the 0.4% mixture (the floor adds, (1 - sum f) shrinks).
    for j in range(K):
        lo, hi = 200 * j / K, 200 * (j + 1) / K
        if lo == int(lo) and hi == int(hi):
            assert pmf[int(lo) + 1: int(hi) + 1].sum() == pytest.approx(prices[j], abs=0.0041)


# ------------------------------------------------------------------------------------ scoring the market series


@pytest.mark.parametrize("y", [0.0, 5.0, 8.0, 35.0, 40.0, 55.0])
def test_the_issue_market_scores_for_every_outcome(y):
    # The market of the issue on the 0..40 months question with an open upper bound: before the fix the outcome's
    # bucket had no mass (or the outcome lay beyond the open bound) and score_numeric_series raised.
    prices = np.array([np.full(10, 0.1), _extreme_prices(10, 1.0, 40.0, 1)])
    cdfs = market_cdfs(prices, open_lower=False, open_upper=True)
    y_unit = unit_position(y, range_min=0.0, range_max=40.0, log_scale=False)
    scores = score_numeric_series(
        [0.0, 50.0], cdfs, y_unit=y_unit, open_lower=False, open_upper=True, t0=0.0, te=100.0,
    )
    assert 0 <= scores.loss <= 1 and math.isfinite(scores.baseline) and scores.coverage == 1.0


def test_binary_market_prices_are_held_to_the_forecast_range():
    yes = np.array([0.0, 1e-300, 0.5, 1.0, np.nan])
    held = market_probabilities(yes)
    assert held[:4].tolist() == [0.001, 0.001, 0.5, 0.999] and np.isnan(held[4])
    scores = score_binary_series([0.0, 10.0, 20.0, 30.0, 40.0], held, outcome=1, t0=0.0, te=50.0)
    assert math.isfinite(scores.baseline) and scores.coverage == pytest.approx(0.8)


def test_a_market_sure_of_the_paid_bucket_scores_like_a_forecaster_sure_of_it():
    # K = 10 on [0, 40]: y = 8 is on the edge between buckets 1 and 2. The market pays bucket 1 = (4, 8], and its
    # log score must use bucket 1's probability (near 1), not bucket 2's (the floor).
    prices = _extreme_prices(10, 1.0, 40.0, 1)
    assert winning_bucket(8.0, K=10, range_min=0.0, range_max=40.0, log_scale=False) == 1
    cdfs = market_cdfs(prices[None, :], open_lower=False, open_upper=True)
    y_unit = unit_position(8.0, range_min=0.0, range_max=40.0, log_scale=False)
    mass = numeric_pmf(cdfs)[0, numeric_bucket(y_unit, open_lower=False, open_upper=True)]
    # Floor sum f = 200 x 1e-5 + 0.001 (open upper) = 0.003: mass = (1 - 0.003) x (price ~1) / 20 cells + 1e-5.
    assert mass == pytest.approx(0.997 / 20 + 1e-5, rel=1e-5)
    assert crps_unit(cdfs, y_unit)[0] == pytest.approx(0.1 / 3, abs=0.002)  # F rises 0 -> 1 over (0.1, 0.2]: 0.1/3


# ------------------------------------------------------------------------------------------------ bucket edges


@pytest.mark.parametrize("K", DIVISORS_OF_200)
def test_market_buckets_and_forecast_scoring_buckets_agree_on_every_edge(K):
    # When K divides 200, edge j/K is grid point 200 j / K. Scoring bucket c = (u_{c-1}, u_c] must lie inside the
    # market bucket that pays, for u exactly on the edge and for float noise either side of it.
    m = 200 // K
    for j in range(K + 1):
        edge = j / K
        for u in (edge, np.nextafter(edge, -1), np.nextafter(edge, 2), edge - 1e-13, edge + 1e-13, edge - 1e-9,
                  edge + 1e-9):
            if not 0.0 <= u <= 1.0:
                continue
            c = numeric_bucket(u, open_lower=True, open_upper=True)
            assert lmsr.bucket_for_unit(u, K) == (c - 1) // m, (K, j, u)
        if 0 < j <= K:
            assert lmsr.bucket_for_unit(edge, K) == j - 1  # an edge belongs to the bucket below it


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DIVISORS_OF_200), st.floats(min_value=0.0, max_value=1.0))
def test_market_buckets_and_forecast_scoring_buckets_agree_everywhere(K, u):
    c = numeric_bucket(u, open_lower=True, open_upper=True)
    assert lmsr.bucket_for_unit(u, K) == (c - 1) // (200 // K)


@pytest.mark.parametrize(
    "range_min, range_max, log_scale, K",
    [(0.0, 40.0, False, 10), (0.3, 1.3, False, 10), (0.3, 1.2, True, 10), (0.1, 10.0, True, 10),
     (0.01, 100.0, True, 4), (1.0, 1000.0, True, 3), (0.2, 5.0, True, 20), (-5.0, 5.0, False, 7)],
)
def test_a_value_exactly_on_a_bucket_edge_is_paid_and_scored_on_the_bucket_below(range_min, range_max, log_scale, K):
    # from_unit(j / K) is the edge in the question's units (as the labels show it); mapping it back has float
    # round-off (K = 10 on [0.1, 10] log: y = 1.0 gives u = 0.4999999999999999), yet it lands below the edge.
    for j in range(1, K + 1):
        y = from_unit(j / K, range_min=range_min, range_max=range_max, log_scale=log_scale)
        assert winning_bucket(y, K=K, range_min=range_min, range_max=range_max, log_scale=log_scale) == j - 1, (j, y)
        u = unit_position(y, range_min=range_min, range_max=range_max, log_scale=log_scale)
        assert u == pytest.approx(to_unit(y, range_min=range_min, range_max=range_max, log_scale=log_scale), abs=1e-15)
        if 200 % K == 0:
            assert (numeric_bucket(u, open_lower=True, open_upper=True) - 1) // (200 // K) == j - 1
    assert winning_bucket(range_min, K=K, range_min=range_min, range_max=range_max, log_scale=log_scale) == 0


def test_hr_1_on_a_log_scale_from_0_1_to_10_is_in_the_bucket_ending_at_1():
    u = to_unit(1.0, range_min=0.1, range_max=10.0, log_scale=True)
    assert u != 0.5 and u == pytest.approx(0.5, abs=1e-15)  # float round-off: exactly 0.5 in exact arithmetic
    assert winning_bucket(1.0, K=10, range_min=0.1, range_max=10.0, log_scale=True) == 4  # (0.631, 1.0]
    assert winning_bucket(1.0001, K=10, range_min=0.1, range_max=10.0, log_scale=True) == 5
    assert numeric_bucket(u, open_lower=False, open_upper=False) == 100  # grid cell (u_99, u_100], in bucket 4
