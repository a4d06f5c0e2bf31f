"""The markets API: permissions, shapes, errors naming the field, 409s, and constant queries on list endpoints."""
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from markets.models import Market, Question, Trade
from markets.selectors import ledger_check
from markets.services import market_create, market_settle, trade_buy_shares
from tests import factories
from tests.markets.conftest import balance, give


@pytest.fixture
def trader_client(trader):
    client = APIClient()
    client.force_authenticate(trader)
    return client


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


# ---------------------------------------------------------------------------------------------------- creation


def test_staff_open_a_market(db, staff_client, open_question):
    response = post(staff_client, "/api/v1/markets/", {"question": open_question.pk, "b": 100})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["question"] == open_question.pk and body["n"] == 2 and body["status"] == "open"
    assert body["reserve"] == "69.315"
    assert body["prices"] == [0.5, 0.5]
    assert [o["label"] for o in body["outcomes"]] == ["NO", "YES"]


def test_a_numeric_market_has_k_buckets(db, staff_client, open_numeric_question):
    response = post(staff_client, "/api/v1/markets/", {"question": open_numeric_question.pk, "b": 50, "buckets": 8})
    assert response.status_code == 201
    body = response.json()
    assert body["n"] == 8 and len(body["outcomes"]) == 8
    assert body["outcomes"][0]["label"] == "≤ 5 months" and body["outcomes"][-1]["label"] == "> 35 months"


