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


# What each amount is called in messages, as (the thing to enter, the thing as a subject, the unit). The API keeps
# the argument name as the key of its error body; the text is for people.
AMOUNT_WORDS = {
    "shares": ("a number of shares", "The number of shares", "shares"),
    "budget": ("the points to spend as a number", "The budget", "points"),
    "accept_house_cover": ("the points the house may cover", "The house cover", "points"),
}
PRICE_WORDS = {"max_price": "The price limit", "min_price": "The price limit"}


def shown(value) -> str:
    """A value someone typed, as they would write it: -3 for Decimal("-3"), 0.5 for 0.5, "ten" for a string
    (shortened), never a Python repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() and abs(value) < Decimal("1e15") else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "not a number"
        if math.isinf(value):
            return "infinity" if value > 0 else "minus infinity"
        return f"{value:g}" if abs(value) < 1e15 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1e6 else str(value)
    if isinstance(value, str):
        text = value if len(value) <= 20 else value[:20] + "…"
        return f'"{text}"'
    return "a list" if isinstance(value, (list, tuple)) else "an object" if isinstance(value, dict) else "a value"


def parse_milli(value, *, field: str, maximum: int, allow_zero: bool = False) -> int:
    """A positive amount typed in points or shares (at most 3 decimals) -> an int of milli-units.

    Accepts int, float and Decimal (a form's text is converted to Decimal by the caller; a JSON string is not a
    number and is refused). ``maximum`` is in whole units. Raises ValidationError naming ``field`` (its message in
    words, see ``AMOUNT_WORDS``): not a number, NaN or infinite, zero or negative, above ``maximum``, more than three
    decimals.
    """
    enter, subject, unit = AMOUNT_WORDS.get(field, (f"the {field.replace('_', ' ')}", field.replace("_", " ").capitalize(), ""))
    least = "0 or more" if allow_zero else "greater than 0"
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValidationError(f"{subject} must be a number (you entered {shown(value)}).", field=field)
    try:
        amount = _decimal(value)
    except (InvalidOperation, ValueError, OverflowError):
        raise ValidationError(f"{subject} must be a number (you entered {shown(value)}).", field=field) from None
    if isinstance(value, float) and not math.isfinite(value) or not amount.is_finite():
        raise ValidationError(f"{subject} must be a number (you entered {shown(value)}).", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(f"Enter {enter} {least} (you entered {shown(value)}).", field=field)
    if amount > maximum:
        raise ValidationError(
            f"You can trade at most {maximum:,} {unit} at a time (you entered {shown(value)})." if field in ("shares", "budget")
            else f"{subject} can be at most {maximum:,}{' ' + unit if unit else ''} (you entered {shown(value)}).",
            field=field,
        )
    scaled = amount * MILLI
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            f"{subject.replace('The number of shares', 'Shares')} can have at most 3 decimals (0.001); "
            f"you entered {shown(value)}.",
            field=field,
        )
    return int(scaled)


def parse_price(value, *, field: str, low: float, high: float) -> Decimal:
    """A price limit in points per share, ``low`` <= value <= ``high``. Returns it as an exact Decimal.
    Raises ValidationError naming ``field``, its message in words."""
    subject = PRICE_WORDS.get(field, field.replace("_", " ").capitalize())
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValidationError(f"{subject} must be a number between {low:g} and {high:g} (you entered {shown(value)}).",
                              field=field)
    if isinstance(value, float) and not math.isfinite(value) or isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError(f"{subject} must be a number between {low:g} and {high:g} (you entered {shown(value)}).",
                              field=field)
    price = _decimal(value)
    if not (Decimal(str(low)) <= price <= Decimal(str(high))):
        raise ValidationError(f"{subject} must be between {low:g} and {high:g} (you entered {shown(value)}).",
                              field=field)
    return price
