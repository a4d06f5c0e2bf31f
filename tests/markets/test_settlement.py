"""Settlement on resolution, refunds on annulment, reversal on unresolve: exact amounts, paid once, invariants.

The resolution flow (forecasting) sets the question's status and outcome, then calls these services; here the
question rows are updated directly to play that part."""
from decimal import Decimal

import pytest
from django.utils import timezone

from assets.errors import StateError
from markets.models import Account, LedgerTransaction, Market, Question
from markets.selectors import ledger_check, portfolio
from markets.services import (
    account_for_user,
    market_refund,
    market_settle,
    market_unsettle,
    trade_buy_shares,
    trade_sell,
)
from markets.services.ledger import house_account
from markets.tasks import settle_question_market
from tests import factories
from tests.markets.conftest import balance, give


def resolve(question, outcome):
    Question.objects.filter(pk=question.pk).update(status="resolved", outcome=outcome, resolved_at=timezone.now())
    question.refresh_from_db()


def annul(question):
    Question.objects.filter(pk=question.pk).update(status="annulled", outcome=None)
    question.refresh_from_db()


def unresolve(question):
    Question.objects.filter(pk=question.pk).update(status="closed", outcome=None, resolved_at=None)
    question.refresh_from_db()


def house_balance() -> int:
    return house_account().balance


@pytest.fixture
def traded(binary_market, trader, other_trader):
    """trader holds 10 YES (paid 5.125), other_trader 30 NO; one more trader bought and sold YES."""
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=0, shares=30)
    flipper = factories.UserFactory()
    give(flipper)
    trade_buy_shares(market=binary_market, user=flipper, outcome=1, shares=5)
    trade_sell(market=binary_market, user=flipper, outcome=1, shares=5)
    return binary_market, flipper


def test_settlement_pays_one_point_per_winning_share_and_returns_the_rest(db, traded, trader, other_trader):
    market, _ = traded
    pool_before = Account.objects.get(market=market).balance
    house_before = house_balance()
    trader_before, other_before = balance(trader), balance(other_trader)
    resolve(market.question, 1)
    market = market_settle(question=market.question)
    assert market.status == Market.Status.SETTLED and market.winning_outcome == 1
    assert balance(trader) == trader_before + 10_000  # 10 YES shares x 1 point
    assert balance(other_trader) == other_before  # NO lost
    assert Account.objects.get(market=market).balance == 0
    assert house_balance() == house_before + pool_before - 10_000
    assert ledger_check() == []


def test_settlement_run_twice_pays_once(db, traded, trader):
    market, _ = traded
    resolve(market.question, 1)
    market_settle(question=market.question)
    after_first = (balance(trader), house_balance(), LedgerTransaction.objects.count())
    again = market_settle(question=market.question)
    # The task, as a retried Celery delivery would run it (apply: in this process whatever the broker settings).
    assert settle_question_market.apply(args=[market.question.pk]).get() == "settled"
    assert again.status == Market.Status.SETTLED
    assert (balance(trader), house_balance(), LedgerTransaction.objects.count()) == after_first
    assert LedgerTransaction.objects.filter(key__startswith=f"payout:{market.pk}:").count() == 1
    assert ledger_check() == []


def test_a_forced_second_settlement_finds_its_keys_and_pays_nothing(db, traded, trader):
    market, _ = traded
    resolve(market.question, 1)
    market_settle(question=market.question)
    snapshot = (balance(trader), house_balance(), LedgerTransaction.objects.count())
    Market.objects.filter(pk=market.pk).update(status="closed")  # as if the status check had been bypassed
    market_settle(question=market.question)
    assert (balance(trader), house_balance(), LedgerTransaction.objects.count()) == snapshot
    assert ledger_check() == []


def test_a_duplicate_settlement_key_is_refused_by_the_database(db, traded):
    from django.db import IntegrityError, transaction

    market, _ = traded
    resolve(market.question, 1)
    market_settle(question=market.question)
    key = LedgerTransaction.objects.get(kind="payout").key
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(key=key, kind="payout", created_at=timezone.now())


