"""Accounts: a forecaster's public profile beside Django's user."""
from django.conf import settings
from django.db import models

__all__ = ["Profile"]


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return self.display_name or self.user.get_username()

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_username()
