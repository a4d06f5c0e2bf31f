"""What a user does with their notifications: read them, set their preferences and thresholds, unsubscribe."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from assets.errors import ValidationError
from forecasting.notifications.models import (
    DEFAULT_DELIVERY,
    Delivery,
    Kind,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from forecasting.notifications.services.tokens import ALL, unsubscribe_token_read

MOVE_BINARY_RANGE = (1.0, 100.0)
MOVE_NUMERIC_RANGE = (0.01, 1.0)


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (idempotent). Raises Notification.DoesNotExist for another user's
    or an unknown id."""
    if not 1 <= notification_id < 2**63:  # beyond 64 bits the database cannot even look it up
        raise Notification.DoesNotExist
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def preferences_get(*, user) -> dict:
    """{"deliveries": {kind: delivery}, "move_binary_pp", "move_numeric_fraction", "email_off"}."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    settings_row = NotificationSettings.objects.filter(user=user).first() or NotificationSettings()
    return {
        "deliveries": {k: stored.get(k, str(DEFAULT_DELIVERY[Kind(k)])) for k in Kind.values},
        "move_binary_pp": settings_row.move_binary_pp,
        "move_numeric_fraction": settings_row.move_numeric_fraction,
        "email_off": settings_row.email_off,
    }


def _number(value, *, field: str, lo: float, hi: float) -> float:
    if isinstance(value, bool):
        raise ValidationError(f"{field} must be a number from {lo:g} to {hi:g}.", field=field)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{field} must be a number from {lo:g} to {hi:g}.", field=field) from None
    if not lo <= number <= hi:  # NaN fails both comparisons
        raise ValidationError(f"{field} must be a number from {lo:g} to {hi:g}.", field=field)
    return number


@transaction.atomic
def preferences_set(*, user, deliveries: dict | None = None, move_binary_pp=None, move_numeric_fraction=None,
                    email_off: bool | None = None) -> dict:
    """Set some of the user's preferences (None leaves a value as it is). ``deliveries`` maps kinds to deliveries
    (off, app, email, digest). All or nothing: ValidationError names the first bad field."""
    deliveries = deliveries or {}
    if not isinstance(deliveries, dict):
        raise ValidationError("deliveries must map kinds to deliveries.", field="deliveries")
    for kind, delivery in deliveries.items():
        if kind not in Kind.values:
            raise ValidationError(f"Unknown kind {str(kind)[:40]!r}; kinds: {', '.join(Kind.values)}.",
                                  field="deliveries")
        if delivery not in Delivery.values:
            raise ValidationError(f"deliveries.{kind} must be one of {', '.join(Delivery.values)}.",
                                  field=f"deliveries.{kind}")
    updates = {}
    if move_binary_pp is not None:
        updates["move_binary_pp"] = _number(move_binary_pp, field="move_binary_pp", lo=MOVE_BINARY_RANGE[0],
                                            hi=MOVE_BINARY_RANGE[1])
    if move_numeric_fraction is not None:
        updates["move_numeric_fraction"] = _number(
            move_numeric_fraction, field="move_numeric_fraction", lo=MOVE_NUMERIC_RANGE[0], hi=MOVE_NUMERIC_RANGE[1]
        )
    if email_off is not None:
        if not isinstance(email_off, bool):
            raise ValidationError("email_off must be true or false.", field="email_off")
        updates["email_off"] = email_off
    for kind, delivery in deliveries.items():
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})
    if updates:
        NotificationSettings.objects.update_or_create(user=user, defaults=updates)
    return preferences_get(user=user)


def unsubscribe_apply(*, token: str) -> tuple[int, list[str]]:
    """Apply a one-click unsubscribe token: its kinds stop being e-mailed (they stay in the app; a kind that was off
    stays off); "all" stops every e-mail. Raises tokens.BadToken. Returns (user id, kinds)."""
    from django.contrib.auth import get_user_model

    user_id, kinds = unsubscribe_token_read(token)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        from forecasting.notifications.services.tokens import BadToken

        raise BadToken("This unsubscribe link belongs to an account that no longer exists.")
    with transaction.atomic():
        if ALL in kinds:
            NotificationSettings.objects.update_or_create(user=user, defaults={"email_off": True})
        else:
            current = preferences_get(user=user)["deliveries"]
            for kind in kinds:
                if current[kind] in (Delivery.EMAIL, Delivery.DIGEST):
                    NotificationPreference.objects.update_or_create(user=user, kind=kind,
                                                                    defaults={"delivery": Delivery.APP})
        # what is still waiting to be e-mailed to them for these kinds is not sent either
        waiting = Notification.objects.filter(user=user, email_state__in=[Notification.EmailState.PENDING,
                                                                          Notification.EmailState.DIGEST])
        if ALL not in kinds:
            waiting = waiting.filter(kind__in=kinds)
        waiting.update(email_state=Notification.EmailState.NONE)
    return user_id, kinds
