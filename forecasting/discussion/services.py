"""Writing comments: post, reply, edit, delete, and staff moderation (hide, unhide, lock, unlock).

Rules (docs in README, "Discussion"):
- A comment is on a question or a trial. A reply's parent is a top-level, visible (not deleted, not hidden) comment
  on the same question or trial; replies to replies are refused (one level of threading).
- Only verified accounts comment (the same rule as forecasting: forecasting.accounts.selectors.user_require_verified).
- A locked discussion (DiscussionLock) takes no new comments, replies or edits; authors may still delete their own.
- The author may edit within READOUT_COMMENT_EDIT_WINDOW_SECONDS of posting (at exactly the limit still allowed);
  each edit keeps the previous body as a CommentRevision. Staff never rewrite other people's words: they hide.
- Deleting is soft (``deleted_at``): a deleted comment with replies shows as "[deleted]" and keeps its thread.
- An attached forecast is the author's own forecast (not a withdrawal) on the comment's question.

Every new comment sends ``comment_posted`` once its transaction has committed (forecasting.discussion.signals).
"""
import datetime as dt
import unicodedata

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.errors import PermissionDenied, StateError, ValidationError
from assets.models import Trial
from assets.validators import validate_text
from forecasting.accounts.selectors import user_require_verified
from forecasting.discussion.models import Comment, CommentRevision, DiscussionLock
from forecasting.discussion.signals import comment_posted
from forecasting.forecasts.models import Forecast
from markets.models import Question

MAX_BODY_LENGTH = 10_000
MAX_REASON_LENGTH = 200
_INVISIBLE = {"Cf", "Zs", "Cc", "Zl", "Zp"}  # format characters (zero-width space, BOM...), spaces and controls


def edit_window() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "READOUT_COMMENT_EDIT_WINDOW_SECONDS", 900))


def comment_body_clean(body, *, field: str = "body") -> str:
    """The body stripped of surrounding whitespace; ValidationError naming ``field`` if it is not text, holds NUL
    or a lone surrogate, is blank (whitespace or invisible characters only) or longer than 10,000 characters."""
    if body is None:
        raise ValidationError("body is required: the comment's text (Markdown), 1 to 10,000 characters.", field=field)
    body = validate_text(body, field=field).strip()
    if not body or all(unicodedata.category(ch) in _INVISIBLE for ch in body):
        raise ValidationError("body is blank: write 1 to 10,000 characters.", field=field)
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            f"body is {len(body):,} characters; the most a comment may have is {MAX_BODY_LENGTH:,}.", field=field
        )
    return body


def _reason_clean(reason) -> str:
    reason = validate_text("" if reason is None else reason, field="reason").strip()
    if not reason:
        raise ValidationError("reason is required: say briefly why (the author sees it).", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"reason must be at most {MAX_REASON_LENGTH} characters.", field="reason")
    return reason


def _require_staff(user, action: str) -> None:
    if not (getattr(user, "is_authenticated", False) and user.is_staff):
        raise PermissionDenied(f"Only staff can {action}.")


def _target_kwargs(*, question: Question | None, trial: Trial | None) -> dict:
    if (question is None) == (trial is None):
        raise ValidationError("A comment is on exactly one question or one trial.", field="non_field_errors")
    return {"question": question} if question is not None else {"trial": trial}


def discussion_is_locked(*, question: Question | None = None, trial: Trial | None = None) -> bool:
    return DiscussionLock.objects.filter(**_target_kwargs(question=question, trial=trial)).exists()


def _require_unlocked(target: dict, action: str) -> None:
    if DiscussionLock.objects.filter(**target).exists():
        raise StateError(f"This discussion is locked by a moderator: {action} is not possible until it is unlocked.",
                         code="locked")


