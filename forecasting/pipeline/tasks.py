"""Celery tasks of the forecasting app, registered as ``forecasting.tasks.*``. Thin: take ids, call one service, own
the retries.

Every task here can run twice with the same result (the services recompute and replace, and ledger rows have unique
keys), so ``acks_late`` is safe: a worker that dies mid-task leaves the message to be redelivered.
"""
import importlib
import logging
import os

from celery import shared_task

from forecasting.common.enqueue import (
    NOTIFY_RESOLUTIONS,
    PROCESS_RESOLUTION,
    REGISTRY_DEADLINES,
    SWEEP_UNSCORED_RESOLUTIONS,
    enqueue,
)

# Task names and this logger keep the old module's dotted path (forecasting/tasks.py): beat schedules, queued
# messages and log searches refer to them.
logger = logging.getLogger("forecasting.tasks")


def _run_test_hook() -> None:
    """TEST-ONLY: READOUT_TEST_WORKER_HOOK names a module to import once inside the worker (the failure tests use
    tests/services/worker_hooks.py to pause mid-scoring so they can SIGKILL the worker). Never set in production."""
    module = os.environ.get("READOUT_TEST_WORKER_HOOK")
    if module:
        importlib.import_module(module)


@shared_task(
    name=PROCESS_RESOLUTION,
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def process_resolution(self, question_id: int, notify: bool = True) -> dict:
    """After a question is resolved, annulled or unresolved: settle/refund/unsettle its market, score it or clear its
    scores, rebuild the leaderboards and notify (forecasting.pipeline.services.resolution_process).

    Retried with exponential backoff (about 1 s, 2 s, 4 s, ... up to 10 minutes, 5 times) on any error, e.g. a
    deadlock or a lost database connection. A question that no longer exists is logged and dropped.
    """
    from forecasting.pipeline.services import resolution_process
    from markets.models import Question

    _run_test_hook()
    try:
        result = resolution_process(question_id=question_id, notify=notify)
    except Question.DoesNotExist:
        logger.warning("process_resolution: question %s no longer exists", question_id)
        return {"question_id": question_id, "status": "missing", "steps": []}
    return {"question_id": result.question_id, "status": result.status, "steps": result.steps}


@shared_task(name=SWEEP_UNSCORED_RESOLUTIONS, acks_late=True)
def sweep_unscored_resolutions() -> int:
    """Periodic (celery-beat): enqueue ``process_resolution`` for resolved questions that have no scores, e.g.
    because the task was lost with a broker outage or its enqueueing failed. Returns how many were enqueued."""
    from forecasting.pipeline.services import questions_needing_processing

    ids = questions_needing_processing()
    return sum(enqueue(process_resolution, question_id) is not None for question_id in ids)


@shared_task(name=REGISTRY_DEADLINES, acks_late=True)
def registry_deadlines_check() -> int:
    """Periodic (celery-beat, hourly): propose No for questions bound to a registry predicate "X by D" whose date D
    passed without the change (forecasting.resolution.services.registry.registry_deadlines_propose). Idempotent.
    Returns how many were proposed."""
    from forecasting.resolution.services.registry import registry_deadlines_propose

    return len(registry_deadlines_propose())


NOTIFY_RESOLUTIONS_WAIT = 10  # seconds between looks for the pipeline to finish the batch's questions
NOTIFY_RESOLUTIONS_TRIES = 30


@shared_task(name=NOTIFY_RESOLUTIONS, bind=True, acks_late=True, max_retries=NOTIFY_RESOLUTIONS_TRIES)
def notify_resolutions(self, question_ids: list[int]) -> int:
    """One job for a batch of questions resolved together (a readout's "confirm all"): every forecaster and follower
    gets one notification per question and one e-mail for the batch. Waits (retrying every 10 s, about 5 minutes)
    until ``process_resolution`` has scored them; on the last try it processes the stragglers itself. Idempotent."""
    from forecasting.pipeline.services import questions_notify_after_processing

    final = self.request.retries >= NOTIFY_RESOLUTIONS_TRIES or self.app.conf.task_always_eager
    waiting = questions_notify_after_processing(question_ids=list(question_ids), final=final)
    if waiting:
        raise self.retry(countdown=NOTIFY_RESOLUTIONS_WAIT)
    return len(question_ids)
