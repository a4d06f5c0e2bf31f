"""Failure tests against real PostgreSQL, Redis and Celery worker processes (run in CI).

- A worker SIGKILLed in the middle of scoring: the task is redelivered to a new worker and the scores, the market
  settlement and the leaderboards come out exactly as computed in-process; nothing is lost or doubled.
- Redis down: forecasts, trades and resolutions keep working (enqueueing logs a warning instead of failing the
  request); once Redis is back the periodic sweep scores the resolved question that has no scores.

Both use a private redis-server on a spare port (tests.services.conftest.PrivateRedis), never the shared one.
"""
import datetime as dt
import logging
import re
import time
import uuid

import pytest
import redis
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import ForecastScore, LeaderboardEntry, QuestionScoring, Score
from forecasting.pipeline.tasks import sweep_unscored_resolutions
from forecasting.resolution.services.resolution import question_resolve_manual
from forecasting.scoring.services.leaderboards import leaderboards_rebuild
from forecasting.scoring.services.scoring import question_score
from markets.models import LedgerTransaction, Market
from markets.selectors import ledger_check
from markets.services import account_grant_starting_points, market_create, trade_buy_shares
from tests import factories
from tests.services.conftest import PrivateRedis, WorkerProcess, celery_app_using, wait_for

pytestmark = pytest.mark.services

SCORE_COLUMNS = ("subject", "user_id", "loss", "coverage", "relative", "baseline", "peer", "active_seconds",
                 "forecasts_count")
ENTRY_COLUMNS = ("scope_kind", "scope_key", "user_id", "rank", "sum_relative", "questions", "mean_loss",
                 "mean_coverage", "mean_baseline", "mean_peer", "qualifies_for_mean_ranking", "rank_by_mean")


def _snapshot(question) -> dict:
    """Everything scoring and settlement produce for the question, without ids and timestamps."""
    return {
        "scores": sorted(Score.objects.filter(question=question).values_list(*SCORE_COLUMNS), key=repr),
        "weights": sorted(
            ForecastScore.objects.filter(question=question)
            .values_list("subject", "forecast_id", "user_id", "probability", "active_fraction", "outcome"),
            key=repr,
        ),
        "scorings": QuestionScoring.objects.filter(question=question).count(),
        "leaderboards": sorted(LeaderboardEntry.objects.values_list(*ENTRY_COLUMNS), key=repr),
        "settlement": sorted(
            LedgerTransaction.objects.filter(market__question=question)
            .exclude(kind__in=[LedgerTransaction.Kind.TRADE, LedgerTransaction.Kind.RESERVE])
            .values_list("kind", "user_id", "entries__account_id", "entries__amount"),
            key=repr,
        ),
    }


def _question_with_forecasts_and_trades(n_forecasters: int = 40):
    """An open binary question with a market, n forecasters (several updates each) and a few trades."""
    staff = factories.StaffFactory()
    question = factories.QuestionFactory()
    market = market_create(question=question, b=100, created_by=staff)
    start = question.open_time + dt.timedelta(hours=1)
    users = [factories.UserFactory() for _ in range(n_forecasters)]
    for i, user in enumerate(users):
        for j in range(3):
            probability = round(0.05 + 0.9 * ((i * 7 + j * 13) % 100) / 100, 3)
            forecast_create(question=question, user=user, probability=probability,
                            at=start + dt.timedelta(minutes=10 * (3 * i + j)))
    for i, user in enumerate(users[:6]):
        account_grant_starting_points(user=user)
        trade_buy_shares(market=market, user=user, outcome=i % 2, shares=5 + i)
    return staff, question, market


