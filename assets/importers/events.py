"""Recognising the events a sentence reports: a topline (primary endpoint met or missed), data presented at a
conference, a regulatory approval, enrollment completed, a trial started; and when results are expected.

Pure Python. Used by the profile importer (with a date from the same sentence) and the news importer (dated by the
news item).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CONFERENCES = [
    "ASCO GI", "ASCO GU", "ESMO Breast", "ESMO GI", "ESMO IO", "ASCO", "ASH", "EHA", "ESMO", "AACR", "IMS", "SABCS",
    "WCLC", "SOHO", "EBMT", "TCT", "ACR", "AAN", "AAIC", "CTAD", "ADA", "EASD", "EASL", "AASLD", "AHA", "ACC", "ESC",
    "ERS", "ATS", "AAD", "DDW", "UEGW", "ECTRIMS", "IDWeek", "CROI", "SITC", "SNMMI", "ISTH",
]
JOURNALS = [
    "New England Journal of Medicine", "NEJM", "The Lancet Oncology", "Lancet Oncology", "The Lancet", "Lancet",
    "Journal of Clinical Oncology", "JCO", "Nature Medicine", "Blood", "JAMA Oncology", "JAMA",
]
_CONF = r"(?:" + "|".join(re.escape(c) for c in CONFERENCES) + r")"
_VENUE = (
    r"(?P<venue>(?:the\s+)?(?:" + _CONF + r")(?:\s+(?:Annual\s+Meeting|Congress|Symposium|Meeting))?(?:\s+(?:19|20)\d{2})?"
    r"|(?:" + "|".join(re.escape(j) for j in JOURNALS) + r"))\b"
)

# Words that make the rest of a sentence hypothetical or future: "if it meets", "is expected to meet".
_HYPOTHETICAL = re.compile(
    r"\b(?:if|whether|unless|expected\s+to|anticipated\s+to|could|would|may|might|will|shall|should|aims?\s+to|"
    r"designed\s+to|plans?\s+to|planned|hopes?\s+to|intends?\s+to|to\s+be|potential(?:ly)?|upcoming|future|"
    r"seek(?:s|ing)?|await(?:s|ing|ed)?)\b",
    re.IGNORECASE,
)

_W = r"(?:\W+\w+){0,5}?\W+"
_PRIMARY = r"(?:co-?|dual\s+)?primary\s+(?:[\w\-]+\s+){0,3}?end\s?-?points?\b"
_MISSED = [
    re.compile(r"\b(?:did\s+not|didn['’]t|does\s+not|do\s+not|failed\s+to|fails\s+to|not)\s+(?:meet|achieve|reach|hit)\b" + _W + _PRIMARY, re.I),
    re.compile(r"\bmiss(?:ed|es)\b" + _W + _PRIMARY, re.I),
    re.compile(r"\bprimary\s+(?:[\w\-]+\s+){0,3}?end\s?-?points?\s+(?:was|were|has\s+not\s+been|had\s+not\s+been)\s+not\s+met\b", re.I),
    re.compile(r"\bprimary\s+(?:[\w\-]+\s+){0,3}?end\s?-?points?\s+(?:was|were)\s+not\s+met\b", re.I),
    re.compile(r"\b(?:did\s+not|failed\s+to)\s+(?:reach|achieve|show)\s+(?:a\s+)?statistical(?:ly)?\s+significan", re.I),
    re.compile(r"\bnegative\s+top-?line\b", re.I),
    re.compile(r"\b(?:stopped|halted|discontinued|terminated)\b[^.;]{0,60}\bfutility\b", re.I),
]
_MET = [
    re.compile(r"\b(?:met|meets|meeting|achieved|achieves|hit|hits|reached|reaches|succeeded\s+(?:in|on))\b" + _W + _PRIMARY, re.I),
    re.compile(r"\bprimary\s+(?:[\w\-]+\s+){0,3}?end\s?-?points?\s+(?:was|were|has\s+been|had\s+been)\s+met\b", re.I),
    re.compile(r"\bpositive\s+top-?line\b", re.I),
    re.compile(r"\bread\s*-?\s*out\s+positive(?:ly)?\b", re.I),
    re.compile(r"\bstatistically\s+significant\s+(?:and\s+clinically\s+meaningful\s+)?improvements?\s+in\b", re.I),
]
_TOPLINE_WORDS = ("primary", "statistical", "top", "futility", "read")
_PRESENTED = [
    re.compile(r"(?i:\b(?:presented|reported|unveiled|shared|published|detailed|announced)\b)[^.;]{0,80}?\b(?i:at|in|during)\s+" + _VENUE),
    re.compile(r"\b(?:data|results|findings)\s+(?:were|was|have\s+been|has\s+been)\s+(?:presented|published|reported)\b", re.I),
]
_AGENCY = (
    r"(?P<agency>FDA|U\.S\.\s+Food\s+and\s+Drug\s+Administration|Food\s+and\s+Drug\s+Administration|EMA|"
    r"European\s+Medicines\s+Agency|European\s+Commission|EC|CHMP|MHRA|PMDA|NMPA|Health\s+Canada|MHLW)"
)
_AGENCY_NAMES = {
    "u.s. food and drug administration": "FDA", "food and drug administration": "FDA",
    "european medicines agency": "EMA", "european commission": "EC",
}
_REGULATORY = [
    (re.compile(r"\b" + _AGENCY + r"\b[^.;]{0,60}?\b(?:adopted|issued|gave)\s+a\s+positive\s+opinion\b"), "positive opinion"),
    (re.compile(r"\b" + _AGENCY + r"\b[^.;]{0,60}?\b(?i:granted|grants|approved|approves|cleared|clears)\b(?P<what>[^.;]{0,40})"), "approval"),
    (re.compile(r"\b(?:received|won|secured|gained|obtained|granted)\b(?P<what>[^.;]{0,40}?)\b(?:approval|marketing\s+authori[sz]ation)\b[^.;]{0,40}?\b(?:from|by|in)\s+(?:the\s+)?" + _AGENCY + r"\b"), "approval"),
    (re.compile(r"\b" + _AGENCY + r"\b[^.;]{0,60}?\baccepted\b[^.;]{0,60}?\b(?:application|filing|submission|BLA|NDA|MAA|sBLA|sNDA)\b"), "filing accepted"),
    (re.compile(r"\b(?:received|granted|awarded)\b[^.;]{0,40}?\b(?P<designation>Breakthrough\s+Therapy|Fast\s+Track|Orphan\s+Drug|PRIME|Priority\s+Review)\s+designation\b", re.I), "designation"),
]
_ENROLLED = re.compile(
    r"\b(?:completed|completes|completing)\s+(?:patient\s+|participant\s+)?(?:enrollment|enrolment|recruitment|accrual)\b|"
    r"\b(?:enrollment|enrolment|recruitment|accrual)\s+(?:was|has\s+been|is|had\s+been)\s+completed?\b|\bfully\s+enrolled\b",
    re.I,
)
_STARTED = re.compile(
    r"\bfirst\s+(?:patient|participant|subject)\s+(?:was\s+|has\s+been\s+)?(?:dosed|enrolled|randomi[sz]ed|treated)\b|"
    r"\b(?:initiated|started|began|commenced|launched)\s+(?:the\s+|a\s+|its\s+)?(?:[\w\-/]+\s+){0,3}?(?:trial|study)\b",
    re.I,
)


@dataclass(frozen=True)
class EventMatch:
    kind: str  # a TrialEvent.Kind value
    description: str
    start: int


def _hypothetical_before(sentence: str, position: int) -> bool:
    return bool(_HYPOTHETICAL.search(sentence[:position]))


def detect_events(sentence: str) -> list[EventMatch]:
    """The events a sentence reports as having happened, at most one per kind, in a fixed order of kinds.

    Descriptions are short and stable so that importing the same news twice, or the same fact from a profile and a
    news item, names the event the same way: "primary endpoint met", "primary endpoint missed", "data presented at
    ASH 2025", "FDA approval", "CHMP positive opinion", "enrollment complete", "trial started".
    Sentences that only speculate ("if it meets its primary endpoint", "will be presented at ASCO") report nothing.
    """
    events: list[EventMatch] = []
    topline = None
    # Every topline pattern needs one of these words; most sentences of a long profile have none (issue 13).
    folded = sentence.casefold()
    maybe_topline = any(word in folded for word in _TOPLINE_WORDS)
    for pattern in _MISSED if maybe_topline else ():
        m = pattern.search(sentence)
        if m and not _hypothetical_before(sentence, m.start()):
            topline = EventMatch("topline", "primary endpoint missed", m.start())
            break
    if topline is None and maybe_topline:
        for pattern in _MET:
            m = pattern.search(sentence)
            if m and not _hypothetical_before(sentence, m.start()):
                topline = EventMatch("topline", "primary endpoint met", m.start())
                break
    if topline:
        events.append(topline)
    for pattern in _PRESENTED:
        m = pattern.search(sentence)
        if m and not _hypothetical_before(sentence, m.start()):
            venue = m.groupdict().get("venue")
            venue = re.sub(r"^the\s+", "", venue or "", flags=re.I)
            description = f"data presented at {venue}" if venue else "data presented"
            if venue and venue in JOURNALS:
                description = f"results published in {venue}"
            events.append(EventMatch("readout", description, m.start()))
            break
    for pattern, label in _REGULATORY:
        m = pattern.search(sentence)
        if m and not _hypothetical_before(sentence, m.start()):
            events.append(EventMatch("regulatory", _regulatory_description(m, label), m.start()))
            break
    m = _ENROLLED.search(sentence)
    if m and not _hypothetical_before(sentence, m.start()):
        events.append(EventMatch("enrollment_complete", "enrollment complete", m.start()))
    m = _STARTED.search(sentence)
    if m and not _hypothetical_before(sentence, m.start()):
        events.append(EventMatch("start", "first patient dosed" if "first" in m.group(0).lower() else "trial started", m.start()))
    return events


def _regulatory_description(m: re.Match, label: str) -> str:
    groups = m.groupdict()
    if label == "designation":
        return f"{' '.join(groups['designation'].split())} designation"
    agency = " ".join((groups.get("agency") or "").split())
    agency = _AGENCY_NAMES.get(agency.lower(), agency)
    if label == "approval":
        what = (groups.get("what") or "").lower()
        for kind in ("accelerated", "conditional", "full", "traditional"):
            if kind in what:
                return f"{agency} {kind} approval".strip()
    return f"{agency} {label}".strip()


_EXPECTED = re.compile(
    r"\b(?:expected|anticipated|planned|due|slated|scheduled|set)\s+(?:to\s+(?:be\s+)?(?:presented|read\s+out|report)\s+)?"
    r"(?:at|in|by|for|during)\s+(?P<when>"
    r"(?:an?\s+|the\s+)?(?:upcoming\s+|planned\s+|future\s+|forthcoming\s+|major\s+)*(?:medical\s+|scientific\s+)?(?:conference|meeting|congress)"
    r"|" + _CONF + r"(?:\s+(?:19|20)\d{2})?"
    r"|(?:early|mid|late|the\s+(?:first|second)\s+half\s+of|H[12]|Q[1-4]|the\s+end\s+of)?[\s-]*(?:19|20)\d{2})",
    re.IGNORECASE,
)
_AHEAD_OF = re.compile(
    r"\bahead\s+of\s+(?:an?\s+|the\s+)?(?:planned\s+|upcoming\s+|future\s+)?(?:medical\s+|scientific\s+)?"
    r"(?:conference|meeting|congress)(?:\s+presentation)?\b",
    re.IGNORECASE,
)


def detect_expected_readout(sentence: str) -> str:
    """When a sentence says results are expected ("full results are expected at an upcoming medical conference",
    "data expected in H2 2026", "ahead of a planned medical conference presentation"), a short label for
    Trial.expected_readout ("Upcoming medical conference", "H2 2026", "ASH 2026"); else "".
    """
    m = _EXPECTED.search(sentence)
    if m:
        when = " ".join(m.group("when").split())
        if re.search(r"conference|meeting|congress", when, re.I) and not re.search(_CONF, when):
            return "Upcoming medical conference"
        when = re.sub(r"^(?:an?|the)\s+", "", when, flags=re.I)
        return when[:1].upper() + when[1:]
    if _AHEAD_OF.search(sentence):
        return "Upcoming medical conference"
    return ""
