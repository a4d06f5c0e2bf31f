"""Delivery: preferences (off / in-app / e-mail / digest), idempotency, one e-mail per user per job, absolute links,
List-Unsubscribe headers, signed unsubscribe tokens, and queries that do not grow with the number of followers."""
import pytest
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasting.notifications.models import Delivery, Kind, Notification, NotificationPreference
from forecasting.notifications.services.delivery import Item, notifications_deliver
from forecasting.notifications.services.resolution import questions_notify_resolution
from forecasting.notifications.services.tokens import BadToken, unsubscribe_token, unsubscribe_token_read
from tests import factories
from tests.forecasting.notifications.conftest import followers, question, trial  # noqa: F401

pytestmark = pytest.mark.django_db


def item(user, *, kind=Kind.READOUT, key="readout:1", title="Readout: SUCCESSOR-2 PFS, HR 0.64", actor=None):
    return Item(user_id=user.pk, kind=kind, dedupe_key=key, title=title, text="Source: ASCO.",
                link="/questions/q-1/", actor_id=actor.pk if actor else None)


@pytest.mark.parametrize("delivery, stored, emailed", [
    (Delivery.OFF, False, False),
    (Delivery.APP, True, False),
    (Delivery.EMAIL, True, True),
    (Delivery.DIGEST, True, False),
])
def test_each_preference(user, delivery, stored, emailed):
    NotificationPreference.objects.create(user=user, kind=Kind.READOUT, delivery=delivery)
    notifications_deliver([item(user)])
    assert Notification.objects.filter(user=user).exists() is stored
    assert bool(mail.outbox) is emailed
    if delivery == Delivery.DIGEST:
        assert Notification.objects.get(user=user).email_state == "digest"


def test_running_a_job_twice_makes_one_notification_and_one_email(user):
    notifications_deliver([item(user)])
    notifications_deliver([item(user)])
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1


def test_the_actor_is_never_notified(user):
    assert notifications_deliver([item(user, actor=user)]) == 0
    assert not Notification.objects.exists()


def test_unsubscribed_from_all_keeps_in_app_only(user):
    from forecasting.notifications.models import NotificationSettings

    NotificationSettings.objects.create(user=user, email_off=True)
    notifications_deliver([item(user)])
    assert Notification.objects.get(user=user).email_state == "none" and mail.outbox == []


def test_one_email_per_user_for_all_items_of_a_job_with_absolute_links_and_unsubscribe_headers(user, settings):
    settings.READOUT_SITE_URL = "https://readout.example"
    notifications_deliver([item(user, key="readout:1", title="First"),
                           item(user, key="readout:2", title="Second")])
    [message] = mail.outbox
    assert message.subject == "2 updates: First"
    assert "https://readout.example/questions/q-1/" in message.body
    html = message.alternatives[0][0]
    assert 'href="https://readout.example/questions/q-1/"' in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://readout.example/notifications/unsubscribe/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert unsubscribe_token_read(token) == (user.pk, [Kind.READOUT])


def test_tampered_or_foreign_tokens_are_refused(user):
    token = unsubscribe_token(user_id=user.pk, kinds=[Kind.NEWS])
    for bad in (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], token[:10], "",
                signing.dumps({"u": user.pk, "k": ["news"]}, salt="another.salt"),
                signing.dumps({"u": user.pk, "k": ["planets"]}, salt="readout.notifications.unsubscribe")):
        with pytest.raises(BadToken):
            unsubscribe_token_read(bad)


def test_unsubscribe_page_get_confirms_post_applies(client, user):
    token = unsubscribe_token(user_id=user.pk, kinds=[Kind.READOUT])
    url = f"/notifications/unsubscribe/{token}/"
    response = client.get(url)
    assert response.status_code == 200 and b"Stop e-mail for readout entered?" in response.content
    assert not NotificationPreference.objects.exists()  # GET changes nothing (link scanners)
    response = client.post(url, {"List-Unsubscribe": "One-Click"})  # as a mail client does: no session, no CSRF
    assert response.status_code == 200 and b"no longer receive" in response.content
    assert NotificationPreference.objects.get(user=user, kind=Kind.READOUT).delivery == Delivery.APP
    notifications_deliver([item(user)])
    assert mail.outbox == [] and Notification.objects.filter(user=user).exists()


def test_unsubscribe_from_all(client, user):
    token = unsubscribe_token(user_id=user.pk, kinds=["all"])
    client.post(f"/notifications/unsubscribe/{token}/")
    notifications_deliver([item(user), item(user, kind=Kind.RESOLUTION, key="resolved:1")])
    assert mail.outbox == []


def test_a_tampered_unsubscribe_link_is_400_and_changes_nothing(client, user):
    token = unsubscribe_token(user_id=user.pk, kinds=["all"])
    response = client.post(f"/notifications/unsubscribe/{token}x/")
    assert response.status_code == 400 and b"not valid" in response.content
    notifications_deliver([item(user)])
    assert len(mail.outbox) == 1


def _resolved_batch(n_followers, n_questions=10, *, prefix):
    """A trial with n_questions resolved questions (half Yes, half No), n_followers following the trial and every
    follower forecasting the first question."""
    from django.utils import timezone

    from forecasting.forecasts.models import ForecasterQuestion

    batch_trial = factories.TrialFactory()
    now = timezone.now()
    questions = [factories.QuestionFactory(trial=batch_trial, status="resolved", outcome=float(i % 2), resolved_at=now,
                                           known_at=now) for i in range(n_questions)]
    users = followers(n_followers, batch_trial, prefix=prefix)
    ForecasterQuestion.objects.bulk_create([
        ForecasterQuestion(question=questions[0], user=u, first_forecast_at=now, updated_at=now) for u in users
    ])
    return [q.pk for q in questions], users


def test_queries_do_not_grow_with_followers(db):
    few_ids, few = _resolved_batch(5, prefix="few")
    many_ids, many = _resolved_batch(60, prefix="many")
    with CaptureQueriesContext(connection) as small:
        questions_notify_resolution(question_ids=few_ids)
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as large:
        assert questions_notify_resolution(question_ids=many_ids) == 60
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(mail.outbox) == 60  # one e-mail per user for the 10 questions
    assert all(m.body.count("has resolved:") == 10 for m in mail.outbox)
    assert Notification.objects.filter(user__in=many).count() == 600


def test_a_batch_respects_each_users_preference(db):
    """10 questions resolved together: e-mail users get one e-mail now, digest users one digest e-mail tomorrow with
    all 10, in-app users rows only, and users who turned resolutions off nothing."""
    import datetime as dt

    from django.utils import timezone

    from forecasting.notifications.services.schedule import digest_send

    ids, users = _resolved_batch(8, prefix="mix")
    email, digest, app, off = users[:2], users[2:4], users[4:6], users[6:]
    for group, delivery in ((digest, Delivery.DIGEST), (app, Delivery.APP), (off, Delivery.OFF)):
        NotificationPreference.objects.bulk_create([
            NotificationPreference(user=u, kind=Kind.RESOLUTION, delivery=delivery) for u in group])
    assert questions_notify_resolution(question_ids=ids) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in email)
    counts = {u.pk: Notification.objects.filter(user=u).count() for u in users}
    assert [counts[u.pk] for u in users] == [10] * 6 + [0] * 2
    mail.outbox.clear()
    assert digest_send(now=timezone.now() + dt.timedelta(days=1)) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in digest)
    assert all(m.body.count("has resolved:") == 10 for m in mail.outbox)
