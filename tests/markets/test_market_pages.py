"""Market pages: the panel partial, the trade form handler, the portfolio and the market leaderboard."""
import json
import re

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from markets.models import Question, Trade
from markets.selectors import market_panel_context
from markets.services import trade_buy_shares
from tests import factories
from tests.markets.conftest import balance

pytestmark = pytest.mark.urls("tests.markets.page_urlconf")


@pytest.fixture
def trader_browser(trader):
    client = Client()
    client.force_login(trader)
    return client


def render_panel(question, user):
    request = RequestFactory().get(question.get_absolute_url())
    request.user = user
    context = market_panel_context(question=question, user=user)
    return render_to_string("markets/_panel.html", context, request=request)


def test_the_panel_is_empty_without_a_market(db, open_question, user):
    assert market_panel_context(question=open_question, user=user) == {"market_panel": None}
    assert render_panel(open_question, user).strip() == ""


def test_the_panel_shows_prices_balance_position_chart_and_form(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    html = render_panel(binary_market.question, trader)
    assert 'data-testid="market-balance">994.875<' in html
    assert 'data-testid="market-position-1">10.000<' in html
    assert 'data-testid="market-price-1">52.5%<' in html
    assert f'action="/markets/{binary_market.pk}/trade/"' in html
    assert f'data-quote-url="/api/v1/markets/{binary_market.pk}/quote/"' in html
    found = re.search(r'<script id="market-chart-data" type="application/json">(.*?)</script>', html)
    data = json.loads(found.group(1))
    assert data["kind"] == "binary" and [round(p["y"], 4) for p in data["points"]] == [0.5, 0.525]
    assert "js/market.js" in html


def test_the_panel_asks_anonymous_visitors_to_log_in(db, binary_market):
    from django.contrib.auth.models import AnonymousUser

    html = render_panel(binary_market.question, AnonymousUser())
    assert "Log in" in html and "<form" not in html and "market-balance" not in html


def test_the_numeric_panel_charts_bucket_prices(db, numeric_market, trader):
    context = market_panel_context(question=numeric_market.question, user=trader)["market_panel"]
    assert context["chart"]["kind"] == "numeric" and len(context["chart"]["prices"]) == 10
    assert context["outcomes"][4]["label"] == "16 to 20 months"


def test_the_panel_explains_a_closed_market(db, binary_market, trader):
    Question.objects.filter(pk=binary_market.question.pk).update(status="closed")
    html = render_panel(binary_market.question, trader)
    assert "trading has ended" in html and "<form" not in html


def test_buying_yes_through_the_form_updates_balance_and_position(db, trader_browser, binary_market, trader):
    response = trader_browser.post(f"/markets/{binary_market.pk}/trade/",
                                   {"side": "buy", "outcome": "1", "amount": "10", "amount_kind": "shares"})
    assert response.status_code == 302
    assert response["Location"] == f"{binary_market.question.get_absolute_url()}#trade"
    assert balance(trader) == 994_875
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Bought 10.000 YES shares for 5.125 points. Your balance is 994.875 points."]
    html = render_panel(binary_market.question, trader)
    assert 'data-testid="market-position-1">10.000<' in html


def test_the_form_sells_and_buys_with_a_budget(db, trader_browser, binary_market, trader):
    trader_browser.post(f"/markets/{binary_market.pk}/trade/",
                        {"side": "buy", "outcome": "0", "amount": "50", "amount_kind": "budget"})
    response = trader_browser.post(f"/markets/{binary_market.pk}/trade/",
                                   {"side": "sell", "outcome": "0", "amount": "20", "amount_kind": "shares",
                                    "limit": "0.4"})
    assert [str(m) for m in get_messages(response.wsgi_request)][-1].startswith("Sold 20.000 NO shares")
    assert list(Trade.objects.values_list("shares", flat=True)) == [83_179, -20_000]


@pytest.mark.parametrize(
    "form, text",
    [
        ({"side": "buy", "outcome": "1", "amount": "", "amount_kind": "shares"}, "Enter how many shares"),
        ({"side": "buy", "outcome": "1", "amount": "abc", "amount_kind": "shares"}, "Enter the number of shares as a number"),
        ({"side": "buy", "outcome": "", "amount": "1", "amount_kind": "shares"}, "Choose an outcome"),
        ({"side": "sell", "outcome": "1", "amount": "1", "amount_kind": "shares"}, "You own 0.000 shares"),
        ({"side": "buy", "outcome": "1", "amount": "99999", "amount_kind": "shares"}, "Not enough points"),
        ({"side": "buy", "outcome": "1", "amount": "10", "amount_kind": "shares", "limit": "0.5"}, "above the limit of 0.50 you set"),
    ],
)
def test_form_errors_come_back_as_messages(db, trader_browser, binary_market, trader, form, text):
    response = trader_browser.post(f"/markets/{binary_market.pk}/trade/", form)
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Trade not made:") and text in message
    assert not Trade.objects.exists() and balance(trader) == 1_000_000


def test_anonymous_form_posts_go_to_login(db, binary_market):
    response = Client().post(f"/markets/{binary_market.pk}/trade/", {"outcome": "1", "amount": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Trade.objects.exists()


def test_the_form_needs_the_csrf_token(db, binary_market, trader):
    client = Client(enforce_csrf_checks=True)
    client.force_login(trader)
    response = client.post(f"/markets/{binary_market.pk}/trade/", {"outcome": "1", "amount": "1"})
    assert response.status_code == 403


def test_the_portfolio_page(db, trader_browser, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    html = trader_browser.get("/markets/portfolio/").content.decode()
    assert 'data-testid="portfolio-balance">994.875<' in html
    assert binary_market.question.title in html and "10.000" in html and "+0.125" in html


def test_the_portfolio_needs_login(db):
    response = Client().get("/markets/portfolio/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_market_leaderboard_page(db, binary_market, trader, other_trader, django_assert_max_num_queries):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    for _ in range(5):
        user = factories.UserFactory()
        from tests.markets.conftest import give

        give(user)
        trade_buy_shares(market=binary_market, user=user, outcome=0, shares=3)
    with django_assert_max_num_queries(8):
        html = Client().get("/markets/leaderboard/").content.decode()
    assert "Market leaderboard" in html and trader.profile.name in html
    # Names link to the trader's profile (two "UX Tester" rows must not look alike; names are unique too).
    assert f'<a href="/users/{trader.username}/">{trader.profile.name}</a>' in html


@pytest.mark.parametrize(
    "next_url, expected",
    [("/questions/somewhere/#market", "/questions/somewhere/#market"),
     ("https://evil.example.com/", None), ("//evil.example.com/", None)],
)
def test_the_form_goes_back_only_to_a_local_next(db, trader_browser, binary_market, next_url, expected):
    response = trader_browser.post(f"/markets/{binary_market.pk}/trade/",
                                   {"outcome": "1", "amount": "1", "next": next_url})
    assert response["Location"] == (expected or f"{binary_market.question.get_absolute_url()}#trade")
