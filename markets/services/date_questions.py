"""Rules of date questions (a numeric question on a time axis: markets.date_axis, docs/scoring.md "Date questions").

The range is two dates stored as POSIX seconds at 00:00 UTC; the outcome is a date stored the same way. Errors name
the field and say what is allowed in dates, never in seconds.
"""
from numbers import Real

from assets.errors import ValidationError
from markets import date_axis
from markets.models import Question


def _range_day(question: Question, name: str) -> float:
    value = getattr(question, name)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(f"A date question needs {name} as a date (YYYY-MM-DD).", field=name)
    try:
        date_axis.seconds_to_date(value)
    except ValueError:
        raise ValidationError(
            f"{name} must be a date between {date_axis.MIN_DATE} and {date_axis.MAX_DATE}.", field=name
        ) from None
    if not date_axis.is_midnight(value):
        raise ValidationError(
            f"{name} of a date question must be a whole date (00:00 UTC), got {float(value)!r} seconds.", field=name
        )
    return float(value)


def date_question_validate(question: Question) -> None:
    """Check (and normalise) a date question's axis: two dates, min before max, no log scale, no unit. Open bounds
    are allowed (dates before the first or after the last date of the range are then possible)."""
    lo = _range_day(question, "range_min")
    hi = _range_day(question, "range_max")
    if lo >= hi:
        raise ValidationError(
            f"range_max ({date_axis.iso(hi)}) must be a later date than range_min ({date_axis.iso(lo)}).",
            field="range_max",
        )
    if question.log_scale:
        raise ValidationError("A date question cannot use a log scale.", field="log_scale")
    question.unit = ""


def date_range_text(question: Question) -> str:
    """"2027-01-01 to 2027-12-31, later dates possible" for error messages."""
    text = f"{date_axis.iso(question.range_min)} to {date_axis.iso(question.range_max)}"
    beyond = [word for word, is_open in (("earlier", question.open_lower_bound), ("later", question.open_upper_bound))
              if is_open]
    return f"{text}, {' and '.join(beyond)} dates possible" if beyond else text


def date_outcome_validate(*, question: Question, outcome) -> float:
    """A date question's outcome as axis seconds: a date ("2027-06-15" or a ``datetime.date``) or axis seconds of a
    midnight UTC, inside the range on every closed side. Raises ValidationError (field ``outcome``)."""
    if isinstance(outcome, Real) and not isinstance(outcome, bool):
        try:
            date_axis.seconds_to_date(outcome)
        except ValueError:
            raise ValidationError(f"outcome must be a date written YYYY-MM-DD (got {outcome!r}).",
                                  field="outcome") from None
        if not date_axis.is_midnight(outcome):
            raise ValidationError(f"outcome must be a whole date (00:00 UTC), got {outcome!r} seconds.",
                                  field="outcome")
        value = float(outcome)
    else:
        try:
            value = date_axis.parse_date(outcome)
        except date_axis.DateInputError as exc:
            raise ValidationError(f"outcome {exc.message}.", field="outcome") from None
    day = date_axis.iso(value)
    if value < question.range_min and not question.open_lower_bound:
        raise ValidationError(
            f"outcome {day} is before the range ({date_range_text(question)}) and the lower bound is closed; "
            f"enter {date_axis.iso(question.range_min)} to resolve at the bound, or annul the question.",
            field="outcome",
        )
    if value > question.range_max and not question.open_upper_bound:
        raise ValidationError(
            f"outcome {day} is after the range ({date_range_text(question)}) and the upper bound is closed; "
            f"enter {date_axis.iso(question.range_max)} to resolve at the bound, or annul the question.",
            field="outcome",
        )
    return value
