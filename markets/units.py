"""Conversions between stored integers (milli-points, milli-shares) and what users read and type. Pure.

Users see points and shares with exactly three decimals; inside, money is an ``int`` of milli-points and holdings an
``int`` of milli-shares (1 point = 1 share's payout = 1,000 milli-units).
"""
from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from numbers import Real

from assets.errors import ValidationError

MILLI = 1000
THREE_PLACES = Decimal("0.001")


def milli_to_decimal(value: int) -> Decimal:
    """12345 -> Decimal("12.345"). Exact."""
    return (Decimal(int(value)) / MILLI).quantize(THREE_PLACES)


def points_text(millipoints: int, *, sign: bool = False) -> str:
    """12345678 -> "12,345.678" (with a leading "+" for gains when ``sign``)."""
    text = f"{milli_to_decimal(millipoints):,}"
    return f"+{text}" if sign and millipoints > 0 else text


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # str() of a float is the shortest text that reads back as it, i.e. what the user typed (0.1 -> "0.1").
        return Decimal(str(value))
    return Decimal(int(value))


def parse_milli(value, *, field: str, maximum: int, allow_zero: bool = False) -> int:
    """A positive amount typed in points or shares (at most 3 decimals) -> an int of milli-units.

    Accepts int, float and Decimal (a form's text is converted to Decimal by the caller; a JSON string is not a
    number and is refused). ``maximum`` is in whole units. Raises ValidationError naming ``field``: not a number,
    NaN or infinite, zero or negative, above ``maximum``, more than three decimals.
    """
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValidationError(f"{field} must be a number, got {value!r}.", field=field)
    try:
        amount = _decimal(value)
    except (InvalidOperation, ValueError, OverflowError):
        raise ValidationError(f"{field} must be a number, got {value!r}.", field=field) from None
    if isinstance(value, float) and not math.isfinite(value) or not amount.is_finite():
        raise ValidationError(f"{field} must be a finite number, got {value!r}.", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(f"{field} must be greater than 0, got {value!r}.", field=field)
    if amount > maximum:
        raise ValidationError(f"{field} must be at most {maximum:,}, got {value!r}.", field=field)
    scaled = amount * MILLI
    if scaled != scaled.to_integral_value():
        raise ValidationError(f"{field} can have at most 3 decimals (0.001), got {value!r}.", field=field)
    return int(scaled)


def parse_price(value, *, field: str, low: float, high: float) -> Decimal:
    """A price limit in points per share, ``low`` <= value <= ``high``. Returns it as an exact Decimal.
    Raises ValidationError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValidationError(f"{field} must be a number between {low:g} and {high:g}, got {value!r}.", field=field)
    if isinstance(value, float) and not math.isfinite(value) or isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError(f"{field} must be a finite number, got {value!r}.", field=field)
    price = _decimal(value)
    if not (Decimal(str(low)) <= price <= Decimal(str(high))):
        raise ValidationError(f"{field} must be between {low:g} and {high:g}, got {value!r}.", field=field)
    return price
