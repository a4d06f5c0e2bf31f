"""Concurrency on PostgreSQL: 16 threads make thousands of random trades (buys by shares, buys by budget, sales;
many refused for lack of points or shares) on a few markets shared by all threads, while the same users trade in
several markets at once. Afterwards every invariant of SCORING.md section 6 holds exactly and no trade is lost.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/readout_dev_markets REDIS_URL=redis://127.0.0.1:6379/14 \\
     .venv/bin/python -m pytest tests/services/test_market_concurrency.py -p no:cacheprovider
"""
import random
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from assets.errors import StateError, ValidationError
from markets.models import Account, LedgerEntry, LedgerTransaction, Market, Position, Question, Trade
from markets.selectors import ledger_check
from markets.services import (
    account_for_user,
    account_grant,
    account_grant_starting_points,
    market_create,
    market_settle,
    trade_buy_budget,
    trade_buy_shares,
    trade_sell,
)
from tests import factories

pytestmark = pytest.mark.services

THREADS = 16
OPS_PER_THREAD = 250
USERS = 24


def _run_threads(target, n: int):
    errors = []

    def wrapper(i):
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    assert errors == []


def test_thousands_of_concurrent_trades_keep_every_invariant(require_services, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert connection.vendor == "postgresql"
    staff = factories.StaffFactory()
    markets = [
        market_create(question=factories.QuestionFactory(), b=50, created_by=staff),
        market_create(question=factories.QuestionFactory(), b=200, created_by=staff),
        market_create(question=factories.NumericQuestionFactory(), b=100, buckets=10, created_by=staff),
    ]
    users = [User.objects.create(username=f"trader{i}") for i in range(USERS)]
    for i, user in enumerate(users):
        # Small, uneven grants so that many purchases are refused for lack of points.
        account_grant(account=account_for_user(user=user), amount_millipoints=(60 + 15 * (i % 7)) * 1000,
                      key=f"grant:concurrency:{user.pk}")

    successes = Counter()
    refusals = Counter()
    lock = threading.Lock()

    def worker(i):
        rng = random.Random(1000 + i)
        ok, refused = Counter(), Counter()
        for _ in range(OPS_PER_THREAD):
            market = rng.choice(markets)
            user = rng.choice(users)
            outcome = rng.randrange(market.n)
            kind = rng.choices(["buy", "budget", "sell"], weights=[4, 3, 4])[0]
            try:
                if kind == "buy":
                    trade_buy_shares(market=market, user=user, outcome=outcome,
                                     shares=Decimal(rng.randint(1, 60_000)) / 1000)
                elif kind == "budget":
                    trade_buy_budget(market=market, user=user, outcome=outcome,
                                     budget=Decimal(rng.randint(1, 40_000)) / 1000)
                else:
                    held = Position.objects.filter(user=user, market=market, outcome=outcome).values_list(
                        "shares", flat=True).first() or 0
                    # Sometimes more than held (refused), usually part of it.
                    amount = rng.randint(1, max(1, int(held * rng.choice([0.3, 0.7, 1.0, 1.5])) or 1))
                    trade_sell(market=market, user=user, outcome=outcome, shares=Decimal(amount) / 1000)
                ok[market.pk] += 1
            except StateError as exc:
                assert exc.code in ("insufficient_funds", "insufficient_shares"), exc.message
                refused[exc.code] += 1
            except ValidationError as exc:
                assert "too small" in exc.message, exc.message  # a sale whose proceeds round to 0
                refused["too_small"] += 1
        with lock:
            successes.update(ok)
            refusals.update(refused)

    _run_threads(worker, THREADS)

    total = sum(successes.values())
    assert total + sum(refusals.values()) == THREADS * OPS_PER_THREAD
    assert total >= 1000 and refusals["insufficient_funds"] > 0 and refusals["insufficient_shares"] > 0
    # No trade lost: one Trade row, one ledger transaction and one price point per successful call.
    assert Trade.objects.count() == total
    for market in markets:
        market.refresh_from_db()
        assert Trade.objects.filter(market=market).count() == successes[market.pk] == market.trade_count
        assert market.price_points.count() == successes[market.pk] + 1
    assert LedgerTransaction.objects.filter(kind="trade").count() == total

    # Every invariant, exactly.
    assert ledger_check() == []
    assert not Account.objects.filter(balance__lt=0).exclude(kind="issuer").exists()
    granted = LedgerEntry.objects.filter(transaction__kind="grant").exclude(account__kind="issuer").aggregate(
        s=Sum("amount"))["s"]
    assert Account.objects.exclude(kind="issuer").aggregate(s=Sum("balance"))["s"] == granted
    for txn_total in LedgerTransaction.objects.annotate(s=Sum("entries__amount")).values_list("s", flat=True):
        assert txn_total == 0
    for market in markets:
        per_outcome = dict(Position.objects.filter(market=market).values("outcome").annotate(s=Sum("shares"))
                           .values_list("outcome", "s"))
        assert market.q == [per_outcome.get(k, 0) for k in range(market.n)]

    # Settling concurrently from several workers (duplicate task deliveries) pays once.
    question = markets[0].question
    Question.objects.filter(pk=question.pk).update(status="resolved", outcome=1, resolved_at=timezone.now())
    question.refresh_from_db()
    owed = Position.objects.filter(market=markets[0], outcome=1).aggregate(s=Sum("shares"))["s"] or 0
    before = Account.objects.filter(kind="user").aggregate(s=Sum("balance"))["s"]
    _run_threads(lambda i: market_settle(question=question), 4)
    after = Account.objects.filter(kind="user").aggregate(s=Sum("balance"))["s"]
    assert after - before == owed
    assert Market.objects.get(pk=markets[0].pk).status == "settled"
    assert ledger_check() == []


def test_concurrent_starting_grants_pay_once(require_services, transactional_db):
    user = User.objects.create(username="newcomer")
    _run_threads(lambda i: account_grant_starting_points(user=user), 8)
    assert Account.objects.get(user=user).balance == 1_000_000
    assert LedgerTransaction.objects.filter(key=f"grant:start:{user.pk}").count() == 1
    assert ledger_check() == []


def test_amounts_beyond_32_bits_stay_exact_on_postgresql(require_services, transactional_db):
    # 10 million points = 1e10 milli-points: an int4 parameter would wrap it to 1,410,065,408.
    staff = factories.StaffFactory()
    market = market_create(question=factories.QuestionFactory(), b=100_000, created_by=staff)
    user = User.objects.create(username="whale")
    account_grant(account=account_for_user(user=user), amount_millipoints=10_000_000_000, key="grant:whale")
    assert Account.objects.get(user=user).balance == 10_000_000_000
    trade = trade_buy_shares(market=market, user=user, outcome=1, shares=5_000_000)
    assert trade.cash > 2**31
    assert Account.objects.get(user=user).balance == 10_000_000_000 - trade.cash
    assert ledger_check() == []
