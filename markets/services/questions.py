"""Question lifecycle services. Every state change checks the current state and raises a domain error.

Lock order (docs/ledger.md): a question row is locked before its market row, never after."""
import datetime as dt
import math

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from assets.errors import StateError, ValidationError
from assets.services.moments import trial_earliest_public_moment
from assets.validators import validate_magnitude
from markets.choices import options_clean
from markets.models import Question
from markets.registry_binding import registry_binding_clean
from markets.services.date_questions import date_question_validate
from markets.services.markets import market_close, market_create, market_reopen

QUESTION_EDITABLE_FIELDS = (
    "title", "type", "asset", "trial", "endpoint", "description", "resolution_criteria", "fine_print",
    "open_time", "scheduled_close_time", "reveal_time", "public_at", "range_min", "range_max", "unit", "log_scale",
    "open_lower_bound", "open_upper_bound", "bound_metric", "bound_comparator", "bound_threshold",
    "registry_field", "registry_value", "registry_deadline", "on_trial_stopped", "options",
)
# Once forecasts may exist, changing these would change what forecasts mean or how they are scored.
QUESTION_FROZEN_AFTER_OPEN = (
    "type", "open_time", "range_min", "range_max", "log_scale", "open_lower_bound", "open_upper_bound", "options",
)


# Clock skew between an admin's machine and the server: a time this little in the future counts as now.
KNOWN_AT_FUTURE_TOLERANCE = dt.timedelta(minutes=5)

# Paths under /questions/ that a question slug must not shadow.
RESERVED_SLUGS = frozenset({"mine", "new"})


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:180] or "question"
    slug, n = base, 2
    qs = Question.objects.all()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    while slug in RESERVED_SLUGS or qs.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_editable_fields(fields: dict) -> None:
    unknown = set(fields) - set(QUESTION_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])


def question_validate(question: Question) -> None:
    """Check the rules a question must satisfy whatever its state; raise ValidationError naming the field."""
    if not question.title or not question.title.strip():
        raise ValidationError("A question needs a title.", field="title")
    if not question.resolution_criteria or not question.resolution_criteria.strip():
        raise ValidationError("Write the resolution criteria: exactly what makes it resolve.", field="resolution_criteria")
    if question.type not in Question.Type.values:
        raise ValidationError(f"type must be one of {', '.join(Question.Type.values)}.", field="type")
    for name in ("open_time", "scheduled_close_time"):
        value = getattr(question, name)
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            raise ValidationError("A timezone-aware date and time is required.", field=name)
    if question.open_time >= question.scheduled_close_time:
        raise ValidationError("The close time must be after the open time.", field="scheduled_close_time")
    for name in ("reveal_time", "public_at"):
        value = getattr(question, name)
        if value is not None and (not isinstance(value, dt.datetime) or timezone.is_naive(value)):
            raise ValidationError("A timezone-aware date and time is required.", field=name)
    if question.public_at is not None and question.public_at <= question.open_time:
        raise ValidationError("The scheduled public moment must be after the open time.", field="public_at")
    if question.is_date:
        date_question_validate(question)
    elif question.is_continuous:
        for name in ("range_min", "range_max"):
            value = getattr(question, name)
            if value is None or not math.isfinite(value):
                raise ValidationError("A numeric question needs a finite range minimum and maximum.", field=name)
            # 1e308 is finite, but the range's width and the CDF grid over it overflow to infinity.
            validate_magnitude(value, field=name)
        if question.range_min >= question.range_max:
            raise ValidationError("range_max must be greater than range_min.", field="range_max")
        if question.log_scale and question.range_min <= 0:
            raise ValidationError("A log-scaled question needs range_min > 0.", field="range_min")
    else:
        question.range_min = question.range_max = None
        question.log_scale = question.open_lower_bound = question.open_upper_bound = False
    # Multiple choice: 2-20 distinct labels (markets.choices); every other type has none.
    question.options = options_clean(question.options) if question.is_multiple_choice else None
    if question.bound_metric:
        if not (question.trial_id and question.endpoint_id):
            raise ValidationError("A bound question needs its trial and endpoint.", field="bound_metric")
        if question.is_binary and (not question.bound_comparator or question.bound_threshold is None):
            raise ValidationError(
                "A bound binary question needs a comparator and a threshold.", field="bound_comparator"
            )
        if question.bound_threshold is not None and not math.isfinite(question.bound_threshold):
            raise ValidationError("The threshold must be a finite number.", field="bound_threshold")
        validate_magnitude(question.bound_threshold, field="bound_threshold")
    registry_binding_clean(question)
    if question.trial_id and question.asset_id is None:
        first_asset = question.trial.assets.first()
        question.asset = first_asset


