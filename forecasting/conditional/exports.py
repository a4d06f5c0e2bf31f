"""CSV downloads of a conditional pair once its branches are settled: every forecast (both branches) and the branch
scores, streamed like the question exports (forecasting.scoring.exports)."""
from __future__ import annotations

from collections.abc import Iterator

from forecasting.conditional.models import ConditionalForecast, ConditionalPair, ConditionalScore
from forecasting.scoring.exports import _number, stream_csv

_CHUNK = 2000


def pair_forecast_rows(pair: ConditionalPair) -> Iterator[list]:
    yield ["pair_id", "parent_id", "child_id", "forecast_id", "username", "display_name", "created_at", "kind",
           "p_yes", "p_no"]
    qs = (ConditionalForecast.objects.filter(pair=pair).order_by("created_at", "pk")
          .values_list("pk", "user__username", "user__profile__display_name", "created_at", "kind", "p_yes", "p_no"))
    for pk, username, name, created, kind, p_yes, p_no in qs.iterator(chunk_size=_CHUNK):
        yield [pair.pk, pair.parent_id, pair.child_id, pk, username, name or "", created.isoformat(), kind,
               _number(p_yes), _number(p_no)]


def pair_score_rows(pair: ConditionalPair) -> Iterator[list]:
    yield ["pair_id", "branch", "subject", "username", "display_name", "loss", "coverage", "relative", "baseline",
           "peer", "active_seconds", "forecasts_count"]
    qs = (ConditionalScore.objects.filter(pair=pair).order_by("subject", "relative", "user_id")
          .values_list("branch", "subject", "user__username", "user__profile__display_name", "loss", "coverage",
                       "relative", "baseline", "peer", "active_seconds", "forecasts_count"))
    for branch, subject, username, name, *numbers, count in qs.iterator(chunk_size=_CHUNK):
        yield [pair.pk, branch, subject, username or "", name or "", *(_number(x) for x in numbers), count]


def pair_forecasts_csv(pair: ConditionalPair):
    return stream_csv(pair_forecast_rows(pair), filename=f"{pair.slug}-forecasts.csv")


def pair_scores_csv(pair: ConditionalPair):
    return stream_csv(pair_score_rows(pair), filename=f"{pair.slug}-scores.csv")
