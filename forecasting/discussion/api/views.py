"""Discussion endpoints. Views check the shape of input and call one service or selector; the services decide who
may do what (errors name the field: forecasting.api.exceptions)."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from assets import selectors as asset_selectors
from assets.models import Trial
from forecasting.api.ids import MAX_ID
from forecasting.api.pagination import DefaultPagination
from forecasting.discussion import selectors, services
from forecasting.discussion.api import serializers as s
from forecasting.discussion.models import Comment
from markets.models import Question

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names the field and what is allowed."),
    403: OpenApiResponse(description="Not logged in, e-mail address not confirmed, or not allowed (not the author, "
                                     "not staff)."),
    404: OpenApiResponse(description="No such question, trial or comment."),
    409: OpenApiResponse(description="Not possible in the current state: locked discussion, edit window over, "
                                     "deleted or hidden comment."),
    413: OpenApiResponse(description="Request body too large."),
}
QUESTION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The question's id.")
TRIAL_ID = OpenApiParameter("identifier", str, OpenApiParameter.PATH,
                            description="The trial's slug, NCT id or acronym.")
COMMENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The comment's id.")


class CommentPagination(DefaultPagination):
    page_size = selectors.PAGE_SIZE
    max_page_size = 100

    def get_paginated_response(self, data, *, lock=None):
        response = super().get_paginated_response(data)
        response.data["locked"] = lock is not None
        response.data["lock_reason"] = lock.reason if lock is not None else ""
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["locked"] = {"type": "boolean", "description": "No new comments, replies or edits."}
        schema["properties"]["lock_reason"] = {"type": "string"}
        schema.setdefault("required", []).extend(["locked", "lock_reason"])
        return schema


def _check_id(pk: int, what: str) -> int:
    if pk > MAX_ID:
        raise NotFound(f"No such {what}: ids are whole numbers below 2^63.")
    return pk


def _question(request, pk: int) -> Question:
    queryset = Question.objects.all() if request.user.is_staff else Question.objects.filter_visible()
    return get_object_or_404(queryset, pk=_check_id(pk, "question"))


def _trial(identifier: str) -> Trial:
    try:
        return asset_selectors.trial_find(identifier=identifier)
    except (Trial.DoesNotExist, Trial.MultipleObjectsReturned) as exc:
        raise NotFound(str(exc)) from exc


def _comment(request, pk: int) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("question", "trial", *selectors._JOINS),
                                pk=_check_id(pk, "comment"))
    if comment.question_id and not request.user.is_staff and comment.question.status == Question.Status.DRAFT:
        raise NotFound("No such comment.")
    return comment


def _view(request, comment: Comment):
    """One comment as the requester sees it (with its replies when it is top-level)."""
    lock = selectors.discussion_lock_of(question=comment.question, trial=comment.trial)
    if comment.parent_id is None:
        threads = selectors.threads_for([comment], viewer=request.user, question=comment.question, locked=lock)
        return s.ThreadSerializer(threads.views[0]).data
    view = selectors.comment_view(comment, viewer=request.user, question=comment.question, locked=lock is not None)
    return s.CommentSerializer(view).data


class _TargetCommentsView(GenericAPIView):
    """GET: the target's threads, a page of top-level comments each with its replies; POST: a new comment."""

    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = CommentPagination
    serializer_class = s.ThreadSerializer
    queryset = Comment.objects.none()  # for the schema only; the selectors build the real queries
    filter_backends = []  # the order is fixed: oldest first
    throttle_scope = "comments"

    def target(self, request, **kwargs) -> dict:
        raise NotImplementedError

    def get(self, request, **kwargs):
        target = self.target(request, **kwargs)
        lock = selectors.discussion_lock_of(**target)
        page = self.paginate_queryset(selectors.threads_queryset(**target))
        threads = selectors.threads_for(page, viewer=request.user, question=target.get("question"), locked=lock)
        return self.paginator.get_paginated_response(s.ThreadSerializer(threads.views, many=True).data, lock=lock)

    def post(self, request, **kwargs):
        target = self.target(request, **kwargs)
        data = s.CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(author=request.user, **target, **data.validated_data)
        return Response(_view(request, comment), status=status.HTTP_201_CREATED)


