"""Trading: buy shares, buy with a budget, sell, and quote (SCORING.md section 6).

Units: ``shares`` are typed in shares and ``budget`` in points, each with at most 3 decimals; they are stored as
integer milli-shares and milli-points. Cash is rounded in the market maker's favour (``markets.lmsr``): a buyer pays
the cost rounded up to the milli-point, a seller receives the proceeds rounded down.

Price limits (all-or-nothing; a refused trade changes nothing and answers 409 with code ``price_limit``):
- a buy with ``max_price`` P is refused if its AVERAGE price per share, including rounding, exceeds P, i.e. if
  cash paid (milli-points) > P x shares bought (milli-shares);
- a sell with ``min_price`` P is refused if cash received (milli-points) < P x shares sold (milli-shares).
The average price is what the trader actually pays per share, so a limit copied from a quote's ``average_price``
fills unless someone traded the price up (buy) or down (sell) in between.

Every executed trade, in one database transaction: lock the market row, then the market's and the trader's accounts
(one statement, pk order), then the position; post the cash between the two accounts (the two entries sum to zero);
update q, the position, write the Trade row and a PricePoint.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assets.errors import StateError, ValidationError
from markets import lmsr
from markets.buckets import outcome_labels
from markets.models import Account, LedgerTransaction, Market, Position, PricePoint, Trade
from markets.services.ledger import Posting, account_for_user, record
from markets.units import MILLI, milli_to_decimal, parse_milli, parse_price, points_text, shown

MAX_TRADE_SHARES = 10_000_000
MAX_TRADE_POINTS = 10_000_000

BUY = "buy"
SELL = "sell"


@dataclass(frozen=True)
class TradeQuote:
    """A priced trade, not executed. ``shares`` milli-shares (> 0; the direction is ``side``), ``cash`` milli-points
    the trader pays (buy) or receives (sell), ``average_price`` points per share, prices per outcome."""

    market_id: int
    outcome: int
    side: str
    shares: int
    cash: int
    average_price: float
    price_before: tuple[float, ...]
    price_after: tuple[float, ...]
    budget: int | None = None

    @property
    def signed_shares(self) -> int:
        return self.shares if self.side == BUY else -self.shares

    @property
    def signed_cash(self) -> int:
        """Positive: the trader pays; negative: the trader receives."""
        return self.cash if self.side == BUY else -self.cash


# --------------------------------------------------------------------------------------------------- validation


def _parse_outcome(market: Market, outcome) -> int:
    labels = outcome_labels(market)
    if market.question.is_multiple_choice:
        allowed = "an option index (" + ", ".join(f"{i} = {label}" for i, label in enumerate(labels)) + ")"
    elif market.question.is_binary:
        allowed = "0 (NO) or 1 (YES)"
    else:
        allowed = f"a bucket index from 0 to {market.n - 1}"
    if isinstance(outcome, bool) or not isinstance(outcome, int) or not 0 <= outcome < len(labels):
        raise ValidationError(f"Choose an outcome: {allowed}.", field="outcome")
    return outcome


def trading_closed_reason(market: Market, now: dt.datetime) -> str | None:
    """Why trading on ``market`` is refused at ``now`` (None if it is allowed), in words a trader reads."""
    if market.status in (Market.Status.SETTLED, Market.Status.REFUNDED):
        return f"This market is {market.status}; trading has ended."
    reason = market.question.closed_reason(at=now, action="Trading")
    if reason is None and market.status == Market.Status.CLOSED:
        return "This market is closed; trading has ended."
    return reason


def _check_trading(market: Market, now: dt.datetime) -> None:
    message = trading_closed_reason(market, now)
    if message:
        raise StateError(message, code="trading_closed")


def _parse_request(
    *, side: str, shares, budget, max_price, min_price
) -> tuple[int | None, int | None, Decimal | None, Decimal | None]:
    if side not in (BUY, SELL):
        raise ValidationError(f'Choose "buy" or "sell" (you entered {shown(side)}).', field="side")
    if shares is None and budget is None:
        raise ValidationError("Enter how many shares to buy or sell, or how many points to spend.", field="shares")
    if shares is not None and budget is not None:
        raise ValidationError("Enter either a number of shares or a budget in points, not both.", field="budget")
    if side == SELL and budget is not None:
        raise ValidationError("A sale is by a number of shares; a budget in points is only for buying.",
                              field="budget")
    if side == SELL and max_price is not None:
        raise ValidationError("A sale takes a minimum price (the least you accept per share), not a maximum.",
                              field="max_price")
    if side == BUY and min_price is not None:
        raise ValidationError("A buy takes a maximum price (the most you pay per share), not a minimum.",
                              field="min_price")
    shares_ms = parse_milli(shares, field="shares", maximum=MAX_TRADE_SHARES) if shares is not None else None
    budget_mp = parse_milli(budget, field="budget", maximum=MAX_TRADE_POINTS) if budget is not None else None
    max_p = parse_price(max_price, field="max_price", low=0.001, high=1) if max_price is not None else None
    min_p = parse_price(min_price, field="min_price", low=0, high=1) if min_price is not None else None
    return shares_ms, budget_mp, max_p, min_p


# --------------------------------------------------------------------------------------------------------- maths


def _price(market: Market, outcome: int, *, side: str, shares_ms: int | None, budget_mp: int | None) -> TradeQuote:
    """Price a trade on the market's current q (pure; nothing is locked or written)."""
    q = lmsr.quantities_from_millishares(market.q)
    if budget_mp is not None:
        shares_ms = lmsr.shares_for_budget_millishares(q, market.b, outcome, budget_mp)
        if shares_ms == 0:
            raise ValidationError(
                f"A budget of {points_text(budget_mp)} points does not buy 0.001 shares of this outcome.",
                field="budget",
            )
    signed = shares_ms if side == BUY else -shares_ms
    quote = lmsr.quote(q, market.b, outcome, signed / MILLI)
    cash = abs(quote.cash_millipoints)
    if side == SELL and cash == 0:
        raise ValidationError("This sale is too small: it would pay less than 0.001 points.", field="shares")
    return TradeQuote(
        market_id=market.pk, outcome=outcome, side=side, shares=shares_ms, cash=cash,
        average_price=(cash / shares_ms), price_before=quote.price_before, price_after=quote.price_after,
        budget=budget_mp,
    )


