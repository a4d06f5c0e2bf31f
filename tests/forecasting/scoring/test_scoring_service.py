"""question_score end to end through the database: hand-computed scores with explicit timestamps.

Times are seconds after T0 (tests/forecasting/scoring/scoring_helpers.py). Each expected number carries its derivation.
"""
import math

import pytest

from forecasting.forecasts.services.forecasts import forecast_create, forecast_withdraw
from forecasting.models import ForecastScore, QuestionScoring, Score
from forecasting.scoring.selectors import questions_needing_scores
from forecasting.scoring.services.scoring import ScoringTimings, question_score, question_scores_clear
from tests import factories
from tests.forecasting.scoring.scoring_helpers import GRID, community, forecast, resolved_question, withdraw

pytestmark = pytest.mark.django_db
S = Score.Subject
L2 = math.log2


def _score_tuple(s):
    return (s.subject, s.user_id, s.loss, s.coverage, s.relative, s.baseline, s.peer, s.active_seconds,
            s.forecasts_count)


def _scores(question):
    return sorted((_score_tuple(s) for s in Score.objects.filter(question=question)), key=repr)


@pytest.fixture
def early_close_question(db):
    """Binary, Tc = 200, known at 100 so Te = 100, outcome YES.

    A: 0.8 at 0, 0.6 at 50, 0.9 at 150 (after Te: scores nothing).
    B (late joiner): 0.4 at 20, withdraws at 60, 0.3 at 80.
    C: only forecasts at 120, after Te.
    Community median: 0.8 @0, 0.6 @20, 0.5 @50, 0.6 @60, 0.45 @80, 0.6 @150.
    Extremized:       0.9 @0, 0.7 @20, 0.5 @50, 0.7 @60, 0.5 @80.
    """
    q = resolved_question(outcome=1.0, close=200, known=100)
    a, b, c = factories.UserFactory(), factories.UserFactory(), factories.UserFactory()
    forecast(q, a, 0, 0.8)
    forecast(q, b, 20, 0.4)
    forecast(q, a, 50, 0.6)
    withdraw(q, b, 60)
    forecast(q, b, 80, 0.3)
    forecast(q, c, 120, 0.5)
    forecast(q, a, 150, 0.9)
    for t, med, ext in [(0, .8, .9), (20, .6, .7), (50, .5, .5), (60, .6, .7), (80, .45, .5), (150, .6, .7)]:
        community(q, t, med, ext)
    return q, a, b, c


def test_binary_scores_match_hand_computation(early_close_question):
    q, a, b, c = early_close_question
    assert question_score(question_id=q.pk) == 3 + 2  # three forecasters, median and extremized (no market)
    by_user = {s.user_id: s for s in Score.objects.filter(question=q, subject=S.FORECASTER)}
    sa, sb, sc = by_user[a.pk], by_user[b.pk], by_user[c.pk]

    # A: [0,50) p=.8 Brier .04, [50,100) p=.6 Brier .16 -> (2 + 8) / 100; the forecast at 150 is after Te.
    assert sa.loss == pytest.approx(0.10)
    assert sa.coverage == pytest.approx(1.0)
    assert sa.active_seconds == pytest.approx(100)
    assert sa.forecasts_count == 2
    # community Brier integral: 20*.04 + 30*.16 + 10*.25 + 20*.16 + 20*.3025 = 17.35; R_A = (10 - 17.35)/100
    assert sa.relative == pytest.approx(-0.0735)
    assert sa.baseline == pytest.approx((50 * 100 * (L2(.8) + 1) + 50 * 100 * (L2(.6) + 1)) / 100)
    # peer: [20,50) .8 vs .4 -> 100 ln 2; [50,60) .6 vs .4 -> 100 ln 1.5; [60,80) alone -> 0; [80,100) .6 vs .3
    assert sa.peer == pytest.approx((30 * 100 * math.log(2) + 10 * 100 * math.log(1.5) + 20 * 100 * math.log(2)) / 100)

    # B (late joiner with a withdrawal): [20,60) p=.4 Brier .36, gap, [80,100) p=.3 Brier .49
    assert sb.loss == pytest.approx((40 * .36 + 20 * .49) / 60)
    assert sb.coverage == pytest.approx(0.6)
    # community over B's spans: [20,60) 30*.16 + 10*.25 = 7.3, [80,100) 6.05; (14.4 - 7.3 + 9.8 - 6.05)/100
    assert sb.relative == pytest.approx(0.1085)
    assert sb.baseline == pytest.approx((40 * 100 * (L2(.4) + 1) + 20 * 100 * (L2(.3) + 1)) / 100)
    assert sb.peer == pytest.approx(-sa.peer)  # two forecasters: peer scores of an instant sum to zero
    assert sb.forecasts_count == 2

    # C forecast only after Te: no loss, no coverage, relative 0 (counts as the crowd).
    assert (sc.loss, sc.coverage, sc.relative, sc.baseline, sc.peer, sc.forecasts_count) == (None, 0, 0, 0, 0, 0)

    median = Score.objects.get(question=q, subject=S.COMMUNITY_MEDIAN)
    assert median.user_id is None
    assert median.loss == pytest.approx(0.1735)
    assert median.relative == pytest.approx(0.0)
    assert median.coverage == pytest.approx(1.0)
    assert median.forecasts_count == 5  # points before Te
    extremized = Score.objects.get(question=q, subject=S.COMMUNITY_EXTREMIZED)
    # 20*.01 + 30*.09 + 10*.25 + 20*.09 + 20*.25 = 12.2
    assert extremized.loss == pytest.approx(0.122)
    assert extremized.relative == pytest.approx((12.2 - 17.35) / 100)
    assert QuestionScoring.objects.get(question=q).forecasters == 3


