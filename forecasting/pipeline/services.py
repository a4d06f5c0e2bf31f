"""What follows a resolution: settle or refund the market, score the question (or clear its scores), rebuild the
leaderboards, notify the forecasters. Run by the ``forecasting.tasks.process_resolution`` task
(forecasting/pipeline/tasks.py), which resolution services enqueue by name once their transaction commits.

This room sits on top of resolution, scoring and notifications and is the only one that calls all three.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from forecasting.conditional.scoring import conditional_pairs_rescore
from forecasting.notifications.services.resolution import question_notify_resolution, questions_notify_resolution
from forecasting.resolution.models import STATE_ACTIONS, ResolutionEvent, ResolutionProcessed
from forecasting.scoring.selectors import questions_out_of_step
from forecasting.scoring.services.leaderboards import leaderboards_rebuild
from forecasting.scoring.services.scoring import question_score, question_scores_clear
from markets.models import Question
from markets.services.settlement import market_refund, market_settle, market_unsettle


@dataclass
class ProcessResult:
    question_id: int
    status: str
    steps: list[str] = field(default_factory=list)


def resolution_process(*, question_id: int, notify: bool = True) -> ProcessResult:
    """Bring everything that depends on a question's resolution in line with its current state. Idempotent.

    resolved  -> settle the market, score every forecaster (recompute and replace), rebuild the leaderboards,
                 notify the forecasters;
    annulled  -> refund the market, clear the scores, rebuild the leaderboards;
    otherwise -> (after an unresolve) reverse any settlement, clear the scores, rebuild the leaderboards.
    Resolved or annulled, the forecasters and followers are notified unless ``notify`` is False (a readout's batch
    of confirmations notifies once for all its questions: ``forecasting.tasks.notify_resolutions``).

    The market and score steps run in one transaction holding the question row lock, so they see one state and a
    concurrent unresolve waits for them; the leaderboard rebuild and the notifications run after it commits.
    Each step is idempotent (unique ledger keys; scores recomputed and replaced), so a retried task is safe.
    """
    # The downstream services are called through this module's globals: tests replace them with recorders.
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        status = question.status
        # Read under the question lock: a later event (with its own task) cannot slip in between.
        event_id = (
            ResolutionEvent.objects.filter(question_id=question_id, action__in=STATE_ACTIONS)
            .order_by("-created_at", "-pk").values_list("pk", flat=True).first()
        )
        if status == Question.Status.RESOLVED:
            market_settle(question=question)
            question_score(question_id=question_id)
            steps = ["market_settle", "question_score"]
        elif status == Question.Status.ANNULLED:
            market_refund(question=question)
            question_scores_clear(question_id=question_id)
            steps = ["market_refund", "question_scores_clear"]
        else:
            market_unsettle(question=question)
            question_scores_clear(question_id=question_id)
            steps = ["market_unsettle", "question_scores_clear"]
    leaderboards_rebuild(question_id=question_id)
    steps.append("leaderboards_rebuild")
    if conditional_pairs_rescore(question_id=question_id):  # the pairs it is parent or child of (recomputed)
        steps.append("conditional_pairs_rescore")
    if notify and status in (Question.Status.RESOLVED, Question.Status.ANNULLED):
        question_notify_resolution(question_id=question_id)
        steps.append("question_notify_resolution")
    if event_id is not None:  # everything the event implies is done: the sweep may leave the question alone
        ResolutionProcessed.objects.update_or_create(
            question_id=question_id, defaults={"event_id": event_id, "processed_at": timezone.now()}
        )
    return ProcessResult(question_id=question_id, status=status, steps=steps)


def questions_processed(question_ids: list[int]) -> set[int]:
    """Which of these questions have had their latest resolution event processed (ResolutionProcessed names it).
    Two queries."""
    latest = {}
    for qid, event_id in (ResolutionEvent.objects.filter(question_id__in=question_ids, action__in=STATE_ACTIONS)
                          .order_by("question_id", "created_at", "pk").values_list("question_id", "pk")):
        latest[qid] = event_id
    done = set(ResolutionProcessed.objects.filter(question_id__in=question_ids).values_list("question_id", "event_id"))
    return {qid for qid in question_ids if (qid, latest.get(qid)) in done}


def questions_notify_after_processing(*, question_ids: list[int], final: bool) -> list[int]:
    """Notify the forecasters and followers of a batch of resolved or annulled questions in one job, once the
    pipeline has processed them (their scores exist). Returns the ids still waiting; with ``final`` (the job's last
    attempt) it processes those itself first, so nobody misses their notification."""
    waiting = [qid for qid in question_ids if qid not in questions_processed(question_ids)]
    if waiting and not final:
        return waiting
    for qid in waiting:
        resolution_process(question_id=qid, notify=False)
    questions_notify_resolution(question_ids=question_ids)
    return []


def questions_needing_processing() -> list[int]:
    """Ids of questions whose settlement, refund, scores or leaderboards do not match their latest resolution
    event (a lost or failed task), oldest resolution first (``forecasting.scoring.selectors.questions_out_of_step``).
    """
    return list(questions_out_of_step().values_list("pk", flat=True))
