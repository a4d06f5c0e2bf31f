"""Resolution state transitions of a question: resolve, annul, unresolve. Pure state changes on the Question row;
the forecasting resolution services wrap them with the audit trail, proposals, locks and the scoring task.

States (markets.models.Question.Status):
    open / closed --readout entered--> pending   (``question_halt_pending``; back by ``question_release_pending``)
    open / closed / pending --resolve--> resolved (outcome, known_at, actual_close_time, resolved_at set)
    open / closed / pending --annul----> annulled (outcome cleared; known_at optional)
    resolved / annulled --unresolve--> closed     (every resolution field and the halt cleared)

Decisions:
- Resolving or annulling an open question closes it first, market included (``question_close``).
- Te = ``actual_close_time`` = min(``scheduled_close_time``, ``known_at``) (SCORING.md). An annulment without a
  known_at uses the time of the annulment instead of known_at.
- Unresolve always goes back to *closed*, even if the scheduled close is still ahead: the answer is public by then,
  so reopening forecasting would let people forecast a known outcome.
- A numeric outcome outside the range is accepted on an open side (SCORING.md section 3) and refused on a closed
  side, with a message telling the admin to enter the bound itself or annul. Unit CRPS would clip it to the bound
  anyway; refusing it catches typos (45 for 4.5) and makes "the answer fell outside a range we said was closed" a
  deliberate decision.

Lock order: the caller may hold the question's CommunityState row (forecasting); these lock the question row, then
(through question_close) its market row.
"""
import datetime as dt
import math
from numbers import Real

from django.db import transaction
from django.utils import timezone

from assets.errors import StateError, ValidationError
from markets.choices import option_index
from markets.units import shown
from markets.models import Question
from markets.services.date_questions import date_outcome_validate
from markets.services.questions import KNOWN_AT_FUTURE_TOLERANCE, question_close

S = Question.Status
RESOLUTION_FIELDS = ["status", "outcome", "known_at", "actual_close_time", "resolved_at", "updated_at"]


def _check_known_at(question: Question, known_at, *, now: dt.datetime, field: str = "known_at") -> dt.datetime:
    if not isinstance(known_at, dt.datetime) or timezone.is_naive(known_at):
        raise ValidationError(
            "known_at must be a timezone-aware date and time, when the answer became public "
            "(e.g. 2026-05-31T14:00:00Z).",
            field=field,
        )
    if known_at > now + KNOWN_AT_FUTURE_TOLERANCE:
        raise ValidationError(
            f"known_at ({known_at.isoformat()}) is in the future; resolve once the answer is public.", field=field
        )
    if known_at <= question.open_time:
        raise ValidationError(
            f"known_at ({known_at.isoformat()}) is not after the question opened ({question.open_time.isoformat()}): "
            "the answer was public before anyone could forecast. Annul the question instead.",
            field=field,
        )
    return min(known_at, now)


def outcome_validate(*, question: Question, outcome) -> float:
    """The outcome as a float, checked against the question. Binary: 1.0 (yes) or 0.0 (no). Numeric: a finite
    value in the question's units, inside the range on every closed side, positive on a log scale.

    Multiple choice: an option's 0-based index or its label, stored as the index (``markets.choices``).

    Raises ValidationError (field ``outcome``) naming what is allowed.
    """
    if question.is_date:
        return date_outcome_validate(question=question, outcome=outcome)
    if question.is_multiple_choice:
        return float(option_index(question.options or [], outcome, field="outcome"))
    if isinstance(outcome, bool) or not isinstance(outcome, Real) or not math.isfinite(float(outcome)):
        allowed = "1 (yes) or 0 (no)" if question.is_binary else f"a finite number in {question.unit or 'the question units'}"
        raise ValidationError(f"The outcome must be {allowed} (you entered {shown(outcome)}).", field="outcome")
    value = float(outcome)
    if question.is_binary:
        if value not in (0.0, 1.0):
            raise ValidationError(f"A binary question resolves to 1 (yes) or 0 (no), not {value:g}.", field="outcome")
        return value
    lo, hi = question.range_min, question.range_max
    if question.log_scale and value <= 0:
        raise ValidationError(f"A log-scaled question needs a positive outcome (got {value:g}).", field="outcome")
    if value < lo and not question.open_lower_bound:
        raise ValidationError(
            f"outcome {value:g} is below the range minimum {lo:g} and the lower bound is closed; "
            f"enter {lo:g} to resolve at the bound, or annul the question.",
            field="outcome",
        )
    if value > hi and not question.open_upper_bound:
        raise ValidationError(
            f"outcome {value:g} is above the range maximum {hi:g} and the upper bound is closed; "
            f"enter {hi:g} to resolve at the bound, or annul the question.",
            field="outcome",
        )
    return value


