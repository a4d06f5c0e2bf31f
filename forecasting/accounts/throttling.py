"""Throttled log-in: after too many failed log-ins for one username or from one IP address, further attempts are
refused for a while, without checking the password (so guessing cannot go on behind the refusal).

Used by the HTML login (forecasting.accounts.login_views) and the API token endpoint
(forecasting.accounts.api.TokenView). State lives in Django's default cache, so it works with the local-memory cache
(one process) and Redis (every web process shares it). Settings (all optional):

- ``READOUT_LOGIN_MAX_FAILURES`` (default 5): failures allowed in the window;
- ``READOUT_LOGIN_FAILURE_WINDOW`` (seconds, default 900): failures older than this (counted from the first one in
  the window) are forgotten;
- ``READOUT_LOGIN_LOCKOUT`` (seconds, default 900): how long a username or address stays locked once it reaches the
  limit.

The address is REMOTE_ADDR, unless ``READOUT_TRUSTED_PROXIES`` (default 0) says how many proxies in front of the
web processes append to X-Forwarded-For: then it is the address the outermost trusted proxy saw, that many entries
from the right (entries further left are whatever the client sent and are never trusted). Behind a load balancer
without this setting every user shares the balancer's address, and five failures from anyone lock everyone out.
"""
import hashlib
import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "login-throttle"


def _limits() -> tuple[int, int, int]:
    return (
        getattr(settings, "READOUT_LOGIN_MAX_FAILURES", 5),
        getattr(settings, "READOUT_LOGIN_FAILURE_WINDOW", 15 * 60),
        getattr(settings, "READOUT_LOGIN_LOCKOUT", 15 * 60),
    )


def _subjects(*, username: str | None, ip: str | None) -> list[str]:
    """Cache-key fragments for the username (case-insensitive, hashed: keys must be short and plain) and the IP."""
    subjects = []
    if username:
        subjects.append("user:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32])
    if ip:
        subjects.append("ip:" + ip)
    return subjects


def client_ip(request) -> str | None:
    """The client's address (see the module docstring); REMOTE_ADDR when X-Forwarded-For is short or malformed."""
    hops = getattr(settings, "READOUT_TRUSTED_PROXIES", 0)
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def login_lockout_remaining(*, username: str | None, ip: str | None) -> int:
    """Seconds until log-ins for ``username`` and from ``ip`` are accepted again; 0 when neither is locked."""
    now = time.time()
    until = cache.get_many([f"{KEY_PREFIX}:lock:{s}" for s in _subjects(username=username, ip=ip)]).values()
    return max((math.ceil(t - now) for t in until if t > now), default=0)


def login_failure_record(*, username: str | None, ip: str | None) -> None:
    """Count one failed log-in against ``username`` and ``ip``; lock each that reaches the limit."""
    max_failures, window, lockout = _limits()
    for subject in _subjects(username=username, ip=ip):
        key = f"{KEY_PREFIX}:fail:{subject}"
        cache.add(key, 0, timeout=window)  # starts the window at the first failure
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            failures = 1
        if failures >= max_failures:
            cache.set(f"{KEY_PREFIX}:lock:{subject}", time.time() + lockout, timeout=lockout)
            cache.delete(key)


def login_success_record(*, username: str | None) -> None:
    """A successful log-in forgets the username's failures (not the address's: one valid account must not reset an
    address that is guessing other accounts' passwords)."""
    cache.delete_many([f"{KEY_PREFIX}:fail:{s}" for s in _subjects(username=username, ip=None)])


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        f"Too many failed log-ins for this account or from this address. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}, or reset your password."
    )
