"""Small pieces of question markup used on many pages (lists, cards, the question page, the resolution queue).

They are simple tags built with ``format_html`` rather than ``{% include %}`` templates: a list page shows each of
them once or twice per row, and an include costs a template context push, a lookup and a render per use, which on a
25-row page was most of the page's time. Output is escaped exactly as the template would escape it.

Usage: ``{% load question_tags %}`` then ``{% question_badges q %}``, ``{% question_links q %}``,
``{% close_time q now %}``, ``{% community_cell row.community %}``.
"""
import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timesince import timesince, timeuntil

register = template.Library()

_OPEN_STATUSES = ("open", "draft")


@register.simple_tag
def question_badges(q) -> SafeString:
    """The type and status badges of a question."""
    return format_html(
        '<span class="badge kind q-type-{}">{}</span>\n<span class="badge {}">{}</span>',
        q.type, q.get_type_display(), q.status, q.get_status_display(),
    )


@register.simple_tag
def question_links(q) -> SafeString:
    """Links to the question's asset and trial (either may be missing); empty when it has neither."""
    links = []
    if q.asset_id:
        links.append(format_html('<a href="{}">{}</a>', q.asset.get_absolute_url(), q.asset.name))
    if q.trial_id:
        links.append(format_html('<a href="{}">{}</a>', q.trial.get_absolute_url(), q.trial.name))
    if not links:
        return mark_safe("")
    return format_html('<span class="q-links">{}</span>', mark_safe(" · ".join(links)))  # noqa: S308 - both escaped


def close_time_text(q, now) -> str:
    """"opens in 2 days", "closes in 4 weeks", "closed 3 hours ago": relative to ``now``."""
    if q.status in _OPEN_STATUSES:
        if q.open_time > now:
            return f"opens in {timeuntil(q.open_time, now)}"
        if q.scheduled_close_time > now:
            return f"closes in {timeuntil(q.scheduled_close_time, now)}"
        return f"closed {timesince(q.scheduled_close_time, now)} ago"
    return f"closed {timesince(q.actual_close_time or q.scheduled_close_time, now)} ago"


@register.simple_tag
def close_time(q, now) -> SafeString:
    """A <time> element with the scheduled close as its machine-readable value and the relative text."""
    close = q.scheduled_close_time.astimezone(dt.timezone.utc)  # the title says UTC, whatever the active zone
    return format_html(
        '<time datetime="{}" title="{} {} UTC">{}</time>',
        close.isoformat(), close.day, close.strftime("%b %Y, %H:%M"), close_time_text(q, now),
    )


@register.simple_tag
def community_cell(c) -> SafeString:
    """A community summary (forecasting.pages.CommunitySummary): the value and its detail, or why there is none."""
    if c.state == "value":
        if c.detail:
            return format_html('<span class="prob">{}</span><span class="item-meta q-detail">{}</span>', c.text, c.detail)
        return format_html('<span class="prob">{}</span>', c.text)
    return format_html('<span class="muted small">{}</span>', capfirst(c.text))
