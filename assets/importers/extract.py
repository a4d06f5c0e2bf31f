"""Putting the trial readers together over a document's paragraphs: which trials the text names, which sentences
speak of which trial, and the facts each trial gets (see :mod:`assets.importers.trials` for the attribution rules).

Pure Python.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from assets.importers.events import detect_events, detect_expected_readout
from assets.importers.indications import find_indications
from assets.importers.text import PHASE_RE, contains_words, find_dates, match_key, phase_from_match, split_sentences
from assets.importers.trials import (
    CLAUSE_BREAK,
    DRUG_NAME,
    NCT_RE,
    ArmFacts,
    EventFacts,
    Paragraph,
    TrialFacts,
    acronym_beside,
    find_trial_names,
    left_operand,
    parse_arms,
    parse_endpoints,
    parse_population,
)


@dataclass
class _Text:
    """A piece of text attributed to a trial: a segment of a sentence that names it, or a following sentence."""

    order: tuple[int, int, int]
    text: str
    sentence: str
    named: bool


def _names_pattern(names: list[str]) -> re.Pattern | None:
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(r"(?<![\w\-])(?:" + alternatives + r")(?![\w\-])", re.IGNORECASE)


def _find_trials(paragraphs: list[Paragraph], excluded: set[str]) -> tuple[dict[str, TrialFacts], dict[str, str], dict[str, tuple]]:
    trials: dict[str, TrialFacts] = {}
    alias: dict[str, str] = {}  # upper-cased NCT id or acronym -> trial key
    first_seen: dict[str, tuple] = {}
    for p_index, paragraph in enumerate(paragraphs):
        for m in NCT_RE.finditer(paragraph.text):
            nct = m.group(0)
            acronym = acronym_beside(paragraph.text, m.start(), m.end(), excluded)
            if acronym and acronym.upper() in alias and alias[acronym.upper()] != nct:
                acronym = ""  # the same acronym beside two NCT ids: trust neither pairing
            if nct not in trials:
                trials[nct] = TrialFacts(registry_id=nct, line=paragraph.line)
                alias[nct] = nct
                first_seen[nct] = (p_index, m.start())
            if acronym and not trials[nct].acronym:
                trials[nct].acronym = acronym
                alias[acronym.upper()] = nct
    for p_index, paragraph in enumerate(paragraphs):
        for name, start in find_trial_names(paragraph.text, excluded):
            key = name.upper()
            if key in alias:
                continue
            trials[key] = TrialFacts(acronym=name, line=paragraph.line)
            alias[key] = key
            first_seen[key] = (p_index, start)
    return trials, alias, first_seen


def _attribute(paragraphs: list[Paragraph], alias: dict[str, str], asset_keys: list[str], trials: dict[str, TrialFacts]) -> dict[str, list[_Text]]:
    pattern = _names_pattern(list(alias))
    texts: dict[str, list[_Text]] = {key: [] for key in trials}
    if pattern is None:
        return texts
    asset_word_keys = {k for k in asset_keys if k}
    for p_index, paragraph in enumerate(paragraphs):
        last_key = None
        for s_index, sentence in enumerate(split_sentences(paragraph.text)):
            text = sentence.text
            mentions: list[list] = []
            for m in pattern.finditer(text):
                key = alias[m.group(0).upper()]
                gap = text[mentions[-1][2] : m.start()] if mentions else ""
                if mentions and mentions[-1][0] == key and re.fullmatch(r"[\s(),;\[\]]*(?:(?:trial|study)[\s(),;\[\]]*)?", gap, re.I):
                    mentions[-1][2] = m.end()
                else:
                    mentions.append([key, m.start(), m.end()])
            if not mentions:
                if last_key:
                    texts[last_key].append(_Text((p_index, s_index, 0), text, text, named=False))
                continue
            bounds = [0]
            for (_k1, _s1, e1), (_k2, s2, _e2) in zip(mentions, mentions[1:]):
                breaks = list(CLAUSE_BREAK.finditer(text, e1, s2))
                bounds.append(breaks[-1].end() if breaks else s2)
            bounds.append(len(text))
            sentence_key = match_key(text)
            names_asset = any(contains_words(sentence_key, k) for k in asset_word_keys)
            other_drugs = {w.lower() for w in DRUG_NAME.findall(text)} - {k for k in asset_word_keys}
            for index, (key, _start, _end) in enumerate(mentions):
                trial = trials[key]
                trial.in_lead = trial.in_lead or p_index == 0
                trial.names_asset = trial.names_asset or names_asset
                trial.names_other_drug = trial.names_other_drug or bool(other_drugs)
                segment = text[bounds[index] : bounds[index + 1]]
                texts[key].append(_Text((p_index, s_index, index), segment, text, named=True))
            last_key = mentions[-1][0]
    return texts


def _merge_arm(arms: list[ArmFacts], new: ArmFacts) -> None:
    for arm in arms:
        if arm.name.casefold() == new.name.casefold() or (
            new.description and match_key(arm.description) == match_key(new.description)
        ):
            if not arm.description and new.description:
                arm.description = new.description
            return
    arms.append(new)


def extract_trials(paragraphs: list[Paragraph], *, asset_names: list[str], excluded: set[str] = frozenset()) -> list[TrialFacts]:
    """The trials a profile's paragraphs name, each with its facts, in order of first mention.

    ``asset_names`` are the drug's name and aliases: never taken for trial names, and used to keep only this asset's
    trials. A trial is kept when the text gives its NCT id, names it in the description paragraph (the first), names
    it in a sentence that also names the asset, or never names it beside another drug (a competitor's trial in the
    commercial commentary is left out).
    """
    excluded = {e.upper() for e in excluded} | {n.upper() for n in asset_names}
    trials, alias, first_seen = _find_trials(paragraphs, excluded)
    if not trials:
        return []
    texts = _attribute(paragraphs, alias, [match_key(n) for n in asset_names], trials)
    names_pattern = _names_pattern(list(alias))
    full_text = "\n".join(p.text for p in paragraphs)
    for key, trial in trials.items():
        pieces = sorted(texts[key], key=lambda t: t.order)
        named = [t for t in pieces if t.named]
        for piece in named:
            if not trial.phase:
                m = PHASE_RE.search(piece.text)
                if m:
                    trial.phase = phase_from_match(m)
            for arm in parse_arms(piece.text, names_pattern):
                _merge_arm(trial.arms, arm)
            if not trial.population:
                trial.population = parse_population(piece.text)
        for piece in named + [t for t in pieces if not t.named]:
            if trial.indication is None:
                found = find_indications(piece.text)
                if found:
                    trial.indication = found[0]
        for piece in pieces:
            for facts in parse_endpoints(piece.text):
                current = next((e for e in trial.endpoints if e.code == facts.code), None)
                if current is None:
                    trial.endpoints.append(facts)
                elif facts.kind == "primary" and current.kind != "primary":
                    current.kind = "primary"
            if not trial.expected_readout:
                trial.expected_readout = detect_expected_readout(piece.text)
            for event in detect_events(piece.text):
                if event.kind == "regulatory" and not piece.named:
                    continue  # an approval is the drug's; it belongs to a trial only when the sentence names it
                dates = find_dates(piece.text) or find_dates(piece.sentence)
                if dates:
                    date = min(dates, key=lambda d: (d.start > event.start, abs(d.start - event.start)))
                    value, precision = date.value, date.precision
                else:
                    year = re.search(r"\b((?:19|20)\d{2})$", event.description)  # "data presented at ASH 2025"
                    if not year:
                        continue  # a profile's event needs its date in the same sentence
                    value, precision = dt.date(int(year.group(1)), 1, 1), "year"
                facts = EventFacts(event.kind, event.description, value, precision)
                if facts not in trial.events:
                    trial.events.append(facts)
        for arm in trial.arms:
            if not arm.description:
                for m in re.finditer(r"\(" + re.escape(arm.name) + r"\)", full_text):
                    full = left_operand(full_text[: m.start()], names_pattern)
                    if full and full.casefold() != arm.name.casefold() and len(full) <= 150:
                        arm.description = full
                        break
    lead = find_indications(paragraphs[0].text) if paragraphs else []
    for trial in trials.values():
        if trial.indication is None and lead:
            trial.indication = lead[0]  # a profile is about one drug; its trials treat the disease it opens with
    kept = [t for t in trials.values() if t.registry_id or t.in_lead or t.names_asset or not t.names_other_drug]
    order = {id(trials[k]): v for k, v in first_seen.items()}
    return sorted(kept, key=lambda t: order[id(t)])