LIST_DESCRIPTION = (
    "Top-level comments, oldest first, each with its replies (one level). Deleted comments appear as state "
    '"deleted" only while they have replies; hidden ones have body and html null except for staff and the author. '
    "An attached forecast's values are null (shown false) before the question's reveal time, except to its author "
    "and staff."
)
CREATE_DESCRIPTION = (
    'A new top-level comment: {"body": "Markdown", "forecast": <id of your own forecast on this question>}. '
    "Needs a confirmed e-mail address; refused (409) while the discussion is locked. Rate-limited (scope comments)."
)


class QuestionCommentsView(_TargetCommentsView):
    def target(self, request, **kwargs) -> dict:
        return {"question": _question(request, kwargs["pk"])}

    @extend_schema(summary="Comments on a question", description=LIST_DESCRIPTION, parameters=[QUESTION_ID],
                   responses={200: s.ThreadSerializer(many=True), 404: ERRORS[404]}, tags=["discussion"])
    def get(self, request, **kwargs):
        return super().get(request, **kwargs)

    @extend_schema(summary="Comment on a question", description=CREATE_DESCRIPTION, parameters=[QUESTION_ID],
                   request=s.CommentCreateSerializer, responses={201: s.ThreadSerializer, **ERRORS},
                   tags=["discussion"])
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)


class TrialCommentsView(_TargetCommentsView):
    def target(self, request, **kwargs) -> dict:
        return {"trial": _trial(kwargs["identifier"])}

    @extend_schema(summary="Comments on a trial", description=LIST_DESCRIPTION, parameters=[TRIAL_ID],
                   responses={200: s.ThreadSerializer(many=True), 404: ERRORS[404]}, tags=["discussion"])
    def get(self, request, **kwargs):
        return super().get(request, **kwargs)

    @extend_schema(summary="Comment on a trial", description=CREATE_DESCRIPTION + " Trials take no forecast.",
                   parameters=[TRIAL_ID], request=s.CommentCreateSerializer,
                   responses={201: s.ThreadSerializer, **ERRORS}, tags=["discussion"])
    def post(self, request, **kwargs):
        return super().post(request, **kwargs)


