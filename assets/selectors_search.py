"""Text search over assets (names, aliases, development codes), trials (acronym, NCT id, title) and news.

One matching rule on every database, so "successor 2" finds SUCCESSOR-2 and "cc92480" finds CC-92480:
- the query is cut into words (letters and digits; punctuation is a separator);
- a row matches when every word is contained, ignoring case, in one of the searched fields, or when the query with
  punctuation and spaces removed is contained in a field with its punctuation and spaces removed.
On PostgreSQL the same rows also match through full-text search (``simple`` configuration, every word a prefix, so
"mezi" finds Mezigdomide; hyphens are read as spaces, since the parser turns "SUCCESSOR-2" into "successor" and "-2"),
and results are ordered by ``SearchRank``. Nothing here writes; no index is needed at the sizes the site has (a few
thousand rows); a GIN index on the same expressions is the next step if that changes.
"""
from __future__ import annotations

import re
from functools import reduce
from operator import and_, or_

from django.db import connection
from django.db.models import F, FloatField, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Lower, Replace
from django.db.models.lookups import Contains

from assets.models import Asset, AssetAlias, NewsItem, Trial

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
# Characters dropped from both sides by the compact comparison ("SUCCESSOR-2" -> "successor2").
_COMPACT_DROP = (" ", "-", "_", ".", "/", ",", "(", ")", ":", "'", "+")
_WORD = re.compile(r"[^\W_]+")

ASSET_FIELDS = ("name",)
ALIAS_FIELDS = ("name",)
TRIAL_FIELDS = ("acronym", "registry_id", "title")
NEWS_FIELDS = ("title", "source", "body")


def search_words(text: str) -> list[str]:
    """The query's words, lower-cased: letters and digits, at most ``MAX_WORDS`` (an empty list searches nothing)."""
    return _WORD.findall((text or "")[:MAX_QUERY_LENGTH].lower())[:MAX_WORDS]


def _compact(field: str):
    expression = Lower(F(field), output_field=TextField())
    for char in _COMPACT_DROP:
        expression = Replace(expression, Value(char), Value(""), output_field=TextField())
    return expression


def text_match(fields: tuple[str, ...], words: list[str]) -> Q:
    """The database-neutral rule (module docstring) over ``fields`` of one model; no words match nothing."""
    if not words:
        return Q(pk__in=[])
    compact = "".join(words)
    any_compact = reduce(or_, (Q(Contains(_compact(field), compact)) for field in fields))
    every_word = reduce(and_, (reduce(or_, (Q(**{f"{field}__icontains": w}) for field in fields)) for w in words))
    return any_compact | every_word


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _vector_and_query(fields: tuple[str, ...], words: list[str]):
    """A ``simple`` search vector over ``fields`` (hyphens and slashes read as spaces) and a prefix query."""
    from django.contrib.postgres.search import SearchQuery, SearchVector  # needs psycopg: PostgreSQL only

    spaced = [Func(F(field), Value("-/_"), Value("   "), function="translate", output_field=TextField()) for field in fields]
    vector = SearchVector(*spaced, config="simple")
    # Words are letters and digits only, so the raw tsquery cannot be malformed.
    query = SearchQuery(" & ".join(f"{w}:*" for w in words), search_type="raw", config="simple")
    return vector, query


def search_filter(queryset: QuerySet, *, fields: tuple[str, ...], words: list[str], also: Q | None = None) -> QuerySet:
    """``queryset`` narrowed to rows matching ``words`` in ``fields`` (or ``also``), annotated with ``search_rank``
    (a float, higher first; 0 on SQLite, where the caller's ordering is kept)."""
    match = text_match(fields, words)
    if also is not None:
        match |= also
    if not words or not _is_postgresql():
        return queryset.filter(match).annotate(search_rank=Value(0.0, output_field=FloatField()))
    from django.contrib.postgres.search import SearchRank

    vector, query = _vector_and_query(fields, words)
    return (
        queryset.annotate(search_document=vector)
        .filter(match | Q(search_document=query))
        .annotate(search_rank=SearchRank(vector, query))
    )


def _ids(queryset: QuerySet, fields: tuple[str, ...], words: list[str], column: str = "pk") -> QuerySet:
    return search_filter(queryset, fields=fields, words=words).values(column)


def matching_asset_ids(words: list[str]) -> QuerySet:
    """Ids of assets whose name or any alias (development code, other name) matches: a subquery."""
    by_alias = _ids(AssetAlias.objects.all(), ALIAS_FIELDS, words, "asset_id")
    return Asset.objects.filter(
        Q(pk__in=_ids(Asset.objects.all(), ASSET_FIELDS, words)) | Q(pk__in=by_alias)
    ).values("pk")


def matching_trial_ids(words: list[str]) -> QuerySet:
    """Ids of trials whose acronym, NCT id or title matches: a subquery."""
    return _ids(Trial.objects.all(), TRIAL_FIELDS, words)


def asset_search_results(words: list[str]) -> QuerySet[Asset]:
    """Assets matching by name or alias, or tested in a trial named by acronym or NCT id ("successor 2" finds
    mezigdomide), with sponsor and aliases (three queries per page), best first."""
    by_alias = _ids(AssetAlias.objects.all(), ALIAS_FIELDS, words, "asset_id")
    named_trials = _ids(Trial.objects.all(), ("acronym", "registry_id"), words)
    by_trial = Trial.assets.through.objects.filter(trial_id__in=named_trials).values("asset_id")
    return (
        search_filter(Asset.objects.all(), fields=ASSET_FIELDS, words=words,
                      also=Q(pk__in=by_alias) | Q(pk__in=by_trial))
        .select_related("sponsor")
        .prefetch_related("aliases")
        .order_by("-search_rank", "name", "pk")
    )


def trial_search_results(words: list[str]) -> QuerySet[Trial]:
    """Trials matching by acronym, NCT id or title, or testing a matching asset ("CC-92480" finds SUCCESSOR-2), with
    their sponsor, best first."""
    by_asset = Trial.assets.through.objects.filter(asset_id__in=matching_asset_ids(words)).values("trial_id")
    return (
        search_filter(Trial.objects.all(), fields=TRIAL_FIELDS, words=words, also=Q(pk__in=by_asset))
        .select_related("sponsor")
        .order_by("-search_rank", "acronym", "registry_id", "pk")
    )


def news_search_results(words: list[str]) -> QuerySet[NewsItem]:
    """News items matching by title, source or text, newest first among equals."""
    return search_filter(NewsItem.objects.all(), fields=NEWS_FIELDS, words=words).order_by(
        "-search_rank", "-date", "-pk"
    )