def _attached_forecast(forecast, *, user, question: Question | None) -> Forecast | None:
    """The forecast to attach (a Forecast or its id), checked: the author's own forecast, not a withdrawal, on
    this comment's question. ValidationError naming ``forecast`` otherwise."""
    if forecast is None or forecast == "":
        return None
    if question is None:
        raise ValidationError("forecast: only comments on a question can carry a forecast.", field="forecast")
    if isinstance(forecast, Forecast):
        forecast_id = forecast.pk
    elif isinstance(forecast, int) and not isinstance(forecast, bool):
        forecast_id = forecast
    else:
        raise ValidationError("forecast must be the id of one of your forecasts on this question.", field="forecast")
    found = Forecast.objects.filter(pk=forecast_id, user_id=user.pk, question_id=question.pk).first()
    if found is None:
        raise ValidationError(
            "forecast must be one of your own forecasts on this question (no such forecast of yours here).",
            field="forecast",
        )
    if found.is_withdrawal:
        raise ValidationError("forecast is a withdrawal; attach a forecast that has a value.", field="forecast")
    return found


def _send_posted(comment: Comment) -> None:
    pk = comment.pk
    transaction.on_commit(lambda: comment_posted.send(sender=Comment, comment_id=pk))


def comment_create(
    *, author, body, question: Question | None = None, trial: Trial | None = None, parent: Comment | None = None,
    forecast=None, at: dt.datetime | None = None,
) -> Comment:
    """Post a comment on ``question`` or ``trial`` (a reply when ``parent`` is given; its question or trial is then
    the parent's and need not be passed). Raises PermissionDenied (unverified), StateError (locked discussion,
    draft question, deleted or hidden parent) or ValidationError naming the field."""
    if not getattr(author, "is_authenticated", False):
        raise PermissionDenied("Log in to comment.")
    user_require_verified(user=author)
    body = comment_body_clean(body)
    with transaction.atomic():
        if parent is not None:
            parent = Comment.objects.select_for_update().filter(pk=parent.pk).first()
            if parent is None:
                raise ValidationError("parent: no such comment.", field="parent")
            if parent.parent_id is not None:
                raise ValidationError(
                    "parent is itself a reply: replies are one level deep, so reply to the top-level comment.",
                    field="parent", code="reply_to_reply",
                )
            given = _target_kwargs(question=question, trial=trial) if (question or trial) else None
            target = {"question_id": parent.question_id} if parent.question_id else {"trial_id": parent.trial_id}
            if given is not None and (
                (question is not None and parent.question_id != question.pk)
                or (trial is not None and parent.trial_id != trial.pk)
            ):
                raise ValidationError("parent is a comment on another question or trial.", field="parent")
            if parent.deleted_at is not None:
                raise StateError("The comment you are replying to was deleted.", field="parent", code="deleted")
            if parent.hidden_at is not None:
                raise StateError("The comment you are replying to was hidden by a moderator.", field="parent",
                                 code="hidden")
            question = parent.question if parent.question_id else None
        else:
            target = _target_kwargs(question=question, trial=trial)
            target = {f"{name}_id": obj.pk for name, obj in target.items()}
        if question is not None and question.status == Question.Status.DRAFT:
            raise StateError("This question is a draft: it takes comments once it is published.", code="draft")
        _require_unlocked(target, "commenting")
        attached = _attached_forecast(forecast, user=author, question=question)
        comment = Comment.objects.create(
            author=author, body=body, parent=parent, forecast=attached, created_at=at or timezone.now(), **target
        )
        _send_posted(comment)
    return comment


def _lock_own(comment: Comment, *, user, action: str) -> Comment:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(f"Log in to {action} your comments.")
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.author_id != user.pk:
        raise PermissionDenied(
            f"Only the author can {action} a comment." + (" Staff may hide it instead." if user.is_staff else "")
        )
    return locked


