"""``{% follow_button target %}``: the follow/unfollow button for a question, trial, asset or user (one query for the
state; nothing for anonymous visitors but a log-in link)."""
from django import template

from forecasting.accounts.follows import follow_state, target_type

register = template.Library()


@register.inclusion_tag("accounts/_follow_button.html", takes_context=True)
def follow_button(context, target):
    request = context.get("request")
    user = getattr(request, "user", None)
    kind = target_type(target)
    return {
        "target": target, "kind": kind, "request": request, "user": user,
        "following": follow_state(user=user, target=target) if user is not None else False,
        "is_self": kind == "user" and user is not None and user.is_authenticated and user.pk == target.pk,
        "csrf_token": context.get("csrf_token"),
    }
