"""In headless Chromium: a trader opens the market panel of the SUCCESSOR-2 HR question, sees a live quote as they
type, sees errors inline, buys 10 YES shares, and the balance and the position update; the price chart draws.

This runs on the real question page, so it covers the panel partial, market.js, the quote API and the trade form."""
import re

import pytest
from django.contrib.auth.models import User

from markets.services import account_grant_starting_points, market_create
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tall-Giraffe-Trades-42"


@pytest.fixture
def demo_market(db):
    question = factories.QuestionFactory(slug="successor-2-pfs-hr-below-0-7",
                                         title="Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?")
    return market_create(question=question, b=100)


@pytest.fixture
def amira(db):
    user = User.objects.create_user(username="amira", email="amira@example.com", password=PASSWORD)
    account_grant_starting_points(user=user)
    return user


def log_in(page, base_url):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", "amira")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def test_buy_yes_updates_balance_and_position(live_server, page, demo_market, amira, screenshot):
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/questions/{demo_market.question.slug}/")
    balance = page.get_by_test_id("market-balance")
    position = page.get_by_test_id("market-position-1")
    assert balance.inner_text() == "1,000.000"
    assert position.inner_text() == "0.000"
    assert page.get_by_test_id("market-price-1").inner_text() == "50.0%"
    page.wait_for_function("() => !!window.Chart && !!Chart.getChart(document.querySelector('#market canvas'))")

    # Live quote while typing, errors inline.
    page.fill("input[name=amount]", "abc")
    page.locator(".market-quote-error").wait_for(state="visible")
    assert "must be a number" in page.locator(".market-quote-error").inner_text()
    page.check("input[name=side][value=sell]")
    page.fill("input[name=amount]", "5")
    page.wait_for_function("() => document.querySelector('.market-quote-error').textContent.includes('You own')")
    page.check("input[name=side][value=buy]")
    page.fill("input[name=amount]", "10")
    quote = page.locator(".market-quote")
    quote.filter(has_text="You pay 5.125 points for 10.000 YES shares").wait_for()
    assert "50.0% to 52.5%" in quote.inner_text()
    assert page.locator(".market-quote-error").is_hidden()
    screenshot(page, "market-quote")

    page.click("#market button[type=submit]")
    page.wait_for_url(re.compile(r"/questions/.+#trade$"))
    assert "Bought 10.000 YES shares for 5.125 points" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("market-balance").inner_text() == "994.875"
    assert page.get_by_test_id("market-position-1").inner_text() == "10.000"
    assert page.get_by_test_id("market-price-1").inner_text() == "52.5%"
    screenshot(page, "market-after-buy")
    assert page.js_errors == []
