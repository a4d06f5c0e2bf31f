"""Trading through the services: hand-computed LMSR figures, rounding, budgets, sales, limits, bad input, state.

Hand-computed values (b = 100 unless said, q starts at 0; closed forms evaluated at 50 digits with ``decimal``):
- buy 10 YES:         100 ln((e^0.1 + 1)/2)          = 5.124947951... points  -> pays 5.125 (rounded up)
- then sell 10 YES:   proceeds 5.124947951...                                 -> receives 5.124 (rounded down)
- buy 100 NO:         100 ln((e + 1)/2)              = 62.011450695... points -> pays 62.012
- buy 0.001 YES:      0.000500001... points                                   -> pays 0.001 (at least 1 milli-point)
- K = 10, 25 shares:  100 ln((e^0.25 + 9)/10)        = 2.800666788... points  -> pays 2.801
- b = 50, q = (20, 0) buy 30 of outcome 1:           = 14.256180849... points -> pays 14.257
- budget 50 on YES:   d = 100 ln(1 + (e^0.5 - 1)/0.5) = 83.17965...; 83.179 shares cost 49.99954 -> 50.000,
                      83.180 would cost 50.00024 -> 50.001, so the budget buys 83.179 shares for 50.000 points
- price of YES after buying 10: e^0.1/(1 + e^0.1) = 0.524979187...
- reserves: b ln 2 = 69.3147... -> 69.315 points; 100 ln 10 = 230.2585... -> 230.259 points
"""
import datetime as dt
import math
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.errors import StateError, ValidationError
from markets.models import Account, LedgerEntry, Market, Position, PricePoint, Trade
from markets.selectors import ledger_check, market_prices
from markets.services import (
    market_create,
    question_close,
    trade_buy_budget,
    trade_buy_shares,
    trade_execute,
    trade_quote,
    trade_sell,
)
from tests import factories
from tests.markets.conftest import balance, give


@pytest.mark.parametrize(
    "b, buckets, reserve",
    [(100, None, 69_315), (100, 10, 230_259), (1, None, 694), (50, 4, 69_315)],
)
def test_opening_a_market_reserves_b_ln_n_from_the_house(db, staff_user, b, buckets, reserve):
    question = factories.NumericQuestionFactory() if buckets else factories.QuestionFactory()
    market = market_create(question=question, b=b, buckets=buckets, created_by=staff_user)
    assert market.reserve_millipoints == reserve
    assert market.n == (buckets or 2)
    assert Account.objects.get(market=market).balance == reserve
    assert market.price_points.count() == 1
    assert ledger_check() == []


@pytest.mark.parametrize(
    "q, b, outcome, shares, cash",
    [
        ([0, 0], 100, 1, 10, 5125),
        ([0, 0], 100, 0, 100, 62012),
        ([0, 0], 100, 1, Decimal("0.001"), 1),
        ([0] * 10, 100, 4, 25, 2801),
        ([20_000, 0], 50, 1, 30, 14257),
    ],
)
def test_buying_charges_the_lmsr_cost_rounded_up(db, staff_user, trader, q, b, outcome, shares, cash):
    question = factories.QuestionFactory() if len(q) == 2 else factories.NumericQuestionFactory()
    market = market_create(question=question, b=b, buckets=None if len(q) == 2 else len(q), created_by=staff_user)
    Market.objects.filter(pk=market.pk).update(q=q)  # start from the table's state (positions are not checked here)
    before = balance(trader)
    trade = trade_buy_shares(market=market, user=trader, outcome=outcome, shares=shares)
    assert trade.cash == cash
    assert trade.shares == int(Decimal(shares) * 1000)
    assert balance(trader) == before - cash
    assert Account.objects.get(market=market).balance == market.reserve_millipoints + cash


