"""Reading the trials out of an asset profile's prose: each NCT id with the acronym beside it, other trial names
("A parallel study, SUCCESSOR-1, ..."), and for each trial its phase, the regimens compared ("X versus Y"), its primary
and key secondary endpoints, its indication, population, expected readout and the dated events the text reports.

Pure Python. How a sentence is attributed to a trial: a sentence that names trials is cut into one segment per
mention (a segment ends at the last clause break before the next mention); a sentence that names none belongs to the
trial named last in the same paragraph ("The trial met its primary endpoint"). Phase and arms are read only from
segments that name the trial; endpoints, events and the expected readout also from the sentences that follow it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from assets.importers.endpoints import derive_endpoint, looks_like_endpoint, resolve_endpoint
from assets.importers.indications import IndicationMention

NCT_RE = re.compile(r"\bNCT\d{8}\b")
_TOKEN = re.compile(r"(?<![\w\-])([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)(?![\w\-])")

# Hyphenated capitals that are targets, viruses or technologies, not trials.
NOT_TRIALS = {
    "CAR-T", "COVID-19", "SARS-COV-2", "GLP-1", "GLP-2", "GIP-1", "HER-2", "HER-3", "CTLA-4", "BCL-2", "MCL-1",
    "CDK-4", "IDH-1", "IDH-2", "FLT-3", "FGFR-2", "FGFR-3", "IGF-1", "HIF-2", "KRAS-G12C", "KRAS-G12D", "TNF-ALPHA",
    "PD-L1", "PD-1", "IL-6", "IL-17", "IL-23", "NK-CELL", "T-CELL", "B-CELL", "ANTI-CD38", "ANTI-BCMA",
}
# Capitalised words that are never trial names even next to "trial"/"study".
ABBREVIATIONS = {
    "FDA", "EMA", "CHMP", "NMPA", "PMDA", "MHRA", "ASCO", "ASH", "EHA", "ESMO", "AACR", "IMS", "NCCN", "BCMA", "GPRC5D",
    "CELMOD", "IMID", "RRMM", "NDMM", "NSCLC", "SCLC", "DLBCL", "AML", "CLL", "MDS", "PFS", "OS", "ORR", "MRD",
    "HRQOL", "EFS", "DOR", "CR", "VGPR", "DFS", "TTP", "TTNT", "PHASE", "TRIAL", "STUDY", "DATA", "USA", "CRS",
    "ICANS", "ADC", "CEO", "CMO", "IRC", "BICR", "IMWG", "RECIST", "HR", "CI", "THE", "THIS", "NEJM", "JCO", "BLA",
    "NDA", "SBLA", "SNDA", "MAA", "PDUFA", "EU", "US", "UK", "CD38", "CD3", "CD20", "FCRH5",
}
_DEV_CODE = re.compile(r"^(?:[A-Z]{1,4}-?\d{3,}|[A-Z]{5,6}-?\d{4,})[A-Z]?\d*$")
# Drug-name stems (INN suffixes): a trial named only next to another drug is that drug's trial, not this asset's.
DRUG_NAME = re.compile(
    r"\b[a-z]{3,}(?:mab|nib|zomib|domide|mide|leucel|parib|ciclib|lisib|tide|stat|vir|vec|tansine|vedotin|"
    r"mafodotin|deruxtecan|govitecan|cel)\b",
    re.IGNORECASE,
)
CLAUSE_BREAK = re.compile(r";|,|:|\s+and\s+|\s+while\s+|\s+whereas\s+|\s+but\s+|\s+\u2014\s+|\s+\u2013\s+")


@dataclass
class ArmFacts:
    name: str
    role: str  # an Arm.Role value
    description: str = ""


@dataclass
class EndpointFacts:
    code: str
    name: str
    kind: str  # a TrialEndpoint.Kind value
    known: bool
    phrase: str = ""


@dataclass
class EventFacts:
    kind: str
    description: str
    date: dt.date
    precision: str


@dataclass
class TrialFacts:
    acronym: str = ""
    registry_id: str = ""
    line: int = 0
    phase: str = ""
    arms: list[ArmFacts] = field(default_factory=list)
    endpoints: list[EndpointFacts] = field(default_factory=list)
    indication: IndicationMention | None = None
    population: str = ""
    expected_readout: str = ""
    events: list[EventFacts] = field(default_factory=list)
    in_lead: bool = False
    names_asset: bool = False
    names_other_drug: bool = False

    @property
    def label(self) -> str:
        return self.acronym or self.registry_id


@dataclass(frozen=True)
class Paragraph:
    text: str
    line: int


def _is_acronymish(token: str, excluded: set[str]) -> bool:
    upper = token.upper()
    if upper in NOT_TRIALS or upper in ABBREVIATIONS or upper in excluded or _DEV_CODE.match(token):
        return False
    if re.fullmatch(r"[A-Z][a-z]+-\d{1,3}[A-Za-z]?", token):  # "Successor-2" as a newswire writes it
        return True
    return sum(c.isupper() for c in token) >= 2


def _shape_is_trial(token: str) -> bool:
    """Trial-shaped on its own: a capitalised stem of 5+ letters, a hyphen and a short suffix (SUCCESSOR-2,
    KEYNOTE-189, DESTINY-Breast03, EXCALIBER-RRMM, MajesTEC-1)."""
    if "-" not in token or _DEV_CODE.match(token):
        return False
    stem, suffix = token.split("-", 1)
    stem_ok = (stem.isalpha() and stem.isupper() and len(stem) >= 5) or bool(
        re.fullmatch(r"[A-Z][a-z]*[A-Z][A-Za-z]*", stem) and len(stem) >= 5
    )
    suffix_ok = bool(
        re.fullmatch(r"\d{1,3}[A-Za-z]?", suffix)
        or re.fullmatch(r"[A-Z]{2,}\d*", suffix)
        or re.fullmatch(r"[A-Z][a-z]+\d{1,3}", suffix)
        or re.fullmatch(r"[A-Z]+\d+[A-Z]*\d*", suffix)
    )
    return stem_ok and suffix_ok


def _context_says_trial(text: str, start: int, end: int) -> bool:
    after = text[end : end + 40]
    before = text[max(0, start - 25) : start]
    if re.match(r"\s+(?:(?:pivotal|phase\s*\w+|registrational|confirmatory)\s+){0,2}(?:trial|study|studies|trials)\b", after, re.I):
        return True
    return bool(re.search(r"\b(?:trial|study|called|named|dubbed)\s*[,:]?\s*$", before, re.I))


def find_trial_names(text: str, excluded: set[str]) -> list[tuple[str, int]]:
    """Trial names in ``text`` that are not next to an NCT id: trial-shaped tokens, and capitalised words that the
    text calls a trial or study ("the MAIA trial", "a parallel study, SUCCESSOR-1"). ``excluded`` holds upper-cased
    words never to take (the asset's name and aliases, indication abbreviations)."""
    found = []
    for m in _TOKEN.finditer(text):
        token = m.group(1)
        upper = token.upper()
        if upper in NOT_TRIALS or upper in ABBREVIATIONS or upper in excluded:
            continue
        if _shape_is_trial(token):
            found.append((token, m.start()))
            continue
        # Cheapest tests first: this runs for every word of the text.
        caps_word = (len(token) >= 4 and "A" <= token[0] <= "Z" and sum(c.isupper() for c in token) >= 3
                     and token.replace("-", "").isalnum() and not _DEV_CODE.match(token))
        if caps_word and _context_says_trial(text, m.start(), m.end()):
            found.append((token, m.start()))
    return found


def acronym_beside(text: str, start: int, end: int, excluded: set[str]) -> str:
    """The acronym written next to the NCT id at ``text[start:end]``: "SUCCESSOR-2 (NCT05552976)",
    "the MAIA trial (NCT02252172)", "NCT05552976 (SUCCESSOR-2)"."""
    before = text[max(0, start - 80) : start]
    while True:
        stripped = re.sub(r"(?:[\s(\[,:;]+|\b(?:trial|study|identifier|ClinicalTrials\.gov|NCT\s*id|NCT\s*number|registry)\s*)$", "", before, flags=re.I)
        if stripped == before:
            break
        before = stripped
    last = re.search(r"([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)$", before)
    gap = text[max(0, start - 80) : start][len(before) :] if last else ""
    if last and len(gap) <= 30 and _is_acronymish(last.group(1), excluded):
        return last.group(1)
    after = re.match(r"\s*[(\[;,]\s*([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)\s*[)\]]", text[end : end + 60])
    if after and _is_acronymish(after.group(1), excluded):
        return after.group(1)
    return ""


# --- arms ----------------------------------------------------------------------------------------------------------

_VERSUS = re.compile(r"\s+(?:versus|vs\.?|v\.|compared\s+(?:with|to))\s+", re.IGNORECASE)
_LEFT_BOUNDARY = re.compile(
    r"\b(?:of|comparing|compares|compared|compare|evaluating|evaluates|evaluated|evaluate|testing|tests|tested|test|assessing|"
    r"assesses|investigating|investigates|between|is|was|are|were|randomi[sz]ed\s+to|randomi[sz]es\s+\w+\s+to|"
    r"receive|received|receiving)\s+",
    re.IGNORECASE,
)
_LEFT_FILLER = re.compile(
    r"^(?:(?:the|a|an|either|pivotal|randomi[sz]ed|open-label|global|registrational|confirmatory|double-blind|"
    r"placebo-controlled|head-to-head|phase\s*[\w/]+|trial|study|combination\s+of|regimen\s+of)\s+)+",
    re.IGNORECASE,
)
_RIGHT_STOP = re.compile(
    r"[;:.]|,\s|\s+[\u2014\u2013]\s+|\s+(?:in(?!\s+combination)|among|for|as|across|at|on|after|before|who|where|"
    r"which|that|targeting|enrolling|with\s+(?:a\s+|the\s+)?(?:primary|co-primary|key)|and\s+(?:is|was|the|met|showed|"
    r"demonstrated))\b",
    re.IGNORECASE,
)
_LIST_GOES_ON = re.compile(r"[\w\-]+(?:,\s*[\w\-]+)*,?\s+(?:and|plus|\+)\s+[\w\-]+")
_LIST_LINK = re.compile(r"\s(?:and|or|plus|with)\s|\+", re.IGNORECASE)


def left_operand(text: str, trial_names: re.Pattern | None) -> str:
    depth = 0
    for i in range(len(text) - 1, -1, -1):  # cut at an unclosed "(" or a clause mark, scanning leftwards
        char = text[i]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                text = text[i + 1 :]
                break
            depth -= 1
        elif depth == 0 and char in ":;\u2014\u2013":
            text = text[i + 1 :]
            break
    if trial_names:
        last = None
        for last in trial_names.finditer(text):
            pass
        if last:
            text = text[last.end() :]
            text = re.sub(r"^\s*\([^()]*\)", "", text)  # "(NCT05552976)" right after the name
    boundaries = list(_LEFT_BOUNDARY.finditer(text))
    if boundaries:
        text = text[boundaries[-1].end() :]
    if ", " in text:
        head, tail = text.rsplit(", ", 1)
        if not _LIST_LINK.search(tail) or not head.strip() or " " in head.strip():
            text = tail
    text = _LEFT_FILLER.sub("", text.strip(" ,"))
    return text.strip(" ,")


def _right_operand(text: str) -> str:
    depth = 0
    end = len(text)
    i = 0
    while i < len(text):
        char = text[i]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                end = i
                break
            depth -= 1
        elif depth == 0:
            m = _RIGHT_STOP.match(text, i)
            if m and char == "," and _LIST_GOES_ON.match(text, m.end()):
                m = None  # "daratumumab, pomalidomide and dexamethasone": a list of drugs goes on
            if m and (i > 0 or char in ";:.,"):
                end = i
                break
        i += 1
    text = text[:end].strip(" ,")
    text = re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.I)
    return re.sub(r"\s+(?:alone|only)$", "", text, flags=re.I).strip()


