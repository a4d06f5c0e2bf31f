"""Community-forecast maths (SCORING.md section 4): hand-computed tables plus hypothesis properties."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.maths.aggregation import (
    ActiveSet,
    binary_extremized,
    binary_median,
    numeric_mean,
    recency_weights,
    replay,
    replay_incremental,
    weighted_median,
)

# Recency weights w_k = exp(sqrt(k) - sqrt(N)), written out to 15 decimals.
W3 = [0.480921700202632, 0.727721218901276, 1.0]  # S = 2.208642919103908, S/2 = 1.104321459551954
W4 = [0.367879441171442, 0.556667905035692, 0.764946645194924, 1.0]  # S/2 = 1.344746995701029
W5 = [0.290524323186023, 0.439615668206115, 0.604099010428545, 0.789726988441930, 1.0]  # S/2 = 1.561982995131306


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


# ------------------------------------------------------------------------------------------------------------
# recency_weights
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, expected", [
    (0, []),
    (1, [1.0]),
    (2, [1.0, 1.0]),
    (3, W3),
    (4, W4),
    (5, W5),
])
def test_recency_weights_match_hand_values(n, expected):
    np.testing.assert_allclose(recency_weights(n), expected, rtol=1e-13, atol=0)


def test_recency_weights_newest_is_one_and_increasing():
    w = recency_weights(1000)
    assert w[-1] == 1.0
    assert np.all(np.diff(w) > 0)


def test_recency_weights_are_read_only_because_they_are_cached():
    with pytest.raises(ValueError):
        recency_weights(5)[0] = 2.0


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3"])
def test_recency_weights_reject_bad_n(bad):
    with pytest.raises(ValueError):
        recency_weights(bad)


# ------------------------------------------------------------------------------------------------------------
# weighted_median
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, weights, expected", [
    ([0.3], [1.0], 0.3),
    # C_1 = 1 = S/2 exactly: midpoint.
    ([0.2, 0.6], [1.0, 1.0], 0.4),
    ([1.0, 2.0, 3.0], [2.0, 1.0, 1.0], 1.5),     # C_1 = 2 = S/2
    ([1.0, 2.0, 3.0], [1.0, 1.0, 2.0], 2.5),     # C_2 = 2 = S/2
    ([1.0, 2.0, 3.0], [1.0, 1.0, 3.0], 3.0),     # C = 1, 2, 5; S/2 = 2.5
    ([3.0, 1.0, 2.0], [1.0, 1.0, 1.0], 2.0),     # input need not be sorted
    ([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0], 2.5),
    # C_1 = 1 vs S/2 = 1 + 5e-11: equal within relative 1e-9, so midpoint (from below) ...
    ([1.0, 2.0], [1.0, 1.0 + 1e-10], 1.5),
    # ... and from above: C_1 = 1 + 1e-10 vs S/2 = 1 + 5e-11.
    ([1.0, 2.0], [1.0 + 1e-10, 1.0], 1.5),
    # Outside the tolerance (relative gap 5e-8): strictly below S/2 -> next value; strictly above -> this one.
    ([1.0, 2.0], [1.0, 1.0 + 1e-7], 2.0),
    ([1.0, 2.0], [1.0 + 1e-7, 1.0], 1.0),
    # Ties among equal values: equal values are interchangeable.
    ([0.5, 0.5, 0.2, 0.9], [1.0, 1.0, 1.0, 1.0], 0.5),
    ([0.4, 0.4], [1.0, 3.0], 0.4),
    ([0.7, 0.2, 0.7], [1.0, 5.0, 1.0], 0.2),
    # A zero weight carries nothing: C = 0, 1; S/2 = 0.5.
    ([0.1, 0.9], [0.0, 1.0], 0.9),
])
def test_weighted_median_hand_cases(values, weights, expected):
    assert weighted_median(values, weights) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("values, weights", [
    ([], []),
    ([0.1, 0.2], [1.0]),
    ([0.1, 0.2], [1.0, -1.0]),
    ([0.1, 0.2], [0.0, 0.0]),
    ([0.1, float("nan")], [1.0, 1.0]),
    ([0.1, 0.2], [1.0, float("inf")]),
    ([[0.1], [0.2]], [[1.0], [1.0]]),
])
def test_weighted_median_rejects_bad_input(values, weights):
    with pytest.raises(ValueError):
        weighted_median(values, weights)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(st.tuples(finite, st.floats(min_value=1e-6, max_value=1e3)), min_size=1, max_size=40))
def test_weighted_median_lies_between_min_and_max(pairs):
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    m = weighted_median(values, weights)
    assert min(values) <= m <= max(values)


@given(st.lists(finite, min_size=1, max_size=41), st.sampled_from([1.0, 0.3, 7.0, 1e-3]))
def test_weighted_median_with_equal_weights_is_the_ordinary_median(values, w):
    assert weighted_median(values, [w] * len(values)) == np.median(values)


@given(st.lists(st.tuples(finite, st.floats(min_value=1e-3, max_value=1e3)), min_size=1, max_size=30))
def test_weighted_median_holds_half_the_weight_on_each_side(pairs):
    v = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs])
    m = weighted_median(v, w)
    s = w.sum()
    # The defining property, with slack for the 1e-9 tie tolerance.
    assert w[v < m].sum() <= s / 2 * (1 + 1e-9)
    assert w[v > m].sum() <= s / 2 * (1 + 1e-9)


# ------------------------------------------------------------------------------------------------------------
# binary_median / binary_extremized
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("values, expected", [
    ([0.7], 0.7),
    ([0.2, 0.6], 0.4),                      # N = 2: equal weights, midpoint
    # N = 3, sorted: 0.2 (w1 0.4809), 0.5 (w3 1.0), 0.9 (w2 0.7277): C = 0.4809, 1.4809 > 1.1043 -> 0.5.
    ([0.2, 0.9, 0.5], 0.5),
    # N = 4, oldest-first 0.1, 0.2, 0.3, 0.4: C = 0.3679, 0.9245, 1.6895 > 1.3447 -> 0.3 (plain median 0.25).
    ([0.1, 0.2, 0.3, 0.4], 0.3),
    # N = 4, newest lowest: sorted 0.1 (w4 1.0), 0.2 (w3 0.7649): C = 1.0, 1.7649 > 1.3447 -> 0.2.
    ([0.4, 0.3, 0.2, 0.1], 0.2),
    # N = 5, old forecasts high, the two newest low: sorted 0.1 (w4 0.7897), 0.2 (w5 1.0): C = 0.7897, 1.7897 >
    # 1.5620 -> 0.2, although the plain median is 0.7.
    ([0.9, 0.8, 0.7, 0.1, 0.2], 0.2),
])
def test_binary_median_hand_cases(values, expected):
    assert binary_median(values) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("values, a, expected", [
    # logit 0.8 = ln 4; 1.5 ln 4 = ln 8 -> 8/9.
    ([0.8], 1.5, 8.0 / 9.0),
    ([0.8, 0.2], 1.5, 0.5),
    # mean logit ln 2 -> sigmoid(1.5 ln 2) = 2^1.5 / (1 + 2^1.5) = 0.738796125...
    ([0.8, 0.5], 1.5, 0.7387961250362586),
    ([0.8, 0.5], 1.0, 2.0 / 3.0),
    # N = 3: z = ln4 * (1 - w1) / S = 1.386294 * 0.519078 / 2.208643 = 0.325808; sigmoid(1.5 z) = 0.619803...
    ([0.2, 0.5, 0.8], 1.5, _sigmoid(1.5 * math.log(4) * (1 - W3[0]) / sum(W3))),
    ([0.2, 0.5, 0.8], 1.5, 0.6198032516739895),
    # N = 4: z = ln4 * (w1 + w4 - w2 - w3) / S ... with values 0.8, 0.2, 0.2, 0.8.
    ([0.8, 0.2, 0.2, 0.8], 1.5,
     _sigmoid(1.5 * math.log(4) * (W4[0] - W4[1] - W4[2] + W4[3]) / sum(W4))),
])
def test_binary_extremized_hand_cases(values, a, expected):
    assert binary_extremized(values, a) == pytest.approx(expected, rel=1e-13)


def test_binary_extremized_default_factor_is_one_and_a_half():
    assert binary_extremized([0.8]) == pytest.approx(8.0 / 9.0, rel=1e-14)


@pytest.mark.parametrize("values, a", [([0.999] * 3, 1000.0), ([0.001] * 3, 1000.0), ([0.001], -1000.0)])
def test_binary_extremized_is_numerically_stable(values, a):
    p = binary_extremized(values, a)
    assert 0.0 <= p <= 1.0 and math.isfinite(p)


@given(st.lists(st.floats(min_value=0.001, max_value=0.999), min_size=1, max_size=20))
def test_binary_extremized_is_symmetric_under_yes_no_swap(values):
    flipped = [1.0 - v for v in values]
    assert binary_extremized(flipped) == pytest.approx(1.0 - binary_extremized(values), abs=1e-12)


@pytest.mark.parametrize("func", [binary_median, binary_extremized])
@pytest.mark.parametrize("values", [[], [0.0], [1.0], [0.5, float("nan")], [1.2]])
def test_binary_aggregates_reject_bad_probabilities(func, values):
    with pytest.raises(ValueError):
        func(values)


# ------------------------------------------------------------------------------------------------------------
# numeric_mean
# ------------------------------------------------------------------------------------------------------------
def test_numeric_mean_of_two_is_the_plain_average():
    a = np.linspace(0.0, 1.0, 201)
    b = a ** 2
    np.testing.assert_allclose(numeric_mean([a, b]), (a + b) / 2, rtol=0, atol=1e-15)


def test_numeric_mean_of_three_uses_recency_weights():
    rows = np.array([np.full(201, 0.2), np.full(201, 0.5), np.full(201, 0.8)])
    expected = (W3[0] * 0.2 + W3[1] * 0.5 + W3[2] * 0.8) / sum(W3)  # = 0.5603...
    np.testing.assert_allclose(numeric_mean(rows), np.full(201, expected), rtol=1e-13)


@pytest.mark.parametrize("bad", [np.zeros((0, 201)), np.zeros(201), np.full((2, 201), np.nan)])
def test_numeric_mean_rejects_bad_shapes(bad):
    with pytest.raises(ValueError):
        numeric_mean(bad)


# ------------------------------------------------------------------------------------------------------------
# ActiveSet behaviour
# ------------------------------------------------------------------------------------------------------------
def test_active_set_upsert_moves_forecaster_to_newest():
    s = ActiveSet("binary")
    s.upsert(7, 0.2)
    s.upsert(3, 0.6)
    s.upsert(7, 0.9)
    assert s.ids.tolist() == [3, 7]
    assert s.values.tolist() == [0.6, 0.9]
    assert len(s) == 2 and 7 in s and 5 not in s


def test_active_set_remove_reports_whether_anything_was_withdrawn():
    s = ActiveSet("binary")
    s.upsert(1, 0.3)
    assert s.remove(1) is True
    assert s.remove(1) is False
    assert len(s) == 0
    assert s.binary_aggregates() is None


def test_active_set_binary_aggregates_match_hand_values():
    s = ActiveSet("binary")
    for fid, p in [(10, 0.1), (11, 0.2), (12, 0.3), (13, 0.4)]:
        s.upsert(fid, p)
    median, extremized = s.binary_aggregates()
    assert median == 0.3
    z = sum(w * math.log(p / (1 - p)) for w, p in zip(W4, [0.1, 0.2, 0.3, 0.4])) / sum(W4)
    assert extremized == pytest.approx(_sigmoid(1.5 * z), rel=1e-13)


def test_active_set_numeric_aggregate_is_weighted_mean_and_none_when_empty():
    s = ActiveSet("numeric")
    assert s.numeric_aggregate() is None
    a, b = np.linspace(0, 1, 201), np.linspace(0, 1, 201) ** 2
    s.upsert(1, a)
    s.upsert(2, b)
    np.testing.assert_allclose(s.numeric_aggregate(), (a + b) / 2, atol=1e-15)


@pytest.mark.parametrize("kind, value", [
    ("binary", 0.0), ("binary", 1.0), ("binary", float("nan")), ("binary", True), ("binary", "0.5"),
    ("numeric", np.zeros(200)), ("numeric", np.full(201, np.inf)),
])
def test_active_set_rejects_bad_values(kind, value):
    with pytest.raises(ValueError):
        ActiveSet(kind).upsert(1, value)


def test_active_set_aggregate_of_wrong_kind_is_an_error():
    with pytest.raises(ValueError):
        ActiveSet("numeric").binary_aggregates()
    with pytest.raises(ValueError):
        ActiveSet("binary").numeric_aggregate()
    with pytest.raises(ValueError):
        ActiveSet("ordinal")


def test_active_set_constructor_rejects_duplicate_ids():
    with pytest.raises(ValueError, match="unique"):
        ActiveSet("binary", ids=[1, 1], values=[0.2, 0.3])


def test_active_set_arrays_are_read_only():
    s = ActiveSet("binary", ids=[1, 2], values=[0.2, 0.3])
    with pytest.raises(ValueError):
        s.values[0] = 0.5
    loaded = ActiveSet.from_bytes(s.to_bytes(), "binary")
    with pytest.raises(ValueError):
        loaded.ids[0] = 9


@pytest.mark.parametrize("kind", ["binary", "numeric"])
def test_empty_active_set_round_trips(kind):
    s = ActiveSet.from_bytes(ActiveSet(kind).to_bytes(), kind, check=True)
    assert len(s) == 0 and s.kind == kind


def test_active_set_bytes_layout_is_header_plus_raw_little_endian_arrays():
    s = ActiveSet("binary", ids=[5, 9], values=[0.7, 0.2])
    data = s.to_bytes()
    assert data[:4] == b"RDAS"
    assert len(data) == 16 + 2 * 8 * 3
    assert np.frombuffer(data, dtype="<i8", count=2, offset=16).tolist() == [5, 9]
    assert np.frombuffer(data, dtype="<f8", count=2, offset=32).tolist() == [0.7, 0.2]
    assert np.frombuffer(data, dtype="<i8", count=2, offset=48).tolist() == [1, 0]  # 0.2 sorts first


def test_active_set_from_bytes_rejects_malformed_data():
    good = ActiveSet("binary", ids=[1, 2, 3], values=[0.2, 0.3, 0.1]).to_bytes()
    with pytest.raises(ValueError, match="different kind"):
        ActiveSet.from_bytes(good, "numeric")
    with pytest.raises(ValueError, match="bytes"):
        ActiveSet.from_bytes(good[:-1], "binary")
    with pytest.raises(ValueError, match="too short"):
        ActiveSet.from_bytes(good[:10], "binary")
    with pytest.raises(ValueError, match="magic"):
        ActiveSet.from_bytes(b"XXXX" + good[4:], "binary")
    with pytest.raises(ValueError):
        ActiveSet.from_bytes("not bytes", "binary")
    # A permutation entry pointing past the end is caught even without check=True.
    bad_order = good[:-8] + np.array([7], dtype="<i8").tobytes()
    with pytest.raises(ValueError, match="permutation"):
        ActiveSet.from_bytes(bad_order, "binary")
    # A permutation that does not sort the values is caught by the full check.
    unsorted = good[:-24] + np.array([0, 1, 2], dtype="<i8").tobytes()
    ActiveSet.from_bytes(unsorted, "binary")  # structurally fine
    with pytest.raises(ValueError, match="permutation"):
        ActiveSet.from_bytes(unsorted, "binary", check=True)
    dup_ids = np.array([1, 1, 3], dtype="<i8").tobytes()
    with pytest.raises(ValueError, match="duplicate"):
        ActiveSet.from_bytes(good[:16] + dup_ids + good[40:], "binary", check=True)


# ------------------------------------------------------------------------------------------------------------
# ActiveSet against recomputation (hypothesis)
# ------------------------------------------------------------------------------------------------------------
# Few forecasters and few distinct probabilities, so updates, withdrawals and ties are all frequent.
probabilities = st.sampled_from([0.001, 0.1, 0.25, 0.5, 0.5, 0.7, 0.999]) | st.floats(0.001, 0.999)
binary_ops = st.lists(st.tuples(st.integers(0, 6), st.none() | probabilities, st.booleans()),
                      min_size=1, max_size=60)


def _oracle_binary(latest):
    """latest: dict forecaster -> value in insertion (= time) order, rebuilt from scratch."""
    values = np.array(list(latest.values()), dtype=np.float64)
    return binary_median(values), binary_extremized(values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(binary_ops)
def test_active_set_binary_equals_recomputation_after_every_change(ops):
    s = ActiveSet("binary")
    latest: dict[int, float] = {}
    for fid, value, reload in ops:
        if value is None:
            assert s.remove(fid) is (fid in latest)
            latest.pop(fid, None)
        else:
            s.upsert(fid, value)
            latest.pop(fid, None)
            latest[fid] = value  # re-inserted at the end: newest
        if reload:
            s = ActiveSet.from_bytes(s.to_bytes(), "binary", check=True)
        assert s.ids.tolist() == list(latest)
        assert s.values.tolist() == list(latest.values())
        if latest:
            assert s.binary_aggregates() == _oracle_binary(latest)  # exactly, not approximately
        else:
            assert s.binary_aggregates() is None
    s.check()


cdf_rows = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=2).map(
    lambda ab: np.linspace(min(ab), max(ab) + 1e-3, 201))
numeric_ops = st.lists(st.tuples(st.integers(0, 5), st.none() | cdf_rows, st.booleans()), min_size=1, max_size=30)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(numeric_ops)
def test_active_set_numeric_equals_recomputation_after_every_change(ops):
    s = ActiveSet("numeric")
    latest: dict[int, np.ndarray] = {}
    for fid, value, reload in ops:
        if value is None:
            s.remove(fid)
            latest.pop(fid, None)
        else:
            s.upsert(fid, value)
            latest.pop(fid, None)
            latest[fid] = value
        if reload:
            s = ActiveSet.from_bytes(s.to_bytes(), "numeric", check=True)
        assert s.ids.tolist() == list(latest)
        if latest:
            assert np.array_equal(s.numeric_aggregate(), numeric_mean(np.array(list(latest.values()))))
        else:
            assert s.numeric_aggregate() is None


@settings(max_examples=100)
@given(binary_ops)
def test_to_bytes_from_bytes_round_trip_preserves_everything(ops):
    s = ActiveSet("binary")
    for fid, value, _ in ops:
        if value is None:
            s.remove(fid)
        else:
            s.upsert(fid, value)
    data = s.to_bytes()
    t = ActiveSet.from_bytes(data, "binary", check=True)
    assert np.array_equal(t.ids, s.ids) and np.array_equal(t.values, s.values)
    assert t.binary_aggregates() == s.binary_aggregates()
    assert t.to_bytes() == data


# ------------------------------------------------------------------------------------------------------------
# replay
# ------------------------------------------------------------------------------------------------------------
def test_replay_hand_sequence_with_withdrawals():
    events = [
        (1, 10, 0.2),    # {10: 0.2}
        (2, 11, 0.6),    # {10: 0.2, 11: 0.6}: N = 2 -> midpoint 0.4
        (3, 10, 0.8),    # 11 (0.6) is now older than 10 (0.8): N = 2 -> 0.7
        (4, 11, None),   # withdrawal -> {10: 0.8}
        (5, 12, None),   # withdrawal of someone without a forecast: no change
        (6, 10, None),   # nobody left
    ]
    out = replay(events, "binary")
    assert [t for t, _ in out] == [1, 2, 3, 4, 5, 6]
    assert out[0][1] == (0.2, pytest.approx(_sigmoid(1.5 * math.log(0.25))))
    assert out[1][1][0] == pytest.approx(0.4)
    assert out[2][1][0] == pytest.approx(0.7)
    assert out[3][1] == (0.8, pytest.approx(_sigmoid(1.5 * math.log(4.0))))
    assert out[4][1] == out[3][1]
    assert out[5][1] is None


def test_replay_orders_by_time_of_the_latest_forecast():
    # After the update, forecaster 1 is the newest of three: weights W3 go to 2, 3, 1 in that order.
    events = [(0, 1, 0.9), (1, 2, 0.1), (2, 3, 0.2), (3, 1, 0.3)]
    _, (median, extremized) = replay(events, "binary")[-1]
    assert median == binary_median([0.1, 0.2, 0.3])
    assert extremized == binary_extremized([0.1, 0.2, 0.3])


def test_replay_rejects_events_out_of_time_order():
    with pytest.raises(ValueError, match="time order"):
        replay([(2, 1, 0.5), (1, 2, 0.5)], "binary")


def test_replay_numeric_returns_mean_cdfs():
    a, b = np.linspace(0, 1, 201), np.linspace(0, 1, 201) ** 2
    out = replay([(0, 1, a), (1, 2, b), (2, 1, None)], "numeric")
    np.testing.assert_allclose(out[1][1], (a + b) / 2)
    np.testing.assert_array_equal(out[2][1], b)


@settings(max_examples=150)
@given(binary_ops)
def test_replay_incremental_equals_replay_from_scratch(ops):
    events = [(t, fid, value) for t, (fid, value, _) in enumerate(ops)]
    assert replay_incremental(events, "binary") == replay(events, "binary")
