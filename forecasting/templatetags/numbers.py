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


_MISSING = object()
UNSCORED_HTML = ('<span class="unscored" title="not scored yet"><span aria-hidden="true">—</span>'
                 '<span class="visually-hidden">not scored yet</span></span>')


@register.simple_tag
def score(value, digits=3, *, loss=_MISSING, coverage=None, percent=False):
    """A score cell: ``value`` with ``digits`` decimals (``percent``: as a whole percentage), or "—" titled "not
    scored yet" when there is nothing to show: the value is None or not finite, the row's ``loss`` is None (no
    forecast was active before the close), or its ``coverage`` is 0. An unscored forecaster's relative, coverage,
    baseline and peer scores are stored as 0, which would read as a real (and middling) score.

    ``{% score r.relative 4 loss=r.loss %}``, ``{% score e.mean_coverage 0 coverage=e.mean_coverage percent=True %}``
    """
    from django.utils.safestring import mark_safe

    unscored = (
        value is None or (loss is not _MISSING and loss is None) or (coverage is not None and coverage <= 0)
    )
    if not unscored:
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            unscored = True
        else:
            unscored = not math.isfinite(number)
    if unscored:
        return mark_safe(UNSCORED_HTML)
    if percent:
        return f"{round(number * 100)}%"
    return fixed(number, digits)


@register.simple_tag
def column(key, label):
    """A column header's text with its explanation as a tooltip and a link to the help page's section:
    ``{% column "relative" "Relative" %}`` (texts in forecasting/scoring/columns.py)."""
    from django.urls import reverse
    from django.utils.html import format_html

    from forecasting.scoring.columns import COLUMNS

    text, anchor = COLUMNS[key]
    return format_html('<abbr class="col-help" title="{}">{}</abbr><a class="col-help-link" href="{}#{}" '
                       'aria-label="What is {}?">?</a>', text, label, reverse("scoring:help"), anchor, label)
