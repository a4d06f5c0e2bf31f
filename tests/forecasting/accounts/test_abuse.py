"""Issue 13, accounts and abuse: Sybil sign-ups, open redirects, rate limits and API tokens. (Log-in lock-out is in
tests/api/test_login_throttling.py.) Each test names the defect it guards against."""
import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import caches
from django.test import Client
from freezegun import freeze_time
from rest_framework.test import APIClient

from forecasting.forecasts.models import Forecast
from markets.models import Trade
from markets.services import market_create
from tests.markets.conftest import balance

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-unusual-passphrase"


def sign_up(client, username, *, next_url=None):
    path = "/accounts/signup/" + (f"?next={next_url}" if next_url else "")
    return client.post(path, {"username": username, "email": f"{username}@example.com", "display_name": "",
                              "password1": PASSWORD, "password2": PASSWORD})


def verification_link(email):
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    return re.search(r"(\S+/accounts/verify/\S+/)", message.body).group(1)


# -- 1. Sybil accounts -----------------------------------------------------------------------------------------------

def test_fresh_sign_ups_cannot_forecast_or_trade_until_their_address_is_confirmed(open_question, staff_user):
    """Issue 13: 12 sign-ups moved a community median from 0.348 to 0.001; five pumped a market for a main account.
    A sign-up whose address is not confirmed has no points and its forecasts are refused, so it moves nothing."""
    market = market_create(question=open_question, b=100, created_by=staff_user)
    for i in range(3):
        client = Client()
        assert sign_up(client, f"sybil{i}").status_code == 302
        api = APIClient()
        api.force_authenticate(User.objects.get(username=f"sybil{i}"))
        refused = api.post(f"/api/v1/questions/{open_question.pk}/forecasts/", {"probability": 0.001}, format="json")
        assert refused.status_code == 403
        assert "Confirm your e-mail address" in refused.json()["detail"]
        assert api.post(f"/api/v1/markets/{market.pk}/trades/", {"outcome": 1, "shares": 5},
                        format="json").status_code in (403, 409)
        assert balance(User.objects.get(username=f"sybil{i}")) == 0
    assert not Forecast.objects.filter(question=open_question).exists()
    assert not Trade.objects.filter(market=market).exists()


def test_the_page_form_refuses_an_unconfirmed_forecaster_too(open_question):
    client = Client()
    sign_up(client, "sybil")
    response = client.post(open_question.get_absolute_url(), {"percent": "1", "rationale": ""})
    assert response.status_code == 403
    assert not Forecast.objects.exists()


def test_following_the_emailed_link_confirms_the_address_and_grants_the_points(settings, open_question):
    settings.READOUT_SITE_URL = "https://readout.example.org"
    client = Client(HTTP_HOST="testserver")
    sign_up(client, "newbie")
    user = User.objects.get(username="newbie")
    link = verification_link("newbie@example.com")
    assert link.startswith("https://readout.example.org/accounts/verify/")  # the setting, never the Host header
    assert client.get(link.removeprefix("https://readout.example.org")).status_code == 302
    assert balance(user) == 1_000_000
    api = APIClient()
    api.force_authenticate(user)
    assert api.post(f"/api/v1/questions/{open_question.pk}/forecasts/", {"probability": 0.3},
                    format="json").status_code == 201


def test_verification_links_expire_and_cannot_be_forged(settings):
    with freeze_time("2026-06-01 12:00:00") as clock:
        client = Client()
        sign_up(client, "late")
        path = "/accounts/verify/" + verification_link("late@example.com").split("/accounts/verify/")[1]
        clock.tick(settings.READOUT_EMAIL_VERIFICATION_MAX_AGE + 1)
        client.get(path)
    assert balance(User.objects.get(username="late")) == 0
    client.get(path[:-3] + "xx/")
    assert not User.objects.get(username="late").profile.email_verified


def test_existing_and_demo_style_accounts_are_verified(user):
    from forecasting.accounts.selectors import user_is_verified

    assert user_is_verified(user=user)


# -- 3. Open redirects -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("evil", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example"])
def test_signup_never_redirects_off_site(evil):
    """Issue 13: /accounts/signup/?next=https://evil.example/phish landed a fresh logged-in user there."""
    response = sign_up(Client(), "newbie", next_url=evil)
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_signup_follows_a_local_next():
    assert sign_up(Client(), "newbie", next_url="/questions/")["Location"] == "/questions/"


