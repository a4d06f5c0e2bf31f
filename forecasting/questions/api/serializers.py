"""Serializers for questions, forecasts and the community forecast. Validation of forecast values happens in the
services (one set of rules for the API, the pages and bulk submissions); these only shape input and output."""
import math
from functools import cached_property

import numpy as np
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.models import Asset, Endpoint, Trial
from forecasting.forecasts.models import CommunityForecastPoint, Forecast
from forecasting.forecasts.selectors import community_quantiles, finite_json, finite_or_none
from forecasting.maths import cdf as cdf_math
from forecasting.questions import outcomes
from forecasting.questions.api.date_fields import (
    AxisDateField, OutcomeDateField, QuantileDateField, pop_date_flags,
)
from forecasting.questions.selectors import question_resolution
from markets.choices import MAX_OPTION_LENGTH, MAX_OPTIONS
from markets.models import Question

# The marker of a quantile at or beyond an open bound (docs/forecast-maths.md 2.5); named once in the schema
# (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
QUANTILE_BEYOND_CHOICES = [
    (cdf_math.BELOW, "at or below range_min (open lower bound)"),
    (cdf_math.ABOVE, "at or above range_max (open upper bound)"),
]


class FiniteFloatField(serializers.FloatField):
    """A stored float that is never served as NaN or ±Infinity (JSON has neither; rows written by older code may
    hold them): null instead."""

    def to_representation(self, value):
        return finite_or_none(float(value))


def _finite_list(array: np.ndarray) -> list:
    """A float array as a JSON list, any non-finite entry (rows written by older code) as null."""
    if np.all(np.isfinite(array)):
        return array.tolist()
    return [x if math.isfinite(x) else None for x in array.tolist()]


class _QuantileField(serializers.FloatField):
    """One community quantile, as ``CommunityPointSerializer.quantiles`` reports it."""

    def __init__(self, percentile: int, **kwargs):
        super().__init__(
            source="*", read_only=True, allow_null=True,
            help_text=(
                f"The {percentile}th percentile of the community CDF in the question's units: null for binary "
                "questions, otherwise always finite and within [range_min, range_max]. When the percentile lies at or "
                f"beyond an open bound this is the bound's value and q{percentile}_beyond says which side."
            ),
            **kwargs,
        )

    def to_representation(self, point):
        return self.parent.quantiles(point)[self.field_name]


class _QuantileBeyondField(serializers.ChoiceField):
    """Whether one community quantile lies at or beyond an open bound."""

    def __init__(self, percentile: int, **kwargs):
        super().__init__(
            choices=QUANTILE_BEYOND_CHOICES, source="*", read_only=True, allow_null=True,
            help_text=(
                f'"below" when the {percentile}th percentile lies at or below range_min (open lower bound; '
                f'q{percentile} is then range_min), "above" when it lies at or above range_max (open upper bound; '
                f"q{percentile} is then range_max), otherwise null."
            ),
            **kwargs,
        )

    def to_representation(self, point):
        return self.parent.quantiles(point)[self.field_name]


