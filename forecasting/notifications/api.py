"""Notifications API: your notifications (list, unread count, mark read) and your preferences."""
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting.api.pagination import DefaultPagination
from forecasting.notifications.context import unread_count
from forecasting.notifications.models import Delivery, Kind, Notification
from forecasting.notifications.services.delivery import site_url
from forecasting.notifications.services.inbox import (
    notification_mark_read,
    notifications_mark_all_read,
    preferences_get,
    preferences_set,
)


class NotificationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Absolute link to what it is about.")
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "text", "url", "question", "trial", "asset", "created_at", "read_at", "read"]

    def get_url(self, obj) -> str:
        return site_url(obj.link)

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class MyNotificationsView(ListAPIView):
    """Your notifications, newest first (``unread=true`` for the unread ones only)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = NotificationSerializer
    pagination_class = DefaultPagination
    filter_backends = []

    def get_queryset(self):
        rows = Notification.objects.filter(user=self.request.user).defer("email_claim")
        unread = self.request.query_params.get("unread")
        if unread not in (None, "", "true", "false"):
            raise DRFValidationError({"unread": "unread must be true or false."})
        if unread == "true":
            rows = rows.filter(read_at__isnull=True)
        return rows

    @extend_schema(summary="Your notifications", tags=["notifications"], parameters=[
        OpenApiParameter("unread", OpenApiTypes.STR, enum=["true", "false"], description="true: unread only"),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


UnreadOut = inline_serializer("NotificationUnreadCount", {
    "unread": serializers.IntegerField(help_text="Counted up to 100."),
})
ReadAllOut = inline_serializer("NotificationsMarkedRead", {"marked": serializers.IntegerField()})


class UnreadCountView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="How many notifications you have not read", tags=["notifications"],
                   responses={200: UnreadOut})
    def get(self, request):
        return Response({"unread": unread_count(request.user)})


class MarkReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Mark one notification read", tags=["notifications"], request=None, responses={
        200: NotificationSerializer, 404: OpenApiResponse(description="You have no notification with this id."),
    })
    def post(self, request, pk: int):
        try:
            notification = notification_mark_read(user=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise NotFound("You have no notification with this id.") from None
        return Response(NotificationSerializer(notification).data)


class MarkAllReadView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Mark all your notifications read", tags=["notifications"], request=None,
                   responses={200: ReadAllOut})
    def post(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})


def _deliveries_field():
    return inline_serializer("NotificationDeliveries", {
        k: serializers.ChoiceField(choices=Delivery.choices, required=False, help_text=Kind(k).label)
        for k in Kind.values
    })


PreferencesOut = inline_serializer("NotificationPreferences", {
    "deliveries": _deliveries_field(),
    "move_binary_pp": serializers.FloatField(help_text="Binary community moves, percentage points (1 to 100)."),
    "move_numeric_fraction": serializers.FloatField(
        help_text="Numeric community moves, fraction of the question's range (0.01 to 1)."),
    "email_off": serializers.BooleanField(help_text="No e-mail of any kind."),
})
PreferencesIn = inline_serializer("NotificationPreferencesUpdate", {
    "deliveries": _deliveries_field(),
    "move_binary_pp": serializers.FloatField(required=False, min_value=1, max_value=100),
    "move_numeric_fraction": serializers.FloatField(required=False, min_value=0.01, max_value=1),
    "email_off": serializers.BooleanField(required=False),
})


class PreferencesView(APIView):
    """Per kind: off, app (in-app only), email (in-app and e-mail at once) or digest (in-app and the daily
    digest); and your community-move thresholds."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Your notification preferences", tags=["notifications"],
                   responses={200: PreferencesOut})
    def get(self, request):
        return Response(preferences_get(user=request.user))

    @extend_schema(summary="Change your notification preferences", tags=["notifications"], request=PreferencesIn,
                   responses={200: PreferencesOut, 400: OpenApiResponse(description="A field is refused.")})
    def patch(self, request):
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise DRFValidationError({"detail": "Send a JSON object."})
        unknown = set(data) - {"deliveries", "move_binary_pp", "move_numeric_fraction", "email_off"}
        if unknown:
            raise DRFValidationError({"detail": f"Unknown field(s): {', '.join(sorted(map(str, unknown)))[:200]}."})
        return Response(preferences_set(
            user=request.user, deliveries=data.get("deliveries"), move_binary_pp=data.get("move_binary_pp"),
            move_numeric_fraction=data.get("move_numeric_fraction"), email_off=data.get("email_off"),
        ))


urlpatterns = [
    path("me/notifications/", MyNotificationsView.as_view(), name="api-my-notifications"),
    path("me/notifications/unread-count/", UnreadCountView.as_view(), name="api-notifications-unread"),
    path("me/notifications/read-all/", MarkAllReadView.as_view(), name="api-notifications-read-all"),
    path("me/notifications/<int:pk>/read/", MarkReadView.as_view(), name="api-notification-read"),
    path("me/notification-preferences/", PreferencesView.as_view(), name="api-notification-preferences"),
]