def test_settlement_never_pays_more_than_payments_plus_reserve(db, binary_market, trader):
    # The worst case for the maker: one trader buys a lot of the outcome that wins.
    give(trader, 100_000)
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=5000)
    pool = Account.objects.get(market=binary_market).balance
    resolve(binary_market.question, 1)
    house_before = house_balance()
    market_settle(question=binary_market.question)
    assert 5_000_000 <= pool  # payments + reserve cover the payout
    assert house_balance() == house_before + pool - 5_000_000
    assert ledger_check() == []


def test_an_annulled_market_refunds_net_payments_exactly(db, traded, trader, other_trader):
    market, flipper = traded
    start = {u.pk: 1_000_000 for u in (trader, other_trader, flipper)}
    house_before = house_balance()
    annul(market.question)
    market = market_refund(question=market.question)
    assert market.status == Market.Status.REFUNDED
    for user in (trader, other_trader):
        assert balance(user) == start[user.pk]
    # The flipper lost the round trip's rounding (1 milli-point) and gets exactly that back.
    assert balance(flipper) == start[flipper.pk]
    assert Account.objects.get(market=market).balance == 0
    assert house_balance() == house_before + market.reserve_millipoints  # the reserve comes back whole
    assert ledger_check() == []


def test_refund_run_twice_refunds_once(db, traded, trader):
    market, _ = traded
    annul(market.question)
    market_refund(question=market.question)
    snapshot = (balance(trader), house_balance(), LedgerTransaction.objects.count())
    market_refund(question=market.question)
    assert settle_question_market.apply(args=[market.question.pk]).get() == "refunded"
    assert (balance(trader), house_balance(), LedgerTransaction.objects.count()) == snapshot


def test_a_trader_who_profited_pays_the_profit_back_on_annulment(db, binary_market, trader, other_trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=50)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=200)
    trade_sell(market=binary_market, user=trader, outcome=1, shares=50)  # sells higher than bought
    assert balance(trader) > 1_000_000
    house_before = house_balance()
    annul(binary_market.question)
    market_refund(question=binary_market.question)
    assert balance(trader) == 1_000_000 and balance(other_trader) == 1_000_000
    assert house_balance() == house_before + binary_market.reserve_millipoints
    assert LedgerTransaction.objects.filter(kind="clawback").count() == 1
    assert ledger_check() == []


def test_an_uncollectable_profit_is_covered_by_the_reserve_then_the_house(db, binary_market, trader, other_trader,
                                                                          open_question):
    from markets.services import market_create

    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=50)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=200)
    trade_sell(market=binary_market, user=trader, outcome=1, shares=50)
    profit = balance(trader) - 1_000_000
    # The trader spends everything elsewhere, so the profit cannot be taken back.
    elsewhere = market_create(question=factories.QuestionFactory(), b=1000)
    from markets.services import trade_buy_budget

    trade_buy_budget(market=elsewhere, user=trader, outcome=1, budget=Decimal(balance(trader)) / 1000)
    left = balance(trader)
    house_before = house_balance()
    annul(binary_market.question)
    market_refund(question=binary_market.question)
    assert balance(other_trader) == 1_000_000  # refunded in full
    assert balance(trader) == 0 and left < profit
    # Uncollected: profit - left. The reserve absorbs it; the house gets back the reserve minus that.
    assert house_balance() == house_before + binary_market.reserve_millipoints - (profit - left)
    assert ledger_check() == []


def test_numeric_settlement_pays_the_bucket_holding_the_outcome(db, numeric_market, trader, other_trader):
    # Range 0..40 months, K = 10: bucket 4 = (16, 20], bucket 9 = (36, 40] and everything above.
    trade_buy_shares(market=numeric_market, user=trader, outcome=4, shares=20)
    trade_buy_shares(market=numeric_market, user=other_trader, outcome=9, shares=20)
    resolve(numeric_market.question, 17.5)
    market_settle(question=numeric_market.question)
    numeric_market.refresh_from_db()
    assert numeric_market.winning_outcome == 4
    assert LedgerTransaction.objects.get(kind="payout").entries.get(account__user=trader).amount == 20_000
    assert ledger_check() == []


@pytest.mark.parametrize(
    "outcome, bucket", [(16.0, 3), (16.001, 4), (15.999, 3), (0.0, 0), (-3.0, 0), (36.0, 8), (40.0, 9), (55.0, 9)]
)
def test_the_winning_bucket_of_a_numeric_market(db, numeric_market, outcome, bucket):
    from markets.services.settlement import winning_outcome

    resolve(numeric_market.question, outcome)
    numeric_market.refresh_from_db()
    assert winning_outcome(numeric_market) == bucket


