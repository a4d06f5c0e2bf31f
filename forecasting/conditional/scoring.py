"""Scoring a conditional pair (docs/scoring.md, "Conditional pairs").

Once both questions are resolved, the branch the parent's outcome selected is scored as a binary forecast of the
child, with the same maths as any binary question (``forecasting.maths.scoring.score_binary``: time-averaged Brier,
relative Brier against the branch's community median, baseline and peer log scores) over the pair's window
W = [T0, Te): T0 the pair's open time (the latest of both questions' open times and the pair's creation), Te the
earlier of both questions' actual close times (once the parent's answer is public the forecast is no longer
conditional). The other branch is annulled: no score. If either question is annulled, both branches are.

``conditional_pair_score`` recomputes and replaces the pair's rows in one transaction (idempotent), so it runs after
every resolution, unresolution or annulment of either question (``forecasting.pipeline``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from forecasting.common.bulk import db_datetime, rows_insert
from forecasting.conditional.models import (
    ConditionalCommunityPoint, ConditionalForecast, ConditionalPair, ConditionalScore,
)
from forecasting.conditional.services import pair_open_time
from forecasting.maths import scoring as sm
from forecasting.scoring.services.scoring import scoring_window
from markets.models import Question

S = Question.Status
SCORE_FIELDS = ["pair", "branch", "subject", "user", "loss", "coverage", "relative", "baseline", "peer",
                "active_seconds", "forecasts_count", "computed_at"]


@dataclass(frozen=True)
class BranchStatus:
    """What became of each branch: "open", "awaiting" (the parent or the child is not resolved yet), "scored" or
    "annulled", with a sentence saying why."""

    yes: str
    no: str
    reason: str
    scored_branch: str | None = None


def pair_branch_status(pair: ConditionalPair) -> BranchStatus:
    parent, child = pair.parent, pair.child
    if S.ANNULLED in (parent.status, child.status):
        which = "parent" if parent.status == S.ANNULLED else "child"
        return BranchStatus("annulled", "annulled", f"The {which} question was annulled, so both branches are.")
    if parent.status != S.RESOLVED:
        state = "open" if parent.status == S.OPEN and child.status == S.OPEN else "awaiting"
        return BranchStatus(state, state, "Both branches wait for the parent question's answer.")
    branch = "yes" if parent.outcome == 1 else "no"
    other = "no" if branch == "yes" else "yes"
    said = "Yes" if branch == "yes" else "No"
    if child.status != S.RESOLVED:
        status = {branch: "awaiting", other: "annulled"}
        return BranchStatus(status["yes"], status["no"], f"The parent resolved {said}: the {branch} branch is "
                            f"scored when the child resolves; the {other} branch is annulled.", branch)
    status = {branch: "scored", other: "annulled"}
    return BranchStatus(status["yes"], status["no"], f"The parent resolved {said}: the {branch} branch is scored, "
                        f"the {other} branch is annulled.", branch)


def _window(pair: ConditionalPair) -> tuple[float, float] | None:
    ends = [scoring_window(pair.parent), scoring_window(pair.child)]
    if None in ends:
        return None
    t0 = pair_open_time(pair).timestamp()
    te = min(end[1] for end in ends).timestamp()
    return (t0, te) if te > t0 else None


def _seconds(values) -> np.ndarray:
    return np.fromiter((v.timestamp() for v in values), dtype=np.float64, count=len(values))


def conditional_pair_score(*, pair_id: int) -> str:
    """Recompute the pair's branch scores and replace its rows; returns the scored branch ("yes"/"no") or "" when
    nothing is scored (a branch waits, both are annulled, or the window is empty). The pair row is locked."""
    with transaction.atomic():
        pair = (ConditionalPair.objects.select_for_update(of=("self",)).select_related("parent", "child")
                .filter(pk=pair_id).first())
        if pair is None:
            return ""
        ConditionalScore.objects.filter(pair_id=pair.pk).delete()
        status = pair_branch_status(pair)
        window = _window(pair) if status.scored_branch and status.yes != "awaiting" and status.no != "awaiting" \
            else None
        if window is None:
            return ""
        branch = status.scored_branch
        rows_insert(ConditionalScore, SCORE_FIELDS, _branch_rows(pair, branch, int(round(pair.child.outcome)), *window))
        return branch


def _branch_rows(pair: ConditionalPair, branch: str, outcome: int, t0: float, te: float) -> list[tuple]:
    value = "p_yes" if branch == "yes" else "p_no"
    rows = list(ConditionalForecast.objects.filter(pair_id=pair.pk).order_by("created_at", "pk")
                .values_list("user_id", "kind", "created_at", value))
    points = list(ConditionalCommunityPoint.objects.filter(pair_id=pair.pk).order_by("created_at", "pk")
                  .values_list("created_at", f"{branch}_median", f"{branch}_extremized"))
    now = db_datetime(timezone.now())
    c_times = _seconds([p[0] for p in points])
    median = np.array([np.nan if p[1] is None else p[1] for p in points], dtype=np.float64)
    extremized = np.array([np.nan if p[2] is None else p[2] for p in points], dtype=np.float64)
    out = []
    if rows:
        user = np.array([r[0] for r in rows], dtype=np.int64)
        is_forecast = np.array([r[1] == ConditionalForecast.Kind.FORECAST for r in rows])
        created = np.maximum(_seconds([r[2] for r in rows]), t0)
        probability = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64)
        users, forecaster = np.unique(user, return_inverse=True)
        iv = sm.build_intervals(forecaster.astype(np.int64), created, np.where(is_forecast, np.nan, created), t0, te)
        counts = np.bincount(forecaster[is_forecast & (created < te)], minlength=users.size)
        result = sm.score_binary(
            iv.forecaster, iv.start, iv.end, probability[iv.row], outcome=outcome, t0=t0, te=te,
            community_times=c_times, community_values=median, n_forecasters=users.size, check_overlap=False,
        )
        for i, user_id in enumerate(users.tolist()):
            out.append((pair.pk, branch, "forecaster", user_id, _none(result.loss[i]), float(result.coverage[i]),
                        _none(result.relative[i]), _none(result.baseline[i]), _none(result.peer[i]),
                        float(result.active_seconds[i]), int(counts[i]), now))
    in_window = int((c_times < te).sum())
    for subject, values in (("community_median", median), ("community_extremized", extremized)):
        series = sm.score_binary_series(c_times, values, outcome=outcome, t0=t0, te=te, community_times=c_times,
                                        community_values=median)
        baseline = _none(series.baseline) if series.active_seconds > 0 else None
        out.append((pair.pk, branch, subject, None, _none(series.loss), float(series.coverage),
                    _none(series.relative), baseline, None, float(series.active_seconds), in_window, now))
    return out


def _none(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def conditional_pairs_rescore(*, question_id: int) -> list[int]:
    """Rescore every pair the question belongs to (as parent or child); returns their ids. Idempotent."""
    ids = list(ConditionalPair.objects.filter(Q(parent_id=question_id) | Q(child_id=question_id))
               .order_by("pk").values_list("pk", flat=True))
    for pair_id in ids:
        conditional_pair_score(pair_id=pair_id)
    return ids
