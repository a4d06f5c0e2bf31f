"""Conditional-pair endpoints: list, detail, create (staff), forecast (own history, submit, withdraw, bulk), the
community per branch, and the branch scores. Thin views over forecasting.conditional services and selectors."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.errors import ValidationError
from forecasting.api.permissions import IsStaffOrReadOnly
from forecasting.conditional import selectors
from forecasting.conditional.api import serializers as s
from forecasting.conditional.models import ConditionalPair
from forecasting.conditional.services import (
    conditional_forecast_create, conditional_forecast_withdraw, conditional_forecasts_bulk_create, pair_create,
)
from markets.models import Question

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names the field and what is allowed."),
    401: OpenApiResponse(description="Not logged in."),
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such conditional pair."),
    409: OpenApiResponse(description="A question of the pair is not taking forecasts."),
}
TAGS = ["conditional"]


def _pair(request, pk) -> ConditionalPair:
    pair = get_object_or_404(ConditionalPair.objects.select_related("parent", "child"), pk=pk)
    if not selectors.pair_visible(pair, user=request.user):
        raise NotFound("No such conditional pair.")
    return pair


def _question(value, *, field: str) -> Question:
    question = Question.objects.filter(pk=value).first()
    if question is None:
        raise ValidationError(f"{field}: no question with id {value}.", field=field)
    return question


class PairListCreateView(GenericAPIView):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = s.PairSerializer
    filter_backends = []

    @extend_schema(summary="Conditional pairs, with the crowd on each branch", tags=TAGS,
                   responses={200: s.PairSerializer(many=True)})
    def get(self, request):
        page = self.paginate_queryset(selectors.pair_list(include_drafts=request.user.is_staff))
        return self.get_paginated_response(s.PairSerializer(page, many=True).data)

    @extend_schema(summary="Create a conditional pair (admins)", tags=TAGS, request=s.PairCreateSerializer,
                   responses={201: s.PairSerializer, **ERRORS})
    def post(self, request):
        data = s.PairCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = pair_create(parent=_question(data.validated_data["parent"], field="parent"),
                           child=_question(data.validated_data["child"], field="child"), created_by=request.user)
        return Response(s.PairSerializer(pair).data, status=status.HTTP_201_CREATED)


class PairDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="A conditional pair: both branches and the crowd on each", tags=TAGS,
                   responses={200: s.PairSerializer, 404: ERRORS[404]})
    def get(self, request, pk):
        return Response(s.PairSerializer(_pair(request, pk)).data)


class PairForecastsView(GenericAPIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "forecasts"
    serializer_class = s.ConditionalForecastSerializer
    filter_backends = []

    @extend_schema(summary="Your own forecast history on this pair", tags=TAGS,
                   responses={200: s.ConditionalForecastSerializer(many=True)})
    def get(self, request, pk):
        page = self.paginate_queryset(selectors.pair_history(pair=_pair(request, pk), user=request.user))
        return self.get_paginated_response(s.ConditionalForecastSerializer(page, many=True).data)

    @extend_schema(summary="Forecast both branches", tags=TAGS, request=s.ConditionalForecastInSerializer,
                   description='{"p_yes": P(child | parent Yes), "p_no": P(child | parent No), "rationale": "..."}. '
                               "An update is a new forecast; older ones are kept.",
                   responses={201: s.ConditionalForecastSerializer, **ERRORS})
    def post(self, request, pk):
        pair = _pair(request, pk)
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise ValidationError("The body must be a JSON object.", field="non_field_errors")
        for name in ("p_yes", "p_no"):
            if name not in data:
                raise ValidationError(f"{name} is required: a probability between 0.001 and 0.999.", field=name)
        forecast = conditional_forecast_create(pair=pair, user=request.user, p_yes=data["p_yes"], p_no=data["p_no"],
                                               rationale=data.get("rationale", ""))
        return Response(s.ConditionalForecastSerializer(forecast).data, status=status.HTTP_201_CREATED)


class PairWithdrawView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "forecasts"

    @extend_schema(summary="Withdraw your forecast on both branches", tags=TAGS, request=None,
                   responses={204: None, **ERRORS})
    def delete(self, request, pk):
        conditional_forecast_withdraw(pair=_pair(request, pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PairCommunityView(GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = s.ConditionalCommunityPointSerializer
    filter_backends = []

    @extend_schema(summary="The crowd on each branch over time", tags=TAGS,
                   responses={200: s.ConditionalCommunityPointSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, pk):
        pair = _pair(request, pk)
        if not selectors.pair_revealed(pair):
            raise NotFound("The community forecast of this pair is hidden until both questions reveal theirs.")
        page = self.paginate_queryset(selectors.pair_community_points(pair=pair))
        return self.get_paginated_response(s.ConditionalCommunityPointSerializer(page, many=True).data)


class PairScoresView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="Scores on the branch that happened (the other branch is annulled)", tags=TAGS,
                   responses={200: s.ConditionalScoreSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, pk):
        pair = _pair(request, pk)
        return Response(s.ConditionalScoreSerializer(selectors.pair_scores(pair=pair), many=True).data)


class PairBulkForecastView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "forecasts"

    @extend_schema(summary="Forecast many conditional pairs at once (all or nothing)", tags=TAGS,
                   request=s.BulkInSerializer, responses={201: s.BulkOutSerializer, **ERRORS})
    def post(self, request):
        items = request.data.get("forecasts") if isinstance(request.data, dict) else None
        forecasts = conditional_forecasts_bulk_create(user=request.user, items=items)
        return Response({"forecasts": s.ConditionalForecastSerializer(forecasts, many=True).data},
                        status=status.HTTP_201_CREATED)
