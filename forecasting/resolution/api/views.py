"""Resolution endpoints: readouts, proposed resolutions, resolving and unresolving questions, the audit trail.

Only resolvers (staff or the "resolvers" group) write; the readout list and a question's resolution events are
public (readouts not yet public, known_at in the future, are shown to staff only). Views check the shape of the
input and call one service; the services' domain errors become 400/403/409 (forecasting/api/exceptions.py).
"""
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, permissions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.errors import ValidationError
from assets.models import Endpoint, Readout, Trial
from forecasting.api.ids import is_id
from forecasting.api.permissions import IsResolver, is_resolver
from forecasting.resolution.api.registry import RegistryChangeSerializer
from forecasting.resolution.models import ProposedResolution, ResolutionEvent
from forecasting.resolution.services import readouts
from forecasting.resolution.services import resolution as services
from markets.models import Question
from markets.units import milli_to_decimal

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names the field and what is allowed."),
    403: OpenApiResponse(description="Only admins (staff or the resolvers group) may do this."),
    404: OpenApiResponse(description="Not found."),
    409: OpenApiResponse(description="Not allowed in the current state (e.g. already resolved)."),
}


def trial_lookup(value) -> Trial | None:
    """A trial by id, slug, NCT id or acronym."""
    text = str(value).strip()
    if not text:
        return None
    query = Q(slug=text) | Q(registry_id__iexact=text) | Q(acronym__iexact=text)
    if is_id(text):
        query |= Q(pk=int(text))
    return Trial.objects.filter(query).first()


# ----------------------------------------------------------------------------------------------------------------
# Serializers
# ----------------------------------------------------------------------------------------------------------------
class ProposalBriefSerializer(serializers.ModelSerializer):
    question_title = serializers.CharField(source="question.title", read_only=True)

    class Meta:
        model = ProposedResolution
        fields = ["id", "question", "question_title", "outcome", "status"]


class ReadoutOutSerializer(serializers.ModelSerializer):
    trial = serializers.CharField(source="trial.name", read_only=True)
    trial_slug = serializers.CharField(source="trial.slug", read_only=True)
    endpoint = serializers.CharField(source="endpoint.code", read_only=True)

    class Meta:
        model = Readout
        fields = [
            "id", "trial", "trial_slug", "endpoint", "metric", "value", "ci_lower", "ci_upper", "p_value",
            "experimental_value", "control_value", "source", "url", "known_at", "note", "created_at",
        ]


class ReadoutCreatedSerializer(ReadoutOutSerializer):
    proposals = ProposalBriefSerializer(many=True, read_only=True, source="proposed_resolutions")

    class Meta(ReadoutOutSerializer.Meta):
        fields = ReadoutOutSerializer.Meta.fields + ["proposals"]


class ReadoutInSerializer(serializers.Serializer):
    trial = serializers.CharField(help_text="Trial id, slug, NCT id or acronym.")
    endpoint = serializers.CharField(help_text="Endpoint code, e.g. PFS.")
    metric = serializers.ChoiceField(choices=Readout.Metric.choices)
    value = serializers.FloatField()
    ci_lower = serializers.FloatField(required=False, allow_null=True)
    ci_upper = serializers.FloatField(required=False, allow_null=True)
    p_value = serializers.FloatField(required=False, allow_null=True)
    experimental_value = serializers.FloatField(required=False, allow_null=True)
    control_value = serializers.FloatField(required=False, allow_null=True)
    source = serializers.CharField(max_length=300, help_text="Conference, abstract or publication.")
    url = serializers.CharField(required=False, allow_blank=True, default="")
    known_at = serializers.DateTimeField(help_text="When the result became public (a naive time is read as UTC).")
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_trial(self, value):
        trial = trial_lookup(value)
        if trial is None:
            raise serializers.ValidationError(f"No trial with id, slug, NCT id or acronym {value!r}.")
        return trial

    def validate_endpoint(self, value):
        endpoint = Endpoint.objects.filter(code__iexact=value.strip()).first()
        if endpoint is None:
            codes = ", ".join(Endpoint.objects.values_list("code", flat=True))
            raise serializers.ValidationError(f"No endpoint with code {value!r} (known: {codes}).")
        return endpoint


