"""Recognising trial endpoints in free text and registry outcome measures: "progression-free survival (PFS)",
"Overall Response Rate", "MRD negativity", "Change From Baseline in EORTC QLQ-C30 Global Health Status/QoL" ...

Pure Python. :func:`resolve_endpoint` maps a phrase to a known code; :func:`derive_endpoint` also names unknown ones.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from assets.importers.text import match_key

# (code, display name, phrasings). Phrasings are compared as match keys (lower case, punctuation as spaces), and the
# longest phrasing found wins, so "complete response rate" is CR although it contains "response rate" (ORR).
KNOWN_ENDPOINTS: list[tuple[str, str, list[str]]] = [
    ("PFS", "Progression-free survival", ["pfs", "progression free survival", "progression-free-survival"]),
    ("PFS2", "Progression-free survival on next-line therapy", [
        "pfs2", "pfs 2", "progression free survival 2", "second progression free survival",
        "progression free survival on next line therapy", "progression free survival after next line of therapy",
        "progression free survival on the next line of therapy"]),
    ("OS", "Overall survival", ["os", "overall survival"]),
    ("ORR", "Overall response rate", [
        "orr", "overall response rate", "objective response rate", "overall response", "objective response",
        "response rate", "best overall response", "objective response rate orr"]),
    ("CR", "Complete response rate", [
        "cr", "crr", "complete response", "complete response rate", "cr rate", "complete remission",
        "complete remission rate", "complete response or better", "stringent complete response"]),
    ("VGPR", "Very good partial response or better", [
        "vgpr", "very good partial response", "very good partial response or better", "vgpr or better"]),
    ("MRD", "MRD negativity", [
        "mrd", "mrd negativity", "mrd negative", "mrd negativity rate", "mrd negative rate", "minimal residual disease",
        "measurable residual disease", "minimal residual disease negativity", "sustained mrd negativity",
        "mrd negative complete response", "mrd negative cr"]),
    ("HRQOL", "Health-related quality of life", [
        "hrqol", "hr qol", "health related quality of life", "quality of life", "qol", "global health status",
        "patient reported quality of life"]),
    ("EFS", "Event-free survival", ["efs", "event free survival"]),
    ("DFS", "Disease-free survival", ["dfs", "disease free survival"]),
    ("RFS", "Relapse-free survival", ["rfs", "relapse free survival", "recurrence free survival"]),
    ("MFS", "Metastasis-free survival", ["mfs", "metastasis free survival"]),
    ("DOR", "Duration of response", ["dor", "duration of response", "duration of overall response", "response duration"]),
    ("TTP", "Time to progression", ["ttp", "time to progression", "time to disease progression"]),
    ("TTR", "Time to response", ["ttr", "time to response", "time to first response"]),
    ("TTNT", "Time to next treatment", ["ttnt", "time to next treatment", "time to next therapy"]),
    ("DCR", "Disease control rate", ["dcr", "disease control rate", "disease control"]),
    ("CBR", "Clinical benefit rate", ["cbr", "clinical benefit rate", "clinical benefit"]),
    ("PCR", "Pathological complete response", [
        "pcr", "pathological complete response", "pathologic complete response", "pathological complete response rate"]),
    ("DLT", "Dose-limiting toxicities", ["dlt", "dlts", "dose limiting toxicity", "dose limiting toxicities"]),
    ("MTD", "Maximum tolerated dose", ["mtd", "maximum tolerated dose", "maximally tolerated dose"]),
    ("AE", "Adverse events", [
        "ae", "aes", "adverse event", "adverse events", "treatment emergent adverse events", "teae", "teaes",
        "serious adverse events", "safety", "safety and tolerability", "tolerability", "incidence of adverse events"]),
    ("PK", "Pharmacokinetics", ["pk", "pharmacokinetics", "pharmacokinetic", "cmax", "plasma concentration"]),
]

_PHRASES: list[tuple[str, str]] = sorted(
    ((match_key(p), code) for code, _name, phrases in KNOWN_ENDPOINTS for p in phrases),
    key=lambda item: len(item[0]),
    reverse=True,
)
ENDPOINT_NAMES: dict[str, str] = {code: name for code, name, _ in KNOWN_ENDPOINTS}


def resolve_endpoint(phrase: str) -> str | None:
    """The known endpoint code a phrase names ("overall response rate" -> "ORR"), or ``None``.

    A parenthesised abbreviation that is itself known decides ("Minimal Residual Disease (MRD) Negativity Rate" ->
    MRD); otherwise the longest known phrasing contained in the phrase as whole words wins.
    """
    for abbreviation in re.findall(r"\(([^()]{1,12})\)", phrase):
        key = match_key(abbreviation)
        for known, code in _PHRASES:
            if key == known:
                return code
    key = f" {match_key(phrase)} "
    for known, code in _PHRASES:
        if f" {known} " in key:
            return code
    return None


# Words a registry measure wraps around the thing measured ("Number of Participants With ...").
_FILLER = re.compile(
    r"^(?:number|percentage|proportion|rate|incidence|frequency)\s+of\s+(?:participants|patients|subjects)\s+"
    r"(?:with|who\s+(?:achieve[ds]?|had|have|experience[ds]?))\s+|^change\s+from\s+baseline\s+in\s+",
    re.IGNORECASE,
)
# How it is measured is not part of what is measured: "... Measured by the MySIm-Q", "... per IMWG criteria".
_QUALIFIER = re.compile(
    r"\s+(?:as\s+)?(?:measured|assessed|evaluated|determined|defined|according\s+to|using|per|by\s+(?:IRC|BICR|investigator))\b.*$",
    re.IGNORECASE,
)
_SMALL_WORDS = {"of", "in", "the", "with", "and", "or", "for", "by", "at", "on", "a", "an", "from", "per", "as"}


@dataclass(frozen=True)
class EndpointSpec:
    code: str
    name: str
    known: bool


def derive_endpoint(phrase: str) -> EndpointSpec:
    """A code and a display name for any endpoint phrase: a known code when :func:`resolve_endpoint` finds one, else
    the phrase's own parenthesised abbreviation, else the initials of its significant words (at most 8 letters).
    """
    phrase = " ".join(phrase.split())
    code = resolve_endpoint(phrase)
    if code:
        return EndpointSpec(code, ENDPOINT_NAMES[code], True)
    name = _FILLER.sub("", phrase).strip(" .;:") or phrase
    name = _QUALIFIER.sub("", name).strip(" ,.;:") or name
    abbreviation = re.search(r"\(([A-Za-z][A-Za-z0-9\-/]{1,11})\)", name)
    if abbreviation:
        code = re.sub(r"[^A-Za-z0-9]", "", abbreviation.group(1)).upper()
        name = (name[: abbreviation.start()] + name[abbreviation.end() :]).strip()
    else:
        words = [w for w in re.findall(r"[A-Za-z0-9]+", name) if w.lower() not in _SMALL_WORDS]
        code = "".join(w[0] for w in words[:8]).upper() or "ENDPOINT"
    name = re.sub(r"\s+", " ", name)
    name = name[:1].upper() + name[1:]
    return EndpointSpec(code[:30], name[:200], False)


# Free text only yields an unknown endpoint when it reads like one (ends in one of these words).
_ENDPOINT_HEADS = re.compile(
    r"\b(?:survival|rate|response|remission|progression|time|duration|negativity|toxicit(?:y|ies)|events?|"
    r"score|incidence|change|quality of life|control|benefit|relapse|recurrence|mortality|death|deterioration|"
    r"worsening|improvement|reduction|level|concentration)s?$",
    re.IGNORECASE,
)


def looks_like_endpoint(phrase: str) -> bool:
    """Whether an unrecognised phrase from prose is plausibly an endpoint name (short, ends in an endpoint noun)."""
    words = phrase.split()
    return 1 <= len(words) <= 7 and bool(_ENDPOINT_HEADS.search(phrase.strip(" .")))