def test_login_and_logout_never_redirect_off_site(user):
    client = Client()
    response = client.post("/accounts/login/?next=https://evil.example/phish",
                           {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    response = client.post("/accounts/logout/?next=https://evil.example/phish")
    assert response.status_code == 302 and "evil.example" not in response["Location"]


# -- 4. Rate limits --------------------------------------------------------------------------------------------------

@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}), **scopes}}
    return set_rates


def test_forecasts_are_rate_limited_per_user_with_retry_after(rates, user, other_user, open_question):
    """Issue 13: one client sent 31.7 numeric forecasts a second."""
    rates(forecasts="3/min")
    api = APIClient()
    api.force_authenticate(user)
    url = f"/api/v1/questions/{open_question.pk}/forecasts/"
    for p in (0.1, 0.2, 0.3):
        assert api.post(url, {"probability": p}, format="json").status_code == 201
    refused = api.post(url, {"probability": 0.4}, format="json")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert api.get(url).status_code == 200  # reads are not counted
    other = APIClient()
    other.force_authenticate(other_user)
    assert other.post(url, {"probability": 0.5}, format="json").status_code == 201  # per user


def test_the_forecast_form_shares_the_apis_count(rates, user, open_question):
    rates(forecasts="2/min")
    api = APIClient()
    api.force_authenticate(user)
    assert api.post(f"/api/v1/questions/{open_question.pk}/forecasts/", {"probability": 0.1},
                    format="json").status_code == 201
    client = Client()
    client.force_login(user)
    assert client.post(open_question.get_absolute_url(), {"percent": "20", "rationale": ""}).status_code == 302
    refused = client.post(open_question.get_absolute_url(), {"percent": "30", "rationale": ""})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Forecast.objects.filter(user=user).count() == 2


def test_trades_are_rate_limited_on_the_api_and_the_form(rates, user, open_question, staff_user):
    from tests.markets.conftest import give

    rates(trades="2/min")
    give(user)
    market = market_create(question=open_question, b=100, created_by=staff_user)
    api = APIClient()
    api.force_authenticate(user)
    assert api.post(f"/api/v1/markets/{market.pk}/trades/", {"outcome": 1, "shares": 1},
                    format="json").status_code == 201
    client = Client()
    client.force_login(user)
    form = {"outcome": "1", "side": "buy", "amount_kind": "shares", "amount": "1"}
    assert client.post(f"/markets/{market.pk}/trade/", form).status_code == 302
    assert client.post(f"/markets/{market.pk}/trade/", form).status_code == 429
    assert api.post(f"/api/v1/markets/{market.pk}/trades/", {"outcome": 1, "shares": 1},
                    format="json").status_code == 429
    assert Trade.objects.filter(user=user).count() == 2


def test_sign_ups_are_rate_limited_per_address(rates):
    rates(signup="2/hour")
    assert sign_up(Client(REMOTE_ADDR="203.0.113.5"), "a1").status_code == 302
    assert sign_up(Client(REMOTE_ADDR="203.0.113.5"), "a2").status_code == 302
    refused = sign_up(Client(REMOTE_ADDR="203.0.113.5"), "a3")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not User.objects.filter(username="a3").exists()
    assert sign_up(Client(REMOTE_ADDR="203.0.113.6"), "a4").status_code == 302


def test_token_requests_are_rate_limited_per_address(rates, user):
    rates(login="2/min")
    api = APIClient(REMOTE_ADDR="203.0.113.5")
    body = {"username": user.username, "password": "correct-horse-battery"}
    assert api.post("/api/v1/auth/token/", body, format="json").status_code == 200
    assert api.post("/api/v1/auth/token/", body, format="json").status_code == 200
    assert api.post("/api/v1/auth/token/", body, format="json").status_code == 429


def test_a_rate_limit_whose_cache_is_down_lets_requests_through_and_logs(rates, user, open_question, monkeypatch,
                                                                          caplog):
    rates(forecasts="1/min")

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(caches["throttle"], "get", down)
    api = APIClient()
    api.force_authenticate(user)
    with caplog.at_level(logging.WARNING, logger="forecasting.accounts.throttling"):
        for p in (0.1, 0.2, 0.3):
            assert api.post(f"/api/v1/questions/{open_question.pk}/forecasts/", {"probability": p},
                            format="json").status_code == 201
    assert "rate-limit cache unavailable" in caplog.text


