"""The project's URLs plus the market pages (for tests that run before forecasting/urls.py includes them), and a
bare page that includes the market panel exactly as the question page does, for the browser test."""
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import include, path

from forecasting.urls import urlpatterns as project_urlpatterns
from markets.models import Question
from markets.selectors import market_panel_context

PANEL_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<h1>{{ question.title }}</h1>'
    '{% include "markets/_panel.html" with question=question %}{% endblock %}'
)


def panel_page(request, slug):
    question = get_object_or_404(Question, slug=slug)
    context = {"question": question, **market_panel_context(question=question, user=request.user)}
    return HttpResponse(PANEL_PAGE.render(context, request))


urlpatterns = [path("_test/market-panel/<slug:slug>/", panel_page), *project_urlpatterns]
if not any(getattr(p, "namespace", None) == "markets" for p in urlpatterns):
    urlpatterns.append(path("markets/", include("markets.page_urls")))
