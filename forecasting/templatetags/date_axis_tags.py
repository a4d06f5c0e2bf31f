"""``axis_date``: a value on a date question's time axis (POSIX seconds, markets.date_axis) as "15 Jun 2027"."""
from django import template

from markets import date_axis

register = template.Library()


@register.filter
def axis_date(seconds):
    """``question.outcome|axis_date`` -> "15 Jun 2027"; "" for None or a value that is no date."""
    if seconds is None or isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return ""
    return date_axis.format_day(seconds)
