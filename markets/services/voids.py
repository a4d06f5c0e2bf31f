"""Trades made after the answer became public are voided when their market settles (docs/markets.md, "Late trades").

A question's answer can be public (a press release, an abstract going online) before staff enter it. Forecasts made
from that moment (``Question.known_at``) score nothing; trades made from that moment must not pay either. At
settlement every trade with ``created_at >= known_at`` is reversed at its own cash: the trader gets back what they
paid for a late buy and gives back what they received for a late sale, and the trade's shares stop counting, so
positions are rebuilt by replaying only the trades made before ``known_at`` (the same arithmetic as trading,
``position_apply_trade``). Winning shares are then paid from the rebuilt positions.

Ledger, per settlement round r of market m (one round per settlement; an unresolve reverses everything and opens the
next round, in which the same trades count again until the next settlement decides afresh):
- ``advance:m:r`` (house -> market): only when the market's account could not otherwise pay the refunds and
  payouts before it collects what late sellers owe (their sales took points out of it); whatever is left returns to
  the house at the end of the settlement, as the reserve does;
- ``void:m:r:u`` (market -> trader, kind ``void``): the sum of trader u's late buys, refunded; recorded before the
  payouts;
- ``void:m:r:u`` (trader -> market): what trader u received for late sales net of late buys, taken after the
  payouts (so a winning payout can cover it), up to the trader's balance. What cannot be collected (the trader spent
  it) stays lost to the house: at most the proceeds of the late sales themselves, and the memo says how much.
Each voided trade gets a ``TradeVoid`` row naming its round and its trader's void transaction.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from markets.models import Market, Position, Trade, TradeVoid
from markets.services.trading import position_apply_trade


def late_trades(market: Market, *, known_at: dt.datetime) -> list[Trade]:
    """The market's trades made at or after ``known_at``, in execution order."""
    return list(Trade.objects.filter(market=market, created_at__gte=known_at).order_by("created_at", "pk"))


def voided_trade_ids(market: Market) -> set[int]:
    """Ids of the trades voided in the market's current settlement round."""
    return set(
        TradeVoid.objects.filter(market=market, settlement_round=market.settlement_round)
        .values_list("trade_id", flat=True)
    )


def positions_rebuild(market: Market, *, exclude: set[int], now: dt.datetime) -> list[int]:
    """Recompute every position of ``market`` by replaying its trades in execution order, leaving out the trade ids
    in ``exclude``, and set the market's outstanding shares ``q`` to the positions' sums. Returns the new q.

    Precondition: the market row is locked (``select_for_update``) in the caller's transaction; positions are locked
    here. Every trade on this market takes the market row first, so holding it, the position locks cannot deadlock
    with a trade whatever accounts the caller locks later. Leaving out a suffix of the trades in time (all
    trades from some moment on) always replays a valid history, so no position goes below zero.
    """
    positions = {
        (p.user_id, p.outcome): p
        for p in Position.objects.select_for_update().filter(market=market).order_by("pk")
    }
    before = {key: (p.shares, p.cost_basis, p.realised) for key, p in positions.items()}
    for p in positions.values():
        p.shares = p.cost_basis = p.realised = 0
    rows = (
        Trade.objects.filter(market=market).order_by("created_at", "pk")
        .values_list("pk", "user_id", "outcome", "shares", "cash")
    )
    for pk, user_id, outcome, shares, cash in rows:
        if pk in exclude:
            continue
        position = positions.get((user_id, outcome))
        if position is None:  # cannot happen: every trade made or updated its position row
            position = positions[(user_id, outcome)] = Position.objects.create(
                user_id=user_id, market=market, outcome=outcome, updated_at=now
            )
        position_apply_trade(position, shares=shares, cash=cash)
    q = [0] * market.n
    changed = []
    for key, p in positions.items():
        q[key[1]] += p.shares
        if (p.shares, p.cost_basis, p.realised) != before.get(key):
            p.updated_at = now
            changed.append(p)
    # Only the positions the left-out trades touched change; writing just those keeps the cost with the voids.
    Position.objects.bulk_update(changed, ["shares", "cost_basis", "realised", "updated_at"], batch_size=500)
    Market.objects.filter(pk=market.pk).update(q=q, updated_at=now)
    market.q = q
    return q


def late_cash_by_user(trades: list[Trade]) -> dict[int, int]:
    """Per trader, the signed sum of their late trades' cash (milli-points): > 0 they paid on balance (refund it),
    < 0 they received on balance (collect it)."""
    totals: dict[int, int] = defaultdict(int)
    for trade in trades:
        totals[trade.user_id] += trade.cash
    return dict(totals)
