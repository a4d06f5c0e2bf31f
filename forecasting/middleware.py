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
