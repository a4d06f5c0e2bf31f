"""Market API routes, included in forecasting/urls.py's api_v1 list with path("", include("markets.api.urls"))."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from markets.api.views import MarketLeaderboardView, MarketViewSet, MyTradesView, PortfolioView

router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False  # as forecasting/urls.py: no undocumented ".json" routes
router.include_root_view = False
router.register("markets", MarketViewSet, basename="market")

urlpatterns = [
    path("markets/leaderboard/", MarketLeaderboardView.as_view(), name="market-leaderboard"),
    path("me/portfolio/", PortfolioView.as_view(), name="me-portfolio"),
    path("me/trades/", MyTradesView.as_view(), name="me-trades"),
    *router.urls,
]
