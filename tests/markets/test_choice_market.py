"""LMSR markets on multiple-choice questions: one outcome per option, trading by option, settlement paying the
chosen option, refunds on annulment, late trades voided, the ledger sound throughout (docs/markets.md)."""
import datetime as dt
import math

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.errors import StateError, ValidationError
from markets import lmsr
from markets.buckets import outcome_labels
from markets.models import Account, LedgerTransaction, Market, Question
from markets.selectors import ledger_check, market_panel_context
from markets.services import market_create, market_refund, market_settle, trade_buy_shares, trade_sell
from markets.services.resolution import question_resolve
from tests import factories
from tests.markets.conftest import balance, give

pytestmark = pytest.mark.django_db


@pytest.fixture
def choice_question(db):
    return factories.ChoiceQuestionFactory(options=["ASH", "ASCO", "EHA", "Elsewhere"])


@pytest.fixture
def choice_market(choice_question, staff_user):
    return market_create(question=choice_question, b=100, created_by=staff_user)


def resolve(question, outcome):
    Question.objects.filter(pk=question.pk).update(status="resolved", outcome=outcome, resolved_at=timezone.now())
    question.refresh_from_db()


def test_the_market_has_one_outcome_per_option_and_reserves_b_ln_n(choice_market):
    assert choice_market.n == 4 and choice_market.q == [0, 0, 0, 0]
    assert choice_market.reserve_millipoints == math.ceil(100 * math.log(4) * 1000)
    assert outcome_labels(choice_market) == ["ASH", "ASCO", "EHA", "Elsewhere"]
    assert choice_market.outcome_label(1) == "ASCO"


def test_buckets_are_refused_unless_they_match_the_options(choice_question, staff_user):
    with pytest.raises(ValidationError) as err:
        market_create(question=choice_question, b=100, buckets=10, created_by=staff_user)
    assert err.value.field == "buckets" and "one outcome per option" in err.value.message


def test_trading_by_option_moves_prices_and_the_panel_names_options(choice_market, trader):
    trade = trade_buy_shares(market=choice_market, user=trader, outcome=2, shares=25)
    choice_market.refresh_from_db()
    prices = lmsr.prices([q / 1000 for q in choice_market.q], choice_market.b)
    assert trade.outcome == 2 and prices[2] > 0.25 > prices[0]
    assert sum(prices) == pytest.approx(1.0)
    # Cost of 25 shares from q = 0: b ln((3 + e^(25/b)) / 4), rounded up to the milli-point.
    assert trade.cash == math.ceil(100 * math.log((3 + math.exp(0.25)) / 4) * 1000)
    panel = market_panel_context(question=choice_market.question, user=trader)["market_panel"]
    assert [o["label"] for o in panel["outcomes"]] == ["ASH", "ASCO", "EHA", "Elsewhere"]
    assert panel["chart"]["kind"] == "multiple_choice" and panel["chart"]["labels"][2] == "EHA"
    assert ledger_check() == []


@pytest.mark.parametrize("outcome", [4, -1, "ASH", 1.5, None, True])
def test_an_outcome_that_is_not_an_option_index_is_a_400(choice_market, trader, outcome):
    with pytest.raises(ValidationError) as err:
        trade_buy_shares(market=choice_market, user=trader, outcome=outcome, shares=1)
    assert err.value.field == "outcome" and "0 = ASH" in err.value.message
    assert Account.objects.get(market=choice_market).balance == choice_market.reserve_millipoints


def test_settlement_pays_the_chosen_option_once(choice_market, trader, other_trader):
    trade_buy_shares(market=choice_market, user=trader, outcome=1, shares=20)
    trade_buy_shares(market=choice_market, user=other_trader, outcome=0, shares=30)
    before = balance(trader), balance(other_trader)
    resolve(choice_market.question, 1.0)
    market = market_settle(question=choice_market.question)
    assert market.status == Market.Status.SETTLED and market.winning_outcome == 1
    assert balance(trader) == before[0] + 20_000 and balance(other_trader) == before[1]
    assert Account.objects.get(market=market).balance == 0
    market_settle(question=choice_market.question)  # a retried task pays nothing more
    assert balance(trader) == before[0] + 20_000
    assert ledger_check() == []


def test_annulment_refunds_net_payments(choice_market, trader, other_trader):
    start = balance(trader), balance(other_trader)
    trade_buy_shares(market=choice_market, user=trader, outcome=3, shares=12)
    trade_buy_shares(market=choice_market, user=other_trader, outcome=2, shares=7)
    trade_sell(market=choice_market, user=trader, outcome=3, shares=5)
    Question.objects.filter(pk=choice_market.question_id).update(status="annulled", outcome=None)
    choice_market.question.refresh_from_db()
    market = market_refund(question=choice_market.question)
    assert market.status == Market.Status.REFUNDED
    assert (balance(trader), balance(other_trader)) == start
    assert ledger_check() == []


def test_trades_after_the_answer_was_public_are_voided(choice_question, staff_user, trader, other_trader):
    now = timezone.now()
    choice_market = market_create(question=choice_question, b=100, created_by=staff_user,
                                  at=choice_question.open_time + dt.timedelta(minutes=1))
    trade_buy_shares(market=choice_market, user=trader, outcome=0, shares=10, at=now - dt.timedelta(hours=3))
    late = balance(other_trader)
    trade_buy_shares(market=choice_market, user=other_trader, outcome=0, shares=10, at=now - dt.timedelta(hours=1))
    question_resolve(question=choice_market.question, outcome=0, known_at=now - dt.timedelta(hours=2))
    market_settle(question=choice_market.question)
    assert balance(other_trader) == late  # the late buyer got their payment back and no payout
    assert LedgerTransaction.objects.filter(kind="void").count() == 1
    assert ledger_check() == []


def test_an_outcome_beyond_the_options_cannot_settle(choice_market):
    resolve(choice_market.question, 7.0)
    with pytest.raises(StateError, match="option index"):
        market_settle(question=choice_market.question)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 40), st.booleans()), min_size=1, max_size=12),
       st.integers(0, 3))
def test_any_trades_then_settlement_keep_the_ledger_sound(choice_question, staff_user, trades, winner):
    question = factories.ChoiceQuestionFactory(options=["ASH", "ASCO", "EHA", "Elsewhere"])
    market = market_create(question=question, b=50, created_by=staff_user)
    users = [factories.UserFactory() for _ in range(2)]
    for user in users:
        give(user)
    for i, (outcome, shares, sell) in enumerate(trades):
        user = users[i % 2]
        try:
            if sell:
                trade_sell(market=market, user=user, outcome=outcome, shares=shares)
            else:
                trade_buy_shares(market=market, user=user, outcome=outcome, shares=shares)
        except (StateError, ValidationError):
            pass  # not enough shares or points: refused, nothing moved
        assert ledger_check() == []
    resolve(question, float(winner))
    market_settle(question=question)
    assert ledger_check() == []
