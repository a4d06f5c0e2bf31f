"""The API's single exception handler: domain errors become 400/403/409 with a message naming the field."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from assets.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A bare ValidationError (e.g. a filter refusing "\x00" in ?search=) renders as a list; every documented
        # error body is an object.
        response.data = {"detail": response.data}
    return response


def page_not_found(request, exception=None):
    """The project's handler404: under /api/ a JSON error (clients and the schema expect JSON), elsewhere Django's
    HTML page. Reached for paths no route matches, e.g. /api/v1/markets/abc/ (market ids are whole numbers)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found: no API endpoint or object at this path."}, status=404)
    return defaults.page_not_found(request, exception)
