"""Reads of question groups: the list, and one group's members with each member's latest community forecast (a
fixed number of queries, whatever the number of members)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from forecasting.conditional.models import ConditionalCommunityPoint
from forecasting.conditional.scoring import pair_branch_status
from forecasting.conditional.selectors import pair_revealed
from forecasting.forecasts.models import CommunityForecastPoint
from forecasting.forecasts.selectors import community_latest_map
from forecasting.groups.models import QuestionGroup, QuestionGroupMember


def group_list(*, include_drafts: bool = False) -> QuerySet:
    qs = QuestionGroup.objects.select_related("trial").annotate(member_count=Count("members"))
    if not include_drafts:
        qs = qs.filter(status=QuestionGroup.Status.PUBLISHED)
    return qs.order_by("-created_at", "-pk")


@dataclass
class MemberRow:
    """One member as the group page and API show it. ``kind`` "binary" | "numeric" | "pair" | another question
    type; ``probability`` the community median (binary); ``q10/q50/q90`` the community quantiles (numeric);
    ``yes``/``no`` the branches' community medians and statuses (pair). None while hidden or unforecast."""

    member: QuestionGroupMember
    kind: str
    title: str
    url: str
    status: str
    forecasters: int = 0
    probability: float | None = None
    q10: float | None = None
    q50: float | None = None
    q90: float | None = None
    unit: str = ""
    yes: float | None = None
    no: float | None = None
    yes_status: str = ""
    no_status: str = ""


def group_member_rows(*, group: QuestionGroup) -> list[MemberRow]:
    """Every member in order with its community forecast. Three queries: members (with their questions and
    pairs), the questions' latest community points, the pairs' latest points."""
    members = list(group.members.select_related("question__trial", "pair__parent", "pair__child").order_by("order", "pk"))
    questions = [m.question for m in members if m.question_id]
    latest: dict[int, CommunityForecastPoint] = community_latest_map(questions=questions) if questions else {}
    pairs = [m.pair for m in members if m.pair_id]
    pair_points = {}
    if pairs:
        pair_points = {point.pair_id: point for point in _latest_pair_points(pairs)}
    rows = []
    for m in members:
        if m.question_id:
            q, point = m.question, latest.get(m.question_id)
            row = MemberRow(member=m, kind=q.type, title=q.title, url=q.get_absolute_url(), status=q.status,
                            forecasters=q.forecaster_count, unit=q.unit)
            if point is not None:
                if q.is_binary:
                    row.probability = point.median
                elif q.is_numeric:
                    row.q10, row.q50, row.q90 = point.q10, point.q50, point.q90
        else:
            pair, point = m.pair, pair_points.get(m.pair_id)
            status = pair_branch_status(pair)
            row = MemberRow(member=m, kind="pair", title=f"If \u201c{pair.parent.title}\u201d: {pair.child.title}",
                            url=pair.get_absolute_url(), status=pair.child.status, forecasters=pair.forecaster_count,
                            yes_status=status.yes, no_status=status.no)
            if point is not None and pair_revealed(pair):
                row.yes, row.no = point.yes_median, point.no_median
        rows.append(row)
    return rows


def _latest_pair_points(pairs) -> list[ConditionalCommunityPoint]:
    """The latest point of each pair, one query: the max pk per pair (points are appended in time order under the
    pair's state lock, so the max pk is the latest)."""
    from django.db.models import Max

    ids = (ConditionalCommunityPoint.objects.filter(pair__in=pairs).values("pair_id").annotate(last=Max("pk"))
           .values_list("last", flat=True))
    return list(ConditionalCommunityPoint.objects.filter(pk__in=ids))
