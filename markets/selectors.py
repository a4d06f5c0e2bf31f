"""Reads for markets: prices, the price series, portfolios, the market leaderboard, the question page's market panel
and the ledger check. Each runs a fixed number of queries whatever the number of rows."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from markets import lmsr
from markets.buckets import bucket_bounds, outcome_labels
from markets.models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    Market,
    Position,
    PricePoint,
    Question,
    Trade,
    TradeVoid,
)
from markets.services.trading import trading_closed_reason

K = LedgerTransaction.Kind
# Ledger kinds that move points between a market and a user outside trading (settlement and its reversal).
USER_SETTLEMENT_KINDS = (K.PAYOUT, K.REFUND, K.CLAWBACK, K.REVERSAL, K.VOID)
UNSETTLED = (Market.Status.OPEN, Market.Status.CLOSED)
CHART_MAX_POINTS = 600
CHART_TABLE_MAX_ROWS = 60  # the price chart's data table (its text alternative) lists at most this many moments


def _prices_from(q, b) -> list[float]:
    """Prices per outcome (they sum to 1) for outstanding milli-shares ``q`` and liquidity ``b``."""
    return [float(p) for p in lmsr.prices(lmsr.quantities_from_millishares(q), b)]


def market_prices(market: Market) -> list[float]:
    """Current prices per outcome (they sum to 1)."""
    return _prices_from(market.q, market.b)


def market_list(*, user=None) -> QuerySet:
    """Markets newest first with their questions; markets on draft questions only for staff."""
    qs = Market.objects.select_related("question")
    if not (user is not None and user.is_staff):
        qs = qs.exclude(question__status=Question.Status.DRAFT)
    return qs.order_by("-created_at", "-pk")


def market_trade_tape(*, market: Market) -> QuerySet:
    """The market's trades, newest first, without who made them (the public tape), with ``voided``."""
    return annotate_voided(Trade.objects.filter(market=market)).order_by("-created_at", "-pk")


def annotate_voided(qs: QuerySet) -> QuerySet:
    """Trades with ``voided``: the trade was voided by its market's current settlement (it was made after the
    answer became public; docs/markets.md "Late trades"). One EXISTS per row, served by the void index."""
    return qs.annotate(voided=Exists(TradeVoid.objects.filter(
        trade_id=OuterRef("pk"), settlement_round=OuterRef("market__settlement_round")
    )))


def user_trades(*, user, market: Market | None = None) -> QuerySet:
    """A user's own trades, newest first, with their markets and questions, and ``voided`` (``annotate_voided``)."""
    qs = annotate_voided(Trade.objects.filter(user=user).select_related("market__question"))
    if market is not None:
        qs = qs.filter(market=market)
    return qs.order_by("-created_at", "-pk")


# ------------------------------------------------------------------------------------------------ price series


@dataclass(frozen=True)
class PriceSeries:
    """The market price over time, for charts and for scoring the market like a forecaster (SCORING.md section 4).

    ``times[i]`` is when ``prices[i]`` (one probability per outcome, summing to 1) took effect; it holds until
    ``times[i + 1]`` (a step function; times are non-decreasing). Binary: ``yes[i]`` is the price of YES, i.e.
    the market's probability of outcome 1. Numeric: ``prices[i]`` are the K bucket probabilities over the unit
    interval with bucket edges ``edges`` (K + 1 values, 0 .. 1); ``markets.buckets.bucket_cdf(prices[i])`` turns
    one row into a 201-point CDF (uniform density inside each bucket).
    """

    market_id: int
    kind: str
    times: list[dt.datetime]
    prices: np.ndarray
    edges: np.ndarray
    yes: np.ndarray | None = None


def market_price_series(*, question: Question) -> PriceSeries | None:
    """The price series of the question's market (None without a market). Two queries."""
    market = Market.objects.filter(question_id=question.pk).only("pk", "n").first()
    if market is None:
        return None
    rows = list(
        PricePoint.objects.filter(market=market).order_by("created_at", "pk").values_list("created_at", "prices")
    )
    times = [t for t, _ in rows]
    prices = np.array([p for _, p in rows], dtype=float).reshape(len(rows), market.n)
    binary = question.is_binary
    if question.is_multiple_choice:  # one price per option; no bucket edges, no YES column
        return PriceSeries(market_id=market.pk, kind="multiple_choice", times=times, prices=prices,
                           edges=np.zeros(0))
    return PriceSeries(
        market_id=market.pk, kind="binary" if binary else "numeric", times=times, prices=prices,
        edges=lmsr.bucket_edges(market.n), yes=prices[:, 1].copy() if binary else None,
    )


