"""Question and forecast endpoints. Views validate the shape of input and call one service or selector."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.errors import StateError, ValidationError
from forecasting.api.ids import is_id
from forecasting.api.permissions import IsStaffOrReadOnly
from forecasting.forecasts import selectors
from forecasting.forecasts.services.forecasts import forecast_create, forecast_withdraw, forecasts_bulk_create
from forecasting.questions import selectors as question_selectors
from forecasting.questions.api import serializers as s
from markets.models import Question
from markets.services import question_create, question_open, question_update

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names the field and what is allowed."),
    401: OpenApiResponse(description="Not logged in."),
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such question."),
    409: OpenApiResponse(description="The question is not accepting this action in its current state."),
    413: OpenApiResponse(description="Request body too large."),
}
FORECAST_FIELDS = ("probability", "cdf", "quantiles", "probabilities")


def _forecast_values(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.", field="non_field_errors")
    return {name: data[name] for name in FORECAST_FIELDS if name in data}


@extend_schema_view(
    list=extend_schema(
        summary="List questions",
        parameters=[
            OpenApiParameter("asset", str, description="Asset slug"),
            OpenApiParameter("trial", str, description="Trial slug"),
            OpenApiParameter("status", str, enum=Question.Status.values),
            OpenApiParameter("type", str, enum=Question.Type.values),
            OpenApiParameter("q", str, description="Search in titles"),
            OpenApiParameter("ordering", str, enum=["close", "-close", "forecasters", "-forecasters", "new"]),
        ],
    ),
    retrieve=extend_schema(summary="A question, with the community forecast once revealed"),
    create=extend_schema(
        summary="Create a question (admins)", request=s.QuestionWriteSerializer,
        responses={201: s.QuestionDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Edit a question (admins)", request=s.QuestionWriteSerializer,
        responses={200: s.QuestionDetailSerializer, **ERRORS},
    ),
)
class QuestionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsStaffOrReadOnly]
    filter_backends = []  # filtering is done by the selector, documented above
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    throttle_scope = None  # set per action: forecast writes are rate-limited (forecasting.accounts.throttling)

    def get_queryset(self):
        params = self.request.query_params
        filters = {name: params.get(name) for name in ("asset", "trial", "status", "type", "q")}
        return question_selectors.question_list(
            filters=filters, ordering=params.get("ordering", "close"), include_drafts=self.request.user.is_staff
        )

    def get_serializer_class(self):
        if self.action == "list":
            return s.QuestionListSerializer
        if self.action in ("create", "partial_update"):
            return s.QuestionWriteSerializer
        return s.QuestionDetailSerializer

    def list(self, request, *args, **kwargs):
        # The resolution's evidence (source, url, note) is annotated: no query per row.
        queryset = question_selectors.annotate_resolution(self.get_queryset().only(*s.QuestionListSerializer.columns()))
        page = self.paginate_queryset(queryset)
        context = {**self.get_serializer_context(), "community_map": selectors.community_latest_map(questions=page)}
        return self.get_paginated_response(s.QuestionListSerializer(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        question = self.get_object(with_resolution=True)
        context = {**self.get_serializer_context(), "community": selectors.community_latest(question=question)}
        return Response(s.QuestionDetailSerializer(question, context=context).data)

    def create(self, request, *args, **kwargs):
        serializer = s.QuestionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = question_create(created_by=request.user, **serializer.validated_data)
        return Response(s.QuestionDetailSerializer(question).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        question = self.get_object()
        serializer = s.QuestionWriteSerializer(question, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        wanted = fields.pop("status", None)
        if wanted is not None and wanted != question.status and not (
            wanted == Question.Status.OPEN and question.status == Question.Status.DRAFT
        ):
            # Answering 200 and ignoring the status misled clients into thinking the question was unpublished.
            raise StateError(
                f"status cannot change from {question.status} to {wanted}: the only status change an edit makes is "
                "publishing a draft (draft to open). Close, resolve or annul a question with their own actions.",
                field="status",
            )
        publish = wanted == Question.Status.OPEN and question.status == Question.Status.DRAFT
        question = question_update(question=question, **fields)
        if publish:
            question = question_open(question=question)
        return Response(s.QuestionDetailSerializer(question).data)

    def get_object(self, *, with_resolution: bool = False):
        """The question named in the URL (drafts for staff only); ``with_resolution`` reads the evidence its
        ``resolution`` shows in the same query (``question_selectors.annotate_resolution``)."""
        if not is_id(str(self.kwargs["pk"])):  # the router's pattern lets "null,null" through to the lookup
            raise NotFound("No such question: question ids are whole numbers.")
        queryset = Question.objects.select_related("asset", "trial", "endpoint")
        if with_resolution:
            queryset = question_selectors.annotate_resolution(queryset)
        if not self.request.user.is_staff:
            queryset = queryset.filter_visible()
        question = get_object_or_404(queryset, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, question)
        return question

    @extend_schema(
        methods=["GET"], summary="Your own forecast history on this question", responses={200: s.ForecastSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        summary="Submit or update your forecast",
        description=(
            'Binary: {"probability": 0.35}. Numeric: {"cdf": [201 values]} or '
            '{"quantiles": {"0.1": x, "0.5": y, "0.9": z}}. Date: {"quantiles": {"0.1": "2027-03-01", "0.5": '
            '"2027-06-12", "0.9": "2027-10-30"}} (ISO dates; errors name quantiles.q50) or {"cdf": [...]}. '
            'Multiple choice: {"probabilities": [p_0, p_1, ...]}, '
            "one per option in the question's option order, each in [0.001, 0.999], summing to 1 (within 1e-6). "
            'Optional "rationale". An update is a new forecast; '
            "older ones are kept."
        ),
        request=s.ForecastInSerializer,
        responses={201: s.ForecastSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[permissions.IsAuthenticated],
            throttle_scope="forecasts")
    def forecasts(self, request, pk=None):
        question = self.get_object()
        if request.method == "GET":
            history = selectors.forecast_history(question=question, user=request.user)
            page = self.paginate_queryset(history)
            return self.get_paginated_response(s.ForecastSerializer(page, many=True).data)
        data = request.data
        values = _forecast_values(data)
        forecast = forecast_create(question=question, user=request.user, rationale=data.get("rationale", ""), **values)
        return Response(s.ForecastSerializer(forecast).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw your current forecast", request=None, responses={204: None, **ERRORS},
    )
    @action(
        detail=True, methods=["delete"], url_path="forecasts/current", permission_classes=[permissions.IsAuthenticated],
        throttle_scope="forecasts",
    )
    def withdraw(self, request, pk=None):
        forecast_withdraw(question=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The community forecast over time (each point with its timestamp)",
        parameters=[OpenApiParameter("include_cdf", bool, description="Numeric: include each point's mean CDF")],
        responses={200: s.CommunityPointWithCdfSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def community(self, request, pk=None):
        question = self.get_object()
        if not question.is_revealed():
            raise NotFound("The community forecast of this question is hidden until its reveal time.")
        qs = selectors.community_points(question=question)
        page = self.paginate_queryset(qs)
        # Every point has the documented "cdf" key (the schema promised it; it was missing): null unless asked for.
        omit_cdf = request.query_params.get("include_cdf") not in ("1", "true")
        context = {"question": question, "omit_cdf": omit_cdf}
        return self.get_paginated_response(s.CommunityPointWithCdfSerializer(page, many=True, context=context).data)


class BulkForecastView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "forecasts"  # one request counts once, however many forecasts it carries

    @extend_schema(
        summary="Submit forecasts on many questions at once (all or nothing)",
        request=s.BulkForecastInSerializer,
        responses={201: s.BulkForecastOutSerializer, **ERRORS},
    )
    def post(self, request):
        items = request.data.get("forecasts") if isinstance(request.data, dict) else None
        forecasts = forecasts_bulk_create(user=request.user, items=items)
        return Response({"forecasts": s.ForecastSerializer(forecasts, many=True).data}, status=status.HTTP_201_CREATED)
