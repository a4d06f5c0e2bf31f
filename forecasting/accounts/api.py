"""The API's log-in: a token for a username and password, throttled like the HTML log-in."""
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from forecasting.accounts import throttling


# The docstring below is published as the API's description (/api/v1/schema/), which the split into rooms kept
# byte-identical: it still says forecasting.throttling, now forecasting/accounts/throttling.py.
class TokenView(ObtainAuthToken):
    """POST username and password, get a token for `Authorization: Token <key>`. Throttled like the HTML log-in
    (forecasting.throttling): a locked username or address gets 429 with Retry-After, without a password check."""

    @extend_schema(summary="Get an API token", tags=["auth"])
    def post(self, request, *args, **kwargs):
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        username = username if isinstance(username, str) else None
        ip = throttling.client_ip(request)
        remaining = throttling.login_lockout_remaining(username=username, ip=ip)
        if remaining:
            return Response({"detail": throttling.lockout_message(remaining)}, status=status.HTTP_429_TOO_MANY_REQUESTS,
                            headers={"Retry-After": str(remaining)})
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if username and "non_field_errors" in serializer.errors:  # wrong credentials, not a malformed body
                throttling.login_failure_record(username=username, ip=ip)
            raise ValidationError(serializer.errors)
        throttling.login_success_record(username=username)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
]
