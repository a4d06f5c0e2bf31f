"""Date questions: the model's rules, and 400s that name the field for bad input through the API (questions,
forecasts, bulk forecasts), each storing nothing."""
import json

import numpy as np
import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from assets.errors import ValidationError
from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create
from markets import date_axis
from markets.models import Question
from tests import factories
from tests.forecasting.dates.conftest import date_question_create


def d(text):
    return date_axis.parse_date(text)


# ---------------------------------------------------------------------------------------------------------------
# The question
# ---------------------------------------------------------------------------------------------------------------
def test_a_date_question_is_continuous_and_keeps_its_range_in_seconds(date_question):
    assert date_question.is_date and date_question.is_continuous and not date_question.is_numeric
    assert (date_question.range_min, date_question.range_max) == (d("2027-01-01"), d("2027-12-31"))
    assert date_question.unit == "" and not date_question.log_scale


@pytest.mark.parametrize("overrides, field, words", [
    ({"range_min": d("2027-12-31"), "range_max": d("2027-01-01")}, "range_max", "later date than range_min"),
    ({"range_max": d("2027-01-01")}, "range_max", "later date"),
    ({"log_scale": True}, "log_scale", "cannot use a log scale"),
    ({"range_min": d("2027-01-01") + 3600}, "range_min", "whole date"),
    ({"range_min": None}, "range_min", "as a date"),
    ({"range_max": float("nan")}, "range_max", "must be a date between"),
    ({"range_max": 1e300}, "range_max", "must be a date between"),
])
def test_invalid_date_ranges_are_refused_naming_the_field(db, overrides, field, words):
    with pytest.raises(ValidationError) as exc:
        date_question_create(**overrides)
    assert exc.value.field == field and words in exc.value.message
    assert not Question.objects.exists()


def test_the_database_refuses_a_log_scaled_date_question(date_question):
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=date_question.pk).update(log_scale=True)


@pytest.fixture
def staff_api(db):
    client = APIClient()
    client.force_authenticate(factories.StaffFactory())
    return client


