"""Readout day, money side: trades made at or after the moment the answer became public (known_at) are voided at
settlement, each at its own cash, before the winning shares are paid (docs/markets.md, "Late trades").

Amounts are hand-computed. A binary market with b = 100 starts at q = (0, 0):
- buying 10 YES costs 100 ln((e^0.1 + 1)/2) = 5.12497... points, rounded up to 5.125 (5,125 milli-points);
- selling those 10 YES back from q = (0, 10) pays the same 5.12497..., rounded down to 5.124;
- the reserve is 100 ln 2 = 69.3147... rounded up to 69.315.
"""
import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.errors import StateError, ValidationError

from markets.models import Account, LedgerTransaction, Market, Position, Question, TradeVoid
from markets.selectors import ledger_check, portfolio
from markets.services import market_create, market_settle, market_unsettle, trade_buy_budget, trade_buy_shares, trade_sell
from markets.services.ledger import house_account
from tests import factories
from tests.markets.conftest import balance, give

GRANT = 1_000_000  # 1,000 points


def resolve(question, outcome, known_at):
    Question.objects.filter(pk=question.pk).update(
        status="resolved", outcome=outcome, known_at=known_at, actual_close_time=known_at, resolved_at=timezone.now()
    )
    question.refresh_from_db()


@pytest.fixture
def clock():
    """Explicit trade times: the question opened a week ago; 'known' is when the answer became public."""
    known = timezone.now() - dt.timedelta(hours=2)
    return {"before": known - dt.timedelta(hours=1), "known": known, "after": known + dt.timedelta(minutes=10),
            "later": known + dt.timedelta(minutes=20)}


@pytest.fixture
def market(open_question, staff_user):
    return market_create(question=open_question, b=100, created_by=staff_user,
                         at=open_question.open_time + dt.timedelta(minutes=1))


def test_a_buy_after_known_at_is_refunded_and_pays_nothing(db, market, trader, other_trader, clock):
    """The issue's case: a 200-point YES budget buy 10 minutes after known_at made +37.3 points on main."""
    trade_buy_shares(market=market, user=trader, outcome=1, shares=10, at=clock["before"])
    late = trade_buy_budget(market=market, user=other_trader, outcome=1, budget=200, at=clock["after"])
    assert balance(other_trader) == GRANT - late.cash == GRANT - 200_000 + (200_000 - late.cash)
    house_before = house_account().balance
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)

    assert balance(other_trader) == GRANT  # paid back exactly what the late buy cost; no winning shares
    assert balance(trader) == GRANT - 5_125 + 10_000  # only the early buyer is paid
    assert Position.objects.get(user=other_trader, market=market, outcome=1).shares == 0
    market.refresh_from_db()
    assert market.q == [0, 10_000]
    # The house gets back the reserve and the early payment, less the 10-point payout: it lost 10 - 5.125.
    assert house_account().balance == house_before + 69_315 + 5_125 - 10_000
    void = TradeVoid.objects.get()
    assert (void.trade_id, void.settlement_round, void.known_at) == (late.pk, 0, clock["known"])
    txn = void.transaction
    assert (txn.kind, txn.key, txn.user_id) == ("void", f"void:{market.pk}:0:{other_trader.pk}", other_trader.pk)
    assert "after the answer became public" in txn.memo
    assert ledger_check() == []


def test_bought_before_and_sold_after_known_at_keeps_the_shares_and_returns_the_proceeds(db, market, trader, clock):
    trade_buy_shares(market=market, user=trader, outcome=1, shares=10, at=clock["before"])
    trade_sell(market=market, user=trader, outcome=1, shares=10, at=clock["after"])
    assert balance(trader) == GRANT - 5_125 + 5_124
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)

    # The sale is voided: 5.124 goes back to the market, the 10 YES count again and win 10 points.
    assert balance(trader) == GRANT - 5_125 + 10_000
    position = Position.objects.get(user=trader, market=market, outcome=1)
    assert (position.shares, position.cost_basis, position.realised) == (10_000, 5_125, 0)
    assert Market.objects.get(pk=market.pk).q == [0, 10_000]
    void = LedgerTransaction.objects.get(kind="void")
    assert {e.account.user_id: e.amount for e in void.entries.select_related("account")} == {
        trader.pk: -5_124, None: 5_124,
    }
    assert ledger_check() == []


