"""Discussion API routes, included under /api/v1/ by forecasting/urls.py."""
from django.urls import path

from forecasting.discussion.api import views

urlpatterns = [
    path("questions/<int:pk>/comments/", views.QuestionCommentsView.as_view(), name="question-comments"),
    path("questions/<int:pk>/comments/lock/", views.QuestionLockView.as_view(), name="question-comments-lock"),
    path("questions/<int:pk>/comments/unlock/", views.QuestionUnlockView.as_view(), name="question-comments-unlock"),
    path("trials/<str:identifier>/comments/", views.TrialCommentsView.as_view(), name="trial-comments"),
    path("trials/<str:identifier>/comments/lock/", views.TrialLockView.as_view(), name="trial-comments-lock"),
    path("trials/<str:identifier>/comments/unlock/", views.TrialUnlockView.as_view(), name="trial-comments-unlock"),
    path("comments/<int:pk>/", views.CommentDetailView.as_view(), name="comment-detail"),
    path("comments/<int:pk>/replies/", views.CommentReplyView.as_view(), name="comment-replies"),
    path("comments/<int:pk>/hide/", views.CommentHideView.as_view(), name="comment-hide"),
    path("comments/<int:pk>/unhide/", views.CommentUnhideView.as_view(), name="comment-unhide"),
]
