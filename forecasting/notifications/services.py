"""E-mails to forecasters when a question they forecast resolves (console backend by default).

Idempotent: each e-mail is recorded in a NotificationSent row keyed by (question, user, kind, resolution key), inside
the same transaction as the send, so a retried task skips what was sent and a failed send leaves no record (the
retry sends it). A corrected re-resolution has a new key and is announced again.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from forecasting.forecasts.models import ForecasterQuestion
from forecasting.notifications.models import NotificationSent
from forecasting.scoring.models import Score
from markets.choices import option_label
from markets.models import Question

logger = logging.getLogger(__name__)


def resolution_key(question: Question) -> str:
    """Identifies one resolution of a question: its outcome and when it was resolved."""
    resolved = question.resolved_at.isoformat() if question.resolved_at else "-"
    return f"{question.outcome!r}@{resolved}"[:100]


def outcome_text(question: Question) -> str:
    if question.outcome is None:
        return "unresolved"
    if question.is_multiple_choice:
        return option_label(question.options, question.outcome)
    if question.is_binary:
        return "Yes" if question.outcome >= 0.5 else "No"
    unit = f" {question.unit}" if question.unit else ""
    return f"{question.outcome:g}{unit}"


def _score_lines(question: Question, score: Score | None, crowd: Score | None) -> list[str]:
    name = "Brier score" if question.is_binary else "multi-category Brier score" if question.is_multiple_choice else "CRPS"
    scale = "0 to 2" if question.is_multiple_choice else "0 to 1"
    if score is None or score.loss is None:
        return ["You had no forecast active before the question closed, so this question did not score you."]
    lines = [
        f"Your time-averaged {name}: {score.loss:.3f} ({scale}, lower is better), over {score.coverage:.0%} of "
        "the forecasting window.",
    ]
    if crowd is not None and crowd.loss is not None:
        lines.append(f"The crowd's {name}: {crowd.loss:.3f}.")
    if score.relative is not None:
        verdict = "better than" if score.relative < 0 else ("level with" if score.relative == 0 else "worse than")
        lines.append(f"Relative to the crowd: {score.relative:+.3f} ({verdict} the crowd; negative is better).")
    if question.is_binary:
        lines.append("Good Judgment Open's Brier score is twice ours.")
    return lines


def question_notify_resolution(*, question_id: int) -> int:
    """E-mail every forecaster on the resolved question its outcome and their score. Returns e-mails sent now.

    Does nothing for a question that is not resolved. Users without an e-mail address are skipped.
    """
    question = Question.objects.filter(pk=question_id).first()
    if question is None or question.status != Question.Status.RESOLVED:
        return 0
    key = resolution_key(question)
    already = set(
        NotificationSent.objects.filter(
            question=question, kind=NotificationSent.Kind.RESOLUTION, key=key
        ).values_list("user_id", flat=True)
    )
    forecasters = [
        fq.user for fq in ForecasterQuestion.objects.filter(question=question).select_related("user__profile")
        if fq.user_id not in already and fq.user.email
    ]
    scores = {s.user_id: s for s in Score.objects.filter(question=question, subject=Score.Subject.FORECASTER)}
    crowd = Score.objects.filter(question=question, subject=Score.Subject.COMMUNITY_MEDIAN).first()
    site = getattr(settings, "READOUT_SITE_URL", "").rstrip("/")
    link = f"{site}{question.get_absolute_url()}"
    sent = 0
    connection = mail.get_connection()
    for user in forecasters:
        name = getattr(getattr(user, "profile", None), "display_name", "") or user.get_username()
        body = "\n".join(
            [
                f"Hello {name},",
                "",
                f'"{question.title}" has resolved: {outcome_text(question)}.',
                "",
                *_score_lines(question, scores.get(user.pk), crowd),
                "",
                f"See how everyone scored: {link}",
            ]
        )
        message = mail.EmailMessage(
            subject=f"Resolved: {question.title}"[:200], body=body, to=[user.email], connection=connection,
        )
        try:
            with transaction.atomic():
                NotificationSent.objects.create(
                    question=question, user=user, kind=NotificationSent.Kind.RESOLUTION, key=key,
                    sent_at=timezone.now(),
                )
                message.send()  # an exception rolls the record back, so a retry sends it
        except IntegrityError:  # a concurrent run sent this one
            continue
        sent += 1
    return sent