class CommunityPointSerializer(serializers.ModelSerializer):
    """The community forecast after one forecast or withdrawal. Binary questions: median and extremized. Numeric
    questions: the 10th, 50th and 90th percentiles of the community CDF, always finite and within the question's
    range; a percentile at or beyond an open bound is reported as that bound plus a marker, e.g. q90 = range_max
    with q90_beyond = "above"."""

    # The question (range, bounds) comes from context["question"] or, failing that, point.question.
    median = FiniteFloatField(read_only=True, allow_null=True,
                              help_text="Binary: the recency-weighted median probability; null for numeric questions.")
    extremized = FiniteFloatField(
        read_only=True, allow_null=True,
        help_text="Binary: the extremized recency-weighted mean of log-odds; null for numeric questions.",
    )
    q10 = _QuantileField(10)
    q10_beyond = _QuantileBeyondField(10)
    q50 = _QuantileField(50)
    q50_beyond = _QuantileBeyondField(50)
    q90 = _QuantileField(90)
    q90_beyond = _QuantileBeyondField(90)
    q10_date = QuantileDateField(10)
    q50_date = QuantileDateField(50)
    q90_date = QuantileDateField(90)
    probabilities = serializers.ListField(
        child=serializers.FloatField(), read_only=True, allow_null=True,
        help_text="Multiple choice: the community probability of each option, in the question's option order, "
                  "summing to 1 (per-option recency-weighted medians, renormalized; docs/scoring.md). Null otherwise.",
    )

    class Meta:
        model = CommunityForecastPoint
        fields = ["created_at", "forecaster_count", "median", "extremized", "q10", "q10_beyond", "q50", "q50_beyond",
                  "q90", "q90_beyond", "q10_date", "q50_date", "q90_date",
                  "probabilities"]

    def quantiles(self, point) -> dict:
        # Six fields read the same three quantiles: compute them once per point.
        memo = getattr(self, "_quantiles_memo", None)
        if memo is None or memo[0] is not point:
            question = self.context.get("question") or point.question
            memo = self._quantiles_memo = (point, community_quantiles(question=question, point=point))
        return memo[1]


class CommunityPointWithCdfSerializer(CommunityPointSerializer):
    cdf = serializers.SerializerMethodField()

    class Meta(CommunityPointSerializer.Meta):
        fields = CommunityPointSerializer.Meta.fields + ["cdf"]

    @extend_schema_field(serializers.ListField(
        child=serializers.FloatField(), allow_null=True,
        help_text="Numeric questions: the community's mean CDF on the unit grid. Null for binary questions, and in "
        "the history (/community/) unless include_cdf=1.",
    ))
    def get_cdf(self, point):
        if self.context.get("omit_cdf"):
            return None
        array = point.cdf_array()
        return None if array is None else _finite_list(array)


# The state of a question's answer (the resolution object's status); named once in the schema
# (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
RESOLUTION_STATUS_CHOICES = outcomes.RESOLUTION_STATES


# Published as the schema's description (/api/v1/schema/), kept byte-identical by the split into rooms: the module is
# now forecasting/questions/outcomes.py.
class ResolutionSerializer(serializers.Serializer):
    """What a question resolved to and from which evidence (forecasting.outcomes.Resolution). Read-only."""

    status = serializers.ChoiceField(
        choices=RESOLUTION_STATUS_CHOICES, read_only=True,
        help_text='"resolved", "annulled", or "pending": a readout that answers the question was entered and staff '
                  "have not yet confirmed it; no forecast or trade is accepted meanwhile.",
    )
    outcome = serializers.FloatField(
        read_only=True, allow_null=True,
        help_text="Resolved: 1 (yes) or 0 (no) for binary questions, the value in the question's unit for numeric "
                  "ones, the chosen option's index (0-based) for multiple-choice ones. Null when annulled or pending.",
    )
    outcome_display = serializers.CharField(
        read_only=True, help_text='The outcome in words: "Yes", "No", "0.26 hazard ratio", "Annulled", "Answer pending".'
    )
    known_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="Resolved: when the answer became public. Annulled: when the reason became public, if recorded. "
                  "Null when pending.",
    )
    resolved_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When staff resolved or annulled the question. Null when pending."
    )
    source = serializers.CharField(
        read_only=True,
        help_text="Resolved and annulled: the evidence named by the latest resolve, confirm or annul action (for a "
                  "confirmed readout, the readout's source). Pending: the source of the readout that halted the "
                  'question. "" when none was recorded.',
    )
    url = serializers.CharField(read_only=True, help_text='A link to that source; "" when none was recorded.')
    note = serializers.CharField(
        read_only=True,
        help_text='Resolved: the resolving admin\'s note. Annulled: why the question was annulled. "" otherwise.',
    )
    pending_since = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="Pending: when forecasting and trading stopped for the readout. Null otherwise.",
    )


