"""Scoring API routes, included into /api/v1/ by forecasting/urls.py."""
from django.urls import path

from forecasting.scoring.api import baserate, views

urlpatterns = [
    path("questions/<int:pk>/scores/", views.QuestionScoresView.as_view(), name="question-scores"),
    path("questions/<int:pk>/scores.csv", views.QuestionExportView.as_view(what="scores"), name="question-scores-csv"),
    path(
        "questions/<int:pk>/forecasts.csv", views.QuestionExportView.as_view(what="forecasts"),
        name="question-forecasts-csv",
    ),
    path("questions/<int:pk>/base-rate/", baserate.QuestionBaseRateView.as_view(), name="question-base-rate"),
    path("leaderboards/base-rate/", baserate.LeaderboardBaseRateView.as_view(), name="leaderboard-base-rate"),
    path("leaderboards/", views.LeaderboardView.as_view(), name="leaderboard"),
    path("leaderboards/scopes/", views.LeaderboardScopesView.as_view(), name="leaderboard-scopes"),
    path("leaderboards/export.csv", views.LeaderboardExportView.as_view(), name="leaderboard-csv"),
    path("users/<str:username>/calibration/", views.CalibrationView.as_view(), name="user-calibration"),
    path("users/<str:username>/track-record/", views.TrackRecordView.as_view(), name="user-track-record"),
    path("community/calibration/", views.CommunityCalibrationView.as_view(), name="community-calibration"),
]
