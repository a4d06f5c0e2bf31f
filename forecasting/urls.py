from django.contrib import admin
from django.urls import include, path
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from assets.api.urls import router as assets_router
from forecasting import views
from forecasting.api.schema_view import CachedSpectacularAPIView
from forecasting.questions.api.urls import router as questions_router

# One router, so /api/v1/ has a single browsable root listing every app's endpoints.
api_router = DefaultRouter(trailing_slash=True)
# No ".json"-style format suffixes: the schema documents none, and on extra actions (community, forecasts) they
# reached views that take no format argument (500). JSON is the only API format; CSV routes are named explicitly.
api_router.include_format_suffixes = False
for app_router in (assets_router, questions_router):
    api_router.registry.extend(app_router.registry)

docs_csp = csp_update({"style-src": [UNSAFE_INLINE]})
# No other host: Redoc's Google Fonts links are left out (templates/api/redoc.html) and its CDN logo is refused.
redoc_csp = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})

api_v1 = [
    # Before the router: its format-suffix routes would read questions/<pk>/forecasts.csv as the forecasts action
    # with format=csv (and answer 404).
    path("", include("forecasting.scoring.api.urls")),
    path("", include(api_router.urls)),
    path("", include("assets.api.urls")),
    path("", include("forecasting.accounts.api")),
    path("", include("forecasting.discussion.api.urls")),
    path("", include("forecasting.accounts.follow_api")),
    path("", include("forecasting.notifications.api")),
    path("", include("forecasting.questions.api.urls")),
    path("", include("forecasting.resolution.api.urls")),
    path("", include("forecasting.conditional.api.urls")),
    path("", include("forecasting.groups.api.urls")),
    path("", include("forecasting.search.api")),
    path("", include("markets.api.urls")),
    path("schema/", CachedSpectacularAPIView.as_view(), name="schema"),  # built once per process and format
    # The API docs run third-party UIs under the Content-Security-Policy: Swagger UI's set-up script is served as a
    # file (the split view), and both UIs style themselves inline. Both come from drf-spectacular-sidecar (our
    # static files) and fetch nothing from another host.
    path("docs/", docs_csp(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("redoc/", redoc_csp(SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")),
         name="api-redoc"),
]

# JSON 404s under /api/ for paths that match no route (only used with DEBUG off).
handler404 = "forecasting.api.exceptions.page_not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("forecasting.accounts.urls")),
    path("api/v1/", include(api_v1)),
    path("", include("assets.urls")),
    path("questions/", include("forecasting.questions.urls")),
    path("markets/", include("markets.page_urls")),
    path("staff/", include("forecasting.resolution.urls")),
    path("search/", include("forecasting.search.urls")),
    path("discussion/", include("forecasting.discussion.urls")),
    path("notifications/", include("forecasting.notifications.urls")),
    path("conditional/", include("forecasting.conditional.urls")),
    path("groups/", include("forecasting.groups.urls")),
    path("", include("forecasting.scoring.urls")),
]
