"""Reads behind the question pages at scale: the API list reads only the columns it shows, and the question page's
chart series is memoized per (state, latest point) without ever serving a stale series."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasting.forecasts import selectors
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.questions.api.serializers import QuestionListSerializer
from tests import factories

pytestmark = pytest.mark.django_db


def test_api_list_columns_are_the_serializer_fields_with_related_slugs():
    columns = QuestionListSerializer.columns()
    assert {"asset__slug", "trial__slug", "endpoint__code"} <= set(columns)
    assert {"asset", "trial", "endpoint", "url", "community", "community_hidden"}.isdisjoint(columns)
    assert "created_by" not in columns and "description" in columns


def test_api_list_shows_related_slugs_without_a_query_per_row(api_client):
    def make(n):
        for _ in range(n):
            factories.QuestionFactory(
                asset=factories.AssetFactory(), trial=factories.TrialFactory(), endpoint=factories.EndpointFactory()
            )

    make(2)
    with CaptureQueriesContext(connection) as few:
        body = api_client.get("/api/v1/questions/", {"page_size": 50}).json()
    make(20)
    with CaptureQueriesContext(connection) as many:
        more = api_client.get("/api/v1/questions/", {"page_size": 50}).json()
    assert len(body["results"]) == 2 and len(more["results"]) == 22
    assert len(many.captured_queries) == len(few.captured_queries)
    row = more["results"][0]
    assert row["asset"] and row["trial"] and row["endpoint"] and row["resolution_criteria"]


def test_page_series_matches_the_selector_and_follows_every_new_forecast(open_question, user, other_user):
    assert selectors.community_for_page(question=open_question) == (None, [])
    forecast_create(question=open_question, user=user, probability=0.3)
    latest, series = selectors.community_for_page(question=open_question)
    assert series == selectors.community_series(question=open_question) and len(series) == 1
    assert latest.median == pytest.approx(0.3)

    forecast_create(question=open_question, user=other_user, probability=0.7)
    latest, series = selectors.community_for_page(question=open_question)
    assert len(series) == 2 and series == selectors.community_series(question=open_question)
    assert latest.median == pytest.approx(0.5)


def test_a_repeated_page_read_reuses_the_series_in_one_query(open_question, user):
    forecast_create(question=open_question, user=user, probability=0.4)
    selectors.community_for_page(question=open_question)  # first read fills the memo
    with CaptureQueriesContext(connection) as ctx:
        latest, series = selectors.community_for_page(question=open_question)
    assert len(ctx.captured_queries) == 1 and len(series) == 1 and latest is not None


def test_a_returned_series_can_be_changed_without_touching_the_memo(open_question, user):
    forecast_create(question=open_question, user=user, probability=0.4)
    _, series = selectors.community_for_page(question=open_question)
    series[0]["median"] = 99.0
    series.append({})
    _, again = selectors.community_for_page(question=open_question)
    assert len(again) == 1 and again[0]["median"] == pytest.approx(0.4)


def test_hidden_questions_show_no_series(hidden_question, user):
    forecast_create(question=hidden_question, user=user, probability=0.4)
    assert selectors.community_for_page(question=hidden_question) == (None, [])
