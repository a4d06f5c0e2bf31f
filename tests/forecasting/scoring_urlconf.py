"""The project's URLs plus the scoring routes, for tests until forecasting/urls.py includes them (the lead adds
`path("", include("forecasting.api.scoring_urls"))` to api_v1 and `path("", include("forecasting.scoring_page_urls"))`
to urlpatterns). Harmless afterwards: Django resolves the first match."""
from django.urls import include, path

from forecasting.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("forecasting.api.scoring_urls")),
    path("", include("forecasting.scoring_page_urls")),
    *project_urlpatterns,
]