def comment_edit(*, comment: Comment, user, body, at: dt.datetime | None = None) -> Comment:
    """Replace the body (the author only, within the edit window, not while the discussion is locked, not once
    deleted or hidden); the previous body is kept as a CommentRevision. Editing to the same text changes nothing."""
    body = comment_body_clean(body)
    now = at or timezone.now()
    with transaction.atomic():
        comment = _lock_own(comment, user=user, action="edit")
        if comment.deleted_at is not None:
            raise StateError("This comment was deleted and cannot be edited.", code="deleted")
        if comment.hidden_at is not None:
            raise StateError("This comment was hidden by a moderator and cannot be edited.", code="hidden")
        window = edit_window()
        if now - comment.created_at > window:
            minutes = int(window.total_seconds() // 60)
            raise StateError(f"Comments can be edited for {minutes} minutes after posting; this one no longer can.",
                             field="body", code="edit_window")
        _require_unlocked(_target_of(comment), "editing")
        if body == comment.body:
            return comment
        CommentRevision.objects.create(comment=comment, body=comment.body, replaced_at=now)
        comment.body = body
        comment.edited_at = now
        comment.save(update_fields=["body", "edited_at"])
    return comment


def comment_delete(*, comment: Comment, user, at: dt.datetime | None = None) -> Comment:
    """Soft-delete (the author only; also in a locked discussion). Deleting twice is refused (409)."""
    with transaction.atomic():
        comment = _lock_own(comment, user=user, action="delete")
        if comment.deleted_at is not None:
            raise StateError("This comment is already deleted.", code="deleted")
        comment.deleted_at = at or timezone.now()
        comment.save(update_fields=["deleted_at"])
    return comment


def comment_hide(*, comment: Comment, user, reason, at: dt.datetime | None = None) -> Comment:
    """Staff hide a comment with a reason: others see "hidden by a moderator", staff and the author the text."""
    _require_staff(user, "hide comments")
    reason = _reason_clean(reason)
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if comment.hidden_at is not None:
            raise StateError("This comment is already hidden.", code="hidden")
        if comment.deleted_at is not None:
            raise StateError("This comment was deleted by its author; there is nothing to hide.", code="deleted")
        comment.hidden_at = at or timezone.now()
        comment.hidden_by = user
        comment.hidden_reason = reason
        comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return comment


def comment_unhide(*, comment: Comment, user) -> Comment:
    _require_staff(user, "unhide comments")
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if comment.hidden_at is None:
            raise StateError("This comment is not hidden.", code="not_hidden")
        comment.hidden_at = None
        comment.hidden_by = None
        comment.hidden_reason = ""
        comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return comment


def _target_of(comment: Comment) -> dict:
    return {"question_id": comment.question_id} if comment.question_id else {"trial_id": comment.trial_id}


def discussion_lock(
    *, user, question: Question | None = None, trial: Trial | None = None, reason="", at: dt.datetime | None = None
) -> DiscussionLock:
    """Staff lock a discussion: no new comments, replies or edits until unlocked. Locking twice is refused (409)."""
    _require_staff(user, "lock discussions")
    target = _target_kwargs(question=question, trial=trial)
    reason = validate_text("" if reason is None else reason, field="reason").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"reason must be at most {MAX_REASON_LENGTH} characters.", field="reason")
    already = StateError("This discussion is already locked.", code="locked")
    if DiscussionLock.objects.filter(**target).exists():
        raise already
    try:
        with transaction.atomic():
            return DiscussionLock.objects.create(locked_by=user, locked_at=at or timezone.now(), reason=reason,
                                                 **target)
    except IntegrityError:  # another moderator locked it a moment ago (one lock per question or trial)
        raise already from None


def discussion_unlock(*, user, question: Question | None = None, trial: Trial | None = None) -> None:
    _require_staff(user, "unlock discussions")
    target = _target_kwargs(question=question, trial=trial)
    deleted, _ = DiscussionLock.objects.filter(**target).delete()
    if not deleted:
        raise StateError("This discussion is not locked.", code="not_locked")
