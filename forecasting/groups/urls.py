"""Question-group pages, included at /groups/."""
from django.urls import path

from forecasting.groups import pages

app_name = "groups"
urlpatterns = [
    path("", pages.group_list, name="list"),
    path("new/", pages.group_new, name="new"),
    path("<slug:slug>/", pages.group_detail, name="detail"),
    path("<slug:slug>/publish/", pages.group_publish_view, name="publish"),
    path("<slug:slug>/remove/<str:template>/", pages.group_member_remove_view, name="remove-member"),
]
