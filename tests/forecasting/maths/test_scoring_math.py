"""Scoring maths (forecasting/maths/scoring.py): hand-computed cases, a brute-force reference, properties.

Times are seconds. Hand-computed numbers carry their derivation in a comment.
"""
import math
from unittest import mock

import numpy as np
import pytest
import scoringrules
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.maths import scoring
from forecasting.maths.scoring import kernel as scoring_kernel
from forecasting.maths.scoring import (
    brier,
    build_intervals,
    crps_unit,
    numeric_baseline_mass,
    numeric_bucket,
    numeric_pmf,
    score_binary,
    score_binary_series,
    score_numeric,
    score_numeric_series,
    unit_position,
)

NAN = float("nan")
GRID = np.linspace(0.0, 1.0, 201)


def _score(rows, *, outcome, t0, te, community_times, community_values, n_forecasters=None):
    """rows: (forecaster, created_at, withdrawn_at or NaN, p) in creation order."""
    f, c, w, p = (np.array(col) for col in zip(*rows))
    iv = build_intervals(f.astype(int), c, w, t0, te)
    return score_binary(
        iv.forecaster, iv.start, iv.end, p[iv.row], outcome=outcome, t0=t0, te=te,
        community_times=community_times, community_values=community_values, n_forecasters=n_forecasters,
    )


# ----------------------------------------------------------------------------------------------------------------
# build_intervals
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forecaster", "created", "withdrawn", "t0", "te", "expected"),
    [
        # one forecaster updating: each forecast runs to the next one, the last to te
        ([0, 0], [0, 10], [NAN, NAN], 0, 30, [(0, 0, 0, 10), (1, 0, 10, 30)]),
        # early close (Tc = 100, known at 40 so te = 40): cut at te; the forecast at 50 scores nothing
        ([0, 0, 0], [0, 30, 50], [NAN] * 3, 0, 40, [(0, 0, 0, 30), (1, 0, 30, 40)]),
        # a forecast made exactly at te scores nothing
        ([0, 0], [0, 40], [NAN, NAN], 0, 40, [(0, 0, 0, 40)]),
        # withdrawal leaves a gap until the next forecast
        ([0, 0], [0, 20], [10, NAN], 0, 40, [(0, 0, 0, 10), (1, 0, 20, 40)]),
        # a withdrawal time after the next forecast does not matter: the next forecast ends it first
        ([0, 0], [0, 20], [25, NAN], 0, 40, [(0, 0, 0, 20), (1, 0, 20, 40)]),
        # withdrawn at the moment it was made: no interval
        ([0], [5], [5], 0, 40, []),
        # withdrawn after te: cut at te
        ([0], [5], [90], 0, 40, [(0, 0, 5, 40)]),
        # two rows at the same instant: the later row (input order) is the active one
        ([0, 0], [5, 5], [NAN, NAN], 0, 40, [(1, 0, 5, 40)]),
        # interleaved forecasters given out of order: output sorted by (forecaster, start), rows point back
        ([1, 0, 1, 0], [20, 10, 5, 0], [NAN] * 4, 0, 40,
         [(3, 0, 0, 10), (1, 0, 10, 40), (2, 1, 5, 20), (0, 1, 20, 40)]),
    ],
)
def test_build_intervals_turns_forecasts_into_step_function_pieces(forecaster, created, withdrawn, t0, te, expected):
    iv = build_intervals(np.array(forecaster, dtype=int), created, withdrawn, t0, te)
    got = list(zip(iv.row.tolist(), iv.forecaster.tolist(), iv.start.tolist(), iv.end.tolist()))
    assert got == [tuple(float(x) if i > 1 else x for i, x in enumerate(row)) for row in expected]


@pytest.mark.parametrize(
    ("forecaster", "created", "withdrawn", "t0", "te", "message"),
    [
        ([0], [-1.0], [NAN], 0, 10, r"created_at\[0\].*before the question opened"),
        ([0], [NAN], [NAN], 0, 10, r"created_at\[0\] is NaN"),
        ([0, 0], [1.0, 2.0], [NAN, 1.5], 0, 10, r"withdrawn_at\[1\].*before created_at\[1\]"),
        ([0], [1.0], [NAN], 10, 10, r"te .* must be finite and later than t0"),
        ([-1], [1.0], [NAN], 0, 10, r"forecaster_idx: indices must be >= 0"),
        ([0.5], [1.0], [NAN], 0, 10, r"forecaster_idx: expected .* integer"),
        ([0, 1], [1.0], [NAN], 0, 10, r"same length"),
    ],
)
def test_build_intervals_rejects_bad_rows_naming_the_field(forecaster, created, withdrawn, t0, te, message):
    with pytest.raises(ValueError, match=message):
        build_intervals(np.array(forecaster), created, withdrawn, t0, te)


# ----------------------------------------------------------------------------------------------------------------
# Binary: hand-computed cases
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "outcome", "expected"),
    [(0.7, 1, 0.09), (0.7, 0, 0.49), (0.5, 0, 0.25), (0.001, 1, 0.998001)],
)
def test_brier_is_squared_error_and_half_of_good_judgment_opens(p, outcome, expected):
    assert brier(p, outcome) == pytest.approx(expected)
    # GJO sums squared errors over both categories: (p - o)^2 + ((1 - p) - (1 - o))^2 = 2 (p - o)^2
    gjo = (p - outcome) ** 2 + ((1 - p) - (1 - outcome)) ** 2
    assert gjo == pytest.approx(2 * brier(p, outcome))