class ProposalSerializer(serializers.ModelSerializer):
    question_title = serializers.CharField(source="question.title", read_only=True)
    question_type = serializers.CharField(source="question.type", read_only=True)
    binding = serializers.SerializerMethodField()
    readout = ReadoutOutSerializer(read_only=True, allow_null=True)
    registry_change = RegistryChangeSerializer(read_only=True, allow_null=True)
    known_at = serializers.DateTimeField(source="evidence_known_at", read_only=True)
    source = serializers.CharField(source="evidence_source", read_only=True)
    url = serializers.CharField(source="evidence_url", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None, allow_null=True)
    outcome_display = serializers.CharField(
        read_only=True, help_text='The proposed outcome in words: "Yes", "No", "0.64 hazard ratio", "15 Jun 2027" '
                                  '(date questions), "Annul".')

    class Meta:
        model = ProposedResolution
        fields = [
            "id", "question", "question_title", "question_type", "binding", "basis", "outcome", "status", "readout",
            "registry_change", "known_at", "source", "url", "note", "created_at", "decided_by", "decided_at",
            "outcome_display",
        ]
        extra_kwargs = {"outcome": {"help_text": "1 or 0 (binary), the value (numeric), POSIX seconds of the date at "
                                                 "00:00 UTC (date), the option's index (multiple choice); null "
                                                 "proposes annulment."}}

    def get_binding(self, proposal) -> str:
        question = proposal.question
        return question.binding_summary or question.registry_binding_summary


class NoteInSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UnresolveInSerializer(NoteInSerializer):
    accept_house_cover = serializers.DecimalField(
        max_digits=15, decimal_places=3, required=False, allow_null=True, default=None, coerce_to_string=False,
        help_text="Points the house may pay in for payouts that winners already spent (see GET .../unresolve/: "
                  "house_cover). Needed, at least that figure, when it is above 0; bounded by the site's limit.",
    )


class UnresolvePreviewSerializer(serializers.Serializer):
    house_cover = serializers.DecimalField(max_digits=15, decimal_places=3, coerce_to_string=False,
                                           help_text="Points the house would pay in if unresolved now.")
    traders_short = serializers.IntegerField(help_text="Traders who already spent (part of) their payout.")
    limit = serializers.DecimalField(max_digits=15, decimal_places=3, coerce_to_string=False,
                                     help_text="The most the house may pay in for one unresolve.")


class ResolveInSerializer(serializers.Serializer):
    outcome = serializers.JSONField(
        help_text='"yes", "no", a number (numeric questions), a date "YYYY-MM-DD" (date questions), an option\'s '
                  'index or label (multiple-choice questions) or "annulled".'
    )
    known_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="When the answer became public (required unless annulled; a naive time is read as UTC).",
    )
    source = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    url = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ResolutionEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = ResolutionEvent
        fields = ["id", "action", "outcome", "known_at", "source", "url", "note", "readout", "proposal", "actor",
                  "created_at"]


class QuestionResolutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "slug", "status", "outcome", "known_at", "actual_close_time", "resolved_at"]