def test_only_staff_open_markets(db, user_client, api_client, open_question):
    assert post(user_client, "/api/v1/markets/", {"question": open_question.pk, "b": 100}).status_code == 403
    assert post(api_client, "/api/v1/markets/", {"question": open_question.pk, "b": 100}).status_code in (401, 403)
    assert not Market.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"b": 100}, "question"),
        ({"question": None, "b": 100}, "question"),
        ({"question": "x", "b": 100}, "question"),
        ({"question": 999999, "b": 100}, "question"),
        ({"question": "Q", "b": "100"}, "b"),
        ({"question": "Q", "b": -1}, "b"),
        ({"question": "Q"}, "b"),
        ({"question": "Q", "b": 100, "buckets": 3}, "buckets"),
        ({"question": "Q", "b": 100, "liquidity": 3}, "liquidity"),
    ],
)
def test_bad_market_bodies_are_400_naming_the_field(db, staff_client, open_question, body, field):
    if body.get("question") == "Q":
        body = {**body, "question": open_question.pk}
    response = post(staff_client, "/api/v1/markets/", body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Market.objects.exists()


def test_nan_in_the_body_is_named(db, staff_client, open_question):
    response = staff_client.post("/api/v1/markets/", data=f'{{"question": {open_question.pk}, "b": NaN}}',
                                 content_type="application/json")
    assert response.status_code == 400 and "b" in response.json()


def test_a_second_market_on_a_question_is_409(db, staff_client, binary_market):
    response = post(staff_client, "/api/v1/markets/", {"question": binary_market.question.pk, "b": 100})
    assert response.status_code == 409


# ----------------------------------------------------------------------------------------------------- reading


def test_market_detail_shows_prices_q_and_status(db, api_client, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    body = api_client.get(f"/api/v1/markets/{binary_market.pk}/").json()
    assert body["status"] == "open" and body["trade_count"] == 1
    assert body["outcomes"][1]["outstanding"] == "10.000"
    assert body["prices"][1] == pytest.approx(0.524979187478940)
    assert body["question_slug"] == binary_market.question.slug


def test_markets_on_drafts_are_hidden_from_non_staff(db, api_client, staff_client, staff_user):
    market = market_create(question=factories.QuestionFactory(status="draft"), b=10, created_by=staff_user)
    assert api_client.get(f"/api/v1/markets/{market.pk}/").status_code == 404
    assert staff_client.get(f"/api/v1/markets/{market.pk}/").status_code == 200


def test_market_list_filters_by_question(db, api_client, binary_market, numeric_market):
    body = api_client.get(f"/api/v1/markets/?question={numeric_market.question.pk}").json()
    assert [m["id"] for m in body["results"]] == [numeric_market.pk]


# ------------------------------------------------------------------------------------------------------ quotes


def test_anyone_can_quote(db, api_client, binary_market):
    response = post(api_client, f"/api/v1/markets/{binary_market.pk}/quote/", {"outcome": 1, "shares": 10})
    assert response.status_code == 200
    body = response.json()
    assert body["cash"] == "5.125" and body["shares"] == "10.000" and body["side"] == "buy"
    assert body["average_price"] == pytest.approx(0.5125)
    assert body["price_after"][1] == pytest.approx(0.524979187478940)
    assert not Trade.objects.exists()


def test_a_budget_quote(db, api_client, binary_market):
    body = post(api_client, f"/api/v1/markets/{binary_market.pk}/quote/", {"outcome": 1, "budget": 50}).json()
    assert (body["shares"], body["cash"], body["budget"]) == ("83.179", "50.000", "50.000")


def test_a_quote_reports_what_the_trade_would_refuse(db, trader_client, binary_market):
    response = post(trader_client, f"/api/v1/markets/{binary_market.pk}/quote/",
                    {"outcome": 1, "side": "sell", "shares": 1})
    assert response.status_code == 409 and "shares" in response.json()


# ------------------------------------------------------------------------------------------------------ trades


def test_buy_yes_then_sell(db, trader_client, binary_market, trader):
    response = post(trader_client, f"/api/v1/markets/{binary_market.pk}/trades/", {"outcome": 1, "shares": 10})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["side"] == "buy" and body["cash"] == "5.125" and body["outcome_label"] == "YES"
    assert body["balance"] == "994.875"
    assert body["position"] == {"outcome": 1, "shares": "10.000", "cost_basis": "5.125", "realised": "0.000"}
    response = post(trader_client, f"/api/v1/markets/{binary_market.pk}/trades/",
                    {"outcome": 1, "side": "sell", "shares": 10, "min_price": 0.5})
    assert response.status_code == 201
    assert response.json()["cash"] == "5.124" and response.json()["balance"] == "999.999"
    assert ledger_check() == []


def test_buy_with_budget(db, trader_client, binary_market):
    body = post(trader_client, f"/api/v1/markets/{binary_market.pk}/trades/", {"outcome": 0, "budget": 50}).json()
    assert (body["shares"], body["cash"]) == ("83.179", "50.000")


def test_anonymous_cannot_trade(db, api_client, binary_market):
    response = post(api_client, f"/api/v1/markets/{binary_market.pk}/trades/", {"outcome": 1, "shares": 1})
    assert response.status_code in (401, 403)
    assert not Trade.objects.exists()


def test_traders_trade_only_as_themselves(db, trader_client, binary_market, trader, other_trader):
    response = post(trader_client, f"/api/v1/markets/{binary_market.pk}/trades/",
                    {"outcome": 1, "shares": 1, "user": other_trader.pk})
    assert response.status_code == 400 and "user" in response.json()
    post(trader_client, f"/api/v1/markets/{binary_market.pk}/trades/", {"outcome": 1, "shares": 1})
    assert list(Trade.objects.values_list("user_id", flat=True)) == [trader.pk]
    assert balance(other_trader) == 1_000_000


@pytest.mark.parametrize(
    "body, field",
    [
        ({"shares": 1}, "outcome"),
        ({"outcome": 1}, "shares"),
        ({"outcome": 1, "shares": "ten"}, "shares"),
        ({"outcome": 1, "shares": -5}, "shares"),
        ({"outcome": 1, "shares": 0}, "shares"),
        ({"outcome": 1, "shares": 1e300}, "shares"),
        ({"outcome": 1, "shares": 0.0001}, "shares"),
        ({"outcome": 7, "shares": 1}, "outcome"),
        ({"outcome": 1, "budget": -1}, "budget"),
        ({"outcome": 1, "shares": 1, "budget": 1}, "budget"),
        ({"outcome": 1, "side": "hold", "shares": 1}, "side"),
        ({"outcome": 1, "shares": 1, "max_price": 2}, "max_price"),
        ({"outcome": 1, "side": "sell", "budget": 1}, "budget"),
    ],
)
def test_bad_trades_are_400_naming_the_field(db, trader_client, binary_market, body, field):
    for endpoint in ("trades", "quote"):
        response = post(trader_client, f"/api/v1/markets/{binary_market.pk}/{endpoint}/", body)
        assert response.status_code == 400, (endpoint, response.json())
        assert field in response.json(), response.json()


def test_nan_shares_are_400(db, trader_client, binary_market):
    response = trader_client.post(f"/api/v1/markets/{binary_market.pk}/trades/", data='{"outcome": 1, "shares": NaN}',
                                  content_type="application/json")
    assert response.status_code == 400 and "shares" in response.json()


def test_not_enough_points_is_409(db, binary_market):
    poor = factories.UserFactory()
    give(poor, 1)
    client = APIClient()
    client.force_authenticate(poor)
    response = post(client, f"/api/v1/markets/{binary_market.pk}/trades/", {"outcome": 1, "shares": 10})
    assert response.status_code == 409
    assert "Not enough points" in response.json()["detail"]


def test_price_limit_crossed_is_409(db, trader_client, binary_market):
    response = post(trader_client, f"/api/v1/markets/{binary_market.pk}/trades/",
                    {"outcome": 1, "shares": 10, "max_price": 0.51})
    assert response.status_code == 409 and "max_price" in response.json()


def test_trading_a_closed_market_is_409(db, trader_client, binary_market):
    Question.objects.filter(pk=binary_market.question.pk).update(scheduled_close_time=timezone.now())
    response = post(trader_client, f"/api/v1/markets/{binary_market.pk}/trades/", {"outcome": 1, "shares": 1})
    assert response.status_code == 409


def test_the_tape_has_no_names(db, api_client, trader_client, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=2)
    body = api_client.get(f"/api/v1/markets/{binary_market.pk}/trades/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert "user" not in row and row["mine"] is False and row["shares"] == "2.000"
    assert trader_client.get(f"/api/v1/markets/{binary_market.pk}/trades/").json()["results"][0]["mine"] is True


# --------------------------------------------------------------------------------------------------- portfolio


def test_portfolio(db, trader_client, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    body = trader_client.get("/api/v1/me/portfolio/").json()
    assert body["balance"] == "994.875"
    (position,) = body["positions"]
    assert position["outcome_label"] == "YES" and position["shares"] == "10.000"
    assert position["value"] == "5.250"  # 10 x 0.52498, rounded to the milli-point
    assert position["unrealised"] == "0.125"
    assert body["total"] == "1000.125"


def test_portfolio_needs_login(db, api_client):
    assert api_client.get("/api/v1/me/portfolio/").status_code in (401, 403)


def test_market_leaderboard_api(db, api_client, binary_market, trader, other_trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=100)
    rows = api_client.get("/api/v1/markets/leaderboard/").json()
    # Marked to market at YES = e^1.1/(1 + e^1.1) = 0.75026: other_trader's 100 shares cost 64.30 and are worth
    # 75.03 (+10.72); trader's 10 shares cost 5.125 and are worth 7.50 (+2.38).
    assert [r["user_id"] for r in rows] == [other_trader.pk, trader.pk]
    assert rows[1]["profit"] == "2.378" and rows[1]["open_pnl"] == "2.378" and rows[1]["realised"] == "0.000"
    assert api_client.get("/api/v1/markets/leaderboard/?limit=0").status_code == 400


# ------------------------------------------------------------------------------------------- constant queries


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _populate(n_markets: int, n_traders: int, staff_user):
    markets = [market_create(question=factories.QuestionFactory(), b=100, created_by=staff_user)
               for _ in range(n_markets)]
    traders = []
    for _ in range(n_traders):
        user = factories.UserFactory()
        give(user)
        traders.append(user)
        for market in markets:
            trade_buy_shares(market=market, user=user, outcome=1, shares=1)
    return markets, traders


@pytest.mark.parametrize("url", ["/api/v1/markets/", "/api/v1/markets/leaderboard/", "/api/v1/me/portfolio/",
                                 "/api/v1/me/trades/", "/api/v1/markets/{market}/trades/"])
def test_list_endpoints_run_a_constant_number_of_queries(db, staff_user, url):
    markets, traders = _populate(2, 2, staff_user)
    client = APIClient()
    client.force_authenticate(traders[0])
    small = _count(client, url.format(market=markets[0].pk))
    more_markets, more_traders = _populate(4, 4, staff_user)
    for market in more_markets:
        trade_buy_shares(market=market, user=traders[0], outcome=0, shares=1)
    for user in more_traders:
        trade_buy_shares(market=markets[0], user=user, outcome=0, shares=1)
    assert _count(client, url.format(market=markets[0].pk)) == small


def test_market_settled_via_api_view(db, api_client, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1)
    Question.objects.filter(pk=binary_market.question.pk).update(status="resolved", outcome=1)
    market_settle(question=binary_market.question)
    body = api_client.get(f"/api/v1/markets/{binary_market.pk}/").json()
    assert body["status"] == "settled" and body["winning_outcome"] == 1


def test_the_schema_documents_the_market_endpoints(db, staff_client):
    response = staff_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in ("/api/v1/markets/", "/api/v1/markets/{id}/", "/api/v1/markets/{id}/quote/",
                 "/api/v1/markets/{id}/trades/", "/api/v1/me/portfolio/"):
        assert path in paths, sorted(paths)
    assert "409" in paths["/api/v1/markets/{id}/trades/"]["post"]["responses"]
