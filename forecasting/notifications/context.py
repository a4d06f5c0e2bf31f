"""Template context: the header bell's unread count, for logged-in users only, in one cheap query (counting at
most 100 rows through the partial unread index), and only when a template actually reads it."""
from django.utils.functional import SimpleLazyObject

from forecasting.notifications.models import Notification

BELL_CAP = 100


def unread_count(user) -> int:
    """Unread notifications, counted up to BELL_CAP (the bell shows "99+" past 99). One query."""
    return Notification.objects.filter(user=user, read_at__isnull=True).values("pk")[:BELL_CAP].count()


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user))}
