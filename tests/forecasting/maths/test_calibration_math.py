"""Calibration bins, Wilson intervals and the Murphy decomposition (forecasting/maths/calibration.py)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.maths.calibration import (
    calibration_bin_index,
    calibration_bins,
    murphy_decomposition,
    wilson_interval,
)

NAN = float("nan")


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0, 0), (0.05, 0), (0.0999, 0), (0.1, 1), (0.3, 3), (0.69999, 6),
        (0.7, 7), (0.7 - 1e-15, 7),  # float noise just under an edge still counts as the edge
        (0.999, 9), (1.0, 9),  # p = 1 belongs to the last bin
    ],
)
def test_calibration_bin_edges_are_closed_on_the_left_and_the_last_bin_holds_one(p, expected):
    assert calibration_bin_index([p]).tolist() == [expected]


@pytest.mark.parametrize(
    ("frequency", "n", "low", "high"),
    [
        # textbook values: 5 of 10 -> [0.2366, 0.7634]; 0 of 10 -> [0, z^2/(n + z^2)] = [0, 0.2775]
        (0.5, 10, 0.236593090512564, 0.7634069094874361),
        (0.0, 10, 0.0, 0.2775327998628892),
        # n = 2, f = .5: centre .5, half-width z/(1 + z^2/2) sqrt(.125 + z^2/16)
        (0.5, 2, 0.09453120573423074, 0.9054687942657693),
        # n = 1, f = 1: low = (1 + z^2/2 - z sqrt(z^2/4)) / (1 + z^2) = 1 / (1 + z^2)
        (1.0, 1, 1 / (1 + 1.959963984540054**2), 1.0),
    ],
)
def test_wilson_interval_matches_reference_values(frequency, n, low, high):
    got_low, got_high = wilson_interval(frequency, n)
    assert float(got_low) == pytest.approx(low, abs=1e-12)
    assert float(got_high) == pytest.approx(high, abs=1e-12)


def test_wilson_interval_is_nan_without_questions():
    low, high = wilson_interval([NAN, 0.5], [0, 3])
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert 0 < low[1] < 0.5 < high[1] < 1


# Hand-computed table. Rows: (p, weight = active fraction of |W|, outcome, question)
TABLE = [
    (0.15, 1.0, 1, "q1"),
    (0.12, 0.5, 0, "q2"),
    (0.18, 0.5, 0, "q2"),  # same question, same bin: one question for the Wilson n
    (0.75, 0.8, 1, "q3"),
    (0.70, 0.2, 0, "q4"),  # on the 0.7 edge: bin 7
    (1.00, 0.4, 1, "q5"),  # p = 1: last bin
    (0.95, 0.0, 0, "q6"),  # made after te (weight 0): neither weight nor a question
]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("weight", [0, 2.0, 0, 0, 0, 0, 0, 1.0, 0, 0.4]),
        ("n_questions", [0, 2, 0, 0, 0, 0, 0, 2, 0, 1]),
        # bin 1: (.15 * 1 + .12 * .5 + .18 * .5) / 2 = .15; bin 7: (.75 * .8 + .7 * .2) / 1 = .74; bin 9: 1
        ("mean_forecast", [NAN, 0.15, NAN, NAN, NAN, NAN, NAN, 0.74, NAN, 1.0]),
        # bin 1: 1 of weight 2 -> .5; bin 7: .8 of 1 -> .8; bin 9: 1
        ("observed_frequency", [NAN, 0.5, NAN, NAN, NAN, NAN, NAN, 0.8, NAN, 1.0]),
        # Wilson with n = distinct questions: (f=.5, n=2), (f=.8, n=2), (f=1, n=1)
        ("wilson_low", [NAN, 0.09453120573423074, NAN, NAN, NAN, NAN, NAN, 0.22305513912663788, NAN,
                        1 / (1 + 1.959963984540054**2)]),
        ("wilson_high", [NAN, 0.9054687942657693, NAN, NAN, NAN, NAN, NAN, 0.982372997377354, NAN, 1.0]),
        ("lower", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
        ("upper", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
    ],
)
def test_calibration_bins_hand_computed_table(field, expected):
    p, w, o, q = zip(*TABLE)
    bins = calibration_bins(p, w, o, q)
    np.testing.assert_allclose(getattr(bins, field), expected, rtol=1e-12, atol=1e-12)


def test_calibration_bins_count_distinct_questions_per_bin_not_forecasts():
    # five forecasts on one question in one bin and one on another: n = 2 per the spec (forecasts on one question
    # are not independent trials); the same question in two bins counts in each
    bins = calibration_bins([0.31, 0.32, 0.33, 0.34, 0.35, 0.36, 0.81], [0.2] * 7, [1] * 7,
                            [7, 7, 7, 7, 7, 8, 7])
    assert bins.n_questions.tolist() == [0, 0, 0, 2, 0, 0, 0, 0, 1, 0]


def test_calibration_bins_with_no_forecasts_are_all_empty():
    bins = calibration_bins([], [], [], [])
    assert bins.weight.tolist() == [0.0] * 10
    assert bins.n_questions.tolist() == [0] * 10
    assert np.isnan(bins.mean_forecast).all() and np.isnan(bins.wilson_low).all()


@pytest.mark.parametrize(
    ("p", "w", "o", "message"),
    [
        ([1.2], [1.0], [1], r"p\[0\] = 1.2; must be a probability in \[0, 1\]"),
        ([NAN], [1.0], [1], r"p\[0\] = nan; must be a probability"),
        ([0.5], [-0.1], [1], r"weight\[0\] = -0.1; must be finite and >= 0"),
        ([0.5, 0.5], [1.0, 1.0], [1, 2], r"outcome\[1\] = 2.0; must be 0 or 1"),
        ([0.5], [1.0, 1.0], [1], r"1-d arrays of one length"),
    ],
)
def test_calibration_rejects_bad_input_naming_the_field(p, w, o, message):
    with pytest.raises(ValueError, match=message):
        calibration_bins(p, w, o, ["q"] * len(p))
    with pytest.raises(ValueError, match=message):
        murphy_decomposition(p, w, o)


def test_murphy_decomposition_hand_case_adds_up_exactly_for_binned_forecasts():
    # p = .15, .15, .75, .75 (each at its bin mean), equal weights, outcomes 1, 0, 1, 1; base rate .75.
    # bin 1: f .15, o .5; bin 7: f .75, o 1.
    # REL = (2 * .35^2 + 2 * .25^2) / 4 = .0925; RES = (2 * .25^2 + 2 * .25^2) / 4 = .0625; UNC = .75 * .25 = .1875
    # Brier = (.85^2 + .15^2 + .25^2 + .25^2) / 4 = .2175 = REL - RES + UNC
    m = murphy_decomposition([0.15, 0.15, 0.75, 0.75], [1, 1, 1, 1], [1, 0, 1, 1])
    assert m.reliability == pytest.approx(0.0925)
    assert m.resolution == pytest.approx(0.0625)
    assert m.uncertainty == pytest.approx(0.1875)
    assert m.brier == pytest.approx(0.2175)
    assert m.base_rate == pytest.approx(0.75)
    assert m.total_weight == 4.0
    assert m.reliability - m.resolution + m.uncertainty == pytest.approx(m.brier, abs=1e-15)


def test_murphy_decomposition_weights_forecasts_by_active_fraction():
    # a forecast held 90% of the window counts nine times one held 10%: base rate (.9 * 1 + .1 * 0) / 1 = .9;
    # Brier (.9 * .2^2 + .1 * .8^2) / 1 = .036 + .064 = .1
    m = murphy_decomposition([0.8, 0.8], [0.9, 0.1], [1, 0])
    assert m.base_rate == pytest.approx(0.9)
    assert m.brier == pytest.approx(0.1)
    # one bin: f = .8, o = .9 -> REL = .01, RES = 0, UNC = .09, and with one forecast value it adds up exactly
    assert (m.reliability, m.resolution, m.uncertainty) == pytest.approx((0.01, 0.0, 0.09))


def test_murphy_decomposition_without_weight_is_nan():
    m = murphy_decomposition([0.5], [0.0], [1])
    assert math.isnan(m.brier) and math.isnan(m.reliability) and m.total_weight == 0.0


forecast_sets = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n),
        st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1.0)), min_size=n, max_size=n),  # active fractions
        st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n),
    )
).filter(lambda t: sum(t[1]) > 1e-6)


@settings(max_examples=200, deadline=None)
@given(data=forecast_sets)
def test_murphy_identity_holds_exactly_with_the_within_bin_terms(data):
    p, w, o = (np.array(x, dtype=float) for x in data)
    m = murphy_decomposition(p, w, o)
    # Brier = REL - RES + UNC + WBV - 2 WBC, with the within-bin variance of p and covariance of p and o
    k = calibration_bin_index(p)
    total = w.sum()
    f_k = np.bincount(k, w * p, 10) / np.maximum(np.bincount(k, w, 10), 1e-300)
    o_k = np.bincount(k, w * o, 10) / np.maximum(np.bincount(k, w, 10), 1e-300)
    wbv = (w * (p - f_k[k]) ** 2).sum() / total
    wbc = (w * (p - f_k[k]) * (o - o_k[k])).sum() / total
    assert m.brier == pytest.approx(m.reliability - m.resolution + m.uncertainty + wbv - 2 * wbc, abs=1e-12)
    # within a bin of width .1 the approximation error is small: |WBV - 2 WBC| <= .01 + 2 * .1 * 1
    assert abs(m.brier - (m.reliability - m.resolution + m.uncertainty)) <= 0.21 + 1e-12
    assert 0 <= m.uncertainty <= 0.25 and m.reliability >= 0 and m.resolution >= 0


@settings(max_examples=200, deadline=None)
@given(data=forecast_sets)
def test_murphy_identity_is_exact_when_forecasts_sit_at_their_bin_means(data):
    p, w, o = (np.array(x, dtype=float) for x in data)
    k = calibration_bin_index(p)
    weight_k = np.bincount(k, w, 10)
    snapped = np.where(weight_k[k] > 0, np.bincount(k, w * p, 10)[k] / np.maximum(weight_k[k], 1e-300), p)
    # snapping moves p to its bin's weighted mean, which lies in the same bin, so the bins do not change
    assert (calibration_bin_index(snapped) == k).all()
    m = murphy_decomposition(snapped, w, o)
    assert m.reliability - m.resolution + m.uncertainty == pytest.approx(m.brier, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(data=forecast_sets)
def test_calibration_bins_are_consistent_with_the_decomposition(data):
    p, w, o = (np.array(x, dtype=float) for x in data)
    bins = calibration_bins(p, w, o, np.arange(p.size) % 3)
    m = murphy_decomposition(p, w, o)
    assert bins.weight.sum() == pytest.approx(w.sum())
    filled = bins.weight > 0
    rel = (bins.weight[filled] * (bins.mean_forecast[filled] - bins.observed_frequency[filled]) ** 2).sum()
    assert rel / w.sum() == pytest.approx(m.reliability, abs=1e-12)
    assert (bins.n_questions <= 3).all()
    inside = filled & (bins.n_questions > 0)
    assert (bins.wilson_low[inside] <= bins.observed_frequency[inside] + 1e-12).all()
    assert (bins.observed_frequency[inside] <= bins.wilson_high[inside] + 1e-12).all()
