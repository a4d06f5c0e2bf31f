"""Against real PostgreSQL, Redis and a Celery worker process (run in CI)."""
import datetime as dt

import pytest
from django.utils import timezone

from markets.models import Question
from markets.tasks import close_due_questions
from tests import factories
from tests.services.conftest import wait_for

pytestmark = pytest.mark.services


def test_periodic_close_task_runs_on_a_real_worker(celery_worker_process):
    due = factories.QuestionFactory(
        open_time=timezone.now() - dt.timedelta(days=3), scheduled_close_time=timezone.now() - dt.timedelta(minutes=1)
    )
    not_due = factories.QuestionFactory()
    close_due_questions.delay()
    assert wait_for(lambda: Question.objects.get(pk=due.pk).status == Question.Status.CLOSED), "task did not run"
    assert Question.objects.get(pk=not_due.pk).status == Question.Status.OPEN
