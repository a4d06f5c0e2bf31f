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


def _close_moment(q, now) -> tuple[dt.datetime | None, str]:
    """The moment the close-time text refers to and the text: "opens in 2 days", "closes in 4 weeks", "closed 3 hours
    ago", relative to ``now``. Forecasting closes at the scheduled close or at the scheduled public moment if that
    comes first (``forecasting_ends_at``), and stops when a readout makes the answer pending."""
    ends = q.forecasting_ends_at
    if q.pending_since is not None and q.pending_since <= now and q.status in ("open", "closed", "pending"):
        ends = min(ends, q.pending_since)  # answer pending: forecasting stopped then
    if q.status in _OPEN_STATUSES:
        if q.open_time > now:
            return q.open_time, f"opens in {timeuntil(q.open_time, now)}"
        if ends > now:
            return ends, f"closes in {timeuntil(ends, now)}"
        return ends, f"closed {timesince(ends, now)} ago"
    closed = q.actual_close_time or ends
    if closed > now:  # closed by staff before its time, which is not recorded
        return None, "closed early"
    return closed, f"closed {timesince(closed, now)} ago"


def close_time_text(q, now) -> str:
    """"opens in 2 days", "closes in 4 weeks", "closed 3 hours ago": relative to ``now`` (see ``_close_moment``)."""
    return _close_moment(q, now)[1]


@register.simple_tag
def close_time(q, now) -> SafeString:
    """A <time> element with the moment its relative text refers to (the opening, the end of forecasting, or when
    it closed) as its machine-readable value and title, in UTC."""
    moment, text = _close_moment(q, now)
    if moment is None:
        return format_html("<span>{}</span>", text)
    moment = moment.astimezone(dt.timezone.utc)  # the title says UTC, whatever the active zone
    return format_html(
        '<time datetime="{}" title="{} {} UTC">{}</time>',
        moment.isoformat(), moment.day, moment.strftime("%b %Y, %H:%M"), text,
    )


@register.simple_tag
def community_cell(c) -> SafeString:
    """A community summary (forecasting.questions.display.CommunitySummary): the value and its detail, the answer of a
    resolved or annulled question, "Answer pending", or why there is no value to show."""
    if c.state in ("value", "outcome"):
        css = "prob" if c.state == "value" else "prob q-answer"
        if c.detail:
            return format_html('<span class="{}">{}</span><span class="item-meta q-detail">{}</span>', css, c.text, c.detail)
        return format_html('<span class="{}">{}</span>', css, c.text)
    if c.state == "pending":
        return format_html('<span class="q-pending">{}</span>', c.text)
    return format_html('<span class="muted small">{}</span>', capfirst(c.text))