# -- 5. API tokens ---------------------------------------------------------------------------------------------------

def test_a_password_change_revokes_the_api_token(user):
    """Issue 13: the one token per user kept working after a password change."""
    key = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "correct-horse-battery"},
                           format="json").json()["token"]
    client = Client()
    client.force_login(user)
    assert client.post("/accounts/password-change/", {
        "old_password": "correct-horse-battery", "new_password1": PASSWORD, "new_password2": PASSWORD,
    }).status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/trades/").status_code in (401, 403)


def test_the_api_token_can_be_seen_rotated_and_revoked(user):
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/me/token/").json() == {"token": None, "created": None}
    first = api.post("/api/v1/me/token/rotate/").json()["token"]
    assert api.get("/api/v1/me/token/").json()["token"] == first
    second = api.post("/api/v1/me/token/rotate/").json()["token"]
    assert second != first
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert by_token.get("/api/v1/me/trades/").status_code in (401, 403)
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert by_token.get("/api/v1/me/trades/").status_code == 200
    assert api.delete("/api/v1/me/token/").status_code == 204
    assert by_token.get("/api/v1/me/trades/").status_code in (401, 403)


def test_the_token_page_shows_rotates_and_revokes(user):
    client = Client()
    client.force_login(user)
    assert "You have no API token" in client.get("/accounts/token/").content.decode()
    client.post("/accounts/token/", {"action": "rotate"})
    key = user.auth_token.key
    assert key in client.get("/accounts/token/").content.decode()
    client.post("/accounts/token/", {"action": "revoke"})
    assert "You have no API token" in client.get("/accounts/token/").content.decode()
    assert Client().get("/accounts/token/").status_code == 302  # owners only


def test_an_unconfirmed_forecaster_can_ask_for_the_link_again(open_question):
    client = Client()
    sign_up(client, "slow")
    page = client.get("/accounts/profile/").content.decode()
    assert "not confirmed yet" in page
    mail.outbox.clear()
    assert client.post("/accounts/verify-resend/").status_code == 302
    client.get("/accounts/verify/" + verification_link("slow@example.com").split("/accounts/verify/")[1])
    assert User.objects.get(username="slow").profile.email_verified
    assert "not confirmed yet" not in client.get("/accounts/profile/").content.decode()


def test_named_bot_tokens_are_shown_once_stored_hashed_and_revocable(user):
    from forecasting.accounts.models import BotToken

    api = APIClient()
    api.force_authenticate(user)
    created = api.post("/api/v1/me/bot-tokens/", {"name": "nightly-importer"}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert api.post("/api/v1/me/bot-tokens/", {"name": "nightly-importer"}, format="json").status_code == 400
    second = api.post("/api/v1/me/bot-tokens/", {"name": "notebook"}, format="json").json()
    listed = api.get("/api/v1/me/bot-tokens/").json()
    assert [t["name"] for t in listed] == ["nightly-importer", "notebook"]
    assert all("key" not in t for t in listed)
    assert not BotToken.objects.filter(key_hash=key).exists()  # only the hash is stored
    bot = APIClient()
    bot.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bot.get("/api/v1/me/trades/").status_code == 200
    assert api.delete(f"/api/v1/me/bot-tokens/{created.json()['id']}/").status_code == 204
    assert bot.get("/api/v1/me/trades/").status_code in (401, 403)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {api.post('/api/v1/me/bot-tokens/', {'name': 'x'}, format='json').json()['key']}")
    user.set_password("a-new-long-passphrase")
    user.save()  # any password change revokes every token
    assert other.get("/api/v1/me/trades/").status_code in (401, 403)
    assert not BotToken.objects.filter(user=user).exists() and second


def test_the_token_page_creates_a_bot_token_and_shows_its_key_once(user):
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/token/", {"action": "bot-create", "name": "cron"})
    assert response.status_code == 201
    key = re.search(r'id="bot-token-key">([^<]+)<', response.content.decode()).group(1)
    page = client.get("/accounts/token/").content.decode()
    assert "cron" in page and key not in page
    bot_id = user.bot_tokens.get().pk
    client.post("/accounts/token/", {"action": "bot-revoke", "id": str(bot_id)})
    assert not user.bot_tokens.exists()