class QuestionSerializer(serializers.ModelSerializer):
    asset = serializers.SlugRelatedField(slug_field="slug", queryset=Asset.objects.all(), required=False, allow_null=True)
    trial = serializers.SlugRelatedField(slug_field="slug", queryset=Trial.objects.all(), required=False, allow_null=True)
    endpoint = serializers.SlugRelatedField(
        slug_field="code", queryset=Endpoint.objects.all(), required=False, allow_null=True
    )
    url = serializers.SerializerMethodField()
    community_hidden = serializers.SerializerMethodField()
    forecasting_ends_at = serializers.DateTimeField(
        read_only=True,
        help_text="When forecasting and trading stop: scheduled_close_time, or public_at if that comes first.",
    )
    resolution = serializers.SerializerMethodField()
    range_min_date = AxisDateField("range_min")
    range_max_date = AxisDateField("range_max")
    outcome_date = OutcomeDateField()
    options = serializers.ListField(
        child=serializers.CharField(max_length=MAX_OPTION_LENGTH, allow_blank=True, trim_whitespace=False),
        required=False, allow_null=True, max_length=MAX_OPTIONS,
        help_text="Multiple choice: the option labels in order, 2 to 20, each 1-120 characters, distinct ignoring case "
                  "and surrounding spaces. Forecasts, market outcomes and the resolved outcome name an option by its "
                  "0-based index. Null for other types.",
    )
    registry_binding = serializers.CharField(
        source="registry_binding_summary", read_only=True,
        help_text='The registry predicate that resolves the question, in words ("primary completion ACTUAL by 31 Mar '
                  '2027"); "" when it is not bound to the registry (docs/resolution.md).',
    )

    class Meta:
        model = Question
        fields = [
            "id", "slug", "url", "title", "type", "status", "asset", "trial", "endpoint", "description",
            "resolution_criteria", "fine_print", "open_time", "scheduled_close_time", "reveal_time", "public_at",
            "forecasting_ends_at", "options", "range_min", "range_max", "unit", "log_scale", "open_lower_bound",
            "open_upper_bound", "bound_metric", "bound_comparator", "bound_threshold", "registry_field",
            "registry_value", "registry_deadline", "on_trial_stopped", "registry_binding", "outcome", "known_at",
            "actual_close_time", "resolved_at", "forecaster_count", "community_hidden", "resolution",
            "range_min_date", "range_max_date", "outcome_date",
        ]
        # public_at follows the trial's public moments (assets.PublicMoment); it is not written through the API.
        read_only_fields = [
            "id", "slug", "public_at", "outcome", "known_at", "actual_close_time", "resolved_at", "forecaster_count",
        ]

    # Columns ``resolution`` reads that the serializer does not show: whether the answer is pending, since when.
    RESOLUTION_COLUMNS = ("pending_since",)

    @classmethod
    def columns(cls) -> list[str]:
        """The database columns this serializer reads, for ``QuerySet.only()`` on list endpoints: the question's
        own fields it shows, only the slug (code) of its asset, trial and endpoint, and the columns ``resolution``
        reads (its evidence comes from ``selectors.annotate_resolution``)."""
        related = {name: f"{name}__{field.slug_field}" for name, field in cls._declared_fields.items()
                   if isinstance(field, serializers.SlugRelatedField)}
        concrete = {field.name for field in Question._meta.concrete_fields}
        shown = [related.get(name, name) for name in cls.Meta.fields if name in concrete]
        return shown + list(cls.RESOLUTION_COLUMNS)

    def get_url(self, question) -> str:
        return question.get_absolute_url()

    def get_community_hidden(self, question) -> bool:
        return not question.is_revealed()

    @cached_property
    def _resolution_serializer(self) -> ResolutionSerializer:
        # One instance for a whole list page (this serializer is the list's single child), as for the community.
        return ResolutionSerializer()

    @cached_property
    def _now(self):
        return timezone.now()

    @extend_schema_field(ResolutionSerializer(allow_null=True, help_text=(
        "The answer: null while the question waits for it (draft, open, closed); otherwise what it resolved to and "
        "from which evidence, that it was annulled and why, or that the answer is pending."
    )))
    def get_resolution(self, question):
        resolution = question_resolution(question=question, at=self._now)
        return None if resolution is None else self._resolution_serializer.to_representation(resolution)