def test_selling_pays_the_proceeds_rounded_down(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    sale = trade_sell(market=binary_market, user=trader, outcome=1, shares=10)
    assert sale.cash == -5124 and sale.shares == -10_000
    assert balance(trader) == 1_000_000 - 5125 + 5124  # the round trip costs one milli-point of rounding
    assert Position.objects.get(user=trader, market=binary_market, outcome=1).shares == 0
    assert ledger_check() == []


def test_buying_with_a_budget_buys_the_most_shares_it_pays_for(db, binary_market, trader):
    trade = trade_buy_budget(market=binary_market, user=trader, outcome=1, budget=50)
    assert trade.shares == 83_179 and trade.cash == 50_000 and trade.budget == 50_000


def test_a_trade_updates_q_position_prices_and_the_tape(db, binary_market, trader):
    trade = trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    binary_market.refresh_from_db()
    assert binary_market.q == [0, 10_000] and binary_market.trade_count == 1
    assert trade.price_before == pytest.approx(0.5)
    assert trade.price_after == pytest.approx(0.524979187478940, rel=1e-12)
    point = PricePoint.objects.get(trade=trade)
    assert point.prices == pytest.approx([1 - 0.524979187478940, 0.524979187478940], rel=1e-12)
    assert market_prices(binary_market)[1] == pytest.approx(0.524979187478940, rel=1e-12)
    position = Position.objects.get(user=trader, market=binary_market, outcome=1)
    assert (position.shares, position.cost_basis, position.realised) == (10_000, 5125, 0)
    entries = sorted(LedgerEntry.objects.filter(transaction=trade.transaction).values_list("amount", flat=True))
    assert entries == [-5125, 5125]


def test_selling_part_of_a_position_books_profit_at_the_average_cost(db, binary_market, trader, other_trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)  # pays 5125
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=50)  # pushes YES up
    sale = trade_sell(market=binary_market, user=trader, outcome=1, shares=4)
    position = Position.objects.get(user=trader, market=binary_market, outcome=1)
    removed = 5125 * 4 // 10
    assert position.shares == 6000
    assert position.cost_basis == 5125 - removed
    assert position.realised == -sale.cash - removed > 0


def test_a_quote_changes_nothing_and_matches_the_trade(db, binary_market, trader):
    quote = trade_quote(market=binary_market, outcome=1, shares=10, user=trader)
    assert (quote.cash, quote.shares, quote.side) == (5125, 10_000, "buy")
    assert quote.average_price == pytest.approx(0.5125)
    assert quote.price_before == pytest.approx((0.5, 0.5))
    assert Trade.objects.count() == 0 and balance(trader) == 1_000_000
    trade = trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    assert trade.cash == quote.cash
    assert trade.price_after == pytest.approx(quote.price_after[1])


def test_a_budget_quote_reports_the_shares(db, binary_market):
    quote = trade_quote(market=binary_market, outcome=1, budget=50)
    assert (quote.shares, quote.cash, quote.budget) == (83_179, 50_000, 50_000)


# ------------------------------------------------------------------------------------------------- price limits


def test_a_buy_fills_at_its_quoted_average_price(db, binary_market, trader):
    # max_price = cash / shares exactly (0.5125): the limit compares cash <= max_price x shares without rounding.
    trade = trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10, max_price=0.5125)
    assert trade.cash == 5125


def test_a_buy_is_refused_when_the_price_moved_past_its_limit(db, binary_market, trader, other_trader):
    quote = trade_quote(market=binary_market, outcome=1, shares=10)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=20)  # someone else moves the price
    with pytest.raises(StateError) as exc:
        trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10, max_price=quote.average_price)
    assert exc.value.code == "price_limit" and exc.value.field == "max_price"
    assert balance(trader) == 1_000_000 and not Trade.objects.filter(user=trader).exists()


def test_a_sale_is_refused_below_its_min_price(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    with pytest.raises(StateError) as exc:
        trade_sell(market=binary_market, user=trader, outcome=1, shares=10, min_price=0.52)
    assert exc.value.code == "price_limit" and exc.value.field == "min_price"
    trade_sell(market=binary_market, user=trader, outcome=1, shares=10, min_price=Decimal("0.5124"))


# ---------------------------------------------------------------------------------------------- refused trades


def test_a_buy_needs_enough_points(db, binary_market):
    poor = factories.UserFactory()
    give(poor, points=5)
    with pytest.raises(StateError) as exc:
        trade_buy_shares(market=binary_market, user=poor, outcome=1, shares=10)
    assert exc.value.code == "insufficient_funds"
    assert "costs 5.125 points and your balance is 5.000 points" in exc.value.message
    assert balance(poor) == 5000


def test_a_user_without_an_account_has_no_points(db, binary_market):
    with pytest.raises(StateError, match="balance is 0.000"):
        trade_buy_shares(market=binary_market, user=factories.UserFactory(), outcome=1, shares=1)


def test_a_sale_needs_owned_shares(db, binary_market, trader, other_trader):
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=10)
    with pytest.raises(StateError) as exc:
        trade_sell(market=binary_market, user=trader, outcome=1, shares=1)
    assert exc.value.code == "insufficient_shares" and exc.value.field == "shares"
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=2)
    with pytest.raises(StateError, match="You own 2.000 shares"):
        trade_sell(market=binary_market, user=trader, outcome=1, shares=Decimal("2.001"))


