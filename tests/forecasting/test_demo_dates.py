"""The demo is always current: loaded on any day, it has open questions closing in the future (its story is counted
from the load day, assets/demo_clock.py) and its past questions are still resolved."""
import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time

from assets.demo_clock import TOPLINE_DAYS_AGO, demo_calendar
from assets.models import NewsItem, Trial, TrialEvent
from forecasting.management.commands.load_demo import demo_load
from forecasting.models import Forecast
from markets.models import Question

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.mark.parametrize("today", ["2027-06-01", "2030-01-01"])
def test_the_demo_loaded_on_any_day_has_open_questions_and_keeps_its_past_resolved(today, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with freeze_time(f"{today}T10:00:00Z"):
        demo_load()
        now = timezone.now()
        accepting = list(Question.objects.filter_accepting_forecasts(at=now))
        assert len(accepting) >= 5
        with_history = 0
        for question in accepting:
            assert question.open_time <= now < question.scheduled_close_time
            assert question.scheduled_close_time > now + dt.timedelta(days=300)  # a year to forecast, not a day
            # Its demo forecasts and market history lie between its opening and now (the readout group's members
            # published at load have none yet).
            times = list(Forecast.objects.filter(question=question).values_list("created_at", flat=True))
            if times:
                with_history += 1
                assert question.open_time <= min(times) and max(times) <= now
        assert with_history >= 5
        resolved = Question.objects.filter(status=Question.Status.RESOLVED)
        assert resolved.count() >= 4
        assert all(q.actual_close_time < now for q in resolved)

        # The story's dates and the texts that name them follow the load day.
        topline = dt.date.fromisoformat(today) - dt.timedelta(days=TOPLINE_DAYS_AGO)
        event = TrialEvent.objects.get(trial__registry_id="NCT05552976", kind=TrialEvent.Kind.TOPLINE)
        assert event.date == topline
        news = NewsItem.objects.get(date=topline)
        assert f"{topline.day} {topline:%B %Y}" in news.body and "[" not in news.body
        trial = Trial.objects.get(registry_id="NCT05552976")
        assert trial.expected_readout == f"medical conference, {accepting[0].scheduled_close_time.year}"
        question = Question.objects.get(slug="successor-2-pfs-hr-below-0-7")
        assert f"{topline:%B %Y}" in question.description and "[" not in question.description


def test_loading_again_later_keeps_the_first_calendar(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with freeze_time("2027-06-01T10:00:00Z"):
        demo_load()
        first = demo_calendar()
    with freeze_time("2027-09-01T10:00:00Z"):
        demo_load()
        assert demo_calendar() == first
    assert TrialEvent.objects.filter(trial__registry_id="NCT05552976", kind=TrialEvent.Kind.TOPLINE).count() == 1
    assert NewsItem.objects.filter(title__startswith="Mezigdomide triplet").count() == 1