# --------------------------------------------------------------------------------------------------- portfolio


@dataclass
class PositionRow:
    market: Market
    outcome: int
    label: str
    shares: int  # milli-shares
    cost_basis: int  # milli-points
    realised: int  # milli-points
    price: float
    value: int  # milli-points at the current price (settled: the payout)

    @property
    def unrealised(self) -> int:
        return self.value - self.cost_basis

    @property
    def average_cost(self) -> float | None:
        return self.cost_basis / self.shares if self.shares else None


@dataclass
class ClosedMarketRow:
    market: Market
    result: int  # milli-points: what the user got back (sales, payout, refund) minus what they paid


@dataclass
class Portfolio:
    balance: int
    positions: list[PositionRow] = field(default_factory=list)
    closed: list[ClosedMarketRow] = field(default_factory=list)

    @property
    def open_value(self) -> int:
        return sum(p.value for p in self.positions)

    @property
    def unrealised(self) -> int:
        return sum(p.unrealised for p in self.positions)

    @property
    def realised(self) -> int:
        """Profit booked: sales in unsettled markets plus the final result of settled and refunded markets."""
        return sum(p.realised for p in self.positions) + sum(c.result for c in self.closed)

    @property
    def profit(self) -> int:
        """Profit (P&L) = realised + unrealised, as on the market leaderboard."""
        return self.realised + self.unrealised

    @property
    def total(self) -> int:
        return self.balance + self.open_value


def _value(shares_ms: int, price: float) -> int:
    return int(math.floor(shares_ms * price + 0.5))


def portfolio(*, user) -> Portfolio:
    """The user's balance, holdings in markets still trading or awaiting resolution (valued at current prices), and
    the result of each settled or refunded market they traded. Four queries."""
    account = Account.objects.filter(user=user).only("balance").first()
    result = Portfolio(balance=account.balance if account else 0)
    positions = list(
        Position.objects.filter(user=user).select_related("market__question").order_by("-market__created_at", "outcome")
    )
    closed_ids = {p.market_id for p in positions if p.market.status not in UNSETTLED}
    cash = dict(
        Trade.objects.filter(user=user, market_id__in=closed_ids).values("market_id").annotate(s=Sum("cash"))
        .values_list("market_id", "s")
    ) if closed_ids else {}
    credits = dict(
        LedgerEntry.objects.filter(account__user=user, transaction__kind__in=USER_SETTLEMENT_KINDS,
                                   transaction__market_id__in=closed_ids)
        .values("transaction__market_id").annotate(s=Sum("amount")).values_list("transaction__market_id", "s")
    ) if closed_ids else {}
    prices: dict[int, list[float]] = {}
    seen_closed = set()
    for p in positions:
        market = p.market
        if market.status in UNSETTLED:
            if p.shares == 0:
                if p.realised:
                    result.positions.append(PositionRow(market, p.outcome, market.outcome_label(p.outcome), 0, 0,
                                                        p.realised, 0.0, 0))
                continue
            price = prices.setdefault(market.pk, market_prices(market))[p.outcome]
            result.positions.append(PositionRow(market, p.outcome, market.outcome_label(p.outcome), p.shares, p.cost_basis,
                                                p.realised, price, _value(p.shares, price)))
        elif market.pk not in seen_closed:
            seen_closed.add(market.pk)
            result.closed.append(ClosedMarketRow(market, credits.get(market.pk, 0) - cash.get(market.pk, 0)))
    return result


# ------------------------------------------------------------------------------------------------- leaderboard


