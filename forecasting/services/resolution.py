"""Resolution services: confirming the resolutions readouts propose, resolving by hand, and the work that follows.
Readouts and their proposals are ``forecasting.services.readouts``.

Flow: ``readout_create`` (or ``readouts_import``) stores a readout and proposes an outcome for every open or closed
question bound to its trial, endpoint and metric. An admin confirms a proposal (``proposal_confirm``,
``proposals_confirm_all``) or resolves by hand (``question_resolve_manual``); ``question_unresolve_manual`` undoes
either. Each action writes a ResolutionEvent (who, when, from which readout or evidence) and, once its transaction
commits, enqueues ``forecasting.tasks.process_resolution``, which calls ``resolution_process``: settle or refund the
market, score (or clear the scores), rebuild the leaderboards, notify forecasters.

Locks: every resolution action first locks the question's CommunityState row (``community_state_lock``), the lock
every forecast takes, so a forecast either commits before the resolution or sees the resolved question and is
refused (409). Then the question row, then its market row (markets' lock order, docs/ledger.md).
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass, field
from numbers import Real

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from assets.errors import StateError, ValidationError
from assets.models import Readout
from forecasting.models import ProposedResolution, ResolutionEvent
from forecasting.services.community import community_state_lock
from forecasting.services.readouts import MAX_NOTE_LENGTH
from markets.models import Question
from markets.services.resolution import (
    question_annul,
    question_resolve,
    question_unresolve,
)

logger = logging.getLogger(__name__)

P = ProposedResolution.Status
A = ResolutionEvent.Action



# ----------------------------------------------------------------------------------------------------------------
# Resolving
# ----------------------------------------------------------------------------------------------------------------
def _enqueue(question_id: int) -> None:
    """Run the follow-up work once the current transaction commits (never inside it: the worker must see the
    committed state, and a rolled-back resolution must not be scored)."""
    from forecasting.tasks import enqueue, process_resolution

    # enqueue() logs and carries on if the broker is down; sweep_unscored_resolutions catches up.
    transaction.on_commit(lambda: enqueue(process_resolution, question_id))


def _supersede_pending(question: Question, *, actor, now: dt.datetime, keep: int | None = None) -> None:
    ProposedResolution.objects.filter(question=question, status=P.PENDING).exclude(pk=keep).update(
        status=P.SUPERSEDED, decided_by=actor, decided_at=now
    )


def _clean_text(value, *, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{field} must be at most {max_length} characters.", field=field)
    return value


@transaction.atomic
def proposal_confirm(*, proposal: ProposedResolution, actor, note: str = "") -> ProposedResolution:
    """Resolve the proposal's question to the proposed outcome, with the readout's known_at and source as evidence.

    Other pending proposals on the question become superseded. Writes a ``confirm_proposal`` event and enqueues
    ``process_resolution`` on commit. Raises StateError if the proposal is no longer pending or the question cannot
    be resolved; ValidationError if the outcome or known_at is refused (e.g. the readout's known_at is still in the
    future, or the value lies outside a closed range).
    """
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    community_state_lock(question_id=proposal.question_id)
    proposal = ProposedResolution.objects.select_for_update().select_related("readout", "question").get(pk=proposal.pk)
    if proposal.status != P.PENDING:
        raise StateError(f"This proposal is {proposal.status}; only a pending proposal can be confirmed.")
    readout = proposal.readout
    now = timezone.now()
    question = question_resolve(question=proposal.question, outcome=proposal.outcome, known_at=readout.known_at, at=now)
    proposal.status, proposal.decided_by, proposal.decided_at = P.CONFIRMED, actor, now
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    _supersede_pending(question, actor=actor, now=now, keep=proposal.pk)
    ResolutionEvent.objects.create(
        question=question, action=A.CONFIRM_PROPOSAL, outcome=question.outcome, known_at=question.known_at,
        source=readout.source, url=readout.url, note=note, readout=readout, proposal=proposal, actor=actor,
        created_at=now,
    )
    _enqueue(question.pk)
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: ProposedResolution, actor, note: str = "") -> ProposedResolution:
    """Reject a pending proposal (the readout does not settle the question). Writes a ``reject_proposal`` event.
    Raises StateError if the proposal is not pending."""
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    proposal = ProposedResolution.objects.select_for_update().select_related("readout").get(pk=proposal.pk)
    if proposal.status != P.PENDING:
        raise StateError(f"This proposal is {proposal.status}; only a pending proposal can be rejected.")
    now = timezone.now()
    proposal.status, proposal.decided_by, proposal.decided_at = P.REJECTED, actor, now
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    ResolutionEvent.objects.create(
        question_id=proposal.question_id, action=A.REJECT_PROPOSAL, outcome=proposal.outcome,
        known_at=proposal.readout.known_at, source=proposal.readout.source, url=proposal.readout.url, note=note,
        readout=proposal.readout, proposal=proposal, actor=actor, created_at=now,
    )
    return proposal


@dataclass
class ConfirmAllResult:
    confirmed: list[ProposedResolution] = field(default_factory=list)
    failed: list[tuple[ProposedResolution, str]] = field(default_factory=list)


def proposals_confirm_all(*, actor, readout: Readout | None = None) -> ConfirmAllResult:
    """Confirm every pending proposal (of one readout, or all), each in its own transaction.

    Order: by question, then the earliest-public readout first (it fixes the earliest known_at); confirming one
    supersedes the question's others, which are then skipped. A proposal that cannot be confirmed (its known_at is
    still in the future, a value outside a closed range, ...) is reported in ``failed`` with the reason and stays
    pending; the others are confirmed regardless.
    """
    pending = ProposedResolution.objects.filter(status=P.PENDING).select_related("readout", "question")
    if readout is not None:
        pending = pending.filter(readout=readout)
    result = ConfirmAllResult()
    for proposal in pending.order_by("question_id", "readout__known_at", "pk"):
        if ProposedResolution.objects.filter(pk=proposal.pk, status=P.PENDING).exists():
            try:
                result.confirmed.append(proposal_confirm(proposal=proposal, actor=actor))
            except (StateError, ValidationError) as exc:
                result.failed.append((proposal, exc.message))
    return result


def parse_outcome(*, question: Question, outcome) -> float | None:
    """The outcome as entered by hand: "yes"/"no" (or 1/0) for a binary question, a number (or numeric text) for a
    numeric one, "annulled" for either. Returns None for an annulment. Raises ValidationError (field ``outcome``)."""
    if isinstance(outcome, str):
        text = outcome.strip().lower()
        if text in ("annulled", "annul", "annulment"):
            return None
        if question.is_binary:
            if text in ("yes", "no"):
                return 1.0 if text == "yes" else 0.0
            raise ValidationError(f'outcome must be "yes", "no" or "annulled" (got {outcome!r}).', field="outcome")
        try:
            outcome = float(text)
        except ValueError:
            raise ValidationError(
                f'outcome must be a number in {question.unit or "the question units"} or "annulled" (got {outcome!r}).',
                field="outcome",
            ) from None
    if outcome is None:
        raise ValidationError("outcome is required.", field="outcome")
    if isinstance(outcome, bool) or not isinstance(outcome, Real):
        raise ValidationError(f"outcome must be yes, no, a number or annulled (got {outcome!r}).", field="outcome")
    return float(outcome)  # range and finiteness are checked by question_resolve


@transaction.atomic
def question_resolve_manual(
    *, question: Question, outcome, known_at: dt.datetime | None, source: str = "", note: str = "", url: str = "",
    actor,
) -> Question:
    """Resolve a question by hand: ``outcome`` as in ``parse_outcome`` ("annulled" annuls; known_at is then
    optional). Pending proposals on the question become superseded. Writes a ``resolve`` or ``annul`` event with the
    source and note, and enqueues ``process_resolution`` on commit. Raises ValidationError (bad input) or StateError
    (the question is a draft or already resolved/annulled)."""
    value = parse_outcome(question=question, outcome=outcome)
    source = _clean_text(source, field="source", max_length=300)
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    url = _clean_text(url, field="url", max_length=200)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError:
            raise ValidationError(f"url must be an http(s) address (got {url!r}).", field="url") from None
    now = timezone.now()
    community_state_lock(question_id=question.pk)
    if value is None:
        question = question_annul(question=question, known_at=known_at, at=now)
        action = A.ANNUL
    else:
        if known_at is None:
            raise ValidationError("known_at is required: when the answer became public.", field="known_at")
        question = question_resolve(question=question, outcome=value, known_at=known_at, at=now)
        action = A.RESOLVE
    _supersede_pending(question, actor=actor, now=now)
    ResolutionEvent.objects.create(
        question=question, action=action, outcome=question.outcome, known_at=question.known_at, source=source,
        url=url, note=note, actor=actor, created_at=now,
    )
    _enqueue(question.pk)
    return question


@transaction.atomic
def question_unresolve_manual(*, question: Question, actor, note: str = "") -> Question:
    """Undo a resolution or annulment: the question goes back to closed; its market's settlement or refund is
    reversed now, in this transaction (so a quick re-resolution can never find the market still settled on the old
    outcome); proposals that were confirmed or superseded become pending again. Writes an ``unresolve`` event and
    enqueues ``process_resolution`` on commit, which clears the scores and rebuilds the leaderboards.

    Raises StateError if the question is not resolved or annulled, or if the market reversal is refused.
    """
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    community_state_lock(question_id=question.pk)
    question = question_unresolve(question=question)
    market_unsettle = _market_step("market_unsettle")
    if market_unsettle is not None:
        market_unsettle(question=question)
    ProposedResolution.objects.filter(question=question, status__in=[P.CONFIRMED, P.SUPERSEDED]).update(
        status=P.PENDING, decided_by=None, decided_at=None
    )
    ResolutionEvent.objects.create(question=question, action=A.UNRESOLVE, note=note, actor=actor)
    _enqueue(question.pk)
    return question


# ----------------------------------------------------------------------------------------------------------------
# What follows a resolution (run by forecasting.tasks.process_resolution)
# ----------------------------------------------------------------------------------------------------------------
def _hook(module: str, name: str):
    """The function ``module.name`` if it exists, else None (logged). Lets resolution run while the scoring,
    notification or settlement code it calls is still being written; a real import error inside an existing module
    is raised, not hidden."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        logger.warning("resolution: %s is missing; skipping %s", module, name)
        return None
    func = getattr(mod, name, None)
    if func is None:
        logger.warning("resolution: %s.%s is missing; skipping it", module, name)
    return func


