"""Template filters for play money: milli-points and milli-shares shown with three decimals."""
from django import template

from markets.units import milli_to_decimal, points_text

register = template.Library()


@register.filter
def points(millipoints):
    """12345 -> "12.345"; None -> ""."""
    return "" if millipoints is None else points_text(int(millipoints))


@register.filter
def signed_points(millipoints):
    """12345 -> "+12.345", -5 -> "-0.005"."""
    return "" if millipoints is None else points_text(int(millipoints), sign=True)


@register.filter
def shares(millishares):
    """2500 -> "2.500"."""
    return "" if millishares is None else f"{milli_to_decimal(int(millishares)):,}"


@register.filter
def percent(price):
    """0.4567 -> "45.7%"."""
    return "" if price is None else f"{float(price) * 100:.1f}%"


@register.filter
def pnl_class(millipoints):
    """CSS class for a profit (positive), a loss (negative) or nothing."""
    if not millipoints:
        return ""
    return "positive" if millipoints > 0 else "negative"
