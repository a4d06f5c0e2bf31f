"""News items: content hash and upsert. See ``assets.services`` for the conventions every function follows."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable

from django.db import transaction

from assets.errors import ValidationError
from assets.models import (
    Asset,
    Company,
    NewsItem,
    Trial,
)
from assets.signals import news_published

# --- news ----------------------------------------------------------------------------------------------------------

def news_content_hash(*, date: dt.date, body: str) -> str:
    """SHA-256 (hex) of the date and the body with Unicode normalised (NFC) and every run of whitespace made one
    space, so re-wrapped copies of the same item hash alike."""
    text = unicodedata.normalize("NFC", body)
    text = re.sub(r"\s+", " ", text).strip()
    return hashlib.sha256(f"{date.isoformat()}\n{text}".encode()).hexdigest()


# Near-duplicates: a re-import of the same story with a typo fixed, a sentence reworded or a paragraph added is the
# same item (docs/registry.md, "What an import owns"). Two different stories about the same topline share a
# few phrases but few runs of three words; an edited copy shares most.
NEAR_DUPLICATE_RESEMBLANCE = 0.5
NEAR_DUPLICATE_DAYS = 7


def _shingles(body: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", unicodedata.normalize("NFC", body).casefold())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def news_resemblance(a: str, b: str) -> float:
    """How alike two texts are, 0 to 1: the share of runs of three words (shingles) they have in common (Jaccard)."""
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def news_item_find(*, date: dt.date, body: str) -> NewsItem | None:
    """The stored item this text is: the one with the same content hash, else the most alike item dated within
    ``NEAR_DUPLICATE_DAYS`` days whose resemblance (:func:`news_resemblance`) is at least
    ``NEAR_DUPLICATE_RESEMBLANCE`` (an edited copy of the same story); else ``None``."""
    body = body.strip()
    exact = NewsItem.objects.filter(content_hash=news_content_hash(date=date, body=body)).first()
    if exact:
        return exact
    window = dt.timedelta(days=NEAR_DUPLICATE_DAYS)
    best, best_score = None, NEAR_DUPLICATE_RESEMBLANCE
    for item in NewsItem.objects.filter(date__range=(date - window, date + window)).order_by("pk"):
        score = news_resemblance(item.body, body)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = item, score
    return best


def news_item_upsert(
    *,
    date: dt.date,
    body: str,
    title: str | None = None,
    source: str | None = None,
    url: str | None = None,
    companies: Iterable[Company] = (),
    assets: Iterable[Asset] = (),
    trials: Iterable[Trial] = (),
) -> tuple[NewsItem, bool, bool]:
    """Create the news item with this date and body, or update the one it is (:func:`news_item_find`: the same
    content hash, or an edited copy of the same story): its date, body and hash become these.

    ``None`` leaves ``title``, ``source`` and ``url`` as they are; links to ``companies``, ``assets`` and ``trials``
    are added, never removed (a link staff added by hand stays). Returns ``(item, created, changed)``; an update that
    changes nothing writes nothing.
    """
    body = body.strip()
    if not body:
        raise ValidationError("A news item needs a body.", field="body")
    item = news_item_find(date=date, body=body)
    created = item is None
    if created:
        item = NewsItem()
    values = {
        "date": date, "body": body, "content_hash": news_content_hash(date=date, body=body),
        "title": None if title is None else title[:300],
        "source": None if source is None else source[:300],
        "url": url,
    }
    if created:
        values = {f: ("" if v is None else v) for f, v in values.items()}
    changed = [f for f, v in values.items() if v is not None and getattr(item, f) != v]
    for field_name in changed:
        setattr(item, field_name, values[field_name])
    if created or changed:
        item.save()
    for relation, rows in (("companies", companies), ("assets", assets), ("trials", trials)):
        rows = list(rows)
        linked = set() if created else set(getattr(item, relation).values_list("pk", flat=True))
        missing = [row for row in rows if row.pk not in linked]
        if missing:
            getattr(item, relation).add(*missing)
            changed.append(relation)
    if created:
        item_id = item.pk
        transaction.on_commit(lambda: news_published.send(sender=NewsItem, news_id=item_id))
    return item, created, bool(changed)
