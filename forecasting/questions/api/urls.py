"""Question API routes: the question viewset (served by the project router in forecasting/urls.py) and bulk
forecasts."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from forecasting.questions.api.views import BulkForecastView, QuestionViewSet

router = SimpleRouter(trailing_slash=True)
router.register("questions", QuestionViewSet, basename="question")

urlpatterns = [
    path("forecasts/bulk/", BulkForecastView.as_view(), name="forecasts-bulk"),
]