def test_a_late_round_trip_nets_to_nothing(db, market, trader, other_trader, clock):
    trade_buy_shares(market=market, user=other_trader, outcome=0, shares=30, at=clock["before"])
    buy = trade_buy_shares(market=market, user=trader, outcome=1, shares=50, at=clock["after"])
    sell = trade_sell(market=market, user=trader, outcome=1, shares=20, at=clock["later"])
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)
    # Both trades reversed at their own cash: net buy.cash + sell.cash (sell.cash < 0) refunded in one transaction.
    assert balance(trader) == GRANT
    assert LedgerTransaction.objects.get(kind="void").entries.get(account__user=trader).amount == buy.cash + sell.cash
    assert set(TradeVoid.objects.values_list("trade_id", flat=True)) == {buy.pk, sell.pk}
    assert balance(other_trader) == GRANT - Position.objects.get(user=other_trader, outcome=0).cost_basis
    assert ledger_check() == []


def test_a_trade_exactly_at_known_at_is_late(db, market, trader, clock):
    at_known = trade_buy_shares(market=market, user=trader, outcome=1, shares=10, at=clock["known"])
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)
    assert TradeVoid.objects.get().trade_id == at_known.pk
    assert balance(trader) == GRANT


def test_late_sale_proceeds_already_spent_are_collected_up_to_the_balance(db, market, trader, clock, open_question,
                                                                        staff_user):
    """A trader who sold late and spent the proceeds elsewhere gives back what they hold; the house's loss is at
    most the late sale's proceeds, and the memo says what could not be collected."""
    trade_buy_shares(market=market, user=trader, outcome=1, shares=10, at=clock["before"])
    trade_sell(market=market, user=trader, outcome=1, shares=10, at=clock["after"])
    other = market_create(question=factories.QuestionFactory(), b=1000, created_by=staff_user)
    spent = trade_buy_budget(market=other, user=trader, outcome=1, budget=(balance(trader) - 2_000) / 1000)
    left = GRANT - 5_125 + 5_124 - spent.cash
    assert 2_000 <= left < 5_124
    house_before = house_account().balance
    resolve(market.question, 0, clock["known"])  # NO wins: no payout to pay the 5.124 back with
    market_settle(question=market.question)

    assert balance(trader) == 0  # everything they held went back (no payout: their YES lost)
    void = LedgerTransaction.objects.get(kind="void")
    assert f"{(5_124 - left) / 1000:.3f} points could not be collected" in void.memo
    # House: reserve + early 5.125 back, no payout (NO had no holders), minus the uncollected part of the 5.124.
    assert house_account().balance == house_before + 69_315 + 5_125 - (5_124 - left)
    assert ledger_check() == []


def test_a_late_sale_that_drained_the_market_is_settled_with_a_house_advance(db, market, trader, other_trader, clock):
    """Late sellers took points out of the market's account; it pays refunds and payouts before it collects them
    back, so the house advances the difference and gets it back with the rest."""
    trade_buy_shares(market=market, user=trader, outcome=1, shares=400, at=clock["before"])
    sold = trade_sell(market=market, user=trader, outcome=1, shares=400, at=clock["after"])
    late_buy = trade_buy_shares(market=market, user=other_trader, outcome=0, shares=500, at=clock["later"])
    house_before = house_account().balance
    pool_before = Account.objects.get(market=market).balance
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)
    assert LedgerTransaction.objects.filter(kind="advance").exists()
    early_cost = Position.objects.get(user=trader, outcome=1).cost_basis
    assert balance(trader) == GRANT - early_cost + 400_000
    assert balance(other_trader) == GRANT
    assert Account.objects.get(market=market).balance == 0
    assert house_account().balance == house_before + 69_315 + early_cost - 400_000
    assert pool_before == 69_315 + early_cost + late_buy.cash + sold.cash
    assert ledger_check() == []


def test_unresolve_restores_the_voided_trades_and_a_later_known_at_voids_fewer(db, market, trader, other_trader, clock):
    trade_buy_shares(market=market, user=trader, outcome=1, shares=10, at=clock["before"])
    late = trade_buy_shares(market=market, user=other_trader, outcome=1, shares=20, at=clock["after"])
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)
    assert balance(other_trader) == GRANT
    Question.objects.filter(pk=market.question.pk).update(status="closed", outcome=None, known_at=None,
                                                           resolved_at=None, actual_close_time=None)
    market.question.refresh_from_db()
    market_unsettle(question=market.question)
    market.refresh_from_db()
    assert market.q == [0, 30_000] and market.settlement_round == 1
    assert balance(other_trader) == GRANT - late.cash
    assert ledger_check() == []
    # Resolved again with a known_at after both trades: nothing is voided in the new round.
    resolve(market.question, 1, clock["later"])
    market_settle(question=market.question)
    assert not TradeVoid.objects.filter(settlement_round=1).exists()
    assert balance(other_trader) == GRANT - late.cash + 20_000
    assert ledger_check() == []


