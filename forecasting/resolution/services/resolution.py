"""Resolution services: confirming the resolutions readouts propose, resolving by hand, unresolving.
Readouts and their proposals are ``forecasting.resolution.services.readouts``.

Flow: ``readout_create`` (or ``readouts_import``) stores a readout and proposes an outcome for every open or closed
question bound to its trial, endpoint and metric. An admin confirms a proposal (``proposal_confirm``,
``proposals_confirm_all``) or resolves by hand (``question_resolve_manual``); ``question_unresolve_manual`` undoes
either. Each action writes a ResolutionEvent (who, when, from which readout or evidence) and, once its transaction
commits, enqueues the ``forecasting.tasks.process_resolution`` task by name (forecasting.common.enqueue), which calls
``forecasting.pipeline.services.resolution_process``: settle or refund the market, score (or clear the scores), rebuild
the leaderboards, notify forecasters. This room never imports the pipeline (it sits above resolution and scoring).

Locks: every resolution action first locks the question's CommunityState row (``community_state_lock``), the lock
every forecast takes, so a forecast either commits before the resolution or sees the resolved question and is
refused (409). Then the question row, then its market row (markets' lock order, docs/ledger.md).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from numbers import Real

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from assets.errors import StateError, ValidationError
from assets.models import Readout
from forecasting.common.enqueue import NOTIFY_RESOLUTIONS, PROCESS_RESOLUTION, enqueue_on_commit
from forecasting.forecasts.services.community import community_state_lock
from forecasting.resolution.models import ProposedResolution, ResolutionEvent
from forecasting.resolution.services.readouts import MAX_NOTE_LENGTH, validate_web_address
from markets.choices import option_index
from markets.models import Question
from markets.services.questions import question_release_pending
from markets.services.date_questions import date_outcome_validate
from markets.services.resolution import question_annul, question_resolve, question_unresolve
from markets.services.settlement import (
    UnsettlePlan,
    market_unsettle,
    market_unsettle_preview,
)
from markets.units import MILLI, parse_milli, points_text

P = ProposedResolution.Status
A = ResolutionEvent.Action


# ----------------------------------------------------------------------------------------------------------------
# Resolving
# ----------------------------------------------------------------------------------------------------------------
def _enqueue(question_id: int, notify: bool = True) -> None:
    """Run the follow-up work once the current transaction commits (never inside it: the worker must see the
    committed state, and a rolled-back resolution must not be scored)."""
    # By task name, not by import: the task lives in forecasting.pipeline, a room above this one. enqueue() logs and
    # carries on if the broker is down; sweep_unscored_resolutions catches up.
    if notify:
        enqueue_on_commit(PROCESS_RESOLUTION, question_id)
    else:  # the caller notifies for a batch (NOTIFY_RESOLUTIONS)
        enqueue_on_commit(PROCESS_RESOLUTION, question_id, False)


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
def proposal_confirm(*, proposal: ProposedResolution, actor, note: str = "", notify: bool = True) -> ProposedResolution:
    """Resolve the proposal's question to the proposed outcome, with the evidence's known_at and source (the
    readout's, or the registry proposal's own); a registry proposal without an outcome annuls the question.

    Other pending proposals on the question become superseded. Writes a ``confirm_proposal`` event and enqueues
    ``process_resolution`` on commit. Raises StateError if the proposal is no longer pending or the question cannot
    be resolved; ValidationError if the outcome or known_at is refused (e.g. the readout's known_at is still in the
    future, or the value lies outside a closed range). ``notify=False`` leaves the notification to the caller (a
    batch: ``proposals_confirm_all``).
    """
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    community_state_lock(question_id=proposal.question_id)
    # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (a registry proposal has no readout).
    proposal = (
        ProposedResolution.objects.select_for_update(of=("self",)).select_related("readout", "question")
        .get(pk=proposal.pk)
    )
    if proposal.status != P.PENDING:
        raise StateError(f"This proposal is {proposal.status}; only a pending proposal can be confirmed.")
    now = timezone.now()
    known_at = proposal.evidence_known_at
    if proposal.outcome is None:  # a registry proposal to annul (the trial stopped, or the answer cannot be dated)
        question = question_annul(question=proposal.question, known_at=known_at, at=now)
        action, note = A.ANNUL, note or proposal.note
    else:
        question = question_resolve(question=proposal.question, outcome=proposal.outcome, known_at=known_at, at=now)
        action = A.CONFIRM_PROPOSAL
    proposal.status, proposal.decided_by, proposal.decided_at = P.CONFIRMED, actor, now
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    _supersede_pending(question, actor=actor, now=now, keep=proposal.pk)
    ResolutionEvent.objects.create(
        question=question, action=action, outcome=question.outcome, known_at=question.known_at,
        source=proposal.evidence_source, url=proposal.evidence_url, note=note, readout=proposal.readout,
        registry_change=proposal.registry_change, proposal=proposal, actor=actor, created_at=now,
    )
    _enqueue(question.pk, notify=notify)
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: ProposedResolution, actor, note: str = "") -> ProposedResolution:
    """Reject a pending proposal (the readout does not settle the question). Writes a ``reject_proposal`` event.
    Raises StateError if the proposal is not pending."""
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    community_state_lock(question_id=proposal.question_id)
    # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (a registry proposal has no readout).
    proposal = (
        ProposedResolution.objects.select_for_update(of=("self",)).select_related("readout", "question")
        .get(pk=proposal.pk)
    )
    if proposal.status != P.PENDING:
        raise StateError(f"This proposal is {proposal.status}; only a pending proposal can be rejected.")
    now = timezone.now()
    proposal.status, proposal.decided_by, proposal.decided_at = P.REJECTED, actor, now
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    ResolutionEvent.objects.create(
        question_id=proposal.question_id, action=A.REJECT_PROPOSAL, outcome=proposal.outcome,
        known_at=proposal.evidence_known_at, source=proposal.evidence_source, url=proposal.evidence_url, note=note,
        readout=proposal.readout, registry_change=proposal.registry_change, proposal=proposal, actor=actor,
        created_at=now,
    )
    if not ProposedResolution.objects.filter(question_id=proposal.question_id, status=P.PENDING).exists():
        question = question_release_pending(question=proposal.question, at=now)
        if question.pending_since is None and question.status in (Question.Status.OPEN, Question.Status.CLOSED):
            ResolutionEvent.objects.create(
                question=question, action=A.RELEASE, actor=actor, created_at=now,
                note=f"No evidence settles it; the question is {question.get_status_display().lower()} again.",
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
    pending; the others are confirmed regardless. Their forecasters and followers are notified by one job for the
    whole batch (``forecasting.tasks.notify_resolutions``: one e-mail per user), enqueued after the last commit.
    """
    pending = ProposedResolution.objects.filter(status=P.PENDING).select_related("readout", "question")
    if readout is not None:
        pending = pending.filter(readout=readout)
    result = ConfirmAllResult()
    for proposal in pending.order_by("question_id", Coalesce("readout__known_at", "known_at"), "pk"):
        if ProposedResolution.objects.filter(pk=proposal.pk, status=P.PENDING).exists():
            try:
                result.confirmed.append(proposal_confirm(proposal=proposal, actor=actor, notify=False))
            except (StateError, ValidationError) as exc:
                result.failed.append((proposal, exc.message))
    if result.confirmed:
        enqueue_on_commit(NOTIFY_RESOLUTIONS, sorted({p.question_id for p in result.confirmed}))
    return result


