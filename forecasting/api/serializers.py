"""Serializers for questions, forecasts and the community forecast. Validation of forecast values happens in the
services (one set of rules for the API, the pages and bulk submissions); these only shape input and output."""
from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.models import Asset, Endpoint, Trial
from forecasting.models import CommunityForecastPoint, Forecast
from markets.models import Question


class CommunityPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommunityForecastPoint
        fields = ["created_at", "forecaster_count", "median", "extremized", "q10", "q50", "q90"]


class CommunityPointWithCdfSerializer(CommunityPointSerializer):
    cdf = serializers.SerializerMethodField()

    class Meta(CommunityPointSerializer.Meta):
        fields = CommunityPointSerializer.Meta.fields + ["cdf"]

    @extend_schema_field(serializers.ListField(child=serializers.FloatField(), allow_null=True))
    def get_cdf(self, point):
        array = point.cdf_array()
        return None if array is None else array.tolist()


class QuestionSerializer(serializers.ModelSerializer):
    asset = serializers.SlugRelatedField(slug_field="slug", queryset=Asset.objects.all(), required=False, allow_null=True)
    trial = serializers.SlugRelatedField(slug_field="slug", queryset=Trial.objects.all(), required=False, allow_null=True)
    endpoint = serializers.SlugRelatedField(
        slug_field="code", queryset=Endpoint.objects.all(), required=False, allow_null=True
    )
    url = serializers.SerializerMethodField()
    community_hidden = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id", "slug", "url", "title", "type", "status", "asset", "trial", "endpoint", "description",
            "resolution_criteria", "fine_print", "open_time", "scheduled_close_time", "reveal_time",
            "range_min", "range_max", "unit", "log_scale", "open_lower_bound", "open_upper_bound",
            "bound_metric", "bound_comparator", "bound_threshold", "outcome", "known_at", "actual_close_time",
            "resolved_at", "forecaster_count", "community_hidden",
        ]
        read_only_fields = [
            "id", "slug", "outcome", "known_at", "actual_close_time", "resolved_at", "forecaster_count",
        ]

    @classmethod
    def columns(cls) -> list[str]:
        """The database columns this serializer reads, for ``QuerySet.only()`` on list endpoints: the question's
        own fields it shows, and only the slug (code) of its asset, trial and endpoint."""
        related = {name: f"{name}__{field.slug_field}" for name, field in cls._declared_fields.items()
                   if isinstance(field, serializers.SlugRelatedField)}
        concrete = {field.name for field in Question._meta.concrete_fields}
        return [related.get(name, name) for name in cls.Meta.fields if name in concrete]

    def get_url(self, question) -> str:
        return question.get_absolute_url()

    def get_community_hidden(self, question) -> bool:
        return not question.is_revealed()


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
        return CommunityPointWithCdfSerializer(point).data if point else None


class QuestionWriteSerializer(QuestionSerializer):
    status = serializers.ChoiceField(
        choices=[Question.Status.DRAFT, Question.Status.OPEN], required=False,
        help_text="On create: draft (default) or open. On update: set to open to publish a draft.",
    )

    class Meta(QuestionSerializer.Meta):
        read_only_fields = QuestionSerializer.Meta.read_only_fields


class ForecastInSerializer(serializers.Serializer):
    """Documents the accepted shapes; values are validated by the forecast service with field-named errors."""

    probability = serializers.JSONField(required=False, help_text="Binary questions: a number in [0.001, 0.999].")
    cdf = serializers.JSONField(
        required=False, help_text="Numeric questions: 201 non-decreasing cumulative probabilities on the unit grid."
    )
    quantiles = serializers.JSONField(
        required=False,
        help_text='Numeric questions: {"0.1": x, "0.5": y, "0.9": z} in the question\'s units (more levels allowed).',
    )
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ForecastSerializer(serializers.ModelSerializer):
    cdf = serializers.SerializerMethodField()
    author = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Forecast
        fields = ["id", "question", "author", "kind", "created_at", "probability", "cdf", "input", "rationale"]

    @extend_schema_field(serializers.ListField(child=serializers.FloatField(), allow_null=True))
    def get_cdf(self, forecast):
        array = forecast.cdf_array()
        return None if array is None else array.tolist()


class BulkForecastItemSerializer(ForecastInSerializer):
    question = serializers.IntegerField()


class BulkForecastInSerializer(serializers.Serializer):
    forecasts = BulkForecastItemSerializer(many=True)


class BulkForecastOutSerializer(serializers.Serializer):
    forecasts = ForecastSerializer(many=True)


