"""Reads of conditional pairs: lists with each branch's latest community forecast (one query per page), a pair's
community series, a forecaster's history, and the branch scores."""
from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from forecasting.conditional.models import (
    ConditionalCommunityPoint, ConditionalForecast, ConditionalPair, ConditionalScore,
)
from markets.models import Question

LATEST_FIELDS = ("forecaster_count", "yes_median", "yes_extremized", "no_median", "no_extremized")


def _latest(name: str) -> Subquery:
    return Subquery(ConditionalCommunityPoint.objects.filter(pair_id=OuterRef("pk"))
                    .order_by("-created_at", "-pk").values(name)[:1])


def pair_list(*, include_drafts: bool = False, question: Question | None = None) -> QuerySet:
    """Pairs (drafts, i.e. a draft question, for staff only), newest first, with the latest community point's
    fields annotated as ``latest_<field>``: one query for a page."""
    qs = ConditionalPair.objects.select_related("parent__trial", "child__trial").annotate(
        **{f"latest_{name}": _latest(name) for name in LATEST_FIELDS}
    )
    if not include_drafts:
        qs = qs.exclude(Q(parent__status=Question.Status.DRAFT) | Q(child__status=Question.Status.DRAFT))
    if question is not None:
        qs = qs.filter(Q(parent=question) | Q(child=question))
    return qs.order_by("-created_at", "-pk")


def pair_visible(pair: ConditionalPair, *, user) -> bool:
    if user is not None and user.is_staff:
        return True
    return Question.Status.DRAFT not in (pair.parent.status, pair.child.status)


def pair_revealed(pair: ConditionalPair) -> bool:
    """The crowd on each branch is shown once both questions reveal their own community forecast."""
    return pair.parent.is_revealed() and pair.child.is_revealed()


def pair_community_points(*, pair: ConditionalPair) -> QuerySet:
    return ConditionalCommunityPoint.objects.filter(pair=pair).order_by("created_at", "pk")


def pair_history(*, pair: ConditionalPair, user) -> QuerySet:
    return ConditionalForecast.objects.filter(pair=pair, user=user).order_by("-created_at", "-pk")


def pair_current(*, pair: ConditionalPair, user) -> ConditionalForecast | None:
    if user is None or not user.is_authenticated:
        return None
    latest = pair_history(pair=pair, user=user).first()
    return latest if latest is not None and latest.kind == ConditionalForecast.Kind.FORECAST else None


def pair_scores(*, pair: ConditionalPair) -> QuerySet:
    return (ConditionalScore.objects.filter(pair=pair).select_related("user__profile")
            .order_by("user_id", "relative", "pk"))