def test_unsettle_reverses_the_settlement_and_a_new_resolution_settles_again(db, traded, trader, other_trader):
    market, flipper = traded
    before = {u.pk: balance(u) for u in (trader, other_trader, flipper)}
    house_before = house_balance()
    resolve(market.question, 1)
    market_settle(question=market.question)
    unresolve(market.question)
    market = market_unsettle(question=market.question)
    assert market.status == Market.Status.CLOSED and market.settlement_round == 1
    assert {u.pk: balance(u) for u in (trader, other_trader, flipper)} == before
    assert house_balance() == house_before
    assert ledger_check() == []
    assert market_unsettle(question=market.question).settlement_round == 1  # idempotent

    resolve(market.question, 0)  # the corrected outcome: NO
    market_settle(question=market.question)
    assert balance(other_trader) == before[other_trader.pk] + 30_000
    assert balance(trader) == before[trader.pk]
    assert ledger_check() == []


def test_unsettle_after_annulment_then_settle(db, traded, trader):
    market, _ = traded
    before = balance(trader)
    annul(market.question)
    market_refund(question=market.question)
    unresolve(market.question)
    market_unsettle(question=market.question)
    assert balance(trader) == before
    resolve(market.question, 1)
    market_settle(question=market.question)
    assert balance(trader) == before + 10_000
    assert ledger_check() == []


def test_unsettle_when_the_winner_spent_the_payout_takes_what_is_left_and_the_house_covers(db, traded, trader):
    from markets.services import market_create, trade_buy_budget

    market, _ = traded
    resolve(market.question, 1)
    market_settle(question=market.question)
    elsewhere = market_create(question=factories.QuestionFactory(), b=1000)
    trade_buy_budget(market=elsewhere, user=trader, outcome=1, budget=Decimal(balance(trader)) / 1000)
    unresolve(market.question)
    market_unsettle(question=market.question)
    assert balance(trader) == 0
    assert ledger_check() == []  # the market account again holds reserve + net payments exactly


@pytest.mark.parametrize(
    "call, status",
    [(market_settle, "closed"), (market_settle, "annulled"), (market_refund, "resolved"), (market_refund, "open")],
)
def test_settlement_follows_the_question_state(db, binary_market, call, status):
    outcome = 1 if status == "resolved" else None
    Question.objects.filter(pk=binary_market.question.pk).update(status=status, outcome=outcome)
    with pytest.raises(StateError):
        call(question=binary_market.question)


def test_a_stale_settlement_after_unresolve_is_refused(db, traded):
    market, _ = traded
    resolve(market.question, 1)
    market_settle(question=market.question)
    unresolve(market.question)
    market_unsettle(question=market.question)
    with pytest.raises(StateError, match="resolved"):
        market_settle(question=market.question)  # a late retry of the first settlement task


def test_unsettle_refuses_while_the_question_is_still_resolved(db, traded):
    market, _ = traded
    resolve(market.question, 1)
    market_settle(question=market.question)
    with pytest.raises(StateError, match="unresolve"):
        market_unsettle(question=market.question)


def test_settling_a_question_without_a_market_is_a_no_op(db, open_question):
    resolve(open_question, 1)
    assert market_settle(question=open_question) is None
    assert market_refund(question=open_question) is None
    assert market_unsettle(question=open_question) is None


def test_a_refunded_market_cannot_be_settled_until_unsettled(db, traded):
    market, _ = traded
    annul(market.question)
    market_refund(question=market.question)
    resolve(market.question, 1)
    with pytest.raises(StateError, match="unsettle"):
        market_settle(question=market.question)


def test_portfolio_after_settlement_shows_the_result(db, traded, trader):
    market, _ = traded
    resolve(market.question, 1)
    market_settle(question=market.question)
    folio = portfolio(user=trader)
    assert folio.positions == []
    assert [(row.market.pk, row.result) for row in folio.closed] == [(market.pk, 10_000 - 5125)]
    assert folio.realised == 10_000 - 5125
    assert account_for_user(user=trader).balance == 1_000_000 - 5125 + 10_000
