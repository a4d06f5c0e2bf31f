"""Every kind of notification, by hand: who is told, who is not (the actor, people who left), what it says."""
import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from assets.models import PublicMoment
from assets.services import news_item_upsert
from forecasting.accounts.follows import follow_set
from forecasting.forecasts.models import CommunityForecastPoint
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.notifications.models import CommunityMoveMark, Kind, Notification, NotificationSettings
from forecasting.notifications.services.community import community_move_notify
from forecasting.notifications.services.schedule import closing_soon_notify, digest_send, public_moments_notify
from forecasting.resolution.services import readouts as readout_services
from forecasting.resolution.services import resolution as resolution_services
from tests import factories
from tests.forecasting.notifications.conftest import followers, hours, post_comment, question, trial  # noqa: F401
from tests.forecasting.resolution.test_resolution_services import bound_question

pytestmark = pytest.mark.django_db


def titles(user):
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("title", flat=True))


# --- comments ---------------------------------------------------------------------------------------------------
def test_comment_reaches_followers_of_question_trial_and_author_but_not_its_author(
        question, trial, django_capture_on_commit_callbacks):  # noqa: F811
    q_fan, t_fan, stranger = (factories.UserFactory(username=n) for n in ("qfan", "tfan", "stranger"))
    author = factories.UserFactory(username="bea")
    fan_of_bea = factories.UserFactory(username="beafan")
    follow_set(user=q_fan, target=question)
    follow_set(user=t_fan, target=trial)
    follow_set(user=fan_of_bea, target=author)
    follow_set(user=author, target=question)
    with django_capture_on_commit_callbacks(execute=True):
        comment = post_comment(author=author, question=question, body="I expect **HR 0.64**.")
    for user in (q_fan, t_fan, fan_of_bea):
        n = Notification.objects.get(user=user)
        assert n.title == f"Bea commented on {question.title}"
        assert n.text == "I expect **HR 0.64**."
        assert n.link == f"{question.get_absolute_url()}#comment-{comment.pk}"
        assert (n.kind, n.actor_id, n.email_state) == (Kind.COMMENT, author.pk, "none")  # default: in-app only
    assert not Notification.objects.filter(user__in=[author, stranger]).exists()
    assert mail.outbox == []


def test_a_reply_always_reaches_the_parent_author(question, django_capture_on_commit_callbacks):  # noqa: F811
    ann, bea = factories.UserFactory(username="ann"), factories.UserFactory(username="bea")
    with django_capture_on_commit_callbacks(execute=True):
        top = post_comment(author=ann, question=question)
    follow_set(user=ann, target=question, active=False)  # she left the question; her own thread still counts
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(author=bea, question=question, parent=top, body="Why?")
    assert titles(ann) == [f"Bea replied to your comment on {question.title}"]


def test_a_comment_hidden_before_the_job_notifies_nobody(question):  # noqa: F811
    from forecasting.notifications.services.events import comment_notify

    fan = followers(1, question)[0]
    comment = post_comment(author=factories.UserFactory(), question=question)  # on_commit never runs here
    comment.hidden_at = timezone.now()
    comment.save()
    assert comment_notify(comment_id=comment.pk) == 0
    assert not Notification.objects.filter(user=fan).exists()


def test_comment_on_a_trial_reaches_trial_and_asset_followers(trial, django_capture_on_commit_callbacks):  # noqa: F811
    asset = factories.AssetFactory(name="Mezigdomide")
    trial.assets.add(asset)
    t_fan, a_fan = followers(1, trial, prefix="t")[0], followers(1, asset, prefix="a")[0]
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(author=factories.UserFactory(username="cy"), trial=trial)
    assert titles(t_fan) == titles(a_fan) == ["Cy commented on SUCCESSOR-2"]


