"""Scoring services: score a resolved question and clear its scores (SCORING.md sections 2-4). The leaderboards
built from these scores are ``forecasting.scoring.services.leaderboards``.

The maths is ``forecasting.maths.scoring`` (pure numpy); this module loads rows with ``values_list`` into arrays,
calls it once per question and writes the results back with ``bulk_create``. Every function recomputes and replaces
inside one transaction, so running it twice (a retried ``acks_late`` task, the periodic sweep) gives identical rows.

Called by the resolution task after a resolution commits, in this order: market settlement, ``question_score``,
``leaderboards_rebuild``, notifications. On unresolve/annul: ``question_scores_clear`` then ``leaderboards_rebuild``.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils import timezone

from forecasting.common.bulk import db_datetime, rows_insert
from forecasting.forecasts.models import CommunityForecastPoint, Forecast
from forecasting.maths import scoring as sm
from forecasting.scoring.baserate import base_rate_ensure, base_rate_series
from forecasting.scoring.services.choice import CHOICE_WEIGHT_FIELDS, score_choice_question
from forecasting.scoring.models import ForecastScore, QuestionScoring, Score
from markets.models import Question

logger = logging.getLogger(__name__)

Subject = Score.Subject


@dataclass
class ScoringTimings:
    """Seconds spent in each phase of ``question_score`` (for the benchmark and logs)."""

    load: float = 0.0
    compute: float = 0.0
    store: float = 0.0
    forecasters: int = 0
    forecasts: int = 0
    scores_written: int = 0
    weights_written: int = 0
    skipped: str = ""
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------


def _seconds(values) -> np.ndarray:
    return np.fromiter((v.timestamp() for v in values), dtype=np.float64, count=len(values))


def scoring_window(question: Question) -> tuple[dt.datetime, dt.datetime] | None:
    """(T0, Te) of a resolved question, Te = actual_close_time or min(Tc, known_at); None if the window is empty."""
    te = question.actual_close_time
    if te is None:
        te = min(question.scheduled_close_time, question.known_at or question.scheduled_close_time)
    if te <= question.open_time:
        return None
    return question.open_time, te


@dataclass
class _Rows:
    """A question's forecast history as arrays, in creation (pk) order; withdrawals included."""

    pk: np.ndarray
    user: np.ndarray  # user ids
    is_forecast: np.ndarray  # bool
    created: np.ndarray  # seconds
    probability: np.ndarray  # binary: p (NaN for withdrawals)
    cdf_blobs: list  # numeric: raw CDF blobs; multiple choice: probability lists (None for withdrawals)


def _load_forecasts(question: Question) -> _Rows:
    value_field = "probability" if question.is_binary else "probabilities" if question.is_multiple_choice else "cdf"
    rows = list(
        Forecast.objects.filter(question_id=question.pk)
        .order_by("created_at", "pk")
        .values_list("pk", "user_id", "kind", "created_at", value_field)
    )
    if rows:
        pk, user, kind, created, value = zip(*rows)
    else:
        pk = user = kind = created = value = ()
    is_forecast = np.array([k == Forecast.Kind.FORECAST for k in kind], dtype=bool)
    if question.is_binary:
        probability = np.array([np.nan if v is None else v for v in value], dtype=np.float64)
        blobs = []
    else:
        probability = np.full(len(rows), np.nan)
        blobs = list(value)
    return _Rows(
        pk=np.array(pk, dtype=np.int64), user=np.array(user, dtype=np.int64), is_forecast=is_forecast,
        created=_seconds(created), probability=probability, cdf_blobs=blobs,
    )


def _decode_cdfs(blobs: list, rows: np.ndarray) -> np.ndarray:
    """(len(rows), 201) array of the CDFs of the given rows; one join and one frombuffer, no per-row arrays."""
    if rows.size == 0:
        return np.zeros((0, sm.GRID_SIZE))
    raw = b"".join(bytes(blobs[i]) for i in rows.tolist())
    return np.frombuffer(raw, dtype="<f8").reshape(rows.size, sm.GRID_SIZE)


# ---------------------------------------------------------------------------------------------------------------
# question_score
# ---------------------------------------------------------------------------------------------------------------


