"""Read-side queries for forecasts and the community forecast. Visibility rules live here, in one place:
while a question's community forecast is hidden, nobody sees it, nor anyone's forecast but their own."""
import json
import math
from functools import lru_cache

import numpy as np
from django.db import connection
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from forecasting.forecasts.models import CommunityForecastPoint, CommunityState, Forecast, ForecasterQuestion
from forecasting.maths import cdf as cdf_math
from markets.models import Question

CHART_MAX_POINTS = 400


def community_latest(*, question: Question) -> CommunityForecastPoint | None:
    """The current community forecast, or None while hidden or before the first forecast."""
    if not question.is_revealed():
        return None
    state = CommunityState.objects.filter(question=question).select_related("latest_point").defer("data").first()
    return _with_question(state.latest_point, question) if state else None


def _with_question(point: CommunityForecastPoint | None, question: Question) -> CommunityForecastPoint | None:
    # Readers need the question's range and bounds to report the point's quantiles (community_quantiles); hand
    # them the instance already loaded instead of a query per point.
    if point is not None:
        point.question = question
    return point


def community_latest_map(*, questions) -> dict[int, CommunityForecastPoint]:
    """Latest community point per revealed question, for list pages: one query for the whole page. Each point
    carries its question (``point.question`` costs no query)."""
    revealed = {q.pk: q for q in questions if q.is_revealed()}
    if not revealed:
        return {}
    states = (
        CommunityState.objects.filter(question_id__in=list(revealed), latest_point__isnull=False)
        .select_related("latest_point")
        .only("question", "latest_point__question", *(f"latest_point__{name}" for name in _SERIES_FIELDS))
    )
    return {state.question_id: _with_question(state.latest_point, revealed[state.question_id]) for state in states}


def community_series(*, question: Question, max_points: int | None = CHART_MAX_POINTS) -> list[dict]:
    """The community forecast over time (each point with its timestamp), thinned to at most ``max_points`` points
    for charts: the first point and then the latest point at each of ``max_points`` evenly spaced instants, so the
    step function drawn from them is exact at those instants. Empty while hidden."""
    if not question.is_revealed():
        return []
    return _series_rows(question_id=question.pk, max_points=max_points)


def community_for_page(*, question: Question) -> tuple[CommunityForecastPoint | None, list[dict]]:
    """The latest community point and the chart series (``community_series``) for the question page, in one query
    when the series has been read before in this process.

    The series is memoized under (state token, latest point id): points are only ever appended, and every new
    forecast or withdrawal appends one, so those two name one series exactly; the token changes if the state row is
    ever recreated (a restored database reusing ids). A hot question's page thus skips ~400 index probes on every
    view between two forecasts. ``(None, [])`` while hidden.
    """
    if not question.is_revealed():
        return None, []
    state = CommunityState.objects.filter(question=question).select_related("latest_point").defer("data").first()
    if state is None or state.latest_point_id is None:
        return None, community_series(question=question)
    rows = _memoized_series(question.pk, state.token, state.latest_point_id, CHART_MAX_POINTS)
    return _with_question(state.latest_point, question), [dict(zip(_SERIES_FIELDS, row)) for row in rows]


SERIES_MEMO_SIZE = 64  # entries of <= CHART_MAX_POINTS tuples each: a few MB per process at most


@lru_cache(maxsize=SERIES_MEMO_SIZE)
def _memoized_series(question_id: int, token, latest_point_id: int, max_points: int) -> tuple[tuple, ...]:
    rows = _series_rows(question_id=question_id, max_points=max_points)
    return tuple(tuple(row[name] for name in _SERIES_FIELDS) for row in rows)


def _series_rows(*, question_id: int, max_points: int | None) -> list[dict]:
    points = CommunityForecastPoint.objects.filter(question_id=question_id)
    if not max_points or not points.order_by()[max_points:max_points + 1].exists():
        return list(points.order_by("created_at", "pk").values(*_SERIES_FIELDS))
    if connection.vendor == "postgresql":
        return _series_thinned_postgresql(question_id=question_id, n=max_points)
    # Elsewhere (SQLite in development): number the rows in SQL and keep evenly spaced ones.
    total = points.count()
    idx = np.unique(np.linspace(0, total - 1, max_points).round().astype(int)) + 1  # row_number() is 1-based
    numbered = points.annotate(row=Window(expression=RowNumber(), order_by=[F("created_at").asc(), F("pk").asc()]))
    return list(numbered.filter(row__in=idx.tolist()).order_by("created_at", "pk").values(*_SERIES_FIELDS))


_SERIES_FIELDS = ("created_at", "forecaster_count", "median", "extremized", "q10", "q50", "q90", "probabilities")
COMMUNITY_QUANTILES = ("q10", "q50", "q90")


