"""Log-in lock-out (django-axes, database handler) on the HTML form, the admin and the API token endpoint: 5 failures
for one username from one address lock that (username, address) pair for 15 minutes, without a password check; a
stranger elsewhere cannot lock a named user out; the state is in the database (every web process sees it); a
password reset lifts it."""
import re

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client, RequestFactory
from freezegun import freeze_time
from rest_framework.test import APIClient

from forecasting.accounts import throttling
from forecasting.accounts.lockout import lockout_remaining
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


def remaining(username, ip):
    return lockout_remaining(RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip), username)


@pytest.mark.parametrize("login", [html_login, api_login], ids=["html", "api"])
def test_five_failures_from_one_address_lock_that_username_there_even_with_the_right_password(login, alice):
    for attempt in range(4):
        assert login("alice", f"wrong-{attempt}", ip="10.0.1.1").status_code in (200, 400)
    assert login("alice", "wrong-4", ip="10.0.1.1").status_code == 429  # the fifth failure locks
    locked = login("alice", PASSWORD, ip="10.0.1.1")
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()


@pytest.mark.parametrize("login", [html_login, api_login], ids=["html", "api"])
def test_a_stranger_cannot_lock_a_named_user_out_from_another_address(login, alice):
    """Issue 13: anyone could lock any named account for 15 minutes with 5 requests."""
    for attempt in range(10):
        login("alice", f"wrong-{attempt}", ip="203.0.113.66")
    assert login("alice", PASSWORD, ip="198.51.100.7").status_code in (200, 302)


def test_the_lock_is_shared_by_every_web_process(alice):
    """Issue 13: counters lived in each gunicorn worker's memory, so 4 workers checked 20 passwords, not 5. Another
    process has its own local-memory cache; emptying this one is what it sees."""
    for attempt in range(3):
        html_login("alice", "wrong", ip="10.0.1.1")
    caches["default"].clear()  # "another worker"
    for attempt in range(2):
        html_login("alice", "wrong", ip="10.0.1.1")
    caches["default"].clear()
    assert html_login("alice", PASSWORD, ip="10.0.1.1").status_code == 429


def test_four_failures_do_not_lock_and_a_success_forgets_them(alice):
    for attempt in range(4):
        assert html_login("alice", "wrong").status_code == 200
    assert html_login("alice", PASSWORD).status_code == 302
    for attempt in range(4):
        assert html_login("alice", "wrong").status_code == 200
    assert html_login("alice", PASSWORD).status_code == 302


def test_the_api_says_when_to_retry_and_html_and_api_share_the_count(alice):
    for attempt in range(3):
        html_login("alice", "wrong", ip="10.0.5.1")
    for attempt in range(2):
        api_login("alice", "wrong", ip="10.0.5.1")
    response = api_login("alice", PASSWORD, ip="10.0.5.1")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "15 minutes" in response.json()["detail"]


def test_the_lock_lifts_after_the_cool_off(alice):
    with freeze_time("2026-06-01 12:00:00") as clock:
        for attempt in range(5):
            api_login("alice", "wrong")
        assert api_login("alice", PASSWORD).status_code == 429
        clock.tick(15 * 60 + 1)
        assert remaining("alice", "10.0.0.1") == 0
        assert api_login("alice", PASSWORD).status_code == 200


def test_a_password_reset_lifts_the_lock(alice):
    """Issue 13: the 429 text suggested a password reset, which did not clear the lock."""
    for attempt in range(5):
        html_login("alice", "wrong")
    assert html_login("alice", PASSWORD).status_code == 429
    client = Client(REMOTE_ADDR="10.0.0.1")
    client.post("/accounts/password-reset/", {"email": alice.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"})
    assert done.status_code == 302
    assert html_login("alice", "another-long-passphrase").status_code == 302


def test_malformed_token_requests_do_not_count_as_failures(alice):
    for _ in range(6):
        assert APIClient().post("/api/v1/auth/token/", {"username": "alice"}, format="json").status_code == 400
    assert api_login("alice", PASSWORD, ip="127.0.0.1").status_code == 200


def test_usernames_are_counted_case_insensitively(alice):
    for name in ["alice", "ALICE", "Alice", "aLiCe", "alice "]:
        api_login(name, "wrong")
    assert remaining("Alice", "10.0.0.1") > 0


def test_admin_login_is_locked_out_too(staff_user):
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(4):
        assert client.post("/admin/login/", {"username": staff_user.username, "password": "wrong"}).status_code == 200
    client.post("/admin/login/", {"username": staff_user.username, "password": "wrong"})
    locked = client.post("/admin/login/", {"username": staff_user.username, "password": PASSWORD})
    assert locked.status_code == 429
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
    settings.READOUT_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttling.client_ip(request) == expected


def test_behind_a_balancer_lock_out_counts_the_client_address_not_the_balancers(settings, alice):
    settings.READOUT_TRUSTED_PROXIES = 1

    def via_balancer(username, password, client):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client).post(
            "/accounts/login/", {"username": username, "password": password}
        )

    for attempt in range(5):  # one client guesses alice's password
        via_balancer("alice", "wrong", "198.51.100.1")
    assert via_balancer("alice", PASSWORD, "198.51.100.1").status_code == 429  # that client is locked out
    assert via_balancer("alice", PASSWORD, "198.51.100.2").status_code == 302  # alice, elsewhere, is not
