"""The forecast API: submitting, updating, withdrawing, bulk, visibility and bad input."""
import datetime as dt
import json

import numpy as np
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.models import CommunityForecastPoint, Forecast, ForecasterQuestion
from markets.models import Question
from tests import factories

pytestmark = pytest.mark.django_db


def url(question, suffix="forecasts/"):
    return f"/api/v1/questions/{question.pk}/{suffix}"


def row_counts():
    return (Forecast.objects.count(), CommunityForecastPoint.objects.count(), ForecasterQuestion.objects.count())


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_submit_binary_forecast_stores_it_and_updates_community(user_client, open_question):
    response = user_client.post(url(open_question), {"probability": 0.35, "rationale": "HR likely ~0.65"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["probability"] == 0.35
    assert body["rationale"] == "HR likely ~0.65"
    assert body["created_at"]
    detail = user_client.get(f"/api/v1/questions/{open_question.pk}/").json()
    assert detail["community"]["median"] == pytest.approx(0.35)
    assert detail["community"]["forecaster_count"] == 1
    assert detail["forecaster_count"] == 1


def test_update_is_a_new_row_and_history_keeps_both(user_client, open_question):
    user_client.post(url(open_question), {"probability": 0.35}, format="json")
    user_client.post(url(open_question), {"probability": 0.6}, format="json")
    history = user_client.get(url(open_question)).json()["results"]
    assert [row["probability"] for row in history] == [0.35, 0.6]
    assert all(row["created_at"] for row in history)
    assert Forecast.objects.filter(question=open_question).count() == 2
    open_question.refresh_from_db()
    assert open_question.forecaster_count == 1


def test_community_series_has_timestamps(user_client, other_user, open_question):
    user_client.post(url(open_question), {"probability": 0.2}, format="json")
    client_for(other_user).post(url(open_question), {"probability": 0.4}, format="json")
    series = APIClient().get(url(open_question, "community/")).json()["results"]
    assert [p["forecaster_count"] for p in series] == [1, 2]
    assert [p["median"] for p in series] == [pytest.approx(0.2), pytest.approx(0.3)]
    assert all(dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")) for p in series)


def test_anonymous_cannot_forecast(api_client, open_question):
    response = api_client.post(url(open_question), {"probability": 0.35}, format="json")
    assert response.status_code in (401, 403)
    assert row_counts() == (0, 0, 0)


def test_token_authentication_works_for_scripts(user, open_question):
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": user.username, "password": "correct-horse-battery"})
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert client.post(url(open_question), {"probability": 0.5}, format="json").status_code == 201
    bad = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "payload, field",
    [
        ('{"probability": NaN}', "probability"),
        ('{"probability": Infinity}', "probability"),
        ('{"probability": "NaN"}', "probability"),
        ('{"probability": "abc"}', "probability"),
        ('{"probability": 1.5}', "probability"),
        ('{"probability": -0.1}', "probability"),
        ('{"probability": 0}', "probability"),
        ('{"probability": 1}', "probability"),
        ('{"probability": true}', "probability"),
        ('{"probability": []}', "probability"),
        ('{"probability": null}', "probability"),
        ("{}", "probability"),
        ('{"cdf": [0.5]}', "probability"),
        ('{"probability": 0.4, "rationale": 5}', "rationale"),
    ],
)
def test_bad_binary_input_is_rejected_naming_the_field(user_client, open_question, payload, field):
    response = user_client.post(url(open_question), payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert row_counts() == (0, 0, 0)


def _valid_cdf(open_upper=True):
    cdf = np.linspace(0.0, 0.99 if open_upper else 1.0, 201)
    return cdf.tolist()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"cdf": []}, "cdf"),
        ({"cdf": _valid_cdf()[:200]}, "cdf"),
        ({"cdf": _valid_cdf()[::-1]}, "cdf"),
        ({"cdf": ["a"] * 201}, "cdf"),
        ({"cdf": _valid_cdf(open_upper=False)}, "cdf"),  # the upper bound is open: cdf[200] must be <= 0.999
        ({"quantiles": {"0.1": 20, "0.5": 10, "0.9": 30}}, "quantiles"),
        ({"quantiles": {"0.1": 5, "0.9": 30}}, "quantiles"),
        ({"quantiles": {"abc": 5, "0.5": 10, "0.9": 30}}, "quantiles"),
        ({"quantiles": {"0.1": "x", "0.5": 10, "0.9": 30}}, "quantiles"),
        ({"quantiles": [1, 2, 3]}, "quantiles"),
        ({"probability": 0.5}, "probability"),
        ({"cdf": _valid_cdf(), "quantiles": {"0.1": 5, "0.5": 10, "0.9": 30}}, "cdf"),
    ],
)
def test_bad_numeric_input_is_rejected_naming_the_field(user_client, open_numeric_question, payload, field):
    response = user_client.post(url(open_numeric_question), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert row_counts() == (0, 0, 0)


def test_numeric_forecast_by_quantiles_keeps_the_input_and_the_cdf(user_client, open_numeric_question):
    quantiles = {"0.1": 8.0, "0.5": 12.5, "0.9": 20.0}
    response = user_client.post(url(open_numeric_question), {"quantiles": quantiles}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["cdf"]) == 201
    assert body["input"] == {"type": "quantiles", "quantiles": {"0.1": 8.0, "0.5": 12.5, "0.9": 20.0}}
    community = user_client.get(f"/api/v1/questions/{open_numeric_question.pk}/").json()["community"]
    assert community["q50"] == pytest.approx(12.5, abs=1e-4)
    assert community["q10"] == pytest.approx(8.0, abs=1e-4)
    assert len(community["cdf"]) == 201


def test_numeric_forecast_by_cdf(user_client, open_numeric_question):
    response = user_client.post(url(open_numeric_question), {"cdf": _valid_cdf()}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["cdf"] == pytest.approx(_valid_cdf())


def test_ten_megabyte_body_gets_413_and_stores_nothing(user_client, open_question):
    body = json.dumps({"probability": 0.5, "rationale": "x" * (10 * 1024 * 1024)})
    response = user_client.post(url(open_question), body, content_type="application/json")
    assert response.status_code == 413
    assert "body" in response.json()["detail"]
    assert row_counts() == (0, 0, 0)


def test_malformed_json_is_a_400(user_client, open_question):
    response = user_client.post(url(open_question), '{"probability": 0.4', content_type="application/json")
    assert response.status_code == 400
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize("state", ["draft", "closed", "resolved", "annulled"])
def test_forecasting_on_a_question_not_open_is_409(user_client, staff_user, state):
    question = factories.QuestionFactory(status=state)
    client = user_client if state != "draft" else client_for(staff_user)  # drafts are invisible to forecasters
    response = client.post(url(question), {"probability": 0.4}, format="json")
    assert response.status_code == 409, response.content
    assert row_counts() == (0, 0, 0)


def test_forecasting_on_a_draft_is_404_for_forecasters(user_client):
    question = factories.QuestionFactory(status="draft")
    assert user_client.post(url(question), {"probability": 0.4}, format="json").status_code == 404


def test_late_forecast_refused_even_before_the_close_task_runs(user_client):
    question = factories.QuestionFactory(
        open_time=timezone.now() - dt.timedelta(days=10), scheduled_close_time=timezone.now() - dt.timedelta(seconds=1)
    )
    assert question.status == Question.Status.OPEN
    response = user_client.post(url(question), {"probability": 0.4}, format="json")
    assert response.status_code == 409
    assert "closed" in response.json()["detail"]
    assert row_counts() == (0, 0, 0)


def test_forecast_before_open_time_refused(user_client):
    question = factories.QuestionFactory(open_time=timezone.now() + dt.timedelta(days=1))
    assert user_client.post(url(question), {"probability": 0.4}, format="json").status_code == 409


def test_unknown_question_is_404(user_client):
    assert user_client.post("/api/v1/questions/999999/forecasts/", {"probability": 0.4}, format="json").status_code == 404


def test_withdraw_removes_from_community_and_keeps_history(user_client, other_user, open_question):
    user_client.post(url(open_question), {"probability": 0.2}, format="json")
    client_for(other_user).post(url(open_question), {"probability": 0.6}, format="json")
    assert user_client.delete(url(open_question, "forecasts/current/")).status_code == 204
    community = APIClient().get(f"/api/v1/questions/{open_question.pk}/").json()["community"]
    assert community["forecaster_count"] == 1
    assert community["median"] == pytest.approx(0.6)
    kinds = [row["kind"] for row in user_client.get(url(open_question)).json()["results"]]
    assert kinds == ["forecast", "withdrawal"]
    # Withdrawing again: nothing to withdraw.
    assert user_client.delete(url(open_question, "forecasts/current/")).status_code == 409


def test_nobody_withdraws_another_users_forecast(user_client, other_user, open_question):
    user_client.post(url(open_question), {"probability": 0.2}, format="json")
    before = row_counts()
    response = client_for(other_user).delete(url(open_question, "forecasts/current/"))
    assert response.status_code == 409  # the other user has nothing to withdraw; the route only acts on oneself
    assert row_counts() == before
    assert ForecasterQuestion.objects.get(question=open_question, user__username=user_client.handler._force_user.username).current_id
    assert APIClient().delete(url(open_question, "forecasts/current/")).status_code in (401, 403)


def test_history_is_only_your_own(user_client, other_user, open_question):
    user_client.post(url(open_question), {"probability": 0.2, "rationale": "secret"}, format="json")
    assert client_for(other_user).get(url(open_question)).json()["results"] == []
    assert APIClient().get(url(open_question)).status_code in (401, 403)


def test_hidden_question_shows_no_community_and_no_one_elses_forecasts(user_client, other_user, hidden_question):
    user_client.post(url(hidden_question), {"probability": 0.2, "rationale": "mine"}, format="json")
    other = client_for(other_user)
    detail = other.get(f"/api/v1/questions/{hidden_question.pk}/").json()
    assert detail["community"] is None
    assert detail["community_hidden"] is True
    listing = other.get("/api/v1/questions/").json()["results"]
    assert listing[0]["community"] is None
    assert other.get(url(hidden_question, "community/")).status_code == 404
    assert other.get(url(hidden_question)).json()["results"] == []
    # The author still sees their own forecast.
    mine = user_client.get(url(hidden_question)).json()["results"]
    assert [row["probability"] for row in mine] == [0.2]
    assert user_client.get(f"/api/v1/questions/{hidden_question.pk}/").json()["community"] is None


def test_bulk_submission_is_all_or_nothing(user_client, open_question):
    second = factories.QuestionFactory()
    closed = factories.QuestionFactory(status="closed")
    ok = user_client.post(
        "/api/v1/forecasts/bulk/",
        {"forecasts": [{"question": open_question.pk, "probability": 0.3}, {"question": second.pk, "probability": 0.7}]},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert [f["probability"] for f in ok.json()["forecasts"]] == [0.3, 0.7]
    before = row_counts()
    bad_value = user_client.post(
        "/api/v1/forecasts/bulk/",
        {"forecasts": [{"question": open_question.pk, "probability": 0.4}, {"question": second.pk, "probability": 2}]},
        format="json",
    )
    assert bad_value.status_code == 400
    assert "forecasts[1].probability" in bad_value.json()
    bad_state = user_client.post(
        "/api/v1/forecasts/bulk/",
        {"forecasts": [{"question": open_question.pk, "probability": 0.4}, {"question": closed.pk, "probability": 0.5}]},
        format="json",
    )
    assert bad_state.status_code == 409
    unknown = user_client.post(
        "/api/v1/forecasts/bulk/", {"forecasts": [{"question": 987654, "probability": 0.4}]}, format="json"
    )
    assert unknown.status_code == 400 and "forecasts[0].question" in unknown.json()
    assert user_client.post("/api/v1/forecasts/bulk/", {"forecasts": []}, format="json").status_code == 400
    assert row_counts() == before


def test_staff_create_and_edit_questions_and_forecasters_cannot(user_client, staff_client):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    factories.EndpointFactory(code="PFS")
    payload = {
        "title": "Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?",
        "type": "binary",
        "trial": trial.slug,
        "endpoint": "PFS",
        "resolution_criteria": "YES if the PFS HR reported at the first presentation is below 0.7.",
        "open_time": "2026-03-10T00:00:00Z",
        "scheduled_close_time": "2030-06-01T00:00:00Z",
        "bound_metric": "hazard_ratio",
        "bound_comparator": "<",
        "bound_threshold": 0.7,
        "status": "open",
    }
    assert user_client.post("/api/v1/questions/", payload, format="json").status_code == 403
    created = staff_client.post("/api/v1/questions/", payload, format="json")
    assert created.status_code == 201, created.content
    question_id = created.json()["id"]
    assert created.json()["status"] == "open"
    assert user_client.patch(f"/api/v1/questions/{question_id}/", {"title": "x"}, format="json").status_code == 403
    edited = staff_client.patch(f"/api/v1/questions/{question_id}/", {"fine_print": "Per the ITT analysis."}, format="json")
    assert edited.status_code == 200 and edited.json()["fine_print"] == "Per the ITT analysis."
    frozen = staff_client.patch(f"/api/v1/questions/{question_id}/", {"type": "numeric"}, format="json")
    assert frozen.status_code == 409
    bad = staff_client.post("/api/v1/questions/", {**payload, "scheduled_close_time": "2026-01-01T00:00:00Z"}, format="json")
    assert bad.status_code == 400 and "scheduled_close_time" in bad.json()


def test_question_list_filters_and_constant_queries(api_client, django_assert_max_num_queries):
    trial = factories.TrialFactory()
    for _ in range(3):
        factories.QuestionFactory(trial=trial)
    factories.NumericQuestionFactory()
    factories.QuestionFactory(status="draft")
    assert api_client.get("/api/v1/questions/").json()["count"] == 4
    assert api_client.get("/api/v1/questions/", {"type": "numeric"}).json()["count"] == 1
    assert api_client.get("/api/v1/questions/", {"trial": trial.slug}).json()["count"] == 3
    with django_assert_max_num_queries(4) as few:
        api_client.get("/api/v1/questions/", {"page_size": 2})
    for _ in range(30):
        factories.QuestionFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api_client.get("/api/v1/questions/", {"page_size": 30}).json()["results"]) == 30


def test_community_series_is_thinned_for_charts_keeping_first_and_last(open_question):
    from forecasting.forecasts import selectors

    start = open_question.open_time
    CommunityForecastPoint.objects.bulk_create(
        CommunityForecastPoint(
            question=open_question, created_at=start + dt.timedelta(minutes=i * i % 997 + i), forecaster_count=i + 1,
            median=(i % 100) / 100 + 0.001, extremized=0.5,
        )
        for i in range(600)
    )
    every = selectors.community_series(question=open_question, max_points=None)
    thinned = selectors.community_series(question=open_question, max_points=50)
    assert len(every) == 600
    assert 2 <= len(thinned) <= 50
    assert thinned[0] == every[0] and thinned[-1] == every[-1]
    times = [p["created_at"] for p in thinned]
    assert times == sorted(times)
    assert all(p in every for p in thinned)
    assert selectors.community_series(question=open_question, max_points=1000) == every
