"""Base-rate reference forecaster endpoints: its forecast on a question (with where the number comes from) and its
line on a leaderboard. Read-only."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting.scoring.models import LeaderboardScope
from forecasting.scoring.selectors_baserate import leaderboard_base_rate, question_base_rate
from markets.models import Question


class QuestionBaseRateSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["phase_success", "empirical"])
    source = serializers.CharField(help_text="Where the number comes from, as the question page says it.")
    probability = serializers.FloatField(allow_null=True, help_text="Binary questions; null for a distribution.")
    citation = serializers.DictField(help_text="The data table's row (report, year, URL, location) or the sample.")
    url = serializers.CharField(allow_blank=True)


class BaseRateLineSerializer(serializers.Serializer):
    label = serializers.CharField()
    questions = serializers.IntegerField()
    sum_relative = serializers.FloatField()
    mean_loss = serializers.FloatField(allow_null=True)
    mean_coverage = serializers.FloatField(allow_null=True)
    mean_baseline = serializers.FloatField(allow_null=True)
    forecasters_ahead = serializers.IntegerField(help_text="Forecasters with a lower (better) sum of relative scores.")


class LeaderboardBaseRateSerializer(serializers.Serializer):
    base_rate = BaseRateLineSerializer(allow_null=True)


class QuestionBaseRateView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="The base-rate reference forecast on a question, with its source", tags=["leaderboards"],
                   responses={200: QuestionBaseRateSerializer, 404: OpenApiResponse(description="No base rate.")})
    def get(self, request, pk):
        question = get_object_or_404(Question.objects.filter_visible().select_related("trial__indication", "endpoint"),
                                     pk=pk)
        view = question_base_rate(question=question)
        if view is None:
            raise NotFound("The base rate has nothing to say on this question.")
        return Response(QuestionBaseRateSerializer(view).data)


class LeaderboardBaseRateView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="The base rate's reference line on a leaderboard (not ranked)", tags=["leaderboards"],
        parameters=[OpenApiParameter("scope", str, enum=LeaderboardScope.Kind.values),
                    OpenApiParameter("key", str, description="Season year or slug (not for global)")],
        responses={200: LeaderboardBaseRateSerializer},
    )
    def get(self, request):
        kind = request.query_params.get("scope", LeaderboardScope.Kind.GLOBAL)
        if kind not in LeaderboardScope.Kind.values:
            raise DRFValidationError({"scope": f"Must be one of {', '.join(LeaderboardScope.Kind.values)}."})
        key = request.query_params.get("key") or ("global" if kind == LeaderboardScope.Kind.GLOBAL else "")
        if not key:
            raise DRFValidationError({"key": f"Required for scope {kind}: a season year or a slug."})
        if "\x00" in key or (kind == LeaderboardScope.Kind.SEASON and not key.isdigit()):
            raise DRFValidationError({"key": "A season is a year, e.g. 2026; other scopes take a slug."})
        line = leaderboard_base_rate(scope_kind=kind, scope_key=key)
        return Response({"base_rate": None if line is None else line.as_dict()})
