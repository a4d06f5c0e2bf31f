"""Leaderboard, calibration, profile and export pages, included at the site root by forecasting/urls.py."""
from django.urls import path

from forecasting.scoring import pages

app_name = "scoring"
urlpatterns = [
    path("help/", pages.help_page, name="help"),
    path("leaderboards/", pages.leaderboard_page, name="leaderboard"),
    path("leaderboards/export.csv", pages.leaderboard_csv, name="leaderboard-csv"),
    path("users/<str:username>/", pages.user_profile, name="profile"),
    path("users/<str:username>/calibration/", pages.user_calibration, name="calibration"),
    path("community/calibration/", pages.community_calibration, name="community-calibration"),
    path("questions/<slug:slug>/scores.csv", pages.question_scores_csv, name="question-scores-csv"),
    path("questions/<slug:slug>/forecasts.csv", pages.question_forecasts_csv, name="question-forecasts-csv"),
]
