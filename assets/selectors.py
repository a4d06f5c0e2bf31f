"""Reads for the assets pages and API: querysets shaped so that a list runs a fixed number of queries.

Every ``*_queryset`` function returns a queryset with the joins and prefetches its page or endpoint needs; callers
filter and paginate it further. Nothing here writes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from django.db.models import CharField, Count, F, Max, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from assets.models import (
    Asset,
    Company,
    NewsItem,
    PublicMoment,
    Readout,
    Trial,
    TrialEndpoint,
    TrialEvent,
    endpoint_kind_rank,
)


# --- companies ---------------------------------------------------------------------------------------------------

def company_list_queryset() -> QuerySet[Company]:
    return Company.objects.prefetch_related("aliases")


def company_search(queryset: QuerySet[Company], text: str) -> QuerySet[Company]:
    """Narrow ``queryset`` to companies whose name or any alias contains ``text`` (case-insensitive).

    A ``pk IN (subquery)`` rather than a join, as in :func:`asset_search`, so a company with two matching aliases
    is listed once.
    """
    text = text.strip()
    if not text:
        return queryset
    matches = Company.objects.filter(Q(name__icontains=text) | Q(aliases__name__icontains=text))
    return queryset.filter(pk__in=matches.values("pk"))


def sponsor_choices() -> QuerySet[Company]:
    """Companies that sponsor at least one asset, by name: the options of the asset list's sponsor select."""
    return Company.objects.filter(pk__in=Asset.objects.values("sponsor_id")).order_by("name")


def trial_sponsor_choices() -> QuerySet[Company]:
    """Companies that sponsor at least one trial, by name: the options of the trial list's sponsor select."""
    return Company.objects.filter(pk__in=Trial.objects.values("sponsor_id")).order_by("name")


# --- assets ------------------------------------------------------------------------------------------------------

def asset_search(queryset: QuerySet[Asset], text: str) -> QuerySet[Asset]:
    """Narrow ``queryset`` to assets whose name or any alias contains ``text`` (case-insensitive).

    Uses a ``pk IN (subquery)`` rather than a join so the result has no duplicate rows and annotations such as
    ``trial_count`` are not multiplied by the number of matching aliases.
    """
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(pk__in=Asset.objects.filter_search(text).values("pk"))


def asset_list_queryset() -> QuerySet[Asset]:
    """Assets with sponsor, aliases, indications and ``trial_count``: three queries whatever the number of rows."""
    return (
        Asset.objects.select_related("sponsor")
        .prefetch_related("aliases", "indications")
        .annotate(trial_count=Count("trials", distinct=True))
        .order_by("name")
    )


def asset_api_queryset() -> QuerySet[Asset]:
    """Assets with everything the API serializer shows, in a fixed number of queries whatever the page size."""
    return (
        Asset.objects.select_related("sponsor")
        .prefetch_related(
            "aliases",
            "commentary",
            "indications",
            Prefetch("trials", queryset=Trial.objects.only("pk").order_by("pk")),
        )
        .order_by("name")
    )


def asset_detail_queryset() -> QuerySet[Asset]:
    """One asset page: aliases, commentary, trials (with sponsor, indication, events) and news, prefetched."""
    return Asset.objects.select_related("sponsor").prefetch_related(
        "aliases",
        "commentary",
        "indications",
        Prefetch(
            "trials",
            queryset=Trial.objects.select_related("sponsor", "indication").prefetch_related(
                Prefetch("events", queryset=TrialEvent.objects.select_related("news"))
            ),
        ),
        Prefetch("news", queryset=NewsItem.objects.order_by("-date", "-pk")),
    )


# --- trials ------------------------------------------------------------------------------------------------------

