"""Conditional-pair API routes, included into /api/v1/ by forecasting/urls.py."""
from django.urls import path

from forecasting.conditional.api import views

urlpatterns = [
    path("conditional-pairs/", views.PairListCreateView.as_view(), name="conditional-pair-list"),
    path("conditional-pairs/forecasts/bulk/", views.PairBulkForecastView.as_view(), name="conditional-forecasts-bulk"),
    path("conditional-pairs/<int:pk>/", views.PairDetailView.as_view(), name="conditional-pair-detail"),
    path("conditional-pairs/<int:pk>/forecasts/", views.PairForecastsView.as_view(), name="conditional-forecasts"),
    path("conditional-pairs/<int:pk>/forecasts/current/", views.PairWithdrawView.as_view(),
         name="conditional-forecast-withdraw"),
    path("conditional-pairs/<int:pk>/community/", views.PairCommunityView.as_view(), name="conditional-community"),
    path("conditional-pairs/<int:pk>/scores/", views.PairScoresView.as_view(), name="conditional-scores"),
]
