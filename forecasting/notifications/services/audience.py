"""Who follows what, in one query per event: the audience of a question is everyone following it, its trial or its
asset, less anyone who unfollowed the question itself (an inactive row: they chose to leave it)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from forecasting.accounts.models import Follow


def question_audiences(questions: Iterable) -> dict[int, set[int]]:
    """{question id: user ids} for ``questions`` (each with trial_id and asset_id). One query."""
    questions = list(questions)
    if not questions:
        return {}
    qids = [q.pk for q in questions]
    tids = {q.trial_id for q in questions if q.trial_id}
    aids = {q.asset_id for q in questions if q.asset_id}
    rows = Follow.objects.filter(
        Q(question_id__in=qids) | Q(trial_id__in=tids, active=True) | Q(asset_id__in=aids, active=True)
    ).values_list("user_id", "question_id", "trial_id", "asset_id", "active")
    by_question, left = defaultdict(set), defaultdict(set)
    by_trial, by_asset = defaultdict(set), defaultdict(set)
    for user_id, question_id, trial_id, asset_id, active in rows:
        if question_id:
            (by_question if active else left)[question_id].add(user_id)
        elif trial_id:
            by_trial[trial_id].add(user_id)
        elif asset_id:
            by_asset[asset_id].add(user_id)
    return {
        q.pk: (by_question[q.pk] | by_trial.get(q.trial_id, set()) | by_asset.get(q.asset_id, set())) - left[q.pk]
        for q in questions
    }


def question_left(question_ids: Iterable[int]) -> dict[int, set[int]]:
    """{question id: users who unfollowed it}. One query."""
    left = defaultdict(set)
    for user_id, question_id in Follow.objects.filter(question_id__in=list(question_ids), active=False).values_list(
        "user_id", "question_id"
    ):
        left[question_id].add(user_id)
    return left


def trial_asset_audience(*, trial_ids: Iterable[int] = (), asset_ids: Iterable[int] = (),
                         user_ids: Iterable[int] = ()) -> set[int]:
    """Users actively following any of these trials, assets or users. One query."""
    condition = Q(trial_id__in=list(trial_ids)) | Q(asset_id__in=list(asset_ids)) | Q(followed_user_id__in=list(user_ids))
    return set(Follow.objects.filter(condition, active=True).values_list("user_id", flat=True))


def trial_left(trial_id: int) -> set[int]:
    return set(Follow.objects.filter(trial_id=trial_id, active=False).values_list("user_id", flat=True))
