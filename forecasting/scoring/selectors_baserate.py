"""Reads of the base-rate reference forecaster: its forecast on a question (for the page) and its line on a
leaderboard ("beat the base rate"), each a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, F, OuterRef, Subquery, Sum

from forecasting.scoring.baserate import base_rate_propose
from forecasting.scoring.models import Score
from forecasting.scoring.models_baserate import BaseRateForecast
from forecasting.scoring.services.leaderboards import scope_questions
from markets.models import Question

Subject = Score.Subject


@dataclass
class BaseRateView:
    """What the question page shows: the probability (binary) or the median (numeric) and the source sentence."""

    method: str
    source: str
    probability: float | None
    citation: dict
    url: str
    stored: bool


def question_base_rate(*, question: Question) -> BaseRateView | None:
    """The stored base-rate forecast, or (not yet stored: the question is open and unscored) what it would be; no
    write on a read. None when the base rate has nothing to say."""
    stored = BaseRateForecast.objects.filter(question_id=question.pk).first()
    if stored is not None:
        return BaseRateView(stored.method, stored.source, stored.probability, stored.citation,
                            stored.citation.get("url", ""), True)
    if question.status == Question.Status.DRAFT:
        return None
    proposal = base_rate_propose(question=question)
    if proposal is None:
        return None
    return BaseRateView(proposal.method, proposal.source, proposal.probability, proposal.citation,
                        proposal.citation.get("url", ""), False)


@dataclass
class BaseRateLine:
    """The base rate's reference line on a leaderboard: the same columns as a forecaster's, no rank.
    ``ahead`` counts the forecasters whose sum of relative scores is lower (better)."""

    questions: int
    sum_relative: float
    mean_loss: float | None
    mean_coverage: float | None
    mean_baseline: float | None
    ahead: int

    def as_dict(self) -> dict:
        return {"label": "Base rate (reference)", "questions": self.questions, "sum_relative": self.sum_relative,
                "mean_loss": self.mean_loss, "mean_coverage": self.mean_coverage,
                "mean_baseline": self.mean_baseline, "forecasters_ahead": self.ahead}


def leaderboard_base_rate(*, scope_kind: str, scope_key: str) -> BaseRateLine | None:
    """The base rate's line over the scope's resolved questions it forecast, or None if it scored none. Two
    queries."""
    from forecasting.scoring.models import LeaderboardEntry

    try:
        questions = scope_questions(scope_kind, scope_key)
    except (ValueError, OverflowError):  # not a scope (a season that is no year): no board, so no line
        return None
    totals = Score.objects.filter(
        subject=Subject.BASE_RATE, loss__isnull=False, question_id__in=questions.values("pk"),
    ).aggregate(n=Count("id"), sum_relative=Sum("relative"), mean_loss=Avg("loss"), mean_coverage=Avg("coverage"),
                mean_baseline=Avg("baseline"))
    if not totals["n"]:
        return None
    sum_relative = totals["sum_relative"] or 0.0
    ahead = LeaderboardEntry.objects.filter(scope_kind=scope_kind, scope_key=scope_key,
                                            sum_relative__lt=sum_relative).count()
    return BaseRateLine(totals["n"], sum_relative, totals["mean_loss"], totals["mean_coverage"],
                        totals["mean_baseline"], ahead)


def users_versus_base_rate(*, user_ids: list[int], scope_kind: str, scope_key: str) -> dict[int, tuple[int, int]]:
    """{user id: (questions where the user's loss beat the base rate's, questions both scored)} over the scope, for
    the users of one leaderboard page (call it for a scope ``leaderboard_base_rate`` accepted). One query."""
    base_loss = Subquery(Score.objects.filter(question_id=OuterRef("question_id"), subject=Subject.BASE_RATE,
                                              loss__isnull=False).values("loss")[:1])
    rows = (
        Score.objects.filter(subject=Subject.FORECASTER, user_id__in=user_ids, loss__isnull=False,
                             question_id__in=scope_questions(scope_kind, scope_key).values("pk"))
        .annotate(base_loss=base_loss).filter(base_loss__isnull=False)
        .values("user_id").annotate(both=Count("id"), beat=Count("id", filter=_beats()))
        .values_list("user_id", "beat", "both")
    )
    return {user_id: (beat, both) for user_id, beat, both in rows}


def _beats():
    from django.db.models import Q

    return Q(loss__lt=F("base_loss"))