@transaction.atomic
def question_create(*, created_by=None, status: str = Question.Status.DRAFT, **fields) -> Question:
    """Create a question (a draft unless ``status="open"``). Fields are those in QUESTION_EDITABLE_FIELDS."""
    _check_editable_fields(fields)
    if status not in (Question.Status.DRAFT, Question.Status.OPEN):
        raise ValidationError("A new question is a draft or open.", field="status")
    question = Question(created_by=created_by, status=status, **fields)
    if question.trial_id and question.public_at is None:
        question.public_at = trial_earliest_public_moment(trial_id=question.trial_id)
    question_validate(question)
    question.slug = _unique_slug(question.title)
    question.save()
    return question


@transaction.atomic
def question_update(*, question: Question, **fields) -> Question:
    """Edit a question. Scoring-relevant fields are frozen once it is open; nothing is editable once resolved."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    _check_editable_fields(fields)
    if question.status in (Question.Status.RESOLVED, Question.Status.ANNULLED):
        raise StateError(f"A {question.status} question cannot be edited; unresolve it first.")
    if question.status != Question.Status.DRAFT:
        for name in QUESTION_FROZEN_AFTER_OPEN:
            if name in fields and fields[name] != getattr(question, name):
                raise StateError(f"{name} cannot change once the question is open.", field=name)
    for name, value in fields.items():
        setattr(question, name, value)
    question_validate(question)
    question.save()
    return question


@transaction.atomic
def question_open(*, question: Question) -> Question:
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.status != Question.Status.DRAFT:
        raise StateError(f"Only a draft can be opened; this question is {question.status}.")
    question.status = Question.Status.OPEN
    question.save(update_fields=["status", "updated_at"])
    return question


@transaction.atomic
def question_close(*, question: Question, at: dt.datetime | None = None) -> Question:
    """Close an open question (forecasting and trading stop). Idempotent for an already closed question."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if question.status == Question.Status.CLOSED:
        return question
    if question.status != Question.Status.OPEN:
        raise StateError(f"Only an open question can be closed; this question is {question.status}.")
    question.status = Question.Status.CLOSED
    question.save(update_fields=["status", "updated_at"])
    # The market closes with its question. The question row is locked first, then the market row (global lock order).
    market_close(question=question)
    return question


@transaction.atomic
def question_halt_pending(
    *, question: Question, readout=None, known_at: dt.datetime | None = None, at: dt.datetime | None = None
) -> Question:
    """Answer pending: a readout bound to ``question`` was entered, so forecasting and trading stop. Other evidence
    (a registry change) passes ``known_at`` instead of a readout; ``pending_readout`` then stays empty.

    If the readout is already public (``known_at`` <= now, or within the clock-skew tolerance) the question goes to
    ``pending`` now and its market closes. A readout entered ahead of its embargo (``known_at`` in the future)
    moves the question's ``public_at`` to ``known_at``: forecasting stops then, not before, so the halt does not
    leak that staff hold the result; the periodic close marks it pending at that moment.

    Open, closed and pending questions only (others are returned unchanged). Locks the question row, then the
    market row (lock order, docs/ledger.md). Idempotent: a pending question keeps its earliest halt.
    """
    now = at or timezone.now()
    question = Question.objects.select_for_update().get(pk=question.pk)
    S = Question.Status
    if question.status not in (S.OPEN, S.CLOSED, S.PENDING):
        return question
    known_at = readout.known_at if known_at is None else known_at
    halt_at = known_at if known_at > now + KNOWN_AT_FUTURE_TOLERANCE else now
    if question.pending_since is not None and question.pending_since <= halt_at:
        return question  # already halted at this moment or earlier
    question.pending_since, question.pending_readout = halt_at, readout
    fields = ["pending_since", "pending_readout", "updated_at"]
    if halt_at > now:
        if question.public_at is None or halt_at < question.public_at:
            question.public_at = halt_at
            fields.append("public_at")
    elif question.status != S.PENDING:
        question.status = S.PENDING
        fields.append("status")
    question.save(update_fields=fields)
    if question.status == S.PENDING:
        market_close(question=question)
    return question