# Scenario A: t0 = 0, Tc = 100 but the answer became public at 50, so te = 50; outcome yes.
#   forecaster 0: 0.6 at 0, 0.8 at 20, 0.9 at 60 (after te: scores nothing)  -> [0,20) 0.6, [20,50) 0.8
#   forecaster 1: joins late, 0.3 at 30, withdraws at 40                      -> [30,40) 0.3
#   forecaster 2: only forecasts at 70, after te                              -> nothing
#   community (median of active): 0.6 at 0, 0.8 at 20, (0.3+0.8)/2 = 0.55 at 30, 0.8 at 40, 0.9 at 60
SCENARIO_A = dict(
    rows=[(0, 0, NAN, 0.6), (0, 20, NAN, 0.8), (1, 30, 40, 0.3), (0, 60, NAN, 0.9), (2, 70, NAN, 0.7)],
    outcome=1, t0=0.0, te=50.0,
    community_times=[0, 20, 30, 40, 60], community_values=[0.6, 0.8, 0.55, 0.8, 0.9],
)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        # (0.4^2 * 20 + 0.2^2 * 30) / 50 = (3.2 + 1.2) / 50; forecaster 1: 0.7^2; forecaster 2: none
        ("loss", [0.088, 0.49, NAN]),
        # forecaster 1 covers 10 of 50 seconds; forecaster 2 covers nothing
        ("coverage", [1.0, 0.2, 0.0]),
        ("active_seconds", [50.0, 10.0, 0.0]),
        # community Brier: [0,20) .16, [20,30) .04, [30,40) .45^2 = .2025, [40,50) .04
        # f0: only [30,40) differs: (0.04 - 0.2025) * 10 / 50 = -0.0325
        # f1: (0.49 - 0.2025) * 10 / 50 = 0.0575; outside its forecast it counts as the community (0)
        ("relative", [-0.0325, 0.0575, 0.0]),
        # f0: (20 * 100 (log2 .6 + 1) + 30 * 100 (log2 .8 + 1)) / 50; f1: 10 * 100 (log2 .3 + 1) / 50, 0 elsewhere
        ("baseline", [51.205690540110005, -14.739311883324126, 0.0]),
        # only [30,40) has n = 2: 100 * 2 * ln(.8 / sqrt(.8 * .3)) * 10 / 50 for f0, the negative for f1
        ("peer", [19.616585060234527, -19.616585060234527, 0.0]),
    ],
)
def test_binary_scores_scenario_with_early_close_late_joiner_withdrawal_and_late_forecasts(field, expected):
    scores = _score(**{k: v for k, v in SCENARIO_A.items()}, n_forecasters=3)
    np.testing.assert_allclose(getattr(scores, field), expected, rtol=1e-12, atol=1e-12)


def test_binary_forecast_after_te_scores_nothing_even_as_the_only_forecast():
    scores = _score(rows=[(0, 60, NAN, 0.9)], outcome=1, t0=0, te=50, community_times=[], community_values=[],
                    n_forecasters=1)
    assert scores.coverage.tolist() == [0.0]
    assert math.isnan(scores.loss[0])
    assert (scores.relative[0], scores.baseline[0], scores.peer[0]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("outcome", "probs", "expected_peer"),
    [
        # two forecasters all window, o = 1: 100 * 2 * ln(p / sqrt(p0 p1)) = 100 ln(p0 / p1) and its negative
        (1, [0.8, 0.4], [100 * math.log(2.0), -100 * math.log(2.0)]),
        # three forecasters all window, o = 0 so p_o = .8, .5, .1; GM = .04^(1/3); 150 ln(p_o / GM)
        (0, [0.2, 0.5, 0.9], [127.47225854627858, 56.97171415941824, -184.4439727056968]),
    ],
)
def test_peer_scores_for_forecasters_active_the_whole_window(outcome, probs, expected_peer):
    rows = [(i, 0.0, NAN, p) for i, p in enumerate(probs)]
    scores = _score(rows=rows, outcome=outcome, t0=0, te=10, community_times=[0], community_values=[0.5])
    np.testing.assert_allclose(scores.peer, expected_peer, rtol=1e-12)
    assert scores.peer.sum() == pytest.approx(0.0, abs=1e-9)


