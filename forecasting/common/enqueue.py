"""Enqueue Celery tasks without importing them, so services never import tasks.

Services name the task (``PROCESS_RESOLUTION``) and this module looks it up in the Celery app's registry when the
work is due. The task modules register themselves when Django starts (``ForecastingConfig.ready``), and they may
import any service; nothing here imports them back, so no service -> task -> service cycle can form.

Task names are the old dotted paths (``forecasting.tasks.*``): beat schedules in settings and in django-celery-beat's
tables, and messages already queued, refer to them.
"""
import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from forecasting.celery import app

# The name operators know from the logs and docs/deploy.md (the enqueueing used to live in forecasting/tasks.py).
logger = logging.getLogger("forecasting.tasks")

try:  # the Redis client is only installed where a Redis broker is used
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover
    RedisError = BrokerError

BROKER_ERRORS = (BrokerError, RedisError, ConnectionError, TimeoutError)

PROCESS_RESOLUTION = "forecasting.tasks.process_resolution"
SWEEP_UNSCORED_RESOLUTIONS = "forecasting.tasks.sweep_unscored_resolutions"
REGISTRY_DEADLINES = "forecasting.tasks.registry_deadlines_check"
SEND_VERIFICATION_EMAIL = "forecasting.tasks.send_verification_email"
# Notification jobs (forecasting/notifications/tasks.py, and notify_resolutions in forecasting/pipeline/tasks.py).
NOTIFY_COMMENT = "forecasting.tasks.notify_comment"
NOTIFY_NEWS = "forecasting.tasks.notify_news"
NOTIFY_READOUT = "forecasting.tasks.notify_readout"
NOTIFY_RESOLUTIONS = "forecasting.tasks.notify_resolutions"
NOTIFY_COMMUNITY_MOVE = "forecasting.tasks.notify_community_move"
NOTIFY_CLOSING_SOON = "forecasting.tasks.notify_closing_soon"
NOTIFY_PUBLIC_MOMENTS = "forecasting.tasks.notify_public_moments"
NOTIFY_DIGEST = "forecasting.tasks.notify_digest"


def enqueue(task, *args, **kwargs):
    """``task.delay(*args, **kwargs)`` that survives an unreachable broker: logs a warning and returns None instead
    of raising. ``task`` is a task or its registered name. Use it for work that a periodic sweep catches up on
    (``sweep_unscored_resolutions``), typically from ``transaction.on_commit``, where an exception would turn a
    committed resolution into a 500 for the user.

    Celery retries the publish briefly first (``CELERY_TASK_PUBLISH_RETRY_POLICY``), so a broker that is down costs
    the request about a second, not the connection timeout of every retry.
    """
    if isinstance(task, str):
        task = app.tasks[task]
    if task.app.conf.task_always_eager:
        return task.delay(*args, **kwargs)  # in-process: a failure is the task's own, never a broker's
    try:
        return task.delay(*args, **kwargs)
    except BROKER_ERRORS as exc:
        logger.warning("broker unreachable, %s%r not enqueued (the periodic sweep will catch up): %s",
                       task.name, args, exc)
        return None


def enqueue_on_commit(task_name: str, *args) -> None:
    """Enqueue ``task_name`` once the current transaction commits (never inside it: the worker must see the committed
    state, and rolled-back work must not be processed)."""
    transaction.on_commit(lambda: enqueue(task_name, *args))


def enqueue_debounced_on_commit(task_name: str, *args, key: str, seconds: float) -> None:
    """Once the transaction commits, enqueue ``task_name`` to run ``seconds`` from now, unless one with the same
    ``key`` was enqueued within the last ``seconds`` (it will see this change too, as it runs later). For work that
    only needs the latest state (the community-move check after a burst of forecasts). ``seconds`` 0 enqueues every
    time, at once. The window is kept in the default cache (per process without Redis)."""
    def run():
        if seconds <= 0:
            enqueue(task_name, *args)
            return
        from django.core.cache import cache

        if not cache.add(f"debounce:{key}", 1, timeout=seconds):
            return
        task = app.tasks[task_name]
        if task.app.conf.task_always_eager:
            task.apply_async(args, countdown=seconds)  # eager: runs now (countdown is ignored)
            return
        try:
            task.apply_async(args, countdown=seconds)
        except BROKER_ERRORS as exc:
            cache.delete(f"debounce:{key}")
            logger.warning("broker unreachable, %s%r not enqueued: %s", task_name, args, exc)

    transaction.on_commit(run)
