"""Demo forecasts on the demo's date question (markets.demo_date): the demo forecasters pick 10/50/90% dates that
drift later over time, as conference slots come and go. Dates relative to the load day; seeded, idempotent."""
from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from assets.errors import DomainError
from forecasting.forecasts.demo import forecast_events
from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create
from markets import date_axis

DATE_RATIONALES = [
    "Sponsors like a late-breaking slot: I expect the numbers at the next big haematology meeting.",
    "The abstract deadline has passed for the spring meetings, so the data slip to the autumn.",
    "A topline with no numbers usually means a plenary slot within six months.",
    "Regulatory filing first, then the presentation: I moved my median later.",
    "",
]


def date_forecasts_demo_load(question, users) -> list[str]:
    """Forecast histories on ``question`` (None: nothing to do)."""
    if question is None or Forecast.objects.filter(question=question).exists() or not question.accepts_forecasts():
        return []
    rng = random.Random(20261203)
    today = date_axis.seconds_to_date(question.range_min) + dt.timedelta(days=30)
    end = min(timezone.now() - dt.timedelta(hours=1), question.scheduled_close_time - dt.timedelta(days=1))
    made = 0
    start = question.open_time + dt.timedelta(hours=2)
    for at, user, progress in forecast_events(rng, users, start, end, count=max(1, len(users) * 3 // 4)):
        median = today + dt.timedelta(days=round(150 + 60 * progress + rng.gauss(0, 25)))
        low = median - dt.timedelta(days=rng.randint(40, 110))
        high = median + dt.timedelta(days=rng.randint(60, 200))
        quantiles = {"0.1": low.isoformat(), "0.5": median.isoformat(), "0.9": high.isoformat()}
        try:
            forecast_create(question=question, user=user, quantiles=quantiles, rationale=rng.choice(DATE_RATIONALES),
                            at=at)
        except DomainError:
            continue
        made += 1
    return [f"forecasts: {made} on {question.slug}"] if made else []
