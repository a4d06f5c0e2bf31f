"""The discussion section of question and trial pages, and the form posts behind it.

The section is rendered by ``templates/discussion/_discussion.html`` (included at the end of the question page's
main column and on the trial page) through the ``discussion_for`` template tag, which calls
:func:`discussion_context`: assets' trial view knows nothing of forecasting, so the section fills itself.

Every form posts to a view here and is answered with a redirect back to the page (POST/redirect/GET), anchored at
the comment or form concerned. What the viewer should read next (a confirmation, or the refused form's text with
the error under its field) travels in the session as a one-time "flash" for that discussion, so errors appear
inline next to the right form and nothing typed is lost. Comment writes are rate-limited with the API's counters
(scope ``comments``: forecasting.middleware.PageThrottleMiddleware).
"""
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from assets.errors import DomainError
from assets.models import Trial
from forecasting.accounts.selectors import user_is_verified
from forecasting.discussion import selectors, services
from forecasting.discussion.display import forecast_chip
from forecasting.discussion.models import Comment
from forecasting.forecasts.selectors import current_forecast
from markets.models import Question

FLASH_KEY = "discussion_flash"
PAGE_PARAM = "comments_page"
FORM_FIELDS = ("body", "forecast", "parent", "reason")


def _key(target) -> str:
    return f"{'question' if isinstance(target, Question) else 'trial'}:{target.pk}"


def _flash(request, target, *, text: str = "", level: str = "success", form: str = "", body: str = "",
           errors: dict | None = None) -> None:
    request.session[FLASH_KEY] = {"target": _key(target), "text": text, "level": level, "form": form,
                                  "body": body, "errors": errors or {}}


def _flash_error(request, target, exc: DomainError, *, form: str, body: str = "") -> None:
    field = exc.field if exc.field in FORM_FIELDS else "__all__"
    if field == "parent":
        field = "__all__"
    # The message also heads the section: the form it belongs to may no longer be shown (edit window over).
    _flash(request, target, level="error", form=form, body=body, errors={field: [exc.message]},
           text=f"Not saved: {exc.message}")


def _target_url(target, *, page: int | None = None, anchor: str = "discussion") -> str:
    query = f"?{urlencode({PAGE_PARAM: page})}" if page and page > 1 else ""
    return f"{target.get_absolute_url()}{query}#{anchor}"


def _visible_question(request, pk: int) -> Question:
    queryset = Question.objects.all() if request.user.is_staff else Question.objects.filter_visible()
    return get_object_or_404(queryset, pk=pk)


def _target(request, kind: str, pk: int):
    if kind == "question":
        return _visible_question(request, pk)
    if kind == "trial":
        return get_object_or_404(Trial, pk=pk)
    raise Http404("No such discussion.")


def _comment(request, pk) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("question", "trial"), pk=int(pk))
    if comment.question_id and not request.user.is_staff and comment.question.status == Question.Status.DRAFT:
        raise Http404("No such comment.")
    return comment


