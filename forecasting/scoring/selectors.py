"""Reads of scores, leaderboards, track records and calibration. Every function runs a fixed number of queries,
whatever the number of rows (leaderboards are served from stored rows; calibration is one query plus numpy)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from forecasting.maths.calibration import calibration_bins, murphy_decomposition
from forecasting.resolution.models import ResolutionEvent, ResolutionProcessed
from forecasting.resolution.models import STATE_ACTIONS
from forecasting.scoring.models import FORECASTER_ORDER
from forecasting.scoring.models import ForecastScore, LeaderboardEntry, LeaderboardScope, QuestionScoring, Score
from markets.models import Market, Question

Subject = Score.Subject
AGGREGATE_ORDER = [Subject.COMMUNITY_MEDIAN, Subject.COMMUNITY_EXTREMIZED, Subject.MARKET, Subject.BASE_RATE]
LEADERBOARD_ORDERINGS = ("relative", "mean")


@dataclass
class QuestionScores:
    """A scored question's results: the aggregates (crowd median, extremized, market) and every forecaster."""

    question: Question
    aggregates: list[Score]
    forecasters: list[Score]
    forecaster_total: int = 0  # all scored forecasters; ``forecasters`` may hold only the first ``limit``

    @property
    def forecasters_hidden(self) -> int:
        return self.forecaster_total - len(self.forecasters)

    @property
    def by_subject(self) -> dict[str, Score]:
        return {s.subject: s for s in self.aggregates}


def question_scores(*, question: Question, limit: int | None = None) -> QuestionScores | None:
    """The scores of a resolved, scored question (None otherwise); with ``limit``, only the first ``limit``
    forecasters (pages show the best and link to the CSV, so a question with 10,000 forecasters stays fast).

    Forecasters are ordered by relative score (best first), then by loss; those whose forecasts all came after
    the close (no loss) come last. Three queries: the scoring mark, the aggregates, the forecasters (+1 count).
    """
    if question.status != Question.Status.RESOLVED or not QuestionScoring.objects.filter(question=question).exists():
        return None
    scores = Score.objects.filter(question=question)
    aggregates = sorted(scores.filter(user__isnull=True).order_by(), key=lambda s: AGGREGATE_ORDER.index(s.subject))
    forecasters = (
        scores.filter(user__isnull=False)
        .select_related("user__profile")
        .only(*_SCORE_ROW_FIELDS, "user__username", "user__profile__display_name")
        .order_by(*FORECASTER_ORDER)  # served by the score_question_forecasters index
    )
    rows = list(forecasters[:limit] if limit else forecasters)
    total = len(rows) if limit is None or len(rows) < limit else forecasters.order_by().count()
    return QuestionScores(question=question, aggregates=aggregates, forecasters=rows, forecaster_total=total)


_SCORE_ROW_FIELDS = ("question", "subject", "user", "loss", "coverage", "relative", "baseline", "peer")


def display_name(user) -> str:
    """The profile's display name, or the username (needs ``user__profile`` selected to avoid a query)."""
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


# ---------------------------------------------------------------------------------------------------------------
# Leaderboards
# ---------------------------------------------------------------------------------------------------------------


def leaderboard_scopes() -> QuerySet:
    """Every non-empty materialized leaderboard, for the scope selector. One query."""
    return LeaderboardScope.objects.filter(entry_count__gt=0).order_by("kind", "label", "key")


# auth_user columns no leaderboard or scores table shows (the password hash least of all).
_USER_COLUMNS_NOT_SHOWN = ("password", "last_login", "is_superuser", "first_name", "last_name", "email", "date_joined")


def leaderboard_scope(*, scope_kind: str, scope_key: str) -> LeaderboardScope | None:
    return LeaderboardScope.objects.filter(kind=scope_kind, key=scope_key).first()


