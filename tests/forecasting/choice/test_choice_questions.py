"""Multiple-choice questions: options validation, forecasts (service and API, single and bulk), bad input as 400s that
name the field and store nothing, withdrawals, resolution by index or label, readout proposals, calibration per
option and CSV exports."""
import csv
import datetime as dt
import io
import math

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.errors import ValidationError
from forecasting.forecasts.models import CommunityForecastPoint, Forecast
from forecasting.forecasts.services.forecasts import forecast_create, forecast_withdraw
from forecasting.scoring.models import ForecastScore
from forecasting.scoring.selectors import calibration
from forecasting.scoring.services.scoring import question_score
from markets.choices import choice_from_source, option_index, options_clean
from markets.models import Question
from markets.services import question_create, question_update
from markets.services.resolution import question_resolve
from tests import factories

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------------------------


def test_options_are_stripped_and_kept_in_order():
    assert options_clean(["  ASH ", "ASCO", "EHA"]) == ["ASH", "ASCO", "EHA"]
    assert options_clean("ASH\n\n ASCO \nEHA\n") == ["ASH", "ASCO", "EHA"]


@pytest.mark.parametrize("raw, message", [
    (["ASH"], "2 to 20"),
    ([f"o{i}" for i in range(21)], "2 to 20"),
    (["ASH", " ash "], "repeats"),
    (["ASH", "Other  meeting", "other meeting"], "repeats"),
    (["ASH", "   "], "blank"),
    (["ASH", "x" * 121], "at most 120"),
    (["ASH", 3], "must be text"),
    (["ASH", "A\x00B"], "NUL"),
    ("ASH", "2 to 20"),
    (None, "list of 2 to 20"),
    ({"a": 1}, "list of 2 to 20"),
])
def test_bad_options_are_refused_naming_the_field(raw, message):
    with pytest.raises(ValidationError) as err:
        options_clean(raw)
    assert err.value.field == "options" and message in err.value.message


def test_question_create_validates_options_and_other_types_have_none():
    common = dict(title="Which meeting?", resolution_criteria="The first one.",
                  open_time=timezone.now(), scheduled_close_time=timezone.now() + dt.timedelta(days=9))
    question = question_create(type="multiple_choice", options=[" ASH", "ASCO "], **common)
    assert question.options == ["ASH", "ASCO"]
    with pytest.raises(ValidationError) as err:
        question_create(type="multiple_choice", **common)
    assert err.value.field == "options"
    binary = question_create(type="binary", options=["stray", "values"], **common)
    assert binary.options is None


def test_the_database_refuses_options_on_the_wrong_type():
    question = factories.ChoiceQuestionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=question.pk).update(options=None)
    binary = factories.QuestionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=binary.pk).update(options=["a", "b"])


def test_options_are_frozen_once_open():
    question = factories.ChoiceQuestionFactory()
    with pytest.raises(Exception, match="options cannot change"):
        question_update(question=question, options=["ASH", "ASCO"])


def test_option_index_takes_an_index_or_a_label():
    options = ["ASH", "ASCO", "Another meeting"]
    assert option_index(options, 1) == 1 and option_index(options, 2.0) == 2
    assert option_index(options, " another MEETING ") == 2 and option_index(options, "0") == 0
    for bad in (3, -1, 1.5, "EHA", True, None, math.nan):
        with pytest.raises(ValidationError) as err:
            option_index(options, bad)
        assert err.value.field == "outcome" and "0 = ASH" in err.value.message


@pytest.mark.parametrize("source, expected", [
    ("ASH 2026, LBA-1", 0.0),
    ("asco annual meeting 2026", 1.0),
    ("ASCO Breakthrough 2026", 2.0),  # the longer option wins over "ASCO"
    ("N Engl J Med 2026", None),
    ("ASH and ASCO joint session", None),  # two options named: staff decide
])
def test_a_readout_source_proposes_the_option_it_names(source, expected):
    assert choice_from_source(["ASH", "ASCO", "ASCO Breakthrough"], source) == expected


# ---------------------------------------------------------------------------------------------------------------
# Forecasts
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def question(db):
    return factories.ChoiceQuestionFactory()


def test_a_forecast_is_stored_normalized_and_updates_are_appended(question, user):
    first = forecast_create(question=question, user=user, probabilities=[0.5, 0.3, 0.2000004])
    assert sum(first.probabilities) == pytest.approx(1.0, abs=1e-15)
    forecast_create(question=question, user=user, probabilities=[0.1, 0.1, 0.8])
    first.refresh_from_db()
    assert first.probabilities == pytest.approx([0.5, 0.3, 0.2], abs=1e-6)  # never edited
    assert Forecast.objects.filter(question=question).count() == 2
    forecast_withdraw(question=question, user=user)
    assert CommunityForecastPoint.objects.filter(question=question).last().probabilities is None


