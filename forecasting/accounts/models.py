"""Accounts: a forecaster's public profile beside Django's user."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

__all__ = ["BotToken", "Follow", "Profile"]


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.CharField(max_length=300, blank=True)
    # False from the public sign-up until the owner follows the link e-mailed to them (forecasting.accounts
    # .services.user_verify_email); until then they may browse but not forecast, and they have no points to trade with (the
    # starting grant is credited on verification). Accounts made any other way (admin, demo, load data) and every
    # account that existed before verification are verified.
    email_verified = models.BooleanField(default=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Forecasting on or commenting on a question follows it (forecasting.accounts.follows); off, only explicit
    # follows count.
    auto_follow = models.BooleanField(default=True)

    def __str__(self):
        return self.display_name or self.user.get_username()

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_username()

    class Meta:
        constraints = [
            # Two "UX Tester" rows on a leaderboard are indistinguishable: a display name, when set, is unique
            # whatever its case (forecasting.accounts.services.display_name_validate says so in words first).
            models.UniqueConstraint(
                Lower("display_name"), condition=~Q(display_name=""), name="profile_display_name_unique_ci"
            ),
        ]


class BotToken(models.Model):
    """A named API key for a script ("nightly-importer"), several per user. Only a SHA-256 hash of the key is kept:
    the key itself is shown once, when it is created (forecasting.accounts.services.bot_token_create). A request
    sends ``Authorization: Bearer <key>`` (forecasting.accounts.authentication). Deleted on revocation and on every
    password change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bot_tokens")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="bot_token_unique_name_per_user")]
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}...)"


class Follow(models.Model):
    """A user follows one thing: a question, a trial, an asset or another user (exactly one target is set).

    Unfollowing keeps the row with ``active=False``, so forecasting or commenting again does not silently re-follow
    what the user chose to leave; ``auto`` records that the follow came from a forecast or a comment.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    question = models.ForeignKey(
        "markets.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    trial = models.ForeignKey("assets.Trial", null=True, blank=True, on_delete=models.CASCADE, related_name="follows")
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.CASCADE, related_name="follows")
    followed_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    active = models.BooleanField(default=True)
    auto = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["question", "active"], name="follow_question_active"),
            models.Index(fields=["trial", "active"], name="follow_trial_active"),
            models.Index(fields=["asset", "active"], name="follow_asset_active"),
            models.Index(fields=["followed_user", "active"], name="follow_user_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(question__isnull=False, trial__isnull=True, asset__isnull=True, followed_user__isnull=True)
                    | Q(question__isnull=True, trial__isnull=False, asset__isnull=True, followed_user__isnull=True)
                    | Q(question__isnull=True, trial__isnull=True, asset__isnull=False, followed_user__isnull=True)
                    | Q(question__isnull=True, trial__isnull=True, asset__isnull=True, followed_user__isnull=False)
                ),
                name="follow_exactly_one_target",
            ),
            models.UniqueConstraint(fields=["user", "question"], condition=Q(question__isnull=False),
                                    name="follow_unique_question"),
            models.UniqueConstraint(fields=["user", "trial"], condition=Q(trial__isnull=False),
                                    name="follow_unique_trial"),
            models.UniqueConstraint(fields=["user", "asset"], condition=Q(asset__isnull=False),
                                    name="follow_unique_asset"),
            models.UniqueConstraint(fields=["user", "followed_user"], condition=Q(followed_user__isnull=False),
                                    name="follow_unique_user"),
        ]
