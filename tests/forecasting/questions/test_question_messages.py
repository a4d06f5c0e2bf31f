"""After a POST the question page shows the outcome next to the form that was submitted (not at the top of the page),
and a refused trade comes back with what was typed and the error under its field, named by aria-describedby."""
import re

import pytest
from django.test import Client

from markets.services import market_create
from tests import factories
from tests.markets.conftest import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader_client(db):
    user = factories.UserFactory()
    give(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def market(db):
    return market_create(question=factories.QuestionFactory(), b=100)


def _top_messages(html: str) -> str:
    main = html[html.index("<main"):]
    match = re.match(r'<main[^>]*>\s*(<ul class="messages">.*?</ul>)?', main, re.S)
    return match.group(1) or ""


def test_a_saved_forecast_is_announced_in_the_forecast_card(trader_client, market):
    url = market.question.get_absolute_url()
    response = trader_client.post(url, {"percent": "35"})
    assert response.status_code == 302 and response["Location"].endswith("#your-forecast")
    html = trader_client.get(url).content.decode()
    card = html[html.index('id="your-forecast"'):html.index('id="community"')]
    assert 'data-testid="forecast-messages"' in card and "Your forecast is saved." in card
    assert "Your forecast is saved." not in _top_messages(html)


def test_a_refused_trade_keeps_the_amount_and_shows_the_error_at_the_field(trader_client, market):
    url = market.question.get_absolute_url()
    response = trader_client.post(f"/markets/{market.pk}/trade/", {
        "side": "buy", "outcome": "1", "amount": "25", "amount_kind": "shares", "limit": "0.5",
        "next": f"{url}#trade",
    })
    assert response["Location"] == f"{url}#trade"
    html = trader_client.get(url).content.decode()
    trade = html[html.index('id="trade"'):]
    assert 'data-testid="trade-messages"' in trade and "Trade not made" in trade
    assert 'value="25"' in trade and 'value="0.5"' in trade
    assert '<p class="field-errors" id="market-limit-error">' in trade
    assert 'aria-describedby="market-limit-error market-limit-help"' in trade
    assert "above the limit of 0.50 you set" in trade and "moved" not in trade.split("market-limit-error")[1][:300]
    assert "Trade not made" not in _top_messages(html)
    # Shown once: a reload starts from an empty form.
    again = trader_client.get(url).content.decode()
    assert "Trade not made" not in again and 'value="25"' not in again


def test_a_trade_made_is_announced_by_the_trade_form(trader_client, market):
    url = market.question.get_absolute_url()
    trader_client.post(f"/markets/{market.pk}/trade/", {"side": "buy", "outcome": "1", "amount": "10",
                                                          "amount_kind": "shares", "next": f"{url}#trade"})
    html = trader_client.get(url).content.decode()
    trade = html[html.index('id="trade"'):]
    assert "Bought 10.000 YES shares for 5.125 points." in trade
    assert "Bought" not in _top_messages(html)
