"""Demo markets on SUCCESSOR-2 with a history of trades by the demo forecasters. Idempotent.

Called by forecasting/demo.py after it has created the demo questions and users: grants every demo user the
starting points (once), opens a binary market (b = 100) on "successor-2-pfs-hr-below-0-7", a numeric market
(K = 10) on "successor-2-median-pfs-mezikd" and a multiple-choice market (one outcome per option) on
"successor-2-first-meeting", and, for a market without trades, replays a seeded sequence of trades
spread between the market's opening and now, so the price chart has a history.
"""
from __future__ import annotations

import datetime as dt
import math
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assets.errors import DomainError
from markets.buckets import bucket_bounds
from markets.models import Market, Question, Trade
from markets.selectors import market_prices
from markets.services import account_grant_starting_points, market_create, trade_buy_budget, trade_sell

DEMO_TRADERS = ["amira", "benoit", "chen", "dana", "eitan", "fatima", "gus", "hana", "ivan", "jo", "kwame", "lena"]
BINARY_SLUG = "successor-2-pfs-hr-below-0-7"
NUMERIC_SLUG = "successor-2-median-pfs-mezikd"
CHOICE_SLUG = "successor-2-first-meeting"
# The multiple-choice demo market's traders: beliefs per option (ASCO, EHA, IMS, ASH, elsewhere) drifting from the
# first vector to the second, as in the demo forecasts.
CHOICE_BELIEFS = ([0.30, 0.20, 0.15, 0.30, 0.05], [0.10, 0.08, 0.17, 0.60, 0.05])
TRADES_PER_MARKET = 40


def _times(rng: random.Random, start: dt.datetime, end: dt.datetime, n: int) -> list[dt.datetime]:
    span = (end - start).total_seconds()
    return sorted(start + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(n))


def _binary_trades(market: Market, users, rng: random.Random, times) -> int:
    made = 0
    for i, at in enumerate(times):
        user = rng.choice(users)
        belief = 0.45 + (0.66 - 0.45) * i / max(1, len(times) - 1) + rng.gauss(0, 0.08)
        price_yes = market_prices(market)[1]
        held = {t.outcome: t for t in market.positions.filter(user=user, shares__gt=0)}
        try:
            if held and rng.random() < 0.2:
                position = rng.choice(list(held.values()))
                shares = max(1, position.shares // 2) / 1000
                trade_sell(market=market, user=user, outcome=position.outcome, shares=shares, at=at)
            else:
                outcome = 1 if belief > price_yes else 0
                trade_buy_budget(market=market, user=user, outcome=outcome, budget=rng.randint(8, 45), at=at)
            made += 1
        except DomainError:
            continue  # a trader out of points sits this one out
        market.refresh_from_db()
    return made


def _lognormal_bucket_beliefs(median: float, spread: float, bounds) -> list[float]:
    """Probability of each bucket under a log-normal belief (the end buckets take the tails)."""
    def cdf(x: float) -> float:
        return 0.0 if x <= 0 else 0.5 * (1 + math.erf((math.log(x) - math.log(median)) / (spread * math.sqrt(2))))

    cuts = [cdf(hi) for _, hi in bounds[:-1]]
    edges = [0.0, *cuts, 1.0]
    return [b - a for a, b in zip(edges, edges[1:])]


def _numeric_trades(market: Market, users, rng: random.Random, times) -> int:
    """Each trader believes in a log-normal around a median that drifts from 17 to 19.5 months and buys the bucket
    the market underprices most by their belief."""
    question = market.question
    bounds = bucket_bounds(K=market.n, range_min=question.range_min, range_max=question.range_max,
                           log_scale=question.log_scale)
    made = 0
    for i, at in enumerate(times):
        user = rng.choice(users)
        median = (17.0 + 2.5 * i / max(1, len(times) - 1)) * math.exp(rng.gauss(0, 0.08))
        beliefs = _lognormal_bucket_beliefs(median, rng.uniform(0.18, 0.3), bounds)
        prices = market_prices(market)
        bucket = max(range(market.n), key=lambda j: beliefs[j] - prices[j])
        edge = beliefs[bucket] - prices[bucket]
        if edge < 0.01:
            continue
        try:
            # A bigger edge, a bigger bet; small enough not to overshoot the trader's own belief.
            trade_buy_budget(market=market, user=user, outcome=bucket, budget=max(1, round(edge * 40)), at=at)
            made += 1
        except DomainError:
            continue
        market.refresh_from_db()
    return made


def _choice_trades(market: Market, users, rng: random.Random, times) -> int:
    """Each trader perturbs the drifting belief and buys the option the market underprices most by it."""
    start, end = CHOICE_BELIEFS
    made = 0
    for i, at in enumerate(times):
        user = rng.choice(users)
        progress = i / max(1, len(times) - 1)
        raw = [(a + (b - a) * progress) * math.exp(rng.gauss(0, 0.3)) for a, b in zip(start, end)]
        beliefs = [x / sum(raw) for x in raw]
        prices = market_prices(market)
        option = max(range(market.n), key=lambda j: beliefs[j] - prices[j])
        edge = beliefs[option] - prices[option]
        if edge < 0.01:
            continue
        try:
            trade_buy_budget(market=market, user=user, outcome=option, budget=max(1, round(edge * 40)), at=at)
            made += 1
        except DomainError:
            continue
        market.refresh_from_db()
    return made


@transaction.atomic
def markets_demo_load() -> list[str]:
    """Open the demo markets and their trade history; returns summary lines. Safe to run again."""
    lines = []
    User = get_user_model()
    users = list(User.objects.filter(username__in=DEMO_TRADERS).order_by("username"))
    for user in users:
        account_grant_starting_points(user=user)
    rng = random.Random(20260310)
    now = timezone.now()
    for slug, b, buckets, replay in ((BINARY_SLUG, 100.0, None, _binary_trades),
                                     (NUMERIC_SLUG, 100.0, 10, _numeric_trades),
                                     (CHOICE_SLUG, 100.0, None, _choice_trades)):
        question = Question.objects.filter(slug=slug).first()
        if question is None:
            lines.append(f"markets: question {slug} is missing, no market")
            continue
        market = Market.objects.filter(question=question).first()
        if market is None:
            if question.status not in (Question.Status.DRAFT, Question.Status.OPEN):
                lines.append(f"markets: {slug} is {question.status}, no market")
                continue
            opened = min(question.open_time + dt.timedelta(days=1), now)
            market = market_create(question=question, b=b, buckets=buckets, at=opened)
            lines.append(f"market: {question.title} (b = {b:g}, {market.n} outcomes)")
        if users and not Trade.objects.filter(market=market).exists() and question.accepts_forecasts(at=now):
            end = min(now, question.scheduled_close_time) - dt.timedelta(hours=1)
            start = max(market.prices_at, market.created_at) + dt.timedelta(minutes=5)
            if end > start:
                made = replay(market, users, rng, _times(rng, start, end, TRADES_PER_MARKET))
                lines.append(f"trades: {made} on {slug}")
    if users:
        lines.append(f"points: starting grants for {len(users)} demo traders")
    return lines
