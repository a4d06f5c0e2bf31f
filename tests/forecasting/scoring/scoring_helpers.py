"""Builders for scoring tests: resolved questions with explicit timestamps, forecast rows and community points
written directly (so every number in a test is one the test chose)."""
import datetime as dt

import numpy as np

from forecasting.models import CommunityForecastPoint, Forecast
from tests import factories

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
GRID = np.linspace(0.0, 1.0, 201)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def resolved_question(*, outcome, close=100, known=None, numeric=False, resolved_at=None, **fields):
    """A resolved question open at T0 with Tc = T0 + close seconds and Te = min(Tc, known)."""
    known = close if known is None else known
    factory = factories.NumericQuestionFactory if numeric else factories.QuestionFactory
    return factory(
        open_time=T0, scheduled_close_time=at(close), status="resolved", outcome=outcome, known_at=at(known),
        actual_close_time=at(min(close, known)), resolved_at=resolved_at or at(max(close, known) + 10), **fields,
    )


def forecast(question, user, t, p=None, *, cdf=None):
    return Forecast.objects.create(
        question=question, user=user, created_at=at(t), probability=p,
        cdf=None if cdf is None else np.asarray(cdf, dtype="<f8").tobytes(),
    )


def withdraw(question, user, t):
    return Forecast.objects.create(question=question, user=user, created_at=at(t), kind=Forecast.Kind.WITHDRAWAL)


def community(question, t, median=None, extremized=None, *, cdf=None, count=1):
    return CommunityForecastPoint.objects.create(
        question=question, created_at=at(t), forecaster_count=count, median=median, extremized=extremized,
        cdf=None if cdf is None else np.asarray(cdf, dtype="<f8").tobytes(),
    )