BAD_PROBABILITIES = [
    ([0.5, 0.3], "3 values"),
    ([0.5, 0.3, 0.3], "sum to 1"),
    ([0.5, 0.5, 0.0], "between 0.001 and 0.999"),
    ([1.0, 0.0005, 0.0005], "between 0.001 and 0.999"),
    ([0.5, "0.3", 0.2], "must be a number"),
    ([0.5, True, 0.2], "must be a number"),
    ({"ASH": 0.5}, "a list of 3 numbers"),
    (0.5, "a list of 3 numbers"),
]


@pytest.mark.parametrize("raw, message", BAD_PROBABILITIES)
def test_bad_probabilities_are_refused_naming_the_field(question, user, raw, message):
    with pytest.raises(ValidationError) as err:
        forecast_create(question=question, user=user, probabilities=raw)
    assert err.value.field == "probabilities" and message in err.value.message
    assert not Forecast.objects.exists() and not CommunityForecastPoint.objects.exists()


def test_a_binary_field_on_a_choice_question_and_the_reverse_are_refused(question, user, open_question):
    with pytest.raises(ValidationError) as err:
        forecast_create(question=question, user=user, probability=0.4)
    assert err.value.field == "probabilities"
    with pytest.raises(ValidationError) as err:
        forecast_create(question=open_question, user=user, probabilities=[0.5, 0.5])
    assert err.value.field == "probabilities" and "multiple-choice questions only" in err.value.message


