from django.urls import path

from assets import views

app_name = "assets"
urlpatterns = [
    path("assets/", views.asset_list, name="asset-list"),
    path("assets/<slug:slug>/", views.asset_detail, name="asset-detail"),
    path("trials/", views.trial_list, name="trial-list"),
    path("trials/<slug:slug>/", views.trial_detail, name="trial-detail"),
]
