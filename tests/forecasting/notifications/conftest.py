"""Builders for the notification tests: followers, questions on a trial, comments sent through the signal."""
import datetime as dt

import pytest
from django.utils import timezone

from forecasting.accounts.follows import follow_set
from forecasting.discussion.models import Comment
from forecasting.discussion.signals import comment_posted
from tests import factories
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401


@pytest.fixture
def trial(db):
    return factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")


@pytest.fixture
def question(trial):
    return factories.QuestionFactory(trial=trial, title="Will SUCCESSOR-2 report a PFS HR below 0.7?")


def followers(n, target, *, prefix="f"):
    users = [factories.UserFactory(username=f"{prefix}{i}") for i in range(n)]
    for user in users:
        follow_set(user=user, target=target)
    return users


def post_comment(*, author, question=None, trial=None, parent=None, body="HR 0.64 looks likely to me."):
    """A comment created through the ORM and announced as the comments room does (comment_posted on commit)."""
    comment = Comment.objects.create(question=question, trial=trial, author=author, parent=parent, body=body,
                                     created_at=timezone.now())
    comment_posted.send(sender=Comment, comment_id=comment.pk)
    return comment


def hours(n):
    return dt.timedelta(hours=n)