def test_a_worker_killed_mid_scoring_is_replaced_and_the_scores_come_out_identical(
    private_redis, transactional_db, tmp_path, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff, question, market = _question_with_forecasts_and_trades()
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "paused"
    worker_env = {
        "READOUT_TEST_WORKER_HOOK": "tests.services.worker_hooks",
        "READOUT_TEST_PAUSE_MARKER": str(marker),
        # Redelivery of an unacknowledged message waits for the visibility timeout (30 min in production).
        "CELERY_VISIBILITY_TIMEOUT": "2",
        # Sweep for abandoned messages every second instead of every ~100 s, so the test does not wait on it.
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    first = WorkerProcess(broker_url=private_redis.url, queue=queue, extra_env=worker_env, name="first")
    second = None
    try:
        first.wait_ready()
        with celery_app_using(broker_url=private_redis.url, queue=queue):
            question_resolve_manual(question=question, outcome="yes", known_at=timezone.now() - dt.timedelta(minutes=1),
                                    actor=staff)
        assert wait_for(marker.exists, timeout=60), f"the worker never reached scoring:\n{first.log()[-3000:]}"
        # Paused after writing the Score rows, inside its open transaction: nothing is visible yet.
        assert not Score.objects.filter(question=question).exists()
        assert Market.objects.get(pk=market.pk).status != Market.Status.SETTLED

        first.kill()
        broker = redis.Redis.from_url(private_redis.url)
        assert broker.hlen("unacked") == 1, "acks_late: the killed worker's message must still be unacknowledged"
        assert not Score.objects.filter(question=question).exists(), "the killed transaction was not rolled back"

        killed_at = time.monotonic()
        second = WorkerProcess(broker_url=private_redis.url, queue=queue, extra_env=worker_env, name="second")
        second.wait_ready()
        assert wait_for(lambda: "succeeded" in second.log(), timeout=90), (
            f"the task was not redelivered:\n{second.log()[-3000:]}"
        )
        redelivery_seconds = time.monotonic() - killed_at
        received = set(re.findall(r"process_resolution\[([0-9a-f-]+)\] received", first.log()))
        assert len(received) == 1, first.log()[-3000:]
        assert re.search(rf"process_resolution\[{received.pop()}\] succeeded", second.log()), "not the same task"
        # acks_late: the ack follows the "succeeded" log line by a moment.
        assert wait_for(lambda: broker.hlen("unacked") == 0, timeout=15), "the redelivered message was never acked"
    finally:
        first.stop()
        if second is not None:
            second.stop()

    by_worker = _snapshot(question)
    assert Market.objects.get(pk=market.pk).status == Market.Status.SETTLED
    assert len([row for row in by_worker["scores"] if row[0] == "forecaster"]) == 40
    assert by_worker["scorings"] == 1
    assert by_worker["leaderboards"]
    assert ledger_check() == []

    # The reference: the same services run in this process over the committed state.
    question_score(question_id=question.pk)
    leaderboards_rebuild(question_id=question.pk)
    assert _snapshot(question) == by_worker
    assert redelivery_seconds < 60


def test_with_redis_down_forecasting_and_trading_work_and_the_sweep_scores_once_it_is_back(
    require_services, transactional_db, settings, caplog
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff, question, market = _question_with_forecasts_and_trades(n_forecasters=5)
    forecaster, trader = factories.UserFactory(), factories.UserFactory()
    account_grant_starting_points(user=trader)
    broker = PrivateRedis()  # not started: nothing listens on its port, so Redis is "down"
    queue = f"test-down-{uuid.uuid4().hex[:8]}"
    settings.REDIS_URL = broker.url  # what /healthz?deep=1 checks

    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    with celery_app_using(broker_url=broker.url, queue=queue), caplog.at_level(logging.WARNING, "forecasting.tasks"):
        started = time.monotonic()
        response = client_for(forecaster).post(f"/api/v1/questions/{question.pk}/forecasts/", {"probability": 0.8},
                                               format="json")
        assert response.status_code == 201, response.content
        response = client_for(trader).post(f"/api/v1/markets/{market.pk}/trades/", {"outcome": 1, "shares": 10},
                                           format="json")
        assert response.status_code == 201, response.content
        response = client_for(staff).post(f"/api/v1/questions/{question.pk}/resolve/", {
            "outcome": "yes", "known_at": (timezone.now() - dt.timedelta(minutes=1)).isoformat(),
        }, format="json")
        assert response.status_code == 200, response.content
        assert time.monotonic() - started < 10, "a down broker must not hang the requests"
        assert "broker unreachable" in caplog.text and "process_resolution" in caplog.text

        health = APIClient().get("/healthz?deep=1")
        assert health.status_code == 200
        assert health.json()["database"] == "ok" and health.json()["redis"].startswith("down")

    assert question.__class__.objects.get(pk=question.pk).status == "resolved"
    assert not Score.objects.filter(question=question).exists(), "nothing could have scored it"
    assert Market.objects.get(pk=market.pk).status != Market.Status.SETTLED

    broker.start()  # Redis is back (empty: the lost task is not there)
    worker = WorkerProcess(broker_url=broker.url, queue=queue, name="sweep")
    try:
        worker.wait_ready()
        assert APIClient().get("/healthz?deep=1").json()["redis"] == "ok"
        with celery_app_using(broker_url=broker.url, queue=queue):
            sweep_unscored_resolutions.delay()  # what celery beat sends every 10 minutes
        assert wait_for(lambda: QuestionScoring.objects.filter(question=question).exists(), timeout=60), (
            worker.log()[-3000:]
        )
        assert wait_for(lambda: "process_resolution" in worker.log() and worker.log().count("succeeded") >= 2,
                        timeout=60), worker.log()[-3000:]
    finally:
        worker.stop()
        broker.stop()

    by_sweep = _snapshot(question)
    assert len([row for row in by_sweep["scores"] if row[0] == "forecaster"]) == 6
    assert Market.objects.get(pk=market.pk).status == Market.Status.SETTLED
    assert ledger_check() == []
    question_score(question_id=question.pk)
    leaderboards_rebuild(question_id=question.pk)
    assert _snapshot(question) == by_sweep