def trial_search(queryset: QuerySet[Trial], text: str) -> QuerySet[Trial]:
    """Narrow ``queryset`` to trials whose acronym, NCT id or title contains ``text`` (case-insensitive)."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(acronym__icontains=text) | Q(registry_id__icontains=text) | Q(title__icontains=text)
    )


def trial_list_queryset() -> QuerySet[Trial]:
    """Trials with sponsor, indication and assets: two queries (rows, then all their assets) whatever the count.

    Ordered by display name (acronym, else NCT id, else title) ignoring case, so a trial without an acronym sorts
    among the others rather than first.
    """
    sort_name = Coalesce(NullIf("acronym", Value("")), "registry_id", "title", output_field=CharField())
    return (
        Trial.objects.select_related("sponsor", "indication")
        .prefetch_related(Prefetch("assets", queryset=Asset.objects.only("pk", "name", "slug")))
        .annotate(sort_name=Lower(sort_name))
        .order_by("sort_name", "pk")
    )


def public_readouts_queryset(*, now: dt.datetime | None = None) -> QuerySet[Readout]:
    """Readouts already public at ``now`` (default: the current time).

    A readout entered ahead of a conference embargo has ``known_at`` in the future; showing it before then would
    leak the answer to every question bound to it.
    """
    return Readout.objects.filter(known_at__lte=now or timezone.now()).select_related("endpoint")


def trial_endpoints_queryset() -> QuerySet[TrialEndpoint]:
    """Trial endpoints with their Endpoint, primary first, then key secondary, then secondary, then by ``order``."""
    rank = endpoint_kind_rank()
    return TrialEndpoint.objects.select_related("endpoint").order_by(rank, "order", "pk")


def trial_api_queryset(*, detail: bool = False) -> QuerySet[Trial]:
    """Trials for the API; ``detail`` adds arms, endpoints, events and public readouts (to ``public_readouts``)."""
    qs = trial_list_queryset()
    if detail:
        qs = qs.prefetch_related(
            "arms",
            Prefetch("trial_endpoints", queryset=trial_endpoints_queryset()),
            "events",
            Prefetch("readouts", queryset=public_readouts_queryset(), to_attr="public_readouts"),
        )
    return qs


def trial_detail_queryset() -> QuerySet[Trial]:
    """One trial page: arms, endpoints, events with their news, news, assets, public readouts and scheduled public
    moments with their meetings, prefetched."""
    return Trial.objects.select_related("sponsor", "indication").prefetch_related(
        "arms",
        Prefetch("trial_endpoints", queryset=trial_endpoints_queryset()),
        Prefetch("events", queryset=TrialEvent.objects.select_related("news")),
        Prefetch("news", queryset=NewsItem.objects.order_by("-date", "-pk")),
        Prefetch("assets", queryset=Asset.objects.select_related("sponsor")),
        Prefetch("readouts", queryset=public_readouts_queryset(), to_attr="public_readouts"),
        Prefetch("public_moments", queryset=PublicMoment.objects.select_related("meeting").order_by("at", "pk")),
    )


def trial_find(*, identifier: str, queryset: QuerySet[Trial] | None = None) -> Trial:
    """The trial named by ``identifier``: its slug, else its NCT id or acronym ignoring case.

    Raises ``Trial.DoesNotExist`` when nothing matches, and ``Trial.MultipleObjectsReturned`` when an acronym is
    shared by several trials (the NCT id is then the only unambiguous name).
    """
    qs = queryset if queryset is not None else Trial.objects.all()
    identifier = identifier.strip()
    by_slug = list(qs.filter(slug=identifier)[:1])
    if by_slug:
        return by_slug[0]
    matches = list(qs.filter_identifier(identifier)[:2])
    if not matches:
        raise Trial.DoesNotExist(f"No trial has the slug, NCT id or acronym {identifier!r}.")
    if len(matches) > 1:
        raise Trial.MultipleObjectsReturned(
            f"The acronym {identifier!r} names several trials; use the NCT id instead."
        )
    return matches[0]


def trial_endpoints_by_kind(trial: Trial) -> list[tuple[str, list[TrialEndpoint]]]:
    """The trial's endpoints grouped as [(kind label, [TrialEndpoint, ...]), ...], primary first.

    Uses the prefetched ``trial_endpoints`` (``trial_endpoints_queryset`` order); kinds with no endpoint are left out.
    """
    groups: dict[str, list[TrialEndpoint]] = {}
    for te in trial.trial_endpoints.all():
        groups.setdefault(te.kind, []).append(te)
    labels = dict(TrialEndpoint.Kind.choices)
    return [(labels.get(kind, kind), items) for kind, items in groups.items()]


@dataclass(frozen=True)
class ReadoutSource:
    """The readouts one source (abstract, publication) reported, for a table with one header row per source."""

    source: str
    url: str
    known_at: dt.datetime  # the latest known_at among ``readouts``
    readouts: list[Readout]


def readouts_by_source(readouts: Iterable[Readout]) -> list[ReadoutSource]:
    """Group readouts by (source, url), keeping the order in which each source first appears."""
    groups: dict[tuple[str, str], list[Readout]] = {}
    for readout in readouts:
        groups.setdefault((readout.source, readout.url), []).append(readout)
    return [
        ReadoutSource(source=source, url=url, known_at=max(r.known_at for r in rows), readouts=rows)
        for (source, url), rows in groups.items()
    ]


# --- news --------------------------------------------------------------------------------------------------------

def news_api_queryset() -> QuerySet[NewsItem]:
    """News items, newest first, with the ids of their companies, assets and trials: a fixed number of queries."""
    return NewsItem.objects.prefetch_related(
        Prefetch("companies", queryset=Company.objects.only("pk")),
        Prefetch("assets", queryset=Asset.objects.only("pk")),
        Prefetch("trials", queryset=Trial.objects.only("pk")),
    ).order_by("-date", "-pk")


def news_mentioning_trial(queryset: QuerySet[NewsItem], identifier: str) -> QuerySet[NewsItem]:
    """Narrow ``queryset`` to items that mention a trial named by ``identifier``: its slug, or its NCT id or acronym
    ignoring case. An acronym shared by several trials matches the news of each; a blank identifier narrows nothing.
    """
    identifier = identifier.strip()
    if not identifier:
        return queryset
    trials = Trial.objects.filter(slug=identifier) | Trial.objects.filter_identifier(identifier)
    return queryset.filter(pk__in=NewsItem.objects.filter(trials__in=trials).values("pk"))


def news_about(*, trial_id: int | None, asset_id: int | None, limit: int) -> tuple[list[NewsItem], bool]:
    """The newest ``limit`` news items that mention the trial or the asset (either may be None), newest first, and
    whether there are more: one query (``limit + 1`` rows, an item mentioning both is listed once)."""
    if trial_id is None and asset_id is None:
        return [], False
    mentions = Q(pk__in=[])
    if trial_id is not None:
        mentions |= Q(pk__in=NewsItem.trials.through.objects.filter(trial_id=trial_id).values("newsitem_id"))
    if asset_id is not None:
        mentions |= Q(pk__in=NewsItem.assets.through.objects.filter(asset_id=asset_id).values("newsitem_id"))
    rows = list(NewsItem.objects.filter(mentions).only("pk", "date", "title", "source", "url", "body")
                .order_by("-date", "-pk")[: limit + 1])
    return rows[:limit], len(rows) > limit


# --- timelines ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    """One dated line of a timeline: a trial event (with its news, if any) or a news item on its own."""

    date: dt.date
    kind: str  # "topline", "readout", ... for events; "news" for a news item on its own
    kind_label: str
    title: str
    text: str = ""
    trial: Trial | None = None
    news: NewsItem | None = None
    date_label: str = ""  # set when the date is only known to the month, quarter, half or year ("Q1 2026")


def timeline_merge(*, events: Iterable[TrialEvent], news: Iterable[NewsItem]) -> list[TimelineEntry]:
    """Trial events and news items as one timeline, newest first.

    Precondition: each event's ``trial`` and ``news`` are loaded (select_related or a prefetch from the trial side),
    otherwise every line costs a query.

    A news item that an event already cites is shown on the event's line rather than twice. On the same date an
    event comes before a news item, so "topline: primary endpoint met" heads the story that reported it.
    """
    entries: list[TimelineEntry] = []
    cited_news: set[int] = set()
    for event in events:
        if event.news_id:
            cited_news.add(event.news_id)
        entries.append(
            TimelineEntry(
                date=event.date,
                kind=event.kind,
                kind_label=event.get_kind_display(),
                title=event.description,
                text=event.news.body if event.news_id and event.news else "",
                trial=event.trial,
                news=event.news if event.news_id else None,
                date_label="" if event.date_precision == TrialEvent.DatePrecision.DAY else event.date_display,
            )
        )
    for item in news:
        if item.pk in cited_news:
            continue
        entries.append(
            TimelineEntry(date=item.date, kind="news", kind_label="News", title=item.title, text=item.body, news=item)
        )
    # Stable sorts: newest date first, and events (rank 0) before news (rank 1) on the same date.
    entries.sort(key=lambda e: e.kind == "news")
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries


def trial_timeline(trial: Trial) -> list[TimelineEntry]:
    """The trial's events merged with its news (uses the prefetches of ``trial_detail_queryset``)."""
    return timeline_merge(events=trial.events.all(), news=trial.news.all())


