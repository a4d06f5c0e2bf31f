"""The demo's date question on SUCCESSOR-2 (docs/scoring.md, "Date questions"), with its bucket market. Idempotent.

Every date here is relative to the day the demo is loaded (``timezone.now()``), so the demo stays current: the
question opened about three months ago, its range runs from a month ago to about sixteen months ahead, and it
closes a year from now.
"""
from __future__ import annotations

import datetime as dt
import math
import random

from django.utils import timezone

from assets.errors import DomainError
from assets.models import Endpoint, Trial
from markets import date_axis
from markets.buckets import bucket_bounds
from markets.models import Market, Question
from markets.selectors import market_prices
from markets.services import market_create, question_create, trade_buy_budget

DATE_SLUG = "successor-2-full-pfs-presentation-date"


def date_demo_window(now: dt.datetime | None = None) -> dict:
    """The question's times and date range, relative to ``now``, whole days in UTC."""
    today = (now or timezone.now()).astimezone(dt.timezone.utc).date()
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=dt.timezone.utc)
    return {
        "open_time": midnight - dt.timedelta(days=90) + dt.timedelta(hours=9),
        "scheduled_close_time": midnight + dt.timedelta(days=365),
        "range_min": date_axis.date_to_seconds(today - dt.timedelta(days=30)),
        "range_max": date_axis.date_to_seconds(today + dt.timedelta(days=480)),
    }


def _date_trades(market: Market, users, *, seed: int = 20261204) -> int:
    """A seeded history of budget buys: each trader believes the presentation is about six months after the range
    opens (normal, sd 60 days) and buys the bucket the market underprices most by that belief."""
    rng = random.Random(seed)
    question = market.question
    bounds = bucket_bounds(K=market.n, range_min=question.range_min, range_max=question.range_max, log_scale=False)
    centre = question.range_min + 210 * date_axis.SECONDS_PER_DAY
    sd = 60 * date_axis.SECONDS_PER_DAY

    def belief_cdf(x: float) -> float:
        return 0.5 * (1 + math.erf((x - centre) / (sd * math.sqrt(2))))

    edges = [0.0, *(belief_cdf(hi) for _, hi in bounds[:-1]), 1.0]
    belief = [b - a for a, b in zip(edges, edges[1:])]
    start = market.created_at
    end = timezone.now() - dt.timedelta(hours=1)
    if end <= start:
        return 0
    span = (end - start).total_seconds()
    made = 0
    for at in sorted(start + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(24)):
        prices = market_prices(market)
        outcome = max(range(market.n), key=lambda k: belief[k] - prices[k])
        try:
            trade_buy_budget(market=market, user=rng.choice(users), outcome=outcome, budget=rng.randint(5, 30), at=at)
        except DomainError:
            continue  # a trader out of points sits this one out
        market.refresh_from_db()
        made += 1
    return made


def date_question_demo_load(users=()) -> tuple[list[str], Question | None]:
    """Create the date question "When will the full SUCCESSOR-2 PFS results first be presented?" (open upper
    bound: the data could slip past the range) bound to the PFS hazard-ratio readout, and open its market (K = 10
    date buckets, b = 100) with a history of trades by ``users`` (who already hold their starting points). Returns
    (summary lines, the question)."""
    existing = Question.objects.filter(slug=DATE_SLUG).first()
    if existing is not None:
        return [], existing
    trial = Trial.objects.filter_identifier("SUCCESSOR-2").first()
    if trial is None:
        return ["date question: SUCCESSOR-2 is missing, no date question"], None
    window = date_demo_window()
    question = question_create(
        status=Question.Status.OPEN,
        title="When will the full SUCCESSOR-2 PFS results first be presented?",
        type=Question.Type.DATE,
        trial=trial,
        asset=trial.assets.first(),
        endpoint=Endpoint.objects.filter(code="PFS").first(),
        bound_metric="hazard_ratio",
        open_upper_bound=True,
        description=(
            "The topline said SUCCESSOR-2 met its PFS endpoint but kept the numbers for a medical meeting. Which "
            "meeting, and when? Forecast the date the hazard ratio and medians are first shown in public."
        ),
        resolution_criteria=(
            "Resolves to the UTC calendar date on which the primary-analysis PFS hazard ratio of SUCCESSOR-2 is first "
            "made public with its numbers (abstract release, embargo lift or presentation, whichever is first). A "
            "press release that only says the endpoint was met does not count."
        ),
        fine_print="Entering the PFS hazard-ratio readout proposes the date it became public.",
        **window,
    )
    Question.objects.filter(pk=question.pk).update(slug=DATE_SLUG)
    question.slug = DATE_SLUG
    lines = [f"question: {question.title}"]
    if not Market.objects.filter(question=question).exists():
        market = market_create(question=question, b=100, buckets=10,
                               at=min(question.open_time + dt.timedelta(days=1), timezone.now()))
        trades = _date_trades(market, list(users)) if users else 0
        lines.append(f"market: {question.title} (b = 100, {market.n} date buckets, {trades} trades)")
    return lines, question
