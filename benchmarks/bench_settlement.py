"""Settling a busy market, with and without late trades to void (a script, not a test).

    .venv/bin/python benchmarks/bench_settlement.py [--traders 500] [--trades 5000] [--late 0.1]

Runs the same random trade sequence (real ``trade_execute`` calls, so the ledger is exact) on two binary markets in a
throw-away database (SQLite by default, PostgreSQL when DATABASE_URL points at one), then times ``market_settle``:
market A resolved with ``known_at`` after every trade (nothing to void: the baseline), market B with ``known_at``
before the last ``--late`` share of its trades (each voided, positions rebuilt by replaying the others). Prints both
times, the trades voided and ``ledger_check``'s verdict.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from decimal import Decimal

import numpy as np
from _setup import django_with_test_db, machine_description


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=500)
    parser.add_argument("--trades", type=int, default=5000)
    parser.add_argument("--late", type=float, default=0.1, help="share of market B's trades made after known_at")
    args = parser.parse_args()
    vendor = django_with_test_db()

    from django.contrib.auth.models import User
    from django.utils import timezone

    from assets.errors import DomainError
    from markets.models import Account, Question, TradeVoid
    from markets.selectors import ledger_check
    from markets.services import account_grant, account_for_user, market_create, market_settle, trade_execute

    rng = np.random.default_rng(11)
    now = timezone.now()
    t0 = now - dt.timedelta(days=30)
    users = User.objects.bulk_create([User(username=f"trader{i}") for i in range(args.traders)], batch_size=2000)
    for user in users:
        account_grant(account=account_for_user(user=user), amount_millipoints=1_000_000, key=f"grant:bench:{user.pk}")
    markets = []
    for name in ("a", "b"):
        question = Question.objects.create(
            title=f"Bench settlement {name}", slug=f"bench-settle-{name}", type="binary", status="open",
            resolution_criteria="-", open_time=t0, scheduled_close_time=now + dt.timedelta(days=30),
        )
        markets.append(market_create(question=question, b=500, at=t0 + dt.timedelta(seconds=1)))
    step = (29 * 86400) / args.trades
    who = rng.integers(0, args.traders, args.trades)
    outcome = rng.integers(0, 2, args.trades)
    amount = np.round(rng.uniform(1, 40, args.trades), 3)
    sell = rng.random(args.trades) < 0.3
    started = time.perf_counter()
    executed = 0
    for k in range(args.trades):
        at = t0 + dt.timedelta(seconds=60 + k * step)
        for market in markets:
            try:
                trade_execute(market=market, user=users[who[k]], outcome=int(outcome[k]),
                              side="sell" if sell[k] else "buy", shares=Decimal(str(amount[k])), at=at)
                executed += 1
            except DomainError:  # a sale of shares the trader does not hold
                pass
    build = time.perf_counter() - started
    late_from = t0 + dt.timedelta(seconds=60 + int(args.trades * (1 - args.late)) * step)

    timings = {}
    for market, known_at in ((markets[0], now - dt.timedelta(minutes=1)), (markets[1], late_from)):
        Question.objects.filter(pk=market.question_id).update(
            status="resolved", outcome=1.0, known_at=known_at, actual_close_time=known_at, resolved_at=now,
        )
        market.question.refresh_from_db()
        started = time.perf_counter()
        market_settle(question=market.question)
        timings[market.pk] = time.perf_counter() - started
    voided = TradeVoid.objects.filter(market=markets[1]).count()
    problems = ledger_check()
    print(f"machine: {machine_description()}; database: {vendor}")
    print(f"{args.traders:,} traders, {executed:,} trades executed over two markets in {build:.1f} s")
    print(f"settle A (nothing late, baseline):        {timings[markets[0].pk] * 1000:8.1f} ms")
    print(f"settle B ({voided:,} late trades voided):  {timings[markets[1].pk] * 1000:8.1f} ms "
          f"({timings[markets[1].pk] / timings[markets[0].pk]:.1f}x the baseline)")
    print(f"house balance {Account.objects.get(kind='house').balance / 1000:,.3f} points; "
          f"ledger_check: {'sound' if not problems else problems[:3]}")


if __name__ == "__main__":
    main()
