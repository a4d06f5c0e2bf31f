"""Notification jobs, registered as ``forecasting.tasks.notify_*`` (enqueued by name on commit through
forecasting.common.enqueue; the periodic ones by celery-beat, settings.CELERY_BEAT_SCHEDULE). Thin: ids in, one
service call. Each can run twice with the same result (unique dedupe keys, e-mails claimed once), so ``acks_late``
and automatic retries are safe; a failed e-mail stays pending and the retry sends it.
``notify_resolutions`` lives in forecasting/pipeline/tasks.py: it waits for the resolution pipeline."""
from celery import shared_task

from forecasting.common.enqueue import (
    NOTIFY_CLOSING_SOON,
    NOTIFY_COMMENT,
    NOTIFY_COMMUNITY_MOVE,
    NOTIFY_DIGEST,
    NOTIFY_NEWS,
    NOTIFY_PUBLIC_MOMENTS,
    NOTIFY_READOUT,
)

RETRY = {"bind": False, "acks_late": True, "autoretry_for": (Exception,), "retry_backoff": True,
         "retry_backoff_max": 600, "retry_jitter": True, "max_retries": 5}


@shared_task(name=NOTIFY_COMMENT, **RETRY)
def notify_comment(comment_id: int) -> int:
    from forecasting.notifications.services.events import comment_notify

    return comment_notify(comment_id=comment_id)


@shared_task(name=NOTIFY_NEWS, **RETRY)
def notify_news(news_id: int) -> int:
    from forecasting.notifications.services.events import news_notify

    return news_notify(news_id=news_id)


@shared_task(name=NOTIFY_READOUT, **RETRY)
def notify_readout(readout_id: int) -> int:
    from forecasting.notifications.services.events import readout_notify

    return readout_notify(readout_id=readout_id)


@shared_task(name=NOTIFY_COMMUNITY_MOVE, **RETRY)
def notify_community_move(question_id: int, actor_id: int | None = None) -> int:
    from forecasting.notifications.services.community import community_move_notify

    return community_move_notify(question_id=question_id, actor_id=actor_id)


@shared_task(name=NOTIFY_CLOSING_SOON, **RETRY)
def notify_closing_soon() -> int:
    """Hourly: questions whose forecasting ends within 24 hours."""
    from forecasting.notifications.services.schedule import closing_soon_notify

    return closing_soon_notify()


@shared_task(name=NOTIFY_PUBLIC_MOMENTS, **RETRY)
def notify_public_moments() -> int:
    """Hourly: embargo lifts and presentations of followed trials within 24 hours."""
    from forecasting.notifications.services.schedule import public_moments_notify

    return public_moments_notify()


@shared_task(name=NOTIFY_DIGEST, **RETRY)
def notify_digest() -> int:
    """Daily: one digest e-mail per user with their digest notifications from before today."""
    from forecasting.notifications.services.schedule import digest_send

    return digest_send()
