"""Periodic notifications (celery-beat, hourly): questions closing within 24 hours, public moments (embargo lift,
presentation) within 24 hours; and the daily digest. Each is idempotent: the dedupe key names the question's close
time or the moment's time, so the hourly runs inside the 24-hour window notify once (and once more if the time
moves)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Q
from django.utils import timezone

from assets.models import PublicMoment
from forecasting.accounts.models import Follow
from forecasting.forecasts.models import ForecasterQuestion
from forecasting.notifications.models import Kind, Notification
from forecasting.notifications.services.audience import question_audiences
from forecasting.notifications.services.delivery import Item, emails_send, notifications_deliver
from markets.models import Question

WINDOW = dt.timedelta(hours=24)
WHEN = "%a %d %b %Y, %H:%M UTC"


def closing_soon_notify(*, now: dt.datetime | None = None) -> int:
    """Forecasters and followers of open questions whose forecasting ends within 24 hours. Returns e-mails sent."""
    now = now or timezone.now()
    end = now + WINDOW
    questions = list(Question.objects.filter(status=Question.Status.OPEN, open_time__lte=now, pending_since=None).filter(
        Q(scheduled_close_time__gt=now, scheduled_close_time__lte=end)
        & (Q(public_at__isnull=True) | Q(public_at__gte=F("scheduled_close_time")))
        | Q(public_at__gt=now, public_at__lte=end, public_at__lt=F("scheduled_close_time"))
    ))
    if not questions:
        return 0
    audiences = question_audiences(questions)
    for user_id, question_id in ForecasterQuestion.objects.filter(
        question_id__in=[q.pk for q in questions]
    ).values_list("user_id", "question_id"):
        audiences[question_id].add(user_id)
    items = []
    for q in questions:
        ends = q.forecasting_ends_at
        for user_id in sorted(audiences[q.pk]):
            items.append(Item(
                user_id=user_id, kind=Kind.CLOSING_SOON, dedupe_key=f"closing:{q.pk}:{ends.isoformat()}",
                title=f"Closing soon: {q.title}",
                text=f"Forecasting closes {ends.strftime(WHEN)}. Update your forecast before then.",
                link=q.get_absolute_url(), question_id=q.pk, trial_id=q.trial_id, asset_id=q.asset_id,
            ))
    return notifications_deliver(items)


def public_moments_notify(*, now: dt.datetime | None = None) -> int:
    """Followers of a trial (and of its questions) whose public moment is within 24 hours. Returns e-mails sent."""
    now = now or timezone.now()
    moments = list(PublicMoment.objects.filter(at__gt=now, at__lte=now + WINDOW).select_related("trial", "meeting"))
    if not moments:
        return 0
    trial_ids = {m.trial_id for m in moments}
    questions = list(Question.objects.filter(trial_id__in=trial_ids).exclude(
        status__in=[Question.Status.DRAFT, Question.Status.RESOLVED, Question.Status.ANNULLED]))
    by_trial = defaultdict(set)
    for user_id, trial_id in Follow.objects.filter(trial_id__in=trial_ids, active=True).values_list(
        "user_id", "trial_id"
    ):
        by_trial[trial_id].add(user_id)
    for q, users in zip(questions, question_audiences(questions).values()):
        by_trial[q.trial_id] |= users
    items = []
    for m in moments:
        where = f" at {m.meeting}" if m.meeting_id else ""
        local = m.local_at.strftime("%a %d %b %Y, %H:%M") + f" {m.timezone}"
        for user_id in sorted(by_trial[m.trial_id]):
            items.append(Item(
                user_id=user_id, kind=Kind.PUBLIC_MOMENT, dedupe_key=f"moment:{m.pk}:{m.at.isoformat()}",
                title=f"{m.trial.name}: {m.get_kind_display().lower()}{where} within 24 hours",
                text=f"{m.get_kind_display()}{where}: {local} ({m.at.strftime(WHEN)}). {m.note}".strip(),
                link=m.trial.get_absolute_url(), trial_id=m.trial_id,
            ))
    return notifications_deliver(items)


def digest_send(*, now: dt.datetime | None = None) -> int:
    """The daily digest: one e-mail per user with their digest notifications created before today (UTC) began.
    Idempotent per user per day: a second run the same day finds nothing older than today left to send."""
    now = now or timezone.now()
    day_start = now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    due = Notification.objects.filter(email_state=Notification.EmailState.DIGEST, created_at__lt=day_start)
    return emails_send(due, digest=True)
