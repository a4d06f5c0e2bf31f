"""Multiple-choice questions: the cost of one forecast at 10, 1,000 and 10,000 forecasters.

Two measurements (figures in docs/performance.md, "Multiple-choice questions"):

1. The community update alone (pure numpy, no database): one forecaster's update applied to an active set of N
   forecasters with K options, then the community vector; the incremental ``ChoiceActiveSet`` (kept sort
   permutations, O(K N)) against a naive recomputation (``choice_aggregate``: gather every active vector and sort each
   option, O(K N log N)). Both must give the same vector; the script checks it.
2. The whole forecast POST in-process (middleware, token auth, validation, the forecast row, the projection, the
   incremental community update with its snapshot/replay, the community point, commit), on a question whose N
   forecasters are loaded in bulk beforehand, as ``bench_forecast_post.py`` does for binary questions.

Usage: python benchmarks/bench_choice.py [--posts 300] [--sizes 10,1000,10000] [--options 5] [--updates 2000]
Uses a throw-away database: SQLite by default, PostgreSQL when DATABASE_URL points at one.
"""
import argparse
import random
import statistics
import time

import numpy as np

from _setup import django_with_test_db, machine_description


def vector(rng: random.Random, k: int) -> list[float]:
    raw = [rng.uniform(0.05, 1.0) for _ in range(k)]
    total = sum(raw)
    p = [round(x / total, 3) for x in raw]
    p[-1] = round(1 - sum(p[:-1]), 3)
    return p


def bench_maths(n: int, k: int, updates: int, rng: random.Random) -> dict:
    from forecasting.maths.aggregation import ChoiceActiveSet, choice_aggregate

    active = ChoiceActiveSet(k, ids=np.arange(n), values=[vector(rng, k) for _ in range(n)])
    events = [(rng.randrange(n), vector(rng, k)) for _ in range(updates)]
    t0 = time.perf_counter()
    for fid, v in events:
        active.upsert(fid, v)
        result = active.aggregate()
    incremental = (time.perf_counter() - t0) / updates
    naive_updates = max(20, updates // 10)
    t0 = time.perf_counter()
    for _ in range(naive_updates):
        naive = choice_aggregate(active.values)
    naive_cost = (time.perf_counter() - t0) / naive_updates
    assert np.array_equal(naive, result), "the incremental and naive community vectors differ"
    t0 = time.perf_counter()
    for _ in range(50):
        ChoiceActiveSet.from_bytes(active.to_bytes(), k)
    snapshot = (time.perf_counter() - t0) / 50
    return {"n": n, "incremental_ms": 1000 * incremental, "naive_ms": 1000 * naive_cost, "snapshot_ms": 1000 * snapshot}


def populate(question, n: int, rng: random.Random):
    import datetime as dt

    from django.contrib.auth.models import User
    from django.utils import timezone

    from forecasting.maths.aggregation import ChoiceActiveSet
    from forecasting.models import CommunityForecastPoint, CommunityState, Forecast, ForecasterQuestion

    k = len(question.options)
    users = User.objects.bulk_create([User(username=f"q{question.pk}u{i}") for i in range(n)])
    start = timezone.now() - dt.timedelta(days=5)
    active = ChoiceActiveSet(k)
    rows = []
    for i, user in enumerate(users):
        p = vector(rng, k)
        rows.append(Forecast(question=question, user=user, created_at=start + dt.timedelta(seconds=i), probabilities=p,
                             input={"probabilities": p}))
        active.upsert(user.pk, p)
    forecasts = Forecast.objects.bulk_create(rows, batch_size=2000)
    ForecasterQuestion.objects.bulk_create([
        ForecasterQuestion(question=question, user=f.user, current=f, first_forecast_at=f.created_at,
                           updated_at=f.created_at, forecast_count=1) for f in forecasts
    ], batch_size=2000)
    point = CommunityForecastPoint.objects.create(question=question, created_at=start + dt.timedelta(seconds=n),
                                                  forecaster_count=n, probabilities=active.aggregate().tolist())
    CommunityState.objects.update_or_create(question=question, defaults={
        "data": active.to_bytes(), "updated_at": point.created_at, "latest_point": point,
        "last_forecast_id": forecasts[-1].pk, "snapshot_forecast_id": forecasts[-1].pk,
    })
    type(question).objects.filter(pk=question.pk).update(forecaster_count=n)
    return users


def bench_posts(n: int, posts: int, k: int, rng: random.Random) -> dict:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from forecasting.forecasts.services.community import active_set_cache
    from tests.factories import ChoiceQuestionFactory

    question = ChoiceQuestionFactory(options=[f"Option {i}" for i in range(k)])
    users = populate(question, n, rng)
    active_set_cache.clear()
    tokens = {u.pk: Token.objects.create(user=u).key for u in rng.sample(users, min(len(users), 50))}
    client = APIClient()
    url = f"/api/v1/questions/{question.pk}/forecasts/"
    durations = []
    for i in range(posts + 20):
        uid = rng.choice(list(tokens))
        t0 = time.perf_counter()
        response = client.post(url, {"probabilities": vector(rng, k)}, format="json",
                               HTTP_AUTHORIZATION=f"Token {tokens[uid]}")
        elapsed = time.perf_counter() - t0
        assert response.status_code == 201, response.content
        if i >= 20:
            durations.append(elapsed)
    durations.sort()
    return {"n": n, "rate": len(durations) / sum(durations), "p50_ms": 1000 * statistics.median(durations),
            "p99_ms": 1000 * durations[int(0.99 * (len(durations) - 1))]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--options", type=int, default=5)
    parser.add_argument("--updates", type=int, default=2000)
    args = parser.parse_args()
    vendor = django_with_test_db()
    rng = random.Random(11)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"Multiple choice, K = {args.options} options; {machine_description()}")
    print("1. Community update per forecast (maths only): incremental vs naive recomputation")
    print(f"{'forecasters':>12} {'incremental ms':>15} {'naive ms':>10} {'speed-up':>9} {'snapshot load+save ms':>22}")
    for n in sizes:
        r = bench_maths(n, args.options, args.updates, rng)
        print(f"{n:>12} {r['incremental_ms']:>15.3f} {r['naive_ms']:>10.3f} {r['naive_ms'] / r['incremental_ms']:>9.1f}"
              f" {r['snapshot_ms']:>22.3f}")
    print(f"2. Forecast POST, full stack in-process, {args.posts} posts per size, database {vendor}")
    print(f"{'forecasters':>12} {'posts/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs first':>9}")
    results = [bench_posts(n, args.posts, args.options, rng) for n in sizes]
    for r in results:
        print(f"{r['n']:>12} {r['rate']:>9.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['rate'] / results[0]['rate']:>9.2f}")


if __name__ == "__main__":
    main()