def _market_step(name: str):
    return _hook("markets.services.settlement", name)


def _scoring_step(name: str):
    return _hook("forecasting.services.scoring", name)


@dataclass
class ProcessResult:
    question_id: int
    status: str
    steps: list[str] = field(default_factory=list)


def resolution_process(*, question_id: int) -> ProcessResult:
    """Bring everything that depends on a question's resolution in line with its current state. Idempotent.

    resolved  -> settle the market, score every forecaster (recompute and replace), rebuild the leaderboards,
                 notify the forecasters;
    annulled  -> refund the market, clear the scores, rebuild the leaderboards;
    otherwise -> (after an unresolve) reverse any settlement, clear the scores, rebuild the leaderboards.

    The market and score steps run in one transaction holding the question row lock, so they see one state and a
    concurrent unresolve waits for them; the leaderboard rebuild and the notifications run after it commits.
    Each step is idempotent (unique ledger keys; scores recomputed and replaced), so a retried task is safe.
    """
    steps = []
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        status = question.status
        if status == Question.Status.RESOLVED:
            plan = [(_market_step, "market_settle", {"question": question}),
                    (_scoring_step, "question_score", {"question_id": question_id})]
        elif status == Question.Status.ANNULLED:
            plan = [(_market_step, "market_refund", {"question": question}),
                    (_scoring_step, "question_scores_clear", {"question_id": question_id})]
        else:
            plan = [(_market_step, "market_unsettle", {"question": question}),
                    (_scoring_step, "question_scores_clear", {"question_id": question_id})]
        for finder, name, kwargs in plan:
            func = finder(name)
            if func is not None:
                func(**kwargs)
                steps.append(name)
    rebuild = _hook("forecasting.services.leaderboards", "leaderboards_rebuild")
    if rebuild is not None:
        rebuild(question_id=question_id)
        steps.append("leaderboards_rebuild")
    if status == Question.Status.RESOLVED:
        notify = _hook("forecasting.services.notifications", "question_notify_resolution")
        if notify is not None:
            notify(question_id=question_id)
            steps.append("question_notify_resolution")
    return ProcessResult(question_id=question_id, status=status, steps=steps)


def questions_needing_processing() -> list[int]:
    """Ids of resolved questions whose scores are missing or stale (a lost or failed task): the scoring part's
    ``questions_needing_scores`` selector (forecasting.selectors_scoring) when it exists, else resolved questions
    with forecasts and no Score row."""
    selector = _hook("forecasting.selectors_scoring", "questions_needing_scores") or _scoring_step(
        "questions_needing_scores"
    )
    if selector is not None:
        return [q if isinstance(q, int) else q.pk for q in selector()]
    from forecasting import models as fm

    score_model = getattr(fm, "Score", None)
    if score_model is None:
        return []
    resolved = Question.objects.filter(status=Question.Status.RESOLVED, forecasters__isnull=False).distinct()
    return list(resolved.exclude(pk__in=score_model.objects.values("question_id")).values_list("pk", flat=True))
