"""Scores, leaderboards, calibration and track records (read-only). Thin views over forecasting.scoring.selectors."""
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting.scoring import exports
from forecasting.scoring import selectors as sel
from forecasting.scoring.models import LeaderboardEntry, LeaderboardScope, Score
from markets.models import Question

NOT_FOUND = OpenApiResponse(description="Not found (or not scored yet).")


class ScoreSerializer(serializers.ModelSerializer):
    username = serializers.SerializerMethodField()
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = Score
        fields = ["subject", "username", "display_name", "loss", "coverage", "relative", "baseline", "peer",
                  "active_seconds", "forecasts_count", "computed_at"]

    def get_username(self, score) -> str | None:
        return score.user.get_username() if score.user_id else None

    def get_display_name(self, score) -> str:
        return sel.display_name(score.user) if score.user_id else score.get_subject_display()


class QuestionScoresSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question.pk")
    type = serializers.CharField(source="question.type")
    outcome = serializers.FloatField(source="question.outcome")
    loss_name = serializers.SerializerMethodField()
    aggregates = ScoreSerializer(many=True)
    forecasters = ScoreSerializer(many=True)

    def get_loss_name(self, obj) -> str:
        if obj.question.is_multiple_choice:
            return "brier_multi"  # multi-category Brier, 0..2 (docs/scoring.md)
        return "brier" if obj.question.is_binary else "crps"


class LeaderboardEntrySerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = LeaderboardEntry
        fields = ["rank", "username", "display_name", "sum_relative", "questions", "mean_loss", "mean_coverage",
                  "mean_baseline", "mean_peer", "qualifies_for_mean_ranking", "rank_by_mean"]

    def get_display_name(self, entry) -> str:
        return sel.display_name(entry.user)


class LeaderboardScopeSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeaderboardScope
        fields = ["kind", "key", "label", "question_count", "entry_count", "computed_at"]


class TrackRecordSerializer(serializers.ModelSerializer):
    question = serializers.IntegerField(source="question_id")
    title = serializers.CharField(source="question.title")
    slug = serializers.CharField(source="question.slug")
    type = serializers.CharField(source="question.type")
    outcome = serializers.FloatField(source="question.outcome")
    resolved_at = serializers.DateTimeField(source="question.resolved_at")
    crowd_loss = serializers.FloatField(allow_null=True)
    market_loss = serializers.FloatField(allow_null=True)

    class Meta:
        model = Score
        fields = ["question", "title", "slug", "type", "outcome", "resolved_at", "loss", "coverage", "relative",
                  "baseline", "peer", "forecasts_count", "crowd_loss", "market_loss"]


CALIBRATION_RESPONSE = inline_serializer(
    "Calibration",
    {
        "bins": inline_serializer("CalibrationBin", {
            "lower": serializers.FloatField(), "upper": serializers.FloatField(), "weight": serializers.FloatField(),
            "questions": serializers.IntegerField(), "mean_forecast": serializers.FloatField(allow_null=True),
            "observed_frequency": serializers.FloatField(allow_null=True),
            "wilson_low": serializers.FloatField(allow_null=True), "wilson_high": serializers.FloatField(allow_null=True),
        }, many=True),
        "murphy": inline_serializer("MurphyDecomposition", {
            "reliability": serializers.FloatField(allow_null=True), "resolution": serializers.FloatField(allow_null=True),
            "uncertainty": serializers.FloatField(allow_null=True), "brier": serializers.FloatField(allow_null=True),
            "base_rate": serializers.FloatField(allow_null=True), "total_weight": serializers.FloatField(),
            "rel_minus_res_plus_unc": serializers.FloatField(allow_null=True),
        }),
        "forecasts": serializers.IntegerField(),
        "questions": serializers.IntegerField(),
    },
)


def _visible_question(pk) -> Question:
    return get_object_or_404(Question.objects.filter_visible(), pk=pk)


def _user(username):
    return get_object_or_404(get_user_model().objects.select_related("profile"), username=username)


class QuestionScoresView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="How everyone scored on a resolved question",
        description=(
            "Brier (binary) or unit CRPS (numeric), 0-1, lower is better, time-averaged over the scoring window; "
            "relative is against the community median (negative beats the crowd). Good Judgment Open's Brier is 2x "
            "ours. 404 until the question is resolved and scored."
        ),
        responses={200: QuestionScoresSerializer, 404: NOT_FOUND},
        tags=["scores"],
    )
    def get(self, request, pk):
        scores = sel.question_scores(question=_visible_question(pk))
        if scores is None:
            raise NotFound("This question has not been resolved and scored yet.")
        return Response(QuestionScoresSerializer(scores).data)


