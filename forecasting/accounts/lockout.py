"""Log-in lock-out with django-axes (settings: AXES_*, READOUT_LOGIN_MAX_FAILURES, READOUT_LOGIN_LOCKOUT).

READOUT_LOGIN_MAX_FAILURES failed log-ins for one username from one client address (forecasting.accounts.throttling
.client_ip) lock that pair for READOUT_LOGIN_LOCKOUT seconds; the password is not checked while locked. The state is
in the database (axes' AccessAttempt), so every web process sees the same count. The lock is per (username, address):
somebody elsewhere cannot lock a named user out by typing wrong passwords. A successful log-in and a password reset
clear the user's failures (``lockout_reset``). Used by every log-in: the site's, the admin's (both through Django's
authenticate and AxesMiddleware) and the API's token view (forecasting.accounts.api).
"""
import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone


def normalized_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username as typed, without case or surrounding spaces, so "Alice " and "alice"
    count together."""
    username = (credentials or {}).get("username") if credentials else None
    if username is None and request is not None:
        post = getattr(request, "POST", None)
        username = post.get("username") if post is not None else None
    return username.strip().lower() if isinstance(username, str) else None


def lockout_remaining(request, username: str | None) -> int:
    """Seconds until ``username`` may log in again from this request's address; 0 when not locked."""
    from axes.handlers.proxy import AxesProxyHandler
    from axes.models import AccessAttempt

    from forecasting.accounts.throttling import client_ip

    credentials = {"username": username}
    if not AxesProxyHandler.is_locked(request, credentials):
        return 0
    last = (AccessAttempt.objects.filter(username=normalized_username(None, credentials), ip_address=client_ip(request))
            .order_by("-attempt_time").values_list("attempt_time", flat=True).first())
    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    if last is None:
        return math.ceil(cool_off)
    return max(1, math.ceil((last - timezone.now()).total_seconds() + cool_off))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        f"Too many failed log-ins for this account from this address. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}, or reset your password (a reset lifts the pause)."
    )


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: HTTP 429 with Retry-After; JSON under /api/, else a page saying when to retry."""
    username = normalized_username(request, credentials)
    seconds = lockout_remaining(request, username) or math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())
    message = lockout_message(seconds)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def lockout_reset(*, username: str) -> None:
    """Forget every failed log-in for ``username`` (from any address): after a password reset the owner is back in."""
    from axes.utils import reset

    reset(username=normalized_username(None, {"username": username}))


class LockoutBackend(AxesStandaloneBackend):
    """AUTHENTICATION_BACKENDS' first entry: axes' lock-out check for every log-in made over HTTP. Calls without a
    request come from code on the server (a shell, ``Client.login`` in tests), which no remote guesser can reach, so
    they pass to the next backend instead of raising as axes' own backend does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
