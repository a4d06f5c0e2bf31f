"""Multiple-choice questions: their options and their outcome (docs/scoring.md, "Multiple-choice questions").

A multiple-choice question has 2 to 20 options, each a label of 1 to 120 characters, distinct once stripped and
case-folded ("ASH" and " ash " are the same option). ``Question.options`` keeps the labels in the order staff gave
them; an option is named everywhere else (forecasts, market outcomes, the resolved outcome) by its 0-based index.
The resolved outcome is stored in ``Question.outcome`` as that index, as a float (0.0, 1.0, ...).
"""
from __future__ import annotations

import math
import re
from numbers import Real

from assets.errors import ValidationError
from assets.validators import validate_text

MIN_OPTIONS = 2
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 120


def options_clean(raw, *, field: str = "options") -> list[str]:
    """The option labels as stored: a list of 2-20 stripped, distinct (case-folded) labels of 1-120 characters.

    Accepts a list of strings, or one string with one option per line (the staff form's textarea). Raises
    ValidationError naming ``field`` and what is allowed.
    """
    if isinstance(raw, str):
        raw = [line for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, (list, tuple)):
        raise ValidationError(
            f"A multiple-choice question needs {field}: a list of {MIN_OPTIONS} to {MAX_OPTIONS} option labels.",
            field=field,
        )
    if not MIN_OPTIONS <= len(raw) <= MAX_OPTIONS:
        raise ValidationError(
            f"{field} must list {MIN_OPTIONS} to {MAX_OPTIONS} options (got {len(raw)}).", field=field
        )
    labels, seen = [], {}
    for i, label in enumerate(raw):
        if not isinstance(label, str):
            raise ValidationError(f"{field}[{i}] must be text (got {type(label).__name__}).", field=field)
        label = validate_text(label, field=field).strip()
        if not label:
            raise ValidationError(f"{field}[{i}] is blank; every option needs a label.", field=field)
        if len(label) > MAX_OPTION_LENGTH:
            raise ValidationError(
                f"{field}[{i}] is {len(label)} characters long; at most {MAX_OPTION_LENGTH} are allowed.", field=field
            )
        key = " ".join(label.casefold().split())
        if key in seen:
            raise ValidationError(
                f"{field}[{i}] ({label!r}) repeats {field}[{seen[key]}]; options must be distinct.", field=field
            )
        seen[key] = i
        labels.append(label)
    return labels


def option_index(options: list[str], raw, *, field: str = "outcome") -> int:
    """The index of an option given as its 0-based index (an integer, or a float with no fraction) or its label
    (matched stripped and case-folded). Raises ValidationError naming ``field`` and the options allowed."""
    allowed = ", ".join(f"{i} = {label}" for i, label in enumerate(options))
    if isinstance(raw, str):
        key = " ".join(raw.casefold().split())
        for i, label in enumerate(options):
            if " ".join(label.casefold().split()) == key:
                return i
        stripped = raw.strip()
        if stripped.isdigit():
            raw = int(stripped)
        else:
            raise ValidationError(f"{field} must be one of the options ({allowed}); got {raw!r}.", field=field)
    try:
        value = float(raw) if isinstance(raw, Real) and not isinstance(raw, bool) else math.nan
    except OverflowError:  # an integer beyond any float
        value = math.nan
    if not math.isfinite(value):
        raise ValidationError(f"{field} must be an option's index or label ({allowed}); got {str(raw)[:40]!r}.",
                              field=field)
    if value != int(value) or not 0 <= value < len(options):
        raise ValidationError(f"{field} must be an option's index 0 to {len(options) - 1} ({allowed}); got {raw!r}.",
                              field=field)
    return int(value)


def option_label(options: list[str] | None, index) -> str:
    """The label of option ``index`` (a stored outcome float is fine), or "option <index>" if out of range."""
    if index is None:
        return ""
    i = int(round(float(index)))
    if options and 0 <= i < len(options):
        return options[i]
    return f"option {i}"


def choice_from_source(options: list[str], source: str) -> float | None:
    """The option a readout's source names ("ASH 2026 late-breaking abstract" names "ASH"), as a stored outcome
    (the index as a float), or None when no option, or more than one, is named there. An option is named when all
    of its words appear in the source as whole words, compared case-folded; a longer option that matches wins over
    one whose words it contains ("ASCO Breakthrough" over "ASCO")."""
    words = set(re.findall(r"\w+", (source or "").casefold()))
    hits = []
    for i, label in enumerate(options):
        label_words = set(re.findall(r"\w+", label.casefold()))
        if label_words and label_words <= words:
            hits.append((i, label_words))
    # Drop a hit whose words are a strict subset of another hit's.
    hits = [(i, w) for i, w in hits if not any(w < other for _, other in hits)]
    return float(hits[0][0]) if len(hits) == 1 else None