@transaction.atomic
def question_release_pending(*, question: Question, at: dt.datetime | None = None) -> Question:
    """The readout that halted ``question`` does not settle it after all (its proposals were rejected): forecasting
    resumes if the question's time allows (its status goes back to open and its market reopens), else it stays
    closed. ``public_at`` goes back to the trial's earliest public moment. Locks the question, then the market.
    A question that is not halted is returned unchanged."""
    now = at or timezone.now()
    question = Question.objects.select_for_update().get(pk=question.pk)
    S = Question.Status
    if question.pending_since is None or question.status not in (S.OPEN, S.CLOSED, S.PENDING):
        return question
    question.pending_since = question.pending_readout = None
    question.public_at = trial_earliest_public_moment(trial_id=question.trial_id) if question.trial_id else None
    if question.status == S.PENDING:
        question.status = S.OPEN
    if question.status == S.OPEN and now >= question.forecasting_ends_at:
        question.status = S.CLOSED
    question.save(update_fields=["pending_since", "pending_readout", "public_at", "status", "updated_at"])
    if question.accepts_forecasts(at=now):
        market_reopen(question=question)
    return question


def questions_apply_public_moments(*, trial_id: int) -> int:
    """Give every unresolved question on the trial the trial's earliest public moment as ``public_at`` (forecasting
    and trading stop there; None when the trial has no moments). Called when the trial's moments change
    (``assets.signals.public_moments_changed``). Returns how many questions changed. One read, one update."""
    earliest = trial_earliest_public_moment(trial_id=trial_id)
    questions = Question.objects.filter(trial_id=trial_id).exclude(
        status__in=[Question.Status.RESOLVED, Question.Status.ANNULLED]
    )
    if earliest is None:
        questions = questions.filter(public_at__isnull=False)
    else:
        questions = questions.filter(Q(public_at__isnull=True) | ~Q(public_at=earliest))
    return questions.update(public_at=earliest, updated_at=timezone.now())


def questions_close_due(*, at: dt.datetime | None = None) -> int:
    """Close every open question whose scheduled close time or scheduled public moment has passed (the services
    already refuse forecasts and trades from that moment; this makes the status say so). Returns how many."""
    at = at or timezone.now()
    closed = 0
    for question in Question.objects.filter_due_to_close(at=at).only("pk", "pending_since"):
        if question.pending_since is not None and question.pending_since <= at:
            _mark_pending(question_id=question.pk, at=at)
        else:
            question_close(question=question, at=at)
        closed += 1
    return closed


@transaction.atomic
def _mark_pending(*, question_id: int, at: dt.datetime) -> None:
    question = Question.objects.select_for_update().get(pk=question_id)
    if question.status == Question.Status.OPEN:
        question.status = Question.Status.PENDING
        question.save(update_fields=["status", "updated_at"])
        market_close(question=question)


@transaction.atomic
def question_create_with_market(*, created_by=None, status: str = Question.Status.DRAFT, market: dict | None = None,
                                **fields) -> Question:
    """``question_create`` and, when ``market`` is given (``{"b": ..., "buckets": ...}``), ``market_create`` on the
    new question, in one transaction: a market that cannot open (bad b or buckets, the house cannot cover the
    reserve) leaves no question behind. Raises what either service raises (the market's errors name "b" or
    "buckets")."""
    question = question_create(created_by=created_by, status=status, **fields)
    if market is not None:
        market_create(question=question, b=market["b"], buckets=market.get("buckets"), created_by=created_by)
    return question


@transaction.atomic
def question_update_with_market(*, question: Question, publish: bool = False, market: dict | None = None,
                                by=None, **fields) -> Question:
    """``question_update``, then ``question_open`` when ``publish`` and the question is a draft, then ``market_create``
    when ``market`` is given: all or nothing. Locks as those services do (the question row first)."""
    question = question_update(question=question, **fields)
    if publish and question.status == Question.Status.DRAFT:
        question = question_open(question=question)
    if market is not None:
        market_create(question=question, b=market["b"], buckets=market.get("buckets"), created_by=by)
    return question