def _forecast_id(request):
    raw = request.POST.get("forecast", "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return raw  # the service refuses it, naming the field
    return int(raw)


def _page_number(raw) -> int | None:
    """The page the form was posted from (to come back to it), or None when it is not a sensible number."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 else None


def _login_first(request, target):
    return redirect_to_login(_target_url(target, anchor="discussion-form"))


# ----------------------------------------------------------------------------------------------------------------
# Form posts
# ----------------------------------------------------------------------------------------------------------------
@require_POST
def comment_post(request, kind: str, pk):
    """A new top-level comment on a question or trial."""
    target = _target(request, kind, int(pk))
    if not request.user.is_authenticated:
        return _login_first(request, target)
    body = request.POST.get("body", "")
    try:
        comment = services.comment_create(author=request.user, body=body, forecast=_forecast_id(request),
                                          **{kind: target})
    except DomainError as exc:
        _flash_error(request, target, exc, form="new", body=body)
        return redirect(_target_url(target, page=_page_number(request.POST.get("page")), anchor="discussion-form"))
    _flash(request, target, text="Your comment is posted.")
    return redirect(selectors.comment_target_url(comment=comment))


@require_POST
def comment_reply(request, pk: int):
    parent = _comment(request, pk)
    target = parent.question or parent.trial
    if not request.user.is_authenticated:
        return _login_first(request, target)
    body = request.POST.get("body", "")
    try:
        reply = services.comment_create(author=request.user, body=body, parent=parent,
                                        forecast=_forecast_id(request))
    except DomainError as exc:
        _flash_error(request, target, exc, form=f"reply-{parent.pk}", body=body)
        return redirect(selectors.comment_target_url(comment=parent))
    _flash(request, target, text="Your reply is posted.")
    return redirect(selectors.comment_target_url(comment=reply))


@require_POST
def comment_edit(request, pk: int):
    comment = _comment(request, pk)
    target = comment.question or comment.trial
    if not request.user.is_authenticated:
        return _login_first(request, target)
    body = request.POST.get("body", "")
    try:
        services.comment_edit(comment=comment, user=request.user, body=body)
    except DomainError as exc:
        _flash_error(request, target, exc, form=f"edit-{comment.pk}", body=body)
    else:
        _flash(request, target, text="Your comment is updated.")
    return redirect(selectors.comment_target_url(comment=comment))


@require_POST
def comment_delete(request, pk: int):
    comment = _comment(request, pk)
    target = comment.question or comment.trial
    if not request.user.is_authenticated:
        return _login_first(request, target)
    url = selectors.comment_target_url(comment=comment)  # before: the thread may leave the page once deleted
    try:
        services.comment_delete(comment=comment, user=request.user)
    except DomainError as exc:
        _flash(request, target, text=exc.message, level="error")
    else:
        _flash(request, target, text="Your comment is deleted.")
    return redirect(url)


def _staff_only(request):
    if not request.user.is_authenticated or not request.user.is_staff:
        raise PermissionDenied("Only staff can moderate discussions.")


@require_POST
def comment_moderate(request, pk, action: str):
    """Staff: hide (with a reason) or unhide a comment."""
    _staff_only(request)
    comment = _comment(request, pk)
    target = comment.question or comment.trial
    try:
        if action == "hide":
            services.comment_hide(comment=comment, user=request.user, reason=request.POST.get("reason", ""))
        else:
            services.comment_unhide(comment=comment, user=request.user)
    except DomainError as exc:
        _flash_error(request, target, exc, form=f"hide-{comment.pk}" if action == "hide" else "")
    else:
        _flash(request, target, text="The comment is hidden." if action == "hide" else "The comment is visible again.")
    return redirect(selectors.comment_target_url(comment=comment))


@require_POST
def discussion_lock(request, kind: str, pk, action: str):
    _staff_only(request)
    target = _target(request, kind, int(pk))
    try:
        if action == "lock":
            services.discussion_lock(user=request.user, reason=request.POST.get("reason", ""), **{kind: target})
        else:
            services.discussion_unlock(user=request.user, **{kind: target})
    except DomainError as exc:
        _flash_error(request, target, exc, form="lock" if action == "lock" else "")
    else:
        _flash(request, target, text="The discussion is locked." if action == "lock" else "The discussion is open again.")
    return redirect(_target_url(target))


@require_GET
def comment_permalink(request, pk: int):
    """A comment's lasting address: its question's or trial's page at the right page of the discussion."""
    return redirect(selectors.comment_target_url(comment=_comment(request, pk)))


for _view in (comment_post, comment_reply, comment_edit, comment_delete):
    _view.throttle_scope = "comments"


# ----------------------------------------------------------------------------------------------------------------
# The section (template tag)
# ----------------------------------------------------------------------------------------------------------------
def discussion_context(request, target) -> dict:
    """Everything ``discussion/_discussion.html`` shows for ``target`` (a Question or Trial) and this viewer.

    Constant queries: the lock, the page's count and rows, the replies, the viewer's verification and (questions)
    current forecast."""
    user = request.user
    kind = "question" if isinstance(target, Question) else "trial"
    question = target if kind == "question" else None
    lock = selectors.discussion_lock_of(**{kind: target})
    paginator = Paginator(selectors.threads_queryset(**{kind: target}), selectors.PAGE_SIZE)
    page = paginator.get_page(request.GET.get(PAGE_PARAM))
    threads = selectors.threads_for(page.object_list, viewer=user, question=question, locked=lock)
    flash = request.session.get(FLASH_KEY) if hasattr(request, "session") else None
    if flash and flash.get("target") == _key(target):
        del request.session[FLASH_KEY]
    else:
        flash = None
    verified = user_is_verified(user=user) if user.is_authenticated else False
    attachable = None
    if question is not None and verified and lock is None:
        mine = current_forecast(question=question, user=user)
        if mine is not None and not mine.is_withdrawal:
            attachable = forecast_chip(mine, question=question, viewer=user)
    form = (flash or {}).get("form", "")
    return {
        "kind": kind,
        "target": target,
        "key": _key(target),
        "threads": threads.views,
        "page_obj": page,
        "page_param": PAGE_PARAM,
        "lock": lock,
        "is_staff": user.is_staff,
        "can_comment": user.is_authenticated and verified and lock is None,
        "needs_login": not user.is_authenticated,
        "needs_verification": user.is_authenticated and not verified,
        "login_url": f"{reverse('login')}?{urlencode({'next': _target_url(target, anchor='discussion-form')})}",
        "post_url": reverse("discussion:post", args=[kind, target.pk]),
        "lock_url": reverse("discussion:lock", args=[kind, target.pk, "unlock" if lock else "lock"]),
        "attachable": attachable,
        "flash": flash,
        "form": form,
        "form_body": (flash or {}).get("body", ""),
        "errors": (flash or {}).get("errors", {}),
        "edit_minutes": int(services.edit_window().total_seconds() // 60),
        "max_length": services.MAX_BODY_LENGTH,
        "max_length_text": f"{services.MAX_BODY_LENGTH:,}",
    }
