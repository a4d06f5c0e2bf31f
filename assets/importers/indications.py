"""Finding the disease settings (indications) a text names: a table of common ones with their abbreviations, and a
general rule for others ("in <modifiers> <disease noun>", e.g. "in metastatic castration-resistant prostate cancer").

Pure Python.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from assets.importers.text import match_key

# (abbreviation, canonical name, other phrasings). Abbreviations are matched case-sensitively as whole words.
KNOWN_INDICATIONS: list[tuple[str, str, list[str]]] = [
    ("RRMM", "Relapsed/refractory multiple myeloma", [
        "relapsed or refractory multiple myeloma", "relapsed and/or refractory multiple myeloma",
        "relapsed and refractory multiple myeloma", "relapsed refractory multiple myeloma"]),
    ("NDMM", "Newly diagnosed multiple myeloma", ["newly-diagnosed multiple myeloma"]),
    ("MM", "Multiple myeloma", []),
    ("NSCLC", "Non-small cell lung cancer", ["non-small-cell lung cancer", "non small cell lung cancer"]),
    ("SCLC", "Small cell lung cancer", ["small-cell lung cancer"]),
    ("DLBCL", "Diffuse large B-cell lymphoma", ["diffuse large b cell lymphoma"]),
    ("LBCL", "Large B-cell lymphoma", ["large b cell lymphoma"]),
    ("FL", "Follicular lymphoma", []),
    ("MCL", "Mantle cell lymphoma", ["mantle-cell lymphoma"]),
    ("CLL", "Chronic lymphocytic leukemia", ["chronic lymphocytic leukaemia"]),
    ("AML", "Acute myeloid leukemia", ["acute myeloid leukaemia", "acute myelogenous leukemia"]),
    ("CML", "Chronic myeloid leukemia", ["chronic myeloid leukaemia"]),
    ("MDS", "Myelodysplastic syndromes", ["myelodysplastic syndrome"]),
    ("HCC", "Hepatocellular carcinoma", []),
    ("RCC", "Renal cell carcinoma", []),
    ("mCRPC", "Metastatic castration-resistant prostate cancer", []),
    ("TNBC", "Triple-negative breast cancer", ["triple negative breast cancer"]),
    ("CRC", "Colorectal cancer", []),
    ("GBM", "Glioblastoma", ["glioblastoma multiforme"]),
    ("IPF", "Idiopathic pulmonary fibrosis", []),
    ("MASH", "Metabolic dysfunction-associated steatohepatitis", []),
    ("NASH", "Nonalcoholic steatohepatitis", ["non-alcoholic steatohepatitis"]),
]
_ABBREVIATION_ONLY_MIN = 3  # "MM" and "FL" alone are too ambiguous to count as a mention

_HEADS = (
    r"[\w\-]*(?:carcinomas?|sarcomas?|blastomas?|lymphomas?|leuka?emias?|myelomas?|melanomas?|gliomas?|mesotheliomas?)|"
    r"cancers?|"
    r"tumou?rs|neoplasms?|disease|syndromes?|fibrosis|arthritis|psoriasis|colitis|dermatitis|asthma|diabetes|obesity|"
    r"hypertension|failure|hepatitis|lupus|sclerosis|dystrophy|atrophy|ana?emia|ha?emophilia|thrombocytopenia|"
    r"amyloidosis|macroglobulinemia|myelofibrosis|steatohepatitis|migraine|epilepsy|schizophrenia|depression"
)
# Heads too general to name an indication without a modifier ("in cancer", "with disease").
_GENERIC_HEADS = {"cancer", "cancers", "tumors", "tumours", "disease", "syndrome", "syndromes", "failure", "neoplasms"}
# Words about the patients rather than the disease, dropped from the front of a generic indication.
_PATIENT_WORDS = {
    "heavily", "pretreated", "pre-treated", "previously", "treated", "untreated", "treatment-naive", "treatment-naïve",
    "elderly", "older", "adult", "pediatric", "paediatric", "frail", "fit", "unfit", "symptomatic", "complementary",
    "late-line", "later-line", "earlier-line", "first-line", "second-line", "third-line", "transplant-ineligible",
    "transplant-eligible", "difficult-to-treat", "hard-to-treat",
}
_TRIGGER = r"(?:\bin|\bwith|\bfor|\bof|\btreat(?:s|ing|ment\s+of)?|\bagainst)\s+(?:(?:adult|adults|patients|people|participants|subjects)\s+with\s+)?"
_MODIFIER = r"(?:(?!(?:the|a|an|and|or|with|in|of|for|patients|who|whose|that|which|their|its|this|these|other|many|some|several|various|difficult-to-treat|certain)\b)[\w'/+\-]+\s+)"
_GENERIC_RE = re.compile(_TRIGGER + r"(?P<phrase>" + _MODIFIER + r"{0,5}(?:" + _HEADS + r"))\b", re.IGNORECASE)


@dataclass(frozen=True)
class IndicationMention:
    name: str
    abbreviation: str
    start: int
    end: int


def _canonical(phrase: str) -> str:
    phrase = re.sub(r"\brelapsed\s+(?:or|and/or|and)\s+refractory\b", "relapsed/refractory", phrase, flags=re.I)
    phrase = " ".join(phrase.split())
    return phrase[:1].upper() + phrase[1:]


def _initials(phrase: str) -> str:
    return "".join(part[0] for part in re.split(r"[\s/\-]+", phrase) if part).upper()


def _phrase_pattern(phrase: str) -> re.Pattern:
    words = re.split(r"[\s\-]+", phrase)
    return re.compile(r"(?<![\w-])" + r"[\s\-]+".join(re.escape(w) for w in words) + r"(?![\w-])", re.IGNORECASE)


# Compiled once: a profile of a few MB has thousands of paragraphs, and building ~40 patterns and ~50 matching keys
# per call was most of its import time (issue 13: a 4.8 MB profile took ~30 s to parse). Each pattern comes with a
# word of its phrase (lower-cased) that a text must contain for the pattern to match, a cheap test before the regex.
_KNOWN_PATTERNS: list[tuple[str, str, list[tuple[str, re.Pattern]], re.Pattern | None]] = [
    (
        abbreviation,
        name,
        [(max(re.split(r"[\s\-]+", p), key=len).casefold(), _phrase_pattern(p)) for p in [name, *phrasings]],
        re.compile(r"(?<![\w-])" + re.escape(abbreviation) + r"(?![\w-])")
        if len(abbreviation) >= _ABBREVIATION_ONLY_MIN else None,
    )
    for abbreviation, name, phrasings in KNOWN_INDICATIONS
]
_KNOWN_KEYS = frozenset(match_key(n) for _a, n, ps in KNOWN_INDICATIONS for n in [n, *ps])


def find_indications(text: str) -> list[IndicationMention]:
    """Indication mentions in ``text`` in order of appearance, overlapping mentions resolved to the longest.

    Known indications are found by name, phrasing or abbreviation (3+ letters); others by the general rule, with an
    abbreviation when the text gives one in parentheses or uses the phrase's initials as a word ("RRMM").
    """
    candidates: list[IndicationMention] = []
    folded = text.casefold()
    for abbreviation, name, phrase_patterns, abbreviation_pattern in _KNOWN_PATTERNS:
        for needed, pattern in phrase_patterns:
            if needed in folded:
                for m in pattern.finditer(text):
                    candidates.append(IndicationMention(name, abbreviation, m.start(), m.end()))
        if abbreviation_pattern is not None and abbreviation in text:
            for m in abbreviation_pattern.finditer(text):
                candidates.append(IndicationMention(name, abbreviation, m.start(), m.end()))
    known_keys = _KNOWN_KEYS
    for m in _GENERIC_RE.finditer(text):
        phrase = m.group("phrase")
        words = phrase.split()
        while len(words) > 1 and words[0].lower() in _PATIENT_WORDS:
            words = words[1:]  # "heavily pretreated multiple myeloma" is multiple myeloma
        start = m.end("phrase") - len(" ".join(words))
        phrase = " ".join(words)
        if len(phrase.split()) == 1 and phrase.lower() in _GENERIC_HEADS:
            continue
        if match_key(_canonical(phrase)) in known_keys:
            continue  # the table found it, with its canonical name
        after = text[m.end("phrase") :]
        given = re.match(r"\s*\(([A-Za-z][A-Za-z0-9+\-]{1,9})\)", after)
        abbreviation = given.group(1) if given else ""
        if not abbreviation:
            initials = _initials(_canonical(phrase))
            if len(initials) >= 3 and initials in words:
                abbreviation = initials
        candidates.append(IndicationMention(_canonical(phrase), abbreviation, start, m.end("phrase")))
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[IndicationMention] = []
    for c in candidates:
        if kept and c.start < kept[-1].end:
            if c.end - c.start > kept[-1].end - kept[-1].start:
                kept[-1] = c
            continue
        kept.append(c)
    return kept
