"""``fixed``: a number with a fixed count of decimals, for tables with many numbers per row.

Django's ``floatformat`` goes through ``Decimal`` and the localization machinery on every call; a 50-row scores
table calls it 200 times, about a tenth of the question page's time when profiled. Readout's pages are not
localized (no thousands separator, "." decimal point), so a format string gives the same text in a fraction of the
time.
"""
import math

from django import template

register = template.Library()


@register.filter(is_safe=True)
def fixed(value, digits=3):
    """``0.12345|fixed:3`` -> "0.123"; None, "" or text that is not a number -> ""; NaN and infinities -> "–"; a
    negative count of decimals counts as 0; never "-0.000" (a tiny negative shows as 0)."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    try:
        number, digits = float(value), max(0, int(digits))
    except (TypeError, ValueError, OverflowError):
        return ""
    if not math.isfinite(number):
        return "–"
    text = f"{number:.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text
