"""Resolved or annulled questions: every forecaster and follower is told the outcome and, if they forecast, their
score; many questions resolved by one readout make one e-mail per user (forecasting.tasks.notify_resolutions).

Idempotent: the notification's dedupe key names the question and its resolution (status, outcome and resolution
time), so a retried job neither inserts nor e-mails again, while a corrected re-resolution is announced anew.
"""
from __future__ import annotations

from collections import defaultdict

from forecasting.forecasts.models import ForecasterQuestion
from forecasting.notifications.models import Kind
from forecasting.notifications.services.audience import question_audiences
from forecasting.notifications.services.delivery import Item, notifications_deliver
from forecasting.scoring.models import Score
from markets import date_axis
from markets.choices import option_label
from markets.models import Question

FINAL = (Question.Status.RESOLVED, Question.Status.ANNULLED)


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
    if question.is_date:
        return date_axis.format_day(question.outcome)
    unit = f" {question.unit}" if question.unit else ""
    return f"{question.outcome:g}{unit}"


def _score_lines(question: Question, score: Score | None, crowd: Score | None, *, forecaster: bool) -> list[str]:
    name = "Brier score" if question.is_binary else "multi-category Brier score" if question.is_multiple_choice else "CRPS"
    scale = "0 to 2" if question.is_multiple_choice else "0 to 1"
    if not forecaster:
        return ["You follow this question but did not forecast it."]
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


def questions_notify_resolution(*, question_ids: list[int]) -> int:
    """Notify the forecasters and followers of these resolved or annulled questions (others are skipped). One
    e-mail per user for all of them. Returns e-mails sent now.

    Queries do not grow with recipients: questions, follows, forecasters, scores, then the delivery's constant
    few (forecasting.notifications.services.delivery)."""
    questions = list(Question.objects.filter(pk__in=list(question_ids), status__in=FINAL).order_by("pk"))
    if not questions:
        return 0
    qids = [q.pk for q in questions]
    audiences = question_audiences(questions)
    forecasters = defaultdict(set)
    for user_id, question_id in ForecasterQuestion.objects.filter(question_id__in=qids).values_list(
        "user_id", "question_id"
    ):
        forecasters[question_id].add(user_id)
    scores, crowds = {}, {}
    for s in Score.objects.filter(
        question_id__in=[q.pk for q in questions if q.status == Question.Status.RESOLVED],
        subject__in=[Score.Subject.FORECASTER, Score.Subject.COMMUNITY_MEDIAN],
    ).only("question_id", "user_id", "subject", "loss", "coverage", "relative"):
        if s.subject == Score.Subject.FORECASTER:
            scores[(s.question_id, s.user_id)] = s
        else:
            crowds[s.question_id] = s
    items = []
    for q in questions:
        annulled = q.status == Question.Status.ANNULLED
        key = f"{q.status}:{q.pk}:{resolution_key(q)}"
        link = q.get_absolute_url()  # once per question, not per recipient
        for user_id in sorted(audiences.get(q.pk, set()) | forecasters[q.pk]):
            if annulled:
                title = f"Annulled: {q.title}"
                lines = [f'"{q.title}" was annulled: it will not be scored, and any market positions are refunded.']
            else:
                title = f"Resolved: {q.title}"
                lines = [f'"{q.title}" has resolved: {outcome_text(q)}.', "",
                         *_score_lines(q, scores.get((q.pk, user_id)), crowds.get(q.pk),
                                       forecaster=user_id in forecasters[q.pk])]
            items.append(Item(
                user_id=user_id, kind=Kind.RESOLUTION, dedupe_key=key, title=title, text="\n".join(lines),
                link=link, question_id=q.pk, trial_id=q.trial_id,
                asset_id=q.asset_id,
            ))
    return notifications_deliver(items)


def question_notify_resolution(*, question_id: int) -> int:
    """``questions_notify_resolution`` for one question (the resolution pipeline's step)."""
    return questions_notify_resolution(question_ids=[question_id])