def _arm_from_operand(operand: str, role: str) -> ArmFacts | None:
    operand = " ".join(operand.split())
    if not operand or len(operand) > 150 or len(operand.split()) > 20:
        return None
    abbreviations = re.findall(r"\(([^()\s]{1,30})\)", operand)
    if len(abbreviations) > 1 and re.search(r"\)\s+or\s+", operand):  # "... (DPd) or ... (DVd)"
        full = " ".join(re.sub(r"\s*\([^()\s]{1,30}\)", "", operand).split())
        return ArmFacts(" or ".join(abbreviations), role, full)
    m = re.fullmatch(r"(?P<full>.*?)\s*\((?P<abbr>[^()\s]{1,30})\)", operand)
    if m and not NCT_RE.fullmatch(m.group("abbr")):
        return ArmFacts(m.group("abbr"), role, m.group("full").strip())
    inner = re.findall(r"\(([^()\s]{1,30})\)", operand)
    if len(inner) == 1 and not NCT_RE.fullmatch(inner[0]):  # "standard of care (SOC) second-line therapy"
        full = " ".join(re.sub(r"\s*\(" + re.escape(inner[0]) + r"\)", "", operand).split())
        return ArmFacts(inner[0], "control" if "placebo" in operand.lower() else role, full)
    if " " not in operand and len(operand) <= 40:
        return ArmFacts(operand, role, "")
    if "placebo" in operand.lower():
        role = "control"
    return ArmFacts(operand[:200], role, operand)