def test_peer_scores_when_the_number_of_forecasters_changes():
    # t0 = 0, te = 30, o = 1. f0: .5 on [0,30); f1: .8 on [10,30); f2: .2 on [20,30).
    # [0,10): n = 1, nobody scores. [10,20): n = 2: f0 100 ln(.5^2/.4) = 100 ln .625, f1 100 ln 1.6.
    # [20,30): n = 3, GM^3 = .08: f0 50 ln(.125/.08) = 100 ln 1.25, f1 50 ln 6.4, f2 50 ln .1.
    # Averages over 30 s: f0 = 100/3 ln(.625 * 1.25) = 100/3 ln .78125, f1 = (100 ln 1.6 + 50 ln 6.4)/3, f2 = 50 ln .1/3
    rows = [(0, 0, NAN, 0.5), (1, 10, NAN, 0.8), (2, 20, NAN, 0.2)]
    scores = _score(rows=rows, outcome=1, t0=0, te=30, community_times=[0], community_values=[0.5])
    np.testing.assert_allclose(
        scores.peer, [-8.228669264384193, 46.605087480951624, -38.37641821656742], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("community_times", "community_values", "expected"),
    [
        # community .5 on the whole window: (.09 - .25) = -0.16
        ([0], [0.5], -0.16),
        # no community before t = 5: that half adds 0; (.09 - .25) * 5 / 10
        ([5], [0.5], -0.08),
        # a NaN step (nobody forecasting) is "no community" too: [0,2) .5, [2,6) none, [6,10) .9
        # ((.09 - .25) * 2 + (.09 - .01) * 4) / 10 = (-.32 + .32) / 10
        ([0, 2, 6], [0.5, NAN, 0.9], 0.0),
        # community updates before t0 are clipped; the last value before t0 applies from t0; times >= te ignored
        ([-5, 4, 12], [0.6, 0.8, 0.1], ((0.09 - 0.16) * 4 + (0.09 - 0.04) * 6) / 10),
    ],
)
def test_relative_brier_against_a_community_step_function(community_times, community_values, expected):
    scores = _score(rows=[(0, 0, NAN, 0.7)], outcome=1, t0=0, te=10,
                    community_times=community_times, community_values=community_values)
    assert scores.relative[0] == pytest.approx(expected, abs=1e-12)


def test_score_binary_series_scores_a_price_or_community_series_like_a_forecaster():
    # t0 = 0, te = 50, o = 1. [0,10) .5, [10,20) no value, [20,50) .7; the update at 60 is after te.
    # Brier over the 40 covered seconds: (.25 * 10 + .09 * 30) / 40 = 0.13; baseline 100 * 30 (log2 .7 + 1) / 50
    s = score_binary_series([0, 10, 20, 60], [0.5, NAN, 0.7, 0.9], outcome=1, t0=0, te=50)
    assert s.loss == pytest.approx(0.13)
    assert s.coverage == pytest.approx(0.8)
    assert s.active_seconds == pytest.approx(40.0)
    assert s.baseline == pytest.approx(29.1256096302145)
    assert math.isnan(s.relative)


def test_score_binary_series_scenario_a_community_matches_hand_numbers_and_is_zero_against_itself():
    # (.16 * 20 + .04 * 10 + .2025 * 10 + .04 * 10) / 50 = 6.025 / 50
    a = SCENARIO_A
    s = score_binary_series(a["community_times"], a["community_values"], outcome=1, t0=0, te=50,
                            community_times=a["community_times"], community_values=a["community_values"])
    assert s.loss == pytest.approx(0.1205)
    assert s.coverage == 1.0
    # 100 (20 (log2 .6 + 1) + 20 (log2 .8 + 1) + 10 (log2 .55 + 1)) / 50
    assert s.baseline == pytest.approx(40.39432291285596)
    assert s.relative == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(p=[1.0]), r"p\[0\] = 1.0; probabilities must lie strictly between 0 and 1"),
        (dict(p=[NAN]), r"p\[0\] is NaN"),
        (dict(p=[0.5, 0.5]), r"p must have one value per interval"),
        (dict(outcome=2), r"outcome: must be 0 \(no\) or 1 \(yes\)"),
        (dict(outcome="1"), r"outcome: must be 0 \(no\) or 1 \(yes\)"),
        (dict(end=[11.0]), r"interval 0: .* t0 <= start <= end <= te"),
        (dict(community_values=[1.5]), r"community_values must lie in \[0, 1\]"),
        (dict(community_times=[5, 1], community_values=[0.5, 0.5]), r"community_times must be non-decreasing"),
        (dict(n_forecasters=0), r"n_forecasters = 0 but forecaster index 0 occurs"),
    ],
)
def test_score_binary_rejects_bad_input_naming_the_field(kwargs, message):
    args = dict(forecaster=np.array([0]), start=[0.0], end=[10.0], p=[0.5], outcome=1, t0=0.0, te=10.0,
                community_times=[0.0], community_values=[0.5])
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        score_binary(args.pop("forecaster"), args.pop("start"), args.pop("end"), args.pop("p"), **args)


def test_score_binary_rejects_overlapping_intervals_of_one_forecaster():
    with pytest.raises(ValueError, match="intervals 0 and 1 of forecaster 0 overlap"):
        score_binary(np.array([0, 0]), [0.0, 5.0], [6.0, 10.0], [0.5, 0.6], outcome=1, t0=0, te=10,
                     community_times=[0], community_values=[0.5])
    # unsorted input is sorted before the check
    with pytest.raises(ValueError, match="of forecaster 1 overlap"):
        score_binary(np.array([1, 0, 1]), [5.0, 0.0, 0.0], [10.0, 10.0, 6.0], [0.5] * 3, outcome=1, t0=0, te=10,
                     community_times=[0], community_values=[0.5])


# ----------------------------------------------------------------------------------------------------------------
# Binary: brute-force reference and properties
# ----------------------------------------------------------------------------------------------------------------