def parse_outcome(*, question: Question, outcome) -> float | None:
    """The outcome as entered by hand: "yes"/"no" (or 1/0) for a binary question, a number (or numeric text) for a
    numeric one, "annulled" for either. Returns None for an annulment. Raises ValidationError (field ``outcome``)."""
    if isinstance(outcome, str):
        text = outcome.strip().lower()
        if text in ("annulled", "annul", "annulment"):
            return None
        if question.is_date:
            return date_outcome_validate(question=question, outcome=outcome)  # "2027-06-15" -> axis seconds
        if question.is_multiple_choice:  # an option's label or index (markets.choices)
            return float(option_index(question.options or [], outcome, field="outcome"))
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
    if question.is_multiple_choice:
        return float(option_index(question.options or [], outcome, field="outcome"))
    try:
        return float(outcome)  # range and finiteness are checked by question_resolve
    except OverflowError:  # an integer written out beyond any float's range
        raise ValidationError("outcome is too large: a finite number is required.", field="outcome") from None


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
    validate_web_address(url)
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


def unresolve_max_house_cover() -> int:
    """settings.READOUT["UNRESOLVE_MAX_HOUSE_COVER_POINTS"] (default 10,000 points) in milli-points."""
    return int(getattr(settings, "READOUT", {}).get("UNRESOLVE_MAX_HOUSE_COVER_POINTS", 10_000)) * MILLI


