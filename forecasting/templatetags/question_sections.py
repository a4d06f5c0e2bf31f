"""The questions section of the asset and trial pages.

Those pages are the assets app's, and assets knows nothing of questions (dependencies point one way: assets <-
markets <- forecasting), so their views cannot put questions in the context. Their templates load this library
instead, as home.html includes the question cards: the section is filled from forecasting without assets importing
it, in two queries (the questions, their community forecasts) whatever the number of questions.

Usage: ``{% load question_sections %}`` then ``{% questions_on asset=asset %}`` or ``{% questions_on trial=trial %}``.
"""
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from forecasting.forecasts import selectors
from forecasting.questions import selectors as question_selectors
from forecasting.questions.display import community_summary
from forecasting.questions.pages import QuestionRow

register = template.Library()

# The section sits in the page's sidebar: it shows this many and links to the question list, filtered to the asset
# or trial, for the rest.
SECTION_LIMIT = 10


@register.inclusion_tag("questions/includes/questions_on.html", takes_context=True)
def questions_on(context, *, asset=None, trial=None):
    """The questions on ``asset`` or on ``trial`` (exactly one), with type, status, close time and the community
    forecast where it is revealed; drafts too for staff, as on the question list."""
    user = context.get("user")
    include_drafts = bool(getattr(user, "is_staff", False))
    questions, more = question_selectors.question_rows_on(
        asset=asset, trial=trial, include_drafts=include_drafts, limit=SECTION_LIMIT
    )
    community = selectors.community_latest_map(questions=questions)
    kind, subject = ("asset", asset) if asset is not None else ("trial", trial)
    return {
        "rows": [QuestionRow(q, community_summary(q, community.get(q.pk))) for q in questions],
        "more": more,
        "name": subject.name,
        "list_url": f"{reverse('questions:list')}?{urlencode({kind: subject.slug})}",
        "now": timezone.now(),
    }
