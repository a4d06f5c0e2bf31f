"""Fill the database with synthetic load: users, questions, forecasts with their whole derived state.

    python manage.py generate_load_data [--users 10000] [--questions 2000] [--forecasts 1000000] [--seed 1]
        [--resolved-share 0.1] [--numeric-share 0.05] [--hot-share 0.05]

For benchmarks and capacity tests, never for a database with real users. Rows are written in bulk (COPY on
PostgreSQL, executemany on SQLite) instead of through ``forecast_create``, which would take hours at 1,000,000
forecasts; but every derived row is built exactly as the services build it, so the database is consistent:

- Forecast rows per question in time order with increasing pks (the community replay relies on pk order), ~2%
  withdrawals, ~3% with a rationale;
- one ForecasterQuestion projection per (question, forecaster): current forecast (None after a withdrawal), first
  and last times, row count; Question.forecaster_count is their number;
- one CommunityForecastPoint per forecast row, computed with ``forecasting.maths.aggregation.ActiveSet`` and the
  forecast service's own point builder, and a CommunityState whose snapshot is the final active set;
- ``--resolved-share`` of the questions resolved (known_at in the past), scored with ``question_score`` and the
  leaderboards rebuilt with ``leaderboards_rebuild``.

The forecast count per question is skewed (log-normal, plus one "hot" question with ``--hot-share`` of all
forecasts) as on real platforms. Usernames and slugs carry the seed, so two runs with different seeds add up;
running the same seed twice is refused.
"""
from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from assets.models import Asset, Company, Indication, Trial
from forecasting.accounts.models import Profile
from forecasting.common.bulk import rows_insert
from forecasting.forecasts.models import CommunityForecastPoint, CommunityState, Forecast, ForecasterQuestion
from forecasting.forecasts.services.forecasts import community_point_fields
from forecasting.maths import cdf as cdf_math
from forecasting.maths.aggregation import ActiveSet
from markets.models import Question