def question_body(**overrides):
    body = {"title": "When will the FDA decide?", "type": "date", "resolution_criteria": "The action date.",
            "open_time": "2026-01-01T00:00:00Z", "scheduled_close_time": "2030-01-01T00:00:00Z",
            "range_min_date": "2027-01-01", "range_max_date": "2027-12-31"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_staff_create_a_date_question_with_iso_dates(staff_api):
    response = staff_api.post("/api/v1/questions/", question_body(open_lower_bound=True), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["range_min_date"] == "2027-01-01" and body["range_max_date"] == "2027-12-31"
    assert body["range_min"] == d("2027-01-01") and body["outcome_date"] is None
    assert body["open_lower_bound"] is True
    edited = staff_api.patch(f"/api/v1/questions/{body['id']}/", {"range_max_date": "2028-06-30"}, format="json")
    assert edited.status_code == 200 and edited.json()["range_max_date"] == "2028-06-30"
    unchanged = staff_api.patch(f"/api/v1/questions/{body['id']}/", {"range_max_date": None}, format="json")
    assert unchanged.status_code == 200 and unchanged.json()["range_max_date"] == "2028-06-30"
    numeric_body = {**question_body(type="numeric", range_min=1, range_max=2), "range_min_date": None,
                    "range_max_date": None}
    numeric = staff_api.post("/api/v1/questions/", numeric_body, format="json")
    assert numeric.status_code == 201 and numeric.json()["range_min_date"] is None


@pytest.mark.parametrize("overrides, field", [
    ({"range_min_date": "2027-02-30"}, "range_min_date"),
    ({"range_min_date": "June 2027"}, "range_min_date"),
    ({"range_max_date": "3000-01-01"}, "range_max_date"),
    ({"range_max_date": "2026-06-01"}, "range_max"),
    ({"range_min_date": None}, "range_min"),
    ({"log_scale": True}, "log_scale"),
    ({"type": "numeric", "range_min": 1, "range_max": 2, "range_min_date": None, "range_max_date": "2027-12-31"},
     "range_max_date"),
])
def test_bad_date_question_input_is_a_400_naming_the_field(staff_api, overrides, field):
    response = staff_api.post("/api/v1/questions/", question_body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in json.dumps(response.json()), response.json()
    assert not Question.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Forecasts
# ---------------------------------------------------------------------------------------------------------------
GOOD = {"0.1": "2027-03-01", "0.5": "2027-06-12", "0.9": "2027-10-30"}


def test_a_forecast_with_quantile_dates_stores_the_dates_and_a_valid_cdf(date_question, forecaster):
    forecast = forecast_create(question=date_question, user=forecaster, quantiles={**GOOD, "q25": "2027-04-20"})
    assert forecast.input == {"type": "quantiles", "quantiles": {**GOOD, "0.25": "2027-04-20"}}
    cdf = forecast.cdf_array()
    assert cdf.shape == (201,) and cdf[0] == 0 and cdf[-1] == 1 and np.all(np.diff(cdf) >= 1e-5 - 1e-14)


def test_a_raw_cdf_is_accepted_as_for_numeric_questions(date_question, forecaster):
    cdf = np.linspace(0, 1, 201).tolist()
    forecast = forecast_create(question=date_question, user=forecaster, cdf=cdf)
    assert forecast.input == {"type": "cdf"} and np.allclose(forecast.cdf_array(), cdf)


def test_beyond_an_open_bound_a_date_is_allowed(open_ended_date_question, forecaster):
    forecast = forecast_create(question=open_ended_date_question, user=forecaster,
                               quantiles={"0.1": "2026-11-01", "0.5": "2027-06-12", "0.9": "2028-03-01"})
    cdf = forecast.cdf_array()
    # The 10th percentile lies before the range and the 90th after it: more than 10% below, more than 10% above.
    assert 0.1 < cdf[0] < 0.5 and 0.5 < cdf[-1] < 0.9


@pytest.fixture
def user_api(forecaster):
    client = APIClient()
    client.force_authenticate(forecaster)
    return client


@pytest.mark.parametrize("quantiles, field, words", [
    ({**GOOD, "0.5": "2027-13-01"}, "quantiles.q50", "not a calendar date"),
    ({**GOOD, "0.5": "2027-02-29"}, "quantiles.q50", "not a calendar date"),
    ({**GOOD, "0.5": 1812412800}, "quantiles.q50", "YYYY-MM-DD"),
    ({**GOOD, "0.1": "2026-12-15"}, "quantiles.q10", "2027-01-01 to 2027-12-31"),
    ({**GOOD, "0.1": "2027-01-01"}, "quantiles.q10", "after the first date of the range"),
    ({**GOOD, "0.9": "2028-01-05"}, "quantiles.q90", "before the last date of the range"),
    ({**GOOD, "0.9": "2999-12-31"}, "quantiles.q90", "2027-12-31"),
    ({**GOOD, "0.9": "0999-12-31"}, "quantiles.q90", "outside the dates allowed"),
    ({**GOOD, "0.9": "2027-06-12"}, "quantiles.q90", "later date than quantiles.q50"),
    ({**GOOD, "0.5": "2027-02-01"}, "quantiles.q50", "later date than quantiles.q10"),
    ({"0.1": "2027-03-01", "0.5": "2027-06-12"}, "quantiles.q90", "missing quantiles.q90"),
    ({**GOOD, "1.5": "2027-11-01"}, "quantiles", "strictly between 0 and 1"),
    ({**GOOD, "q10": "2027-03-02"}, "quantiles.q10", "given twice"),
    ([], "quantiles", "must map levels to dates"),
    ("2027-06-12", "quantiles", "must map levels to dates"),
])
def test_bad_quantile_dates_are_a_400_naming_the_quantile(date_question, user_api, quantiles, field, words):
    response = user_api.post(f"/api/v1/questions/{date_question.pk}/forecasts/", {"quantiles": quantiles},
                             format="json")
    assert response.status_code == 400, response.json()
    body = json.dumps(response.json())
    assert field in body and words in body, body
    assert not Forecast.objects.exists()


def test_nan_for_a_quantile_date_is_a_400_naming_it(date_question, user_api):
    raw = '{"quantiles": {"0.1": "2027-03-01", "0.5": NaN, "0.9": "2027-10-30"}}'
    response = user_api.post(f"/api/v1/questions/{date_question.pk}/forecasts/", raw, content_type="application/json")
    assert response.status_code == 400
    assert "quantiles.q50" in json.dumps(response.json())
    assert not Forecast.objects.exists()


def test_quantiles_too_close_for_the_grid_speak_in_dates(date_question, user_api):
    quantiles = {"0.1": "2027-06-10", "0.2": "2027-06-11", "0.5": "2027-06-12", "0.9": "2027-10-30"}
    response = user_api.post(f"/api/v1/questions/{date_question.pk}/forecasts/", {"quantiles": quantiles},
                             format="json")
    assert response.status_code == 400
    body = json.dumps(response.json())
    assert "2027-06-1" in body and "18" not in body.split("quantile")[0][-12:]  # dates, not seconds
    assert "1812" not in body and "1813" not in body  # no POSIX seconds in the message
    assert not Forecast.objects.exists()


def test_bulk_forecasts_on_a_date_question(date_question, user, user_api):
    binary = factories.QuestionFactory()
    response = user_api.post("/api/v1/forecasts/bulk/", {"forecasts": [
        {"question": binary.pk, "probability": 0.3},
        {"question": date_question.pk, "quantiles": GOOD},
    ]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["forecasts"][1]["input"]["quantiles"] == GOOD
    bad = user_api.post("/api/v1/forecasts/bulk/", {"forecasts": [
        {"question": binary.pk, "probability": 0.4},
        {"question": date_question.pk, "quantiles": {**GOOD, "0.5": "soon"}},
    ]}, format="json")
    assert bad.status_code == 400 and "forecasts[1].quantiles.q50" in json.dumps(bad.json())
    assert Forecast.objects.count() == 2  # the refused batch stored nothing


def test_the_api_reports_community_quantiles_as_dates(date_question, forecaster, other_user):
    forecast_create(question=date_question, user=forecaster, quantiles=GOOD)
    forecast_create(question=date_question, user=other_user, quantiles=GOOD)
    body = APIClient().get(f"/api/v1/questions/{date_question.pk}/").json()
    community = body["community"]
    # Two identical forecasts: the community CDF is that forecast, so its 10/50/90% are the typed dates.
    assert (community["q10_date"], community["q50_date"], community["q90_date"]) == tuple(GOOD.values())
    assert community["q90_beyond"] is None
    listed = APIClient().get("/api/v1/questions/").json()["results"][0]
    assert listed["community"]["q50_date"] == "2027-06-12" and listed["range_min_date"] == "2027-01-01"
    history = APIClient().get(f"/api/v1/questions/{date_question.pk}/community/").json()
    rows = history["results"] if isinstance(history, dict) else history
    assert rows[-1]["q50_date"] == "2027-06-12"


def test_open_bound_beyond_flags_in_dates(open_ended_date_question, forecaster):
    forecast_create(question=open_ended_date_question, user=forecaster,
                    quantiles={"0.1": "2027-03-01", "0.5": "2027-11-01", "0.9": "2028-09-01"})
    community = APIClient().get(f"/api/v1/questions/{open_ended_date_question.pk}/").json()["community"]
    assert community["q90_beyond"] == "above" and community["q90_date"] == "2027-12-31"
    assert community["q50_date"] == "2027-11-01" and community["q50_beyond"] is None
