"""Community-forecast moves (docs/notifications.md, "Community moves").

A move is measured on one scale per question type:
- binary: the community median in percentage points (0 to 100);
- numeric: the community median's position in the question's range, 0 to 1 ((q50 - min) / (max - min), in log space
  on a log scale), so a threshold of 0.10 means "a tenth of the range".
Each user's baseline is the value they were last notified of on that question (CommunityMoveMark); without one, the
value 24 hours ago (the last point at or before then, and never from before the community was revealed; else the
first point). A user is told when |now - baseline| reaches their threshold (NotificationSettings), and their mark
moves to the value they were told. Nothing is computed while the community is hidden.
"""
from __future__ import annotations

import datetime as dt
import math

from django.db.models import Q
from django.utils import timezone

from forecasting.forecasts.models import CommunityForecastPoint
from forecasting.notifications.models import (
    DEFAULT_MOVE_BINARY_PP,
    DEFAULT_MOVE_NUMERIC_FRACTION,
    CommunityMoveMark,
    Kind,
    NotificationSettings,
)
from forecasting.notifications.services.audience import question_audiences
from forecasting.notifications.services.delivery import Item, notifications_deliver
from markets import date_axis
from markets.models import Question

BASELINE_AGE = dt.timedelta(hours=24)


def community_scale_value(question: Question, point: CommunityForecastPoint | None) -> float | None:
    """The point's community median on the move scale (percentage points, or the fraction of the range)."""
    if point is None:
        return None
    if question.is_binary:
        return None if point.median is None else 100.0 * point.median
    if point.q50 is None or question.range_min is None or question.range_max is None:
        return None
    lo, hi, x = question.range_min, question.range_max, point.q50
    if question.log_scale:
        lo, hi, x = math.log(lo), math.log(hi), math.log(max(x, question.range_min))
    return (x - lo) / (hi - lo)


def _display(question: Question, value: float) -> str:
    if question.is_binary:
        return f"{value:.0f}%"
    lo, hi = question.range_min, question.range_max
    if question.log_scale:
        x = math.exp(math.log(lo) + value * (math.log(hi) - math.log(lo)))
    else:
        x = lo + value * (hi - lo)
    if question.is_date:  # the axis is POSIX seconds: say the day
        return date_axis.format_day(x)
    return f"{x:.3g}{' ' + question.unit if question.unit else ''}"


def community_move_notify(*, question_id: int, actor_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Tell the question's followers whose threshold the community's move reached. Returns e-mails sent now."""
    now = now or timezone.now()
    question = Question.objects.filter(pk=question_id).first()
    if question is None or not question.is_revealed(at=now) or question.status != Question.Status.OPEN:
        return 0
    points = CommunityForecastPoint.objects.filter(question=question).defer("cdf")
    latest = points.order_by("-created_at", "-pk").first()
    current = community_scale_value(question, latest)
    if current is None:
        return 0
    since = now - BASELINE_AGE
    if question.reveal_time and question.reveal_time > since:
        since = question.reveal_time
    base_point = (points.filter(created_at__lte=since).order_by("-created_at", "-pk").first()
                  or points.filter(Q(created_at__gte=question.reveal_time) if question.reveal_time else Q())
                  .order_by("created_at", "pk").first())
    default_base = community_scale_value(question, base_point)
    audience = question_audiences([question])[question.pk] - {actor_id}
    if not audience:
        return 0
    marks = dict(CommunityMoveMark.objects.filter(question=question, user_id__in=list(audience))
                 .values_list("user_id", "value"))
    thresholds = {
        u: (b if question.is_binary else n) for u, b, n in NotificationSettings.objects.filter(
            user_id__in=list(audience)).values_list("user_id", "move_binary_pp", "move_numeric_fraction")
    }
    default = DEFAULT_MOVE_BINARY_PP if question.is_binary else DEFAULT_MOVE_NUMERIC_FRACTION
    items, notified = [], []
    for user_id in sorted(audience):
        base = marks.get(user_id, default_base)
        if base is None:
            continue
        threshold = thresholds.get(user_id, default)
        if abs(current - base) + 1e-9 < threshold:
            continue
        unit = "points" if question.is_binary else "of the range"
        scale = f"{threshold:g} {unit}" if question.is_binary else f"{threshold:.0%} {unit}"
        items.append(Item(
            user_id=user_id, kind=Kind.COMMUNITY_MOVE, dedupe_key=f"cmove:{question.pk}:{latest.pk}",
            title=f"Community forecast moved: {question.title}",
            text=(f"The community {'forecast' if question.is_binary else 'median'} moved from "
                  f"{_display(question, base)} to {_display(question, current)} (your threshold: {scale})."),
            link=question.get_absolute_url(), question_id=question.pk, trial_id=question.trial_id,
            asset_id=question.asset_id,
        ))
        notified.append(CommunityMoveMark(user_id=user_id, question=question, value=current, notified_at=now))
    if not items:
        return 0
    sent = notifications_deliver(items)
    CommunityMoveMark.objects.bulk_create(notified, update_conflicts=True, unique_fields=["user", "question"],
                                          update_fields=["value", "notified_at"])
    return sent
