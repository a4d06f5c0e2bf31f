"""Pages of conditional pairs, question groups and the base rate: forms with inline errors, drafts for staff only,
CSV downloads once settled, the question page's base-rate source and the leaderboard's reference row."""
import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from assets.models import Indication, TrialEndpoint
from forecasting.conditional.models import ConditionalForecast
from forecasting.conditional.scoring import conditional_pair_score
from forecasting.conditional.services import conditional_forecast_create, pair_create
from forecasting.groups.services import group_generate, group_publish
from forecasting.scoring.services.leaderboards import leaderboards_rebuild
from forecasting.scoring.services.scoring import question_score
from markets.models import Question
from tests import factories
from tests.forecasting.groups.helpers import successor_like_trial
from tests.forecasting.scoring.scoring_helpers import community, forecast, resolved_question

pytestmark = pytest.mark.django_db


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def pair(db):
    return pair_create(parent=factories.QuestionFactory(title="HR below 0.7?"),
                       child=factories.QuestionFactory(title="OS significant?"))


def test_pair_page_takes_both_branches_and_shows_inline_errors(pair, user):
    client = _client(user)
    page = client.get(pair.get_absolute_url())
    assert page.status_code == 200 and b"If the parent resolves Yes" in page.content
    bad = client.post(pair.get_absolute_url(), {"yes_percent": "60", "no_percent": "abc"})
    assert bad.status_code == 400 and b"Enter a number of percent" in bad.content
    out = client.post(pair.get_absolute_url(), {"yes_percent": "60", "no_percent": "100"})
    assert out.status_code == 400 and b"between 0.1 and 99.9" in out.content
    assert not ConditionalForecast.objects.exists()
    ok = client.post(pair.get_absolute_url(), {"yes_percent": "60", "no_percent": "15", "rationale": "why"})
    assert ok.status_code == 302
    forecast = ConditionalForecast.objects.get()
    assert (forecast.p_yes, forecast.p_no, forecast.rationale) == (0.6, 0.15, "why")
    assert client.post(pair.get_absolute_url() + "withdraw/").status_code == 302
    assert ConditionalForecast.objects.count() == 2


def test_pair_downloads_open_once_settled(pair, user):
    conditional_forecast_create(pair=pair, user=user, p_yes=0.6, p_no=0.2)
    client = _client()
    assert client.get(pair.get_absolute_url() + "scores.csv").status_code == 404
    known = timezone.now() + dt.timedelta(seconds=30)  # written directly: the answer came out after the forecast
    for q, outcome in ((pair.parent, 1), (pair.child, 0)):
        Question.objects.filter(pk=q.pk).update(status="resolved", outcome=outcome, known_at=known,
                                                actual_close_time=known, resolved_at=known)
    conditional_pair_score(pair_id=pair.pk)
    scores = b"".join(client.get(pair.get_absolute_url() + "scores.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(scores)))
    [row] = [r for r in rows if r["branch"] == "yes" and r["subject"] == "forecaster"]
    assert float(row["loss"]) == pytest.approx((0.6 - 0) ** 2)  # the time average of a constant: 0.36 to rounding
    forecasts = b"".join(client.get(pair.get_absolute_url() + "forecasts.csv").streaming_content).decode()
    assert forecasts.splitlines()[1].endswith(",forecast,0.6,0.2")
    page = client.get(pair.get_absolute_url())
    assert b"Annulled: no score" in page.content and b"Scores on the yes branch" in page.content


def test_pair_list_page(pair):
    page = _client().get("/conditional/")
    assert page.status_code == 200 and b"OS significant?" in page.content


def test_group_pages_drafts_for_staff_and_generate_form(staff_user, user):
    trial = successor_like_trial()
    assert _client(user).get("/groups/new/").status_code == 403
    assert _client().get("/groups/new/").status_code == 302
    staff = _client(staff_user)
    past = staff.post("/groups/new/", {"trial": trial.pk, "close_date": "2001-01-01"})
    assert past.status_code == 400 and b"at least a day from now" in past.content
    made = staff.post("/groups/new/", {"trial": trial.pk})
    assert made.status_code == 302
    url = made["Location"]
    assert _client(user).get(url).status_code == 404  # a draft
    assert b"Publish all" in staff.get(url).content
    assert _client(user).post(url + "remove/mrd_disclosed/").status_code in (403, 404)
    assert staff.post(url + "remove/mrd_disclosed/").status_code == 302
    assert not Question.objects.filter(bound_metric="disclosed").exists()
    assert staff.post(url + "publish/").status_code == 302
    page = _client().get(url)
    assert page.status_code == 200 and b"group-bar-chart" in page.content and b"Every question" in page.content
    assert b"SUCCESSOR-9" in _client().get("/groups/").content


def _phase3_haem_trial():
    trial = successor_like_trial("CARTITUDE-9")
    assert trial.indication.therapeutic_area == "hematologic_cancer"
    return trial


def test_question_page_and_leaderboard_show_the_base_rate_and_its_source(staff_user):
    trial = _phase3_haem_trial()
    pfs = TrialEndpoint.objects.get(trial=trial, kind="primary").endpoint
    q = resolved_question(outcome=1, trial=trial, endpoint=pfs, bound_metric="met_endpoint", bound_comparator="==",
                          bound_threshold=1.0)
    u = factories.UserFactory()
    forecast(q, u, 0, 0.8)
    community(q, 0, 0.8)
    question_score(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    page = _client().get(q.get_absolute_url()).content.decode()
    assert "Base rate: 52.6% \u2014 Phase III haematologic cancers" in page and "2006-2015" in page
    assert "Base rate (reference)" in page  # in the scores table
    board = _client().get("/leaderboards/").content.decode()
    assert 'data-testid="base-rate-row"' in board and "1 of 1" in board
    csv_text = b"".join(_client().get("/leaderboards/export.csv").streaming_content).decode()
    assert "base_rate,Base rate (reference)" in csv_text
    scores_csv = b"".join(_client().get(f"/questions/{q.slug}/scores.csv").streaming_content).decode()
    assert "\nbase_rate," in scores_csv.replace(f"{q.pk},base_rate", "\nbase_rate")


def test_open_question_shows_what_the_base_rate_would_say_without_writing(db):
    trial = _phase3_haem_trial()
    pfs = TrialEndpoint.objects.get(trial=trial, kind="primary").endpoint
    q = factories.QuestionFactory(trial=trial, endpoint=pfs, bound_metric="met_endpoint", bound_comparator="==",
                                  bound_threshold=1.0)
    page = _client().get(q.get_absolute_url())
    assert b"Base rate: 52.6%" in page.content
    from forecasting.scoring.models_baserate import BaseRateForecast
    assert not BaseRateForecast.objects.exists()
    Indication.objects.update(therapeutic_area="neurology")
    page = _client().get(q.get_absolute_url()).content.decode()
    assert "Base rate: 57.8%" in page and "no entered figure for neurology" in page
