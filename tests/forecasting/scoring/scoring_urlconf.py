"""The project's URLs plus the scoring routes, for tests until forecasting/urls.py includes them (the lead adds
`path("", include("forecasting.scoring.api.urls"))` to api_v1 and `path("", include("forecasting.scoring.urls"))`
to urlpatterns). Harmless afterwards: Django resolves the first match."""
from django.urls import include, path

from forecasting.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("forecasting.scoring.api.urls")),
    path("", include("forecasting.scoring.urls")),
    *project_urlpatterns,
]
