"""Discussion form posts and comment permalinks, included at /discussion/."""
from django.urls import re_path

from forecasting.discussion import pages

app_name = "discussion"
urlpatterns = [
    re_path(r"^(?P<kind>question|trial)/(?P<pk>[0-9]{1,18})/comments/$", pages.comment_post, name="post"),
    re_path(r"^(?P<kind>question|trial)/(?P<pk>[0-9]{1,18})/(?P<action>lock|unlock)/$", pages.discussion_lock,
            name="lock"),
    re_path(r"^comments/(?P<pk>[0-9]{1,18})/$", pages.comment_permalink, name="comment"),
    re_path(r"^comments/(?P<pk>[0-9]{1,18})/reply/$", pages.comment_reply, name="reply"),
    re_path(r"^comments/(?P<pk>[0-9]{1,18})/edit/$", pages.comment_edit, name="edit"),
    re_path(r"^comments/(?P<pk>[0-9]{1,18})/delete/$", pages.comment_delete, name="delete"),
    re_path(r"^comments/(?P<pk>[0-9]{1,18})/(?P<action>hide|unhide)/$", pages.comment_moderate, name="moderate"),
]
