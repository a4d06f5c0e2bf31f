"""The notifications room's rows: in-app notifications (each also the record of its e-mail), per-kind delivery
preferences, per-user settings (community-move thresholds, unsubscribe from all) and the community value each user
was last told about. docs/notifications.md describes the kinds, defaults and guarantees."""
from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = ["CommunityMoveMark", "Notification", "NotificationPreference", "NotificationSent", "NotificationSettings"]


class Kind(models.TextChoices):
    COMMENT = "comment", "New comment or reply"
    NEWS = "news", "News on a followed trial or asset"
    READOUT = "readout", "Readout entered"
    RESOLUTION = "resolution", "Question resolved or annulled"
    COMMUNITY_MOVE = "community_move", "Community forecast moved"
    CLOSING_SOON = "closing_soon", "Question closing soon"
    PUBLIC_MOMENT = "public_moment", "Embargo or presentation approaching"


class Delivery(models.TextChoices):
    OFF = "off", "Off"
    APP = "app", "In the app only"
    EMAIL = "email", "In the app and by e-mail at once"
    DIGEST = "digest", "In the app and in the daily e-mail digest"


# What a user gets for a kind they never set (docs/notifications.md, "Defaults").
DEFAULT_DELIVERY = {
    Kind.COMMENT: Delivery.APP,
    Kind.NEWS: Delivery.DIGEST,
    Kind.READOUT: Delivery.EMAIL,
    Kind.RESOLUTION: Delivery.EMAIL,
    Kind.COMMUNITY_MOVE: Delivery.APP,
    Kind.CLOSING_SOON: Delivery.APP,
    Kind.PUBLIC_MOMENT: Delivery.EMAIL,
}


class Notification(models.Model):
    """One thing a user is told, in the app; its e-mail (if their preference asks for one) is tracked on the row.

    ``dedupe_key`` names the event ("comment:12", "resolved:7:1.0@2026-...") and is unique per user, so a retried job
    never inserts a second row. ``email_state`` moves pending -> sending (claimed by one job, in one UPDATE) -> sent;
    a failed send moves it back to pending for the retry; digest rows wait for the daily digest.
    """

    class EmailState(models.TextChoices):
        NONE = "none", "No e-mail"
        PENDING = "pending", "To send"
        SENDING = "sending", "Claimed by a job"
        SENT = "sent", "Sent"
        DIGEST = "digest", "Waiting for the digest"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="A site path (/questions/...) or an absolute URL.")
    question = models.ForeignKey("markets.Question", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    trial = models.ForeignKey("assets.Trial", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.NONE)
    email_claim = models.CharField(max_length=40, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_unique_per_user")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_user_unread"),
            models.Index(fields=["dedupe_key"], name="notification_dedupe"),
            models.Index(fields=["email_state"], condition=Q(email_state="digest"), name="notification_digest_due"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.user_id}: {self.title}"


class NotificationPreference(models.Model):
    """How a user wants one kind delivered; a kind without a row uses DEFAULT_DELIVERY."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")]


# Community-move thresholds (docs/notifications.md, "Community moves"): percentage points of the binary median, and
# for numeric questions the move of the community median as a fraction of the question's range (of its log range on
# a log scale).
DEFAULT_MOVE_BINARY_PP = 10.0
DEFAULT_MOVE_NUMERIC_FRACTION = 0.10


class NotificationSettings(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_settings")
    move_binary_pp = models.FloatField(default=DEFAULT_MOVE_BINARY_PP,
                                       help_text="Binary: notify when the community median moves this many points.")
    move_numeric_fraction = models.FloatField(
        default=DEFAULT_MOVE_NUMERIC_FRACTION,
        help_text="Numeric: notify when the community median moves this fraction of the question's range.",
    )
    # "Unsubscribe from all": no e-mail of any kind (in-app notifications stay).
    email_off = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(move_binary_pp__gte=1, move_binary_pp__lte=100),
                                   name="notification_move_binary_range"),
            models.CheckConstraint(condition=Q(move_numeric_fraction__gte=0.01, move_numeric_fraction__lte=1),
                                   name="notification_move_numeric_range"),
        ]


class CommunityMoveMark(models.Model):
    """The community value a user was last told about on a question: the baseline their next move is measured
    from."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="+")
    value = models.FloatField()
    notified_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="community_move_mark_unique")]


class NotificationSent(models.Model):
    """Superseded by Notification (its dedupe key and e-mail state); kept for the rows sent before it."""

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