def asset_timeline(asset: Asset) -> list[TimelineEntry]:
    """The asset's news merged with the events of its trials (uses the prefetches of ``asset_detail_queryset``)."""
    # The prefetch of trials__events already points each event's ``trial`` at its loaded trial: no extra queries.
    events = [event for trial in asset.trials.all() for event in trial.events.all()]
    return timeline_merge(events=events, news=asset.news.all())


# --- home page ---------------------------------------------------------------------------------------------------

def home_highlights(*, limit: int = 6, news_limit: int = 5) -> dict:
    """What the home page shows from this app: ``assets``, ``trials`` and ``news``, most newsworthy first.

    Assets and trials are ordered by their latest news date (those with none last), then by name, so the drug
    everyone is talking about leads. Each list is a fixed number of queries.
    """
    assets = (
        asset_list_queryset()
        .annotate(last_news=Max("news__date"))
        .order_by(F("last_news").desc(nulls_last=True), "name")[:limit]
    )
    trials = (
        trial_list_queryset()
        .annotate(last_news=Max("news__date"))
        .order_by(F("last_news").desc(nulls_last=True), "sort_name", "pk")[:limit]
    )
    news = NewsItem.objects.prefetch_related(
        Prefetch("assets", queryset=Asset.objects.only("pk", "name", "slug")),
        Prefetch("trials", queryset=Trial.objects.only("pk", "acronym", "registry_id", "slug", "title")),
    ).order_by("-date", "-pk")[:news_limit]
    return {"assets": assets, "trials": trials, "news": news}