def question_unresolve_preview(*, question: Question) -> UnsettlePlan:
    """What unresolving ``question`` now would cost the house (points winners already spent), for staff to see and
    accept before they confirm. Reads only."""
    return market_unsettle_preview(question=question)


@transaction.atomic
def question_unresolve_manual(*, question: Question, actor, note: str = "", accept_house_cover=None) -> Question:
    """Undo a resolution or annulment: the question goes back to closed; its market's settlement or refund is
    reversed now, in this transaction (so a quick re-resolution can never find the market still settled on the old
    outcome); proposals that were confirmed or superseded become pending again. Writes an ``unresolve`` event and
    enqueues ``process_resolution`` on commit, which clears the scores and rebuilds the leaderboards.

    The house's loss is bounded: if winners already spent payouts, the house pays in what cannot be taken back, and
    only up to ``accept_house_cover`` points (what the staff member saw and accepted,
    ``question_unresolve_preview``) and never more than settings.READOUT["UNRESOLVE_MAX_HOUSE_COVER_POINTS"].

    Raises ValidationError (a bad ``accept_house_cover``), StateError if the question is not resolved or annulled,
    or if the market reversal needs more house cover than accepted (code ``house_cover``; nothing changes).
    """
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    limit = unresolve_max_house_cover()
    accepted = 0
    if accept_house_cover not in (None, ""):
        accepted = parse_milli(accept_house_cover, field="accept_house_cover", maximum=limit // MILLI,
                               allow_zero=True)
    community_state_lock(question_id=question.pk)
    question = question_unresolve(question=question)
    try:
        market_unsettle(question=question, max_house_cover=accepted)
    except StateError as exc:
        if exc.code != "house_cover":
            raise
        plan = market_unsettle_preview(question=question)  # inside this (rolled back) transaction: exact figure
        if plan.house_cover > limit:
            raise StateError(
                f"Unresolving would need {points_text(plan.house_cover)} points from the house for payouts already "
                f"spent, above the limit of {points_text(limit)} points (READOUT_UNRESOLVE_MAX_HOUSE_COVER_POINTS).",
                code="house_cover", field="accept_house_cover",
            ) from None
        raise StateError(
            f"Unresolving needs {points_text(plan.house_cover)} points from the house: {len(plan.shortfalls)} "
            f"trader(s) already spent their payout. Accept a house cover of at least "
            f"{points_text(plan.house_cover)} points to go ahead.",
            code="house_cover", field="accept_house_cover",
        ) from None
    ProposedResolution.objects.filter(question=question, status__in=[P.CONFIRMED, P.SUPERSEDED]).update(
        status=P.PENDING, decided_by=None, decided_at=None
    )
    ResolutionEvent.objects.create(question=question, action=A.UNRESOLVE, note=note, actor=actor)
    _enqueue(question.pk)
    return question
