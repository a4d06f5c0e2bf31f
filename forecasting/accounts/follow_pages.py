"""Follow pages: the follow/unfollow button's POST (works without JavaScript) and the "Following" page, where a user
sees and leaves what they follow and turns auto-follow on or off."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from assets.errors import ValidationError
from assets.paging import paginate
from forecasting.accounts.follows import (
    TargetNotFound,
    auto_follow_set,
    follow_kind,
    follow_set,
    follow_target,
    follow_target_get,
    follows_of,
    target_label,
)
from forecasting.accounts.models import Profile
from forecasting.accounts.views import safe_next


@login_required
@require_POST
def follow_toggle(request, kind: str, pk: int):
    """POST action=follow|unfollow; back to ``next`` (the page the button is on)."""
    try:
        target = follow_target_get(kind=kind, target_id=pk)
    except TargetNotFound:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, exc.message)
        return redirect(safe_next(request, "accounts-following"))
    active = request.POST.get("action", "follow") != "unfollow"
    try:
        follow_set(user=request.user, target=target, active=active)
    except ValidationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{'Following' if active else 'No longer following'} {target_label(target)}.")
    return redirect(safe_next(request, "accounts-following"))


@login_required
@require_http_methods(["GET", "POST"])
def following(request):
    if request.method == "POST":  # the auto-follow switch
        enabled = request.POST.get("auto_follow") == "on"
        auto_follow_set(user=request.user, enabled=enabled)
        messages.success(request, "Auto-follow is " + ("on." if enabled else "off."))
        return redirect("accounts-following")
    page = paginate(request, follows_of(user=request.user), per_page=50)
    rows = [{"follow": f, "kind": follow_kind(f), "target": follow_target(f), "label": target_label(follow_target(f))}
            for f in page.object_list]
    auto = Profile.objects.filter(user=request.user).values_list("auto_follow", flat=True).first()
    return render(request, "accounts/following.html",
                  {"page_obj": page, "rows": rows, "auto_follow": auto is not False})
