"""GET /api/v1/search/?q=: the search page's results as JSON, grouped by kind (forecasting.search.selectors)."""
from django.core.paginator import Paginator
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting.search.selectors import KINDS, search_everything

MAX_PAGE_SIZE = 50


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, trim_whitespace=True, default="")
    kind = serializers.ChoiceField(choices=KINDS, required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=100000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=10)


class QuestionHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    type = serializers.CharField()
    trial = serializers.CharField(source="trial.name", allow_null=True, default=None)
    asset = serializers.CharField(source="asset.name", allow_null=True, default=None)
    url = serializers.CharField(source="get_absolute_url", help_text="The question's page on this site.")


class AssetHitSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    aliases = serializers.SerializerMethodField()
    sponsor = serializers.CharField(source="sponsor.name", allow_null=True, default=None)
    url = serializers.CharField(source="get_absolute_url")

    def get_aliases(self, asset) -> list[str]:
        return [alias.name for alias in asset.aliases.all()]


class TrialHitSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    acronym = serializers.CharField()
    registry_id = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")


class NewsHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    title = serializers.CharField()
    source = serializers.CharField()
    url = serializers.CharField(help_text="The source's link; may be empty.")


HIT_SERIALIZERS = {"questions": QuestionHitSerializer, "assets": AssetHitSerializer,
                   "trials": TrialHitSerializer, "news": NewsHitSerializer}


def _group_serializer(kind: str):
    return type(f"Search{kind.title()}GroupSerializer", (serializers.Serializer,), {
        "count": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "pages": serializers.IntegerField(),
        "results": HIT_SERIALIZERS[kind](many=True),
    })


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    questions = _group_serializer("questions")(required=False)
    assets = _group_serializer("assets")(required=False)
    trials = _group_serializer("trials")(required=False)
    news = _group_serializer("news")(required=False)


class SearchView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Search questions, assets, trials and news",
        description=(
            "One search box for the whole site: questions (by title, or by their trial's or asset's names, aliases, "
            "development codes and NCT id), assets (name, aliases, codes), trials (acronym, NCT id, title) and news. "
            "Punctuation and spaces are ignored ('successor 2' finds SUCCESSOR-2); on PostgreSQL every word is also "
            "a prefix ('mezi' finds Mezigdomide). Drafts are found by admins only. Every group is paginated by "
            "page and page_size; kind returns one group."
        ),
        parameters=[
            OpenApiParameter("q", str, description="The text to search for; empty finds nothing."),
            OpenApiParameter("kind", str, enum=list(KINDS), description="Only this group."),
            OpenApiParameter("page", int, description="Page of each group returned, from 1 (default 1)."),
            OpenApiParameter("page_size", int, description=f"Rows per group, 1-{MAX_PAGE_SIZE} (default 10)."),
        ],
        responses={200: SearchResultsSerializer},
        tags=["search"],
    )
    def get(self, request):
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        results = search_everything(text=data["q"], user=request.user)
        body = {"query": results.text}
        for kind in ((data["kind"],) if data.get("kind") else KINDS):
            if not results.words:
                body[kind] = {"count": 0, "page": 1, "pages": 1, "results": []}
                continue
            page = Paginator(results.group(kind), data["page_size"]).get_page(data["page"])
            body[kind] = {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": HIT_SERIALIZERS[kind](page.object_list, many=True).data,
            }
        return Response(body)


urlpatterns = [path("search/", SearchView.as_view(), name="api-search")]