def _reference_binary(f, s, e, p, o, t0, te, ct, cv, n):
    """Plain loops over elementary time segments: the definitions of SCORING.md section 2, literally."""
    cuts = sorted({t0, te, *s, *e, *(min(max(t, t0), te) for t in ct)})
    out = {k: [0.0] * n for k in ("active", "loss", "relative", "baseline", "peer")}
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b <= a:
            continue
        mid = (a + b) / 2
        community = NAN
        for t, v in zip(ct, cv):
            if t <= mid:
                community = v
        active = {int(f[i]): p[i] for i in range(len(f)) if s[i] <= mid < e[i]}
        logs = {u: math.log(q if o == 1 else 1 - q) for u, q in active.items()}
        for u, q in active.items():
            out["active"][u] += b - a
            out["loss"][u] += (b - a) * (q - o) ** 2
            if not math.isnan(community):
                out["relative"][u] += (b - a) * ((q - o) ** 2 - (community - o) ** 2)
            out["baseline"][u] += (b - a) * 100 * (math.log2(q if o == 1 else 1 - q) + 1)
            if len(active) >= 2:
                k = len(active)
                gm = sum(logs.values()) / k
                out["peer"][u] += (b - a) * 100 * k / (k - 1) * (logs[u] - gm)
    span = te - t0
    return dict(
        loss=[x / a if a else NAN for x, a in zip(out["loss"], out["active"])],
        coverage=[a / span for a in out["active"]],
        relative=[x / span for x in out["relative"]],
        baseline=[x / span for x in out["baseline"]],
        peer=[x / span for x in out["peer"]],
    )


@st.composite
def binary_questions(draw, max_forecasts=25):
    t0 = draw(st.floats(-1e6, 1e6))
    span = draw(st.floats(1.0, 1e6))
    te = t0 + span
    n = draw(st.integers(1, 6))
    k = draw(st.integers(0, max_forecasts))
    # integer-ish times make ties (same instant, end == next start) common
    frac = st.integers(0, 20).map(lambda i: i / 16)
    f = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)), dtype=int)
    created = np.array([t0 + span * x for x in draw(st.lists(frac, min_size=k, max_size=k))])
    withdraw = draw(st.lists(st.one_of(st.none(), st.integers(0, 8)), min_size=k, max_size=k))
    withdrawn = np.array([NAN if w is None else c + span * w / 16 for c, w in zip(created, withdraw)])
    p = np.array(draw(st.lists(st.floats(0.001, 0.999), min_size=k, max_size=k)))
    kc = draw(st.integers(0, 6))
    ct = sorted(t0 + span * x for x in draw(st.lists(frac, min_size=kc, max_size=kc)))
    cv = draw(st.lists(st.one_of(st.just(NAN), st.floats(0.001, 0.999)), min_size=kc, max_size=kc))
    o = draw(st.sampled_from([0, 1]))
    return dict(f=f, created=created, withdrawn=withdrawn, p=p, o=o, t0=t0, te=te, ct=ct, cv=cv, n=n)


@settings(max_examples=150, deadline=None)
@given(q=binary_questions(), block=st.sampled_from([1, 1 << 16]))
def test_binary_kernel_matches_the_brute_force_definition(q, block):
    iv = build_intervals(q["f"], q["created"], q["withdrawn"], q["t0"], q["te"])
    with mock.patch.object(scoring_kernel, "_SWEEP_BLOCK", block):  # block = 1 exercises the carries between blocks
        got = score_binary(iv.forecaster, iv.start, iv.end, q["p"][iv.row], outcome=q["o"], t0=q["t0"],
                           te=q["te"], community_times=q["ct"], community_values=q["cv"], n_forecasters=q["n"])
    want = _reference_binary(iv.forecaster, iv.start, iv.end, q["p"][iv.row], q["o"], q["t0"], q["te"],
                             q["ct"], q["cv"], q["n"])
    for field, expected in want.items():
        np.testing.assert_allclose(getattr(got, field), expected, rtol=1e-7, atol=1e-7, err_msg=field)


@settings(max_examples=100, deadline=None)
@given(q=binary_questions(max_forecasts=40))
def test_binary_scores_stay_in_range_and_peer_scores_sum_to_zero(q):
    iv = build_intervals(q["f"], q["created"], q["withdrawn"], q["t0"], q["te"])
    got = score_binary(iv.forecaster, iv.start, iv.end, q["p"][iv.row], outcome=q["o"], t0=q["t0"], te=q["te"],
                       community_times=q["ct"], community_values=q["cv"], n_forecasters=q["n"])
    assert ((got.coverage >= 0) & (got.coverage <= 1 + 1e-12)).all()
    covered = got.coverage > 0
    assert ((got.loss[covered] >= 0) & (got.loss[covered] <= 1)).all()
    assert np.isnan(got.loss[~covered]).all()
    assert (np.abs(got.relative) <= 1 + 1e-12).all()
    # the peer scores of every instant sum to zero, so do their time averages (up to rounding in the averages:
    # identical forecasts over a 32,233 s window once gave -2.4e-14 each, which scaled by the window broke 1e-9)
    assert abs(got.peer.sum()) <= 1e-9 * (1 + np.abs(got.peer).sum())


