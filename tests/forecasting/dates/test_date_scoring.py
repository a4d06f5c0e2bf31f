"""Scoring of date questions (docs/scoring.md, "Date questions"): unit CRPS and the log scores exactly as numeric
questions, with the outcome's position on the time axis. A case computed by hand, and a hypothesis property: a date
question scores exactly as the numeric question with the same range in seconds."""
import datetime as dt

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies as st

from assets.errors import ValidationError
from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.scoring.models import Score
from forecasting.scoring.services.scoring import question_score
from markets import date_axis
from markets.services.resolution import question_resolve
from tests import factories
from tests.forecasting.dates import hand
from tests.forecasting.dates.conftest import date_question_create

LO, HI = dt.date(2027, 1, 1), dt.date(2027, 12, 31)


def _scores(question):
    rows = Score.objects.filter(question=question)
    return ({s.user.username: s for s in rows if s.user_id},
            {s.subject: s for s in rows if not s.user_id})


def test_hand_computed_scores_of_a_date_question_resolved_15_june_2027(db):
    now = timezone.now().replace(microsecond=0)
    t0 = now - dt.timedelta(days=10)
    question = date_question_create(open_time=t0, open_upper_bound=True)
    amira, benoit = factories.UserFactory(username="amira"), factories.UserFactory(username="benoit")
    ta, tb, te = t0 + dt.timedelta(days=1), t0 + dt.timedelta(days=3), t0 + dt.timedelta(days=8)
    forecast_create(question=question, user=amira, at=ta,
                    quantiles={"0.1": "2027-03-01", "0.5": "2027-06-01", "0.9": "2027-09-15"})
    forecast_create(question=question, user=benoit, at=tb,
                    quantiles={"0.1": "2027-05-20", "0.25": "2027-06-05", "0.5": "2027-06-20", "0.75": "2027-07-10",
                               "0.9": "2027-08-01"})
    question_resolve(question=question, outcome=date_axis.parse_date("2027-06-15"), known_at=te)
    question_score(question_id=question.pk)

    y = hand.unit_of(dt.date(2027, 6, 15), LO, HI)
    assert y == 165 / 364
    a = Forecast.objects.get(user=amira).cdf_array()
    b = Forecast.objects.get(user=benoit).cdf_array()
    mean = (a + b) / 2  # N = 2: equal recency weights
    crps_a, crps_b, crps_m = (hand.crps_exact(c, y) for c in (a, b, mean))
    for c, value in ((a, crps_a), (b, crps_b), (mean, crps_m)):
        assert abs(value - hand.crps_trapezoid(c, y)) < 1e-6  # two independent integrations agree
    W = (te - t0).total_seconds()
    span_a, span_b, shared = (te - ta).total_seconds(), (te - tb).total_seconds(), (tb - ta).total_seconds()
    users, aggregates = _scores(question)

    assert users["amira"].loss == pytest.approx(crps_a, rel=1e-12)
    assert users["benoit"].loss == pytest.approx(crps_b, rel=1e-12)
    assert users["amira"].coverage == pytest.approx(span_a / W, rel=1e-12)
    # Relative CRPS: against the community, which is amira's forecast until benoit's, then the mean of both.
    assert users["amira"].relative == pytest.approx((crps_a - crps_m) * span_b / W, rel=1e-9, abs=1e-15)
    assert users["benoit"].relative == pytest.approx((crps_b - crps_m) * span_b / W, rel=1e-9, abs=1e-15)
    # Baseline: 100 ln(pmf[bucket] / base) / 2 with base = (1 - 0.05)/200 (one open bound), 0 before the forecast.
    assert users["amira"].baseline == pytest.approx(
        hand.baseline(a, y, open_lower=False, open_upper=True) * span_a / W, rel=1e-9)
    assert users["benoit"].baseline == pytest.approx(
        hand.baseline(b, y, open_lower=False, open_upper=True) * span_b / W, rel=1e-9)
    # Peer (halved for numeric): while both forecast, 100 n/(n-1) ln(p_i / GM) / 2; amira alone scores 0.
    k = max(1, int(np.ceil(y * 200 - 1e-9)))
    pa, pb = a[k] - a[k - 1], b[k] - b[k - 1]
    gm = np.sqrt(pa * pb)
    assert users["benoit"].peer == pytest.approx(100 * 2 * np.log(pb / gm) / 2 * span_b / W, rel=1e-9)
    assert users["amira"].peer == pytest.approx(-users["benoit"].peer, rel=1e-9)
    crowd = aggregates["community_median"]
    assert crowd.loss == pytest.approx((crps_a * shared + crps_m * span_b) / span_a, rel=1e-12)


