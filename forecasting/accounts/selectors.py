"""Reads about accounts: whether one may take part (forecast, trade), and its API token."""
from rest_framework.authtoken.models import Token

from assets.errors import PermissionDenied
from forecasting.accounts.models import BotToken, Profile


def user_is_verified(*, user) -> bool:
    """False only for an account made by the public sign-up whose e-mail address is not confirmed yet."""
    if not getattr(user, "is_authenticated", False):
        return False
    return not Profile.objects.filter(user_id=user.pk, email_verified=False).exists()


def user_require_verified(*, user) -> None:
    """Raises PermissionDenied (HTTP 403, code ``email_unverified``) for an unverified account: sign-ups can browse
    at once but forecast (and receive their starting points) only once their e-mail address is confirmed, so a script
    cannot mint accounts that move the community forecast (issue 13)."""
    if getattr(user, "is_authenticated", False) and not user_is_verified(user=user):
        raise PermissionDenied(
            "Confirm your e-mail address first: follow the link we e-mailed you (or ask for a new one on your "
            "account page). Until then you can browse but not forecast or trade.",
            code="email_unverified",
        )


def user_token(*, user) -> Token | None:
    """The user's API token, or None when they have none (never asked for one, or revoked it)."""
    return Token.objects.filter(user=user).first()


def bot_tokens(*, user):
    """The user's named bot tokens, oldest first (hashes only: a key cannot be shown again)."""
    return BotToken.objects.filter(user=user).order_by("created_at", "pk")