@pytest.mark.parametrize("body, message", [
    ('{"probabilities": [NaN, 0.5, 0.5]}', "probabilities"),
    ('{"probabilities": [Infinity, 0.5, 0.5]}', "probabilities"),
    ('{"probabilities": [0.4, 0.4, 0.4]}', "sum to 1"),
    ('{"probabilities": [0.5, 0.5]}', "3 values"),
    ('{"probabilities": null}', "probabilities"),
    ('{"probability": 0.5}', "probabilities"),
])
def test_the_api_answers_400_naming_probabilities_and_stores_nothing(question, user_client, body, message):
    response = user_client.post(f"/api/v1/questions/{question.pk}/forecasts/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "probabilities" in response.data and message in str(response.data)
    assert not Forecast.objects.exists()


def test_the_api_forecast_round_trip_and_history(question, user_client):
    response = user_client.post(f"/api/v1/questions/{question.pk}/forecasts/",
                                {"probabilities": [0.2, 0.3, 0.5], "rationale": "ASH is likelier"}, format="json")
    assert response.status_code == 201
    assert response.data["probabilities"] == pytest.approx([0.2, 0.3, 0.5])
    history = user_client.get(f"/api/v1/questions/{question.pk}/forecasts/").data["results"]
    assert history[0]["probabilities"] == pytest.approx([0.2, 0.3, 0.5])
    community = user_client.get(f"/api/v1/questions/{question.pk}/community/").data["results"]
    assert community[-1]["probabilities"] == pytest.approx([0.2, 0.3, 0.5]) and community[-1]["median"] is None
    listed = user_client.get("/api/v1/questions/").data["results"]
    assert [q["options"] for q in listed if q["id"] == question.pk] == [["ASH", "ASCO", "Another meeting"]]


def test_bulk_forecasts_mix_types_and_errors_name_the_item(question, open_question, user_client):
    ok = user_client.post("/api/v1/forecasts/bulk/", {"forecasts": [
        {"question": open_question.pk, "probability": 0.4},
        {"question": question.pk, "probabilities": [0.6, 0.3, 0.1]},
    ]}, format="json")
    assert ok.status_code == 201, ok.data
    assert ok.data["forecasts"][1]["probabilities"] == pytest.approx([0.6, 0.3, 0.1])
    bad = user_client.post("/api/v1/forecasts/bulk/", {"forecasts": [
        {"question": open_question.pk, "probability": 0.4},
        {"question": question.pk, "probabilities": [0.6, 0.3, 0.3]},
    ]}, format="json")
    assert bad.status_code == 400 and "forecasts[1].probabilities" in bad.data
    assert Forecast.objects.count() == 2  # the failed request stored nothing


def test_staff_create_a_question_through_the_api_with_clear_400s(staff_client):
    body = {"title": "Which meeting first?", "type": "multiple_choice", "resolution_criteria": "The first.",
            "open_time": "2026-06-01T00:00:00Z", "scheduled_close_time": "2026-12-01T00:00:00Z"}
    missing = staff_client.post("/api/v1/questions/", body, format="json")
    assert missing.status_code == 400 and "options" in missing.data
    duplicate = staff_client.post("/api/v1/questions/", {**body, "options": ["ASH", "ash"]}, format="json")
    assert duplicate.status_code == 400 and "options" in duplicate.data
    too_many = staff_client.post("/api/v1/questions/", {**body, "options": [str(i) for i in range(21)]}, format="json")
    assert too_many.status_code == 400 and "options" in too_many.data
    created = staff_client.post("/api/v1/questions/", {**body, "options": ["ASH", "ASCO"]}, format="json")
    assert created.status_code == 201 and created.data["options"] == ["ASH", "ASCO"]
    assert Question.objects.count() == 1


# ---------------------------------------------------------------------------------------------------------------
# Resolution, calibration, exports
# ---------------------------------------------------------------------------------------------------------------


def test_resolve_by_label_through_the_api_and_bad_outcomes_are_400s(question, staff_client):
    url = f"/api/v1/questions/{question.pk}/resolve/"
    known = timezone.now().isoformat()
    for bad in ("EHA", 3, 0.5, True):
        response = staff_client.post(url, {"outcome": bad, "known_at": known}, format="json")
        assert response.status_code == 400 and "outcome" in response.data, (bad, response.data)
    response = staff_client.post(url, {"outcome": "ASCO", "known_at": known}, format="json")
    assert response.status_code == 200, response.data
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED and question.outcome == 1.0


def test_annulment_works(question, staff_client):
    response = staff_client.post(f"/api/v1/questions/{question.pk}/resolve/", {"outcome": "annulled"}, format="json")
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.status == Question.Status.ANNULLED and question.outcome is None


def test_calibration_counts_each_option_as_a_prediction(question, user, other_user):
    start = question.open_time
    forecast_create(question=question, user=user, probabilities=[0.7, 0.2, 0.1], at=start)
    forecast_create(question=question, user=other_user, probabilities=[0.1, 0.1, 0.8], at=start + dt.timedelta(days=1))
    question_resolve(question=question, outcome=0, known_at=start + dt.timedelta(days=2), at=timezone.now())
    question_score(question_id=question.pk)
    rows = ForecastScore.objects.filter(question=question, user=user).order_by("option")
    assert [(r.option, r.probability, r.outcome) for r in rows] == [(0, 0.7, 1), (1, 0.2, 0), (2, 0.1, 0)]
    assert all(r.active_fraction == pytest.approx(1.0) for r in rows)
    table = calibration(user=user)
    assert table.forecasts == 3 and table.questions == 1
    by_bin = {round(b["lower"], 1): b for b in table.bins if b["weight"]}
    assert by_bin[0.7]["observed_frequency"] == 1.0 and by_bin[0.1]["observed_frequency"] == 0.0
    # The Murphy Brier is the mean per-option squared error: the multi-category Brier divided by K.
    assert table.murphy["brier"] == pytest.approx((0.3**2 + 0.2**2 + 0.1**2) / 3)
    community = ForecastScore.objects.filter(question=question, user=None)
    assert community.count() == 6  # two community points, three options each


def test_csv_exports_have_one_column_per_option(question, user, staff_client):
    forecast_create(question=question, user=user, probabilities=[0.25, 0.25, 0.5], at=question.open_time)
    forecast_withdraw(question=question, user=user, at=question.open_time + dt.timedelta(hours=1))
    question_resolve(question=question, outcome=2, known_at=question.open_time + dt.timedelta(days=1))
    question_score(question_id=question.pk)
    response = staff_client.get(f"/api/v1/questions/{question.pk}/forecasts.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-3:] == ["p_0 ASH", "p_1 ASCO", "p_2 Another meeting"]
    assert [float(x) for x in rows[1][-3:]] == [0.25, 0.25, 0.5] and rows[2][-3:] == ["", "", ""]
    scores = staff_client.get(f"/api/v1/questions/{question.pk}/scores.csv")
    body = b"".join(scores.streaming_content).decode()
    forecaster = [r for r in csv.DictReader(io.StringIO(body)) if r["username"] == user.username][0]
    assert float(forecaster["loss"]) == pytest.approx(0.25**2 + 0.25**2 + 0.5**2)


def test_the_thinned_community_series_carries_the_probabilities(question, user, other_user):
    """The chart series is thinned in SQL past its point budget (raw SQL on PostgreSQL): the per-option vectors come
    back as lists there too."""
    from forecasting.forecasts.selectors import community_series

    for i, p in enumerate(([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2], [0.3, 0.3, 0.4])):
        forecast_create(question=question, user=(user, other_user)[i % 2], probabilities=p,
                        at=question.open_time + dt.timedelta(hours=i))
    rows = community_series(question=question, max_points=2)
    assert 1 <= len(rows) <= 3 and all(isinstance(row["probabilities"], list) for row in rows)
    assert rows[-1]["probabilities"] == pytest.approx([0.35, 0.35, 0.3])


def test_huge_integers_are_400s_not_overflows(question, user_client, staff_client):
    huge = "1" + "0" * 400
    response = user_client.post(f"/api/v1/questions/{question.pk}/forecasts/",
                                '{"probabilities": [%s, 0.5, 0.5]}' % huge, content_type="application/json")
    assert response.status_code == 400 and "probabilities" in response.data
    response = staff_client.post(f"/api/v1/questions/{question.pk}/resolve/",
                                 '{"outcome": %s, "known_at": "2026-01-01T00:00:00Z"}' % huge,
                                 content_type="application/json")
    assert response.status_code == 400 and "outcome" in response.data
    assert not Forecast.objects.exists()
