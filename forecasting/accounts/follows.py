"""Follows: a user follows a question, a trial, an asset or another user (forecasting.accounts.models.Follow).

``follow_set`` is the user's explicit choice (follow or unfollow; unfollowing keeps the row inactive).
``follow_auto`` is what forecasting or commenting does: it follows only when the user's profile has auto-follow on
and they have no row for the target at all, so it never re-follows what they left.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.errors import ValidationError
from assets.models import Asset, Trial
from forecasting.accounts.models import Follow, Profile
from markets.models import Question

TARGET_FIELDS = {"question": Question, "trial": Trial, "asset": Asset, "user": get_user_model()}


def _field(target) -> str:
    for name, model in TARGET_FIELDS.items():
        if isinstance(target, model):
            return "followed_user" if name == "user" else name
    raise ValidationError(f"Cannot follow a {type(target).__name__}: only a question, trial, asset or user.",
                          field="target")


def target_type(target) -> str:
    field = _field(target)
    return "user" if field == "followed_user" else field


def follow_set(*, user, target, active: bool = True) -> Follow:
    """Follow (``active=True``) or unfollow ``target`` explicitly. Idempotent; an unfollow keeps the row inactive
    (auto-follow never brings it back). A user cannot follow themselves (ValidationError, field ``target``)."""
    field = _field(target)
    if field == "followed_user" and target.pk == user.pk:
        raise ValidationError("You cannot follow yourself.", field="target")
    now = timezone.now()
    with transaction.atomic():
        follow = Follow.objects.select_for_update().filter(user=user, **{field: target}).first()
        if follow is None:
            try:
                with transaction.atomic():
                    return Follow.objects.create(user=user, active=active, auto=False, created_at=now,
                                                 updated_at=now, **{field: target})
            except IntegrityError:  # a concurrent request created it: update that row
                follow = Follow.objects.select_for_update().get(user=user, **{field: target})
        if follow.active != active or follow.auto:
            follow.active, follow.auto, follow.updated_at = active, False, now
            follow.save(update_fields=["active", "auto", "updated_at"])
        return follow


def follow_auto(*, user, target) -> Follow | None:
    """Follow ``target`` because the user forecast or commented on it, if their auto-follow is on and they have no
    Follow row for it (an inactive row means they left it). Returns the new follow, or None."""
    auto = Profile.objects.filter(user=user).values_list("auto_follow", flat=True).first()
    if auto is False:  # no profile counts as the default (on)
        return None
    field = _field(target)
    now = timezone.now()
    try:
        with transaction.atomic():
            follow, created = Follow.objects.get_or_create(
                user=user, **{field: target},
                defaults={"active": True, "auto": True, "created_at": now, "updated_at": now},
            )
    except IntegrityError:  # created concurrently: it exists, nothing to do
        return None
    return follow if created else None


def follow_state(*, user, target) -> bool:
    """Whether ``user`` actively follows ``target`` (False for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Follow.objects.filter(user=user, active=True, **{_field(target): target}).exists()


def auto_follow_set(*, user, enabled: bool) -> None:
    Profile.objects.update_or_create(user=user, defaults={"auto_follow": bool(enabled)})


class TargetNotFound(Exception):
    pass


def follow_target_get(*, kind: str, target_id) -> object:
    """The question, trial, asset or user named by ``kind`` and id (drafts are not followable). Raises
    ValidationError for an unknown kind or a malformed id, TargetNotFound for an id that names nothing."""
    if kind not in TARGET_FIELDS:
        raise ValidationError(f"Unknown kind {str(kind)[:40]!r}: question, trial, asset or user.", field="kind")
    if isinstance(target_id, bool):
        raise ValidationError("id must be a positive integer.", field="id")
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        raise ValidationError("id must be a positive integer.", field="id") from None
    if not 1 <= target_id < 2**63:
        raise ValidationError("id must be a positive integer.", field="id")
    manager = Question.objects.filter_visible() if kind == "question" else TARGET_FIELDS[kind].objects
    target = manager.filter(pk=target_id).first()
    if target is None:
        raise TargetNotFound(f"No {kind} with id {target_id}.")
    return target


def follows_of(*, user, active_only: bool = True):
    """The user's follows, newest first, with their targets loaded (one query)."""
    rows = Follow.objects.filter(user=user).select_related("question", "trial", "asset", "followed_user__profile")
    if active_only:
        rows = rows.filter(active=True)
    return rows.order_by("-updated_at", "-pk")


def follow_target(follow: Follow):
    return follow.question or follow.trial or follow.asset or follow.followed_user


def follow_kind(follow: Follow) -> str:
    return ("question" if follow.question_id else "trial" if follow.trial_id else "asset" if follow.asset_id
            else "user")


def target_label(target) -> str:
    """What a target is called on pages: a question's title, a trial's acronym (or id), an asset's name, a user's
    display name."""
    if isinstance(target, Question):
        return target.title
    if isinstance(target, (Trial, Asset)):
        return target.name
    profile = getattr(target, "profile", None)
    return getattr(profile, "display_name", "") or target.get_username()
