"""The project's URLs plus the market pages, for tests that run before forecasting/urls.py includes them."""
from django.urls import include, path

from forecasting.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "markets" for p in urlpatterns):
    urlpatterns.append(path("markets/", include("markets.page_urls")))