def test_a_tiny_sale_that_pays_nothing_is_refused(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1)
    with pytest.raises(ValidationError, match="too small"):
        trade_sell(market=binary_market, user=trader, outcome=1, shares=Decimal("0.001"))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"shares": float("nan")}, "shares"),
        ({"shares": float("inf")}, "shares"),
        ({"shares": -1}, "shares"),
        ({"shares": 0}, "shares"),
        ({"shares": "10"}, "shares"),
        ({"shares": True}, "shares"),
        ({"shares": None}, "shares"),
        ({"shares": 1e30}, "shares"),
        ({"shares": 1.0005}, "shares"),
        ({"shares": [1]}, "shares"),
        ({"budget": float("nan")}, "budget"),
        ({"budget": -3}, "budget"),
        ({"budget": 0}, "budget"),
        ({"budget": "ten"}, "budget"),
        ({"budget": 1e12}, "budget"),
        ({"budget": 0.0001}, "budget"),
        ({"shares": 1, "budget": 1}, "budget"),
        ({"shares": 1, "outcome": 2}, "outcome"),
        ({"shares": 1, "outcome": -1}, "outcome"),
        ({"shares": 1, "outcome": "1"}, "outcome"),
        ({"shares": 1, "outcome": 1.0}, "outcome"),
        ({"shares": 1, "side": "short"}, "side"),
        ({"shares": 1, "max_price": 1.5}, "max_price"),
        ({"shares": 1, "max_price": 0}, "max_price"),
        ({"shares": 1, "max_price": float("nan")}, "max_price"),
        ({"shares": 1, "min_price": 0.5}, "min_price"),
        ({"shares": 1, "side": "sell", "max_price": 0.5}, "max_price"),
        ({"budget": 1, "side": "sell"}, "budget"),
    ],
)
def test_bad_trade_input_is_refused_naming_the_field(db, binary_market, trader, kwargs, field):
    args = {"outcome": 1, "side": "buy", **kwargs}
    for call in (trade_execute, trade_quote):
        with pytest.raises(ValidationError) as exc:
            call(market=binary_market, user=trader, **args)
        assert exc.value.field == field, exc.value.message
    assert Trade.objects.count() == 0


def test_the_smallest_budget_buys_one_milli_share_even_at_a_price_near_one(db, binary_market, trader):
    # YES leads by 5,000 shares (50 b): its price is 1 - 2e-22, so 0.001 shares cost just under 0.001 points.
    Market.objects.filter(pk=binary_market.pk).update(q=[0, 5_000_000])
    trade = trade_buy_budget(market=binary_market, user=trader, outcome=1, budget=Decimal("0.001"))
    assert (trade.shares, trade.cash) == (1, 1)


def test_anonymous_users_cannot_trade(db, binary_market):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(StateError, match="Log in"):
        trade_buy_shares(market=binary_market, user=AnonymousUser(), outcome=1, shares=1)


def test_trading_stops_when_the_question_closes(db, binary_market, trader):
    question_close(question=binary_market.question)
    binary_market.refresh_from_db()
    assert binary_market.status == Market.Status.CLOSED
    with pytest.raises(StateError, match="closed"):
        trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1)
    with pytest.raises(StateError, match="closed"):
        trade_quote(market=binary_market, outcome=1, shares=1)


def test_trading_stops_after_the_scheduled_close_even_before_the_close_task(db, binary_market, trader):
    later = binary_market.question.scheduled_close_time + dt.timedelta(seconds=1)
    with pytest.raises(StateError, match="closed"):
        trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1, at=later)


def test_a_market_on_a_draft_opens_with_its_question(db, staff_user, trader):
    question = factories.QuestionFactory(status="draft")
    market = market_create(question=question, b=100, created_by=staff_user)
    with pytest.raises(StateError, match="not published"):
        trade_buy_shares(market=market, user=trader, outcome=1, shares=1)


def test_trades_keep_time_order(db, binary_market, trader):
    now = timezone.now()
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1, at=now)
    with pytest.raises(ValidationError):
        trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1, at=now - dt.timedelta(minutes=1))


