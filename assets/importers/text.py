"""Small pure text tools the importers share: matching keys, sentences, emoji headings, phases and dates.

No Django here, so every function can be tested with plain tables and hypothesis.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

# --- matching keys -------------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def match_key(text: str) -> str:
    """Lower-case ``text``, turn every run of punctuation or space into one space: the key names are compared by.

    "Bristol-Myers Squibb", "bristol myers  squibb" and "BRISTOL MYERS SQUIBB" share the key "bristol myers squibb";
    a possessive "Squibb's" becomes "squibb s", so a name still matches as whole words inside a longer key.
    """
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return " ".join(re.findall(r"[^\W_]+", text))


def contains_words(haystack_key: str, needle_key: str) -> bool:
    """Whether ``needle_key`` occurs in ``haystack_key`` as whole words (both made by :func:`match_key`)."""
    return bool(needle_key) and f" {needle_key} " in f" {haystack_key} "


# --- sentences -----------------------------------------------------------------------------------------------------

# Words after which a full stop does not end a sentence.
_NO_BREAK_AFTER = {
    "vs", "e.g", "i.e", "etc", "al", "inc", "ltd", "co", "corp", "dr", "mr", "mrs", "ms", "prof", "approx", "no",
    "fig", "st", "jr", "sr", "u.s", "u.k", "m.d", "ph.d", "ca", "cf", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec",
}
_BREAK = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset of the sentence in the paragraph it came from


def split_sentences(paragraph: str) -> list[Sentence]:
    """Split a paragraph into sentences, keeping "vs.", "e.g.", "Inc.", initials and decimals inside a sentence."""
    sentences: list[Sentence] = []
    start = 0
    for match in _BREAK.finditer(paragraph):
        before = paragraph[start : match.start()].rstrip("\"'\u201d\u2019)]")
        last_word = re.search(r"([\w.]+)\.$", before)
        if last_word:
            word = last_word.group(1).lower()
            if word in _NO_BREAK_AFTER or (len(word) == 1 and word.isalpha()):
                continue
        piece = paragraph[start : match.start()].strip()
        if piece:
            sentences.append(Sentence(piece, start))
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(Sentence(tail, start))
    return sentences


# --- emoji headings ------------------------------------------------------------------------------------------------

_EMOJI_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


def _is_emoji_char(char: str) -> bool:
    code = ord(char)
    if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF:
        return True
    if 0x2190 <= code <= 0x21FF or 0x2300 <= code <= 0x23FF or 0x25A0 <= code <= 0x25FF or 0x2900 <= code <= 0x297F:
        return True
    if code in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299):
        return True
    return unicodedata.category(char) == "So"


def split_emoji(line: str) -> tuple[str, str]:
    """Split a heading line into its leading emoji (a whole sequence: skin tones, ZWJ joins, flags, keycaps) and the
    rest. Returns ``("", line)`` when the line does not start with an emoji.
    """
    i = 0
    n = len(line)
    if n >= 2 and line[0] in "0123456789#*" and (line[1] == "\u20e3" or line[1:3] == "\ufe0f\u20e3"):
        i = 3 if line[1] == "\ufe0f" else 2  # keycap digit: 1️⃣
    else:
        while i < n:
            char = line[i]
            code = ord(char)
            if _is_emoji_char(char) or (i > 0 and (char in _EMOJI_JOINERS or 0x1F3FB <= code <= 0x1F3FF)):
                i += 1
            elif i > 0 and 0xE0020 <= code <= 0xE007F:  # tag sequences (subdivision flags)
                i += 1
            elif i > 0 and line[i - 1] == "\u200d" and _is_emoji_char(char):
                i += 1
            else:
                break
    emoji = line[:i]
    return emoji, line[i:].strip()


# --- phases --------------------------------------------------------------------------------------------------------

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
PHASE_RE = re.compile(
    r"\bphase[\s-]*(?P<a>iv|i{1,3}|[1-4])(?P<asub>[ab])?"
    r"(?:\s*(?:/|-|–|and|or)\s*(?:phase\s*)?(?P<b>iv|i{1,3}|[1-4])(?P<bsub>[ab])?)?(?![\w/])",
    re.IGNORECASE,
)
_PHASES = {"1", "1/2", "2", "2/3", "3", "4"}


def _phase_number(token: str) -> int:
    token = token.lower()
    return _ROMAN[token] if token in _ROMAN else int(token)


def phase_from_match(match: re.Match) -> str:
    """Map a :data:`PHASE_RE` match to a Trial phase value: "Phase 1b/2" -> "1/2", "phase III" -> "3"."""
    a = _phase_number(match.group("a"))
    b = _phase_number(match.group("b")) if match.group("b") else a
    low, high = min(a, b), max(a, b)
    value = str(low) if low == high else f"{low}/{high}"
    return value if value in _PHASES else str(high)


# --- dates ---------------------------------------------------------------------------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"


@dataclass(frozen=True)
class FuzzyDate:
    """A date known to some precision: ``day``, ``month``, ``quarter``, ``half`` or ``year``.

    ``value`` is the first day of the period ("March 2026" is 2026-03-01 with precision month).
    """

    value: dt.date
    precision: str
    start: int = 0
    end: int = 0


_DATE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(r"\b(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b")),
    ("mdy", re.compile(r"\b" + _MONTH_RE + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})\b", re.I)),
    ("dmy", re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_RE + r",?\s+(?P<year>\d{4})\b", re.I)),
    ("my", re.compile(r"\b" + _MONTH_RE + r",?\s+(?:of\s+)?(?P<year>\d{4})\b", re.I)),
    ("quarter", re.compile(r"\b(?:Q(?P<q>[1-4])|(?P<qword>first|second|third|fourth)\s+quarter(?:\s+of)?)\s+(?P<year>\d{4})\b", re.I)),
    ("half", re.compile(r"\b(?:H(?P<h>[12])|(?P<hword>first|second)\s+half(?:\s+of)?)\s+(?P<year>\d{4})\b", re.I)),
    ("year", re.compile(r"\b(?:in|during|by|since|early|mid|late|end of|mid-)\s*-?\s*(?P<year>(?:19|20)\d{2})\b", re.I)),
]
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def find_dates(text: str) -> list[FuzzyDate]:
    """Every date expression in ``text``, most precise first where two overlap, in order of appearance.

    Recognises 2026-03-09, "March 9, 2026", "9 March 2026", "March 2026", "Q1 2026", "first quarter of 2026",
    "H2 2026", "second half of 2026" and a bare year after "in"/"by"/"early"/"late". Impossible dates are skipped.
    """
    found: list[FuzzyDate] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            try:
                year = int(m.group("year"))
                if kind == "iso":
                    value, precision = dt.date(year, int(m.group("mon")), int(m.group("day"))), "day"
                elif kind in ("mdy", "dmy"):
                    value = dt.date(year, _MONTHS[m.group("month").lower()], int(m.group("day")))
                    precision = "day"
                elif kind == "my":
                    value, precision = dt.date(year, _MONTHS[m.group("month").lower()], 1), "month"
                elif kind == "quarter":
                    q = int(m.group("q")) if m.group("q") else _ORDINAL[m.group("qword").lower()]
                    value, precision = dt.date(year, 3 * q - 2, 1), "quarter"
                elif kind == "half":
                    h = int(m.group("h")) if m.group("h") else _ORDINAL[m.group("hword").lower()]
                    value, precision = dt.date(year, 1 if h == 1 else 7, 1), "half"
                else:
                    value, precision = dt.date(year, 1, 1), "year"
            except ValueError:
                continue
            taken.append((m.start(), m.end()))
            found.append(FuzzyDate(value, precision, m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def period_end(value: dt.date, precision: str) -> dt.date:
    """The last day of the period a :class:`FuzzyDate` stands for (inclusive)."""
    if precision == "day":
        return value
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[precision]
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, 1) - dt.timedelta(days=1)


PRECISION_RANK = {"day": 0, "month": 1, "quarter": 2, "half": 3, "year": 4}


def truncate_words(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-\u2014\u2013") + "\u2026"
