"""One meaning per word on the money pages (docs/markets.md, "Words on the money pages"): realised, unrealised,
profit (P&L) and value agree between the portfolio, the market leaderboard and the API, and the pages show each word
with its definition. Hand-computed cases plus a hypothesis property."""
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from markets.models import Trade
from markets.selectors import market_leaderboard, portfolio
from markets.services import market_create, market_settle, trade_buy_shares, trade_sell
from tests import factories
from tests.markets.conftest import give
from tests.markets.test_settlement import resolve

pytestmark = pytest.mark.urls("tests.markets.page_urlconf")


def leader(user):
    return next(r for r in market_leaderboard(limit=None) if r.user_id == user.pk)


def test_the_worked_example_of_the_docs(db, binary_market, trader):
    buy = trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    assert buy.cash == 5_125
    folio = portfolio(user=trader)
    assert (folio.open_value, folio.unrealised, folio.realised) == (5_250, 125, 0)
    sale = trade_sell(market=binary_market, user=trader, outcome=1, shares=4)
    assert -sale.cash == 2_079
    folio = portfolio(user=trader)
    assert folio.realised == 2_079 - 2_050 == 29  # the 4 shares cost 4/10 of 5.125
    assert folio.positions[0].cost_basis == 3_075
    row = leader(trader)
    assert (row.realised, row.unrealised, row.profit) == (folio.realised, folio.unrealised, folio.profit)
    resolve(binary_market.question, 1)
    market_settle(question=binary_market.question)
    folio = portfolio(user=trader)
    assert folio.realised == 6_000 + 2_079 - 5_125 == 2_954 and folio.unrealised == 0
    row = leader(trader)
    assert (row.realised, row.unrealised, row.profit) == (2_954, 0, 2_954)


def test_a_sale_in_an_open_market_is_realised_on_both_pages(db, binary_market, trader, other_trader):
    """Before: the leaderboard counted only settled markets as realised and put sales' profit under open positions."""
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=50)  # YES rises
    trade_sell(market=binary_market, user=trader, outcome=1, shares=10)  # trader sells everything at a profit
    folio = portfolio(user=trader)
    row = leader(trader)
    assert folio.realised > 0 and folio.unrealised == 0
    assert (row.realised, row.unrealised) == (folio.realised, 0)
    api = Client().get("/api/v1/markets/leaderboard/").json()
    mine = next(r for r in api if r["user_id"] == trader.pk)
    assert mine["unrealised"] == mine["open_pnl"] == "0.000"
    assert mine["realised"] == f"{folio.realised / 1000:.3f}"


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(1, 30), st.booleans()),
                min_size=1, max_size=12),
       st.booleans(), st.sampled_from([None, 0, 1]))
def test_profit_is_realised_plus_unrealised_and_the_pages_agree(db, trades, two_markets, winner):
    market_a = market_create(question=factories.QuestionFactory(), b=50)
    markets = [market_a, market_create(question=factories.QuestionFactory(), b=80)] if two_markets else [market_a]
    users = [factories.UserFactory() for _ in range(3)]
    for user in users:
        give(user)
    for i, (who, outcome, shares, sell) in enumerate(trades):
        market = markets[i % len(markets)]
        user = users[who]
        if sell:
            held = sum(t.shares for t in Trade.objects.filter(user=user, market=market, outcome=outcome))
            if held >= shares * 1000:
                trade_sell(market=market, user=user, outcome=outcome, shares=shares)
        else:
            trade_buy_shares(market=market, user=user, outcome=outcome, shares=shares)
    if winner is not None:
        resolve(market_a.question, winner)
        market_settle(question=market_a.question)
    rows = {r.user_id: r for r in market_leaderboard(limit=None)}
    for user in users:
        folio = portfolio(user=user)
        if user.pk not in rows:
            assert folio.realised == folio.unrealised == 0
            continue
        row = rows[user.pk]
        assert (row.realised, row.unrealised, row.profit) == (folio.realised, folio.unrealised, folio.profit)
        assert row.profit == row.realised + row.unrealised
        # profit = everything received + current value of what is held - everything paid (no drift from rounding)
        balance_change = folio.balance - 1_000_000
        assert row.profit == balance_change + folio.open_value


def test_the_pages_show_each_word_with_its_definition(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    client = Client()
    client.force_login(trader)
    folio = client.get("/markets/portfolio/").content.decode()
    board = client.get("/markets/leaderboard/").content.decode()
    for html in (folio, board):
        for word, definition in [
            ("Realised profit", "Profit that is final: for each sale, what you received minus what the sold shares cost"),
            ("Unrealised profit", "Value minus cost basis of the shares you still hold"),
            ("Profit (P&amp;L)", "Realised plus unrealised profit."),
            ("Value", "What shares you hold are worth at the current price"),
        ]:
            assert f"<dt>{word}</dt>" in html and definition in html, (word, html[:200])
    assert 'data-testid="portfolio-unrealised">+0.125<' in folio
    assert ">Unrealised profit</abbr>" in board and "Open positions" not in board
    from tests.markets.test_market_pages import render_panel

    panel = render_panel(binary_market.question, trader)
    assert "<dt>Value</dt>" in panel and "What shares you hold are worth at the current price" in panel


def test_the_price_chart_has_its_data_as_a_table(db, binary_market, trader):
    from tests.markets.test_market_pages import render_panel

    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    html = render_panel(binary_market.question, trader)
    table_id = f"market-chart-table-{binary_market.pk}"
    assert f'aria-describedby="{table_id}-summary"' in html and f'id="{table_id}-summary"' in html
    assert "<caption>Price of YES over time</caption>" in html
    assert "<td class=\"num\">50.0%</td>" in html and "<td class=\"num\">52.5%</td>" in html