def _limit_text(limit: Decimal) -> str:
    """A limit as the trader typed it, with at least two decimals: 0.5 -> "0.50", 0.5125 -> "0.5125"."""
    text = format(limit.normalize(), "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _price_text(price: float, limit: Decimal) -> str:
    """A market price for a message: two decimals, or four when two would read as the limit itself."""
    text = f"{price:.2f}"
    return f"{price:.4f}" if text == _limit_text(limit) else text


def _check_limits(quote: TradeQuote, *, max_price: Decimal | None, min_price: Decimal | None) -> None:
    """Refuse a trade whose average price crosses its limit, saying why in words.

    The limit is on the AVERAGE price, which includes the trade's own price impact, so a limit can be crossed
    with nobody else trading (buying 10 YES at 0.50 averages 0.5125). The message says "the price is now ..."
    only when the price before this trade is already past the limit, i.e. it moved since the trader set it;
    otherwise it says that the trade itself moves the price and what to do about it.
    """
    # Exact integer-and-decimal comparison: cash (milli-points) against price x shares (milli-shares).
    buy_crossed = max_price is not None and Decimal(quote.cash) > max_price * quote.shares
    sell_crossed = min_price is not None and Decimal(quote.cash) < min_price * quote.shares
    if not (buy_crossed or sell_crossed):
        return
    limit = max_price if buy_crossed else min_price
    before = quote.price_before[quote.outcome]
    after = quote.price_after[quote.outcome]
    shares = milli_to_decimal(quote.shares)
    if buy_crossed:
        if Decimal(str(before)) > limit:
            message = (f"The price is now {_price_text(before, limit)}, above the limit of {_limit_text(limit)} you "
                       "set; review the new quote.")
        else:
            message = (f"Buying {shares} shares would cost {quote.average_price:.4f} per share on average, "
                       f"above the limit of {_limit_text(limit)} you set: your purchase itself moves the price from "
                       f"{before:.2f} to {after:.2f}. Buy fewer shares or raise the limit.")
        raise StateError(message, field="max_price", code="price_limit")
    if Decimal(str(before)) < limit:
        message = (f"The price is now {_price_text(before, limit)}, below the limit of {_limit_text(limit)} you set; "
                   "review the new quote.")
    else:
        message = (f"Selling {shares} shares would pay {quote.average_price:.4f} per share on average, "
                   f"below the limit of {_limit_text(limit)} you set: your sale itself moves the price from "
                   f"{before:.2f} to {after:.2f}. Sell fewer shares or lower the limit.")
    raise StateError(message, field="min_price", code="price_limit")


def _check_funds(quote: TradeQuote, *, balance: int, owned: int) -> None:
    if quote.side == BUY and quote.cash > balance:
        raise StateError(
            f"Not enough points: this trade costs {points_text(quote.cash)} points and your balance is "
            f"{points_text(balance)} points.",
            code="insufficient_funds",
        )
    if quote.side == SELL and quote.shares > owned:
        raise StateError(
            f"You own {milli_to_decimal(owned)} shares of this outcome and cannot sell "
            f"{milli_to_decimal(quote.shares)}.",
            field="shares", code="insufficient_shares",
        )


# ------------------------------------------------------------------------------------------------------- quoting


def trade_quote(
    *, market: Market, outcome, side: str = BUY, shares=None, budget=None, max_price=None, min_price=None,
    user=None, at: dt.datetime | None = None,
) -> TradeQuote:
    """Price a trade on the market's current state without executing it: shares bought or sold, cash, average
    price, prices before and after. Nothing is locked or written.

    The quote fails exactly as the trade would at this moment: bad input (ValidationError naming the field), trading
    closed, a price limit crossed, and, when ``user`` is given, too few points or shares (StateError).
    """
    shares_ms, budget_mp, max_p, min_p = _parse_request(
        side=side, shares=shares, budget=budget, max_price=max_price, min_price=min_price
    )
    market = Market.objects.select_related("question").get(pk=market.pk)
    outcome = _parse_outcome(market, outcome)
    _check_trading(market, at or timezone.now())
    quote = _price(market, outcome, side=side, shares_ms=shares_ms, budget_mp=budget_mp)
    _check_limits(quote, max_price=max_p, min_price=min_p)
    if user is not None and user.is_authenticated:
        account = Account.objects.filter(user=user).only("balance").first()
        position = Position.objects.filter(user=user, market=market, outcome=outcome).only("shares").first()
        _check_funds(quote, balance=account.balance if account else 0, owned=position.shares if position else 0)
    return quote


# ------------------------------------------------------------------------------------------------------ trading


@transaction.atomic
def trade_execute(
    *, market: Market, user, outcome, side: str = BUY, shares=None, budget=None, max_price=None, min_price=None,
    at: dt.datetime | None = None,
) -> Trade:
    """Execute one trade described as in the API: ``side`` "buy" (by ``shares`` or ``budget``, optional
    ``max_price``) or "sell" (by ``shares``, optional ``min_price``). See the module docstring for units, rounding
    and limits; :func:`trade_buy_shares`, :func:`trade_buy_budget` and :func:`trade_sell` are the same with fewer
    choices.

    Locks, in order: the market row, the market's and the user's accounts (one statement, pk order), the position.
    Raises ValidationError (bad input, naming the field) or StateError (not logged in, trading closed, a price limit
    crossed, not enough points or shares). Returns the Trade, with ``balance_after`` (milli-points) and
    ``position`` attached.
    """
    market_id = market.pk
    shares_ms, budget_mp, max_p, min_p = _parse_request(
        side=side, shares=shares, budget=budget, max_price=max_price, min_price=min_price
    )
    if user is None or not user.is_authenticated:
        raise StateError("Log in to trade.", code="not_authenticated")

    # 1. The market row: serializes every trade on this market and gives the current q and status.
    market = (
        Market.objects.select_for_update(of=("self",))
        .select_related("question", "account")
        .get(pk=market_id)
    )
    outcome = _parse_outcome(market, outcome)
    now = at or timezone.now()
    if now < market.prices_at:
        if at is not None:
            raise ValidationError("Trades must be recorded in time order.", field="created_at")
        now = market.prices_at  # clock skew between app servers: never step the price series backwards
    _check_trading(market, now)
    quote = _price(market, outcome, side=side, shares_ms=shares_ms, budget_mp=budget_mp)
    _check_limits(quote, max_price=max_p, min_price=min_p)

    # 2. Both accounts in one statement, pk order.
    trader, pool = _lock_trade_accounts(market, user)
    # 3. The position.
    position, _ = Position.objects.select_for_update().get_or_create(
        user=user, market=market, outcome=outcome, defaults={"updated_at": now}
    )
    _check_funds(quote, balance=trader.balance, owned=position.shares)

    cash = quote.signed_cash
    (txn,) = record(
        [Posting(key=f"trade:{uuid.uuid4().hex}", kind=LedgerTransaction.Kind.TRADE, user_id=user.pk,
                 market_id=market.pk, amounts={trader: -cash, pool: cash},
                 memo=f"{side} {milli_to_decimal(quote.shares)} x outcome {outcome}")],
        at=now,
    )

    q = list(market.q)
    q[outcome] += quote.signed_shares
    Market.objects.filter(pk=market.pk).update(q=q, trade_count=F("trade_count") + 1, prices_at=now, updated_at=now)
    market.q, market.prices_at = q, now

    position_apply_trade(position, shares=quote.signed_shares, cash=cash)
    position.updated_at = now
    position.save(update_fields=["shares", "cost_basis", "realised", "updated_at"])

    trade = Trade.objects.create(
        user=user, market=market, outcome=outcome, shares=quote.signed_shares, cash=cash, budget=quote.budget,
        price_before=quote.price_before[outcome], price_after=quote.price_after[outcome], created_at=now,
        transaction=txn,
    )
    PricePoint.objects.create(market=market, created_at=now, prices=list(quote.price_after), trade=trade)
    trade.balance_after = trader.balance  # convenience for callers; not a field
    trade.position = position
    return trade


def position_apply_trade(position: Position, *, shares: int, cash: int) -> None:
    """Apply one trade to a position in place: ``shares`` signed milli-shares (+ buy, - sell), ``cash`` signed
    milli-points the trader paid (+) or received (-). A buy adds its cost to the cost basis; a sale removes cost at
    the average cost of the shares held (selling everything removes all of it) and books the difference as realised
    profit. Used by every trade and by the replay that rebuilds positions when late trades are voided."""
    if shares > 0:
        position.shares += shares
        position.cost_basis += cash
        return
    sold = -shares
    removed = position.cost_basis if sold == position.shares else position.cost_basis * sold // position.shares
    position.shares -= sold
    position.cost_basis -= removed
    position.realised += -cash - removed


def _lock_trade_accounts(market: Market, user) -> tuple[Account, Account]:
    """Lock the trader's and the market's accounts in one statement, pk order; (trader, market account).
    A trader without an account gets one (balance 0) first: a new row, invisible to others until commit."""
    query = Account.objects.select_for_update().filter(Q(pk=market.account.pk) | Q(user=user)).order_by("pk")
    accounts = {a.kind: a for a in query}
    if Account.Kind.USER not in accounts:
        account_for_user(user=user)
        accounts = {a.kind: a for a in query.all()}
    return accounts[Account.Kind.USER], accounts[Account.Kind.MARKET]


def trade_buy_shares(*, market: Market, user, outcome, shares, max_price=None, at: dt.datetime | None = None) -> Trade:
    """Buy ``shares`` (> 0, at most 3 decimals) of ``outcome`` at the LMSR cost rounded up to the milli-point.

    Locks, in order: the market row, the market's and the user's accounts (one statement, pk order), the position.
    Raises ValidationError (bad input, naming the field) or StateError (trading closed, price limit ``max_price``
    crossed, not enough points). Returns the Trade (with ``balance_after`` and ``position`` attached).
    """
    return trade_execute(market=market, user=user, outcome=outcome, side=BUY, shares=shares, max_price=max_price,
                    at=at)


def trade_buy_budget(*, market: Market, user, outcome, budget, max_price=None, at: dt.datetime | None = None) -> Trade:
    """Spend at most ``budget`` points (> 0, at most 3 decimals) on ``outcome``: buys the largest number of
    milli-shares whose rounded cost fits the budget (d = b ln(1 + (e^(m/b) - 1) / p_k), rounded down).

    Locks and errors as :func:`trade_buy_shares`; also ValidationError if the budget buys less than 0.001 shares.
    """
    return trade_execute(market=market, user=user, outcome=outcome, side=BUY, budget=budget, max_price=max_price,
                    at=at)


def trade_sell(*, market: Market, user, outcome, shares, min_price=None, at: dt.datetime | None = None) -> Trade:
    """Sell ``shares`` (> 0, at most 3 decimals) of ``outcome`` that the user owns; proceeds rounded down.

    Locks as :func:`trade_buy_shares`. Raises ValidationError (bad input; proceeds below 0.001 points) or
    StateError (trading closed, not enough shares owned, price limit ``min_price`` crossed).
    """
    return trade_execute(market=market, user=user, outcome=outcome, side=SELL, shares=shares, min_price=min_price,
                    at=at)