# ----------------------------------------------------------------------------------------------------------------
# Readouts
# ----------------------------------------------------------------------------------------------------------------
class ReadoutListCreateView(ListAPIView):
    serializer_class = ReadoutOutSerializer
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter, filters.SearchFilter]
    search_fields = ["trial__acronym", "trial__registry_id", "trial__title", "endpoint__code", "source"]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsResolver()]
        return [permissions.AllowAny()]

    def get_queryset(self):
        qs = Readout.objects.select_related("trial", "endpoint").order_by("-known_at", "pk")
        if not is_resolver(self.request.user):
            qs = qs.filter(known_at__lte=timezone.now())  # an embargoed readout would leak the answer
        params = self.request.query_params
        if params.get("trial"):
            trial = trial_lookup(params["trial"])
            qs = qs.filter(trial=trial) if trial else qs.none()
        if params.get("endpoint"):
            qs = qs.filter(endpoint__code__iexact=params["endpoint"])
        if params.get("metric"):
            qs = qs.filter(metric=params["metric"])
        return qs

    @extend_schema(
        summary="List readouts (public once known_at has passed; staff see all)",
        parameters=[
            OpenApiParameter("trial", str, description="Trial id, slug, NCT id or acronym"),
            OpenApiParameter("endpoint", str, description="Endpoint code, e.g. PFS"),
            OpenApiParameter("metric", str, enum=Readout.Metric.values),
        ],
        tags=["resolution"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Enter a readout (admins); proposes resolutions for the questions bound to it",
        request=ReadoutInSerializer, responses={201: ReadoutCreatedSerializer, **ERRORS}, tags=["resolution"],
    )
    def post(self, request, *args, **kwargs):
        serializer = ReadoutInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        readout = readouts.readout_create(created_by=request.user, **serializer.validated_data)
        return Response(ReadoutCreatedSerializer(readout).data, status=status.HTTP_201_CREATED)


# ----------------------------------------------------------------------------------------------------------------
# Proposals
# ----------------------------------------------------------------------------------------------------------------
class ProposalListView(ListAPIView):
    serializer_class = ProposalSerializer
    permission_classes = [IsResolver]
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter, filters.SearchFilter]
    search_fields = ["question__title", "question__slug", "readout__trial__acronym", "readout__trial__registry_id"]

    def get_queryset(self):
        qs = ProposedResolution.objects.select_related(
            "question__trial", "question__endpoint", "readout__trial", "readout__endpoint", "decided_by",
            "registry_change__trial",
        ).order_by("question_id", Coalesce("readout__known_at", "known_at"), "pk")
        wanted = self.request.query_params.get("status", ProposedResolution.Status.PENDING)
        if wanted != "all":
            if wanted not in ProposedResolution.Status.values:
                raise ValidationError(
                    f"status must be one of {', '.join(ProposedResolution.Status.values)} or all.", field="status"
                )
            qs = qs.filter(status=wanted)
        readout = self.request.query_params.get("readout")
        if readout:
            if not is_id(readout):
                raise ValidationError(f"readout must be a readout id (a whole number), got {readout!r}.",
                                      field="readout")
            qs = qs.filter(readout_id=int(readout))
        return qs

    @extend_schema(
        summary="Proposed resolutions (admins); pending by default",
        parameters=[
            OpenApiParameter("status", str, enum=[*ProposedResolution.Status.values, "all"]),
            OpenApiParameter("readout", int),
        ],
        tags=["resolution"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _proposal_decide(request, pk, decide):
    """Confirm or reject one proposal with an optional note; ``decide`` is the service."""
    proposal = get_object_or_404(ProposedResolution, pk=pk)
    serializer = NoteInSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    proposal = decide(proposal=proposal, actor=request.user, **serializer.validated_data)
    return Response(ProposalSerializer(proposal).data)


class ProposalConfirmView(APIView):
    permission_classes = [IsResolver]

    @extend_schema(
        summary="Confirm a proposal: resolve its question from the readout", request=NoteInSerializer,
        responses={200: ProposalSerializer, **ERRORS}, tags=["resolution"],
    )
    def post(self, request, pk):
        return _proposal_decide(request, pk, services.proposal_confirm)


class ProposalRejectView(APIView):
    permission_classes = [IsResolver]

    @extend_schema(
        summary="Reject a proposal", request=NoteInSerializer, responses={200: ProposalSerializer, **ERRORS},
        tags=["resolution"],
    )
    def post(self, request, pk):
        return _proposal_decide(request, pk, services.proposal_reject)


class ProposalConfirmAllView(APIView):
    permission_classes = [IsResolver]

    @extend_schema(
        summary="Confirm every pending proposal (optionally of one readout)",
        request=inline_serializer("ConfirmAllIn", {"readout": serializers.IntegerField(required=False)}),
        responses={200: inline_serializer("ConfirmAllOut", {
            "confirmed": ProposalSerializer(many=True),
            "failed": inline_serializer("ConfirmAllFailure", {
                "proposal": serializers.IntegerField(), "error": serializers.CharField(),
            }, many=True),
        }), **ERRORS},
        tags=["resolution"],
    )
    def post(self, request):
        readout = None
        readout_id = request.data.get("readout") if isinstance(request.data, dict) else None
        if readout_id is not None:
            readout = Readout.objects.filter(pk=readout_id).first() if is_id(str(readout_id)) else None
            if readout is None:
                raise ValidationError(f"No readout with id {readout_id!r}.", field="readout")
        result = services.proposals_confirm_all(actor=request.user, readout=readout)
        return Response({
            "confirmed": ProposalSerializer(result.confirmed, many=True).data,
            "failed": [{"proposal": p.pk, "error": message} for p, message in result.failed],
        })


# ----------------------------------------------------------------------------------------------------------------
# Questions
# ----------------------------------------------------------------------------------------------------------------
def _question(request, pk) -> Question:
    qs = Question.objects.all() if request.user.is_staff else Question.objects.filter_visible()
    return get_object_or_404(qs, pk=pk)


def _question_act(request, pk, serializer_class, act):
    """Resolve or unresolve one question with the body ``serializer_class`` accepts; ``act`` is the service."""
    question = _question(request, pk)
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    question = act(question=question, actor=request.user, **serializer.validated_data)
    return Response(QuestionResolutionSerializer(question).data)


class QuestionResolveView(APIView):
    permission_classes = [IsResolver]

    @extend_schema(
        summary="Resolve a question by hand (admins)",
        description='{"outcome": "yes" | "no" | number | option index or label | "annulled", "known_at": ..., '
                    '"source": ..., "note": ...}. '
                    "known_at is required unless annulling. The question's market settles and its forecasts are "
                    "scored in the background.",
        request=ResolveInSerializer, responses={200: QuestionResolutionSerializer, **ERRORS}, tags=["resolution"],
    )
    def post(self, request, pk):
        return _question_act(request, pk, ResolveInSerializer, services.question_resolve_manual)


class QuestionUnresolveView(APIView):
    permission_classes = [IsResolver]

    @extend_schema(
        summary="Unresolve a resolved or annulled question (admins); it goes back to closed and its scores are cleared",
        description="If winners already spent their payouts the house pays in what cannot be taken back: send "
                    "accept_house_cover of at least the figure GET returns, or the request is refused (409, code "
                    "house_cover) and nothing changes.",
        request=UnresolveInSerializer, responses={200: QuestionResolutionSerializer, **ERRORS}, tags=["resolution"],
    )
    def post(self, request, pk):
        return _question_act(request, pk, UnresolveInSerializer, services.question_unresolve_manual)

    @extend_schema(
        summary="What unresolving the question now would cost the house (admins)",
        responses={200: UnresolvePreviewSerializer, **ERRORS}, tags=["resolution"],
    )
    def get(self, request, pk):
        plan = services.question_unresolve_preview(question=_question(request, pk))
        return Response(UnresolvePreviewSerializer({
            "house_cover": milli_to_decimal(plan.house_cover), "traders_short": len(plan.shortfalls),
            "limit": milli_to_decimal(services.unresolve_max_house_cover()),
        }).data)


class QuestionResolutionEventsView(ListAPIView):
    serializer_class = ResolutionEventSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]  # a handful of rows: no ?search=

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no question
            return ResolutionEvent.objects.none()
        question = _question(self.request, self.kwargs["pk"])
        return ResolutionEvent.objects.filter(question=question).select_related("actor").order_by("created_at", "pk")

    @extend_schema(summary="A question's resolution audit trail (public)", tags=["resolution"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


__all__ = [
    "ProposalConfirmAllView", "ProposalConfirmView", "ProposalListView", "ProposalRejectView",
    "QuestionResolutionEventsView", "QuestionResolveView", "QuestionUnresolveView", "ReadoutListCreateView",
]
