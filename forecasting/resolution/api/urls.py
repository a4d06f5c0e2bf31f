"""Resolution API routes, included in forecasting/urls.py's api_v1 list with
path("", include("forecasting.resolution.api.urls")). The question routes sit beside the QuestionViewSet's
(questions/<pk>/...) without touching it."""
from django.urls import path

from forecasting.resolution.api import views

urlpatterns = [
    path("readouts/", views.ReadoutListCreateView.as_view(), name="readout-list"),
    path("proposals/", views.ProposalListView.as_view(), name="proposal-list"),
    path("proposals/confirm-all/", views.ProposalConfirmAllView.as_view(), name="proposal-confirm-all"),
    path("proposals/<int:pk>/confirm/", views.ProposalConfirmView.as_view(), name="proposal-confirm"),
    path("proposals/<int:pk>/reject/", views.ProposalRejectView.as_view(), name="proposal-reject"),
    path("questions/<int:pk>/resolve/", views.QuestionResolveView.as_view(), name="question-resolve"),
    path("questions/<int:pk>/unresolve/", views.QuestionUnresolveView.as_view(), name="question-unresolve"),
    path("questions/<int:pk>/resolution-events/", views.QuestionResolutionEventsView.as_view(),
         name="question-resolution-events"),
]