def test_settling_twice_voids_once(db, market, trader, other_trader, clock):
    trade_buy_shares(market=market, user=trader, outcome=1, shares=10, at=clock["before"])
    trade_buy_shares(market=market, user=other_trader, outcome=1, shares=20, at=clock["after"])
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)
    after = (balance(trader), balance(other_trader), LedgerTransaction.objects.count(), TradeVoid.objects.count())
    Market.objects.filter(pk=market.pk).update(status=Market.Status.CLOSED)  # a forced re-run past the status check
    market_settle(question=market.question)
    assert (balance(trader), balance(other_trader), TradeVoid.objects.count()) == after[:2] + after[3:]
    assert ledger_check() == []


def test_the_portfolio_question_page_and_api_show_voided_trades(db, market, trader, other_trader, clock, client):
    trade_buy_shares(market=market, user=trader, outcome=1, shares=10, at=clock["before"])
    late = trade_buy_shares(market=market, user=other_trader, outcome=1, shares=20, at=clock["after"])
    resolve(market.question, 1, clock["known"])
    market_settle(question=market.question)
    # The closed-market result counts the refund: other_trader paid and got it all back.
    closed = {row.market.pk: row.result for row in portfolio(user=other_trader).closed}
    assert closed == {market.pk: 0}
    client.force_login(other_trader)
    page = client.get("/markets/portfolio/").content.decode()
    assert "Voided" in page
    html = client.get(market.question.get_absolute_url()).content.decode()
    assert 'data-testid="voided-trades"' in html and "1 trade made after the answer became public" in html
    assert "Your buy of 20.000 YES" in html and f"{late.cash / 1000:.3f} points" in html
    tape = client.get(f"/api/v1/markets/{market.pk}/trades/").json()["results"]
    assert {t["id"]: t["voided"] for t in tape} == {late.pk: True, late.pk - 1: False}


# ----------------------------------------------------------------------------------------------------- properties
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(
    b=st.sampled_from([1, 3, 100, 5000]),
    ops=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["buy", "budget", "sell"]), st.integers(0, 1),
                  st.integers(1, 400_000)),
        min_size=1, max_size=16,
    ),
    cut=st.integers(0, 16),
    winner=st.integers(0, 1),
)
def test_settling_after_random_late_trades_pays_exactly_what_the_early_trades_earned(
    db, open_question, staff_user, b, ops, cut, winner
):
    """Any trades, any split into before/after known_at, any winner: each trader ends with their grant minus what
    their early trades cost net plus their early winning shares; the house with its reserve back plus the early
    trades' net cash minus the payouts; every ledger invariant holds."""
    with transaction.atomic():  # hypothesis reuses the test's database: roll each example back
        question = factories.QuestionFactory()
        start = question.open_time + dt.timedelta(minutes=1)
        market = market_create(question=question, b=b, created_by=staff_user, at=start)
        users = [factories.UserFactory() for _ in range(3)]
        for user in users:
            give(user, 1000)
        known = start + dt.timedelta(hours=cut + 0.5)
        trades = []
        for i, (who, kind, outcome, amount) in enumerate(ops):
            at, user, amount = start + dt.timedelta(hours=i + 1), users[who], Decimal(amount) / 1000
            try:
                if kind == "buy":
                    trades.append(trade_buy_shares(market=market, user=user, outcome=outcome, shares=amount, at=at))
                elif kind == "budget":
                    trades.append(trade_buy_budget(market=market, user=user, outcome=outcome, budget=amount, at=at))
                else:
                    trades.append(trade_sell(market=market, user=user, outcome=outcome, shares=amount, at=at))
            except (StateError, ValidationError):
                pass
        early = [t for t in trades if t.created_at < known]
        house_before = house_account().balance
        resolve(question, winner, known)
        market_settle(question=question)

        payout = {u.pk: 0 for u in users}
        for t in early:
            if t.outcome == winner:
                payout[t.user_id] += t.shares
        for user in users:
            early_cash = sum(t.cash for t in early if t.user_id == user.pk)
            assert balance(user) == GRANT - early_cash + payout[user.pk]
        assert house_account().balance == (
            house_before + market.reserve_millipoints + sum(t.cash for t in early) - sum(payout.values())
        )
        assert set(TradeVoid.objects.filter(market=market).values_list("trade_id", flat=True)) == {
            t.pk for t in trades if t.created_at >= known
        }
        assert ledger_check() == []
        transaction.set_rollback(True)
