from django.urls import path
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import SimpleRouter
from drf_spectacular.utils import extend_schema

from forecasting.api.questions import BulkForecastView, QuestionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("questions", QuestionViewSet, basename="question")


class TokenView(ObtainAuthToken):
    """POST username and password, get a token for `Authorization: Token <key>`."""

    @extend_schema(summary="Get an API token", tags=["auth"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("forecasts/bulk/", BulkForecastView.as_view(), name="forecasts-bulk"),
]
