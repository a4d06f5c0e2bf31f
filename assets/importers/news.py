"""The news text format (seed 001) and its importer.

Format: the first line is `` date YYYY-MM-DD `` followed at once by the first paragraph; further paragraphs are
separated by blank lines. The item is linked to the companies, assets and trials it names (by name or alias, ignoring
case and punctuation: "Successor-2" is SUCCESSOR-2, "Bristol Myers Squibb" and "BMS" are Bristol-Myers Squibb), and
the event it reports (topline, data presented, approval, ...) is added to the timeline of the trial it is about.
Idempotent: the same date and text (by content hash), or an edited copy of the same story (by resemblance), is the
same item; see docs/registry.md for which fields a re-import replaces and which staff edits it keeps.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from assets import services
from assets.companies import company_key
from assets.importers.common import ImportFileError, ImportResult, decode_text
from assets.importers.events import detect_events
from assets.importers.text import contains_words, match_key, split_sentences, truncate_words
from assets.importers.trials import NCT_RE
from assets.models import Asset, Company, Trial

_HEADER = re.compile(r"^\s*date\s*:?\s+(?P<date>\S+)(?:\s+(?P<rest>.*))?$", re.IGNORECASE)
TITLE_LIMIT = 120


@dataclass
class NewsDoc:
    filename: str
    date: dt.date
    paragraphs: list[str]
    title: str = ""
    body: str = ""
    lines: list[int] = field(default_factory=list)  # the line each paragraph starts on


def parse_news(filename: str, data: bytes) -> NewsDoc:
    """Parse a news file. Pure: no database. Errors: :class:`ImportFileError` as ``file:line: expected ...``."""
    text = decode_text(filename, data)
    lines = text.split("\n")
    if not text.strip():
        raise ImportFileError(filename, 1, "expected ' date YYYY-MM-DD ' and the first paragraph, found an empty file")
    header = _HEADER.match(lines[0])
    if not header:
        raise ImportFileError(
            filename, 1, f"expected the line to start with ' date YYYY-MM-DD ', found {lines[0][:40]!r}"
        )
    raw_date = header.group("date")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date):
        raise ImportFileError(filename, 1, f"expected a date as YYYY-MM-DD after 'date', found {raw_date!r}")
    try:
        date = dt.date.fromisoformat(raw_date)
    except ValueError:
        raise ImportFileError(filename, 1, f"expected a real calendar date, found {raw_date}") from None
    paragraphs: list[str] = []
    starts: list[int] = []
    current: list[str] = []
    first = (header.group("rest") or "").strip()
    if first:
        current, start = [first], 1
    else:
        start = None
    for number, line in enumerate(lines[1:], start=2):
        if line.strip():
            if not current:
                start = number
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            starts.append(start)
            current = []
    if current:
        paragraphs.append(" ".join(current))
        starts.append(start)
    if not paragraphs:
        raise ImportFileError(filename, 1, f"expected the first paragraph after 'date {raw_date}', found nothing")
    # A first paragraph that starts on a later line (not "at once") is accepted: the item is unambiguous.
    doc = NewsDoc(filename, date, paragraphs, lines=starts)
    doc.body = "\n\n".join(paragraphs)
    doc.title = derive_title(paragraphs[0])
    return doc


def derive_title(paragraph: str) -> str:
    """The first sentence, cut at a clause break (comma, semicolon, dash) or a word boundary to fit 120 characters."""
    sentences = split_sentences(paragraph)
    sentence = sentences[0].text if sentences else paragraph
    sentence = sentence.rstrip(".")
    if len(sentence) <= TITLE_LIMIT:
        return sentence
    breaks = [m.start() for m in re.finditer(r",\s|;\s|\s[\u2014\u2013]\s|:\s", sentence) if 40 <= m.start() <= TITLE_LIMIT]
    if breaks:
        return sentence[: breaks[-1]].rstrip()
    return truncate_words(sentence, TITLE_LIMIT)


# --- linking -------------------------------------------------------------------------------------------------------

def _named(text_key: str, names: list[str], key=match_key) -> bool:
    return any(contains_words(text_key, key(n)) for n in names if key(n))


def _mentions(body: str):
    """Companies, assets and trials ``body`` names, each as a list in database order."""
    body_key = match_key(body)
    companies = []
    for company in Company.objects.prefetch_related("aliases"):
        names = [company.name, *(a.name for a in company.aliases.all())]
        # company_key drops a legal form, so "Regeneron Pharmaceuticals, Inc." is found as "Regeneron Pharmaceuticals"
        if _named(body_key, names) or _named(body_key, names, key=company_key):
            companies.append(company)
    assets = [a for a in Asset.objects.prefetch_related("aliases") if _named(body_key, [a.name, *(x.name for x in a.aliases.all())])]
    ncts = {m.upper() for m in NCT_RE.findall(body.upper())}
    trials = [t for t in Trial.objects.prefetch_related("assets") if (t.registry_id and t.registry_id in ncts) or (t.acronym and _named(body_key, [t.acronym]))]
    return companies, assets, trials


def _event_trials(sentence_key: str, trials: list[Trial], assets: list[Asset], last: Trial | None) -> list[Trial]:
    """Which trial a sentence's event is about: the trials it names; else the trial last named before it; else the
    one trial the item names; else the one trial of an asset it names."""
    named = [t for t in trials if (t.acronym and _named(sentence_key, [t.acronym])) or (t.registry_id and contains_words(sentence_key, match_key(t.registry_id)))]
    if named:
        return named
    if last is not None:
        return [last]
    if len(trials) == 1:
        return trials
    for asset in assets:
        if _named(sentence_key, [asset.name]):
            own = [t for t in trials if asset in t.assets.all()] or list(asset.trials.all())
            if len(own) == 1:
                return own
    return []


def import_news(*, filename: str, data: bytes) -> ImportResult:
    """Import one news file: the item (title derived from its first sentence), its links, and the events it reports,
    dated by the item. Idempotent; an edited copy updates the item it is a copy of. The caller provides the
    transaction."""
    doc = parse_news(filename, data)
    companies, assets, trials = _mentions(doc.body)
    # The title is the import's until staff change it: replace it only while it is still the one derived from the
    # stored text (docs/registry.md, "What an import owns").
    title: str | None = doc.title
    existing = services.news_item_find(date=doc.date, body=doc.body)
    if existing and existing.title and existing.title != derive_title(existing.body.split("\n\n")[0]):
        title = None
    item, created, changed = services.news_item_upsert(
        date=doc.date, body=doc.body, title=title, companies=companies, assets=assets, trials=trials
    )
    result = ImportResult(filename, "news")
    result.note(f"news item {doc.date} {doc.title[:60]!r}", created, changed)
    done: set[tuple[int, str]] = set()
    last: Trial | None = None
    for paragraph in doc.paragraphs:
        for sentence in split_sentences(paragraph):
            sentence_key = match_key(sentence.text)
            events = detect_events(sentence.text)
            targets = _event_trials(sentence_key, trials, assets, last) if events else []
            for trial in targets:
                for event in events:
                    if (trial.pk, event.kind) in done:
                        continue  # one event of each kind per trial per item: the first sentence reporting it
                    done.add((trial.pk, event.kind))
                    _, event_created = services.trial_event_add(
                        trial=trial, kind=event.kind, date=doc.date, description=event.description, news=item
                    )
                    result.note(f"event {event.kind}: {event.description} ({trial.name})", event_created, False)
            named = [t for t in trials if t.acronym and _named(sentence_key, [t.acronym])]
            if named:
                last = named[-1]
    counts = ((companies, "company", "companies"), (assets, "asset", "assets"), (trials, "trial", "trials"))
    links = [f"{len(rows)} {one if len(rows) == 1 else many}" for rows, one, many in counts]
    result.summary = f"news {doc.date}, " + ", ".join(links)
    return result
