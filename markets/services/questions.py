"""Question lifecycle services. Every state change checks the current state and raises a domain error.

Lock order (docs/ledger.md): a question row is locked before its market row, never after."""
import datetime as dt
import math

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assets.errors import StateError, ValidationError
from markets.models import Question
from markets.services.markets import market_close

QUESTION_EDITABLE_FIELDS = (
    "title", "type", "asset", "trial", "endpoint", "description", "resolution_criteria", "fine_print",
    "open_time", "scheduled_close_time", "reveal_time", "range_min", "range_max", "unit", "log_scale",
    "open_lower_bound", "open_upper_bound", "bound_metric", "bound_comparator", "bound_threshold",
)
# Once forecasts may exist, changing these would change what forecasts mean or how they are scored.
QUESTION_FROZEN_AFTER_OPEN = (
    "type", "open_time", "range_min", "range_max", "log_scale", "open_lower_bound", "open_upper_bound",
)


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
    if question.reveal_time and timezone.is_naive(question.reveal_time):
        raise ValidationError("A timezone-aware date and time is required.", field="reveal_time")
    if question.is_numeric:
        for name in ("range_min", "range_max"):
            value = getattr(question, name)
            if value is None or not math.isfinite(value):
                raise ValidationError("A numeric question needs a finite range minimum and maximum.", field=name)
        if question.range_min >= question.range_max:
            raise ValidationError("range_max must be greater than range_min.", field="range_max")
        if question.log_scale and question.range_min <= 0:
            raise ValidationError("A log-scaled question needs range_min > 0.", field="range_min")
    else:
        question.range_min = question.range_max = None
        question.log_scale = question.open_lower_bound = question.open_upper_bound = False
    if question.bound_metric:
        if not (question.trial_id and question.endpoint_id):
            raise ValidationError("A bound question needs its trial and endpoint.", field="bound_metric")
        if question.is_binary and (not question.bound_comparator or question.bound_threshold is None):
            raise ValidationError(
                "A bound binary question needs a comparator and a threshold.", field="bound_comparator"
            )
        if question.bound_threshold is not None and not math.isfinite(question.bound_threshold):
            raise ValidationError("The threshold must be a finite number.", field="bound_threshold")
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


def questions_close_due(*, at: dt.datetime | None = None) -> int:
    """Close every open question whose scheduled close time has passed. Returns how many were closed."""
    at = at or timezone.now()
    closed = 0
    for question in Question.objects.filter_due_to_close(at=at).only("pk"):
        question_close(question=question, at=at)
        closed += 1
    return closed