@settings(max_examples=60, deadline=None)
@given(q=binary_questions(), seed=st.integers(0, 2**32 - 1))
def test_binary_scores_do_not_depend_on_forecaster_labels(q, seed):
    iv = build_intervals(q["f"], q["created"], q["withdrawn"], q["t0"], q["te"])
    relabel = np.random.default_rng(seed).permutation(q["n"])  # forecaster u becomes relabel[u]
    kw = dict(outcome=q["o"], t0=q["t0"], te=q["te"], community_times=q["ct"], community_values=q["cv"],
              n_forecasters=q["n"])
    a = score_binary(iv.forecaster, iv.start, iv.end, q["p"][iv.row], **kw)
    b = score_binary(relabel[iv.forecaster], iv.start, iv.end, q["p"][iv.row], **kw)
    for field in ("loss", "coverage", "relative", "baseline", "peer", "active_seconds"):
        np.testing.assert_allclose(getattr(b, field)[relabel], getattr(a, field), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(q=binary_questions())
def test_community_scored_against_itself_has_zero_relative_brier(q):
    times, values = q["ct"], q["cv"]
    s = score_binary_series(times, values, outcome=q["o"], t0=q["t0"], te=q["te"],
                            community_times=times, community_values=values)
    assert s.relative == pytest.approx(0.0, abs=1e-12)
    assert 0.0 <= s.coverage <= 1.0
    # a forecaster who always copies the defined community steps also scores 0 relative
    t = np.clip(np.append(times, q["te"]), q["t0"], q["te"])
    keep = (~np.isnan(np.asarray(values, dtype=float))) & (t[1:] > t[:-1])
    if keep.any():
        got = score_binary(np.zeros(int(keep.sum()), dtype=int), t[:-1][keep], t[1:][keep],
                           np.asarray(values, dtype=float)[keep], outcome=q["o"], t0=q["t0"], te=q["te"],
                           community_times=times, community_values=values)
        assert got.relative[0] == pytest.approx(0.0, abs=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# Numeric: unit positions, buckets, CRPS
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "range_min", "range_max", "log_scale", "expected"),
    [
        (0.5, 0.0, 2.0, False, 0.25),
        (-1.0, 0.0, 2.0, False, -0.5),  # below an (open) lower bound: unclipped
        (3.0, 0.0, 2.0, False, 1.5),
        (1.0, 0.2, 5.0, True, 0.5),  # ln(1/.2) / ln(5/.2) = ln 5 / (2 ln 5)
        (0.2, 0.2, 5.0, True, 0.0),
        (5.0, 0.2, 5.0, True, 1.0),
        (25.0, 0.2, 5.0, True, 1.5),  # ln(125) / ln(25)
        (0.0, 0.2, 5.0, True, -math.inf),  # no logarithm: below any positive range_min
    ],
)
def test_unit_position_maps_linear_and_log_scales(y, range_min, range_max, log_scale, expected):
    assert unit_position(y, range_min=range_min, range_max=range_max, log_scale=log_scale) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("y", "range_min", "range_max", "log_scale", "message"),
    [
        (NAN, 0.0, 1.0, False, "y: the outcome must be a finite number"),
        (0.5, 1.0, 1.0, False, r"range_min \(1.0\) must be less than range_max"),
        (0.5, 0.0, 1.0, True, "a log-scaled question needs range_min > 0"),
    ],
)
def test_unit_position_rejects_bad_input(y, range_min, range_max, log_scale, message):
    with pytest.raises(ValueError, match=message):
        unit_position(y, range_min=range_min, range_max=range_max, log_scale=log_scale)


@pytest.mark.parametrize(
    ("y_unit", "expected"),
    [
        (0.0, 1),  # range_min itself is in range: first in-range bucket
        (0.001, 1),
        (0.005, 1),  # exactly on grid point u_1: buckets are (u_{k-1}, u_k], so bucket 1
        (0.0050001, 2),
        (0.5, 100),  # on u_100: bucket 100 = (u_99, u_100]
        (0.5 + 1e-13, 100),  # float noise from u(y) does not push it into the next bucket
        (0.5025, 101),
        (0.999, 200),
        (1.0, 200),  # range_max itself is in range: last in-range bucket
        (-0.2, 0),
        (-math.inf, 0),
        (1.2, 201),
    ],
)
def test_numeric_bucket_assigns_grid_points_to_the_bucket_on_their_left(y_unit, expected):
    assert numeric_bucket(y_unit, open_lower=True, open_upper=True) == expected


@pytest.mark.parametrize(
    ("y_unit", "open_lower", "open_upper", "message"),
    [
        (-0.1, False, True, "below range_min .* lower bound is closed"),
        (1.1, True, False, "above range_max .* upper bound is closed"),
        (NAN, True, True, "NaN is not an outcome position"),
    ],
)
def test_numeric_bucket_rejects_outcomes_outside_a_closed_bound(y_unit, open_lower, open_upper, message):
    with pytest.raises(ValueError, match=message):
        numeric_bucket(y_unit, open_lower=open_lower, open_upper=open_upper)


def _linear_cdf(low_mass, high_mass):
    """Mass low_mass below the range, high_mass above it, uniform in between."""
    return low_mass + (1 - low_mass - high_mass) * GRID


def _step_cdf():
    """All mass in [0.5, 0.505]: 0 up to u_100, 1 from u_101 on."""
    return (np.arange(201) >= 101).astype(float)