FLUSH_ROWS = 100_000
DAY = 86_400.0


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _reset_sequence(model) -> None:
    """Explicit pks were written: move the PostgreSQL sequence past them (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))", [table]
        )


class _Writer:
    """Buffers forecast, point and projection rows and writes them in large batches."""

    F_FIELDS = ["id", "question", "user", "kind", "created_at", "probability", "cdf", "input", "rationale"]
    P_FIELDS = ["id", "question", "created_at", "forecaster_count", "median", "extremized", "cdf", "q10", "q50",
                "q90"]
    FQ_FIELDS = ["question", "user", "current", "first_forecast_at", "updated_at", "forecast_count"]

    def __init__(self):
        self.forecasts, self.points, self.projections = [], [], []
        self.adapt = connection.ops.adapt_datetimefield_value
        self.json = connection.vendor != "postgresql"  # psycopg's COPY takes the JSON text as is, too

    def flush(self, force: bool = False) -> None:
        if not force and len(self.forecasts) < FLUSH_ROWS:
            return
        rows_insert(Forecast, self.F_FIELDS, self.forecasts)
        rows_insert(CommunityForecastPoint, self.P_FIELDS, self.points)
        rows_insert(ForecasterQuestion, self.FQ_FIELDS, self.projections)
        self.forecasts, self.points, self.projections = [], [], []


def _forecast_counts(rng, n_questions: int, n_forecasts: int, hot_share: float) -> np.ndarray:
    weights = rng.lognormal(0.0, 1.2, n_questions)
    hot = int(round(n_forecasts * hot_share)) if n_questions > 1 else 0
    counts = rng.multinomial(n_forecasts - hot, weights / weights.sum())
    counts[0] += hot
    return counts


def _make_assets(seed: int, n: int):
    indications = [
        Indication.objects.create(name=f"Load indication {seed}-{i}", abbreviation=f"LI{seed}x{i}")
        for i in range(max(1, n // 5))
    ]
    assets, trials = [], []
    for i in range(n):
        company = Company.objects.create(name=f"Load Pharma {seed}-{i}")
        asset = Asset.objects.create(name=f"Loadomab {seed}-{i}", sponsor=company)
        trial = Trial.objects.create(acronym=f"LOAD-{seed}-{i}", registry_id=f"NCT{(seed * 1000 + i) % 10**8:08d}",
                                     indication=indications[i % len(indications)], sponsor=company)
        trial.assets.add(asset)
        assets.append(asset)
        trials.append(trial)
    return assets, trials


def generate(*, users: int, questions: int, forecasts: int, seed: int, resolved_share: float = 0.1,
             numeric_share: float = 0.05, hot_share: float = 0.05, log=print) -> dict:
    """Create the load described in the module docstring; returns counts and timings (seconds)."""
    rng = np.random.default_rng(seed)
    User = get_user_model()
    prefix = f"load{seed}-"
    if User.objects.filter(username__startswith=prefix).exists():
        raise CommandError(f"load data with seed {seed} already exists (users {prefix}*); use another --seed.")
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    timings = {}

    with transaction.atomic():
        user_rows = User.objects.bulk_create(
            [User(username=f"{prefix}{i}", password="!load-data") for i in range(users)], batch_size=5000
        )
        user_ids = np.array([u.pk for u in user_rows], dtype=np.int64)
        # Every account has a profile (sign-up makes one); pages read its display name.
        Profile.objects.bulk_create(
            [Profile(user_id=u.pk, display_name=f"Load forecaster {seed}-{i}") for i, u in enumerate(user_rows)],
            batch_size=5000,
        )
        assets, trials = _make_assets(seed, min(40, max(1, questions // 20)))
        q_rows = []
        n_resolved = int(round(questions * resolved_share))
        n_numeric = int(round(questions * numeric_share))
        for i in range(questions):
            # Question 0 is the hot one (always binary, open); the resolved and numeric ones come last.
            resolved = i >= questions - n_resolved
            numeric = 0 < i and (i - 1) % max(1, questions // max(1, n_numeric)) == 0 and n_numeric > 0
            k = i % len(assets)
            fields = dict(
                title=f"Will LOAD-{seed}-{k} meet its primary endpoint? (load question {i})",
                slug=f"{prefix}q{i}", type="numeric" if numeric else "binary", resolution_criteria="Synthetic.",
                asset=assets[k], trial=trials[k], description="Synthetic load question.",
            )
            if numeric:
                fields.update(range_min=0.0, range_max=40.0, unit="months", open_upper_bound=True)
            if resolved:
                open_time = now - dt.timedelta(days=float(rng.uniform(120, 240)))
                known_at = now - dt.timedelta(days=float(rng.uniform(1, 60)))
                fields.update(
                    status="resolved", open_time=open_time, scheduled_close_time=known_at + dt.timedelta(days=30),
                    known_at=known_at, actual_close_time=known_at, resolved_at=known_at + dt.timedelta(hours=1),
                    outcome=float(rng.uniform(5, 30)) if numeric else float(rng.integers(0, 2)),
                )
            else:
                fields.update(
                    status="open", open_time=now - dt.timedelta(days=float(rng.uniform(20, 120))),
                    scheduled_close_time=now + dt.timedelta(days=float(rng.uniform(10, 300))),
                )
            q_rows.append(Question(**fields))
        q_rows = Question.objects.bulk_create(q_rows, batch_size=1000)
    timings["users_questions"] = time.perf_counter() - started
    log(f"{users:,} users, {questions:,} questions in {timings['users_questions']:.1f} s")

    counts = _forecast_counts(rng, questions, forecasts, hot_share)
    next_forecast, next_point = _next_id(Forecast), _next_id(CommunityForecastPoint)
    writer = _Writer()
    adapt = writer.adapt
    states, forecaster_counts = [], {}
    t_loop = time.perf_counter()
    done = 0
    with transaction.atomic():
        for question, n in zip(q_rows, counts):
            n = int(n)
            if n == 0:
                continue
            kind = "numeric" if question.is_numeric else "binary"
            # Forecasters: a subset of the users (about 60% of the rows are a forecaster's first), then updates.
            k = int(min(len(user_ids), max(1, round(n * 0.6))))
            chosen = rng.choice(user_ids, size=k, replace=False)
            who = np.concatenate([chosen, rng.choice(chosen, size=n - k)]) if n > k else chosen[:n]
            rng.shuffle(who)
            end = question.known_at if question.known_at else now - dt.timedelta(minutes=1)
            span = (end - question.open_time).total_seconds()
            offsets = np.sort(rng.uniform(0, span, n))
            belief = rng.uniform(0.05, 0.95)
            probs = np.round(np.clip(belief + rng.normal(0, 0.15, n), 0.001, 0.999), 3)
            withdraw = rng.random(n) < 0.02
            rationale = rng.random(n) < 0.03
            active = ActiveSet(kind)
            projection: dict[int, list] = {}
            for j in range(n):
                uid = int(who[j])
                at = question.open_time + dt.timedelta(seconds=float(offsets[j]))
                at_db = adapt(at)
                fid = next_forecast
                next_forecast += 1
                text = f"Load rationale {fid}: the phase 2 data and the control arm." if rationale[j] else ""
                if withdraw[j] and uid in active:
                    active.remove(uid)
                    writer.forecasts.append((fid, question.pk, uid, "withdrawal", at_db, None, None, "{}", text))
                    current = None
                elif kind == "binary":
                    p = float(probs[j])
                    active.upsert(uid, p)
                    writer.forecasts.append((fid, question.pk, uid, "forecast", at_db, p, None,
                                             json.dumps({"probability": p}), text))
                    current = fid
                else:
                    mid = float(rng.uniform(6, 25))
                    quantiles = {0.1: mid * 0.6, 0.5: mid, 0.9: mid * 1.5}
                    cdf = np.asarray(cdf_math.quantiles_to_cdf(
                        quantiles, range_min=question.range_min, range_max=question.range_max,
                        log_scale=question.log_scale, open_lower=question.open_lower_bound,
                        open_upper=question.open_upper_bound,
                    ), dtype="<f8")
                    active.upsert(uid, cdf)
                    writer.forecasts.append((fid, question.pk, uid, "forecast", at_db, None, cdf.tobytes(),
                                             json.dumps({"quantiles": {str(q): v for q, v in quantiles.items()}}),
                                             text))
                    current = fid
                entry = projection.get(uid)
                if entry is None:
                    projection[uid] = [current, at_db, at_db, 1]
                else:
                    entry[0], entry[2], entry[3] = current, at_db, entry[3] + 1
                point = community_point_fields(question, active)
                pid = next_point
                next_point += 1
                writer.points.append((pid, question.pk, at_db, point["forecaster_count"], point.get("median"),
                                      point.get("extremized"), point.get("cdf"), point.get("q10"), point.get("q50"),
                                      point.get("q90")))
            writer.projections.extend((question.pk, uid, *entry) for uid, entry in projection.items())
            forecaster_counts[question.pk] = len(projection)
            states.append(CommunityState(question=question, data=active.to_bytes(), snapshot_forecast_id=fid,
                                         last_forecast_id=fid, events_since_snapshot=0, updated_at=at,
                                         latest_point_id=pid))
            done += n
            writer.flush()
            if done and done % 100_000 < n:
                log(f"  {done:,} forecasts ({time.perf_counter() - t_loop:.0f} s)")
        writer.flush(force=True)
        _reset_sequence(Forecast)
        _reset_sequence(CommunityForecastPoint)
        CommunityState.objects.bulk_create(states, batch_size=500)
        by_count: dict[int, list[int]] = {}
        for qid, c in forecaster_counts.items():
            by_count.setdefault(c, []).append(qid)
        for c, qids in by_count.items():
            Question.objects.filter(pk__in=qids).update(forecaster_count=c)
    timings["forecasts"] = time.perf_counter() - t_loop
    log(f"{done:,} forecasts, points and projections in {timings['forecasts']:.1f} s")

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    from forecasting.scoring.services.leaderboards import leaderboards_rebuild
    from forecasting.scoring.services.scoring import question_score

    t_score = time.perf_counter()
    resolved_ids = [q.pk for q in q_rows if q.status == "resolved"]
    for qid in resolved_ids:
        question_score(question_id=qid)
    boards = leaderboards_rebuild()
    timings["scoring"] = time.perf_counter() - t_score
    log(f"{len(resolved_ids)} resolved questions scored, {len(boards)} leaderboards rebuilt in "
        f"{timings['scoring']:.1f} s")
    timings["total"] = time.perf_counter() - started
    return {"users": users, "questions": questions, "forecasts": done, "resolved": len(resolved_ids),
            "hot_question": q_rows[0].slug, "timings": timings}


class Command(BaseCommand):
    help = "Generate synthetic users, questions and forecasts (with consistent derived rows) for load tests."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10_000)
        parser.add_argument("--questions", type=int, default=2_000)
        parser.add_argument("--forecasts", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--resolved-share", type=float, default=0.1, help="share of questions resolved")
        parser.add_argument("--numeric-share", type=float, default=0.05, help="share of numeric questions")
        parser.add_argument("--hot-share", type=float, default=0.05, help="share of forecasts on one question")

    def handle(self, *args, **opts):
        for name in ("users", "questions"):
            if opts[name] < 1:
                raise CommandError(f"--{name} must be at least 1, got {opts[name]}.")
        if opts["forecasts"] < 0:
            raise CommandError(f"--forecasts must be 0 or more, got {opts['forecasts']}.")
        for name in ("resolved_share", "numeric_share", "hot_share"):
            if not 0 <= opts[name] <= 1:
                raise CommandError(f"--{name.replace('_', '-')} must lie in [0, 1], got {opts[name]}.")
        result = generate(
            users=opts["users"], questions=opts["questions"], forecasts=opts["forecasts"], seed=opts["seed"],
            resolved_share=opts["resolved_share"], numeric_share=opts["numeric_share"], hot_share=opts["hot_share"],
            log=lambda msg: self.stdout.write(msg),
        )
        self.stdout.write(self.style.SUCCESS(
            f"done in {result['timings']['total']:.1f} s: {result['forecasts']:,} forecasts, "
            f"{result['resolved']} resolved questions; hot question /questions/{result['hot_question']}/"
        ))
