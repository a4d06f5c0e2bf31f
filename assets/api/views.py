"""Read-only API for companies, assets, trials, news, indications and endpoints.

Every list runs a fixed number of queries whatever the page size: the querysets come from ``assets.selectors``
with the joins and prefetches their serializers need.
"""
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, status, viewsets
from rest_framework.exceptions import APIException, NotFound

from assets import selectors
from assets.api import serializers as s
from assets.filters import AssetFilter, CompanyFilter, NewsItemFilter, TrialFilter
from assets.models import Endpoint, Indication, Trial

# These endpoints search with the FilterSets' ``q`` (SearchFilter is not a project default: see settings).
FILTER_BACKENDS = [DjangoFilterBackend, filters.OrderingFilter]


class AmbiguousIdentifier(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "ambiguous_identifier"
    default_detail = "The identifier names several trials; use the NCT id."


def slug_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description)


@extend_schema_view(
    list=extend_schema(summary="List companies", description="Companies with their aliases, by name."),
    retrieve=extend_schema(
        summary="One company, by slug",
        parameters=[slug_parameter("slug", "The company's slug, e.g. bristol-myers-squibb.")],
    ),
)
class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.company_list_queryset()
    serializer_class = s.CompanySerializer
    lookup_field = "slug"
    filter_backends = FILTER_BACKENDS
    filterset_class = CompanyFilter
    ordering_fields = ["name"]


@extend_schema_view(
    list=extend_schema(
        summary="List assets",
        description="Drugs in development with sponsor, aliases, analyst commentary and the ids of their trials.",
    ),
    retrieve=extend_schema(
        summary="One asset, by slug", parameters=[slug_parameter("slug", "The asset's slug, e.g. mezigdomide.")]
    ),
)
class AssetViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.asset_api_queryset()
    serializer_class = s.AssetSerializer
    lookup_field = "slug"
    filter_backends = FILTER_BACKENDS
    filterset_class = AssetFilter
    ordering_fields = ["name", "updated_at"]


TRIAL_IDENTIFIER = OpenApiParameter(
    "identifier",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=(
        "The trial's NCT id (e.g. NCT05552976) or acronym (e.g. SUCCESSOR-2), ignoring case; "
        "the slug also works, for trials with neither."
    ),
)


@extend_schema_view(
    list=extend_schema(summary="List trials", description="Trials with sponsor, indication and asset slugs."),
    retrieve=extend_schema(
        summary="One trial, by NCT id or acronym",
        description="The trial with its arms, endpoints (primary, key secondary, secondary), timeline events and "
        "the readouts already public.",
        parameters=[TRIAL_IDENTIFIER],
        responses={
            200: s.TrialDetailSerializer,
            404: OpenApiResponse(description="No trial has that NCT id, acronym or slug."),
            409: OpenApiResponse(description="The acronym names several trials; use the NCT id."),
        },
    ),
)
class TrialViewSet(viewsets.ReadOnlyModelViewSet):
    filter_backends = FILTER_BACKENDS
    filterset_class = TrialFilter
    ordering_fields = ["acronym", "registry_id", "phase", "status", "updated_at"]
    lookup_url_kwarg = "identifier"
    # NCT ids, acronyms ("CheckMate 9DW", "KEYNOTE-A39") and slugs: anything but a slash.
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.trial_api_queryset(detail=self.action == "retrieve")

    def get_serializer_class(self):
        return s.TrialDetailSerializer if self.action == "retrieve" else s.TrialSerializer

    def get_object(self):
        identifier = self.kwargs[self.lookup_url_kwarg]
        try:
            trial = selectors.trial_find(identifier=identifier, queryset=self.get_queryset())
        except Trial.DoesNotExist as exc:
            raise NotFound(str(exc)) from exc
        except Trial.MultipleObjectsReturned as exc:
            raise AmbiguousIdentifier(str(exc)) from exc
        self.check_object_permissions(self.request, trial)
        return trial


@extend_schema_view(
    list=extend_schema(
        summary="List news",
        description="News items, newest first, with the ids of the companies, assets and trials they mention.",
    ),
    retrieve=extend_schema(
        summary="One news item",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The item's id.")],
    ),
)
class NewsItemViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.news_api_queryset()
    serializer_class = s.NewsItemSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = NewsItemFilter
    ordering_fields = ["date"]


@extend_schema_view(
    list=extend_schema(summary="List indications"),
    retrieve=extend_schema(
        summary="One indication, by slug", parameters=[slug_parameter("slug", "The indication's slug, e.g. rrmm.")]
    ),
)
class IndicationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Indication.objects.order_by("name")
    serializer_class = s.IndicationSerializer
    lookup_field = "slug"
    filter_backends = FILTER_BACKENDS
    ordering_fields = ["name"]


@extend_schema_view(
    list=extend_schema(summary="List endpoint kinds", description="PFS, OS, ORR, MRD, ... shared across trials."),
    retrieve=extend_schema(
        summary="One endpoint kind, by code",
        parameters=[slug_parameter("code", "The endpoint's code, e.g. PFS (case-sensitive).")],
    ),
)
class EndpointViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Endpoint.objects.order_by("code")
    serializer_class = s.EndpointSerializer
    lookup_field = "code"
    filter_backends = FILTER_BACKENDS
    ordering_fields = ["code"]
