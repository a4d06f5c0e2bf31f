"""The API's log-in (a token for a username and password) and the token's management (see, rotate, revoke)."""
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from forecasting.accounts.lockout import lockout_response
from forecasting.accounts.selectors import bot_tokens, user_token
from forecasting.accounts.services import bot_token_create, bot_token_revoke, user_token_rotate, user_tokens_revoke


# The docstring below is published as the API's description (/api/v1/schema/).
class TokenView(ObtainAuthToken):
    """POST username and password, get a token for `Authorization: Token <key>`. Locked out like the HTML log-in
    (django-axes: too many failures for a username from one address get 429 with Retry-After, without a password
    check) and rate-limited per address (scope "login"). Changing the password revokes the token."""

    throttle_scope = "login"

    def get_throttles(self):
        # ObtainAuthToken turns throttling off (throttle_classes = ()); this view uses the site's.
        return [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES]

    @extend_schema(summary="Get an API token", tags=["auth"])
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # axes flags the (DRF) request it was given when the pair is locked (or has just become locked).
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request, credentials={"username": request.data.get("username")})
            raise ValidationError(serializer.errors)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


TokenOut = inline_serializer("ApiToken", {
    "token": serializers.CharField(allow_null=True, help_text="The key, or null when you have no token."),
    "created": serializers.DateTimeField(allow_null=True),
})


def _token_body(token):
    return {"token": token.key if token else None, "created": token.created if token else None}


class MyTokenView(APIView):
    """Your API token: see it, or revoke it (DELETE). Rotate with POST me/token/rotate/."""

    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "tokens"

    @extend_schema(summary="Your API token", tags=["auth"], responses={200: TokenOut})
    def get(self, request):
        return Response(_token_body(user_token(user=request.user)))

    @extend_schema(summary="Revoke your API token", tags=["auth"], responses={204: None})
    def delete(self, request):
        user_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyTokenRotateView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "tokens"

    @extend_schema(summary="Rotate your API token (the old key stops working)", tags=["auth"], request=None,
                   responses={200: TokenOut})
    def post(self, request):
        return Response(_token_body(user_token_rotate(user=request.user)))


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/token/", MyTokenView.as_view(), name="api-my-token"),
    path("me/token/rotate/", MyTokenRotateView.as_view(), name="api-my-token-rotate"),
]


BotTokenList = inline_serializer("BotToken", {
    "id": serializers.IntegerField(),
    "name": serializers.CharField(),
    "prefix": serializers.CharField(help_text="The key's first characters, to tell keys apart."),
    "created_at": serializers.DateTimeField(),
    "last_used_at": serializers.DateTimeField(allow_null=True),
}, many=True)
BotTokenCreatedOut = inline_serializer("BotTokenCreated", {
    "id": serializers.IntegerField(),
    "name": serializers.CharField(),
    "prefix": serializers.CharField(),
    "created_at": serializers.DateTimeField(),
    "last_used_at": serializers.DateTimeField(allow_null=True),
    "key": serializers.CharField(help_text="Send as `Authorization: Bearer <key>`. Shown only in this response."),
})
BotTokenIn = inline_serializer("BotTokenRequest", {"name": serializers.CharField(max_length=60)})


def _bot_token_body(token) -> dict:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
            "last_used_at": token.last_used_at}


class MyBotTokensView(APIView):
    """Your named bot tokens (several per user; the key is shown once, when created, and stored hashed)."""

    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "tokens"

    @extend_schema(summary="Your named bot tokens", tags=["auth"], responses={200: BotTokenList})
    def get(self, request):
        return Response([_bot_token_body(t) for t in bot_tokens(user=request.user)])

    @extend_schema(summary="Create a named bot token (its key is shown only in this response)", tags=["auth"],
                   request=BotTokenIn, responses={
                       201: BotTokenCreatedOut,
                       409: OpenApiResponse(description="You have the most bot tokens allowed; revoke one first."),
                   })
    def post(self, request):
        name = request.data.get("name") if isinstance(request.data, dict) else None
        token, key = bot_token_create(user=request.user, name=name)
        return Response({**_bot_token_body(token), "key": key}, status=status.HTTP_201_CREATED)


class MyBotTokenView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "tokens"

    @extend_schema(summary="Revoke one of your bot tokens", tags=["auth"], responses={
        204: None, 409: OpenApiResponse(description="You have no bot token with this id."),
    })
    def delete(self, request, pk: int):
        bot_token_revoke(user=request.user, token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns += [
    path("me/bot-tokens/", MyBotTokensView.as_view(), name="api-my-bot-tokens"),
    path("me/bot-tokens/<int:pk>/", MyBotTokenView.as_view(), name="api-my-bot-token"),
]