def finite_or_none(x):
    """A stored float as served: None for NaN and ±inf (JSON has neither; rows written by older code may)."""
    return x if x is None or math.isfinite(x) else None


def finite_json(value):
    """A stored JSON value as served: every non-finite float replaced by None. Neither database stores NaN or
    Infinity tokens in a JSON column, but a number such as 1e999 (which older code could write) reads as inf
    (SQLite) or as an integer past any float's range (PostgreSQL's jsonb)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1e308:
        return None  # PostgreSQL's jsonb keeps 1e999 as an exact number no float (and no JSON reader) can hold
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite_json(item) for item in value]
    return value


def community_quantiles(*, question: Question, point) -> dict:
    """The 10/50/90% quantiles of one community point as the API, the pages and the charts report them
    (docs/forecast-maths.md 2.5): ``{"q10": value, "q10_beyond": marker, ...}`` where each value is None or a
    finite number within [range_min, range_max], and the marker is "below" / "above" when that quantile lies at or
    beyond an open bound (the value is then the bound), else None. ``point`` is a CommunityForecastPoint or a series
    row (dict). Rows stored by older code (±inf, NaN, 0.0 on a log scale) are reported the same way."""
    get = point.get if isinstance(point, dict) else (lambda name: getattr(point, name))
    out = {}
    for name in COMMUNITY_QUANTILES:
        value, beyond = (None, None) if question.is_binary else cdf_math.quantile_in_range(
            get(name), range_min=question.range_min, range_max=question.range_max,
            open_lower=question.open_lower_bound, open_upper=question.open_upper_bound,
        )
        out[name], out[f"{name}_beyond"] = value, beyond
    return out


def _series_thinned_postgresql(*, question_id: int, n: int) -> list[dict]:
    # One index probe on (question, created_at) per instant instead of numbering every point: a question with
    # 50,000 points costs ~n probes, not a scan of all its rows.
    columns = ", ".join(f"p.{name}" for name in _SERIES_FIELDS)
    table = CommunityForecastPoint._meta.db_table
    sql = f"""
        WITH bounds AS (
            SELECT MIN(created_at) AS t0, MAX(created_at) AS t1 FROM {table} WHERE question_id = %(q)s
        )
        SELECT DISTINCT ON (p.id) {columns}, p.id
        FROM bounds, generate_series(0, %(n)s) AS g(i)
        CROSS JOIN LATERAL (
            SELECT * FROM {table}
            WHERE question_id = %(q)s AND created_at <= bounds.t0 + (bounds.t1 - bounds.t0) * g.i / %(n)s
            ORDER BY created_at DESC, id DESC
            LIMIT 1
        ) p
        ORDER BY p.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"q": question_id, "n": n - 1})
        rows = [dict(zip(_SERIES_FIELDS, row[:-1])) for row in cursor.fetchall()]
    for row in rows:  # raw SQL: the driver may hand jsonb over as text
        if isinstance(row["probabilities"], str):
            row["probabilities"] = json.loads(row["probabilities"])
    return sorted(rows, key=lambda row: row["created_at"])


def community_points(*, question: Question) -> QuerySet:
    """Every community point, oldest first (the caller checks visibility)."""
    return CommunityForecastPoint.objects.filter(question=question).order_by("created_at", "pk")


def forecast_history(*, question: Question, user) -> QuerySet:
    """The user's own forecasts and withdrawals on a question, oldest first. Always visible to their author."""
    return Forecast.objects.filter(question=question, user=user).order_by("created_at", "pk")


def current_forecast(*, question: Question, user) -> Forecast | None:
    if not getattr(user, "is_authenticated", False):
        return None
    fq = ForecasterQuestion.objects.filter(question=question, user=user).select_related("current").first()
    return fq.current if fq else None


def rationales(*, question: Question, viewer=None, limit: int = 20) -> list[Forecast]:
    """Recent forecasts with a rationale, from everyone (only the viewer's own while the question is hidden)."""
    qs = (
        Forecast.objects.filter(question=question, kind=Forecast.Kind.FORECAST)
        .exclude(rationale="")
        .select_related("user__profile")
        .only("question", "user", "kind", "created_at", "probability", "probabilities", "input", "rationale",
              "user__username", "user__profile__display_name")
        .order_by("-created_at", "-pk")
    )
    if not question.is_revealed():
        if not getattr(viewer, "is_authenticated", False):
            return []
        qs = qs.filter(user=viewer)
    return list(qs[:limit])


def my_forecasts(*, user) -> QuerySet:
    """The user's questions with their current forecast, most recently updated first."""
    return (
        ForecasterQuestion.objects.filter(user=user)
        .select_related("question__trial", "question__asset", "current")
        .defer("current__cdf")
        .order_by("-updated_at")
    )


def forecasters_on_question(*, question: Question) -> QuerySet:
    return ForecasterQuestion.objects.filter(question=question).select_related("user", "user__profile")


