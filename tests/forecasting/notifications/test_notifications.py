"""question_notify_resolution: one e-mail per forecaster with the outcome and their score, never twice."""
import datetime as dt

import pytest
from django.core import mail

from forecasting.models import ForecasterQuestion, Notification
from forecasting.notifications.services.resolution import question_notify_resolution
from forecasting.scoring.services.scoring import question_score
from tests import factories
from tests.forecasting.scoring.scoring_helpers import at, community, forecast, resolved_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved_with_forecasters(db):
    q = resolved_question(outcome=1.0, title="Will SUCCESSOR-2 report a PFS HR below 0.7?")
    ann = factories.UserFactory(username="ann")
    late = factories.UserFactory(username="late")
    silent = factories.UserFactory(username="silent", email="")
    for user, t, p in ((ann, 0, .8), (late, 150, .5), (silent, 0, .5)):
        f = forecast(q, user, t, p)
        ForecasterQuestion.objects.create(question=q, user=user, current=f, first_forecast_at=at(t), updated_at=at(t))
    community(q, 0, .65, .7, count=2)
    question_score(question_id=q.pk)
    return q


def test_each_forecaster_gets_one_email_with_outcome_and_score(resolved_with_forecasters):
    assert question_notify_resolution(question_id=resolved_with_forecasters.pk) == 2  # no address: skipped
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"ann@example.com", "late@example.com"}
    ann = by_recipient["ann@example.com"]
    assert ann.subject == "Resolved: Will SUCCESSOR-2 report a PFS HR below 0.7?"
    assert "has resolved: Yes" in ann.body
    assert "Brier score: 0.040" in ann.body  # (.8 - 1)^2 throughout
    assert "crowd's Brier score: 0.122" in ann.body  # (.65 - 1)^2 = .1225
    assert "better than the crowd" in ann.body
    assert "twice ours" in ann.body
    assert "did not score you" in by_recipient["late@example.com"].body


def test_a_retried_task_sends_nothing_twice(resolved_with_forecasters):
    question_notify_resolution(question_id=resolved_with_forecasters.pk)
    assert question_notify_resolution(question_id=resolved_with_forecasters.pk) == 0
    assert len(mail.outbox) == 2
    assert Notification.objects.count() == 3  # one each, in the app; silent has no address to e-mail
    assert Notification.objects.filter(email_state=Notification.EmailState.SENT).count() == 2


def test_a_failed_send_is_not_recorded_so_the_retry_sends_it(resolved_with_forecasters, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    from forecasting.notifications.services.delivery import EmailDeliveryError

    original = EmailBackend.send_messages

    def flaky(self, messages):
        if messages[0].to == ["late@example.com"]:
            raise ConnectionError("SMTP down")
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with pytest.raises(EmailDeliveryError):  # the others went out; the job fails so that its retry sends the rest
        question_notify_resolution(question_id=resolved_with_forecasters.pk)
    assert [m.to[0] for m in mail.outbox] == ["ann@example.com"]
    monkeypatch.setattr(EmailBackend, "send_messages", original)
    question_notify_resolution(question_id=resolved_with_forecasters.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "late@example.com"]


def test_a_corrected_resolution_is_announced_again(resolved_with_forecasters):
    q = resolved_with_forecasters
    question_notify_resolution(question_id=q.pk)
    q.outcome, q.resolved_at = 0.0, q.resolved_at + dt.timedelta(days=1)
    q.save()
    assert question_notify_resolution(question_id=q.pk) == 2
    assert "has resolved: No" in mail.outbox[-1].body


def test_unresolved_question_sends_nothing(open_question):
    assert question_notify_resolution(question_id=open_question.pk) == 0
    assert mail.outbox == []
