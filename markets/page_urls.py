"""Market pages, included at /markets/ (forecasting/urls.py: path("markets/", include("markets.page_urls")))."""
from django.urls import path

from markets import pages

app_name = "markets"
urlpatterns = [
    path("", pages.markets_index_page, name="index"),
    path("portfolio/", pages.portfolio_page, name="portfolio"),
    path("leaderboard/", pages.leaderboard_page, name="leaderboard"),
    path("<int:pk>/trade/", pages.trade_submit, name="trade"),
]
