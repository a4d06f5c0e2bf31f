"""{% question_trial_native question %}: on a question page, the base-rate reference forecast with its source, and
links to the question's group and conditional pairs. Include it in templates/questions/question_detail.html:
    {% load trial_native %}{% question_trial_native question %}
"""
from django import template

from forecasting.conditional.selectors import pair_list
from forecasting.groups.models import QuestionGroup
from forecasting.scoring.selectors_baserate import question_base_rate

register = template.Library()


@register.inclusion_tag("includes/question_trial_native.html", takes_context=True)
def question_trial_native(context, question):
    user = context.get("user")
    staff = bool(user and user.is_staff)
    groups = QuestionGroup.objects.filter(members__question=question).distinct()
    if not staff:
        groups = groups.filter(status=QuestionGroup.Status.PUBLISHED)
    return {
        "question": question, "base_rate": question_base_rate(question=question),
        "groups": list(groups[:5]), "pairs": list(pair_list(include_drafts=staff, question=question)[:10]),
    }