def test_binary_calibration_weights_are_active_fractions(early_close_question):
    q, a, b, c = early_close_question
    question_score(question_id=q.pk)
    rows = sorted(
        ForecastScore.objects.filter(question=q, subject=S.FORECASTER).values_list("user_id", "probability", "active_fraction")
    )
    assert rows == [(a.pk, .6, pytest.approx(.5)), (a.pk, .8, pytest.approx(.5)),
                    (b.pk, .3, pytest.approx(.2)), (b.pk, .4, pytest.approx(.4))]
    community_rows = sorted(
        ForecastScore.objects.filter(question=q, subject=S.COMMUNITY_MEDIAN).values_list("probability", "active_fraction")
    )
    assert community_rows == [(.45, pytest.approx(.2)), (.5, pytest.approx(.1)), (.6, pytest.approx(.2)),
                              (.6, pytest.approx(.3)), (.8, pytest.approx(.2))]
    assert set(ForecastScore.objects.filter(question=q).values_list("outcome", flat=True)) == {1}


def test_scoring_twice_gives_identical_rows(early_close_question):
    q = early_close_question[0]
    question_score(question_id=q.pk)
    first = _scores(q), sorted(ForecastScore.objects.filter(question=q).values_list("probability", "active_fraction"))
    question_score(question_id=q.pk)
    second = _scores(q), sorted(ForecastScore.objects.filter(question=q).values_list("probability", "active_fraction"))
    assert first == second
    assert Score.objects.filter(question=q).count() == 5
    assert QuestionScoring.objects.filter(question=q).count() == 1


def test_rescoring_after_the_outcome_changes_replaces_every_score(early_close_question):
    q, a, _, _ = early_close_question
    question_score(question_id=q.pk)
    q.outcome = 0.0
    q.save()
    question_score(question_id=q.pk)
    assert Score.objects.filter(question=q).count() == 5
    # A under NO: [0,50) .64, [50,100) .36 -> (32 + 18) / 100
    assert Score.objects.get(question=q, user=a).loss == pytest.approx(0.5)
    assert set(ForecastScore.objects.filter(question=q).values_list("outcome", flat=True)) == {0}


def test_unresolved_or_annulled_question_has_its_scores_cleared(early_close_question):
    q = early_close_question[0]
    question_score(question_id=q.pk)
    q.status = "annulled"
    q.save()
    timings = ScoringTimings()
    assert question_score(question_id=q.pk, timings=timings) == 0
    assert "annulled" in timings.skipped
    assert not Score.objects.filter(question=q).exists()
    assert not ForecastScore.objects.filter(question=q).exists()


