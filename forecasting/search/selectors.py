"""One search over questions, assets, trials and news (the header's search box, /search/ and /api/v1/search/).

The matching rule is ``assets.selectors_search``'s (full-text with prefixes on PostgreSQL, punctuation-blind
``icontains`` everywhere). A question matches by its own title, or through its trial (acronym, NCT id, title) or its
asset (name, aliases, development codes), including the assets its trial tests: "CC-92480" and "NCT05552976" find
every question on mezigdomide's SUCCESSOR-2. Drafts are found by staff only. Every group is a lazy queryset with the
joins its rows need, so a page of results runs a fixed number of queries whatever its length.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from assets import selectors_search as search
from assets.models import Trial
from markets.models import Question

KINDS = ("questions", "assets", "trials", "news")
QUESTION_FIELDS = ("title",)


@dataclass(frozen=True)
class SearchResults:
    """The query's words and one queryset per kind (``KINDS``); no words means every group is empty."""

    text: str
    words: list[str]
    questions: QuerySet
    assets: QuerySet
    trials: QuerySet
    news: QuerySet

    def group(self, kind: str) -> QuerySet:
        return getattr(self, kind)


def question_search_results(*, words: list[str], user) -> QuerySet[Question]:
    """Questions matching ``words`` directly or through their trial or asset; drafts for staff only."""
    named_assets = search.matching_asset_ids(words)
    # Also the assets tested in a trial named by acronym or NCT id, as in the asset group.
    assets = search.asset_search_results(words).values("pk")
    trials = search.matching_trial_ids(words)
    trials_of_assets = Trial.assets.through.objects.filter(asset_id__in=named_assets).values("trial_id")
    through = Q(trial_id__in=trials) | Q(asset_id__in=assets) | Q(trial_id__in=trials_of_assets)
    queryset = Question.objects.all() if getattr(user, "is_staff", False) else Question.objects.filter_visible()
    return (
        search.search_filter(queryset, fields=QUESTION_FIELDS, words=words, also=through)
        .select_related("trial", "asset")
        .order_by("-search_rank", "title", "pk")
    )


def search_everything(*, text: str, user) -> SearchResults:
    """Every group's results for ``text`` as seen by ``user`` (querysets: nothing runs until they are read)."""
    words = search.search_words(text)
    return SearchResults(
        text=(text or "").strip()[: search.MAX_QUERY_LENGTH],
        words=words,
        questions=question_search_results(words=words, user=user),
        assets=search.asset_search_results(words),
        trials=search.trial_search_results(words),
        news=search.news_search_results(words),
    )