def _lock(question: Question) -> Question:
    return Question.objects.select_for_update().get(pk=question.pk)


def _lock_unresolved(question: Question, *, done: str, hint: str) -> Question:
    """Lock the question row and check that it can be resolved or annulled: it is open or closed. ``done`` names the
    action in the error ("resolved"); ``hint`` ends the message for an already resolved/annulled question."""
    question = _lock(question)
    if question.status in (S.RESOLVED, S.ANNULLED):
        raise StateError(f"This question is already {question.status}; unresolve it first {hint}.")
    if question.status not in (S.OPEN, S.CLOSED, S.PENDING):
        raise StateError(
            f"Only an open, closed or answer-pending question can be {done}; this question is {question.status}."
        )
    return question


def _close_if_open(question: Question, *, now: dt.datetime) -> Question:
    if question.status == S.OPEN:
        question_close(question=question, at=now)
        question.status = S.CLOSED
    return question


@transaction.atomic
def question_resolve(*, question: Question, outcome: float, known_at: dt.datetime,
                     at: dt.datetime | None = None) -> Question:
    """Resolve an open or closed question to ``outcome`` (see ``outcome_validate``), public since ``known_at``.

    Sets ``actual_close_time`` = min(scheduled close, known_at) and ``resolved_at`` = now; an open question is closed
    first (its market too). Raises ValidationError for a bad outcome or known_at (in the future beyond a few minutes'
    clock skew, or not after the open time), StateError if the question is a draft or already resolved/annulled.
    """
    now = at or timezone.now()
    question = _lock_unresolved(question, done="resolved", hint="to change its outcome")
    value = outcome_validate(question=question, outcome=outcome)
    known_at = _check_known_at(question, known_at, now=now)
    question = _close_if_open(question, now=now)
    question.status = S.RESOLVED
    question.outcome = value
    question.known_at = known_at
    question.actual_close_time = min(question.scheduled_close_time, known_at)
    question.resolved_at = now
    question.save(update_fields=RESOLUTION_FIELDS)
    return question


@transaction.atomic
def question_annul(*, question: Question, known_at: dt.datetime | None = None,
                   at: dt.datetime | None = None) -> Question:
    """Annul an open or closed question: it will never resolve, nobody is scored, its market refunds.

    ``known_at`` (optional) is when the reason for annulling became public; without it the annulment time is used
    for ``actual_close_time``. Raises StateError if the question is a draft or already resolved/annulled (unresolve
    a resolved question first), ValidationError for a bad known_at.
    """
    now = at or timezone.now()
    question = _lock_unresolved(question, done="annulled", hint="to annul it")
    if known_at is not None:
        if not isinstance(known_at, dt.datetime) or timezone.is_naive(known_at):
            raise ValidationError("known_at must be a timezone-aware date and time.", field="known_at")
        if known_at > now + KNOWN_AT_FUTURE_TOLERANCE:
            raise ValidationError(f"known_at ({known_at.isoformat()}) is in the future.", field="known_at")
        known_at = min(known_at, now)
    question = _close_if_open(question, now=now)
    question.status = S.ANNULLED
    question.outcome = None
    question.known_at = known_at
    question.actual_close_time = min(question.scheduled_close_time, known_at or now)
    question.resolved_at = now
    question.save(update_fields=RESOLUTION_FIELDS)
    return question


@transaction.atomic
def question_unresolve(*, question: Question) -> Question:
    """Undo a resolution or annulment: the question goes back to closed (never open, see the module docstring) and
    every resolution field is cleared. Raises StateError unless the question is resolved or annulled.

    The caller reverses what followed the resolution (market settlement, scores) from the new state.
    """
    question = _lock(question)
    if question.status not in (S.RESOLVED, S.ANNULLED):
        raise StateError(f"Only a resolved or annulled question can be unresolved; this question is {question.status}.")
    question.status = S.CLOSED
    question.outcome = question.known_at = question.actual_close_time = question.resolved_at = None
    question.pending_since = question.pending_readout = None
    question.save(update_fields=[*RESOLUTION_FIELDS, "pending_since", "pending_readout"])
    return question