class QuestionListSerializer(QuestionSerializer):
    community = serializers.SerializerMethodField()

    class Meta(QuestionSerializer.Meta):
        fields = QuestionSerializer.Meta.fields + ["community"]

    @cached_property
    def _point_serializer(self) -> CommunityPointSerializer:
        # One instance for the whole page (this serializer is the list's single child): building a serializer's
        # fields per row cost more than serializing the row.
        return CommunityPointSerializer()

    @extend_schema_field(CommunityPointSerializer(allow_null=True))
    def get_community(self, question):
        point = self.context.get("community_map", {}).get(question.pk)
        return self._point_serializer.to_representation(point) if point else None


class QuestionDetailSerializer(QuestionSerializer):
    community = serializers.SerializerMethodField()

    class Meta(QuestionSerializer.Meta):
        fields = QuestionSerializer.Meta.fields + ["community"]

    @extend_schema_field(CommunityPointWithCdfSerializer(allow_null=True))
    def get_community(self, question):
        point = self.context.get("community")
        return CommunityPointWithCdfSerializer(point, context={"question": question}).data if point else None


class QuestionWriteSerializer(QuestionSerializer):
    status = serializers.ChoiceField(
        choices=[Question.Status.DRAFT, Question.Status.OPEN], required=False,
        help_text="On create: draft (default) or open. On update: set to open to publish a draft.",
    )

    class Meta(QuestionSerializer.Meta):
        read_only_fields = QuestionSerializer.Meta.read_only_fields

    def validate(self, attrs):
        question_type = attrs.get("type", getattr(self.instance, "type", None))
        pop_date_flags(attrs, question_type=question_type)
        return attrs


class ForecastInSerializer(serializers.Serializer):
    """Documents the accepted shapes; values are validated by the forecast service with field-named errors."""

    probability = serializers.JSONField(required=False, help_text="Binary questions: a number in [0.001, 0.999].")
    cdf = serializers.JSONField(
        required=False, help_text="Numeric questions: 201 non-decreasing cumulative probabilities on the unit grid."
    )
    quantiles = serializers.JSONField(
        required=False,
        help_text='Numeric questions: {"0.1": x, "0.5": y, "0.9": z} in the question\'s units (more levels allowed). '
                  'Date questions: dates, {"0.1": "2027-03-01", "0.5": "2027-06-12", "0.9": "2027-10-30"}.',
    )
    probabilities = serializers.JSONField(
        required=False,
        help_text="Multiple-choice questions: one probability per option in the question's option order, each in "
                  "[0.001, 0.999], summing to 1 within 1e-6 (stored divided by their sum).",
    )
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ForecastSerializer(serializers.ModelSerializer):
    cdf = serializers.SerializerMethodField()
    author = serializers.CharField(source="user.username", read_only=True)
    probability = FiniteFloatField(read_only=True, allow_null=True)
    probabilities = serializers.ListField(
        child=serializers.FloatField(), read_only=True, allow_null=True,
        help_text="Multiple choice: the probability of each option, in option order. Null otherwise.",
    )
    input = serializers.SerializerMethodField()

    class Meta:
        model = Forecast
        fields = ["id", "question", "author", "kind", "created_at", "probability", "probabilities", "cdf", "input",
                  "rationale"]

    @extend_schema_field(serializers.ListField(child=serializers.FloatField(), allow_null=True))
    def get_cdf(self, forecast):
        array = forecast.cdf_array()
        return None if array is None else _finite_list(array)

    @extend_schema_field(serializers.JSONField(
        allow_null=True,
        help_text='What the forecaster submitted, e.g. {"type": "quantiles", "quantiles": {"0.1": 4, ...}} in the '
                  "question's units (typed values may lie beyond an open bound).",
    ))
    def get_input(self, forecast):
        return finite_json(forecast.input)


class BulkForecastItemSerializer(ForecastInSerializer):
    question = serializers.IntegerField()


class BulkForecastInSerializer(serializers.Serializer):
    forecasts = BulkForecastItemSerializer(many=True)


class BulkForecastOutSerializer(serializers.Serializer):
    forecasts = ForecastSerializer(many=True)


