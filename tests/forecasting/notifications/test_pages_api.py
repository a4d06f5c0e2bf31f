"""The bell, the notifications page (mark one or all read, empty state, pagination), preferences (inline errors) and
the notifications API."""
import pytest
from django.urls import reverse

from forecasting.notifications.models import Delivery, Kind, Notification, NotificationPreference
from forecasting.notifications.services.delivery import Item, notifications_deliver

pytestmark = pytest.mark.django_db


def notify(user, n=1, *, start=0):
    notifications_deliver([Item(user_id=user.pk, kind=Kind.COMMENT, dedupe_key=f"comment:{i}",
                                title=f"Bea commented {i}", text=f"Comment text {i}", link="/questions/")
                           for i in range(start, start + n)])


def test_bell_shows_the_unread_count_for_logged_in_users_only(client, user):
    notify(user, 3)
    assert b"notification-bell" not in client.get("/").content
    client.force_login(user)
    html = client.get("/").content.decode()
    assert 'data-testid="notification-count">3<' in html


def test_bell_costs_one_query(client, user, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from forecasting.notifications.context import unread_count

    notify(user, 5)
    with CaptureQueriesContext(connection) as ctx:
        assert unread_count(user) == 5
    assert len(ctx.captured_queries) == 1


def test_bell_caps_at_99_plus(client, user):
    notify(user, 120)
    client.force_login(user)
    assert 'data-testid="notification-count">99+<' in client.get("/").content.decode()


def test_notifications_page_marks_read_and_opens(client, user):
    notify(user, 2)
    client.force_login(user)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "Comment text 0" in html and "Comment text 1" in html
    first = Notification.objects.get(dedupe_key="comment:0")
    response = client.post(reverse("notifications:read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/questions/"
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("notifications:read-all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_nobody_marks_another_users_notification(client, user, other_user):
    notify(other_user)
    client.force_login(user)
    theirs = Notification.objects.get()
    client.post(reverse("notifications:read", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_empty_state_and_pagination(client, user):
    client.force_login(user)
    assert b"No notifications yet" in client.get(reverse("notifications:list")).content
    notify(user, 35)
    page2 = client.get(reverse("notifications:list") + "?page=2").content.decode()
    assert page2.count('data-testid="notification"') == 5


def test_list_page_queries_do_not_grow(client, user, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    notify(user, 3)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:list"))
    notify(user, 25, start=10)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:list"))


def test_preferences_page_saves_and_shows_inline_errors(client, user):
    client.force_login(user)
    data = {f"kind_{k}": "app" for k in Kind.values}
    data.update(kind_news="off", move_binary_pp="15", move_numeric_fraction="0.2")
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=user, kind=Kind.NEWS).delivery == Delivery.OFF
    data.update(move_binary_pp="150", kind_news="loud")
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "field-errors" in html and "less than or equal to 100" in html and "Select a valid choice" in html
    assert NotificationPreference.objects.get(user=user, kind=Kind.NEWS).delivery == Delivery.OFF


# --- API --------------------------------------------------------------------------------------------------------
def test_api_list_count_and_mark_read(user_client, user, settings):
    settings.READOUT_SITE_URL = "https://readout.example"
    notify(user, 3)
    body = user_client.get("/api/v1/me/notifications/").json()
    assert body["count"] == 3 and body["results"][0]["url"] == "https://readout.example/questions/"
    assert user_client.get("/api/v1/me/notifications/unread-count/").json() == {"unread": 3}
    first = body["results"][0]["id"]
    assert user_client.post(f"/api/v1/me/notifications/{first}/read/").json()["read"] is True
    assert user_client.get("/api/v1/me/notifications/?unread=true").json()["count"] == 2
    assert user_client.post("/api/v1/me/notifications/read-all/").json() == {"marked": 2}
    assert user_client.get("/api/v1/me/notifications/unread-count/").json() == {"unread": 0}


def test_api_refuses_others_and_bad_input(user_client, other_user):
    notify(other_user)
    theirs = Notification.objects.get().pk
    assert user_client.post(f"/api/v1/me/notifications/{theirs}/read/").status_code == 404
    assert user_client.get("/api/v1/me/notifications/?unread=maybe").status_code == 400


def test_api_preferences(user_client, user):
    body = user_client.get("/api/v1/me/notification-preferences/").json()
    assert body["deliveries"]["resolution"] == "email" and body["move_binary_pp"] == 10.0
    body = user_client.patch("/api/v1/me/notification-preferences/",
                             {"deliveries": {"comment": "digest"}, "move_binary_pp": 5}, format="json").json()
    assert body["deliveries"]["comment"] == "digest" and body["move_binary_pp"] == 5.0


@pytest.mark.parametrize("payload, field", [
    ({"deliveries": {"comment": "loud"}}, "deliveries.comment"),
    ({"deliveries": {"planets": "app"}}, "deliveries"),
    ({"move_binary_pp": 0.5}, "move_binary_pp"),
    ({"move_binary_pp": "NaN"}, "move_binary_pp"),
    ({"move_numeric_fraction": 3}, "move_numeric_fraction"),
    ({"email_off": "yes"}, "email_off"),
    ({"colour": "red"}, "detail"),
])
def test_api_preferences_bad_input_is_400_and_changes_nothing(user_client, payload, field):
    response = user_client.patch("/api/v1/me/notification-preferences/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not NotificationPreference.objects.exists()


def test_api_needs_a_login(api_client):
    assert api_client.get("/api/v1/me/notifications/").status_code == 403
    assert api_client.get("/api/v1/me/notification-preferences/").status_code == 403


def test_api_out_of_range_ids_and_numbers_are_refused_cleanly(user_client, client, user):
    assert user_client.post(f"/api/v1/me/notifications/{2**70}/read/").status_code == 404
    response = user_client.patch("/api/v1/me/notification-preferences/", '{"move_binary_pp": 1' + "0" * 400 + "}",
                                 content_type="application/json")
    assert response.status_code == 400
    client.force_login(user)
    assert client.post(f"/notifications/{2**70}/read/").status_code == 302  # "you have no notification" message