# --- news -------------------------------------------------------------------------------------------------------
def test_published_news_reaches_followers_of_its_trial_and_asset(trial, django_capture_on_commit_callbacks):  # noqa: F811
    asset = factories.AssetFactory(name="Mezigdomide")
    t_fan, a_fan = followers(1, trial, prefix="t")[0], followers(1, asset, prefix="a")[0]
    other = factories.UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        item, created, _ = news_item_upsert(date=dt.date(2026, 3, 1), title="SUCCESSOR-2 met its primary endpoint",
                                            body="BMS said SUCCESSOR-2 met PFS.", trials=[trial], assets=[asset])
    assert created
    for fan in (t_fan, a_fan):
        n = Notification.objects.get(user=fan)
        assert n.kind == Kind.NEWS and "SUCCESSOR-2 met its primary endpoint" in n.title
        assert n.email_state == "digest"  # news defaults to the daily digest
    assert not Notification.objects.filter(user=other).exists()
    with django_capture_on_commit_callbacks(execute=True):  # re-importing the same item is not news
        news_item_upsert(date=dt.date(2026, 3, 1), body="BMS said SUCCESSOR-2 met PFS.", trials=[trial])
    assert Notification.objects.count() == 2


# --- readouts ---------------------------------------------------------------------------------------------------
def test_readout_reaches_followers_of_the_questions_it_answers(trial, django_capture_on_commit_callbacks):  # noqa: F811
    pfs = factories.EndpointFactory(code="PFS")
    q1, q2 = bound_question(trial, pfs, threshold=0.7), bound_question(trial, pfs, threshold=0.8)
    both = factories.UserFactory(username="both")
    follow_set(user=both, target=q1)
    follow_set(user=both, target=q2)
    staff = factories.StaffFactory()
    follow_set(user=staff, target=q1)
    with django_capture_on_commit_callbacks(execute=True):
        readout_services.readout_create(trial=trial, endpoint=pfs, metric="hazard_ratio", value=0.64,
                                        ci_lower=0.52, ci_upper=0.79, source="ASCO 2026, LBA 3",
                                        known_at=timezone.now() - hours(1), created_by=staff)
    n = Notification.objects.get(user=both)
    assert n.title == "Readout: SUCCESSOR-2 PFS, Hazard ratio 0.64 (95% CI 0.52 to 0.79)"
    assert q1.title in n.text and q2.title in n.text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [both.email]  # readouts e-mail by default
    assert not Notification.objects.filter(user=staff).exists()  # the actor


