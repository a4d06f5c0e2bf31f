"""Throttled log-in on the HTML form and the API token endpoint: 5 failures for one username or from one address
within 15 minutes lock it for 15 minutes; the password is not checked while locked."""
import pytest
from django.test import Client
from freezegun import freeze_time
from rest_framework.test import APIClient

from forecasting.accounts import throttling
from tests import factories

PASSWORD = "correct-horse-battery"


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice")


def html_login(username, password, ip="10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/accounts/login/", {"username": username, "password": password})


def api_login(username, password, ip="10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post("/api/v1/auth/token/", {"username": username, "password": password},
                                          format="json")


@pytest.mark.parametrize("login", [html_login, api_login], ids=["html", "api"])
def test_five_failures_for_a_username_lock_it_even_with_the_right_password(login, alice):
    for attempt in range(5):
        assert login("alice", f"wrong-{attempt}", ip=f"10.0.1.{attempt}").status_code in (200, 400)
    locked = login("alice", PASSWORD, ip="10.0.2.1")  # right password, fresh address: still refused
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()


def test_four_failures_do_not_lock_and_a_success_forgets_them(alice):
    for attempt in range(4):
        assert html_login("alice", "wrong", ip=f"10.0.1.{attempt}").status_code == 200
    assert html_login("alice", PASSWORD).status_code == 302
    for attempt in range(4):
        assert html_login("alice", "wrong", ip=f"10.0.3.{attempt}").status_code == 200
    assert html_login("alice", PASSWORD).status_code == 302


@pytest.mark.parametrize("login", [html_login, api_login], ids=["html", "api"])
def test_five_failures_from_one_address_lock_the_address_for_every_username(login, alice):
    factories.UserFactory(username="bob")
    for attempt in range(5):
        login(f"user{attempt}", "wrong", ip="10.9.9.9")
    assert login("bob", PASSWORD, ip="10.9.9.9").status_code == 429
    assert login("bob", PASSWORD, ip="10.9.9.10").status_code in (200, 302)  # another address is not locked


def test_the_api_says_when_to_retry_and_html_and_api_share_the_count(alice):
    for attempt in range(3):
        html_login("alice", "wrong", ip=f"10.0.1.{attempt}")
    for attempt in range(2):
        api_login("alice", "wrong", ip=f"10.0.4.{attempt}")
    response = api_login("alice", PASSWORD, ip="10.0.5.1")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "15 minutes" in response.json()["detail"]


def test_the_lock_lifts_after_the_lockout(alice):
    with freeze_time("2026-06-01 12:00:00") as clock:
        for attempt in range(5):
            api_login("alice", "wrong", ip=f"10.0.1.{attempt}")
        assert api_login("alice", PASSWORD).status_code == 429
        clock.tick(15 * 60 + 1)
        # locmem expires keys by time.time(), which freezegun moves.
        assert throttling.login_lockout_remaining(username="alice", ip=None) == 0
        assert api_login("alice", PASSWORD).status_code == 200


def test_malformed_token_requests_do_not_count_as_failures(alice):
    for _ in range(6):
        assert APIClient().post("/api/v1/auth/token/", {"username": "alice"}, format="json").status_code == 400
    assert api_login("alice", PASSWORD).status_code == 200


def test_usernames_are_counted_case_insensitively(alice):
    for attempt, name in enumerate(["alice", "ALICE", "Alice", "aLiCe", "alice "]):
        api_login(name, "wrong", ip=f"10.0.1.{attempt}")
    assert throttling.login_lockout_remaining(username="Alice", ip=None) > 0


def test_admin_login_is_throttled_too(client, staff_user):
    for _ in range(5):
        response = client.post("/admin/login/", {"username": staff_user.username, "password": "wrong"})
        assert response.status_code == 200
    locked = client.post("/admin/login/", {"username": staff_user.username, "password": "correct-horse-battery"})
    assert "Too many failed log-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.9.9.9"),  # no trusted proxy: the header is the client's word, ignored
        (1, "203.0.113.7", "203.0.113.7"),  # one balancer appended what it saw
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a client-sent entry on the left is not trusted
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),  # CDN then balancer: two from the right
        (2, "203.0.113.7", "10.9.9.9"),  # fewer entries than proxies: misconfigured or direct, use the peer
        (1, "not-an-address", "10.9.9.9"),
        (1, "", "10.9.9.9"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_as_many_forwarded_entries_as_there_are_proxies(settings, proxies, forwarded, expected):
    from django.test import RequestFactory

    settings.READOUT_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttling.client_ip(request) == expected


def test_behind_a_balancer_one_clients_failures_do_not_lock_out_another(settings, alice):
    settings.READOUT_TRUSTED_PROXIES = 1

    def via_balancer(username, password, client):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client).post(
            "/accounts/login/", {"username": username, "password": password}
        )

    for attempt in range(5):  # one client guesses at five different accounts
        assert via_balancer(f"nobody-{attempt}", "wrong", "198.51.100.1").status_code == 200
    assert via_balancer("nobody-9", "wrong", "198.51.100.1").status_code == 429  # that address is locked
    assert via_balancer("alice", PASSWORD, "198.51.100.2").status_code == 302  # another client is not