def _numeric_twin(question):
    """The numeric question with the same window, range in seconds and bounds."""
    return factories.NumericQuestionFactory(
        open_time=question.open_time, scheduled_close_time=question.scheduled_close_time,
        range_min=question.range_min, range_max=question.range_max, unit="s", log_scale=False,
        open_lower_bound=question.open_lower_bound, open_upper_bound=question.open_upper_bound,
    )


FORECAST = st.tuples(
    st.integers(min_value=5, max_value=150), st.integers(min_value=5, max_value=150),
    st.integers(min_value=5, max_value=150),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(
    forecasts=st.lists(FORECAST, min_size=1, max_size=3),
    outcome_day=st.integers(min_value=-40, max_value=400),
    open_lower=st.booleans(), open_upper=st.booleans(),
)
def test_a_date_question_scores_exactly_as_the_numeric_question_in_seconds(db, forecasts, outcome_day, open_lower,
                                                                            open_upper):
    now = timezone.now().replace(microsecond=0)
    t0 = now - dt.timedelta(days=20)
    date_q = date_question_create(open_time=t0, open_lower_bound=open_lower, open_upper_bound=open_upper,
                                  title=f"When? {outcome_day} {open_lower} {open_upper} {len(forecasts)}")
    numeric_q = _numeric_twin(date_q)
    outcome = LO + dt.timedelta(days=outcome_day)
    if not open_lower:
        outcome = max(outcome, LO)
    if not open_upper:
        outcome = min(outcome, HI)
    for i, (g1, g2, g3) in enumerate(forecasts):
        start = 0 if open_lower else 1
        days = [start + g1 - 5, start + g1 + g2 - 5, start + g1 + g2 + g3 - 5]
        if not open_upper and days[-1] >= 364:
            days = [min(d, 361 - 2 * (2 - j)) for j, d in enumerate(days)]
        if not open_lower:
            days = [max(d, 1 + 2 * j) for j, d in enumerate(days)]
        user = factories.UserFactory()
        dates = [LO + dt.timedelta(days=d) for d in days]
        at = t0 + dt.timedelta(hours=1 + 5 * i)
        try:
            forecast_create(question=date_q, user=user, at=at,
                            quantiles=dict(zip(("0.1", "0.5", "0.9"), (x.isoformat() for x in dates))))
        except ValidationError:
            continue  # quantiles the grid cannot hold are refused alike for both; tested elsewhere
        forecast_create(question=numeric_q, user=user, at=at,
                        quantiles=dict(zip(("0.1", "0.5", "0.9"), (date_axis.date_to_seconds(x) for x in dates))))
    known = t0 + dt.timedelta(days=5)
    y = date_axis.date_to_seconds(outcome)
    question_resolve(question=date_q, outcome=y, known_at=known)
    question_resolve(question=numeric_q, outcome=y, known_at=known)
    question_score(question_id=date_q.pk)
    question_score(question_id=numeric_q.pk)
    fields = ("loss", "coverage", "relative", "baseline", "peer", "active_seconds")

    def table(question):
        return sorted((s.subject, s.user_id, *(getattr(s, f) for f in fields))
                      for s in Score.objects.filter(question=question))
    assert table(date_q) == table(numeric_q)
    for forecast in Forecast.objects.filter(question=date_q):
        twin = Forecast.objects.get(question=numeric_q, user=forecast.user)
        assert np.array_equal(forecast.cdf_array(), twin.cdf_array())
