"""The time axis of date questions (docs/scoring.md, "Date questions"). Pure Python: no Django, no numpy.

A date question is a numeric question whose axis is time. Every position on the axis is a number of POSIX seconds
(UTC, float64): ``range_min``, ``range_max``, the quantiles behind the CDF and ``outcome`` are all such numbers, so
the 201-point CDF, unit CRPS, the log scores, the community aggregate and the market buckets are exactly those of a
numeric question with range [range_min, range_max] in seconds (never a log scale).

Day resolution: a calendar date D stands for the instant D 00:00:00 UTC (``date_to_seconds``). Forecasters type
dates, staff resolve with a date, and a readout's public moment resolves a bound question to its UTC calendar date.
So "presented on 15 Jun 2027" is the point 2027-06-15T00:00Z, and P(X <= that point) is the probability of "on or
before 15 Jun 2027 (at its start)". A position between two midnights (a community quantile) is shown as the nearest
date (``seconds_to_date``), which gives back exactly the date a forecaster typed.
"""
from __future__ import annotations

import datetime as dt
import math
import re

SECONDS_PER_DAY = 86400.0
EPOCH = dt.date(1970, 1, 1)
# Dates a date question or a forecast may name at all (a question's own range is narrower): years that fit a
# four-digit ISO date and that a clinical trial's timeline could plausibly reach.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateInputError(ValueError):
    """A date that could not be read or is outside MIN_DATE..MAX_DATE; ``message`` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def date_to_seconds(day: dt.date) -> float:
    """POSIX seconds of ``day`` at 00:00 UTC (an exact integer-valued float)."""
    return float((day - EPOCH).days) * SECONDS_PER_DAY


def seconds_to_date(seconds: float) -> dt.date:
    """The calendar date whose midnight (UTC) is nearest to ``seconds``. Exact for midnights. Raises ValueError for a
    non-finite value or one outside MIN_DATE..MAX_DATE."""
    x = float(seconds)
    if not math.isfinite(x):
        raise ValueError(f"not a finite time: {seconds!r}")
    days = math.floor(x / SECONDS_PER_DAY + 0.5)
    day = EPOCH + dt.timedelta(days=days) if -800_000 < days < 800_000 else None
    if day is None or not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"{seconds!r} seconds is outside {MIN_DATE} .. {MAX_DATE}")
    return day


def is_midnight(seconds: float) -> bool:
    """Whether ``seconds`` is exactly a UTC midnight (a whole number of days since 1970-01-01)."""
    x = float(seconds)
    return math.isfinite(x) and x == math.floor(x / SECONDS_PER_DAY) * SECONDS_PER_DAY


def instant_to_day_seconds(moment: dt.datetime) -> float:
    """The axis position of an aware instant at day resolution: midnight UTC of its UTC calendar date (a readout
    public at 2027-06-15T14:00+02:00 resolves to 2027-06-15)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware date and time is required")
    return date_to_seconds(moment.astimezone(dt.timezone.utc).date())


def parse_date(raw) -> float:
    """Read a date typed as ISO 8601 "YYYY-MM-DD" (or a ``datetime.date``) into axis seconds (00:00 UTC).

    Raises DateInputError for anything else: other types, other spellings (times, week dates, "2027-6-1"), impossible
    dates (2027-02-30) and dates outside MIN_DATE..MAX_DATE.
    """
    if isinstance(raw, dt.datetime):
        raise DateInputError(f"must be a date such as 2027-06-15, not a date and time ({raw.isoformat()})")
    if isinstance(raw, dt.date):
        day = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if not _ISO_DATE.match(text):
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise DateInputError(f"must be a date written YYYY-MM-DD, e.g. 2027-06-15 (got {shown!r})")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise DateInputError(f"{text} is not a calendar date") from None
    else:
        kind = "null" if raw is None else f"a {type(raw).__name__}"
        raise DateInputError(f"must be a date written YYYY-MM-DD, e.g. 2027-06-15 (got {kind})")
    if not MIN_DATE <= day <= MAX_DATE:
        raise DateInputError(f"{day.isoformat()} is outside the dates allowed ({MIN_DATE} to {MAX_DATE})")
    return date_to_seconds(day)


def iso(seconds: float | None) -> str | None:
    """Axis seconds as an ISO date "2027-06-15" (nearest date), None for None or a value that is no date."""
    if seconds is None:
        return None
    try:
        return seconds_to_date(seconds).isoformat()
    except ValueError:
        return None


def format_day(seconds: float | None, *, year: bool = True) -> str:
    """"15 Jun 2027" (or "15 Jun" without the year); "" for None or a value that is no date."""
    if seconds is None:
        return ""
    try:
        day = seconds_to_date(seconds)
    except ValueError:
        return ""
    return f"{day.day} {day:%b %Y}" if year else f"{day.day} {day:%b}"


def format_day_range(lo: float, hi: float) -> str:
    """"2 Apr – 30 Sep 2027", "2 Dec 2026 – 30 Sep 2027", or one date when both are the same day."""
    a, b = seconds_to_date(lo), seconds_to_date(hi)
    if a == b:
        return format_day(lo)
    return f"{format_day(lo, year=a.year != b.year)} – {format_day(hi)}"
