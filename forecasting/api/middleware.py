"""Refuse NUL characters in the path or query string with 400 before any view runs.

PostgreSQL text cannot hold NUL, so a lookup such as ``?q=%00`` or ``/api/v1/users/%00/`` raises DataError deep in
the ORM (a 500, and on PostgreSQL an aborted transaction); no legitimate identifier, slug or filter contains one.
Form fields and DRF's search filter already refuse NUL in bodies and ``search``; this covers every other way in.
"""
from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse

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