# --- resolution -------------------------------------------------------------------------------------------------
def test_confirm_all_sends_each_follower_one_email_for_the_batch(trial, django_capture_on_commit_callbacks):  # noqa: F811
    pfs = factories.EndpointFactory(code="PFS")
    questions = [bound_question(trial, pfs, threshold=t) for t in (0.6, 0.7, 0.8)]
    fans = followers(3, trial)
    forecaster = factories.UserFactory(username="fc")
    forecast_create(question=questions[0], user=forecaster, probability=0.8)
    staff = factories.StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        readout = readout_services.readout_create(trial=trial, endpoint=pfs, metric="hazard_ratio", value=0.64,
                                                  source="ASCO", known_at=timezone.now() - hours(1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = resolution_services.proposals_confirm_all(actor=staff, readout=readout)
    assert len(result.confirmed) == 3
    by_user = {}
    for message in mail.outbox:
        by_user.setdefault(message.to[0], []).append(message)
    assert set(by_user) == {u.email for u in fans} | {forecaster.email}
    assert all(len(m) == 1 for m in by_user.values())
    body = by_user[fans[0].email][0].body
    assert body.count("has resolved:") == 3 and "3 updates: Resolved:" in by_user[fans[0].email][0].subject
    assert "has resolved: Yes" in body and "has resolved: No" in body
    assert Notification.objects.filter(kind=Kind.RESOLUTION).count() == 3 * 4 - 2  # fc follows only questions[0]


def test_annulment_is_announced(question, django_capture_on_commit_callbacks):  # noqa: F811
    fan = followers(1, question)[0]
    with django_capture_on_commit_callbacks(execute=True):
        resolution_services.question_resolve_manual(question=question, outcome="annulled", known_at=None,
                                                    actor=factories.StaffFactory())
    assert titles(fan) == [f"Annulled: {question.title}"]
    assert "annulled" in mail.outbox[0].body


# --- community moves --------------------------------------------------------------------------------------------
def point(q, median, *, ago):
    return CommunityForecastPoint.objects.create(question=q, created_at=timezone.now() - ago,
                                                 forecaster_count=3, median=median)


def test_move_beyond_the_threshold_against_the_24h_baseline(question):  # noqa: F811
    small, big = factories.UserFactory(username="small"), factories.UserFactory(username="big")
    for user in (small, big):
        follow_set(user=user, target=question)
    NotificationSettings.objects.create(user=small, move_binary_pp=5)
    NotificationSettings.objects.create(user=big, move_binary_pp=20)
    point(question, 0.40, ago=hours(30))  # the 24 h baseline: the last point at or before 24 h ago
    point(question, 0.90, ago=hours(10))  # in between: ignored
    point(question, 0.48, ago=hours(0))
    community_move_notify(question_id=question.pk)
    assert titles(small) == [f"Community forecast moved: {question.title}"]
    assert Notification.objects.get(user=small).text == \
        "The community forecast moved from 40% to 48% (your threshold: 5 points)."
    assert titles(big) == []
    assert CommunityMoveMark.objects.get(user=small).value == pytest.approx(48.0)


def test_the_next_move_is_measured_from_what_the_user_was_told(question):  # noqa: F811
    fan = followers(1, question)[0]  # default threshold: 10 points
    point(question, 0.40, ago=hours(30))
    point(question, 0.55, ago=hours(1))
    community_move_notify(question_id=question.pk)
    point(question, 0.60, ago=hours(0))  # 5 points since she was told (20 since the baseline): nothing
    community_move_notify(question_id=question.pk)
    point(question, 0.66, ago=dt.timedelta(0))
    community_move_notify(question_id=question.pk)
    assert len(titles(fan)) == 2
    assert Notification.objects.filter(user=fan).first().text.startswith(
        "The community forecast moved from 55% to 66%")


def test_no_move_is_reported_while_the_community_is_hidden(hidden_question):
    fan = followers(1, hidden_question)[0]
    point(hidden_question, 0.10, ago=hours(30))
    point(hidden_question, 0.90, ago=hours(0))
    assert community_move_notify(question_id=hidden_question.pk) == 0
    assert not Notification.objects.filter(user=fan).exists()


def test_the_forecaster_who_moved_it_is_not_told(question):  # noqa: F811
    mover = followers(1, question)[0]
    point(question, 0.20, ago=hours(30))
    point(question, 0.80, ago=hours(0))
    community_move_notify(question_id=question.pk, actor_id=mover.pk)
    assert titles(mover) == []


def test_numeric_moves_are_a_fraction_of_the_range(db):
    q = factories.NumericQuestionFactory(range_min=0, range_max=40)
    fan = followers(1, q)[0]  # default 0.10 of the range = 4 months
    CommunityForecastPoint.objects.create(question=q, created_at=timezone.now() - hours(30), forecaster_count=2,
                                          q50=10.0)
    CommunityForecastPoint.objects.create(question=q, created_at=timezone.now(), forecaster_count=2, q50=13.9)
    community_move_notify(question_id=q.pk)
    assert titles(fan) == []
    CommunityForecastPoint.objects.create(question=q, created_at=timezone.now(), forecaster_count=2, q50=14.5)
    community_move_notify(question_id=q.pk)
    assert Notification.objects.get(user=fan).text == \
        "The community median moved from 10 months to 14.5 months (your threshold: 10% of the range)."


def test_a_live_forecast_enqueues_the_move_job(question, django_capture_on_commit_callbacks, settings):  # noqa: F811
    settings.READOUT_NOTIFY_MOVE_DEBOUNCE = 0
    fan = followers(1, question)[0]
    forecaster = factories.UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        forecast_create(question=question, user=forecaster, probability=0.3)
    point(question, 0.9, ago=dt.timedelta(0))  # baseline is the first point (no point 24 h old)
    with django_capture_on_commit_callbacks(execute=True):
        forecast_create(question=question, user=factories.UserFactory(), probability=0.95)
    assert Kind.COMMUNITY_MOVE in set(Notification.objects.filter(user=fan).values_list("kind", flat=True))


def test_a_burst_of_forecasts_makes_one_delayed_check(question, django_capture_on_commit_callbacks, settings,  # noqa: F811
                                                     monkeypatch):
    from django.core.cache import cache

    from forecasting.celery import app

    settings.READOUT_NOTIFY_MOVE_DEBOUNCE = 60
    cache.clear()
    calls = []
    monkeypatch.setattr(app.tasks["forecasting.tasks.notify_community_move"], "apply_async",
                        lambda args, countdown: calls.append((args, countdown)))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            forecast_create(question=question, user=factories.UserFactory(), probability=0.3)
    assert len(calls) == 1 and calls[0][0][0] == question.pk and calls[0][1] == 60


# --- scheduled --------------------------------------------------------------------------------------------------
def test_closing_soon_once_per_close_time(trial):  # noqa: F811
    soon = factories.QuestionFactory(trial=trial, scheduled_close_time=timezone.now() + hours(5))
    later = factories.QuestionFactory(trial=trial, scheduled_close_time=timezone.now() + hours(48))
    fan = followers(1, trial)[0]
    closing_soon_notify()
    closing_soon_notify()  # the next hourly run
    assert titles(fan) == [f"Closing soon: {soon.title}"]
    soon.scheduled_close_time = timezone.now() + hours(20)  # moved: a new close time is announced again
    soon.save()
    closing_soon_notify()
    assert len(titles(fan)) == 2 and later.title not in " ".join(titles(fan))


def test_public_moment_within_24h_reaches_trial_and_question_followers(trial, question):  # noqa: F811
    t_fan, q_fan = followers(1, trial, prefix="t")[0], followers(1, question, prefix="q")[0]
    PublicMoment.objects.create(trial=trial, kind=PublicMoment.Kind.PRESENTATION, at=timezone.now() + hours(20),
                                timezone="America/Chicago", note="Late-breaking abstract LBA-3")
    PublicMoment.objects.create(trial=trial, kind=PublicMoment.Kind.PUBLICATION, at=timezone.now() + hours(60))
    public_moments_notify()
    public_moments_notify()
    assert titles(t_fan) == titles(q_fan) == ["SUCCESSOR-2: presentation within 24 hours"]
    assert "America/Chicago" in Notification.objects.get(user=t_fan).text
    assert len(mail.outbox) == 2  # e-mailed by default, once


def test_digest_sends_one_email_per_user_once_a_day(trial):  # noqa: F811
    from forecasting.notifications.services.delivery import Item, notifications_deliver

    fans = followers(2, trial)
    items = [Item(user_id=u.pk, kind=Kind.NEWS, dedupe_key=f"news:{i}", title=f"News {i}", text="t",
                  link="/trials/successor-2/") for u in fans for i in range(3)]
    notifications_deliver(items)
    assert mail.outbox == []
    Notification.objects.update(created_at=timezone.now() - hours(30))
    assert digest_send() == 2
    assert digest_send() == 0  # the same day again: nothing
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.subject == "Your Readout digest: 3 updates"
    assert message.body.count("News ") == 3 and "http://" in message.body


def test_date_moves_are_told_in_days(db):
    from markets import date_axis

    start, end = date_axis.parse_date("2027-01-01"), date_axis.parse_date("2027-12-31")
    q = factories.NumericQuestionFactory(type="date", range_min=start, range_max=end, unit="")
    fan = followers(1, q)[0]  # default 0.10 of the range, about 36 days
    CommunityForecastPoint.objects.create(question=q, created_at=timezone.now() - hours(30), forecaster_count=2,
                                          q50=date_axis.parse_date("2027-03-01"))
    CommunityForecastPoint.objects.create(question=q, created_at=timezone.now(), forecaster_count=2,
                                          q50=date_axis.parse_date("2027-06-01"))
    community_move_notify(question_id=q.pk)
    assert Notification.objects.get(user=fan).text == \
        "The community median moved from 1 Mar 2027 to 1 Jun 2027 (your threshold: 10% of the range)."