SCOPE_PARAMETERS = [
    OpenApiParameter("scope", str, enum=LeaderboardScope.Kind.values, description="Default: global"),
    OpenApiParameter("key", str, description='Season year ("2026"), asset/trial/indication slug; "global" for global'),
]


def _scope_params(request) -> tuple[str, str]:
    kind = request.query_params.get("scope", LeaderboardScope.Kind.GLOBAL)
    if kind not in LeaderboardScope.Kind.values:
        raise DRFValidationError({"scope": f"Must be one of {', '.join(LeaderboardScope.Kind.values)}."})
    key = request.query_params.get("key") or ("global" if kind == LeaderboardScope.Kind.GLOBAL else "")
    if not key:
        raise DRFValidationError({"key": f"Required for scope {kind}: a season year or a slug."})
    return kind, key


class LeaderboardView(GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = LeaderboardEntrySerializer
    filter_backends = []

    @extend_schema(
        summary="A forecasting leaderboard",
        description=(
            "Ranked by the sum of relative Brier/CRPS over the scope's questions (lower is better). order=mean ranks "
            "forecasters with at least READOUT_LEADERBOARD_MIN_QUESTIONS questions by mean Brier/CRPS."
        ),
        parameters=[*SCOPE_PARAMETERS, OpenApiParameter("order", str, enum=list(sel.LEADERBOARD_ORDERINGS))],
        responses={200: LeaderboardEntrySerializer(many=True)},  # a page of entries, not one entry
        tags=["leaderboards"],
    )
    def get(self, request):
        kind, key = _scope_params(request)
        ordering = request.query_params.get("order", "relative")
        if ordering not in sel.LEADERBOARD_ORDERINGS:
            raise DRFValidationError({"order": f"Must be one of {', '.join(sel.LEADERBOARD_ORDERINGS)}."})
        page = self.paginate_queryset(sel.leaderboard(scope_kind=kind, scope_key=key, ordering=ordering))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class LeaderboardScopesView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="Every leaderboard scope with entries", responses={200: LeaderboardScopeSerializer(many=True)},
                   tags=["leaderboards"])
    def get(self, request):
        return Response(LeaderboardScopeSerializer(sel.leaderboard_scopes(), many=True).data)


class LeaderboardExportView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="A leaderboard as CSV (streamed)", parameters=SCOPE_PARAMETERS,
                   responses={(200, "text/csv"): OpenApiResponse(description="CSV")}, tags=["leaderboards"])
    def get(self, request):
        kind, key = _scope_params(request)
        return exports.leaderboard_csv(kind, key)


class QuestionExportView(APIView):
    permission_classes = [permissions.AllowAny]
    what = "scores"

    @extend_schema(summary="A resolved question's scores or forecasts as CSV (streamed)",
                   responses={(200, "text/csv"): OpenApiResponse(description="CSV"), 404: NOT_FOUND}, tags=["scores"])
    def get(self, request, pk):
        question = _visible_question(pk)
        if question.status != Question.Status.RESOLVED:
            raise NotFound("Exports are available once the question is resolved.")
        if self.what == "forecasts":
            return exports.question_forecasts_csv(question)
        return exports.question_scores_csv(question)


class CalibrationView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Calibration of a forecaster (binary questions)",
        description=(
            "Ten equal bins; each forecast weighs its active fraction of its question's window. Per bin: weight, "
            "distinct questions, weighted mean forecast, observed frequency and a 95% Wilson interval (n = distinct "
            "questions); the Murphy decomposition and the time-weighted Brier. Empty bins have null means."
        ),
        responses={200: CALIBRATION_RESPONSE, 404: NOT_FOUND}, tags=["calibration"],
    )
    def get(self, request, username):
        return Response(sel.calibration(user=_user(username)).as_dict())


class CommunityCalibrationView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Calibration of the community median (binary questions)",
        description="As for a forecaster; each community value weighs the fraction of the window it was current.",
        responses={200: CALIBRATION_RESPONSE}, tags=["calibration"],
    )
    def get(self, request):
        return Response(sel.calibration(user=None).as_dict())


class TrackRecordView(GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = TrackRecordSerializer
    filter_backends = []

    @extend_schema(summary="A forecaster's scores on resolved questions, newest first",
                   responses={200: TrackRecordSerializer(many=True), 404: NOT_FOUND}, tags=["scores"])
    def get(self, request, username):
        page = self.paginate_queryset(sel.user_track_record(user=_user(username)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
