"""The markets index (/markets/): every market with its question, status, leading outcome, volume, traders and last
trade. A fixed number of queries whatever the number of markets (three correlated subqueries on the trades index).

Words (docs/markets.md, "Words on the money pages"): volume is the sum of |cash| over a market's trades, i.e. the
points that changed hands in either direction (a purchase of 10 and a sale of 4 make 14), voided trades included;
traders are the distinct users who traded.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Abs, Coalesce

from markets.buckets import outcome_labels
from markets.models import Market, Question, Trade
from markets.selectors import market_list, market_prices

# ?status= values of the index, in the order the filter shows them ("" = every market).
STATUS_FILTERS = {
    "open": ((Market.Status.OPEN,), "Trading"),
    "closed": ((Market.Status.CLOSED,), "Closed, awaiting the answer"),
    "settled": ((Market.Status.SETTLED,), "Settled"),
    "refunded": ((Market.Status.REFUNDED,), "Refunded (question annulled)"),
}


class UnknownStatusFilter(ValueError):
    """``?status=`` named no filter; the message lists the allowed values."""


def _per_market(expression, output_field=None):
    trades = Trade.objects.filter(market_id=OuterRef("pk")).order_by().values("market_id")
    return Subquery(trades.annotate(v=expression).values("v")[:1], output_field=output_field)


def markets_index_queryset(*, user=None, status: str = "") -> QuerySet:
    """Markets (drafts' only for staff), trading ones first, then newest, each annotated with ``volume`` (milli-points),
    ``traders`` and ``last_trade_at`` (None without trades). Raises UnknownStatusFilter for an unknown ``status``."""
    qs = market_list(user=user)
    if status:
        if status not in STATUS_FILTERS:
            allowed = ", ".join(STATUS_FILTERS)
            raise UnknownStatusFilter(f"must be one of {allowed} (or empty for all markets), got {status!r}.")
        qs = qs.filter(status__in=STATUS_FILTERS[status][0])
    return qs.annotate(
        volume=Coalesce(_per_market(Sum(Abs("cash")), IntegerField()), 0),
        traders=Coalesce(_per_market(Count("user_id", distinct=True), IntegerField()), 0),
        last_trade_at=_per_market(Max("created_at")),
        trading_first=Case(When(status=Market.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).order_by("trading_first", "-created_at", "-pk")


@dataclass(frozen=True)
class MarketIndexRow:
    market: Market
    question: Question
    leading_label: str  # binary: "YES"; numeric: the bucket with the highest price
    leading_price: float  # 0..1
    volume: int  # milli-points
    traders: int
    last_trade_at: object


def market_index_rows(markets) -> list[MarketIndexRow]:
    """Rows for one page of ``markets_index_queryset``: prices come from each market's own q and b (no query).
    A binary market shows the price of YES (the market's probability of YES); a numeric one its likeliest range."""
    rows = []
    for market in markets:
        prices = market_prices(market)
        labels = outcome_labels(market)
        if market.question.is_binary:
            top = 1
        else:
            top = max(range(len(prices)), key=lambda i: (prices[i], -i))
        rows.append(MarketIndexRow(market, market.question, labels[top], prices[top], market.volume, market.traders,
                                   market.last_trade_at))
    return rows


def market_coverage() -> dict:
    """How many public (non-draft) questions there are, how many have a market and how many markets are trading, for
    the home page's claim about markets. One query."""
    counts = Question.objects.filter_visible().aggregate(
        questions=Count("pk"),
        with_market=Count("market"),
        trading=Count("market", filter=Q(market__status=Market.Status.OPEN)),
    )
    return counts
