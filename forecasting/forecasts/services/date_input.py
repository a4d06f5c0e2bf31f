"""Date questions' forecast input: quantiles typed as ISO dates, read onto the time axis (markets.date_axis).

The dates become axis seconds (00:00 UTC) and then follow the numeric path unchanged (``cdf_math.quantiles_to_cdf``
with range_min/range_max in seconds), so a date forecast is the same 201-point CDF a numeric forecast is. The
checks here come first so every message names the quantile at fault (``quantiles.q50``) and speaks in dates.
"""
import math
import re
from numbers import Real

from assets.errors import ValidationError
from forecasting.maths import cdf as cdf_math
from markets import date_axis
from markets.models import Question
from markets.services.date_questions import date_range_text

MAX_LEVEL_KEY_LENGTH = 20


def level_name(level: float) -> str:
    """0.5 -> "q50", 0.25 -> "q25", 0.333 -> "q33.3": the name of a level in field names (``quantiles.q50``)."""
    return "q" + f"{level * 100:.6f}".rstrip("0").rstrip(".")


def _level(key, *, field: str) -> float:
    if isinstance(key, str) and len(key) <= MAX_LEVEL_KEY_LENGTH:
        text = key.strip()
        match = re.fullmatch(r"q(\d+(?:\.\d+)?)", text)
        try:
            level = float(match.group(1)) / 100 if match else float(text)
        except ValueError:
            level = math.nan
    elif isinstance(key, Real) and not isinstance(key, bool):
        level = float(key)
    else:
        level = math.nan
    if not (math.isfinite(level) and 0.0 < level < 1.0):
        shown = key if not isinstance(key, str) or len(key) <= 40 else key[:40] + "…"
        raise ValidationError(
            f'{field}: level {shown!r} must be a probability strictly between 0 and 1 such as "0.1" '
            '(10th percentile).', field=field,
        )
    return level


def date_quantiles_parse(*, question: Question, quantiles, field: str = "quantiles") -> tuple[dict, dict]:
    """Read ``{"0.1": "2027-03-01", "0.5": "2027-06-12", "0.9": "2027-10-30"}`` (levels may also be written "q10").

    Returns ``(levels_to_seconds, typed)``: the quantiles on the axis for ``quantiles_to_cdf`` and what is stored as
    the forecast's input (``{"0.1": "2027-03-01", ...}``, levels written as numeric forecasts write them). Raises
    ValidationError naming ``quantiles.q10`` etc. for a value that is no date, a date outside the range on a closed
    side or outside 1900..2999, and for dates that do not increase with the level; ``quantiles`` for the shape
    (the 10th, 50th and 90th percentiles are required, at most 100 levels).
    """
    if not isinstance(quantiles, dict) or not quantiles:
        raise ValidationError(
            f'{field} must map levels to dates, e.g. {{"0.1": "2027-03-01", "0.5": "2027-06-12", '
            '"0.9": "2027-10-30"}.', field=field,
        )
    if len(quantiles) > cdf_math.MAX_QUANTILES:
        raise ValidationError(f"{field}: at most {cdf_math.MAX_QUANTILES} quantiles are allowed.", field=field)
    pairs = {}
    for key, raw in quantiles.items():
        level = _level(key, field=field)
        name = f"{field}.{level_name(level)}"
        if level in pairs:
            raise ValidationError(f"{name}: this level is given twice.", field=name)
        try:
            seconds = date_axis.parse_date(raw)
        except date_axis.DateInputError as exc:
            raise ValidationError(f"{name} {exc.message}.", field=name) from None
        if seconds <= question.range_min and not question.open_lower_bound:
            raise ValidationError(
                f"{name} ({date_axis.iso(seconds)}) must be after the first date of the range "
                f"({date_range_text(question)}): the lower bound is closed, so all probability lies after "
                f"{date_axis.iso(question.range_min)}.", field=name,
            )
        if seconds >= question.range_max and not question.open_upper_bound:
            raise ValidationError(
                f"{name} ({date_axis.iso(seconds)}) must be before the last date of the range "
                f"({date_range_text(question)}): the upper bound is closed, so all probability lies before "
                f"{date_axis.iso(question.range_max)}.", field=name,
            )
        pairs[level] = seconds
    missing = [level for level in cdf_math.REQUIRED_LEVELS if level not in pairs]
    if missing:
        names = ", ".join(f"{field}.{level_name(level)}" for level in missing)
        raise ValidationError(
            f"{field} must include at least the 10th, 50th and 90th percentiles (0.1, 0.5, 0.9); missing {names}.",
            field=f"{field}.{level_name(missing[0])}",
        )
    ordered = sorted(pairs.items())
    for (low, a), (high, b) in zip(ordered, ordered[1:]):
        if not b > a:
            name = f"{field}.{level_name(high)}"
            raise ValidationError(
                f"{name} ({date_axis.iso(b)}) must be a later date than {field}.{level_name(low)} "
                f"({date_axis.iso(a)}): the dates must increase with the level.", field=name,
            )
    typed = {f"{level:g}": date_axis.iso(seconds) for level, seconds in ordered}
    return dict(ordered), typed


def date_cdf_error_message(message: str, *, question: Question, seconds: dict) -> str:
    """A CdfError of the numeric conversion in dates: every axis value it quotes (quantiles, range ends) is written
    as the ISO date it stands for, never as seconds."""
    values = list(seconds.values()) + [question.range_min, question.range_max]
    for value in sorted(values, key=lambda v: -len(f"{v:.10g}")):
        message = message.replace(f"{value:.10g}", date_axis.iso(value) or f"{value:.10g}")
    return message