class CommentDetailView(GenericAPIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    serializer_class = s.ThreadSerializer
    throttle_scope = "comments"

    @extend_schema(summary="A comment (with its replies when top-level)", parameters=[COMMENT_ID],
                   responses={200: s.ThreadSerializer, 404: ERRORS[404]}, tags=["discussion"])
    def get(self, request, pk):
        return Response(_view(request, _comment(request, pk)))

    @extend_schema(summary="Edit your comment",
                   description="The author only, within READOUT_COMMENT_EDIT_WINDOW_SECONDS (default 15 minutes) "
                               "of posting, not while the discussion is locked. The previous text is kept.",
                   parameters=[COMMENT_ID], request=s.CommentEditSerializer,
                   responses={200: s.ThreadSerializer, **ERRORS}, tags=["discussion"])
    def patch(self, request, pk):
        comment = _comment(request, pk)
        data = s.CommentEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.comment_edit(comment=comment, user=request.user, body=data.validated_data["body"])
        return Response(_view(request, _comment(request, pk)))

    @extend_schema(summary="Delete your comment", description='The author only. Soft: with replies it shows as '
                   '"[deleted]" and keeps its thread.', parameters=[COMMENT_ID], request=None,
                   responses={204: None, **ERRORS}, tags=["discussion"])
    def delete(self, request, pk):
        services.comment_delete(comment=_comment(request, pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentReplyView(GenericAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.CommentSerializer
    throttle_scope = "comments"

    @extend_schema(summary="Reply to a comment",
                   description="Replies are one level deep: the comment must be top-level, not deleted, not hidden. "
                               'Body as for a new comment ({"body": ..., "forecast": ...}).',
                   parameters=[COMMENT_ID], request=s.CommentCreateSerializer,
                   responses={201: s.CommentSerializer, **ERRORS}, tags=["discussion"])
    def post(self, request, pk):
        parent = _comment(request, pk)
        data = s.CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.comment_create(author=request.user, parent=parent, **data.validated_data)
        return Response(_view(request, reply), status=status.HTTP_201_CREATED)


class IsStaff(permissions.BasePermission):
    message = "Only staff can moderate discussions."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class CommentHideView(GenericAPIView):
    permission_classes = [IsStaff]
    serializer_class = s.ThreadSerializer
    hide = True

    @extend_schema(summary="Hide a comment (staff)", parameters=[COMMENT_ID], request=s.ReasonSerializer,
                   responses={200: s.ThreadSerializer, **ERRORS}, tags=["discussion"])
    def post(self, request, pk):
        comment = _comment(request, pk)
        if self.hide:
            data = s.ReasonSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.comment_hide(comment=comment, user=request.user, reason=data.validated_data["reason"])
        else:
            services.comment_unhide(comment=comment, user=request.user)
        return Response(_view(request, _comment(request, pk)))


class CommentUnhideView(CommentHideView):
    hide = False

    @extend_schema(summary="Unhide a comment (staff)", parameters=[COMMENT_ID], request=None,
                   responses={200: s.ThreadSerializer, **ERRORS}, tags=["discussion"])
    def post(self, request, pk):
        return super().post(request, pk)


class _LockView(GenericAPIView):
    permission_classes = [IsStaff]
    serializer_class = s.LockSerializer
    lock = True

    def target(self, request, **kwargs) -> dict:
        raise NotImplementedError

    def post(self, request, **kwargs):
        target = self.target(request, **kwargs)
        if self.lock:
            data = s.ReasonSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            lock = services.discussion_lock(user=request.user, reason=data.validated_data["reason"], **target)
            return Response({"locked": True, "reason": lock.reason, "locked_at": lock.locked_at})
        services.discussion_unlock(user=request.user, **target)
        return Response({"locked": False, "reason": "", "locked_at": None})


def _lock_view(name: str, base, *, lock: bool, parameter, what: str):
    verb = "Lock" if lock else "Unlock"
    post = extend_schema(
        summary=f"{verb} a {what}'s discussion (staff)",
        description="Locked: no new comments, replies or edits (authors may still delete their own)." if lock else
        "Comments, replies and edits are possible again.",
        parameters=[parameter], request=s.ReasonSerializer if lock else None,
        responses={200: s.LockSerializer, **ERRORS}, tags=["discussion"],
    )(lambda self, request, **kwargs: _LockView.post(self, request, **kwargs))
    return type(name, (base,), {"lock": lock, "post": post})


class _QuestionLockBase(_LockView):
    def target(self, request, **kwargs) -> dict:
        return {"question": _question(request, kwargs["pk"])}


class _TrialLockBase(_LockView):
    def target(self, request, **kwargs) -> dict:
        return {"trial": _trial(kwargs["identifier"])}


QuestionLockView = _lock_view("QuestionLockView", _QuestionLockBase, lock=True, parameter=QUESTION_ID, what="question")
QuestionUnlockView = _lock_view("QuestionUnlockView", _QuestionLockBase, lock=False, parameter=QUESTION_ID,
                                what="question")
TrialLockView = _lock_view("TrialLockView", _TrialLockBase, lock=True, parameter=TRIAL_ID, what="trial")
TrialUnlockView = _lock_view("TrialUnlockView", _TrialLockBase, lock=False, parameter=TRIAL_ID, what="trial")
