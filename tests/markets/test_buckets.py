"""Numeric markets' buckets, the unit mapping (must agree with SCORING.md section 3) and the market price series."""
import math

import numpy as np
import pytest

from markets.buckets import bucket_bounds, bucket_cdf, bucket_labels, from_unit, to_unit, winning_bucket
from markets.selectors import market_price_series
from markets.services import trade_buy_shares


@pytest.mark.parametrize(
    "x, range_min, range_max, log_scale, u",
    [
        (20.0, 0.0, 40.0, False, 0.5),
        (-4.0, 0.0, 40.0, False, -0.1),
        (0.6, 0.3, 1.2, True, 0.5),  # ln(0.6/0.3) / ln(1.2/0.3) = ln 2 / ln 4
        (1.2, 0.3, 1.2, True, 1.0),
        (0.0, 0.3, 1.2, True, -math.inf),
    ],
)
def test_to_unit(x, range_min, range_max, log_scale, u):
    assert to_unit(x, range_min=range_min, range_max=range_max, log_scale=log_scale) == pytest.approx(u)


def test_to_unit_agrees_with_the_forecasting_cdf_module():
    cdf = pytest.importorskip("forecasting.maths.cdf")
    for x in (0.31, 0.5, 0.7, 1.1):
        assert to_unit(x, range_min=0.3, range_max=1.2, log_scale=True) == pytest.approx(
            float(cdf.to_unit(x, range_min=0.3, range_max=1.2, log_scale=True)), abs=1e-15)
    assert from_unit(0.5, range_min=0.3, range_max=1.2, log_scale=True) == pytest.approx(0.6)


@pytest.mark.parametrize(
    "y, bucket",
    # HR range 0.3..1.2 on a log scale, K = 10: 10 u(y) = 10 ln(y/0.3)/ln 4. Bucket 6 starts at 0.3 x 4^0.6 = 0.68922;
    # 0.6 = 0.3 x 4^0.5 is the edge between buckets 4 and 5 and belongs to the bucket below it.
    [(0.689, 5), (0.69, 6), (0.7, 6), (0.6, 4), (0.601, 5), (0.29, 0), (0.0, 0), (1.2, 9), (5.0, 9)],
)
def test_winning_bucket_on_a_log_scale(y, bucket):
    assert winning_bucket(y, K=10, range_min=0.3, range_max=1.2, log_scale=True) == bucket


@pytest.mark.parametrize(
    "y, bucket", [(4.0, 0), (4.0001, 1), (3.9999, 0), (39.99, 9), (40.0, 9), (36.0, 8), (-1, 0), (100, 9), (20, 4)]
)
def test_winning_bucket_edges_belong_to_the_bucket_below(y, bucket):
    assert winning_bucket(y, K=10, range_min=0, range_max=40, log_scale=False) == bucket


@pytest.mark.parametrize("K, range_min, range_max", [(10, 0.1, 10.0), (4, 0.01, 100.0), (3, 1.0, 1000.0)])
def test_a_log_scale_edge_with_float_round_off_goes_to_the_bucket_below(K, range_min, range_max):
    # K = 10 on [0.1, 10]: y = 1.0 is u = 0.5 exactly, but ln arithmetic gives 0.4999999999999999; on [1, 1000] with
    # K = 3, y = 10 gives 0.33333333333333337, an ulp ABOVE the edge 1/3. Both are on the edge: the bucket below.
    for j in range(1, K):
        y = float(f"{from_unit(j / K, range_min=range_min, range_max=range_max, log_scale=True):.12g}")  # as typed
        assert winning_bucket(y, K=K, range_min=range_min, range_max=range_max, log_scale=True) == j - 1, y
        assert winning_bucket(y * (1 + 1e-9), K=K, range_min=range_min, range_max=range_max, log_scale=True) == j


def test_bucket_labels_and_bounds():
    assert bucket_labels(K=4, range_min=0, range_max=40, log_scale=False, unit="months") == [
        "≤ 10 months", "10 to 20 months", "20 to 30 months", "> 30 months"]
    bounds = bucket_bounds(K=2, range_min=0.3, range_max=1.2, log_scale=True)
    assert bounds[0] == pytest.approx((0.3, 0.6)) and bounds[1] == pytest.approx((0.6, 1.2))


def test_bucket_cdf_is_linear_inside_buckets():
    cdf = bucket_cdf([0.2, 0.3, 0.5])
    assert cdf.shape == (201,) and cdf[0] == 0 and cdf[-1] == 1
    u = np.linspace(0, 1, 201)
    expected = np.interp(u, [0, 1 / 3, 2 / 3, 1], [0, 0.2, 0.5, 1.0])
    assert np.allclose(cdf, expected, atol=1e-12)
    assert np.all(np.diff(cdf) >= 0)
    with pytest.raises(ValueError):
        bucket_cdf([0.5, float("nan")])


def test_market_price_series_binary(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    trade_buy_shares(market=binary_market, user=trader, outcome=0, shares=10)
    series = market_price_series(question=binary_market.question)
    assert series.kind == "binary" and len(series.times) == 3
    assert series.yes == pytest.approx([0.5, 0.524979187478940, 0.5])
    assert series.times == sorted(series.times)
    assert np.allclose(series.prices.sum(axis=1), 1.0)


def test_market_price_series_numeric(db, numeric_market, trader):
    trade_buy_shares(market=numeric_market, user=trader, outcome=4, shares=30)
    series = market_price_series(question=numeric_market.question)
    assert series.kind == "numeric" and series.yes is None
    assert series.prices.shape == (2, 10) and series.edges.shape == (11,)
    assert series.prices[1].argmax() == 4


def test_no_series_without_a_market(db, open_question):
    assert market_price_series(question=open_question) is None
