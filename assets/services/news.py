"""News items: content hash and upsert. See ``assets.services`` for the conventions every function follows."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable

from assets.errors import ValidationError
from assets.models import (
    Asset,
    Company,
    NewsItem,
    Trial,
)

# --- news ----------------------------------------------------------------------------------------------------------

def news_content_hash(*, date: dt.date, body: str) -> str:
    """SHA-256 (hex) of the date and the body with Unicode normalised (NFC) and every run of whitespace made one
    space, so re-wrapped copies of the same item hash alike."""
    text = unicodedata.normalize("NFC", body)
    text = re.sub(r"\s+", " ", text).strip()
    return hashlib.sha256(f"{date.isoformat()}\n{text}".encode()).hexdigest()


def news_item_upsert(
    *,
    date: dt.date,
    body: str,
    title: str = "",
    source: str = "",
    url: str = "",
    companies: Iterable[Company] = (),
    assets: Iterable[Asset] = (),
    trials: Iterable[Trial] = (),
) -> tuple[NewsItem, bool]:
    """Create the news item with this date and body, or update the one with the same content hash; its links are
    set to exactly ``companies``, ``assets`` and ``trials``. Returns ``(item, created)``."""
    body = body.strip()
    if not body:
        raise ValidationError("A news item needs a body.", field="body")
    item, created = NewsItem.objects.update_or_create(
        content_hash=news_content_hash(date=date, body=body),
        defaults={"date": date, "body": body, "title": title[:300], "source": source[:300], "url": url},
    )
    item.companies.set(list(companies))
    item.assets.set(list(assets))
    item.trials.set(list(trials))
    return item, created