def test_question_scores_clear_removes_everything_and_is_idempotent(early_close_question):
    q = early_close_question[0]
    question_score(question_id=q.pk)
    question_scores_clear(question_id=q.pk)
    question_scores_clear(question_id=q.pk)
    assert not Score.objects.filter(question=q).exists()
    assert not QuestionScoring.objects.filter(question=q).exists()
    assert list(questions_needing_scores()) == [q]


def test_questions_needing_scores_lists_resolved_unscored_questions_only(db):
    scored = resolved_question(outcome=1.0)
    unscored = resolved_question(outcome=0.0)
    nobody_forecast = resolved_question(outcome=1.0)
    factories.QuestionFactory()  # open
    question_score(question_id=scored.pk)
    question_score(question_id=nobody_forecast.pk)  # no rows, but marked as scored
    assert list(questions_needing_scores()) == [unscored]
    scored.outcome = 0.0  # re-resolved to the other outcome, not yet rescored
    scored.save()
    assert set(questions_needing_scores()) == {unscored, scored}


# -------------------------------------------------------------------------------------------------------- numeric


def _linear_cdf(lo, hi):
    """F(u) = lo + (hi - lo) u on the grid."""
    return lo + (hi - lo) * GRID


@pytest.mark.parametrize(
    ("fields", "outcome", "cdf", "expected_loss", "expected_baseline"),
    [
        # open upper bound, y above the range: y' = 1, CRPS = int_0^1 (0.9u)^2 = .81/3; mass above .1 vs base .05
        ({"range_min": 0, "range_max": 40, "open_upper_bound": True}, 55.0, _linear_cdf(0, .9), .27,
         50 * math.log(2)),
        # open lower bound, y below the range: y' = 0, CRPS = int (1 - .1 - .9u)^2 = .81/3; mass below .1 vs .05
        ({"range_min": 0, "range_max": 40, "open_lower_bound": True, "open_upper_bound": False}, -5.0,
         _linear_cdf(.1, 1), .27, 50 * math.log(2)),
        # closed upper bound, y beyond it: scored at the bound, CRPS = int u^2 = 1/3; bucket 200 mass 1/200 = base
        ({"range_min": 0, "range_max": 40, "open_upper_bound": False}, 50.0, _linear_cdf(0, 1), 1 / 3, 0.0),
        # log scale [0.2, 5]: y = 1 sits at u = 0.5: 2 * int_0^.5 u^2 = 1/12 (linear would put it at u = 1/6)
        ({"range_min": 0.2, "range_max": 5, "log_scale": True, "open_upper_bound": False}, 1.0, _linear_cdf(0, 1),
         1 / 12, 0.0),
        # same CDF, linear scale [0.2, 5]: u = 1/6: int_0^{1/6} u^2 + int_{1/6}^1 (1-u)^2 = (1/216 + 125/216)/3
        ({"range_min": 0.2, "range_max": 5, "open_upper_bound": False}, 1.0, _linear_cdf(0, 1), 126 / 648, 0.0),
    ],
)
def test_numeric_single_forecaster_scores_match_hand_computation(fields, outcome, cdf, expected_loss, expected_baseline):
    q = resolved_question(outcome=outcome, numeric=True, **fields)
    user = factories.UserFactory()
    forecast(q, user, 0, cdf=cdf)
    community(q, 0, cdf=cdf)
    question_score(question_id=q.pk)
    s = Score.objects.get(question=q, user=user)
    assert s.loss == pytest.approx(expected_loss)
    assert s.baseline == pytest.approx(expected_baseline, abs=1e-9)
    assert s.relative == pytest.approx(0.0, abs=1e-12)
    assert s.peer == 0.0  # alone: no peers
    crowd = Score.objects.get(question=q, subject=S.COMMUNITY_MEDIAN)
    assert crowd.loss == pytest.approx(expected_loss)
    assert not Score.objects.filter(question=q, subject=S.COMMUNITY_EXTREMIZED).exists()  # binary only


