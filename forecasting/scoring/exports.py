"""Streamed CSV exports: a resolved question's forecasts, its scores, and any leaderboard.

Rows are produced by generators over ``iterator()`` querysets and written through a csv writer on a pseudo-buffer,
so memory stays flat however many rows there are (Django's documented StreamingHttpResponse pattern).
"""
from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from forecasting.forecasts.models import Forecast
from forecasting.forecasts.selectors import finite_json
from forecasting.scoring.models import LeaderboardEntry, Score
from forecasting.scoring.selectors_baserate import leaderboard_base_rate
from markets.models import Question

_CHUNK = 2000


class _Echo:
    """A file-like object whose write returns the line instead of storing it."""

    def write(self, value):
        return value


def _number(x) -> str:
    # Blank, like a missing value, for a NaN or infinity a row written by older code may hold.
    return "" if x is None or not math.isfinite(float(x)) else repr(float(x))


def stream_csv(rows: Iterable[list], *, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def question_forecast_rows(question: Question) -> Iterator[list]:
    """Header then every forecast and withdrawal on the question in time order. Binary: the probability; numeric:
    what the forecaster submitted (JSON). ``active_fraction`` is the calibration weight (binary, once scored).
    Multiple choice: ``choice_forecast_rows``."""
    if question.is_multiple_choice:
        yield from choice_forecast_rows(question)
        return
    yield ["question_id", "forecast_id", "username", "display_name", "created_at", "kind", "probability", "input",
           "active_fraction"]
    qs = (
        Forecast.objects.filter(question=question)
        .order_by("created_at", "pk")
        .values_list("pk", "user__username", "user__profile__display_name", "created_at", "kind", "probability",
                     "input", "score__active_fraction")
    )
    for pk, username, name, created, kind, p, given, fraction in qs.iterator(chunk_size=_CHUNK):
        yield [question.pk, pk, username, name or "", created.isoformat(), kind, _number(p),
               "" if question.is_binary else json.dumps(finite_json(given), sort_keys=True), _number(fraction)]


def choice_forecast_rows(question: Question) -> Iterator[list]:
    """A multiple-choice question's forecasts: one column per option, ``p_<index> <label>`` in the question's option
    order, holding that option's probability (blank for a withdrawal)."""
    options = list(question.options or [])
    yield ["question_id", "forecast_id", "username", "display_name", "created_at", "kind",
           *(f"p_{i} {label}" for i, label in enumerate(options))]
    qs = (
        Forecast.objects.filter(question=question)
        .order_by("created_at", "pk")
        .values_list("pk", "user__username", "user__profile__display_name", "created_at", "kind", "probabilities")
    )
    for pk, username, name, created, kind, probabilities in qs.iterator(chunk_size=_CHUNK):
        values = probabilities if isinstance(probabilities, list) and len(probabilities) == len(options) else []
        yield [question.pk, pk, username, name or "", created.isoformat(), kind,
               *(_number(p) for p in values or [None] * len(options))]


SCORE_COLUMNS = ["question_id", "subject", "username", "display_name", "loss", "coverage", "relative", "baseline",
                 "peer", "active_seconds", "forecasts_count"]


def question_score_rows(question: Question) -> Iterator[list]:
    """Header then the aggregates' and every forecaster's scores (loss = Brier or unit CRPS)."""
    yield SCORE_COLUMNS
    qs = (
        Score.objects.filter(question=question)
        .order_by("subject", "relative", "user_id")
        .values_list("subject", "user__username", "user__profile__display_name", "loss", "coverage", "relative",
                     "baseline", "peer", "active_seconds", "forecasts_count")
    )
    for subject, username, name, *numbers, count in qs.iterator(chunk_size=_CHUNK):
        yield [question.pk, subject, username or "", name or "", *(_number(x) for x in numbers), count]


LEADERBOARD_COLUMNS = ["scope", "key", "rank", "username", "display_name", "sum_relative", "questions", "mean_loss",
                       "mean_coverage", "mean_baseline", "mean_peer", "qualifies_for_mean_ranking", "rank_by_mean"]


def leaderboard_rows(scope_kind: str, scope_key: str) -> Iterator[list]:
    yield LEADERBOARD_COLUMNS
    qs = (
        LeaderboardEntry.objects.filter(scope_kind=scope_kind, scope_key=scope_key)
        .order_by("rank", "-questions", "user_id")
        .values_list("rank", "user__username", "user__profile__display_name", "sum_relative", "questions",
                     "mean_loss", "mean_coverage", "mean_baseline", "mean_peer", "qualifies_for_mean_ranking",
                     "rank_by_mean")
    )
    for rank, username, name, sum_rel, n, loss, cov, base, peer, qualifies, by_mean in qs.iterator(chunk_size=_CHUNK):
        yield [scope_kind, scope_key, rank, username, name or "", _number(sum_rel), n, _number(loss), _number(cov),
               _number(base), _number(peer), "yes" if qualifies else "no", "" if by_mean is None else by_mean]
    line = leaderboard_base_rate(scope_kind=scope_kind, scope_key=scope_key)
    if line is not None:  # the reference line, labelled and unranked (docs/scoring.md, "The base-rate forecaster")
        yield [scope_kind, scope_key, "", "base_rate", "Base rate (reference)", _number(line.sum_relative),
               line.questions, _number(line.mean_loss), _number(line.mean_coverage), _number(line.mean_baseline), "",
               "no", ""]


def question_forecasts_csv(question: Question) -> StreamingHttpResponse:
    return stream_csv(question_forecast_rows(question), filename=f"{question.slug}-forecasts.csv")


def question_scores_csv(question: Question) -> StreamingHttpResponse:
    return stream_csv(question_score_rows(question), filename=f"{question.slug}-scores.csv")


def leaderboard_csv(scope_kind: str, scope_key: str) -> StreamingHttpResponse:
    safe_key = "".join(c if c.isalnum() or c in "-_" else "-" for c in scope_key)
    return stream_csv(leaderboard_rows(scope_kind, scope_key), filename=f"leaderboard-{scope_kind}-{safe_key}.csv")
