"""The stored community forecast (built incrementally by the services) equals a from-scratch recompute."""
import datetime as dt

import numpy as np
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.errors import StateError
from forecasting.forecasts.services import community
from forecasting.forecasts.services.forecasts import forecast_create, forecast_withdraw
from forecasting.maths.aggregation import replay
from forecasting.models import CommunityForecastPoint, Forecast
from tests import factories

pytestmark = pytest.mark.django_db

ACTIONS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5),  # which forecaster
        st.one_of(st.none(), st.floats(min_value=0.001, max_value=0.999)),  # None = withdraw
    ),
    min_size=1,
    max_size=25,
)


def _replay_from_rows(question, kind):
    events = []
    for f in Forecast.objects.filter(question=question).order_by("created_at", "pk"):
        if f.is_withdrawal:
            value = None
        else:
            value = f.probability if kind == "binary" else f.cdf_array()
        events.append((f.created_at, f.user_id, value))
    return replay(events, kind, a=1.5)


@pytest.fixture
def commit_hooks(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the active-set cache refresh) as a real commit would."""

    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@pytest.mark.parametrize("snapshot_every, use_cache", [(1, False), (3, True), (64, False), (5, True)])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_incremental_binary_community_equals_recompute(actions, snapshot_every, use_cache, monkeypatch, commit_hooks):
    """Whatever mix of snapshots, replays and cache hits builds the active set, every stored point equals the
    from-scratch recompute."""
    monkeypatch.setattr(community, "SNAPSHOT_EVERY", snapshot_every)
    community.active_set_cache.clear()
    call = commit_hooks if use_cache else (lambda fn, **kw: fn(**kw))
    question = factories.QuestionFactory()
    users = [factories.UserFactory() for _ in range(6)]
    t = question.open_time + dt.timedelta(minutes=1)
    for who, value in actions:
        t += dt.timedelta(minutes=7)
        if value is None:
            try:
                call(forecast_withdraw, question=question, user=users[who], at=t)
            except StateError:
                continue  # nothing to withdraw: nothing recorded
        else:
            call(forecast_create, question=question, user=users[who], probability=value, at=t)
    expected = _replay_from_rows(question, "binary")
    points = list(CommunityForecastPoint.objects.filter(question=question).order_by("created_at", "pk"))
    assert len(points) == len(expected)
    for point, (time, result) in zip(points, expected):
        assert point.created_at == time
        if result is None:
            assert point.forecaster_count == 0 and point.median is None
        else:
            assert point.median == pytest.approx(result[0], rel=1e-12, abs=1e-15)
            assert point.extremized == pytest.approx(result[1], rel=1e-12, abs=1e-15)


NUMERIC_ACTIONS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3), st.one_of(st.none(), st.floats(min_value=4, max_value=30))),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=NUMERIC_ACTIONS)
def test_incremental_numeric_community_equals_recompute(actions, monkeypatch):
    monkeypatch.setattr(community, "SNAPSHOT_EVERY", 4)
    question = factories.NumericQuestionFactory()
    users = [factories.UserFactory() for _ in range(4)]
    t = question.open_time + dt.timedelta(minutes=1)
    for who, median in actions:
        t += dt.timedelta(minutes=3)
        if median is None:
            try:
                forecast_withdraw(question=question, user=users[who], at=t)
            except StateError:
                continue
        else:
            quantiles = {"0.1": median * 0.7, "0.5": median, "0.9": median * 1.3}
            forecast_create(question=question, user=users[who], quantiles=quantiles, at=t)
    expected = _replay_from_rows(question, "numeric")
    points = list(CommunityForecastPoint.objects.filter(question=question).order_by("created_at", "pk"))
    assert len(points) == len(expected)
    for point, (_, result) in zip(points, expected):
        if result is None:
            assert point.cdf is None
        else:
            np.testing.assert_allclose(point.cdf_array(), result, rtol=0, atol=1e-12)


def test_hand_computed_three_forecasters_with_recency_weights():
    """N = 3: weights exp(sqrt(n) - sqrt(3)) = 0.4807, 0.6623, 1 (oldest first); S = 2.1430, S/2 = 1.0715.
    Values oldest first 0.2, 0.9, 0.5: sorted 0.2 (0.4807), 0.5 (1.0), 0.9 (0.6623); C = 0.4807, 1.4807 > S/2
    -> median 0.5."""
    question = factories.QuestionFactory()
    users = [factories.UserFactory() for _ in range(3)]
    t = question.open_time
    for user, p in zip(users, (0.2, 0.9, 0.5)):
        t += dt.timedelta(hours=1)
        forecast_create(question=question, user=user, probability=p, at=t)
    point = CommunityForecastPoint.objects.filter(question=question).latest("created_at")
    assert point.median == pytest.approx(0.5)
    assert point.forecaster_count == 3
    # An update moves the forecaster to the newest position: values oldest first 0.9, 0.5, 0.1:
    # sorted 0.1 (w 1.0), 0.5 (0.6623), 0.9 (0.4807); C_1 = 1.0 < 1.0715, C_2 = 1.6623 > 1.0715 -> 0.5.
    forecast_create(question=question, user=users[0], probability=0.1, at=t + dt.timedelta(hours=1))
    assert CommunityForecastPoint.objects.filter(question=question).latest("created_at").median == pytest.approx(0.5)


def test_two_forecasters_median_is_the_midpoint():
    question = factories.QuestionFactory()
    a, b = factories.UserFactory(), factories.UserFactory()
    now = timezone.now()
    forecast_create(question=question, user=a, probability=0.2, at=now - dt.timedelta(hours=2))
    forecast_create(question=question, user=b, probability=0.6, at=now - dt.timedelta(hours=1))
    assert CommunityForecastPoint.objects.filter(question=question).latest("created_at").median == pytest.approx(0.4)


def test_out_of_order_historical_forecast_is_refused_and_stores_nothing():
    question = factories.QuestionFactory()
    a = factories.UserFactory()
    now = timezone.now()
    forecast_create(question=question, user=a, probability=0.2, at=now - dt.timedelta(hours=1))
    with pytest.raises(Exception, match="time order"):
        forecast_create(question=question, user=a, probability=0.3, at=now - dt.timedelta(hours=2))
    assert Forecast.objects.filter(question=question).count() == 1


def test_cache_is_ignored_when_another_process_moved_the_state(commit_hooks):
    """A cached active set keyed to an older forecast id must not be used after someone else's write."""
    community.active_set_cache.clear()
    question = factories.QuestionFactory()
    a, b = factories.UserFactory(), factories.UserFactory()
    now = timezone.now()
    commit_hooks(forecast_create, question=question, user=a, probability=0.2, at=now - dt.timedelta(hours=3))
    # Simulate another process: its forecast is recorded, but this process's cache is not refreshed.
    forecast_create(question=question, user=b, probability=0.8, at=now - dt.timedelta(hours=2))
    commit_hooks(forecast_create, question=question, user=a, probability=0.4, at=now - dt.timedelta(hours=1))
    point = CommunityForecastPoint.objects.filter(question=question).latest("created_at")
    assert point.forecaster_count == 2
    assert point.median == pytest.approx(0.6)