def leaderboard(*, scope_kind: str, scope_key: str, ordering: str = "relative") -> QuerySet:
    """A leaderboard's entries with users and profiles, one query per page.

    ``ordering`` "relative": everyone by rank (sum of relative scores, lower is better); "mean": only forecasters
    with enough questions, by mean Brier/CRPS.

    Raises:
        ValueError: an unknown scope kind or ordering.
    """
    if scope_kind not in LeaderboardScope.Kind.values:
        raise ValueError(f"scope: {scope_kind!r} is not one of {', '.join(LeaderboardScope.Kind.values)}")
    if ordering not in LEADERBOARD_ORDERINGS:
        raise ValueError(f"order: {ordering!r} is not one of {', '.join(LEADERBOARD_ORDERINGS)}")
    qs = (
        LeaderboardEntry.objects.filter(scope_kind=scope_kind, scope_key=scope_key)
        .select_related("user__profile")
        .defer(*(f"user__{name}" for name in _USER_COLUMNS_NOT_SHOWN))
    )
    if ordering == "mean":
        return qs.filter(qualifies_for_mean_ranking=True).order_by("rank_by_mean", "user_id")
    return qs.order_by("rank", "-questions", "user_id")


# ---------------------------------------------------------------------------------------------------------------
# Track record
# ---------------------------------------------------------------------------------------------------------------


def _aggregate_loss(subject: str):
    return Subquery(
        Score.objects.filter(question_id=OuterRef("question_id"), subject=subject).values("loss")[:1]
    )


def user_track_record(*, user) -> QuerySet:
    """The user's scores on resolved questions, most recently resolved first, each annotated with the crowd's and
    the market's loss on that question (``crowd_loss``, ``market_loss``). One query."""
    return (
        Score.objects.filter(user=user, subject=Subject.FORECASTER, question__status=Question.Status.RESOLVED)
        .select_related("question__trial", "question__asset")
        .annotate(
            crowd_loss=_aggregate_loss(Subject.COMMUNITY_MEDIAN), market_loss=_aggregate_loss(Subject.MARKET)
        )
        .order_by(F("question__resolved_at").desc(nulls_last=True), "-question_id")
    )


def user_score_summary(*, user) -> dict:
    """Totals over the user's track record (one query): questions, sum of relative, mean loss."""
    from django.db.models import Avg, Count, Sum

    return Score.objects.filter(
        user=user, subject=Subject.FORECASTER, loss__isnull=False, question__status=Question.Status.RESOLVED
    ).aggregate(questions=Count("id"), sum_relative=Sum("relative"), mean_loss=Avg("loss"))


# ---------------------------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------------------------


