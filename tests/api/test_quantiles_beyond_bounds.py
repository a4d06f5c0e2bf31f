"""A community quantile beyond an open bound never takes the API down (issue 10, defect 3).

Old code stored such a quantile as ±Infinity (and, on a log scale, the lower one as 0.0, below range_min), and every
endpoint that serialized it answered 500. Now it is reported as the bound plus a marker: ``q10`` = range_min with
``q10_beyond`` = "below", or ``q90`` = range_max with ``q90_beyond`` = "above" (docs/forecast-maths.md 2.5). Every
endpoint that shows the question is fetched and parsed as strict JSON (no Infinity/NaN tokens), including for rows
that older code stored.
"""
import csv
import datetime as dt
import io
import json
import math

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.models import CommunityForecastPoint, CommunityState, Forecast
from forecasting.resolution.services.resolution import question_resolve_manual
from tests import factories

pytestmark = pytest.mark.django_db

QUANTILE_NAMES = ("q10", "q50", "q90")
BELOW, ABOVE = "below", "above"  # the markers, as the API spells them

# (question fields, what two forecasters type, the markers expected on q10/q50/q90)
CASES = {
    "linear-open-lower": (
        dict(range_min=0.0, range_max=40.0, log_scale=False, open_lower_bound=True, open_upper_bound=False),
        {"0.1": -20, "0.5": -5, "0.9": 10}, [BELOW, BELOW, None],
    ),
    "linear-open-upper": (
        dict(range_min=0.0, range_max=40.0, log_scale=False, open_lower_bound=False, open_upper_bound=True),
        {"0.1": 30, "0.5": 50, "0.9": 70}, [None, ABOVE, ABOVE],
    ),
    "log-open-lower": (  # old code: q10 = exp(-inf) = 0.0, below range_min
        dict(range_min=0.3, range_max=1.2, log_scale=True, open_lower_bound=True, open_upper_bound=True),
        {"0.1": 0.05, "0.5": 0.1, "0.9": 0.5}, [BELOW, BELOW, None],
    ),
    "log-open-upper": (  # the request on the demo's SUCCESSOR-2 hazard-ratio question
        dict(range_min=0.3, range_max=1.2, log_scale=True, open_lower_bound=True, open_upper_bound=True),
        {"0.1": 4, "0.5": 6, "0.9": 9}, [ABOVE, ABOVE, ABOVE],
    ),
}


def strict_loads(content: bytes):
    """JSON, refusing the NaN/Infinity tokens Python's json module would otherwise accept."""

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(content, parse_constant=refuse)


def strict_json(response, status=200):
    assert response.status_code == status, response.content[:500]
    return strict_loads(response.content)


def assert_reported(point, question, expected):
    """Every quantile finite, within the range, at the bound exactly when flagged, with the expected markers."""
    assert [point[f"{name}_beyond"] for name in QUANTILE_NAMES] == expected, point
    for name in QUANTILE_NAMES:
        value, beyond = point[name], point[f"{name}_beyond"]
        assert isinstance(value, float) and math.isfinite(value), point
        assert question.range_min <= value <= question.range_max, point
        if beyond == BELOW:
            assert value == question.range_min
        elif beyond == ABOVE:
            assert value == question.range_max
        else:
            assert beyond is None
            assert (value != question.range_min or not question.open_lower_bound)
            assert (value != question.range_max or not question.open_upper_bound)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(params=sorted(CASES))
def beyond_case(request, db):
    fields, quantiles, expected = CASES[request.param]
    question = factories.NumericQuestionFactory(unit="", **fields)
    ann, bob = factories.UserFactory(username="ann"), factories.UserFactory(username="bob")
    for user in (ann, bob):
        url = f"/api/v1/questions/{question.pk}/forecasts/"
        strict_json(client_for(user).post(url, {"quantiles": quantiles}, format="json"), status=201)
    return question, ann, quantiles, expected


def test_stored_community_quantiles_are_finite_and_within_the_range(beyond_case):
    question, *_ = beyond_case
    for point in CommunityForecastPoint.objects.filter(question=question):
        for name in QUANTILE_NAMES:
            value = getattr(point, name)
            assert math.isfinite(value) and question.range_min <= value <= question.range_max
            assert value != 0.0 or not question.log_scale


def test_every_endpoint_that_shows_the_question_answers_strict_json(beyond_case):
    question, ann, quantiles, expected = beyond_case
    anonymous = APIClient()

    listed = strict_json(anonymous.get("/api/v1/questions/"))
    (row,) = [q for q in listed["results"] if q["id"] == question.pk]
    assert_reported(row["community"], question, expected)

    detail = strict_json(anonymous.get(f"/api/v1/questions/{question.pk}/"))
    assert_reported(detail["community"], question, expected)
    assert len(detail["community"]["cdf"]) == 201

    for suffix in ("community/", "community/?include_cdf=1"):
        series = strict_json(anonymous.get(f"/api/v1/questions/{question.pk}/{suffix}"))["results"]
        assert [p["forecaster_count"] for p in series] == [1, 2]
        for point in series:
            assert_reported(point, question, expected)

    history = strict_json(client_for(ann).get(f"/api/v1/questions/{question.pk}/forecasts/"))["results"]
    assert len(history) == 1 and len(history[0]["cdf"]) == 201
    assert history[0]["input"]["quantiles"] == quantiles  # what was typed, beyond the bound or not

    body = {"forecasts": [{"question": question.pk, "quantiles": quantiles}]}
    bulk = strict_json(client_for(ann).post("/api/v1/forecasts/bulk/", body, format="json"), status=201)
    assert len(bulk["forecasts"]) == 1


