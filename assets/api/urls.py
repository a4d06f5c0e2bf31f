from rest_framework.routers import SimpleRouter

from assets.api import views

# Registered here, served by the project router in forecasting/urls.py (one API root for every app).
router = SimpleRouter(trailing_slash=True)
router.register("companies", views.CompanyViewSet, basename="company")
router.register("assets", views.AssetViewSet, basename="asset")
router.register("trials", views.TrialViewSet, basename="trial")
router.register("news", views.NewsItemViewSet, basename="news")
router.register("indications", views.IndicationViewSet, basename="indication")
router.register("endpoints", views.EndpointViewSet, basename="endpoint")
urlpatterns = []
