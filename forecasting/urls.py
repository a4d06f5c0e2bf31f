from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from assets.api.urls import router as assets_router
from forecasting import views
from forecasting.api.urls import router as forecasting_router

# One router, so /api/v1/ has a single browsable root listing every app's endpoints.
api_router = DefaultRouter(trailing_slash=True)
for app_router in (assets_router, forecasting_router):
    api_router.registry.extend(app_router.registry)

api_v1 = [
    # Before the router: its format-suffix routes would read questions/<pk>/forecasts.csv as the forecasts action
    # with format=csv (and answer 404).
    path("", include("forecasting.api.scoring_urls")),
    path("", include(api_router.urls)),
    path("", include("assets.api.urls")),
    path("", include("forecasting.api.urls")),
    path("", include("forecasting.api.resolution_urls")),
    path("", include("markets.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

# JSON 404s under /api/ for paths that match no route (only used with DEBUG off).
handler404 = "forecasting.api.exceptions.page_not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("forecasting.account_urls")),
    path("api/v1/", include(api_v1)),
    path("", include("assets.urls")),
    path("questions/", include("forecasting.page_urls")),
    path("markets/", include("markets.page_urls")),
    path("staff/", include("forecasting.resolution_page_urls")),
    path("", include("forecasting.scoring_page_urls")),
]
