"""Date questions on the pages: the form's date pickers and inline errors, the community in dates, lists whose
query count does not grow with date questions; and the demo's date question, relative to the load day."""
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create
from markets import date_axis
from markets.models import Question
from tests import factories
from tests.forecasting.dates.conftest import date_question_create

GOOD = {"0.1": "2027-03-01", "0.5": "2027-06-12", "0.9": "2027-10-30"}


@pytest.fixture
def logged_in(forecaster):
    client = Client()
    client.force_login(forecaster)
    return client


def test_the_form_offers_date_pickers_bounded_by_the_closed_range(date_question, logged_in):
    html = logged_in.get(date_question.get_absolute_url()).content.decode()
    assert 'data-date-form' in html and 'name="q50"' in html
    assert 'type="date"' in html and 'min="2027-01-01"' in html and 'max="2027-12-31"' in html
    assert "question_date.js" in html and "1 Jan 2027 to 31 Dec 2027" in html


def test_submitting_dates_on_the_page_stores_them(date_question, logged_in):
    response = logged_in.post(date_question.get_absolute_url(),
                              {"q10": "2027-03-01", "q50": "2027-06-12", "q90": "2027-10-30", "rationale": "ASH"})
    assert response.status_code == 302
    assert Forecast.objects.get().input["quantiles"] == GOOD
    page = logged_in.get(date_question.get_absolute_url()).content.decode()
    assert "12 Jun 2027 (1 Mar – 30 Oct 2027)" in page


@pytest.mark.parametrize("data, words", [
    ({"q10": "2027-03-01", "q50": "2027-02-01", "q90": "2027-10-30"}, "must be a later date than the 10th"),
    ({"q10": "2026-12-01", "q50": "2027-06-12", "q90": "2027-10-30"}, "quantiles.q10 (2026-12-01) must be after"),
    ({"q10": "soon", "q50": "2027-06-12", "q90": "2027-10-30"}, "Enter a date (YYYY-MM-DD)."),
    ({"q10": "2027-03-01", "q90": "2027-10-30"}, "Enter your median date"),
])
def test_bad_dates_on_the_page_show_under_the_field_and_store_nothing(date_question, logged_in, data, words):
    response = logged_in.post(date_question.get_absolute_url(), data)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Forecast.objects.exists()


def test_the_community_is_worded_in_dates(date_question, forecaster, other_user):
    forecast_create(question=date_question, user=forecaster, quantiles=GOOD)
    forecast_create(question=date_question, user=other_user, quantiles=GOOD)
    html = Client().get(date_question.get_absolute_url()).content.decode()
    assert "Median 12 Jun 2027, 80% between 1 Mar and 30 Oct 2027." in html
    assert "1 Mar – 30 Oct 2027" in html
    listing = Client().get("/questions/").content.decode()
    assert "12 Jun 2027" in listing and "80% between 1 Mar and 30 Oct 2027" in listing


def test_list_queries_do_not_grow_with_date_questions(db, django_assert_max_num_queries, forecaster):
    def add(n):
        for i in range(n):
            q = date_question_create(title=f"When will trial {Question.objects.count()} present?")
            forecast_create(question=q, user=forecaster, quantiles=GOOD)

    add(1)
    client = Client()
    client.get("/questions/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as one:
        client.get("/questions/")
        client.get("/api/v1/questions/")
    add(5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/questions/").status_code == 200
        assert len(client.get("/api/v1/questions/").json()["results"]) == 6


def test_the_demo_has_a_date_question_on_successor_2_relative_to_today(db):
    from forecasting.management.commands.load_demo import demo_load

    demo_load()
    question = Question.objects.get(slug="successor-2-full-pfs-presentation-date")
    today = timezone.now().date()
    assert question.is_date and question.trial.acronym == "SUCCESSOR-2" and question.status == "open"
    assert date_axis.seconds_to_date(question.range_min) == today - dt.timedelta(days=30)
    assert date_axis.seconds_to_date(question.range_max) == today + dt.timedelta(days=480)
    assert question.forecaster_count >= 5 and question.market.n == 10
    assert question.market.trade_count >= 10  # a price history over the date buckets
    assert all(f.input["quantiles"]["0.5"].count("-") == 2 for f in Forecast.objects.filter(question=question))
    before = Forecast.objects.count()
    demo_load()  # idempotent
    assert Forecast.objects.count() == before