def test_numeric_two_forecasters_relative_and_peer(db):
    """Open upper bound, y above the range (y' = 1). X: F = .9u from 0; Y: F = .5u from 50; crowd .9u then .7u.

    CRPS: X .81/3 = .27, Y .25/3, crowd after 50 .49/3. Masses above the range: X .1, Y .5.
    """
    q = resolved_question(outcome=60.0, numeric=True, close=100, known=300, range_min=0, range_max=40,
                          open_upper_bound=True)
    x, y = factories.UserFactory(), factories.UserFactory()
    forecast(q, x, 0, cdf=_linear_cdf(0, .9))
    community(q, 0, cdf=_linear_cdf(0, .9))
    forecast(q, y, 50, cdf=_linear_cdf(0, .5))
    community(q, 50, cdf=_linear_cdf(0, .7), count=2)
    question_score(question_id=q.pk)
    sx, sy = Score.objects.get(question=q, user=x), Score.objects.get(question=q, user=y)
    assert sx.loss == pytest.approx(.27)
    assert sx.relative == pytest.approx(50 * (.81 - .49) / 3 / 100)
    assert sy.loss == pytest.approx(.25 / 3)
    assert sy.coverage == pytest.approx(.5)
    assert sy.relative == pytest.approx(50 * (.25 - .49) / 3 / 100)
    # peer (halved): [50,100) n = 2, X: 50 * 2 * ln(.1 / sqrt(.05)) = -50 ln 5, averaged over half the window
    assert sx.peer == pytest.approx(-25 * math.log(5))
    assert sy.peer == pytest.approx(25 * math.log(5))
    assert sx.baseline == pytest.approx(50 * math.log(2))
    assert sy.baseline == pytest.approx(25 * math.log(10))  # 50 ln(.5/.05) over half the window
    crowd = Score.objects.get(question=q, subject=S.COMMUNITY_MEDIAN)
    assert crowd.loss == pytest.approx((.81 / 3 + .49 / 3) / 2)
    assert not ForecastScore.objects.filter(question=q).exists()  # calibration is for binary questions


def test_numeric_outcome_beyond_a_closed_bound_is_noted(db):
    q = resolved_question(outcome=50.0, numeric=True, range_min=0, range_max=40, open_upper_bound=False)
    forecast(q, factories.UserFactory(), 0, cdf=_linear_cdf(0, 1))
    timings = ScoringTimings()
    question_score(question_id=q.pk, timings=timings)
    assert "closed bound" in timings.notes[0]


# -------------------------------------------------------------------------------------------- through the services


def test_scores_through_the_forecast_services_and_real_community(db, time_machine=None):
    """Forecasts recorded by forecast_create/forecast_withdraw (the real incremental community forecast)."""
    import datetime as dt

    from django.utils import timezone

    t0 = timezone.now() - dt.timedelta(seconds=1000)
    q = factories.QuestionFactory(open_time=t0, scheduled_close_time=t0 + dt.timedelta(seconds=2000))
    a, b = factories.UserFactory(), factories.UserFactory()
    forecast_create(question=q, user=a, probability=0.8, at=t0)
    forecast_create(question=q, user=b, probability=0.4, at=t0 + dt.timedelta(seconds=250))
    forecast_withdraw(question=q, user=b, at=t0 + dt.timedelta(seconds=500))
    te = t0 + dt.timedelta(seconds=1000)
    q.status, q.outcome, q.known_at, q.actual_close_time, q.resolved_at = "resolved", 1.0, te, te, te
    q.save()
    question_score(question_id=q.pk)
    sa, sb = Score.objects.get(question=q, user=a), Score.objects.get(question=q, user=b)
    # community: .8 alone, then the median of two equal weights (.8 + .4)/2 = .6 on [250, 500), then .8 again
    crowd = (750 * .04 + 250 * .16) / 1000
    assert Score.objects.get(question=q, subject=S.COMMUNITY_MEDIAN).loss == pytest.approx(crowd)
    assert sa.relative == pytest.approx(250 * (.04 - .16) / 1000)
    assert sb.relative == pytest.approx(250 * (.36 - .16) / 1000)
    assert sb.coverage == pytest.approx(.25)
