"""Signed one-click unsubscribe tokens (django.core.signing): a token names a user and the kinds it unsubscribes
from ("all" for every e-mail). Tokens do not expire (an old e-mail's link must still work) and cannot be forged or
altered without the secret key."""
from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from forecasting.notifications.models import Kind

SALT = "readout.notifications.unsubscribe"
ALL = "all"


class BadToken(Exception):
    pass


def unsubscribe_token(*, user_id: int, kinds: list[str]) -> str:
    return signing.dumps({"u": user_id, "k": sorted(kinds)}, salt=SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, list[str]]:
    """(user id, kinds) of a token. Raises BadToken for a tampered, truncated or foreign token."""
    try:
        data = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadToken("This unsubscribe link is not valid (it may have been cut or altered).") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), list):
        raise BadToken("This unsubscribe link is not valid.")
    kinds = data["k"]
    allowed = set(Kind.values) | {ALL}
    if not kinds or any(k not in allowed for k in kinds):
        raise BadToken("This unsubscribe link is not valid.")
    return data["u"], kinds


def unsubscribe_url(*, user_id: int, kinds: list[str]) -> str:
    """The absolute one-click link (READOUT_SITE_URL)."""
    # Tokens are URL-safe (base64url and ":"), so the route is reversed once and the token put in its place.
    path = reverse("notifications:unsubscribe", kwargs={"token": "TOKEN"}).replace(
        "TOKEN", unsubscribe_token(user_id=user_id, kinds=kinds))
    return f"{settings.READOUT_SITE_URL.rstrip('/')}{path}"