@dataclass
class LeaderRow:
    """One trader on the market leaderboard. The words mean what they mean on the portfolio (docs/markets.md,
    "Words on the money pages"): ``profit = realised + unrealised``."""

    rank: int
    user_id: int
    name: str
    profit: int  # milli-points: realised + unrealised
    realised: int  # milli-points, final: sales (proceeds - average cost) in unsettled markets + settled/refunded results
    unrealised: int  # milli-points: shares still held in unsettled markets at current prices - their cost basis
    trades: int
    username: str = ""  # for the link to the trader's profile page

    @property
    def open_pnl(self) -> int:
        """Deprecated name of ``unrealised`` (API field ``open_pnl``)."""
        return self.unrealised


def _display_names(user_ids) -> dict[int, tuple[str, str]]:
    """user id -> (display name, username)."""
    User = get_user_model()
    qs = User.objects.filter(pk__in=user_ids)
    # The profile (display name) belongs to the accounts layer above markets; use it when it is there.
    has_profile = any(getattr(f, "name", None) == "profile" for f in User._meta.get_fields())
    if has_profile:
        rows = qs.values_list("pk", User.USERNAME_FIELD, "profile__display_name")
        return {pk: (display or username, username) for pk, username, display in rows}
    return {pk: (username, username) for pk, username in qs.values_list("pk", User.USERNAME_FIELD)}


def market_leaderboard(*, limit: int | None = 100) -> list[LeaderRow]:
    """Traders ranked by profit = realised + unrealised, the portfolio's meanings:

    - realised: in a settled or refunded market, everything received (sales, payout, refund) minus everything paid;
      in a market still trading or awaiting its answer, the profit booked by sales (proceeds minus the average cost
      of the shares sold, ``Position.realised``);
    - unrealised: shares still held in unsettled markets valued at current prices, minus their cost basis.

    Their sum is, per user, sale proceeds + settlement money + current value of holdings - purchases. Four queries
    whatever the number of traders or markets."""
    cash_rows = (
        Trade.objects.values("user_id", "market__status").annotate(cash=Sum("cash"), n=Count("id")).order_by()
    )
    realised: dict[int, int] = {}
    unrealised: dict[int, int] = {}
    trades: dict[int, int] = {}
    for row in cash_rows:
        uid = row["user_id"]
        trades[uid] = trades.get(uid, 0) + row["n"]
        if row["market__status"] not in UNSETTLED:
            realised[uid] = realised.get(uid, 0) - row["cash"]
    credit_rows = (
        LedgerEntry.objects.filter(account__kind=Account.Kind.USER, transaction__kind__in=USER_SETTLEMENT_KINDS)
        .values("account__user_id").annotate(s=Sum("amount")).order_by()
    )
    for row in credit_rows:
        uid = row["account__user_id"]
        realised[uid] = realised.get(uid, 0) + row["s"]
    positions = Position.objects.filter(market__status__in=UNSETTLED).values_list(
        "user_id", "market_id", "outcome", "shares", "cost_basis", "realised", "market__q", "market__b"
    )
    prices: dict[int, list[float]] = {}
    for uid, market_id, outcome, shares, cost_basis, booked, q, b in positions:
        realised[uid] = realised.get(uid, 0) + booked
        if shares:
            price = prices.setdefault(market_id, _prices_from(q, b))[outcome]
            unrealised[uid] = unrealised.get(uid, 0) + _value(shares, price) - cost_basis
    user_ids = set(trades) | set(realised)
    names = _display_names(user_ids)
    rows = sorted(
        (
            (realised.get(u, 0) + unrealised.get(u, 0), realised.get(u, 0), unrealised.get(u, 0), u)
            for u in user_ids
        ),
        key=lambda r: (-r[0], names.get(r[3], ("", ""))[0].lower(), r[3]),
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        LeaderRow(rank=i + 1, user_id=u, name=names.get(u, (f"user {u}", ""))[0], profit=p, realised=r,
                  unrealised=o, trades=trades.get(u, 0), username=names.get(u, ("", ""))[1])
        for i, (p, r, o, u) in enumerate(rows)
    ]


# ------------------------------------------------------------------------------------------------ market panel


def _chart_points(rows: list, limit: int = CHART_MAX_POINTS) -> list:
    """At most ``limit`` points, evenly spread, always keeping the first and the last."""
    if len(rows) <= limit:
        return rows
    idx = np.unique(np.linspace(0, len(rows) - 1, limit).round().astype(int))
    return [rows[i] for i in idx]


