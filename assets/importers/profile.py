"""The asset-profile text format (seed 000) and its importer.

Format: line 1 the drug's name, line 2 the sponsor, line 3 a one-paragraph description (further non-blank lines
before the next section are more description paragraphs); then optionally ``Analyst Commentary`` followed by sections,
each a heading line that starts with an emoji and one paragraph; then ``Also Known As`` with ``Development codes`` and
``Other names``, each followed by zero or more names (one a line, or separated by ";" or ", "). Blank lines between
blocks are ignored. A file that ends before ``Other names`` is taken to be truncated and refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from assets import services
from assets.errors import ValidationError
from assets.importers.common import ImportFileError, ImportResult, check_length, decode_text
from assets.importers.extract import extract_trials
from assets.importers.indications import IndicationMention, find_indications
from assets.importers.save import trial_endpoint_save
from assets.importers.text import split_emoji, split_sentences
from assets.importers.trials import NCT_RE, Paragraph, TrialFacts

COMMENTARY = "analyst commentary"
ALSO_KNOWN_AS = "also known as"
DEVELOPMENT_CODES = ("development codes", "development code", "development code(s)", "codes")
OTHER_NAMES = ("other names", "other name", "other name(s)", "synonyms")


@dataclass
class Section:
    heading: str
    body: str
    emoji: str
    line: int


@dataclass
class ProfileDoc:
    filename: str
    name: str
    sponsor: str
    description: str
    sections: list[Section] = field(default_factory=list)
    development_codes: list[str] = field(default_factory=list)
    other_names: list[str] = field(default_factory=list)
    mechanism: str = ""
    trials: list[TrialFacts] = field(default_factory=list)
    indications: list[IndicationMention] = field(default_factory=list)


def _marker(line: str) -> tuple[str, str] | None:
    """("commentary" | "aka" | "codes" | "names", text after a colon) when the line is a section marker."""
    head, _, rest = line.partition(":")
    key = " ".join(head.split()).casefold()
    if key == COMMENTARY and not rest.strip():
        return "commentary", ""
    if key == ALSO_KNOWN_AS and not rest.strip():
        return "aka", ""
    if key in DEVELOPMENT_CODES:
        return "codes", rest
    if key in OTHER_NAMES:
        return "names", rest
    return None


def _looks_like_heading(line: str) -> bool:
    """A line without an emoji that can still be a heading: short, and not ending like a sentence."""
    return len(line) <= 100 and len(line.split()) <= 12 and not re.search(r"[.!?:;]$", line)


def _emoji_heading(line: str) -> bool:
    """A line that starts with an emoji and is short enough to be a heading ("💡 Key takeaways:")."""
    emoji, rest = split_emoji(line)
    return bool(emoji) and bool(rest) and len(line) <= 150 and len(rest.split()) <= 20


_PLACEHOLDERS = {"none", "n/a", "na", "-", "\u2014", "\u2013", "not available", "nil", "unknown", "tbd"}


def _names(filename: str, line_number: int, text: str) -> list[str]:
    names = []
    for raw in re.split(r";|,\s+", text):
        name = re.sub(r"^[\-\u2022*\u00b7]\s+", "", raw.strip()).strip()
        if name and name.casefold() not in _PLACEHOLDERS:
            names.append(check_length(filename, line_number, "an alias", name, 200))
    return names


def parse_profile(filename: str, data: bytes) -> ProfileDoc:
    """Parse a profile file. Pure: no database. Errors: :class:`ImportFileError` as ``file:line: expected ...``."""
    text = decode_text(filename, data)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ImportFileError(filename, 1, "expected the drug's name on line 1, found an empty file")
    what = {1: "the drug's name", 2: "the sponsor", 3: "a one-paragraph description"}
    header = []
    for number in (1, 2, 3):
        if number > len(lines):
            raise ImportFileError(
                filename, number,
                f"expected {what[number]} on line {number}, found the end of the file "
                "(a profile starts with three lines: name, sponsor, description)",
            )
        value = lines[number - 1].strip()
        if not value or _marker(value):
            found = "a blank line" if not value else f"the heading {value!r}"
            raise ImportFileError(
                filename, number,
                f"expected {what[number]} on line {number}, found {found} "
                "(a profile starts with three lines: name, sponsor, description)",
            )
        header.append(value)
    name = check_length(filename, 1, "a name", header[0], 200)
    sponsor = check_length(filename, 2, "a sponsor", header[1], 200)
    description = [header[2]]
    doc = ProfileDoc(filename, name, sponsor, "")

    state = "description"
    seen: set[str] = set()
    pending: tuple[str, str, int] | None = None  # a commentary heading waiting for its paragraph
    for index in range(3, len(lines)):
        number = index + 1
        line = lines[index].strip()
        if not line:
            continue
        marker = _marker(line)
        if pending and (marker or _emoji_heading(line)):
            raise ImportFileError(
                filename, pending[2],
                f"expected a paragraph after the commentary heading {pending[1]!r}, found the heading {line!r} "
                f"on line {number}",
            )
        if state == "description" and not marker and _emoji_heading(line):
            state = "commentary"  # commentary sections without their "Analyst Commentary" line
        if marker:
            kind, rest = marker
            if kind in seen:
                raise ImportFileError(filename, number, f"expected {line!r} only once")
            if kind == "commentary" and seen & {"aka", "codes", "names"}:
                raise ImportFileError(filename, number, "expected 'Analyst Commentary' before 'Also Known As'")
            if kind in ("codes", "names") and "aka" not in seen:
                raise ImportFileError(filename, number, f"expected 'Also Known As' before {line.split(':')[0]!r}")
            seen.add(kind)
            state = kind
            if rest.strip():
                target = doc.development_codes if kind == "codes" else doc.other_names
                target.extend(_names(filename, number, rest))
            continue
        if state == "description":
            description.append(line)  # a description of more than one paragraph
        elif state == "commentary":
            if pending:
                emoji, heading, heading_line = pending
                doc.sections.append(Section(heading, line, emoji, heading_line))
                pending = None
                continue
            emoji, rest = split_emoji(line)
            if _emoji_heading(line):
                pending = (emoji, check_length(filename, number, "a heading", rest.rstrip(":"), 300), number)
            elif emoji and not rest:
                raise ImportFileError(filename, number, f"expected a heading after the emoji {emoji}")
            elif _looks_like_heading(line):
                pending = ("", check_length(filename, number, "a heading", line, 300), number)
            elif doc.sections:
                doc.sections[-1].body += "\n\n" + line  # a section of more than one paragraph
            else:
                raise ImportFileError(
                    filename, number,
                    "expected a commentary heading starting with an emoji (e.g. '🧬 Development Program Significance'), "
                    "found a paragraph",
                )
        elif state == "aka":
            doc.other_names.extend(_names(filename, number, line))
        elif state == "codes":
            doc.development_codes.extend(_names(filename, number, line))
        elif state == "names":
            doc.other_names.extend(_names(filename, number, line))
    end = len(lines)
    if pending:
        raise ImportFileError(
            filename, pending[2],
            f"expected a paragraph after the commentary heading {pending[1]!r}, found the end of the file "
            "(is the file truncated?)",
        )
    for needed, label in (("aka", "Also Known As"), ("codes", "Development codes"), ("names", "Other names")):
        if needed not in seen:
            raise ImportFileError(
                filename, end,
                f"expected an {label!r} line, found the end of the file (a profile ends with 'Also Known As', "
                "'Development codes' and 'Other names'; is the file truncated?)",
            )
    doc.description = "\n\n".join(description)
    _dedupe(doc)
    paragraphs = [Paragraph(doc.description, 3)] + [Paragraph(s.body, s.line + 1) for s in doc.sections]
    excluded = set(doc.development_codes) | set(doc.other_names) | {
        m.abbreviation for p in paragraphs for m in find_indications(p.text) if m.abbreviation
    }
    doc.trials = extract_trials(paragraphs, asset_names=[doc.name, *doc.development_codes, *doc.other_names], excluded=excluded)
    doc.mechanism = extract_mechanism(doc)
    doc.indications = _indications(doc)
    return doc


def _dedupe(doc: ProfileDoc) -> None:
    seen: set[str] = {doc.name.casefold()}
    for target in (doc.development_codes, doc.other_names):
        kept = []
        for alias in target:
            if alias.casefold() not in seen:
                seen.add(alias.casefold())
                kept.append(alias)
        target[:] = kept


_MECHANISM_CUT = re.compile(
    r"\s+(?:developed|designed|being|that|which|currently|under\s+development|in\s+development|approved|indicated|"
    r"for\s+the\s+treatment|for\s+patients|for\s+adults|for\s+people|with\s+(?:enhanced|improved|potential|a\s+novel)|"
    r"from|by|in\s+(?:phase|clinical|late-stage|pivotal)|with(?=\s+\w+\s+\w+))\b|[;:]|\s[\u2014\u2013]\s|,\s+(?:developed|designed|being|"
    r"which|that|currently|now|and\s+is|is|with)\b",
    re.IGNORECASE,
)


def _noun_phrase(sentence: str, names: list[str]) -> str:
    sentence = sentence.strip().rstrip(".")
    for name in names:  # "Mezigdomide is an oral CELMoD agent", "Mezigdomide (CC-92480), an oral ..."
        sentence = re.sub(
            r"^" + re.escape(name) + r"(?:\s*\([^)]*\))?\s*(?:,|\bis\b|\bwas\b|[\u2014\u2013-])\s*", "", sentence, flags=re.I
        )
    sentence = re.sub(r"^(?:an?|the)\s+", "", sentence, flags=re.I)
    cut = _MECHANISM_CUT.search(sentence)
    phrase = sentence[: cut.start()] if cut else sentence
    return phrase.strip(" ,")


def _acceptable_mechanism(phrase: str, doc: ProfileDoc) -> bool:
    if not (3 <= len(phrase) <= 150) or NCT_RE.search(phrase):
        return False
    if re.search(r"\b(?:is|are|was|were|has|have|will|remains?)\b", phrase, re.I):
        return False
    return not any(t.acronym and t.acronym.casefold() in phrase.casefold() for t in doc.trials)


def extract_mechanism(doc: ProfileDoc) -> str:
    """The drug's mechanism or class: the noun phrase that opens the description ("CELMoD agent (cereblon E3 ligase
    modulator) developed as ..." -> "CELMoD agent (cereblon E3 ligase modulator)"), else a short first sentence of
    the first commentary section; "" when neither reads like one."""
    names = [doc.name, *doc.development_codes, *doc.other_names]
    candidates = [split_sentences(doc.description)[0].text] if doc.description else []
    candidates += [split_sentences(s.body)[0].text for s in doc.sections[:1] if s.body]
    for sentence in candidates:
        phrase = _noun_phrase(sentence, names)
        if _acceptable_mechanism(phrase, doc):
            return phrase[:1].upper() + phrase[1:] if phrase[:1].islower() and phrase[1:2].islower() else phrase
    return ""


def _indications(doc: ProfileDoc) -> list[IndicationMention]:
    found: list[IndicationMention] = []
    for trial in doc.trials:
        if trial.indication and all(i.name != trial.indication.name for i in found):
            found.append(trial.indication)
    if not found:
        found = find_indications(doc.description)[:1]
    return found


# --- import --------------------------------------------------------------------------------------------------------

def import_profile(*, filename: str, data: bytes) -> ImportResult:
    """Import one profile: sponsor (with aliases), asset (description, mechanism, indications), its aliases and
    commentary (both replaced by the file's; aliases entered by hand are kept), and each trial the text names with
    its phase, population, expected readout (only when the trial has none), indication, arms, endpoints and dated
    events. Which fields a re-import replaces and which staff edits it keeps: docs/registry.md.

    Idempotent: a second import of the same file changes nothing and writes nothing. The caller provides the transaction that makes a
    file all-or-nothing (see :func:`assets.importers.run_import`). Errors: :class:`ImportFileError`.
    """
    doc = parse_profile(filename, data)
    result = ImportResult(filename, "profile")
    sponsor, created = services.company_get_or_create_by_name(name=doc.sponsor)
    result.note(f"company {sponsor.name}", created, False)
    indications = {}
    for mention in doc.indications:
        indication, created = services.indication_get_or_create(name=mention.name, abbreviation=mention.abbreviation)
        indications[mention.name] = indication
        if created:
            result.note(f"indication {indication.name}", True)
    asset, created, changed = services.asset_upsert(
        name=doc.name, sponsor=sponsor, description=doc.description,
        mechanism=doc.mechanism or None,  # a mechanism the prose does not state leaves the one staff entered
        indications=indications.values(),
    )
    aliases_changed = services.asset_aliases_set(
        asset=asset, development_codes=doc.development_codes, other_names=doc.other_names
    )
    commentary_changed = services.asset_commentary_set(
        asset=asset,
        sections=[services.CommentaryInput(heading=s.heading, body=s.body, emoji=s.emoji) for s in doc.sections],
    )
    result.note(f"asset {asset.name}", created, changed or aliases_changed or commentary_changed)
    for facts in doc.trials:
        try:
            _save_trial(facts, asset=asset, sponsor=sponsor, indications=indications, result=result)
        except ValidationError as exc:
            raise ImportFileError(filename, facts.line, f"could not save trial {facts.label}: {exc.message}") from None
    result.summary = f"asset {asset.name}, {len(doc.trials)} trial{'s' if len(doc.trials) != 1 else ''}"
    return result


def _save_trial(facts: TrialFacts, *, asset, sponsor, indications, result: ImportResult) -> None:
    indication = None
    if facts.indication:
        indication = indications.get(facts.indication.name)
        if indication is None:
            indication, _ = services.indication_get_or_create(name=facts.indication.name, abbreviation=facts.indication.abbreviation)
    # The expected readout is filled in, never replaced: staff set it from the meeting calendar ("ASH 2026"), more
    # precisely than a profile's prose ("an upcoming medical conference").
    trial, created, changed = services.trial_upsert(
        registry_id=facts.registry_id or None,
        acronym=facts.acronym,
        phase=facts.phase or None,
        sponsor=sponsor,
        indication=indication,
        population=facts.population or None,
        expected_readout=facts.expected_readout or None,
        assets=[asset],
        fill_only={"sponsor", "expected_readout"},
    )
    for order, arm in enumerate(facts.arms):
        _, _, arm_changed = services.trial_arm_upsert(
            trial=trial, name=arm.name, role=arm.role, description=arm.description, order=order
        )
        changed |= arm_changed
    for order, ep in enumerate(facts.endpoints):
        changed |= trial_endpoint_save(
            trial=trial, code=ep.code, name=ep.name, known=ep.known, kind=ep.kind, description=ep.phrase, order=order
        )
    result.note(f"trial {trial.name}", created, changed)
    for event in facts.events:
        _, created = services.trial_event_add(
            trial=trial, kind=event.kind, date=event.date, description=event.description, precision=event.precision
        )
        if created:
            result.note(f"event {event.kind}: {event.description} ({trial.name})", True)
