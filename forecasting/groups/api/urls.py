"""Question-group API routes, included into /api/v1/ by forecasting/urls.py."""
from django.urls import path

from forecasting.groups.api import views

urlpatterns = [
    path("question-groups/", views.GroupListView.as_view(), name="question-group-list"),
    path("question-groups/generate/", views.GroupGenerateView.as_view(), name="question-group-generate"),
    path("question-groups/<int:pk>/", views.GroupDetailView.as_view(), name="question-group-detail"),
    path("question-groups/<int:pk>/publish/", views.GroupPublishView.as_view(), name="question-group-publish"),
    path("question-groups/<int:pk>/readout/", views.GroupReadoutView.as_view(), name="question-group-readout"),
    path("question-groups/<int:pk>/confirm/", views.GroupConfirmView.as_view(), name="question-group-confirm"),
]
