"""Scoring API and pages: question scores, leaderboards (constant queries), calibration, track record, profile."""
import pytest
from django.test import Client
from django.utils import timezone

from forecasting.models import LeaderboardEntry, LeaderboardScope, Score
from forecasting.scoring.services.leaderboards import leaderboards_rebuild
from forecasting.scoring.services.scoring import question_score
from tests import factories
from tests.forecasting.scoring.scoring_helpers import community, forecast, resolved_question

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.forecasting.scoring.scoring_urlconf")]


@pytest.fixture
def scored_question(db):
    q = resolved_question(outcome=1.0, trial=factories.TrialFactory())
    ann, bob = factories.UserFactory(username="ann"), factories.UserFactory(username="bob")
    forecast(q, ann, 0, 0.9)
    forecast(q, bob, 50, 0.2)
    community(q, 0, 0.9, 0.95)
    community(q, 50, 0.55, 0.6, count=2)
    question_score(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    return q


def test_question_scores_are_404_until_scored(api_client, open_question):
    assert api_client.get(f"/api/v1/questions/{open_question.pk}/scores/").status_code == 404
    unscored = resolved_question(outcome=1.0)
    assert api_client.get(f"/api/v1/questions/{unscored.pk}/scores/").status_code == 404


def test_question_scores_show_aggregates_and_forecasters(api_client, scored_question):
    response = api_client.get(f"/api/v1/questions/{scored_question.pk}/scores/")
    assert response.status_code == 200
    body = response.json()
    assert body["loss_name"] == "brier"
    assert [a["subject"] for a in body["aggregates"]] == ["community_median", "community_extremized"]
    assert [f["username"] for f in body["forecasters"]] == ["ann", "bob"]
    # ann: Brier .01 throughout; crowd .01 then .2025 on [50,100): relative = 50 * (.01 - .2025) / 100
    assert body["forecasters"][0]["loss"] == pytest.approx(0.01)
    assert body["forecasters"][0]["relative"] == pytest.approx(-0.09625)
    assert body["forecasters"][0]["display_name"] == "Ann"


def _many_entries(n):
    now = timezone.now()
    users = [factories.UserFactory() for _ in range(n)]
    LeaderboardEntry.objects.bulk_create(
        LeaderboardEntry(scope_kind="global", scope_key="global", user=u, rank=i + 1, sum_relative=i / 100,
                         questions=3, mean_loss=.2, mean_coverage=.5, mean_baseline=1, mean_peer=0,
                         qualifies_for_mean_ranking=i % 2 == 0, rank_by_mean=i // 2 + 1 if i % 2 == 0 else None,
                         computed_at=now)
        for i, u in enumerate(users)
    )
    LeaderboardScope.objects.create(kind="global", key="global", label="All", entry_count=n, question_count=3)


@pytest.mark.parametrize("size", [3, 30])
def test_leaderboard_api_runs_constant_queries(api_client, django_assert_num_queries, size):
    _many_entries(size)
    with django_assert_num_queries(2):  # count, page with users and profiles
        response = api_client.get("/api/v1/leaderboards/?scope=global")
    assert response.status_code == 200
    assert response.json()["count"] == size
    assert [r["rank"] for r in response.json()["results"]] == list(range(1, size + 1))


def test_leaderboard_api_mean_ordering_and_bad_scope(api_client):
    _many_entries(6)
    body = api_client.get("/api/v1/leaderboards/?scope=global&order=mean").json()
    assert [r["rank_by_mean"] for r in body["results"]] == [1, 2, 3]
    assert api_client.get("/api/v1/leaderboards/?scope=galaxy").status_code == 400
    assert "key" in api_client.get("/api/v1/leaderboards/?scope=trial").json()
    assert api_client.get("/api/v1/leaderboards/?order=best").status_code == 400


@pytest.mark.parametrize("size", [3, 30])
def test_leaderboard_page_runs_constant_queries(django_assert_num_queries, size):
    _many_entries(size)
    client = Client()
    with django_assert_num_queries(4):  # scopes, count, page, the base rate's line (none here)
        response = client.get("/leaderboards/")
    assert response.status_code == 200
    assert response.content.decode().count('class="num">0.') >= 1


def test_leaderboard_page_empty_state(db):
    response = Client().get("/leaderboards/?scope=trial&key=nothing")
    assert response.status_code == 200
    assert "No scores yet" in response.content.decode()


def test_leaderboard_scopes_api_lists_boards(api_client, scored_question):
    kinds = {s["kind"] for s in api_client.get("/api/v1/leaderboards/scopes/").json()}
    assert kinds == {"global", "season", "trial", "indication"}  # the trial has no asset


def test_calibration_api_for_user_and_community(api_client, scored_question):
    body = api_client.get("/api/v1/users/ann/calibration/").json()
    ninety = body["bins"][9]
    assert ninety["weight"] == pytest.approx(1.0) and ninety["questions"] == 1
    assert body["bins"][0]["mean_forecast"] is None
    assert body["murphy"]["brier"] == pytest.approx(0.01)
    community_body = api_client.get("/api/v1/community/calibration/").json()
    assert community_body["bins"][5]["weight"] == pytest.approx(0.5)
    assert api_client.get("/api/v1/users/nobody/calibration/").status_code == 404


def test_track_record_api_lists_scores_with_the_crowd(api_client, scored_question):
    body = api_client.get("/api/v1/users/bob/track-record/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["question"] == scored_question.pk
    assert row["loss"] == pytest.approx(0.64)
    assert row["crowd_loss"] == pytest.approx((50 * .01 + 50 * .2025) / 100)
    assert row["market_loss"] is None


def test_profile_and_calibration_pages_render(scored_question):
    client = Client()
    profile = client.get("/users/ann/").content.decode()
    assert "Ann" in profile and scored_question.title in profile and "/users/ann/calibration/" in profile
    ann = Score.objects.get(question=scored_question, user__username="ann")
    assert f'<td class="num">{ann.loss:.3f}</td>' in profile and f'<td class="num">{ann.relative:.4f}</td>' in profile
    page = client.get("/users/ann/calibration/").content.decode()
    assert "calibration-chart" in page and "Murphy decomposition" in page
    empty = client.get("/users/bob/calibration/")
    assert empty.status_code == 200
    assert "calibration-chart" in client.get("/community/calibration/").content.decode()
    factories.UserFactory(username="newbie")
    assert "No resolved binary questions yet" in client.get("/users/newbie/calibration/").content.decode()
    assert client.get("/users/ghost/").status_code == 404


def test_question_scores_partial_renders(rf, scored_question):
    from django.template.loader import render_to_string

    from forecasting.scoring.selectors import question_scores

    html = render_to_string(
        "scoring/_question_scores.html", {"scores": question_scores(question=scored_question), "user": None}
    )
    assert "How everyone scored" in html and "Community median" in html and "Extremized aggregate" in html
    assert "2× ours" in html and "scores.csv" in html


def test_schema_generates_with_scoring_endpoints(api_client):
    response = api_client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/leaderboards/" in response.content


def test_question_page_lists_the_best_forecasters_and_counts_the_rest(scored_question):
    from forecasting.scoring.selectors import question_scores

    everyone = question_scores(question=scored_question)
    first = question_scores(question=scored_question, limit=1)
    assert [s.user.username for s in everyone.forecasters] == ["ann", "bob"]  # ann was right early: best relative
    assert [s.user.username for s in first.forecasters] == ["ann"]
    assert (first.forecaster_total, first.forecasters_hidden) == (2, 1)
    assert (everyone.forecaster_total, everyone.forecasters_hidden) == (2, 0)
