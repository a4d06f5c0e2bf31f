"""Reading discussions: a page of threads (top-level comments with their replies) as a given viewer sees it.

Queries are constant in the number of comments: the page's top-level comments (with author, profile, attached
forecast and moderator joined), one query for all their replies, the lock and the count; never one per comment.
Top-level comments are ordered oldest first (a thread's page never moves as new ones arrive, so a link to page 3
keeps meaning the same comments); replies oldest first under their parent.

What a viewer sees of each comment (``CommentView``): deleted comments are left out unless they have replies
("[deleted]" keeps the thread); hidden ones show "hidden by a moderator" to everyone but staff and the author;
an attached forecast's value is shown only once the question's community forecast is revealed, except to its author
and staff (forecasting.discussion.display.forecast_chip).
"""
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from assets.models import Trial
from forecasting.discussion.display import ForecastChip, forecast_chip
from forecasting.discussion.models import Comment, DiscussionLock
from forecasting.discussion.rendering import render_markdown
from forecasting.discussion.services import edit_window
from markets.models import Question

PAGE_SIZE = 20

_JOINS = ("author__profile", "forecast", "hidden_by__profile")


def target_filter(*, question: Question | None = None, trial: Trial | None = None) -> dict:
    return {"question_id": question.pk} if question is not None else {"trial_id": trial.pk}


def threads_queryset(*, question: Question | None = None, trial: Trial | None = None) -> QuerySet[Comment]:
    """Top-level comments of the discussion, oldest first: deleted ones only while they have a live reply."""
    live_replies = Comment.objects.filter(parent=OuterRef("pk"), deleted_at__isnull=True)
    return (
        Comment.objects.filter(parent__isnull=True, **target_filter(question=question, trial=trial))
        .filter(Q(deleted_at__isnull=True) | Exists(live_replies))
        .select_related(*_JOINS)
        .order_by("created_at", "pk")
    )


def discussion_lock_of(*, question: Question | None = None, trial: Trial | None = None) -> DiscussionLock | None:
    return (
        DiscussionLock.objects.filter(**target_filter(question=question, trial=trial))
        .select_related("locked_by__profile").first()
    )


def comment_page_number(*, comment: Comment, page_size: int = PAGE_SIZE) -> int:
    """The page of the discussion (oldest first) that shows ``comment`` (a reply: its parent's thread)."""
    top = comment.parent if comment.parent_id else comment
    earlier = threads_queryset(question=top.question, trial=top.trial).filter(
        Q(created_at__lt=top.created_at) | Q(created_at=top.created_at, pk__lt=top.pk)
    ).count()
    return earlier // page_size + 1


def comment_target_url(*, comment: Comment, page_size: int = PAGE_SIZE) -> str:
    """The question's or trial's page at the comment's page of the discussion, anchored at the comment."""
    target = comment.question if comment.question_id else comment.trial
    page = comment_page_number(comment=comment, page_size=page_size)
    query = f"?comments_page={page}" if page > 1 else ""
    return f"{target.get_absolute_url()}{query}#comment-{comment.pk}"


def display_name(user) -> str:
    profile = getattr(user, "profile", None)  # a missing profile raises a subclass of AttributeError
    return (profile.display_name if profile and profile.display_name else "") or user.get_username()


@dataclass
class CommentView:
    """A comment as one viewer sees it. ``html`` and ``body`` are empty when the text is not shown to this viewer
    (deleted; hidden and the viewer is neither staff nor the author)."""

    comment: Comment
    state: str  # "visible", "hidden", "deleted"
    show_text: bool
    html: str
    body: str
    author_name: str
    author_username: str
    author_url: str
    forecast: ForecastChip | None
    can_edit: bool
    can_delete: bool
    can_reply: bool
    can_moderate: bool
    edit_until: dt.datetime | None
    replies: list["CommentView"] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.comment.pk

    # The names of this comment's forms on the page: a refused post comes back to the form it came from.
    @property
    def reply_form(self) -> str:
        return f"reply-{self.pk}"

    @property
    def edit_form(self) -> str:
        return f"edit-{self.pk}"

    @property
    def hide_form(self) -> str:
        return f"hide-{self.pk}"


def comment_view(comment: Comment, *, viewer, question: Question | None, locked: bool,
                 now: dt.datetime | None = None) -> CommentView:
    """``question`` is the comment's question (None on a trial), passed in so no query is made per comment."""
    now = now or timezone.now()
    is_staff = bool(getattr(viewer, "is_staff", False))
    is_author = bool(getattr(viewer, "is_authenticated", False)) and viewer.pk == comment.author_id
    if comment.deleted_at is not None:
        state, show = "deleted", False
    elif comment.hidden_at is not None:
        state, show = "hidden", is_staff or is_author
    else:
        state, show = "visible", True
    edit_until = comment.created_at + edit_window()
    live = state == "visible"
    author = comment.author
    return CommentView(
        comment=comment,
        state=state,
        show_text=show,
        html=render_markdown(comment.body) if show else "",
        body=comment.body if show else "",
        author_name="[deleted]" if state == "deleted" else display_name(author),
        author_username="" if state == "deleted" else author.get_username(),
        author_url="" if state == "deleted" else reverse("scoring:profile", args=[author.get_username()]),
        forecast=(forecast_chip(comment.forecast, question=question, viewer=viewer)
                  if show and comment.forecast_id and question is not None else None),
        can_edit=is_author and live and not locked and now <= edit_until,
        can_delete=is_author and state != "deleted",
        can_reply=(comment.parent_id is None and live and not locked
                   and bool(getattr(viewer, "is_authenticated", False))),
        can_moderate=is_staff and state != "deleted",
        edit_until=edit_until if is_author and live else None,
    )


@dataclass
class Threads:
    views: list[CommentView]
    locked: DiscussionLock | None


def threads_for(comments, *, viewer, question: Question | None, locked: DiscussionLock | None) -> Threads:
    """CommentViews for ``comments`` (top-level, already fetched) with their live replies: one query for the
    replies, however many threads."""
    comments = list(comments)
    now = timezone.now()
    replies: dict[int, list[Comment]] = {}
    if comments:
        rows = (Comment.objects.filter(parent_id__in=[c.pk for c in comments], deleted_at__isnull=True)
                .select_related(*_JOINS).order_by("created_at", "pk"))
        for reply in rows:
            replies.setdefault(reply.parent_id, []).append(reply)
    views = []
    for comment in comments:
        view = comment_view(comment, viewer=viewer, question=question, locked=locked is not None, now=now)
        view.replies = [comment_view(r, viewer=viewer, question=question, locked=locked is not None, now=now)
                        for r in replies.get(comment.pk, [])]
        views.append(view)
    return Threads(views=views, locked=locked)