@pytest.mark.parametrize(
    ("cdf", "y_unit", "expected"),
    [
        # uniform F(u) = u: int_0^.5 u^2 + int_.5^1 (1-u)^2 = 2 * (.125 / 3) = 1/12
        (_linear_cdf(0, 0), 0.5, 1 / 12),
        # y' = 0: int_0^1 (u - 1)^2 = 1/3; y' = 1: int_0^1 u^2 = 1/3
        (_linear_cdf(0, 0), 0.0, 1 / 3),
        (_linear_cdf(0, 0), 1.0, 1 / 3),
        # outside the range y' is clipped to the nearer end
        (_linear_cdf(0, 0), -0.3, 1 / 3),
        (_linear_cdf(0, 0), 7.0, 1 / 3),
        (_linear_cdf(0, 0), -math.inf, 1 / 3),
        # y' splits segment [.5, .505] in the middle: (y'^3 + (1 - y')^3) / 3
        (_linear_cdf(0, 0), 0.5025, 0.08333958333333331),
        # open bounds, F = .1 + .8u: 2 * int_0^.5 (.1 + .8u)^2 du = 2 (.5^3 - .1^3) / 2.4
        (_linear_cdf(0.1, 0.1), 0.5, 2 * (0.125 - 0.001) / 2.4),
        # F jumps 0 -> 1 across [.5, .505], y' = .5: int (1 - F)^2 over that segment = d/3
        (_step_cdf(), 0.5, 0.005 / 3),
        # y' = .25: left of y' F = 0 = indicator; right of it (F - 1)^2 is 1 on [.25, .5], d/3 on the jump, 0 after
        (_step_cdf(), 0.25, 0.25 + 0.005 / 3),
    ],
)
def test_crps_unit_hand_cases(cdf, y_unit, expected):
    got = crps_unit(cdf[None, :], y_unit)
    assert got.shape == (1,)
    assert got[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def _dense_crps(cdf, y):
    """Trapezoid with 200,001 points on each side of y' (the integrand jumps at y')."""
    y = min(max(y, 0.0), 1.0)
    total = 0.0
    for a, b, indicator in ((0.0, y, 0.0), (y, 1.0, 1.0)):
        if b > a:
            u = np.linspace(a, b, 200_001)
            total += np.trapezoid((np.interp(u, GRID, cdf) - indicator) ** 2, u)
    return total


@st.composite
def cdfs(draw):
    increments = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=200, max_size=200))) + 1e-5
    low = draw(st.one_of(st.just(0.0), st.floats(0.001, 0.3)))
    high = draw(st.one_of(st.just(0.0), st.floats(0.001, 0.3)))
    inner = np.concatenate(([0.0], np.cumsum(increments)))
    return low + (1 - low - high) * inner / inner[-1]


@settings(max_examples=40, deadline=None)
@given(cdf=cdfs(), y=st.floats(-0.3, 1.3))
def test_crps_unit_equals_dense_numerical_integration(cdf, y):
    # trapezoid error <= h^2/12 * int |g''| with g = (F - 1)^2, h <= 1/200000 and int |g''| <= 2 sum (dF)^2/d <= 400
    assert crps_unit(cdf[None, :], y)[0] == pytest.approx(_dense_crps(cdf, y), rel=0, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(batch=st.lists(cdfs(), min_size=1, max_size=5), y=st.floats(-0.3, 1.3))
def test_crps_unit_is_in_unit_range_and_rowwise(batch, y):
    stacked = np.array(batch)
    got = crps_unit(stacked, y)
    assert ((got >= 0) & (got <= 1)).all()
    np.testing.assert_allclose(got, [crps_unit(row[None, :], y)[0] for row in stacked], rtol=1e-14)


@pytest.mark.parametrize("y_unit", [0.0, 0.1234, 0.5, 0.5025, 0.87, 1.0])
@pytest.mark.parametrize(("low", "high"), [(0.0, 0.0), (0.05, 0.0), (0.0, 0.2), (0.1, 0.3)])
def test_crps_unit_matches_scoringrules_uniform_with_point_masses(y_unit, low, high):
    # A linear CDF from `low` to 1 - `high` is a uniform on [0, 1] with atoms `low` at 0 and `high` at 1
    # (mass outside the range sits at the clipped ends). For y' in [0, 1] the real-line CRPS of that
    # distribution equals our integral over [0, 1], so scoringrules' closed form must agree exactly.
    expected = scoringrules.crps_uniform(y_unit, 0.0, 1.0, low, high)
    assert crps_unit(_linear_cdf(low, high)[None, :], y_unit)[0] == pytest.approx(float(expected), abs=1e-14)


@pytest.mark.parametrize("y_unit", [0.0, 0.3, 0.5012, 0.77, 1.0])
@pytest.mark.parametrize(("mu", "sigma"), [(0.5, 0.1), (0.2, 0.3), (0.9, 0.05), (-0.1, 0.4)])
def test_crps_unit_matches_scoringrules_censored_normal_on_a_fine_grid(y_unit, mu, sigma):
    # Normal(mu, sigma) censored to [0, 1] (tails become atoms at the ends): its CDF sampled on the 201-point grid
    # and interpolated linearly differs from the true CDF by at most d^2/8 |F''|, so the CRPS differs by at most
    # 2 int d^2/8 |F''| du <= d^2/4 * 2 phi(0)/sigma ~= 0.2 d^2/sigma (d = 1/200): 5e-5 for sigma = .1.
    phi = np.array([0.5 * (1 + math.erf((u - mu) / (sigma * math.sqrt(2)))) for u in GRID])
    expected = float(scoringrules.crps_cnormal(y_unit, mu, sigma, 0.0, 1.0))
    bound = 0.005**2 / 4 * 2 / math.sqrt(2 * math.pi) / sigma
    assert crps_unit(phi[None, :], y_unit)[0] == pytest.approx(expected, abs=bound)


def test_crps_on_a_log_scaled_question_uses_the_log_mapping():
    # Range [0.2, 5] on a log scale and a CDF uniform in ln x: y = 1 sits at u = 0.5, so CRPS = 1/12
    # (and on a linear mapping u = (1 - .2)/4.8 = 1/6 the answer would differ: 1/3 (u^3 + (1-u)^3) = 0.1944...).
    y_unit = unit_position(1.0, range_min=0.2, range_max=5.0, log_scale=True)
    assert crps_unit(GRID[None, :], y_unit)[0] == pytest.approx(1 / 12)
    y_linear = unit_position(1.0, range_min=0.2, range_max=5.0, log_scale=False)
    assert crps_unit(GRID[None, :], y_linear)[0] == pytest.approx(((1 / 6) ** 3 + (5 / 6) ** 3) / 3)


def test_crps_unit_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"cdfs: expected shape \(M, 201\)"):
        crps_unit(np.zeros((2, 200)), 0.5)
    with pytest.raises(ValueError, match="NaN is not an outcome position"):
        crps_unit(GRID[None, :], NAN)


