"""Conditional-pair pages, included at /conditional/."""
from django.urls import path

from forecasting.conditional import pages

app_name = "conditional"
urlpatterns = [
    path("", pages.pair_list, name="list"),
    path("<slug:slug>/", pages.pair_detail, name="detail"),
    path("<slug:slug>/withdraw/", pages.pair_withdraw, name="withdraw"),
    path("<slug:slug>/scores.csv", pages.pair_scores_download, name="scores-csv"),
    path("<slug:slug>/forecasts.csv", pages.pair_forecasts_download, name="forecasts-csv"),
]
