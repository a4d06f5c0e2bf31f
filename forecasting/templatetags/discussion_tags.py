"""The discussion section of question and trial pages (forecasting.discussion.pages.discussion_context).

The trial page is the assets app's and assets knows nothing of forecasting, so the section fills its own context,
like question_sections. Usage (templates/discussion/_discussion.html does it):
``{% load discussion_tags %}{% discussion_for discussion_on as discussion %}``.
"""
from django import template

from forecasting.discussion.pages import discussion_context

register = template.Library()


@register.simple_tag(takes_context=True)
def discussion_for(context, target):
    return discussion_context(context["request"], target)


@register.filter
def form_errors(errors: dict, field: str) -> list:
    return (errors or {}).get(field, [])