@pytest.mark.parametrize(
    "kwargs, error, field",
    [
        ({"b": 0}, ValidationError, "b"),
        ({"b": float("nan")}, ValidationError, "b"),
        ({"b": "100"}, ValidationError, "b"),
        ({"b": 1e9}, ValidationError, "b"),
        ({"b": 100, "buckets": 10}, ValidationError, "buckets"),
    ],
)
def test_bad_market_input_is_refused(db, open_question, kwargs, error, field):
    with pytest.raises(error) as exc:
        market_create(question=open_question, **kwargs)
    assert exc.value.field == field


@pytest.mark.parametrize("buckets", [1, 101, "10", 2.5])
def test_bad_bucket_counts_are_refused(db, open_numeric_question, buckets):
    with pytest.raises(ValidationError) as exc:
        market_create(question=open_numeric_question, b=100, buckets=buckets)
    assert exc.value.field == "buckets"


def test_one_market_per_question(db, binary_market):
    with pytest.raises(StateError, match="already has a market"):
        market_create(question=binary_market.question, b=50)


@pytest.mark.parametrize("status", ["closed", "resolved", "annulled"])
def test_no_market_on_a_finished_question(db, status):
    question = factories.QuestionFactory(status=status)
    with pytest.raises(StateError):
        market_create(question=question, b=100)


def test_the_house_must_cover_the_reserve(db, settings, open_question):
    settings.READOUT = {**settings.READOUT, "HOUSE_ENDOWMENT_POINTS": 10}
    with pytest.raises(StateError, match="cannot reserve 69.315 points"):
        market_create(question=open_question, b=100)


# ----------------------------------------------------------------------------------------------------- properties

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(
    outcome=st.integers(0, 1),
    first=st.integers(1, 400_000),
    others=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 200_000)), max_size=3),
)
def test_buying_then_selling_the_same_shares_never_profits(db, binary_market, outcome, first, others):
    """With the market in any state reached by other trades, a round trip loses at least one milli-point."""
    with transaction.atomic():  # hypothesis reuses the test's database: roll each example back
        bystander, user = factories.UserFactory(), factories.UserFactory()
        give(bystander, 100_000)
        give(user, 100_000)
        for k, ms in others:
            trade_buy_shares(market=binary_market, user=bystander, outcome=k, shares=Decimal(ms) / 1000)
        start = balance(user)
        trade_buy_shares(market=binary_market, user=user, outcome=outcome, shares=Decimal(first) / 1000)
        try:
            trade_sell(market=binary_market, user=user, outcome=outcome, shares=Decimal(first) / 1000)
        except ValidationError as exc:  # proceeds below 0.001 points: the sale is refused, the purchase lost
            assert "too small" in exc.message
        assert balance(user) <= start - 1
        transaction.set_rollback(True)


@PROPERTY
@given(
    ops=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["buy", "budget", "sell"]), st.integers(0, 9),
                  st.integers(1, 300_000)),
        min_size=1, max_size=25,
    )
)
def test_random_trade_sequences_keep_every_ledger_invariant(db, numeric_market, ops):
    with transaction.atomic():  # hypothesis reuses the test's database: roll each example back
        _random_sequence(numeric_market, ops)
        transaction.set_rollback(True)


def _random_sequence(numeric_market, ops):
    users = [factories.UserFactory() for _ in range(3)]
    for user in users:
        give(user, 300)
    succeeded = 0
    for who, kind, outcome, amount in ops:
        user = users[who]
        amount = Decimal(amount) / 1000
        try:
            if kind == "buy":
                trade_buy_shares(market=numeric_market, user=user, outcome=outcome, shares=amount)
            elif kind == "budget":
                trade_buy_budget(market=numeric_market, user=user, outcome=outcome, budget=amount)
            else:
                trade_sell(market=numeric_market, user=user, outcome=outcome, shares=amount)
            succeeded += 1
        except (StateError, ValidationError):
            pass
        assert all(balance(u) >= 0 for u in users)
    assert ledger_check() == []
    assert Trade.objects.filter(market=numeric_market).count() == succeeded
    numeric_market.refresh_from_db()
    total_cash = sum(Trade.objects.filter(market=numeric_market).values_list("cash", flat=True))
    assert Account.objects.get(market=numeric_market).balance == numeric_market.reserve_millipoints + total_cash
    # The maker never loses more than b ln(n): what traders paid covers the worst-case payout less the reserve.
    assert max(numeric_market.q) <= numeric_market.reserve_millipoints + total_cash
    assert math.isclose(sum(market_prices(numeric_market)), 1.0, rel_tol=1e-12)
