"""The search page, included at /search/."""
from django.urls import path

from forecasting.search import pages

app_name = "search"
urlpatterns = [
    path("", pages.search_page, name="results"),
]