_COMPARING = re.compile(r"\b(compar(?:ed|es|ing))\s+(?!with\b|to\b)(?P<left>[^;:.]{2,150}?)\s+(?:with|to|against)\s+", re.I)


def parse_arms(segment: str, trial_names: re.Pattern | None = None) -> list[ArmFacts]:
    """The regimens a segment compares: "MeziKd versus Kd", "mezigdomide + carfilzomib + dexamethasone (MeziKd)
    versus carfilzomib + dexamethasone (Kd)", "compared ide-cel with standard regimens". The first is the
    experimental arm, the others controls."""
    if not _VERSUS.search(segment):
        segment = _COMPARING.sub(lambda m: f"{m.group(1)} {m.group('left')} versus ", segment, count=1)
    pieces = _VERSUS.split(segment)
    if len(pieces) < 2:
        return []
    operands = [left_operand(pieces[0], trial_names)] + [_right_operand(p) for p in pieces[1:]]
    arms = []
    for index, operand in enumerate(operands):
        arm = _arm_from_operand(operand, "experimental" if index == 0 else "control")
        if arm is None:
            return []  # half a comparison is worse than none
        arms.append(arm)
    return arms


# --- endpoints -----------------------------------------------------------------------------------------------------

_EP = r"(?:end\s?-?points?|outcomes?(?:\s+measures?)?)"
_LIST_STOP = re.compile(
    r"(?:,\s*)?\b(?:key\s+secondar\w*|secondary|exploratory|while|whereas|which|that|as\s+assessed|assessed|per|by|"
    r"will|with(?!\s+the)|in\s+(?:patients|the|a|all)|compared|versus|vs)\b|\s[\u2014\u2013]\s|\(\s*(?:IRC|BICR|ITT)",
    re.IGNORECASE,
)
_LIST_PATTERNS = [
    ("key_secondary", re.compile(r"\bkey\s+secondar(?:y|ies)(?:\s+" + _EP + r")?(?:\s+(?:include|includes|including|are|were|is|was|of|being))?\s*[:,]?\s*(?P<list>[^.;]+)", re.I)),
    ("primary", re.compile(r"\b(?:co-?|dual\s+)?primary\s+" + _EP + r"(?:\s+(?:is|are|was|were|of|include|includes|including|being|will\s+be))?\s*[:,]?\s*(?P<list>[^.;]+)", re.I)),
    ("secondary", re.compile(r"(?<!key\s)\b(?:other\s+)?secondary\s+" + _EP + r"(?:\s+(?:include|includes|including|are|were|of))?\s*[:,]?\s*(?P<list>[^.;]+)", re.I)),
]
_AS_PATTERN = re.compile(
    r"\b(?:with|and)\s+(?P<list>(?:(?!\bwith\b)[^.;])+?)\s+as\s+(?:the\s+|its\s+)?(?P<kind>key\s+secondary|secondary|co-?primary|primary)\s+" + _EP,
    re.I,
)
_INLINE_PATTERNS = [
    ("key_secondary", re.compile(r"\bkey\s+secondary\s+(?P<item>[A-Za-z][\w\-/ ]{0,40}?)\s+" + _EP, re.I)),
    ("primary", re.compile(r"\bprimary\s+(?P<item>[A-Za-z][\w\-/ ]{0,40}?)\s+" + _EP, re.I)),
    ("primary", re.compile(r"(?P<item>[A-Za-z][\w\-]*(?:\s+[\w\-]+){0,3})\s+(?:is|was|as|serves\s+as)\s+(?:the\s+|its\s+)?(?:co-?)?primary\s+" + _EP, re.I)),
]
_ITEM_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*;\s*")
_ITEM_LEAD = re.compile(r"^(?:the|a|an|its|rates?\s+of|improvements?\s+in|was|were|is|are|being)\s+", re.I)


