"""Refuse oversized request bodies with 413 before anything reads them."""
from django.conf import settings
from django.http import JsonResponse


class BodySizeLimitMiddleware:
    """JSON and form bodies over READOUT_MAX_BODY_BYTES (uploads: READOUT_MAX_UPLOAD_BYTES) get HTTP 413.

    Django's own DATA_UPLOAD_MAX_MEMORY_SIZE does not apply to DRF's JSON parsing, which reads the stream itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.max_body = settings.READOUT_MAX_BODY_BYTES
        self.max_upload = settings.READOUT_MAX_UPLOAD_BYTES

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        is_upload = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        limit = self.max_upload if is_upload else self.max_body
        if length > limit:
            return JsonResponse(
                {"detail": f"The request body is {length} bytes; the limit is {limit} bytes."}, status=413
            )
        return self.get_response(request)


class PageThrottleMiddleware:
    """Rate-limits POSTs to HTML pages whose view function carries a ``throttle_scope`` (the forecast form on a
    question page, the trade form, sign-up, log-in) with the API's throttle classes and rates, so a form and its API
    endpoint share one count (forecasting.accounts.throttling). Over the limit: 429 with Retry-After and a short
    page. Apps mark views with the attribute only, so markets needs no import from forecasting."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        scope = getattr(view_func, "throttle_scope", None)
        # DRF views (as_view() sets .cls) throttle themselves.
        if request.method != "POST" or not scope or hasattr(view_func, "cls"):
            return None
        from django.shortcuts import render

        from forecasting.accounts.throttling import throttle_wait

        wait = throttle_wait(request, scope=scope)
        if wait is None:
            return None
        response = render(request, "429.html", {"retry_after": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