def _none_if_nan(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def _series_score(question, subject, series: sm.SeriesScores, *, points: int, now) -> tuple:
    """A Score row (SCORE_FIELDS order) for an aggregate: no user, no peer score."""
    baseline = _none_if_nan(series.baseline) if series.active_seconds > 0 else None
    return (
        question.pk, str(subject), None, _none_if_nan(series.loss), float(series.coverage),
        _none_if_nan(series.relative), baseline, None, float(series.active_seconds), points, now,
    )


def _market_series(question: Question):
    """The market's price series, or None without a market or without the markets selector."""
    try:
        from markets.selectors import market_price_series
    except ImportError:  # the markets part is optional for scoring
        logger.warning("markets.selectors.market_price_series is unavailable; the market is not scored")
        return None
    return market_price_series(question=question)


def _market_score(question, timings: ScoringTimings, *, now, points: int, series) -> list[tuple]:
    """The market's Score row, as a one-element list: ``series()`` scores its price series like a forecaster (the
    prices held to the forecast rules by ``sm.market_probabilities`` / ``sm.market_cdfs``, so every legal market
    state scores). Should it raise all the same, the error is logged and the market goes unscored (an empty list):
    the market comparison is a side show, and it must never roll back the settlement and every forecaster's scores
    that run in the same transaction."""
    try:
        return [_series_score(question, Subject.MARKET, series(), points=points, now=now)]
    except ValueError:
        note = f"question {question.pk}: the market's price series could not be scored; the market is left unscored"
        logger.exception(note)
        timings.notes.append(note)
        return []


def _base_rate_score(question, *, t0, te, outcome, community, now, y_unit=None) -> list[tuple]:
    """The base-rate reference forecaster's Score row (``forecasting.scoring.baserate``), as a list of at most one:
    its single forecast at T0 scored like a forecaster's, relative to the same community median."""
    forecast = base_rate_ensure(question=question)
    if forecast is None:
        return []
    series = base_rate_series(forecast, question=question, t0=t0, te=te, outcome=outcome, community=community,
                              y_unit=y_unit)
    return [_series_score(question, Subject.BASE_RATE, series, points=1, now=now)]


def question_score(*, question_id: int, timings: ScoringTimings | None = None) -> int:
    """Score a resolved question and replace its Score, ForecastScore and QuestionScoring rows.

    Scores every forecaster with a forecast row on the question, the community median, the extremized aggregate
    (binary) and the market price (when the question has a market; its prices are first held to the forecast rules
    by ``sm.market_probabilities`` / ``sm.market_cdfs``, docs/scoring.md), over W = [T0, Te). Numeric outcomes are
    mapped with ``unit_position`` (log scale aware); an outcome beyond a closed bound is clamped to that bound (the
    question says it cannot lie there; the CRPS is the same either way) and logged.

    A question that is not resolved (unresolved or annulled since the task was queued) has its scores cleared.
    Idempotent: the question row is locked (``select_for_update``) and its rows deleted and rewritten in one
    transaction. Returns the number of Score rows written.
    """
    timings = timings if timings is not None else ScoringTimings()
    started = time.perf_counter()
    with transaction.atomic():
        question = (
            Question.objects.select_for_update().filter(pk=question_id).first()
        )
        if question is None:
            timings.skipped = "no such question"
            return 0
        if question.status != Question.Status.RESOLVED or question.outcome is None:
            _clear(question.pk)
            timings.skipped = f"question is {question.status}"
            return 0
        window = scoring_window(question)
        if window is None:
            _clear(question.pk)
            _mark_scored(question, forecasters=0)
            timings.skipped = "empty scoring window (known before the question opened)"
            return 0
        t0_dt, te_dt = window
        t0, te = t0_dt.timestamp(), te_dt.timestamp()
        rows = _load_forecasts(question)
        points = list(
            CommunityForecastPoint.objects.filter(question_id=question.pk)
            .order_by("created_at", "pk")
            .values_list("created_at", "median", "extremized", "cdf", "probabilities")
        )
        market = _market_series(question)
        timings.load = time.perf_counter() - started

        started = time.perf_counter()
        now = db_datetime(timezone.now())
        weight_fields = WEIGHT_FIELDS
        if question.is_multiple_choice:
            scores, weights = score_choice_question(
                question, rows, points, market, t0, te, now, timings, intervals=_intervals,
                forecaster_scores=_forecaster_scores, series_score=_series_score, market_score=_market_score,
            )
            weight_fields = CHOICE_WEIGHT_FIELDS
        elif question.is_binary:
            scores, weights = _score_binary(question, rows, points, market, t0, te, now, timings)
        else:
            scores, weights = _score_numeric(question, rows, points, market, t0, te, now, timings)
        timings.compute = time.perf_counter() - started

        started = time.perf_counter()
        _clear(question.pk)
        rows_insert(Score, SCORE_FIELDS, scores)
        rows_insert(ForecastScore, weight_fields, weights)
        _mark_scored(question, forecasters=int(timings.forecasters))
        timings.store = time.perf_counter() - started
    timings.scores_written, timings.weights_written = len(scores), len(weights)
    return len(scores)


SCORE_FIELDS = ["question", "subject", "user", "loss", "coverage", "relative", "baseline", "peer", "active_seconds",
                "forecasts_count", "computed_at"]
WEIGHT_FIELDS = ["question", "subject", "forecast", "user", "probability", "active_fraction", "outcome"]


def _mark_scored(question: Question, *, forecasters: int) -> None:
    QuestionScoring.objects.create(
        question=question, outcome=question.outcome, resolved_at=question.resolved_at, forecasters=forecasters,
        computed_at=timezone.now(),
    )


def _intervals(rows: _Rows, t0: float, te: float):
    """Intervals of every forecast row plus the forecaster index mapping.

    Withdrawals enter as rows withdrawn the instant they are made: they end the forecaster's previous forecast
    (as a next row does) and have no interval themselves. A row stamped before T0 (the open time was moved after
    forecasts were made) counts from T0.
    """
    users, forecaster = np.unique(rows.user, return_inverse=True)
    created = np.maximum(rows.created, t0)
    withdrawn = np.where(rows.is_forecast, np.nan, created)
    iv = sm.build_intervals(forecaster.astype(np.int64), created, withdrawn, t0, te)
    counts = np.bincount(forecaster[rows.is_forecast & (created < te)], minlength=users.size)
    return users, iv, counts


def _forecaster_scores(question, users, counts, result: sm.ForecasterScores, now) -> list[tuple]:
    """Score rows (SCORE_FIELDS order), one per forecaster."""
    subject = str(Subject.FORECASTER)
    loss = [None if np.isnan(x) else x for x in result.loss.tolist()]
    relative = [None if np.isnan(x) else x for x in result.relative.tolist()]
    return [
        (question.pk, subject, user_id, lo, cov, rel, base, peer, active, count, now)
        for user_id, lo, cov, rel, base, peer, active, count in zip(
            users.tolist(), loss, result.coverage.tolist(), relative, result.baseline.tolist(),
            result.peer.tolist(), result.active_seconds.tolist(), counts.tolist(),
        )
    ]


def _score_binary(question, rows, points, market, t0, te, now, timings):
    o = int(round(question.outcome))
    if o not in (0, 1):
        raise ValueError(f"outcome: a binary question resolves to 1 or 0, got {question.outcome!r}")
    users, iv, counts = _intervals(rows, t0, te)
    timings.forecasters, timings.forecasts = int(users.size), int(rows.pk.size)
    c_times = _seconds([p[0] for p in points])
    median = np.array([np.nan if p[1] is None else p[1] for p in points], dtype=np.float64)
    extremized = np.array([np.nan if p[2] is None else p[2] for p in points], dtype=np.float64)
    result = sm.score_binary(
        iv.forecaster, iv.start, iv.end, rows.probability[iv.row], outcome=o, t0=t0, te=te,
        community_times=c_times, community_values=median, n_forecasters=users.size, check_overlap=False,
    )
    scores = _forecaster_scores(question, users, counts, result, now)
    in_window = int((c_times < te).sum())
    community = dict(community_times=c_times, community_values=median)
    scores.append(_series_score(question, Subject.COMMUNITY_MEDIAN, sm.score_binary_series(
        c_times, median, outcome=o, t0=t0, te=te, **community), points=in_window, now=now))
    scores.append(_series_score(question, Subject.COMMUNITY_EXTREMIZED, sm.score_binary_series(
        c_times, extremized, outcome=o, t0=t0, te=te, **community), points=in_window, now=now))
    scores += _base_rate_score(question, t0=t0, te=te, outcome=o, community=community, now=now)
    if market is not None and market.yes is not None and len(market.times):
        m_times = _seconds(market.times)
        scores += _market_score(question, timings, now=now, points=int((m_times < te).sum()), series=lambda: (
            sm.score_binary_series(m_times, sm.market_probabilities(market.yes), outcome=o, t0=t0, te=te,
                                   **community)))

    # Calibration weights: each forecast's active fraction of |W|; the community median's values likewise.
    span = te - t0
    fraction = iv.seconds / span
    subject = str(Subject.FORECASTER)
    weights = [
        (question.pk, subject, fid, uid, p, w, o)
        for fid, uid, p, w in zip(
            rows.pk[iv.row].tolist(), users[iv.forecaster].tolist(), rows.probability[iv.row].tolist(),
            fraction.tolist(),
        )
    ]
    if c_times.size:
        start = np.clip(c_times, t0, te)
        end = np.clip(np.append(c_times[1:], te), t0, te)
        keep = ~np.isnan(median) & (end > start)
        subject = str(Subject.COMMUNITY_MEDIAN)
        weights += [
            (question.pk, subject, None, None, p, w, o)
            for p, w in zip(median[keep].tolist(), ((end - start)[keep] / span).tolist())
        ]
    return scores, weights


def _outcome_unit(question: Question, timings: ScoringTimings) -> float:
    y_unit = sm.unit_position(
        question.outcome, range_min=question.range_min, range_max=question.range_max, log_scale=question.log_scale
    )
    if (y_unit < 0 and not question.open_lower_bound) or (y_unit > 1 and not question.open_upper_bound):
        note = (
            f"question {question.pk}: outcome {question.outcome!r} lies beyond a closed bound of "
            f"[{question.range_min}, {question.range_max}]; scored at the bound"
        )
        logger.warning(note)
        timings.notes.append(note)
        y_unit = min(max(y_unit, 0.0), 1.0)
    return float(y_unit)


def _score_numeric(question, rows, points, market, t0, te, now, timings):
    y_unit = _outcome_unit(question, timings)
    bounds = dict(open_lower=question.open_lower_bound, open_upper=question.open_upper_bound)
    users, iv, counts = _intervals(rows, t0, te)
    timings.forecasters, timings.forecasts = int(users.size), int(rows.pk.size)
    c_times = _seconds([p[0] for p in points])
    c_cdfs = np.full((len(points), sm.GRID_SIZE), np.nan)
    defined = [i for i, p in enumerate(points) if p[3] is not None]
    if defined:
        c_cdfs[defined] = _decode_cdfs([p[3] for p in points], np.array(defined))
    # Each forecast row yields at most one interval, so the CRPS of each row is computed once (inside the kernel).
    result = sm.score_numeric(
        iv.forecaster, iv.start, iv.end, _decode_cdfs(rows.cdf_blobs, iv.row), y_unit=y_unit, t0=t0, te=te,
        community_times=c_times, community_cdfs=c_cdfs, n_forecasters=users.size, check_overlap=False, **bounds,
    )
    scores = _forecaster_scores(question, users, counts, result, now)
    community = dict(community_times=c_times, community_cdfs=c_cdfs)
    scores.append(_series_score(question, Subject.COMMUNITY_MEDIAN, sm.score_numeric_series(
        c_times, c_cdfs, y_unit=y_unit, t0=t0, te=te, **bounds, **community),
        points=int((c_times < te).sum()), now=now))
    scores += _base_rate_score(question, t0=t0, te=te, outcome=None, community=community, now=now, y_unit=y_unit)
    if market is not None and len(market.times):
        m_times = _seconds(market.times)
        scores += _market_score(question, timings, now=now, points=int((m_times < te).sum()), series=lambda: (
            sm.score_numeric_series(m_times, sm.market_cdfs(market.prices, **bounds), y_unit=y_unit, t0=t0, te=te,
                                    **bounds, **community)))
    return scores, []


# ---------------------------------------------------------------------------------------------------------------
# question_scores_clear
# ---------------------------------------------------------------------------------------------------------------


def _clear(question_id: int) -> None:
    Score.objects.filter(question_id=question_id).delete()
    ForecastScore.objects.filter(question_id=question_id).delete()
    QuestionScoring.objects.filter(question_id=question_id).delete()


def question_scores_clear(*, question_id: int) -> None:
    """Delete every score, calibration weight and scoring mark of the question (on unresolve or annul).
    Idempotent. Call ``leaderboards_rebuild(question_id=...)`` afterwards."""
    with transaction.atomic():
        _clear(question_id)
