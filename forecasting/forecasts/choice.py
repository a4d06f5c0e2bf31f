"""Multiple-choice forecasts: parsing a submission into one probability per option (docs/scoring.md,
"Multiple-choice questions").

Accepted shape: ``{"probabilities": [p_0, p_1, ...]}``, one number per option in the question's option order
(``Question.options``). Each must be a finite number in [0.001, 0.999] (the binary clamp, SCORING.md section 2) and
together they must sum to 1 within 1e-6. The stored vector is the input divided by its sum, so it sums to 1 to float
precision; the division moves no value by more than 1e-6 relative. Anything else is a ValidationError naming the
field (``probabilities``, with the bulk prefix ``forecasts[i].``) and what is allowed; nothing is stored.
"""
from __future__ import annotations

import math
from numbers import Real

import numpy as np

from assets.errors import ValidationError

P_MIN, P_MAX = 0.001, 0.999
SUM_TOLERANCE = 1e-6


def probabilities_parse(raw, *, options: list[str], field: str = "probabilities") -> list[float]:
    """The validated, normalized probabilities (a list of floats, one per option). Raises ValidationError."""
    k = len(options)
    shape = f"a list of {k} numbers, one per option in order ({', '.join(options)}), each in [0.001, 0.999], summing to 1"
    if not isinstance(raw, (list, tuple)):
        raise ValidationError(f"{field} must be {shape} (got {type(raw).__name__}).", field=field)
    if len(raw) != k:
        raise ValidationError(f"{field} must have {k} values, one per option (got {len(raw)}); {field} is {shape}.",
                              field=field)
    values = []
    for i, value in enumerate(raw):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValidationError(f"{field}[{i}] ({options[i]}) must be a number in [0.001, 0.999] (got {value!r}).",
                                  field=field)
        try:
            v = float(value)
        except OverflowError:  # an integer beyond any float (JSON allows 1e400 written out in digits)
            v = math.inf
        if not math.isfinite(v) or not P_MIN <= v <= P_MAX:
            raise ValidationError(f"{field}[{i}] ({options[i]}) must be between 0.001 and 0.999 (got {value!r}).",
                                  field=field)
        values.append(v)
    total = math.fsum(values)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValidationError(
            f"{field} must sum to 1 (within 1e-6); these sum to {total:.7g}.", field=field
        )
    return (np.asarray(values) / total).tolist()


def _percent(p: float) -> str:
    text = f"{p * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def choice_leader(options: list[str] | None, probabilities) -> tuple[str, float] | None:
    """(label, probability) of the option with the highest probability (the first on a tie), or None."""
    if not options or not probabilities or len(probabilities) != len(options):
        return None
    values = [p if isinstance(p, (int, float)) and math.isfinite(p) else -1.0 for p in probabilities]
    i = max(range(len(values)), key=lambda j: (values[j], -j))
    return (options[i], float(values[i])) if values[i] >= 0 else None


def choice_summary(options: list[str] | None, probabilities) -> str:
    """A forecast in a few words: its most likely option and probability, "ASCO 60%"."""
    lead = choice_leader(options, probabilities)
    return "" if lead is None else f"{lead[0]} {_percent(lead[1])}"
