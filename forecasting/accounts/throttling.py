"""Rate limits and the client's address.

``client_ip`` is the address that log-in lock-out (django-axes, ``AXES_CLIENT_IP_CALLABLE``; see
forecasting.accounts.lockout) and the rate limits below count against. It is REMOTE_ADDR, unless
``READOUT_TRUSTED_PROXIES`` (default 0) says how many proxies in front of the web processes append to
X-Forwarded-For: then it is the address the outermost trusted proxy saw, that many entries from the right (entries
further left are whatever the client sent and are never trusted). Behind a load balancer without this setting every
user shares the balancer's address.

``ScopedWriteThrottle`` is DRF's ScopedRateThrottle for writes: a view names its scope in ``throttle_scope`` (rates in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, docs/deploy.md "Rate limits"), and each logged-in user, or each client
address for anonymous requests, gets that many POSTs (PUT, PATCH, DELETE) per period; reads are never counted. HTML
pages use the same class through forecasting.middleware.PageThrottleMiddleware. Counters live in the ``throttle``
cache: Redis when REDIS_URL is set (shared by every web process), local memory otherwise. When that cache fails
(Redis down), the throttle lets the request through and logs a warning: rate limits are a guard, not a reason to
refuse service.
"""
import ipaddress
import logging

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


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


class ScopedWriteThrottle(ScopedRateThrottle):
    """Counts writes to views with a ``throttle_scope``, per user (logged in) or client address; fails open."""

    @property
    def cache(self):
        return caches["throttle"]

    def get_rate(self):
        # DRF reads its settings once; the rates are read per request so a test (or a settings override) can lower them.
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope)

    def get_ident(self, request):
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS or not getattr(view, self.scope_attr, None):
            return True
        try:
            return super().allow_request(request, view)
        except Exception:  # the shared cache is down: fail open, loudly
            logger.warning("rate-limit cache unavailable; letting %s %s through", request.method, request.path,
                           exc_info=True)
            return True


def throttle_wait(request, *, scope: str, view=None) -> int | None:
    """For a page (not a DRF view): None if a write in ``scope`` is allowed now (and count it), else the seconds to
    wait. Uses the same throttle classes as the API, so a page POST and an API POST share one count."""
    from rest_framework.settings import api_settings

    class _PageView:
        throttle_scope = scope

    waits = []
    for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES:
        throttle = throttle_class()
        if not throttle.allow_request(request, view or _PageView()):
            waits.append(throttle.wait() or 1)
    return max(int(w + 0.999) for w in waits) if waits else None