def market_panel_context(*, question: Question, user) -> dict:
    """Context for templates/markets/_panel.html: ``{"market_panel": None}`` if the question has no market, else a
    dict with the market, each outcome's label, price and the viewer's holding, chart data, the viewer's balance,
    whether they can trade (and why not), and the URLs the trade form uses. Five queries at most."""
    market = Market.objects.filter(question_id=question.pk).select_related("question").first()
    if market is None:
        return {"market_panel": None}
    prices = market_prices(market)
    labels = outcome_labels(market)
    points = _chart_points(list(
        PricePoint.objects.filter(market=market).order_by("created_at", "pk").values_list("created_at", "prices")
    ))
    holdings: dict[int, Position] = {}
    balance = None
    if user is not None and user.is_authenticated:
        account = Account.objects.filter(user=user).only("balance").first()
        balance = account.balance if account else 0
        holdings = {p.outcome: p for p in Position.objects.filter(user=user, market=market)}
    outcomes = []
    for i, (label, price) in enumerate(zip(labels, prices)):
        held = holdings.get(i)
        outcomes.append({
            "index": i, "label": label, "price": price, "percent": f"{price * 100:.1f}",
            "shares": held.shares if held else 0, "value": _value(held.shares, price) if held else 0,
            "cost_basis": held.cost_basis if held else 0,
        })
    trading_error = trading_closed_reason(market, timezone.now())
    voids = TradeVoid.objects.filter(market=market, settlement_round=market.settlement_round)
    voided_count = voids.count() if market.status == Market.Status.SETTLED else 0
    my_voided = []
    if voided_count and user is not None and user.is_authenticated:
        my_voided = list(annotate_voided(Trade.objects.filter(market=market, user=user)).filter(voided=True)
                         .order_by("created_at", "pk"))
    if question.is_multiple_choice:
        chart = {"kind": "multiple_choice", "labels": labels, "prices": [round(p, 6) for p in prices]}
        chart_table = None  # the chart draws the prices table above it
    elif question.is_binary:
        chart = {
            "kind": "binary",
            "points": [{"x": t.isoformat(), "y": round(p[1], 6)} for t, p in points],
        }
        shown = _chart_points(points, CHART_TABLE_MAX_ROWS)
        chart_table = {
            "id": f"market-chart-table-{market.pk}",
            "columns": ["Time (UTC)", "Price of YES"],
            "rows": [[t.astimezone(dt.timezone.utc).strftime("%d %b %Y, %H:%M"), f"{p[1] * 100:.1f}%"]
                     for t, p in shown],
            "note": "" if len(shown) == len(points) else
                    f"{len(shown)} of the chart's {len(points)} points, evenly spread, first and last included.",
        }
    else:
        bounds = bucket_bounds(K=market.n, range_min=question.range_min, range_max=question.range_max,
                               log_scale=question.log_scale)
        chart = {"kind": "numeric", "labels": labels, "prices": [round(p, 6) for p in prices],
                 "bounds": bounds, "unit": question.unit}
        chart_table = None  # the chart draws the prices table above it
    return {
        "market_panel": {
            "market": market,
            "outcomes": outcomes,
            "chart": chart,
            "chart_table": chart_table,
            "balance": balance,
            "holds_any": any(o["shares"] for o in outcomes),
            "can_trade": trading_error is None and balance is not None,
            "trading_error": trading_error,
            "voided_count": voided_count,
            "my_voided": [
                {"trade": t, "label": labels[t.outcome] if t.outcome < len(labels) else str(t.outcome)}
                for t in my_voided
            ],
            "quote_url": reverse("market-quote", kwargs={"pk": market.pk}),
            "trade_url": reverse("markets:trade", kwargs={"pk": market.pk}),
            "winning_label": labels[market.winning_outcome] if market.winning_outcome is not None else None,
        }
    }


# ------------------------------------------------------------------------------------------------ ledger check