# ----------------------------------------------------------------------------------------------------------------
# Numeric: pmf, baseline, peer, time averaging
# ----------------------------------------------------------------------------------------------------------------


def test_numeric_pmf_has_below_in_range_and_above_buckets():
    pmf = numeric_pmf(_linear_cdf(0.1, 0.2)[None, :])[0]
    assert pmf.shape == (202,)
    assert pmf[0] == pytest.approx(0.1)
    assert pmf[201] == pytest.approx(0.2)
    np.testing.assert_allclose(pmf[1:201], 0.7 / 200)
    assert pmf.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("bucket", "open_lower", "open_upper", "expected"),
    [(0, True, False, 0.05), (201, False, True, 0.05), (50, False, False, 1 / 200),
     (50, True, False, 0.95 / 200), (50, True, True, 0.9 / 200)],
)
def test_numeric_baseline_mass_depends_on_open_bound_count(bucket, open_lower, open_upper, expected):
    assert numeric_baseline_mass(bucket, open_lower=open_lower, open_upper=open_upper) == pytest.approx(expected)


def _numeric(cdfs_rows, y_unit, *, open_lower, open_upper, starts=None, ends=None, community=None):
    k = len(cdfs_rows)
    starts = [0.0] * k if starts is None else starts
    ends = [10.0] * k if ends is None else ends
    ct, cc = community if community is not None else ([0.0], [cdfs_rows[0]])
    return score_numeric(np.arange(k), starts, ends, np.array(cdfs_rows), y_unit=y_unit, open_lower=open_lower,
                         open_upper=open_upper, t0=0.0, te=10.0, community_times=ct, community_cdfs=np.array(cc))


@pytest.mark.parametrize(
    ("cdf", "y_unit", "open_lower", "open_upper", "expected"),
    [
        # closed bounds, uniform: pmf in range 1/200 = base -> 0
        (_linear_cdf(0, 0), 0.3, False, False, 0.0),
        # both open, 5% outside on each side: in range .9/200 = base, out of range .05 = base -> 0
        (_linear_cdf(0.05, 0.05), 0.3, True, True, 0.0),
        (_linear_cdf(0.05, 0.05), 1.4, True, True, 0.0),
        # open upper only, 10% above: in range .9/200 vs base .95/200 -> 50 ln(.9/.95)
        (_linear_cdf(0, 0.1), 0.3, False, True, -2.7033610635137912),
        # ... and above the range: .1 vs .05 -> 50 ln 2
        (_linear_cdf(0, 0.1), 1.4, False, True, 34.657359027997266),
    ],
)
def test_numeric_baseline_hand_cases(cdf, y_unit, open_lower, open_upper, expected):
    scores = _numeric([cdf], y_unit, open_lower=open_lower, open_upper=open_upper)
    assert scores.baseline[0] == pytest.approx(expected, abs=1e-12)


def test_numeric_baseline_counts_zero_where_no_forecast():
    # active 4 of 10 seconds: 50 ln 2 * 0.4
    scores = _numeric([_linear_cdf(0, 0.1)], 1.4, open_lower=False, open_upper=True, starts=[6.0], ends=[10.0])
    assert scores.baseline[0] == pytest.approx(0.4 * 50 * math.log(2))


@pytest.mark.parametrize(
    ("y_unit", "expected_first"),
    [
        # in range: masses .9/200 and .8/200; peer = 50 * 2 * ln(m0 / sqrt(m0 m1)) = 50 ln(m0/m1) = 50 ln 1.125
        (0.3, 5.889151782819173),
        # above the range: .1 and .2 -> 50 ln .5
        (1.4, -34.657359027997266),
    ],
)
def test_numeric_peer_is_the_binary_rule_with_bucket_mass_halved(y_unit, expected_first):
    scores = _numeric([_linear_cdf(0, 0.1), _linear_cdf(0, 0.2)], y_unit, open_lower=False, open_upper=True)
    np.testing.assert_allclose(scores.peer, [expected_first, -expected_first], rtol=1e-12)


