"""The demo data set, in our own words from the facts of the seed documents. Idempotent.

This module adds demo forecasters whose histories are spread over weeks, so charts and leaderboards look like a real
site. Each app and room contributes its part; the load_demo command runs them in dependency order
(assets <- markets <- forecasts <- resolution).
"""
import datetime as dt
import math
import random

from django.contrib.auth.models import User
from django.utils import timezone

from forecasting.accounts.models import Profile
from forecasting.forecasts.models import Forecast
from forecasting.forecasts.choice_demo import choice_demo_forecast
from forecasting.forecasts.services.forecasts import forecast_create

DEMO_PASSWORD = "forecast-demo"  # noqa: S105 - demo forecasters, documented in the README
DEMO_FORECASTERS = [
    ("amira", "Amira K."), ("benoit", "Benoît L."), ("chen", "Chen W."), ("dana", "Dana R."),
    ("eitan", "Eitan S."), ("fatima", "Fatima O."), ("gus", "Gus P."), ("hana", "Hana M."),
    ("ivan", "Ivan T."), ("jo", "Jo B."), ("kwame", "Kwame A."), ("lena", "Lena V."),
    ("mateo", "Mateo G."), ("nora", "Nora H."), ("oskar", "Oskar E."), ("priya", "Priya N."),
    ("quinn", "Quinn D."), ("rosa", "Rosa F."), ("sami", "Sami Y."), ("tara", "Tara C."),
]

# Each question's demo crowd: where beliefs start and where they drift as news comes in.
BINARY_BELIEFS = {
    "successor-2-pfs-hr-below-0-7": (0.45, 0.62),
    "successor-2-os-benefit-shown": (0.30, 0.22),
    "successor-2-mrd-disclosed": (0.55, 0.60),
}
NUMERIC_BELIEFS = {  # (median at start, median at end, relative spread)
    "successor-2-pfs-hazard-ratio": (0.72, 0.66, 0.18),
    "successor-2-median-pfs-mezikd": (17.0, 19.5, 0.25),
}
RATIONALES = [
    "Kd control arms have been weak in this post-anti-CD38 population; a big PFS gap is plausible.",
    "The press release called the benefit 'clinically meaningful', which usually means HR well below 0.8.",
    "Cereblon-loss resistance after lenalidomide should blunt the effect in part of the population.",
    "Phase 1/2 data for mezigdomide combinations showed deep responses; I expect the triplet to separate early.",
    "OS data will be immature at the first presentation; I am staying low on an OS win.",
    "Updated after the topline: sponsors rarely hold back a weak hazard ratio for a conference slot.",
    "",
    "",
]


def _demo_users() -> list[User]:
    users = []
    for username, display_name in DEMO_FORECASTERS:
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.readout"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Profile.objects.get_or_create(user=user, defaults={"display_name": display_name})
        users.append(user)
    return users


def forecast_events(rng: random.Random, users: list[User], start: dt.datetime, end: dt.datetime, *, count: int,
                    join_within: float = 0.7, updates: int = 5, gap: tuple[float, float] = (0.03, 0.25)):
    """Demo forecasting activity: ``count`` of the users each join at a random time in the first ``join_within`` of
    the span and forecast 1 to ``updates`` times, ``gap`` (fractions of the span) apart. Returns (time, user,
    progress 0..1), sorted by time."""
    span = (end - start).total_seconds()
    events = []
    for user in rng.sample(users, k=count):
        t = rng.uniform(0, span * join_within)
        for _ in range(rng.randint(1, updates)):
            events.append((start + dt.timedelta(seconds=t), user, t / span))
            t += rng.uniform(span * gap[0], span * gap[1])
            if t >= span:
                break
    return sorted(events, key=lambda e: e[0])


def _forecast_demo_history(question, users: list[User], rng: random.Random) -> int:
    if Forecast.objects.filter(question=question).exists():
        return 0
    end = min(timezone.now() - dt.timedelta(hours=1), question.scheduled_close_time - dt.timedelta(days=1))
    count = 0
    count = rng.randint(len(users) * 2 // 3, len(users))
    for at, user, progress in forecast_events(rng, users, question.open_time + dt.timedelta(hours=2), end, count=count):
        rationale = rng.choice(RATIONALES)
        if question.is_binary:
            a, b = BINARY_BELIEFS.get(question.slug, (0.5, 0.5))
            centre = a + (b - a) * progress
            logit = math.log(centre / (1 - centre)) + rng.gauss(0, 0.6)
            p = min(0.97, max(0.03, 1 / (1 + math.exp(-logit))))
            forecast_create(question=question, user=user, probability=round(p, 3), rationale=rationale, at=at)
        elif question.is_multiple_choice:
            forecast_create(question=question, user=user, probabilities=choice_demo_forecast(question, rng, progress),
                            rationale=rationale, at=at)
        else:
            a, b, spread = NUMERIC_BELIEFS.get(question.slug, (question.range_min, question.range_max, 0.2))
            median = (a + (b - a) * progress) * math.exp(rng.gauss(0, 0.08))
            width = spread * rng.uniform(0.7, 1.3)
            quantiles = {"0.1": median * math.exp(-1.28 * width), "0.5": median, "0.9": median * math.exp(1.28 * width)}
            forecast_create(question=question, user=user, quantiles=quantiles, rationale=rationale, at=at)
        count += 1
    return count


def forecasters_demo_load() -> list[User]:
    """The demo forecasters (created or reset), before the markets demo, whose traders they are."""
    return _demo_users()


def forecasts_demo_load(questions, users: list[User]) -> list[str]:
    """The demo forecasters' histories on ``questions`` (the markets demo's questions)."""
    lines = []
    rng = random.Random(20260309)
    for question in questions:
        added = _forecast_demo_history(question, users, rng)
        if added:
            lines.append(f"forecasts: {added} on {question.slug}")
    lines.append(f"demo forecasters: {len(users)} (password '{DEMO_PASSWORD}')")
    return lines
