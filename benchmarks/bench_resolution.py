"""Resolving a big question: 100,000 forecasts from 10,000 forecasters (a script, not a test).

    .venv/bin/python benchmarks/bench_resolution.py [--forecasts 100000] [--forecasters 10000] [--runs 2]

Bulk-creates the users, forecast rows (updates and some withdrawals, over a 90-day window, closed early by the
readout) and one community point per forecast in a throw-away database (SQLite by default, PostgreSQL when
DATABASE_URL points at one), resolves the question YES, then times ``question_score`` (load, compute, store
reported separately) and ``leaderboards_rebuild`` for the question's scopes (global, season, asset, trial,
indication). The second run shows the steady state of a retried task (it replaces the rows of the first).
Budget: seconds, not minutes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
from _setup import machine_description


def populate(n_forecasts: int, n_forecasters: int, seed: int = 7):
    from django.contrib.auth.models import User

    from assets.models import Asset, Company, Indication, Trial
    from forecasting.models import CommunityForecastPoint, Forecast, ForecasterQuestion
    from markets.models import Question

    rng = np.random.default_rng(seed)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    span = 90 * 86400
    indication = Indication.objects.create(name="Relapsed/refractory multiple myeloma", abbreviation="RRMM")
    company = Company.objects.create(name="Bench Pharma")
    asset = Asset.objects.create(name="Benchomab", sponsor=company)
    trial = Trial.objects.create(acronym="BENCH-1", registry_id="NCT00000001", indication=indication, sponsor=company)
    trial.assets.add(asset)
    known_at = t0 + dt.timedelta(seconds=int(span * 0.9))
    question = Question.objects.create(
        title="Will BENCH-1 report a PFS hazard ratio below 0.7?", slug="bench-1-hr", type="binary",
        status="resolved", resolution_criteria="HR < 0.7", open_time=t0,
        scheduled_close_time=t0 + dt.timedelta(seconds=span), asset=asset, trial=trial, outcome=1.0,
        known_at=known_at, actual_close_time=known_at, resolved_at=known_at + dt.timedelta(hours=1),
    )
    users = User.objects.bulk_create([User(username=f"bench{i}") for i in range(n_forecasters)], batch_size=5000)
    user_ids = np.array([u.pk for u in users])
    # Every forecaster forecasts at least once; the rest are updates by random forecasters. 3% are withdrawals.
    who = np.concatenate([np.arange(n_forecasters), rng.integers(0, n_forecasters, n_forecasts - n_forecasters)])
    times = np.sort(rng.uniform(0, span, n_forecasts))  # some after Te: they score nothing
    rng.shuffle(who[:n_forecasters])
    p = np.round(rng.uniform(0.02, 0.98, n_forecasts), 3)
    withdrawal = rng.random(n_forecasts) < 0.03
    seen = np.zeros(n_forecasters, dtype=bool)
    rows, points, current = [], [], {}
    active: dict[int, float] = {}
    for k in range(n_forecasts):
        f = int(who[k])
        created = t0 + dt.timedelta(seconds=float(times[k]))
        if withdrawal[k] and seen[f] and f in active:
            rows.append(Forecast(question=question, user_id=int(user_ids[f]), kind="withdrawal", created_at=created))
            del active[f]
        else:
            rows.append(Forecast(question=question, user_id=int(user_ids[f]), created_at=created,
                                 probability=float(p[k])))
            active[f] = float(p[k])
            seen[f] = True
        # A cheap stand-in for the community median (the scorer only reads the stored series).
        median = float(np.clip(0.5 + 0.3 * np.sin(k / 5000), 0.01, 0.99))
        points.append(CommunityForecastPoint(question=question, created_at=created, forecaster_count=len(active),
                                             median=median, extremized=min(0.999, median * 1.1)))
    forecasts = Forecast.objects.bulk_create(rows, batch_size=5000)
    CommunityForecastPoint.objects.bulk_create(points, batch_size=5000)
    for f in forecasts:
        current[f.user_id] = f
    ForecasterQuestion.objects.bulk_create(
        [ForecasterQuestion(question=question, user_id=uid, current=f, first_forecast_at=f.created_at,
                            updated_at=f.created_at) for uid, f in current.items()],
        batch_size=5000,
    )
    return question


def django_with_scoring_db() -> str:
    """Like _setup.django_with_test_db, but without serializing the database (not needed here) and creating the
    tables of forecasting models that have no migration yet (the scoring and resolution models are migrated
    separately), so the benchmark runs before and after that migration exists."""
    import atexit

    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    atexit.register(lambda: connection.creation.destroy_test_db(old_name, verbosity=0))
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in apps.get_app_config("forecasting").get_models():
            if model._meta.db_table not in existing:
                editor.create_model(model)
    return connection.vendor


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forecasts", type=int, default=100_000)
    parser.add_argument("--forecasters", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", help="also write the figures of the last run to this file (for run_all.py)")
    args = parser.parse_args()

    vendor = django_with_scoring_db()
    from forecasting.models import Forecast, ForecastScore, LeaderboardEntry, Score
    from forecasting.scoring.services.leaderboards import leaderboards_rebuild
    from forecasting.scoring.services.scoring import ScoringTimings, question_score

    print(f"Machine: {machine_description()}; database: {vendor}")
    started = time.perf_counter()
    question = populate(args.forecasts, args.forecasters)
    print(f"Set-up: {args.forecasts:,} forecast rows from {args.forecasters:,} forecasters and "
          f"{args.forecasts:,} community points in {time.perf_counter() - started:.1f} s")
    for run in range(1, args.runs + 1):
        timings = ScoringTimings()
        started = time.perf_counter()
        question_score(question_id=question.pk, timings=timings)
        scored = time.perf_counter() - started
        started = time.perf_counter()
        boards = leaderboards_rebuild(question_id=question.pk)
        rebuilt = time.perf_counter() - started
        started = time.perf_counter()
        # Baseline: only reading the question's forecast rows, the least any scoring must do.
        read = len(list(Forecast.objects.filter(question=question).values_list(
            "user_id", "created_at", "kind", "probability")))
        read_s = time.perf_counter() - started
        print(
            f"Run {run}: question_score {scored:.2f} s (load {timings.load:.2f}, compute {timings.compute:.2f}, "
            f"store {timings.store:.2f}: {timings.scores_written:,} scores, {timings.weights_written:,} calibration "
            f"weights); leaderboards_rebuild {rebuilt:.2f} s ({len(boards)} boards, "
            f"{sum(boards.values()):,} entries); total {scored + rebuilt:.2f} s"
        )
    print(f"Baseline: reading the {read:,} forecast rows (values_list) took {read_s:.2f} s")
    if args.json:
        import json

        with open(args.json, "w") as fh:
            json.dump({"forecasts": args.forecasts, "forecasters": args.forecasters, "vendor": vendor,
                       "score_s": scored, "leaderboards_s": rebuilt, "read_s": read_s}, fh)
    print(f"Rows now: {Score.objects.count():,} scores, {ForecastScore.objects.count():,} weights, "
          f"{LeaderboardEntry.objects.count():,} leaderboard entries (replaced, not added)")


if __name__ == "__main__":
    main()
