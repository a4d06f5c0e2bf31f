"""Resolving date questions: staff resolve with a date (API and resolve page), a bound readout proposes the date it
became public, annulment, unresolve; the market settles on the bucket holding the date; the CSV export shows the
typed dates; the staff form creates a date question from two date pickers."""
import csv
import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.resolution.models import ProposedResolution
from forecasting.resolution.services import readouts
from markets import date_axis
from markets.models import Market, Question
from markets.services import account_grant_starting_points, market_create, trade_buy_budget
from markets.services.resolution import question_resolve
from tests import factories
from tests.forecasting.dates.conftest import date_question_create
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401


@pytest.fixture
def staff_api(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


def test_staff_resolve_a_date_question_with_an_iso_date(date_question, staff_api, forecaster, eager_celery):  # noqa
    forecast_create(question=date_question, user=forecaster,
                    quantiles={"0.1": "2027-03-01", "0.5": "2027-06-12", "0.9": "2027-10-30"})
    known = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    response = staff_api.post(f"/api/v1/questions/{date_question.pk}/resolve/",
                              {"outcome": "2027-06-15", "known_at": known, "source": "EHA 2027"}, format="json")
    assert response.status_code == 200, response.json()
    date_question.refresh_from_db()
    assert date_question.status == Question.Status.RESOLVED
    assert date_question.outcome == date_axis.parse_date("2027-06-15")
    body = APIClient().get(f"/api/v1/questions/{date_question.pk}/").json()
    assert body["outcome_date"] == "2027-06-15" and body["resolution"]["outcome_display"] == "15 Jun 2027"
    page = Client().get(date_question.get_absolute_url()).content.decode()
    assert "15 Jun 2027" in page


@pytest.mark.parametrize("outcome, words", [
    ("2028-01-01", "after the range (2027-01-01 to 2027-12-31)"),
    ("2026-12-31", "before the range"),
    ("2027-02-30", "not a calendar date"),
    ("mid-June", "YYYY-MM-DD"),
    (date_axis.parse_date("2027-06-15") + 60, "whole date"),
    (float("nan"), "outcome"),
])
def test_a_bad_date_outcome_is_a_400_naming_outcome(date_question, staff_api, outcome, words):
    known = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    body = json.dumps({"outcome": outcome, "known_at": known}).replace("NaN", "NaN")
    response = staff_api.post(f"/api/v1/questions/{date_question.pk}/resolve/", body, content_type="application/json")
    assert response.status_code == 400, response.json()
    text = json.dumps(response.json())
    assert "outcome" in text and words in text, text
    date_question.refresh_from_db()
    assert date_question.status == Question.Status.OPEN and date_question.outcome is None


def test_beyond_an_open_bound_the_outcome_date_is_allowed(open_ended_date_question, staff_api):
    known = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    response = staff_api.post(f"/api/v1/questions/{open_ended_date_question.pk}/resolve/",
                              {"outcome": "2028-02-10", "known_at": known}, format="json")
    assert response.status_code == 200, response.json()


def test_annul_and_unresolve_a_date_question(date_question, staff_api):
    known = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    annulled = staff_api.post(f"/api/v1/questions/{date_question.pk}/resolve/",
                              {"outcome": "annulled", "known_at": known, "note": "Trial stopped"}, format="json")
    assert annulled.status_code == 200, annulled.json()
    date_question.refresh_from_db()
    assert date_question.status == Question.Status.ANNULLED and date_question.outcome is None
    undone = staff_api.post(f"/api/v1/questions/{date_question.pk}/unresolve/", {"note": "oops"}, format="json")
    assert undone.status_code == 200, undone.json()
    resolved = staff_api.post(f"/api/v1/questions/{date_question.pk}/resolve/",
                              {"outcome": "2027-07-01", "known_at": known}, format="json")
    assert resolved.status_code == 200
    assert APIClient().get(f"/api/v1/questions/{date_question.pk}/").json()["outcome_date"] == "2027-07-01"


def test_a_bound_readout_proposes_its_public_date_and_confirming_resolves(db, staff_user):
    trial, pfs = factories.TrialFactory(acronym="SUCCESSOR-2"), factories.EndpointFactory(code="PFS")
    today = timezone.now().date()
    question = date_question_create(
        trial=trial, endpoint=pfs, bound_metric="hazard_ratio",
        range_min=date_axis.date_to_seconds(today - dt.timedelta(days=60)),
        range_max=date_axis.date_to_seconds(today + dt.timedelta(days=300)),
    )
    early = date_question_create(trial=trial, endpoint=pfs, bound_metric="hazard_ratio", title="Later range")
    public = timezone.now() - dt.timedelta(hours=3)
    readout = readouts.readout_create(trial=trial, endpoint=pfs, metric="hazard_ratio", value=0.61,
                                      source="EHA, LBA 3", known_at=public, created_by=staff_user)
    proposal = ProposedResolution.objects.get(question=question, readout=readout)
    assert proposal.outcome == date_axis.instant_to_day_seconds(public)
    assert proposal.outcome_display == date_axis.format_day(proposal.outcome)
    question.refresh_from_db()
    assert question.status == Question.Status.PENDING  # forecasting stopped at once
    page = Client()
    page.force_login(staff_user)
    assert date_axis.format_day(proposal.outcome) in page.get("/staff/resolutions/").content.decode()
    response = APIClient()
    response.force_authenticate(staff_user)
    assert response.post(f"/api/v1/proposals/{proposal.pk}/confirm/", {}, format="json").status_code == 200
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED and question.outcome == proposal.outcome
    assert question.known_at == public
    # A question whose closed range starts after the readout's date: confirming is refused, saying why.
    other = ProposedResolution.objects.get(question=early)
    refused = response.post(f"/api/v1/proposals/{other.pk}/confirm/", {}, format="json")
    assert refused.status_code == 400 and "before the range" in json.dumps(refused.json())
    early.refresh_from_db()
    assert early.status == Question.Status.PENDING and early.outcome is None


def test_the_resolve_page_has_a_date_picker_and_resolves_with_a_date(date_question, staff_user):
    client = Client()
    client.force_login(staff_user)
    url = f"/staff/questions/{date_question.slug}/resolve/"
    html = client.get(url).content.decode()
    assert 'type="date"' in html and "Range 1 Jan 2027 to 31 Dec 2027" in html
    known = (timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(url, {"outcome": "2028-03-01", "known_at": known})
    assert bad.status_code == 400 and "after the range" in bad.content.decode()
    ok = client.post(url, {"outcome": "2027-09-30", "known_at": known, "source": "ESMO"}, follow=True)
    assert ok.status_code == 200
    date_question.refresh_from_db()
    assert date_question.outcome == date_axis.parse_date("2027-09-30")
    assert "30 Sep 2027" in client.get(url).content.decode()


def test_a_date_market_has_date_buckets_and_settles_on_the_bucket_of_the_date(date_question, forecaster,
                                                                               eager_celery, staff_api,  # noqa: F811
                                                                               django_capture_on_commit_callbacks):
    market = market_create(question=date_question, b=100, buckets=4)
    labels = APIClient().get(f"/api/v1/markets/{market.pk}/").json()
    assert "2 Apr – 2 Jul 2027" in json.dumps(labels, ensure_ascii=False)
    account_grant_starting_points(user=forecaster)
    trade_buy_budget(market=market, user=forecaster, outcome=1, budget=20)
    known = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(f"/api/v1/questions/{date_question.pk}/resolve/",
                                  {"outcome": "2027-06-15", "known_at": known}, format="json")
    assert response.status_code == 200
    market.refresh_from_db()
    assert market.status == Market.Status.SETTLED and market.winning_outcome == 1  # 2 Apr – 2 Jul 2027


def test_the_forecasts_csv_shows_the_typed_dates(date_question, forecaster, staff_user):
    forecast_create(question=date_question, user=forecaster,
                    quantiles={"0.1": "2027-03-01", "0.5": "2027-06-12", "0.9": "2027-10-30"})
    question_resolve(question=date_question, outcome=date_axis.parse_date("2027-06-15"),
                     known_at=timezone.now() - dt.timedelta(hours=1))  # exports are for resolved questions
    client = Client()
    response = client.get(f"/api/v1/questions/{date_question.pk}/forecasts.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert '"0.5": "2027-06-12"' in rows[1][7]


def test_the_staff_form_creates_a_date_question_from_date_pickers(db, staff_user):
    client = Client()
    client.force_login(staff_user)
    page = client.get("/questions/new/").content.decode()
    assert 'name="range_min_date"' in page and 'type="date"' in page
    now = timezone.now()
    data = {
        "title": "When will the FDA decide on mezigdomide?", "type": "date",
        "resolution_criteria": "The PDUFA action date as announced.",
        "open_time": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "scheduled_close_time": (now + dt.timedelta(days=200)).strftime("%Y-%m-%dT%H:%M"),
        "range_min_date": "2027-01-01", "range_max_date": "2026-12-01", "open_upper_bound": "on",
        "on_trial_stopped": "", "publish": "on",
    }
    bad = client.post("/questions/new/", data)
    assert bad.status_code in (200, 400) and "later date than range_min" in bad.content.decode()
    assert not Question.objects.exists()
    missing = client.post("/questions/new/", {**data, "range_min_date": ""})
    assert "Pick the date." in missing.content.decode() and not Question.objects.exists()
    client.post("/questions/new/", {**data, "range_max_date": "2028-06-30"})
    question = Question.objects.get()
    assert question.is_date and question.range_max == date_axis.parse_date("2028-06-30")
    assert question.open_upper_bound and question.unit == ""
    edit = client.get(f"/questions/{question.slug}/edit/").content.decode()
    assert 'value="2027-01-01"' in edit


def test_the_resolution_email_words_the_outcome_as_a_date(date_question):
    from forecasting.notifications.services.resolution import outcome_text

    question = question_resolve(question=date_question, outcome=date_axis.parse_date("2027-06-15"),
                                known_at=timezone.now() - dt.timedelta(hours=1))
    assert outcome_text(question) == "15 Jun 2027"
