"""Question and forecasting pages, included at /questions/. Fixed paths come before the slug pattern (the question
slug service must not hand out "mine" or "new")."""
from django.urls import path

from forecasting.questions import pages

app_name = "questions"
urlpatterns = [
    path("", pages.question_list, name="list"),
    path("mine/", pages.my_forecasts, name="mine"),
    path("new/", pages.question_new, name="new"),
    path("<slug:slug>/", pages.question_detail, name="detail"),
    path("<slug:slug>/withdraw/", pages.forecast_withdraw_view, name="withdraw"),
    path("<slug:slug>/edit/", pages.question_edit, name="edit"),
]
