"""Refuse NUL characters in the path or query string with 400 before any view runs.

PostgreSQL text cannot hold NUL, so a lookup such as ``?q=%00`` or ``/api/v1/users/%00/`` raises DataError deep in
the ORM (a 500, and on PostgreSQL an aborted transaction); no legitimate identifier, slug or filter contains one.
Form fields and DRF's search filter already refuse NUL in bodies and ``search``; this covers every other way in.
"""
from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse

from assets.validators import MAX_JSON_DEPTH, json_too_deep, too_deep_message

MESSAGE = "The URL contains a NUL character (%00), which no path or query parameter allows."


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query.replace("+", " ")):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class RejectDeepJsonMiddleware:
    """Refuse a JSON body nested deeper than ``MAX_JSON_DEPTH`` with 400 before any view runs.

    The project's JSON parser refuses it too, but some views bring their own parsers (DRF's ObtainAuthToken behind
    ``/api/v1/auth/token/``) or read ``request.body`` themselves; Python's decoder recurses once per level, so ten
    thousand ``[`` failed any of them with a RecursionError (a 500), even anonymously. Only JSON bodies are read
    here (already capped by BodySizeLimitMiddleware); uploads stay streamed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                text = request.body.decode(request.encoding or "utf-8", errors="replace")
            except Exception:  # noqa: BLE001 - unreadable bodies are the parser's and the size limit's to report
                text = ""
            if json_too_deep(text, MAX_JSON_DEPTH):
                message = too_deep_message(MAX_JSON_DEPTH)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=400)
                return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
