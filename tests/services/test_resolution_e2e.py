"""End to end against real PostgreSQL, Redis and a Celery worker process (run in CI): enter a readout -> confirm ->
the worker settles, scores and rebuilds the leaderboards; unresolve and re-resolve replace every row."""
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import LeaderboardEntry, ProposedResolution, Score
from markets.models import Question
from tests import factories
from tests.services.conftest import wait_for

pytestmark = pytest.mark.services


def _scores(question):
    return dict(Score.objects.filter(question=question, subject="forecaster").values_list("user_id", "loss"))


def test_readout_confirm_then_the_worker_scores_and_builds_leaderboards(celery_worker_process):
    staff = factories.StaffFactory()
    client = APIClient()
    client.force_authenticate(staff)
    trial = factories.TrialFactory(acronym="E2E-1")
    pfs = factories.EndpointFactory(code="PFS")
    question = factories.QuestionFactory(trial=trial, endpoint=pfs, bound_metric="hazard_ratio",
                                         bound_comparator="<", bound_threshold=0.7)
    users = [factories.UserFactory() for _ in range(3)]
    start = question.open_time + dt.timedelta(hours=1)
    for i, (user, p) in enumerate(zip(users, [0.2, 0.6, 0.9])):
        forecast_create(question=question, user=user, probability=p, at=start + dt.timedelta(hours=i))

    response = client.post("/api/v1/readouts/", {
        "trial": "E2E-1", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.61, "source": "E2E congress",
        "known_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat(),
    }, format="json")
    assert response.status_code == 201, response.data
    proposal = ProposedResolution.objects.get(question=question)
    response = client.post(f"/api/v1/proposals/{proposal.pk}/confirm/", {}, format="json")
    assert response.status_code == 200, response.data

    assert wait_for(lambda: len(_scores(question)) == 3, timeout=60), "the worker wrote no scores"
    assert wait_for(lambda: LeaderboardEntry.objects.filter(scope_kind="global").count() == 3, timeout=30)
    yes = _scores(question)
    assert yes[users[2].pk] < yes[users[0].pk]
    assert LeaderboardEntry.objects.get(scope_kind="global", user=users[2]).rank == 1

    # unresolve + re-resolve to the other outcome: every score and leaderboard row is replaced, none duplicated
    assert client.post(f"/api/v1/questions/{question.pk}/unresolve/", {}, format="json").status_code == 200
    assert wait_for(lambda: not Score.objects.filter(question=question).exists(), timeout=60)
    response = client.post(f"/api/v1/questions/{question.pk}/resolve/",
                           {"outcome": "no", "known_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat()},
                           format="json")
    assert response.status_code == 200, response.data
    assert wait_for(lambda: len(_scores(question)) == 3 and _scores(question) != yes, timeout=60)
    assert wait_for(
        lambda: LeaderboardEntry.objects.filter(scope_kind="global", user=users[0], rank=1).exists(), timeout=30
    )
    assert LeaderboardEntry.objects.filter(scope_kind="global").count() == 3
    assert Question.objects.get(pk=question.pk).outcome == 0.0


def test_a_forecast_racing_a_resolution_waits_for_it_and_is_refused(require_services, transactional_db, monkeypatch):
    """The resolution holds the question's community-state lock, the lock every forecast takes first: a forecast
    arriving mid-resolution blocks, then sees the resolved question and is refused (409), never slipping in."""
    import threading

    from django.db import connection, transaction

    from assets.errors import StateError
    from forecasting.resolution.services import resolution as services

    monkeypatch.setattr(services, "_enqueue", lambda question_id: None)  # no worker in this test
    question = factories.QuestionFactory()
    staff, forecaster = factories.StaffFactory(), factories.UserFactory()
    inside, release, outcome = threading.Event(), threading.Event(), {}

    def resolve():
        try:
            with transaction.atomic():
                services.question_resolve_manual(question=question, outcome="yes", known_at=timezone.now(), actor=staff)
                inside.set()
                release.wait(20)
        finally:
            connection.close()

    def forecast():
        try:
            forecast_create(question=question, user=forecaster, probability=0.5)
            outcome["result"] = "stored"
        except StateError as exc:
            outcome["result"] = exc
        finally:
            connection.close()

    resolver = threading.Thread(target=resolve)
    resolver.start()
    assert inside.wait(20)
    racer = threading.Thread(target=forecast)
    racer.start()
    racer.join(1.5)
    assert racer.is_alive(), "the forecast did not wait for the resolution's lock"
    release.set()
    resolver.join(20)
    racer.join(20)
    assert isinstance(outcome["result"], StateError) and "resolved" in outcome["result"].message
    assert Question.objects.get(pk=question.pk).status == Question.Status.RESOLVED
    assert not question.forecasts.exists()
