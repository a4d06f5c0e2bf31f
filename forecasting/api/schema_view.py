"""/api/v1/schema/, built once per process and format.

drf-spectacular walks every view and serializer on each request (150-700 ms here, more on a loaded machine) although
the schema only changes when the code does. The rendered bytes are kept per process, keyed on what the schema and its
rendering depend on: the URL configuration, the negotiated format (YAML or JSON), ``?version=`` and ``?lang=``. A deploy
starts new processes, so a new release never serves an old schema; ``schema_cache_clear()`` empties the cache (tests
that change the URLs or the settings).

The schema is the public one (``SERVE_PUBLIC``): it does not depend on who asks, so one copy serves everyone.
"""
from __future__ import annotations

import threading

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView

_cache: dict[tuple, tuple[bytes, str, str]] = {}
_lock = threading.Lock()
MAX_ENTRIES = 32  # formats x versions x languages: a bound against ?lang=<random> filling memory


def schema_cache_clear() -> None:
    with _lock:
        _cache.clear()


class CachedSpectacularAPIView(SpectacularAPIView):
    """SpectacularAPIView serving the rendered schema from a per-process cache after the first request."""

    def _cache_key(self, request) -> tuple:
        return (
            str(getattr(request, "urlconf", None) or self.urlconf or settings.ROOT_URLCONF),
            request.accepted_media_type,
            request.GET.get("version") or "",
            request.GET.get("lang") or "" if settings.USE_I18N else "",
            bool(self.serve_public),
        )

    @extend_schema(**SCHEMA_KWARGS)  # documented exactly as drf-spectacular documents its own view
    def get(self, request, *args, **kwargs):
        hit = _cache.get(self._cache_key(request))
        if hit is not None:
            body, content_type, disposition = hit
            response = HttpResponse(body, content_type=content_type)
            response["Content-Disposition"] = disposition
            return response
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(response, "data", None) is not None and response.status_code == 200 and hasattr(response, "render"):
            response.render()
            with _lock:
                if len(_cache) < MAX_ENTRIES:
                    _cache[self._cache_key(request)] = (
                        response.content, response["Content-Type"], response.get("Content-Disposition", ""),
                    )
        return response