def _finite(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class Calibration:
    bins: list[dict]
    murphy: dict
    forecasts: int
    questions: int

    @property
    def is_empty(self) -> bool:
        return self.forecasts == 0

    def as_dict(self) -> dict:
        return {"bins": self.bins, "murphy": self.murphy, "forecasts": self.forecasts, "questions": self.questions}


def calibration(*, user=None) -> Calibration:
    """Calibration table and Murphy decomposition over resolved binary questions (SCORING.md section 5).

    ``user`` None means the community: the community median's values, each weighted by the fraction of |W| it was
    active. For a user, each forecast weighs its active fraction of its question's window. One query plus numpy.
    NaN (empty bins, no data) is returned as None.
    """
    qs = ForecastScore.objects.filter(question__status=Question.Status.RESOLVED)
    if user is None:
        qs = qs.filter(subject=Subject.COMMUNITY_MEDIAN)
    else:
        qs = qs.filter(subject=Subject.FORECASTER, user=user)
    rows = list(qs.values_list("probability", "active_fraction", "outcome", "question_id"))
    if rows:
        p, w, o, qid = (np.array(col) for col in zip(*rows))
        p, w, o = p.astype(np.float64), w.astype(np.float64), o.astype(np.float64)
    else:
        p = w = o = np.zeros(0)
        qid = np.zeros(0, dtype=np.int64)
    bins = calibration_bins(p, w, o, qid)
    murphy = murphy_decomposition(p, w, o)
    table = [
        {
            "lower": float(bins.lower[k]), "upper": float(bins.upper[k]), "weight": float(bins.weight[k]),
            "questions": int(bins.n_questions[k]), "mean_forecast": _finite(bins.mean_forecast[k]),
            "observed_frequency": _finite(bins.observed_frequency[k]),
            "wilson_low": _finite(bins.wilson_low[k]), "wilson_high": _finite(bins.wilson_high[k]),
        }
        for k in range(bins.lower.size)
    ]
    summary = {
        "reliability": _finite(murphy.reliability), "resolution": _finite(murphy.resolution),
        "uncertainty": _finite(murphy.uncertainty), "brier": _finite(murphy.brier),
        "base_rate": _finite(murphy.base_rate), "total_weight": float(murphy.total_weight),
    }
    summary["rel_minus_res_plus_unc"] = (
        None if summary["reliability"] is None
        else summary["reliability"] - summary["resolution"] + summary["uncertainty"]
    )
    return Calibration(bins=table, murphy=summary, forecasts=len(rows), questions=int(np.unique(qid).size))


# ---------------------------------------------------------------------------------------------------------------
# For the resolution task's periodic sweep
# ---------------------------------------------------------------------------------------------------------------


def questions_needing_scores() -> QuerySet:
    """Resolved questions whose scores are missing or belong to an earlier resolution (no QuestionScoring row for
    the current outcome and resolution time). One query."""
    current = QuestionScoring.objects.filter(
        question_id=OuterRef("pk"), outcome=OuterRef("outcome"), resolved_at=OuterRef("resolved_at")
    )
    return (
        Question.objects.filter(status=Question.Status.RESOLVED, outcome__isnull=False)
        .exclude(Exists(current))
        .order_by("resolved_at", "pk")
    )


def questions_out_of_step() -> QuerySet:
    """Questions whose derived state does not match their resolution, whatever the reason (a task lost with the
    broker, a worker that died between steps). One query. A question is listed when:

    - its latest state-changing ResolutionEvent (resolve, confirm, annul, unresolve) has not been processed
      (no ResolutionProcessed row naming it);
    - it is resolved and has no scores for its current outcome and resolution time, or its market is not settled;
    - it is annulled and its market is not refunded, or it still has score rows;
    - it is neither resolved nor annulled (unresolved) and still has score rows or a settled or refunded market.
    """
    S = Question.Status
    latest_event = Subquery(
        ResolutionEvent.objects.filter(question_id=OuterRef("pk"), action__in=STATE_ACTIONS)
        .order_by("-created_at", "-pk").values("pk")[:1]
    )
    processed = ResolutionProcessed.objects.filter(question_id=OuterRef("pk"), event_id=OuterRef("latest_event"))
    current_scores = QuestionScoring.objects.filter(
        question_id=OuterRef("pk"), outcome=OuterRef("outcome"), resolved_at=OuterRef("resolved_at")
    )
    any_scores = Score.objects.filter(question_id=OuterRef("pk"))
    any_scoring = QuestionScoring.objects.filter(question_id=OuterRef("pk"))
    settled = Market.objects.filter(question_id=OuterRef("pk"), status=Market.Status.SETTLED)
    refunded = Market.objects.filter(question_id=OuterRef("pk"), status=Market.Status.REFUNDED)
    has_market = Market.objects.filter(question_id=OuterRef("pk"))
    final = Market.objects.filter(
        question_id=OuterRef("pk"), status__in=[Market.Status.SETTLED, Market.Status.REFUNDED]
    )
    return (
        Question.objects.annotate(latest_event=latest_event)
        .filter(
            (Q(latest_event__isnull=False) & ~Exists(processed))
            | Q(status=S.RESOLVED, outcome__isnull=False) & (~Exists(current_scores) | (Exists(has_market) & ~Exists(settled)))
            | Q(status=S.ANNULLED) & ((Exists(has_market) & ~Exists(refunded)) | Exists(any_scores))
            | ~Q(status__in=[S.RESOLVED, S.ANNULLED]) & (Exists(any_scores) | Exists(any_scoring) | Exists(final))
        )
        .order_by("resolved_at", "pk")
    )
