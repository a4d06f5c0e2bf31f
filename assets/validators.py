"""Input checks shared by every way data comes in: API parsers and serializers, services, forms and importers.

Assets is the lowest layer, so markets and forecasting may import these. Pure Python (no Django) except for
:class:`TextValidator`, which adapts :func:`text_problem` to Django's form and model field validators.

- Text: PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate (``"\\ud800"`` in JSON) cannot be encoded as
  UTF-8 at all, so either one used to fail deep in the database with a 500. They are refused up front, naming the
  field.
- JSON nesting: Python's decoder recurses once per level and fails with RecursionError at about a thousand levels
  (a 500); no document Readout reads nests anywhere near :data:`MAX_JSON_DEPTH`.
- Numbers: a value like 1e308 is finite, but arithmetic on it overflows to infinity (a range's width, a CDF grid);
  :func:`validate_magnitude` keeps staff-entered numbers within :data:`MAX_MAGNITUDE`.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator

from assets.errors import ValidationError

# Deepest nesting of arrays and objects accepted in a JSON body or file. The deepest real document (a
# ClinicalTrials.gov record) nests about 8 levels; API bodies 4.
MAX_JSON_DEPTH = 32
# Largest absolute value accepted for numbers staff type in (question ranges, readout values). Far beyond any
# clinical quantity, far below where float arithmetic overflows.
MAX_MAGNITUDE = 1e12

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON string (with escapes) or a bracket: strings are skipped whole so brackets inside them do not count.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def text_problem(value: str) -> str | None:
    """What is wrong with ``value`` as stored text, or None. A valid surrogate pair in JSON (``"\\ud83d\\ude00"``)
    decodes to one character, so any surrogate left in a Python string is a lone one."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000), which text cannot hold"
    match = _LONE_SURROGATE.search(value)
    if match:
        return f"contains a lone surrogate (\\u{ord(match.group()):04x}), which is not a character"
    return None


def validate_text(value, *, field: str) -> str:
    """Return ``value`` if it is a string fit to store; raise :class:`ValidationError` naming ``field`` if not."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    problem = text_problem(value)
    if problem:
        raise ValidationError(f"{field} {problem}.", field=field)
    return value


class TextValidator:
    """A Django validator (forms, model fields) refusing NUL and lone surrogates, like :func:`validate_text`."""

    def __call__(self, value):
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                from django.core.exceptions import ValidationError as DjangoValidationError

                raise DjangoValidationError(f"This field {problem}.", code="invalid_text")

    def __eq__(self, other):
        return isinstance(other, TextValidator)

    def deconstruct(self):
        return ("assets.validators.TextValidator", (), {})


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if the JSON ``text`` nests arrays and objects more than ``limit`` levels deep. Scans without parsing (so
    without recursion); invalid JSON is left for the parser to report."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def too_deep_message(limit: int = MAX_JSON_DEPTH) -> str:
    return f"The JSON nests arrays or objects more than {limit} levels deep, which no input of this site needs."


def _strings(data) -> Iterator[tuple[str, str]]:
    """Every string in parsed JSON ``data`` (keys and values) with its path (``forecasts[0].rationale``);
    iterative, so any depth is safe."""
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                yield child, key
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))


def first_bad_text(data) -> tuple[str, str] | None:
    """``(path, problem)`` for the first string in parsed JSON that :func:`text_problem` refuses, else None."""
    for path, value in _strings(data):
        problem = text_problem(value)
        if problem:
            return path or "non_field_errors", problem
    return None


def validate_magnitude(value, *, field: str, limit: float = MAX_MAGNITUDE):
    """Return ``value`` if it is a finite number within +/- ``limit``; raise :class:`ValidationError` naming
    ``field`` otherwise. None passes (optional numbers)."""
    if value is None:
        return value
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{field} must be a number, got {value!r}.", field=field) from None
    if not math.isfinite(number) or abs(number) > limit:
        raise ValidationError(f"{field} must be a finite number between {-limit:g} and {limit:g}, got {value!r}.",
                              field=field)
    return value
