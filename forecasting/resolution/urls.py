"""Staff resolution pages, included at /staff/ in forecasting/urls.py."""
from django.urls import path

from forecasting.resolution import pages

app_name = "resolution"
urlpatterns = [
    path("readouts/new/", pages.readout_new, name="readout-new"),
    path("resolutions/", pages.pending, name="pending"),
    path("resolutions/confirm-all/", pages.proposals_confirm_all, name="confirm-all"),
    path("resolutions/<int:pk>/confirm/", pages.proposal_confirm, name="confirm"),
    path("resolutions/<int:pk>/reject/", pages.proposal_reject, name="reject"),
    path("questions/<slug:slug>/resolve/", pages.question_resolve, name="resolve"),
    path("questions/<slug:slug>/unresolve/", pages.question_unresolve, name="unresolve"),
]