def test_exports_and_scores_of_the_resolved_question_answer(beyond_case, django_capture_on_commit_callbacks):
    question, _, _, expected = beyond_case
    staff = factories.StaffFactory()
    outcome = question.range_max * 2 if question.open_upper_bound else question.range_min / 2
    with django_capture_on_commit_callbacks(execute=True):
        question_resolve_manual(question=question, outcome=outcome, known_at=timezone.now() - dt.timedelta(minutes=1),
                                actor=staff)
    anonymous = Client()
    for url in (f"/api/v1/questions/{question.pk}/forecasts.csv", f"/api/v1/questions/{question.pk}/scores.csv",
                f"/questions/{question.slug}/forecasts.csv", f"/questions/{question.slug}/scores.csv"):
        response = anonymous.get(url)
        assert response.status_code == 200, url
        text = b"".join(response.streaming_content).decode()
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) > 1, url
        assert not any(token in text.lower() for token in ("inf", "nan")), url
    scores = strict_json(anonymous.get(f"/api/v1/questions/{question.pk}/scores/"))
    assert scores
    detail = strict_json(anonymous.get(f"/api/v1/questions/{question.pk}/"))
    assert detail["status"] == "resolved"
    assert_reported(detail["community"], question, expected)


def test_the_schema_documents_the_markers(db):
    schema = strict_json(APIClient().get("/api/v1/schema/?format=json"))
    components = schema["components"]["schemas"]
    point = components["CommunityPoint"]["properties"]
    for name in QUANTILE_NAMES:
        assert name in point and f"{name}_beyond" in point
        assert "range_min" in point[name]["description"] and "range_max" in point[name]["description"]
        refs = [option.get("$ref") for option in point[f"{name}_beyond"]["oneOf"]]
        assert "#/components/schemas/QuantileBeyondEnum" in refs
        assert point[f"{name}_beyond"]["nullable"] is True
    assert components["QuantileBeyondEnum"]["enum"] == [BELOW, ABOVE]
    assert "q90_beyond" in components["CommunityPointWithCdf"]["properties"]


# ------------------------------------------------------------------------------------------------------------
# Rows stored by older code
# ------------------------------------------------------------------------------------------------------------
@pytest.fixture
def legacy_question(db):
    """A log-scale question whose community rows were written by the old code: -inf/+inf beyond the open bounds,
    and 0.0 (exp(-inf)) for a lower quantile on the log scale."""
    question = factories.NumericQuestionFactory(range_min=0.3, range_max=1.2, log_scale=True, open_lower_bound=True,
                                                open_upper_bound=True, unit="")
    user = factories.UserFactory()
    response = client_for(user).post(f"/api/v1/questions/{question.pk}/forecasts/",
                                     {"quantiles": {"0.1": 0.5, "0.5": 0.7, "0.9": 0.9}}, format="json")
    assert response.status_code == 201
    first = CommunityForecastPoint.objects.get(question=question)
    CommunityForecastPoint.objects.filter(pk=first.pk).update(q10=0.0, q50=0.7, q90=math.inf)
    latest = CommunityForecastPoint.objects.create(
        question=question, created_at=first.created_at + dt.timedelta(seconds=1), forecaster_count=1,
        cdf=first.cdf, q10=-math.inf, q50=-math.inf, q90=math.inf,
    )
    CommunityState.objects.filter(question=question).update(latest_point=latest)
    return question, user


def test_rows_stored_by_older_code_are_reported_without_a_500(legacy_question):
    question, user = legacy_question
    anonymous = APIClient()
    listed = strict_json(anonymous.get("/api/v1/questions/"))
    (row,) = [q for q in listed["results"] if q["id"] == question.pk]
    assert_reported(row["community"], question, [BELOW, BELOW, ABOVE])
    assert_reported(strict_json(anonymous.get(f"/api/v1/questions/{question.pk}/"))["community"], question,
                    [BELOW, BELOW, ABOVE])
    series = strict_json(anonymous.get(f"/api/v1/questions/{question.pk}/community/?include_cdf=1"))["results"]
    assert_reported(series[0], question, [BELOW, None, ABOVE])  # 0.0 on the log scale: below range_min
    assert series[0]["q50"] == 0.7
    assert_reported(series[1], question, [BELOW, BELOW, ABOVE])


def test_forecast_input_that_reads_as_infinity_is_served_as_null(legacy_question, django_capture_on_commit_callbacks):
    """Both databases refuse NaN/Infinity tokens in a JSON column, but an overflowing number such as 1e999 is valid
    JSON text and Python reads it as inf."""
    question, user = legacy_question
    forecast = Forecast.objects.get(question=question, user=user)
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Forecast._meta.db_table} SET input = %s{cast} WHERE id = %s",
                       ['{"type": "quantiles", "quantiles": {"0.1": -1e999, "0.5": 0.7, "0.9": 1e999}}', forecast.pk])
    forecast.refresh_from_db()
    # SQLite's JSON reads 1e999 back as inf; PostgreSQL's jsonb keeps the exact number (an int past float range).
    assert forecast.input["quantiles"]["0.9"] == math.inf or forecast.input["quantiles"]["0.9"] > 1e308
    history = strict_json(client_for(user).get(f"/api/v1/questions/{question.pk}/forecasts/"))["results"]
    assert history[0]["input"] == {"type": "quantiles", "quantiles": {"0.1": None, "0.5": 0.7, "0.9": None}}

    with django_capture_on_commit_callbacks(execute=True):
        question_resolve_manual(question=question, outcome=0.6, known_at=timezone.now() - dt.timedelta(minutes=1),
                                actor=factories.StaffFactory())
    response = Client().get(f"/api/v1/questions/{question.pk}/forecasts.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert strict_loads(rows[0]["input"]) == {"type": "quantiles", "quantiles": {"0.1": None, "0.5": 0.7, "0.9": None}}
