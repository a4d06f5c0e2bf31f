"""generate_load_data leaves a database the services agree with."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db.models import Count

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.management.commands.generate_load_data import generate
from forecasting.maths.aggregation import ActiveSet, replay
from forecasting.models import CommunityForecastPoint, CommunityState, Forecast, ForecasterQuestion, Profile, Score
from markets.models import Question

pytestmark = pytest.mark.django_db


def test_generated_data_is_consistent_with_the_forecast_rows():
    generate(users=60, questions=8, forecasts=1500, seed=11, log=lambda *a, **k: None)
    assert Forecast.objects.count() == 1500
    assert CommunityForecastPoint.objects.count() == Forecast.objects.count()  # one point per event
    load_users = get_user_model().objects.filter(username__startswith="load11-")
    assert load_users.count() == 60
    assert set(Profile.objects.values_list("user_id", flat=True)) == set(load_users.values_list("pk", flat=True))
    for question in Question.objects.exclude(status="draft"):
        assert question.forecaster_count == ForecasterQuestion.objects.filter(question=question).count()
        kind = "binary" if question.is_binary else "numeric"
        events = [
            (f.created_at, f.user_id, None if f.is_withdrawal else (f.probability if kind == "binary" else f.cdf_array()))
            for f in Forecast.objects.filter(question=question).order_by("pk")
        ]
        if not events:
            continue
        expected = replay(events, kind)[-1][1]
        state = CommunityState.objects.get(question=question)
        latest = state.latest_point
        if kind == "binary":
            assert latest.median == pytest.approx(expected[0]) and latest.extremized == pytest.approx(expected[1])
        else:
            assert latest.cdf_array() == pytest.approx(expected)
        active = ActiveSet.from_bytes(bytes(state.data), kind) if bytes(state.data) else ActiveSet(kind)
        assert len(active) <= question.forecaster_count
    resolved = Question.objects.filter(status="resolved")
    assert resolved.exists()
    assert Score.objects.filter(question__in=resolved).values("question").annotate(n=Count("id")).count() > 0


def test_services_keep_working_on_generated_data_and_seeds_are_not_reused():
    generate(users=30, questions=4, forecasts=300, seed=12, log=lambda *a, **k: None)
    question = Question.objects.filter(status="open", type="binary").exclude(forecaster_count=0).first()
    user = ForecasterQuestion.objects.filter(question=question).first().user
    before = CommunityForecastPoint.objects.filter(question=question).count()
    forecast_create(question=question, user=user, probability=0.42)
    assert CommunityForecastPoint.objects.filter(question=question).count() == before + 1
    with pytest.raises(CommandError):
        generate(users=30, questions=4, forecasts=300, seed=12, log=lambda *a, **k: None)
