"""Celery tasks of the assets app. Thin: take ids, call one service, own the retries."""
import logging

from celery import shared_task

from assets.services.imports import import_job_run
from assets.services.registry_sync import trial_registry_sync

logger = logging.getLogger(__name__)

# Below the broker's visibility timeout (1,800 s in production), so a delayed retry is never delivered twice.
RETRY_COUNTDOWN_SECONDS = 600


@shared_task(bind=True, acks_late=True, max_retries=3)
def sync_ctgov_trials(self, registry_ids: list[str] | None = None) -> dict:
    """Periodic (celery-beat, daily): refresh trials from ClinicalTrials.gov (``registry_ids``, default every trial
    with an NCT id) through :func:`assets.services.registry_sync.trial_registry_sync`.

    Idempotent: a second run with the same registry answers changes nothing, so ``acks_late`` redelivery is safe.
    Trials that failed because the API was unreachable, overloaded or rate-limiting are retried, alone, in 10 minutes
    (three times at most, when run by a worker); other failures (a record that cannot be read, an unknown NCT id)
    are logged and left for tomorrow's run. Returns how many trials were created, changed, unchanged and failed, and
    the failed ids.
    """
    counts = {"created": 0, "changed": 0, "unchanged": 0, "failed": 0}
    failed, transient = [], []
    for outcome in trial_registry_sync(registry_ids=registry_ids):
        counts[outcome.state] += 1
        if not outcome.ok:
            failed.append(outcome.registry_id)
            if outcome.transient:
                transient.append(outcome.registry_id)
            logger.warning("sync_ctgov_trials: %s", outcome.line())
    # Run in-process (eager, no broker) there is no later to retry at: the failures are reported instead.
    if transient and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(kwargs={"registry_ids": transient}, countdown=RETRY_COUNTDOWN_SECONDS)
    return {**counts, "failed_ids": failed}


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str:
    """Import the files of an admin upload (:func:`assets.services.imports.import_job_run`); returns the job's status.

    Enqueued on commit by the admin's Import page. Safe to deliver twice (``acks_late``): a finished job is left
    alone and a file whose result is recorded is not imported again."""
    return import_job_run(job_id=job_id).status
