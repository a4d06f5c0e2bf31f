"""Celery tasks of the forecasting app. Thin: take ids, call one service, own the retries.

Every task here can run twice with the same result (the services recompute and replace, and ledger rows have unique
keys), so ``acks_late`` is safe: a worker that dies mid-task leaves the message to be redelivered.
"""
import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def process_resolution(self, question_id: int) -> dict:
    """After a question is resolved, annulled or unresolved: settle/refund/unsettle its market, score it or clear its
    scores, rebuild the leaderboards and notify (forecasting.services.resolution.resolution_process).

    Retried with exponential backoff (about 1 s, 2 s, 4 s, ... up to 10 minutes, 5 times) on any error, e.g. a
    deadlock or a lost database connection. A question that no longer exists is logged and dropped.
    """
    from markets.models import Question
    from forecasting.services.resolution import resolution_process

    try:
        result = resolution_process(question_id=question_id)
    except Question.DoesNotExist:
        logger.warning("process_resolution: question %s no longer exists", question_id)
        return {"question_id": question_id, "status": "missing", "steps": []}
    return {"question_id": result.question_id, "status": result.status, "steps": result.steps}


@shared_task(acks_late=True)
def sweep_unscored_resolutions() -> int:
    """Periodic (celery-beat): enqueue ``process_resolution`` for resolved questions that have no scores, e.g.
    because the task was lost with a broker outage. Returns how many were enqueued."""
    from forecasting.services.resolution import questions_needing_processing

    ids = questions_needing_processing()
    for question_id in ids:
        process_resolution.delay(question_id)
    return len(ids)
