"""Follow API: follow or unfollow a question, trial, asset or user, see whether you follow it, list your follows."""
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting.accounts.follows import (
    TARGET_FIELDS,
    TargetNotFound,
    follow_kind,
    follow_set,
    follow_state,
    follow_target,
    follow_target_get,
    follows_of,
    target_label,
)
from forecasting.api.pagination import DefaultPagination

KINDS = list(TARGET_FIELDS)

FollowStateOut = inline_serializer("FollowState", {
    "kind": serializers.ChoiceField(choices=KINDS),
    "id": serializers.IntegerField(),
    "following": serializers.BooleanField(),
})


class FollowSerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField()
    id = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    auto = serializers.BooleanField(help_text="Followed because you forecast or commented.")
    created_at = serializers.DateTimeField()

    def get_kind(self, obj) -> str:
        return follow_kind(obj)

    def get_id(self, obj) -> int:
        return follow_target(obj).pk

    def get_name(self, obj) -> str:
        return target_label(follow_target(obj))

    def get_url(self, obj) -> str:
        target = follow_target(obj)
        if follow_kind(obj) == "user":
            from django.urls import reverse

            return reverse("scoring:profile", kwargs={"username": target.get_username()})
        return target.get_absolute_url()


class MyFollowsView(ListAPIView):
    """What you follow (active follows), newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = FollowSerializer
    pagination_class = DefaultPagination
    filter_backends = []

    def get_queryset(self):
        return follows_of(user=self.request.user)

    @extend_schema(summary="What you follow", tags=["follows"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


KIND_PARAM = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=KINDS,
                              description="question, trial, asset or user")
ERRORS = {400: OpenApiResponse(description="Unknown kind, or you cannot follow this (yourself)."),
          404: OpenApiResponse(description="No such question, trial, asset or user.")}


class FollowView(APIView):
    """Follow (PUT) or unfollow (DELETE) a question, trial, asset or user; GET says whether you follow it.
    Unfollowing is remembered: forecasting or commenting never re-follows it automatically."""

    permission_classes = [permissions.IsAuthenticated]

    def _target(self, kind, pk):
        try:
            return follow_target_get(kind=kind, target_id=pk)
        except TargetNotFound as exc:
            raise NotFound(str(exc)) from None

    def _body(self, kind, target, following):
        return {"kind": kind, "id": target.pk, "following": following}

    @extend_schema(summary="Whether you follow it", tags=["follows"], parameters=[KIND_PARAM],
                   responses={200: FollowStateOut, **ERRORS})
    def get(self, request, kind: str, pk: int):
        target = self._target(kind, pk)
        return Response(self._body(kind, target, follow_state(user=request.user, target=target)))

    @extend_schema(summary="Follow it", tags=["follows"], parameters=[KIND_PARAM], request=None,
                   responses={200: FollowStateOut, **ERRORS})
    def put(self, request, kind: str, pk: int):
        target = self._target(kind, pk)
        follow_set(user=request.user, target=target, active=True)
        return Response(self._body(kind, target, True))

    @extend_schema(summary="Unfollow it", tags=["follows"], parameters=[KIND_PARAM],
                   responses={200: FollowStateOut, **ERRORS})
    def delete(self, request, kind: str, pk: int):
        target = self._target(kind, pk)
        follow_set(user=request.user, target=target, active=False)
        return Response(self._body(kind, target, False))


urlpatterns = [
    path("me/follows/", MyFollowsView.as_view(), name="api-my-follows"),
    path("follows/<str:kind>/<int:pk>/", FollowView.as_view(), name="api-follow"),
]
