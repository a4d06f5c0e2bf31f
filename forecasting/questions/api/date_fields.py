"""API fields of date questions (markets.date_axis): the range, the outcome and the community quantiles as ISO
dates beside the axis values in POSIX seconds that every continuous question reports."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from markets import date_axis

_NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}


@extend_schema_field(_NULLABLE_DATE)
class AxisDateField(serializers.Field):
    """A question column on the time axis (``range_min``, ``range_max``) read and written as "YYYY-MM-DD".

    Read: the date for a date question, null for any other type. Write: the date becomes the column's value in
    POSIX seconds at 00:00 UTC and takes precedence over a number sent for the column itself; sending it for a
    question that is not a date question is a 400 naming this field; null is the same as leaving it out.
    """

    def __init__(self, attr: str, **kwargs):
        self.attr = attr
        kwargs.setdefault("help_text", (
            f"Date questions: {attr} as a date (YYYY-MM-DD, 00:00 UTC); {attr} itself holds the same instant in POSIX "
            "seconds. Null for other types."
        ))
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, question):
        return date_axis.iso(getattr(question, self.attr)) if question.is_date else None

    def validate_empty_values(self, data):
        if data is None:  # null (the schema's "nullable") means "not given": the column keeps its own value
            return False, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if data is None:
            return {}
        try:
            seconds = date_axis.parse_date(data)
        except date_axis.DateInputError as exc:
            raise serializers.ValidationError(f"{self.field_name} {exc.message}.") from None
        return {self.attr: seconds, f"_{self.field_name}": True}


@extend_schema_field(_NULLABLE_DATE)
class OutcomeDateField(serializers.Field):
    """A resolved date question's outcome as a date; null otherwise (the axis value is ``outcome``)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, help_text=(
            "Resolved date questions: the outcome as a date (YYYY-MM-DD); outcome holds its POSIX seconds at 00:00 UTC. "
            "Null for other types and while unresolved."
        ), **kwargs)

    def to_representation(self, question):
        return date_axis.iso(question.outcome) if question.is_date and question.outcome is not None else None


@extend_schema_field(_NULLABLE_DATE)
class QuantileDateField(serializers.Field):
    """One community quantile of a date question as a date (the nearest date to the axis value ``qNN``)."""

    def __init__(self, percentile: int, **kwargs):
        self.key = f"q{percentile}"
        super().__init__(source="*", read_only=True, help_text=(
            f"Date questions: q{percentile} as the nearest date (YYYY-MM-DD); with q{percentile}_beyond set it is the "
            "bound's date. Null for other types."
        ), **kwargs)

    def to_representation(self, point):
        parent = self.parent
        question = parent.context.get("question") or point.question
        if not question.is_date:
            return None
        return date_axis.iso(parent.quantiles(point)[self.key])


DATE_WRITE_FLAGS = ("_range_min_date", "_range_max_date")


def pop_date_flags(attrs: dict, *, question_type: str | None) -> None:
    """Drop the markers AxisDateField leaves in validated data, refusing date fields on a non-date question."""
    for flag in DATE_WRITE_FLAGS:
        if attrs.pop(flag, False) and question_type != "date":
            name = flag[1:]
            raise serializers.ValidationError({name: [f"{name} is only for date questions (type \"date\")."]})