def _items(text: str) -> list[str]:
    depth, parts, current = 0, [], ""
    # split on commas/"and" outside parentheses only: "progression-free survival (PFS, by IRC)" stays one item
    for piece in re.split(r"(\(|\))", text):
        if piece == "(":
            depth += 1
        elif piece == ")":
            depth = max(0, depth - 1)
        if depth == 0 and piece not in "()":
            chunks = _ITEM_SPLIT.split(piece)
            current += chunks[0]
            for chunk in chunks[1:]:
                parts.append(current)
                current = chunk
        else:
            current += piece
    parts.append(current)
    items = []
    for part in parts:
        part = part.strip(" ,.:")
        while _ITEM_LEAD.match(part):
            part = _ITEM_LEAD.sub("", part)
        if part:
            items.append(part)
    return items


def _endpoint(item: str, kind: str, strict: bool) -> EndpointFacts | None:
    code = resolve_endpoint(item)
    if code is None and (strict or not looks_like_endpoint(re.sub(r"\([^)]*\)", "", item).strip())):
        return None
    spec = derive_endpoint(item)
    return EndpointFacts(spec.code, spec.name, kind, spec.known, item)


def parse_endpoints(text: str) -> list[EndpointFacts]:
    """Primary, key secondary and secondary endpoints stated in ``text``, in order of appearance, one per code
    ("primary endpoint PFS, key secondaries OS, ORR, MRD negativity, and HRQoL"; "met its primary PFS endpoint";
    "the primary endpoint is event-free survival"). Unknown phrases are kept only when they read like an endpoint.
    """
    folded = text.casefold()
    if "primary" not in folded and "secondar" not in folded:
        return []  # every pattern below needs one of them; most paragraphs of a long profile have neither
    found: list[tuple[int, EndpointFacts]] = []
    for kind, pattern in _LIST_PATTERNS:
        for m in pattern.finditer(text):
            listed = m.group("list")
            stop = _LIST_STOP.search(listed)
            if stop:
                listed = listed[: stop.start()]
            for item in _items(listed):
                facts = _endpoint(item, kind, strict=False)
                if facts:
                    found.append((m.start("list"), facts))
    for m in _AS_PATTERN.finditer(text):
        kind = m.group("kind").lower().replace(" ", "_").replace("co-primary", "primary").replace("coprimary", "primary")
        kind = re.sub(r"_+", "_", kind)
        for item in _items(m.group("list")):
            facts = _endpoint(item, kind, strict=False)
            if facts:
                found.append((m.start("list"), facts))
    for kind, pattern in _INLINE_PATTERNS:
        for m in pattern.finditer(text):
            words = m.group("item").split()
            for size in range(1, min(4, len(words)) + 1):  # the shortest tail that names an endpoint
                facts = _endpoint(" ".join(words[-size:]), kind, strict=True)
                if facts:
                    found.append((m.start("item"), facts))
                    break
    result: dict[str, EndpointFacts] = {}
    rank = {"primary": 0, "key_secondary": 1, "secondary": 2}
    for _position, facts in sorted(found, key=lambda pair: pair[0]):
        current = result.get(facts.code)
        if current is None:
            result[facts.code] = facts
        elif rank[facts.kind] < rank[current.kind]:
            current.kind = facts.kind
    return list(result.values())


_POPULATION = re.compile(
    r"\b(?:targeting|enrolling|enrolled|in|among|for)\s+(?P<pop>(?:[\w\-]+\s+){0,3}?(?:patients|adults|participants|people|"
    r"subjects|individuals)\s+(?:with|who|whose|aged|previously)\b[^;.:\u2014\u2013]*)",
    re.IGNORECASE,
)


def parse_population(segment: str) -> str:
    """The patients a trial enrols, as the text puts it ("patients with prior lenalidomide and anti-CD38 exposure")."""
    m = _POPULATION.search(segment)
    if not m:
        return ""
    population = re.split(r",\s*(?:with\s+)?(?:primary|key|secondary|and\s+(?:the|its)\s+primary)\b", m.group("pop"))[0]
    return population.strip(" ,")[:300]
