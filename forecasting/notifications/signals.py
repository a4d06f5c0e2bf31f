"""Receivers the notifications room connects (ForecastingConfig.ready): comments posted (discussion room) and news
published (assets). Both are sent once the writing transaction committed."""
from __future__ import annotations

import logging

from forecasting.common.enqueue import NOTIFY_COMMENT, NOTIFY_NEWS, enqueue_on_commit

logger = logging.getLogger(__name__)


def on_comment_posted(sender, *, comment_id: int, **kwargs) -> None:
    """Auto-follow the comment's question or trial for its author (if their auto-follow is on and they never left
    it), then enqueue the comment's notification job."""
    from forecasting.accounts.follows import follow_auto
    from forecasting.discussion.models import Comment

    comment = Comment.objects.select_related("author", "question", "trial").filter(pk=comment_id).first()
    if comment is None:
        return
    follow_auto(user=comment.author, target=comment.question or comment.trial)
    enqueue_on_commit(NOTIFY_COMMENT, comment_id)


def on_news_published(sender, *, news_id: int, **kwargs) -> None:
    enqueue_on_commit(NOTIFY_NEWS, news_id)


def connect() -> None:
    from assets.signals import news_published
    from forecasting.discussion.signals import comment_posted

    comment_posted.connect(on_comment_posted, dispatch_uid="forecasting.notifications.comment_posted")
    news_published.connect(on_news_published, dispatch_uid="forecasting.notifications.news_published")