def ledger_check() -> list[str]:
    """Check every invariant of SCORING.md section 6 and of the ledger; return a list of problems (empty = sound).

    - no account but the issuer below zero;
    - the sum over users, markets and house equals the total ever granted (= minus the issuer's balance);
    - every transaction has 2+ entries summing to zero (trades, grants, settlements alike);
    - every account's balance equals the sum of its entries;
    - every market's outstanding shares equal the sum of its traders' positions, per outcome;
    - an unsettled market's account holds exactly its reserve plus its traders' net payments; a settled or refunded
      market's account is empty;
    - every market agrees with its question: a resolved question's market is settled, an annulled question's market
      is refunded, and a market is settled or refunded only while its question is resolved or annulled (a lost
      settlement, refund or reversal task shows here until the sweep repairs it).
    """
    problems = []
    for account in Account.objects.filter(balance__lt=0).exclude(kind=Account.Kind.ISSUER):
        problems.append(f"{account} has a negative balance {account.balance}")
    granted = (
        LedgerEntry.objects.filter(transaction__kind=K.GRANT).exclude(account__kind=Account.Kind.ISSUER)
        .aggregate(s=Coalesce(Sum("amount"), 0))["s"]
    )
    held = Account.objects.exclude(kind=Account.Kind.ISSUER).aggregate(s=Coalesce(Sum("balance"), 0))["s"]
    issuer = Account.objects.filter(kind=Account.Kind.ISSUER).values_list("balance", flat=True).first() or 0
    if held != granted:
        problems.append(f"accounts hold {held} milli-points but {granted} were granted")
    if issuer != -granted:
        problems.append(f"the issuer's balance {issuer} is not minus the total granted {granted}")
    unbalanced = (
        LedgerTransaction.objects.annotate(total=Coalesce(Sum("entries__amount"), 0), n=Count("entries"))
        .filter(~Q(total=0) | Q(n__lt=2)).values_list("key", "total", "n")
    )
    for key, total, n in unbalanced:
        problems.append(f"transaction {key} has {n} entries summing to {total}")
    drift = Account.objects.annotate(s=Coalesce(Sum("entries__amount"), 0)).exclude(balance=F("s"))
    for account in drift:
        problems.append(f"{account} balance {account.balance} differs from its entries' sum {account.s}")
    sums: dict[tuple[int, int], int] = {}
    for market_id, outcome, s in Position.objects.values("market_id", "outcome").annotate(s=Sum("shares")).values_list(
        "market_id", "outcome", "s"
    ):
        sums[(market_id, outcome)] = s
    cash = dict(Trade.objects.values("market_id").annotate(s=Sum("cash")).values_list("market_id", "s"))
    for market_id, q, status, reserve, balance in Market.objects.values_list(
        "pk", "q", "status", "reserve_millipoints", "account__balance"
    ):
        for outcome, outstanding in enumerate(q):
            if outstanding != sums.get((market_id, outcome), 0):
                problems.append(f"market {market_id} outcome {outcome}: q = {outstanding} but positions sum to "
                                f"{sums.get((market_id, outcome), 0)}")
        expected = reserve + cash.get(market_id, 0) if status in UNSETTLED else 0
        if balance != expected:
            problems.append(f"market {market_id} ({status}) account holds {balance}, expected {expected}")
    problems.extend(market_question_mismatches())
    return problems


def market_question_mismatches() -> list[str]:
    """Markets whose status does not follow their question's resolution: one line each. One query."""
    S, M = Question.Status, Market.Status
    expected = {S.RESOLVED: M.SETTLED, S.ANNULLED: M.REFUNDED}
    problems = []
    for market_id, status, question_id, question_status in (
        Market.objects.filter(
            Q(question__status=S.RESOLVED) & ~Q(status=M.SETTLED)
            | Q(question__status=S.ANNULLED) & ~Q(status=M.REFUNDED)
            | ~Q(question__status__in=[S.RESOLVED, S.ANNULLED]) & Q(status__in=[M.SETTLED, M.REFUNDED])
        ).order_by("pk").values_list("pk", "status", "question_id", "question__status")
    ):
        if question_status in expected:
            verb = "settled" if question_status == S.RESOLVED else "refunded"
            problems.append(f"market {market_id} should be {verb}: question {question_id} is {question_status} "
                            f"but the market is {status}")
        else:
            problems.append(f"market {market_id} is {status} but question {question_id} is {question_status}: "
                            "its settlement should be reversed")
    return problems
