"""API authentication with a named bot token: ``Authorization: Bearer <key>`` (forecasting.accounts.models.BotToken).
The key is looked up by its SHA-256 hash; DRF's ``Authorization: Token <key>`` (the personal token) is unchanged."""
import datetime as dt
import hashlib

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from forecasting.accounts.models import BotToken

KEY_PREFIX = "rdt_"
# last_used_at is written at most this often per token, so a busy bot does not write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class BotTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer header: give one key, without spaces.")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid bearer key.") from None
        token = BotToken.objects.select_related("user").filter(key_hash=key_hash(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked bot token.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            BotToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class BotTokenScheme(OpenApiAuthenticationExtension):
    """drf-spectacular: documents the bearer scheme in /api/v1/schema/."""

    target_class = "forecasting.accounts.authentication.BotTokenAuthentication"
    name = "botToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A named bot token (see /api/v1/me/bot-tokens/)."}
