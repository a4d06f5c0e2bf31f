"""Forecast POST throughput on a question that already has 10, 1,000 and 10,000 forecasters.

Each posted forecast goes through the whole stack in-process (middleware, token auth, JSON parsing, validation, the
forecast row, the projection row, the incremental community update and its time-series point, commit). The existing
forecasters are loaded in bulk (their forecast rows, projections and the community state) so set-up takes seconds;
the posts themselves are ordinary updates by randomly chosen existing forecasters.

Usage: python benchmarks/bench_forecast_post.py [--posts 400] [--sizes 10,1000,10000] [--type binary|numeric]
Uses a throw-away database: SQLite by default, PostgreSQL when DATABASE_URL points at one.
"""
import argparse
import random
import statistics
import time

from _setup import django_with_test_db, machine_description


def populate(question, n_forecasters: int, rng: random.Random):
    import datetime as dt

    import numpy as np
    from django.contrib.auth.models import User
    from django.utils import timezone

    from forecasting.maths import cdf as cdf_math
    from forecasting.maths.aggregation import ActiveSet
    from forecasting.models import CommunityForecastPoint, CommunityState, Forecast, ForecasterQuestion

    prefix = f"q{question.pk}u"
    users = User.objects.bulk_create([User(username=f"{prefix}{i}") for i in range(n_forecasters)])
    start = timezone.now() - dt.timedelta(days=5)
    kind = "binary" if question.is_binary else "numeric"
    active = ActiveSet(kind)
    rows = []
    for i, user in enumerate(users):
        at = start + dt.timedelta(seconds=i)
        if question.is_binary:
            p = round(rng.uniform(0.05, 0.95), 3)
            rows.append(Forecast(question=question, user=user, created_at=at, probability=p, input={"probability": p}))
            active.upsert(user.pk, p)
        else:
            mid = rng.uniform(8, 20)
            cdf = cdf_math.quantiles_to_cdf(
                {0.1: mid * 0.6, 0.5: mid, 0.9: mid * 1.5}, range_min=question.range_min,
                range_max=question.range_max, log_scale=False, open_lower=False, open_upper=True,
            )
            rows.append(Forecast(question=question, user=user, created_at=at, cdf=np.asarray(cdf).tobytes()))
            active.upsert(user.pk, cdf)
    forecasts = Forecast.objects.bulk_create(rows, batch_size=2000)
    ForecasterQuestion.objects.bulk_create(
        [
            ForecasterQuestion(question=question, user=f.user, current=f, first_forecast_at=f.created_at,
                               updated_at=f.created_at, forecast_count=1)
            for f in forecasts
        ],
        batch_size=2000,
    )
    point = CommunityForecastPoint.objects.create(question=question, created_at=start + dt.timedelta(seconds=n_forecasters),
                                                  forecaster_count=len(active))
    CommunityState.objects.update_or_create(
        question=question,
        defaults={"data": active.to_bytes(), "updated_at": point.created_at, "latest_point": point},
    )
    type(question).objects.filter(pk=question.pk).update(forecaster_count=n_forecasters)
    return users


def run(size: int, posts: int, qtype: str, rng: random.Random) -> dict:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.factories import NumericQuestionFactory, QuestionFactory

    question = (QuestionFactory if qtype == "binary" else NumericQuestionFactory)()
    users = populate(question, size, rng)
    tokens = {u.pk: Token.objects.create(user=u).key for u in rng.sample(users, min(len(users), 50))}
    client = APIClient()
    url = f"/api/v1/questions/{question.pk}/forecasts/"
    durations = []
    for i in range(posts + 20):
        uid = rng.choice(list(tokens))
        if qtype == "binary":
            body = {"probability": round(rng.uniform(0.05, 0.95), 3)}
        else:
            mid = rng.uniform(8, 20)
            body = {"quantiles": {"0.1": mid * 0.6, "0.5": mid, "0.9": mid * 1.5}}
        t0 = time.perf_counter()
        response = client.post(url, body, format="json", HTTP_AUTHORIZATION=f"Token {tokens[uid]}")
        elapsed = time.perf_counter() - t0
        assert response.status_code == 201, response.content
        if i >= 20:  # warm-up excluded
            durations.append(elapsed)
    total = sum(durations)
    durations.sort()
    return {
        "size": size,
        "rate": len(durations) / total,
        "p50_ms": 1000 * statistics.median(durations),
        "p99_ms": 1000 * durations[int(0.99 * (len(durations) - 1))],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--type", choices=["binary", "numeric"], default="binary")
    args = parser.parse_args()
    vendor = django_with_test_db()
    rng = random.Random(7)
    results = [run(int(size), args.posts, args.type, rng) for size in args.sizes.split(",")]
    base = results[0]["rate"]
    print(f"Forecast POST ({args.type}), {args.posts} posts per size, database {vendor}; {machine_description()}")
    print(f"{'forecasters':>12} {'posts/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs first':>9}")
    for r in results:
        print(f"{r['size']:>12} {r['rate']:>9.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['rate'] / base:>9.2f}")
    worst = results[-1]["rate"] / base
    print(f"rate at {results[-1]['size']} forecasters / rate at {results[0]['size']}: {worst:.2f} (target >= 0.80)")


if __name__ == "__main__":
    main()
