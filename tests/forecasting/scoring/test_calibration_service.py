"""calibration(): time weights from question_score, bins, Wilson n = distinct questions, Murphy decomposition."""
import pytest

from forecasting.maths.calibration import wilson_interval
from forecasting.scoring.selectors import calibration
from forecasting.scoring.services.scoring import question_score
from tests import factories
from tests.forecasting.scoring.scoring_helpers import community, forecast, resolved_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(db):
    """Window 0..100 on each question.

    q1 (YES): u says .72 at 0 and .75 at 25 (weights .25, .75), .2 at 150 (after the close: weight 0).
    q2 (NO): u says .78 at 0 (weight 1).
    q3 (YES): u says .15 at 60 (weight .4).
    Community medians: q1 .6 from 0; q2 .6 from 0 then .3 from 50; q3 none until 60, then .15.
    """
    u = factories.UserFactory()
    q1, q2, q3 = (resolved_question(outcome=o) for o in (1.0, 0.0, 1.0))
    forecast(q1, u, 0, .72), forecast(q1, u, 25, .75), forecast(q1, u, 150, .2)
    forecast(q2, u, 0, .78)
    forecast(q3, u, 60, .15)
    community(q1, 0, .6, .6)
    community(q2, 0, .6, .6), community(q2, 50, .3, .3)
    community(q3, 60, .15, .15)
    factories.QuestionFactory()  # an open question scores nothing
    for q in (q1, q2, q3):
        question_score(question_id=q.pk)
    return u


def test_user_calibration_weights_forecasts_by_time_held(history):
    result = calibration(user=history)
    bins = {round(b["lower"], 1): b for b in result.bins}
    seventy = bins[0.7]
    assert seventy["weight"] == pytest.approx(.25 + .75 + 1)
    assert seventy["questions"] == 2
    assert seventy["mean_forecast"] == pytest.approx((.25 * .72 + .75 * .75 + 1 * .78) / 2)
    assert seventy["observed_frequency"] == pytest.approx(1 / 2)  # q1 YES weight 1, q2 NO weight 1
    low, high = wilson_interval(0.5, 2)
    assert (seventy["wilson_low"], seventy["wilson_high"]) == (pytest.approx(float(low)), pytest.approx(float(high)))
    assert bins[0.1]["weight"] == pytest.approx(.4) and bins[0.1]["observed_frequency"] == 1
    assert bins[0.2]["weight"] == 0 and bins[0.2]["mean_forecast"] is None  # the late .2 weighs nothing
    assert result.forecasts == 4 and result.questions == 3


def test_user_murphy_decomposition_and_time_weighted_brier(history):
    m = calibration(user=history).murphy
    w = [.25, .75, 1, .4]
    p = [.72, .75, .78, .15]
    o = [1, 1, 0, 1]
    total = sum(w)
    assert m["brier"] == pytest.approx(sum(wi * (pi - oi) ** 2 for wi, pi, oi in zip(w, p, o)) / total)
    base = (.25 + .75 + .4) / total
    assert m["base_rate"] == pytest.approx(base)
    assert m["uncertainty"] == pytest.approx(base * (1 - base))
    f7, o7 = (.25 * .72 + .75 * .75 + .78) / 2, .5
    assert m["reliability"] == pytest.approx((2 * (f7 - o7) ** 2 + .4 * (.15 - 1) ** 2) / total)
    assert m["resolution"] == pytest.approx((2 * (o7 - base) ** 2 + .4 * (1 - base) ** 2) / total)


def test_community_calibration_uses_the_median_step_function(history):
    result = calibration(user=None)
    bins = {round(b["lower"], 1): b for b in result.bins}
    # .6: all of q1 (1.0) and the first half of q2 (.5); .3: the second half of q2; .15: the last .4 of q3
    assert bins[0.6]["weight"] == pytest.approx(1.5)
    assert bins[0.6]["observed_frequency"] == pytest.approx(1 / 1.5)
    assert bins[0.3]["weight"] == pytest.approx(.5) and bins[0.3]["observed_frequency"] == 0
    assert bins[0.1]["weight"] == pytest.approx(.4)


def test_calibration_of_a_user_without_forecasts_is_empty(db):
    result = calibration(user=factories.UserFactory())
    assert result.is_empty
    assert all(b["weight"] == 0 and b["observed_frequency"] is None for b in result.bins)
    assert result.murphy["brier"] is None
