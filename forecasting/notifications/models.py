"""What the notifications room has sent, so a retried task never sends it twice."""
from django.conf import settings
from django.db import models

__all__ = ["NotificationSent"]


class NotificationSent(models.Model):
    """One e-mail sent, keyed so a retried task never sends it twice. ``key`` identifies the resolution (outcome and
    resolution time), so a corrected re-resolution is announced again while a retry of the same one is not."""

    class Kind(models.TextChoices):
        RESOLUTION = "resolution", "Question resolved"

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="notifications_sent")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications_sent")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESOLUTION)
    key = models.CharField(max_length=100)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user", "kind", "key"], name="notification_sent_unique"),
        ]
