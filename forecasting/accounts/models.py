"""Accounts: a forecaster's public profile beside Django's user."""
from django.conf import settings
from django.db import models

__all__ = ["BotToken", "Profile"]


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

    def __str__(self):
        return self.display_name or self.user.get_username()

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_username()


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
