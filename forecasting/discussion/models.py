"""Comments on a question or a trial, threaded one level deep.

A comment is never deleted from the table: its author's deletion sets ``deleted_at`` (pages show "comment deleted"
and keep the replies in place), and staff moderation sets ``hidden_at``/``hidden_by``. ``body`` is the Markdown the
author typed; it is rendered through a sanitizer on output, never stored as HTML. A forecast may be attached ("I
updated to 35% because..."): the author's own forecast on the same question.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = ["Comment", "CommentRevision", "DiscussionLock"]


class Comment(models.Model):
    question = models.ForeignKey(
        "markets.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    trial = models.ForeignKey("assets.Trial", null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    # One level of threading: a reply's parent is always a top-level comment on the same question or trial.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    body = models.TextField(help_text="Markdown, as typed; rendered through a sanitizer.")
    forecast = models.ForeignKey(
        "forecasting.Forecast", null=True, blank=True, on_delete=models.SET_NULL, related_name="comments",
        help_text="The author's own forecast on this question, attached to the comment.",
    )
    created_at = models.DateTimeField(db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["question", "created_at"], name="comment_question_created"),
            models.Index(fields=["trial", "created_at"], name="comment_trial_created"),
            models.Index(fields=["author", "created_at"], name="comment_author_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(question__isnull=False, trial__isnull=True) | Q(question__isnull=True, trial__isnull=False)),
                name="comment_on_question_xor_trial",
            ),
        ]

    def __str__(self):
        return f"Comment {self.pk} by {self.author_id}"

    def get_absolute_url(self):
        """The comment's permalink: redirects to its question's or trial's page, at its page of the discussion."""
        from django.urls import reverse

        return reverse("discussion:comment", args=[self.pk])


class CommentRevision(models.Model):
    """The body a comment had before an edit (append-only), so moderators can see what was changed."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["replaced_at", "pk"]


class DiscussionLock(models.Model):
    """Staff lock a question's or trial's discussion: nobody may comment, reply or edit until it is unlocked."""

    question = models.OneToOneField(
        "markets.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="discussion_lock"
    )
    trial = models.OneToOneField(
        "assets.Trial", null=True, blank=True, on_delete=models.CASCADE, related_name="discussion_lock"
    )
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    locked_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(question__isnull=False, trial__isnull=True) | Q(question__isnull=True, trial__isnull=False)),
                name="discussion_lock_question_xor_trial",
            ),
        ]
