"""Streamed CSV exports of a resolved question's forecasts and scores and of leaderboards."""
import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.test import Client

from forecasting.scoring.services.leaderboards import leaderboards_rebuild
from forecasting.scoring.services.scoring import question_score
from tests import factories
from tests.forecasting.scoring.scoring_helpers import community, forecast, resolved_question, withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.forecasting.scoring.scoring_urlconf")]


def _rows(response):
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def scored(db):
    q = resolved_question(outcome=0.0, trial=factories.TrialFactory())
    ann = factories.UserFactory(username="ann")
    bob = factories.UserFactory(username="bob")
    bob.profile.display_name = 'Bob "the, quoter"'
    bob.profile.save()
    forecast(q, ann, 0, 0.3)
    forecast(q, bob, 10, 0.6)
    withdraw(q, bob, 60)
    community(q, 0, .3, .2)
    community(q, 10, .45, .4, count=2)
    community(q, 60, .3, .2)
    question_score(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    return q


def test_question_scores_csv_streams_every_score(scored):
    rows = _rows(Client().get(f"/questions/{scored.slug}/scores.csv"))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["question_id", "subject", "username", "display_name", "loss"]
    by_subject = {(r[1], r[2]): dict(zip(header, r)) for r in body}
    assert set(by_subject) == {("community_extremized", ""), ("community_median", ""), ("forecaster", "ann"),
                               ("forecaster", "bob")}
    assert float(by_subject[("forecaster", "ann")]["loss"]) == pytest.approx(0.09)
    assert by_subject[("forecaster", "bob")]["display_name"] == 'Bob "the, quoter"'  # quoted correctly


def test_question_forecasts_csv_lists_forecasts_and_withdrawals(scored):
    rows = _rows(Client().get(f"/api/v1/questions/{scored.pk}/forecasts.csv"))
    assert [(r[2], r[5], r[6]) for r in rows[1:]] == [("ann", "forecast", "0.3"), ("bob", "forecast", "0.6"),
                                                      ("bob", "withdrawal", "")]
    assert float(rows[2][8]) == pytest.approx(0.5)  # bob's forecast was active 10..60 of 0..100


def test_leaderboard_csv(scored):
    rows = _rows(Client().get("/leaderboards/export.csv?scope=global"))
    assert rows[0][:4] == ["scope", "key", "rank", "username"]
    assert [r[3] for r in rows[1:]] == ["ann", "bob"]
    api_rows = _rows(Client().get(f"/api/v1/leaderboards/export.csv?scope=trial&key={scored.trial.slug}"))
    assert [(r[0], r[1], r[3]) for r in api_rows[1:]] == [("trial", scored.trial.slug, "ann"),
                                                         ("trial", scored.trial.slug, "bob")]


def test_exports_of_an_unresolved_question_are_404(open_question):
    client = Client()
    assert client.get(f"/questions/{open_question.slug}/forecasts.csv").status_code == 404
    assert client.get(f"/api/v1/questions/{open_question.pk}/scores.csv").status_code == 404