def test_numeric_time_averaged_crps_coverage_and_relative_against_community():
    # t0 = 0, te = 10, y' = .5025 (the middle of segment [.5, .505]).
    # uniform CDF: CRPS = (y'^3 + (1 - y')^3) / 3.
    # step CDF (0 up to .5, 1 from .505): F(y') = .5; only the split segment counts:
    #   left  .0025 (0^2 + 0 * .5 + .5^2) / 3, right .0025 (.5^2 + .5 * 0 + 0^2) / 3.
    # Forecaster 0: uniform on [0, 4), step on [4, 10); forecaster 1: uniform on [5, 10) only.
    # Community: uniform on [0, 4), step from 4 on -> forecaster 0 always equals it (relative 0);
    # forecaster 1: (uniform - step) * 5 / 10.
    y = 0.5025
    uniform, step = _linear_cdf(0, 0), _step_cdf()
    uniform_crps = (y ** 3 + (1 - y) ** 3) / 3
    step_crps = 0.0025 * 0.25 / 3 + 0.0025 * 0.25 / 3
    scores = score_numeric(
        np.array([0, 0, 1]), [0.0, 4.0, 5.0], [4.0, 10.0, 10.0], np.array([uniform, step, uniform]), y_unit=y,
        open_lower=False, open_upper=False, t0=0.0, te=10.0, community_times=[0.0, 4.0],
        community_cdfs=np.array([uniform, step]),
    )
    np.testing.assert_allclose(scores.loss, [(4 * uniform_crps + 6 * step_crps) / 10, uniform_crps], rtol=1e-12)
    np.testing.assert_allclose(scores.coverage, [1.0, 0.5])
    np.testing.assert_allclose(scores.relative, [0.0, (uniform_crps - step_crps) * 5 / 10], atol=1e-15)


def test_numeric_community_with_missing_rows_adds_nothing_there():
    uniform = _linear_cdf(0, 0)
    nan_row = np.full(201, NAN)
    # community undefined on [0, 5): only [5, 10) compares, and there the forecaster equals it
    scores = _numeric([_linear_cdf(0.0, 0.0)], 0.3, open_lower=False, open_upper=False,
                      community=([0.0, 5.0], [nan_row, uniform]))
    assert scores.relative[0] == 0.0
    # community worse on [5, 10): degenerate at .5 while y' = .3 -> its CRPS is .2 + .005/3 there
    scores = _numeric([uniform], 0.3, open_lower=False, open_upper=False,
                      community=([0.0, 5.0], [nan_row, _step_cdf()]))
    uniform_crps = (0.3 ** 3 + 0.7 ** 3) / 3
    assert scores.relative[0] == pytest.approx((uniform_crps - (0.2 + 0.005 / 3)) * 5 / 10)


def test_score_numeric_series_matches_a_single_forecaster():
    uniform, wide = _linear_cdf(0, 0), _linear_cdf(0.05, 0.1)
    series = score_numeric_series([0.0, 3.0, 8.0], np.array([uniform, np.full(201, NAN), wide]), y_unit=0.4,
                                  open_lower=True, open_upper=True, t0=0.0, te=10.0)
    single = score_numeric(np.array([0, 0]), [0.0, 8.0], [3.0, 10.0], np.array([uniform, wide]), y_unit=0.4,
                           open_lower=True, open_upper=True, t0=0.0, te=10.0, community_times=[],
                           community_cdfs=np.zeros((0, 201)))
    assert series.coverage == pytest.approx(0.5)
    assert series.loss == pytest.approx(single.loss[0])
    assert series.baseline == pytest.approx(single.baseline[0])
    assert math.isnan(series.relative)


def test_score_numeric_rejects_a_forecast_with_no_mass_on_the_outcome():
    with pytest.raises(ValueError, match=r"cdfs\[0\] gives the outcome's bucket 100 no probability mass"):
        _numeric([_step_cdf()], 0.5, open_lower=False, open_upper=False)


@pytest.mark.parametrize(
    ("cdf", "y_unit", "open_upper", "expected_crps"),
    [
        # above an open upper bound: y' = clip(1.4) = 1, so CRPS = int_0^1 F^2 for F = .9u: .81/3
        (_linear_cdf(0, 0.1), 1.4, True, 0.81 / 3),
        # far above scores the same CRPS: the clip puts every outcome beyond the bound at the bound
        (_linear_cdf(0, 0.1), 25.0, True, 0.81 / 3),
        # exactly on a closed range_max is in range: int_0^1 u^2 = 1/3
        (_linear_cdf(0, 0), 1.0, False, 1 / 3),
    ],
)
def test_numeric_outcomes_beyond_an_open_bound_are_clipped_for_crps(cdf, y_unit, open_upper, expected_crps):
    scores = _numeric([cdf], y_unit, open_lower=False, open_upper=open_upper)
    assert scores.loss[0] == pytest.approx(expected_crps, rel=1e-12)


def test_numeric_outcome_beyond_a_closed_bound_is_refused():
    with pytest.raises(ValueError, match="above range_max .* upper bound is closed"):
        _numeric([_linear_cdf(0, 0)], 1.2, open_lower=False, open_upper=False)
    with pytest.raises(ValueError, match="below range_min .* lower bound is closed"):
        _numeric([_linear_cdf(0, 0)], -0.2, open_lower=False, open_upper=False)
