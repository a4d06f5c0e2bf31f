"""Multiple-choice maths: the per-option recency-weighted median community (renormalized), its incremental active
set, and the multi-category Brier, baseline and peer scores (docs/scoring.md, "Multiple-choice questions")."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.maths import scoring as sm
from forecasting.maths.aggregation import ChoiceActiveSet, choice_aggregate, recency_weights, weighted_median

# ---------------------------------------------------------------------------------------------------------------
# Aggregation, by hand
# ---------------------------------------------------------------------------------------------------------------


def test_one_forecaster_is_the_community():
    assert choice_aggregate([[0.5, 0.3, 0.2]]).tolist() == pytest.approx([0.5, 0.3, 0.2])


def test_two_forecasters_take_midpoints_then_renormalize():
    # N = 2: equal weights, C_1 = S/2 exactly, so each option's median is the midpoint of its two values.
    # Midpoints (0.35, 0.35, 0.25) sum to 0.95 and are divided by it.
    out = choice_aggregate([[0.6, 0.2, 0.2], [0.1, 0.5, 0.3]])
    assert out.tolist() == pytest.approx([0.35 / 0.95, 0.35 / 0.95, 0.25 / 0.95])
    assert out.sum() == pytest.approx(1.0)


def test_three_forecasters_use_recency_weights():
    # N = 3: w = exp(sqrt(n) - sqrt(3)) = (0.4819, 0.6604, 1.0); S = 2.1423, S/2 = 1.0712.
    vectors = [[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.4, 0.3, 0.3]]
    w = [math.exp(math.sqrt(n) - math.sqrt(3)) for n in (1, 2, 3)]
    half = sum(w) / 2
    # Option 0 sorted: 0.2 (w2), 0.4 (w3), 0.7 (w1): C = 0.6604, 1.6604 > S/2 -> 0.4.
    # Option 1 sorted: 0.2 (w1), 0.3 (w3), 0.7 (w2): C = 0.4819, 1.4819 > S/2 -> 0.3.
    # Option 2 sorted: 0.1 (w1), 0.1 (w2), 0.3 (w3): C = 0.4819, 1.1423 > S/2 -> 0.1.
    assert w[1] < half < w[1] + w[2] and w[0] < half < w[0] + w[2] and w[0] < half < w[0] + w[1]
    out = choice_aggregate(vectors)
    assert out.tolist() == pytest.approx([0.4 / 0.8, 0.3 / 0.8, 0.1 / 0.8])


def test_the_newest_forecaster_weighs_most():
    w = recency_weights(3)
    assert w[-1] == 1.0 and w[0] < w[1] < w[2]


@pytest.mark.parametrize("bad", [[], [[0.5, 0.5, 0.0]], [[1.0, 0.0]], [[np.nan, 0.5]], [[0.5] * 21]])
def test_aggregate_refuses_bad_input(bad):
    with pytest.raises(ValueError):
        choice_aggregate(bad)


# ---------------------------------------------------------------------------------------------------------------
# Aggregation: the incremental set equals a naive recomputation
# ---------------------------------------------------------------------------------------------------------------


def _vector(draw, k):
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k))
    p = np.asarray(raw) / sum(raw)
    return np.clip(p, 0.001, 0.999)


@st.composite
def events(draw):
    k = draw(st.integers(2, 6))
    n = draw(st.integers(1, 40))
    out = []
    for _ in range(n):
        fid = draw(st.integers(0, 8))
        if draw(st.integers(0, 9)) == 0:
            out.append((fid, None))
        else:
            # Ties are common in real data (round numbers): draw from a small grid half the time.
            if draw(st.booleans()):
                raw = draw(st.lists(st.sampled_from([1, 2, 3, 5]), min_size=k, max_size=k))
                out.append((fid, np.asarray(raw, dtype=float) / sum(raw)))
            else:
                out.append((fid, _vector(draw, k)))
    return k, out


@settings(max_examples=150, deadline=None)
@given(events())
def test_incremental_set_matches_naive_recomputation_bit_for_bit(case):
    k, evts = case
    active = ChoiceActiveSet(k)
    latest = {}  # fid -> (sequence, vector)
    for seq, (fid, vector) in enumerate(evts):
        if vector is None:
            active.remove(fid)
            latest.pop(fid, None)
        else:
            active.upsert(fid, vector)
            latest[fid] = (seq, vector)
        ordered = [v for _, v in sorted(latest.values(), key=lambda e: e[0])]
        expected = choice_aggregate(ordered) if ordered else None
        got = active.aggregate()
        if expected is None:
            assert got is None
        else:
            assert np.array_equal(got, expected)
            assert got.sum() == pytest.approx(1.0, abs=1e-12)
            # Each option before renormalizing is exactly the binary weighted median of its column.
            w = recency_weights(len(ordered))
            medians = [weighted_median(np.asarray(ordered)[:, j], w) for j in range(k)]
            assert got.tolist() == pytest.approx((np.asarray(medians) / sum(medians)).tolist(), rel=1e-12)
    active.check()
    again = ChoiceActiveSet.from_bytes(active.to_bytes(), k, check=True)
    assert np.array_equal(again.ids, active.ids) and np.array_equal(again.values, active.values)


def test_snapshot_refuses_another_option_count_and_truncation():
    active = ChoiceActiveSet(3)
    active.upsert(1, [0.2, 0.3, 0.5])
    data = active.to_bytes()
    with pytest.raises(ValueError, match="options"):
        ChoiceActiveSet.from_bytes(data, 4)
    with pytest.raises(ValueError):
        ChoiceActiveSet.from_bytes(data[:-8], 3)


# ---------------------------------------------------------------------------------------------------------------
# Scoring, by hand
# ---------------------------------------------------------------------------------------------------------------


def test_multi_category_brier_by_hand():
    assert sm.brier_multi([0.5, 0.3, 0.2], 1) == pytest.approx(0.25 + 0.49 + 0.04)
    assert sm.brier_multi([0.999, 0.001], 0) == pytest.approx(2 * 0.001**2)
    # Binary scored as two categories is exactly twice the binary Brier.
    assert sm.brier_multi([0.3, 0.7], 1) == pytest.approx(2 * float(sm.brier(0.7, 1)))


def test_baseline_by_hand():
    assert sm.baseline_choice(1 / 3, 3) == pytest.approx(0.0)
    assert sm.baseline_choice(0.6, 3) == pytest.approx(100 * math.log(1.8) / math.log(3))
    # With K = 2 it is the binary baseline 100 (log2 p + 1).
    assert sm.baseline_choice(0.8, 2) == pytest.approx(100 * (math.log2(0.8) + 1))


def test_time_averaged_scores_by_hand():
    """Three options, outcome option 2, W = [0, 10). f0 holds (0.2, 0.2, 0.6) on [0, 10); f1 holds (0.5, 0.3, 0.2)
    on [4, 10). The community is (0.3, 0.3, 0.4) on [0, 10)."""
    scores = sm.score_choice(
        [0, 1], [0.0, 4.0], [10.0, 10.0], [[0.2, 0.2, 0.6], [0.5, 0.3, 0.2]], outcome=2, t0=0.0, te=10.0,
        community_times=[0.0], community_values=[[0.3, 0.3, 0.4]],
    )
    b0, b1, bc = 0.04 + 0.04 + 0.16, 0.25 + 0.09 + 0.64, 0.09 + 0.09 + 0.36
    assert scores.loss.tolist() == pytest.approx([b0, b1])
    assert scores.coverage.tolist() == pytest.approx([1.0, 0.6])
    assert scores.relative.tolist() == pytest.approx([b0 - bc, 0.6 * (b1 - bc)])
    ln3 = math.log(3)
    assert scores.baseline.tolist() == pytest.approx([100 * math.log(1.8) / ln3, 0.6 * 100 * math.log(0.6) / ln3])
    # Peer on [4, 10): n = 2, 100 * 2 * ln(p / sqrt(p0 p1)) = 100 ln(p_i / p_j).
    assert scores.peer.tolist() == pytest.approx([0.6 * 100 * math.log(3), -0.6 * 100 * math.log(3)])


def test_series_scores_like_a_forecaster():
    series = sm.score_choice_series([0.0, 5.0], [[0.2, 0.2, 0.6], [np.nan] * 3], outcome=2, t0=0.0, te=10.0)
    assert series.loss == pytest.approx(0.24) and series.coverage == pytest.approx(0.5)


@pytest.mark.parametrize("p, outcome, match", [
    ([[0.5, 0.6, 0.2]], 0, "sum to 1"),
    ([[0.0, 0.5, 0.5]], 0, "strictly between"),
    ([[0.5, 0.3, 0.2]], 3, "option index"),
    ([[0.5, 0.3, 0.2]], True, "option index"),
])
def test_scoring_refuses_bad_input(p, outcome, match):
    with pytest.raises(ValueError, match=match):
        sm.score_choice([0], [0.0], [1.0], p, outcome=outcome, t0=0.0, te=1.0, community_times=[],
                        community_values=np.zeros((0, 3)))


def test_market_prices_are_held_to_the_forecast_floor():
    out = sm.market_choice_probabilities([[1.0, 0.0, 0.0], [np.nan, np.nan, np.nan]])
    assert out[0].tolist() == pytest.approx([0.001 + 0.997, 0.001, 0.001]) and out[0].sum() == pytest.approx(1.0)
    assert np.isnan(out[1]).all()


# ---------------------------------------------------------------------------------------------------------------
# Scoring, properties
# ---------------------------------------------------------------------------------------------------------------


@st.composite
def probability_vectors(draw, k=None):
    k = k or draw(st.integers(2, 8))
    raw = np.asarray(draw(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k)))
    return raw / raw.sum()


@settings(max_examples=200, deadline=None)
@given(probability_vectors(), st.data())
def test_brier_is_proper_truth_minimizes_expected_score(truth, data):
    k = truth.size
    other = data.draw(probability_vectors(k))
    expected = lambda p: sum(truth[c] * float(sm.brier_multi(p, c)) for c in range(k))  # noqa: E731
    assert expected(truth) <= expected(other) + 1e-12
    # Strictly: E[b(q)] - E[b(p)] = |q - p|^2.
    assert expected(other) - expected(truth) == pytest.approx(float(((other - truth) ** 2).sum()), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(probability_vectors(), st.data())
def test_log_baseline_is_proper(truth, data):
    k = truth.size
    other = np.clip(data.draw(probability_vectors(k)), 1e-6, 1)
    expected = lambda p: sum(truth[c] * float(sm.baseline_choice(p[c], k)) for c in range(k))  # noqa: E731
    assert expected(truth) >= expected(other) - 1e-9


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 6), st.integers(2, 7), st.data())
def test_peer_scores_sum_to_zero_and_brier_is_within_0_2(k, n, data):
    vectors = [data.draw(probability_vectors(k)) for _ in range(n)]
    vectors = [np.clip(v, 0.001, 0.999) / np.clip(v, 0.001, 0.999).sum() for v in vectors]
    starts = [float(data.draw(st.integers(0, 5))) for _ in range(n)]
    outcome = data.draw(st.integers(0, k - 1))
    scores = sm.score_choice(
        list(range(n)), starts, [10.0] * n, vectors, outcome=outcome, t0=0.0, te=10.0,
        community_times=[0.0], community_values=[np.full(k, 1 / k)],
    )
    # Weighted by nothing: every forecaster's peer is the time integral over the same instants, so they sum to 0.
    assert float(scores.peer.sum()) == pytest.approx(0.0, abs=1e-9)
    assert ((scores.loss >= 0) & (scores.loss <= 2)).all()
