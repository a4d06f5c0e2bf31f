"""Admin for comments: read the text, its earlier versions and its moderation; hide, unhide and lock discussions
through the discussion services (the same rules as the pages and the API). Bodies are never edited here: staff do
not rewrite other people's words. Registered by forecasting/admin.py importing this module."""
from django.contrib import admin, messages

from assets.errors import DomainError
from forecasting.discussion import services
from forecasting.discussion.models import Comment, CommentRevision, DiscussionLock

ADMIN_HIDE_REASONS = {
    "hide_off_topic": "Off topic",
    "hide_abusive": "Abusive or personal attack",
    "hide_spam": "Spam or advertising",
}


class CommentRevisionInline(admin.TabularInline):
    model = CommentRevision
    extra = 0
    can_delete = False
    fields = ("replaced_at", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, label: str, action):
    done = failed = 0
    for comment in queryset.select_related("question", "trial"):
        try:
            action(comment)
            done += 1
        except DomainError as exc:
            failed += 1
            modeladmin.message_user(request, f"Comment {comment.pk}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{label}: {done} comment{'s' if done != 1 else ''}.", messages.SUCCESS)


def _hide_action(name: str, reason: str):
    def action(modeladmin, request, queryset):
        _run(modeladmin, request, queryset, f"Hidden ({reason.lower()})",
             lambda c: services.comment_hide(comment=c, user=request.user, reason=reason))

    action.__name__ = name
    action.short_description = f"Hide selected comments: {reason.lower()}"
    return action


@admin.action(description="Unhide selected comments")
def unhide(modeladmin, request, queryset):
    _run(modeladmin, request, queryset.filter(hidden_at__isnull=False), "Visible again",
         lambda c: services.comment_unhide(comment=c, user=request.user))


@admin.action(description="Lock the discussions of the selected comments")
def lock_discussions(modeladmin, request, queryset):
    targets = {(c.question_id, c.trial_id): c for c in queryset.select_related("question", "trial")}
    for comment in targets.values():
        try:
            services.discussion_lock(user=request.user, question=comment.question, trial=comment.trial,
                                     reason="Locked by a moderator")
        except DomainError as exc:
            modeladmin.message_user(request, f"{comment.question or comment.trial}: {exc.message}", messages.WARNING)
        else:
            modeladmin.message_user(request, f"Locked: {comment.question or comment.trial}.", messages.SUCCESS)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "author", "on", "short_body", "state", "edited_at")
    list_filter = (("hidden_at", admin.EmptyFieldListFilter), ("deleted_at", admin.EmptyFieldListFilter),
                   ("parent", admin.EmptyFieldListFilter))
    search_fields = ("body", "author__username", "author__profile__display_name")
    date_hierarchy = "created_at"
    list_select_related = ("author", "question", "trial")
    readonly_fields = ("question", "trial", "author", "parent", "body", "forecast", "created_at", "edited_at",
                       "deleted_at", "hidden_at", "hidden_by", "hidden_reason")
    fields = readonly_fields
    inlines = [CommentRevisionInline]
    actions = [*(_hide_action(name, reason) for name, reason in ADMIN_HIDE_REASONS.items()), unhide,
               lock_discussions]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # authors delete (softly); staff hide

    @admin.display(description="On")
    def on(self, comment):
        return comment.question or comment.trial

    @admin.display(description="Text")
    def short_body(self, comment):
        return comment.body[:80] + ("…" if len(comment.body) > 80 else "")

    @admin.display(description="State")
    def state(self, comment):
        if comment.deleted_at:
            return "deleted"
        return f"hidden: {comment.hidden_reason}" if comment.hidden_at else "visible"


@admin.register(DiscussionLock)
class DiscussionLockAdmin(admin.ModelAdmin):
    list_display = ("question", "trial", "locked_by", "locked_at", "reason")
    list_select_related = ("question", "trial", "locked_by")
    readonly_fields = ("question", "trial", "locked_by", "locked_at", "reason")

    def has_add_permission(self, request):
        return False  # lock from the page, the API or the comment list's action (the service records who)
