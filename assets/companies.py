"""Company names: the key names are compared by, the aliases a sponsor gets, and a table of well-known pharma names.

"Bristol-Myers Squibb", "Bristol Myers Squibb", "Bristol Myers Squibb Company" and "BMS" are one company. Matching
ignores case, punctuation and hyphens, and a trailing legal form (Inc., Ltd, plc, LLC, Co., ...); the table adds
names that no rule can derive (Celgene and BMS, Genentech and Roche, MSD and Merck & Co.).
"""
from __future__ import annotations

import re

from assets.importers.text import match_key

# Canonical name -> other names. A sponsor named by any of these becomes the canonical company. A parent's name
# covers the subsidiaries that register its trials (ClinicalTrials.gov lists many BMS trials under Celgene).
WELL_KNOWN_COMPANIES: dict[str, list[str]] = {
    "Bristol-Myers Squibb": ["Bristol Myers Squibb", "BMS", "Celgene"],
    "Johnson & Johnson": ["J&J", "JNJ", "Johnson and Johnson", "Janssen", "Janssen Research & Development",
                          "Janssen Pharmaceuticals", "Janssen Biotech", "Janssen-Cilag"],
    "Merck & Co.": ["Merck Sharp & Dohme", "MSD", "Merck Sharp and Dohme"],
    "GSK": ["GlaxoSmithKline", "GlaxoSmithKline plc"],
    "AstraZeneca": ["Astra Zeneca", "MedImmune", "Alexion"],
    "Roche": ["Hoffmann-La Roche", "F. Hoffmann-La Roche", "Genentech", "Chugai"],
    "Novartis": ["Novartis Pharmaceuticals"],
    "Pfizer": ["Seagen", "Seattle Genetics"],
    "Sanofi": ["Sanofi-Aventis", "Genzyme", "Sanofi Genzyme"],
    "AbbVie": ["Allergan", "Pharmacyclics"],
    "Amgen": [],
    "Takeda": ["Takeda Pharmaceutical", "Millennium Pharmaceuticals"],
    "Eli Lilly": ["Lilly", "Eli Lilly and Company", "Loxo Oncology"],
    "Gilead Sciences": ["Gilead", "Kite Pharma", "Kite"],
    "Regeneron": ["Regeneron Pharmaceuticals"],
    "Daiichi Sankyo": [],
    "Astellas": ["Astellas Pharma"],
    "Bayer": [],
    "Boehringer Ingelheim": [],
    "Novo Nordisk": [],
    "Vertex Pharmaceuticals": ["Vertex"],
    "Biogen": [],
    "BeiGene": ["BeOne Medicines", "BeOne"],
    "Karyopharm Therapeutics": ["Karyopharm"],
    "Legend Biotech": [],
}

_LEGAL_FORMS = {
    "inc", "incorporated", "ltd", "limited", "llc", "plc", "ag", "sa", "nv", "bv", "gmbh", "corp", "corporation", "co",
    "company", "holdings", "kk", "se", "spa", "ab", "as", "oy", "lp", "and",
}
_TRADE_WORDS = {"pharmaceuticals", "pharmaceutical", "pharma", "therapeutics", "biosciences", "biotherapeutics",
                "biopharma", "biopharmaceuticals"}
# Initials that are words or bodies in their own right: never an alias.
_RESERVED_INITIALS = {"FDA", "EMA", "USA", "THE", "AND", "CEO", "CMO", "ASH", "EHA", "ORR", "PFS", "MRD", "CAR"}


def company_key(name: str) -> str:
    """The key company names are compared by: :func:`match_key` less a trailing legal form and possessive."""
    words = match_key(name.replace("&", " and ")).split()
    if len(words) > 1 and words[-1] == "s":  # "Squibb's" -> "squibb s"
        words = words[:-1]
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words = words[:-1]
    return " ".join(words)


_TABLE: dict[str, str] = {}
for _canonical, _others in WELL_KNOWN_COMPANIES.items():
    for _name in [_canonical, *_others]:
        _TABLE[company_key(_name)] = _canonical


def well_known_canonical(name: str) -> str | None:
    """The table's canonical name for ``name`` ("BMS" -> "Bristol-Myers Squibb"), or ``None``."""
    return _TABLE.get(company_key(name))


def clean_company_name(name: str) -> str:
    """A display name: spaces collapsed and a trailing ", Inc." / " LLC" style legal form dropped."""
    name = " ".join(name.split())
    previous = None
    while previous != name:
        previous = name
        name = re.sub(r",?\s+(?:Inc|Incorporated|Ltd|Limited|LLC|plc|AG|S\.?A|N\.?V|GmbH|Corp|Corporation|Co)\.?$", "", name, flags=re.I)
    return name.strip(" ,") or previous


def initials(name: str) -> str:
    """Upper-case initials of a name of three or more words ("Bristol-Myers Squibb" -> "BMS"), else ""."""
    words = [w for w in re.split(r"[\s\-/]+", clean_company_name(name)) if w and w[0].isalpha()]
    words = [w for w in words if w.lower() not in {"and", "of", "the"}]
    if len(words) < 3:
        return ""
    result = "".join(w[0] for w in words).upper()
    return "" if result in _RESERVED_INITIALS else result


def alias_candidates(name: str, *, original: str = "") -> list[str]:
    """Sensible aliases for a company called ``name``: the name as first given (``original``), the name less its
    legal form, the table's names, the hyphen-less and hyphenated spellings, the name without "Pharmaceuticals"-style trade words, and its
    initials. The caller drops those that another company already uses.
    """
    found: list[str] = []
    canonical = well_known_canonical(name)
    if original and original != name:
        found.append(clean_company_name(original))
    found.append(clean_company_name(name))  # "Gilead Sciences, Inc." is also "Gilead Sciences"
    if canonical:
        found.append(canonical)
        found.extend(WELL_KNOWN_COMPANIES[canonical])
    if "-" in name:
        found.append(name.replace("-", " "))
    words = clean_company_name(name).split()
    if len(words) > 1 and words[-1].lower() in _TRADE_WORDS and len(" ".join(words[:-1])) >= 5:
        found.append(" ".join(words[:-1]))
    code = initials(name)
    if code:
        found.append(code)
    result: list[str] = []
    seen = {name.casefold()}
    for alias in found:
        alias = " ".join(alias.split())
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            result.append(alias)
    return result
