"""Leaderboards (SCORING.md section 5): materialized rankings of forecasters over the resolved questions of a scope
(global, a season, an asset, a trial, an indication), rebuilt from the stored ``Score`` rows after every resolution,
unresolution or annulment (``forecasting.resolution.services.resolution`` calls ``leaderboards_rebuild``). Each rebuild
replaces a scope's entries inside one transaction with the scope row locked, so rebuilding twice gives the same rows.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from forecasting.common.bulk import db_datetime, rows_insert
from forecasting.scoring.models import LeaderboardEntry, LeaderboardScope, Score
from markets.models import Question

Subject = Score.Subject
ScopeKind = LeaderboardScope.Kind
_RANK_DECIMALS = 12  # sums of relative scores equal to 12 decimals share a rank (float noise is not a difference)


def season_key(resolved_at: dt.datetime) -> str:
    """The season of a resolution: its calendar year in UTC, e.g. "2026"."""
    return str(resolved_at.astimezone(dt.timezone.utc).year)


def _season_bounds(key: str) -> tuple[dt.datetime, dt.datetime]:
    year = int(key)
    return (dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc))


def scope_questions(kind: str, key: str):
    """The resolved questions of a scope, as a Question queryset (used as a subquery)."""
    qs = Question.objects.filter(status=Question.Status.RESOLVED)
    if kind == ScopeKind.GLOBAL:
        return qs
    if kind == ScopeKind.SEASON:
        lo, hi = _season_bounds(key)
        return qs.filter(resolved_at__gte=lo, resolved_at__lt=hi)
    if kind == ScopeKind.ASSET:
        # A question's asset, or for a question without one, any asset of its trial.
        return qs.filter(Q(asset__slug=key) | Q(asset__isnull=True, trial__assets__slug=key)).distinct()
    if kind == ScopeKind.TRIAL:
        return qs.filter(trial__slug=key)
    if kind == ScopeKind.INDICATION:
        return qs.filter(trial__indication__slug=key)
    raise ValueError(f"scope: unknown kind {kind!r}; allowed: {', '.join(ScopeKind.values)}")


def question_scopes(question: Question) -> list[tuple[str, str, str]]:
    """(kind, key, label) of every leaderboard the question belongs to."""
    scopes = [(ScopeKind.GLOBAL.value, "global", ScopeKind.GLOBAL.label)]
    if question.resolved_at is not None:
        key = season_key(question.resolved_at)
        scopes.append((ScopeKind.SEASON.value, key, f"Season {key}"))
    if question.asset_id:
        scopes.append((ScopeKind.ASSET.value, question.asset.slug, question.asset.name))
    elif question.trial_id:
        scopes += [(ScopeKind.ASSET.value, a.slug, a.name) for a in question.trial.assets.all()]
    if question.trial_id:
        trial = question.trial
        scopes.append((ScopeKind.TRIAL.value, trial.slug, trial.name))
        if trial.indication_id:
            scopes.append((ScopeKind.INDICATION.value, trial.indication.slug, trial.indication.name))
    return scopes


def _competition_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of already sorted values; equal values share the best rank (1, 2, 2, 4)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(values.size, dtype=bool)
    new[1:] = values[1:] != values[:-1]
    positions = np.arange(1, values.size + 1)
    return np.maximum.accumulate(np.where(new, positions, 0))


def _scope_lock(kind: str, key: str, label: str) -> LeaderboardScope:
    """Get or create the scope row and lock it (call inside a transaction)."""
    try:
        with transaction.atomic():
            LeaderboardScope.objects.get_or_create(kind=kind, key=key, defaults={"label": label})
    except IntegrityError:  # created concurrently: it exists now
        pass
    return LeaderboardScope.objects.select_for_update().get(kind=kind, key=key)


def leaderboard_scope_rebuild(*, kind: str, key: str, label: str = "") -> int:
    """Recompute one leaderboard from the Score rows of its questions and replace its entries. Returns the number
    of entries. Forecasters' scores with a loss (some active forecast in the window) count; the scope row is locked
    so concurrent rebuilds take turns."""
    min_questions = settings.READOUT["LEADERBOARD_MIN_QUESTIONS"]
    with transaction.atomic():
        scope = _scope_lock(kind, key, label)
        questions = scope_questions(kind, key)
        rows = list(
            Score.objects.filter(
                subject=Subject.FORECASTER, loss__isnull=False, question_id__in=questions.values("pk")
            )
            .values("user_id")
            .annotate(
                sum_relative=Sum("relative"), n=Count("id"), mean_loss=Avg("loss"), mean_coverage=Avg("coverage"),
                mean_baseline=Avg("baseline"), mean_peer=Avg("peer"),
            )
            .values_list("user_id", "sum_relative", "n", "mean_loss", "mean_coverage", "mean_baseline", "mean_peer")
        )
        now = timezone.now()
        db_now = db_datetime(now)
        entries = []
        if rows:
            user, sum_rel, n, mean_loss, cov, base, peer = (np.array(col) for col in zip(*rows))
            sum_rel = np.nan_to_num(sum_rel.astype(np.float64)).round(_RANK_DECIMALS)
            mean_loss = mean_loss.astype(np.float64)
            n = n.astype(np.int64)
            # Main ordering: sum of relative scores, then more questions, then user id for a stable order.
            order = np.lexsort((user, -n, sum_rel))
            rank = np.empty(user.size, dtype=np.int64)
            rank[order] = _competition_ranks(sum_rel[order])
            qualifies = n >= min_questions
            by_mean = np.full(user.size, -1, dtype=np.int64)
            q_idx = np.flatnonzero(qualifies)
            if q_idx.size:
                q_loss = mean_loss[q_idx].round(_RANK_DECIMALS)
                q_order = np.lexsort((user[q_idx], q_loss))
                by_mean[q_idx[q_order]] = _competition_ranks(q_loss[q_order])
            cov = np.array([0.0 if x is None else x for x in cov], dtype=np.float64)
            base = np.array([0.0 if x is None else x for x in base], dtype=np.float64)
            peer = np.array([0.0 if x is None else x for x in peer], dtype=np.float64)
            entries = [
                (kind, key, u, r, sr, q, ml, c, b, pe, bool(ok), bm if bm > 0 else None, db_now)
                for u, r, sr, q, ml, c, b, pe, ok, bm in zip(
                    user[order].tolist(), rank[order].tolist(), sum_rel[order].tolist(), n[order].tolist(),
                    mean_loss[order].tolist(), cov[order].tolist(), base[order].tolist(), peer[order].tolist(),
                    qualifies[order].tolist(), by_mean[order].tolist(),
                )
            ]
        LeaderboardEntry.objects.filter(scope_kind=kind, scope_key=key).delete()
        rows_insert(LeaderboardEntry, ENTRY_FIELDS, entries)
        if entries:
            scope.label = label or scope.label
            scope.entry_count = len(entries)
            scope.question_count = Score.objects.filter(
                subject=Subject.FORECASTER, loss__isnull=False, question_id__in=questions.values("pk")
            ).values("question_id").distinct().count()
            scope.computed_at = now
            scope.save()
        else:
            scope.delete()  # an empty scope is not offered in the selector
    return len(entries)


ENTRY_FIELDS = ["scope_kind", "scope_key", "user", "rank", "sum_relative", "questions", "mean_loss", "mean_coverage",
                "mean_baseline", "mean_peer", "qualifies_for_mean_ranking", "rank_by_mean", "computed_at"]


def leaderboards_rebuild(*, question_id: int | None = None) -> dict[tuple[str, str], int]:
    """Rebuild the leaderboards the question belongs to (all of them when ``question_id`` is None).

    The question's scopes are global, its season (the UTC calendar year of resolved_at), its asset, trial and the
    trial's indication. Every existing season board is rebuilt too, because an unresolved question no longer
    says which season it was in. Returns {(kind, key): entries}.
    """
    scopes: dict[tuple[str, str], str] = {}
    if question_id is None:
        scopes[(ScopeKind.GLOBAL.value, "global")] = ScopeKind.GLOBAL.label
        for q in Question.objects.filter(status=Question.Status.RESOLVED).select_related(
            "asset", "trial__indication"
        ).prefetch_related("trial__assets"):
            scopes.update({(k, key): label for k, key, label in question_scopes(q)})
        for s in LeaderboardScope.objects.all():  # scopes that may have lost all their questions
            scopes.setdefault((s.kind, s.key), s.label)
    else:
        question = Question.objects.select_related("asset", "trial__indication").filter(pk=question_id).first()
        if question is not None:
            scopes.update({(k, key): label for k, key, label in question_scopes(question)})
        for s in LeaderboardScope.objects.filter(kind=ScopeKind.SEASON):
            scopes.setdefault((s.kind, s.key), s.label)
        scopes.setdefault((ScopeKind.GLOBAL.value, "global"), ScopeKind.GLOBAL.label)
    return {
        (kind, key): leaderboard_scope_rebuild(kind=kind, key=key, label=label)
        for (kind, key), label in scopes.items()
    }
