"""Admin for the forecasting app: profiles, bot tokens (read-only, never their keys), forecasts (append-only,
read-only here), proposed resolutions (with a "Confirm selected proposals" action) and the resolution audit trail
(read-only).

The assets app's Readout admin is replaced by a subclass that proposes resolutions after a readout is saved, so a
readout entered in the admin behaves like one entered on the staff page, the API or the importer. (assets cannot do
this itself: it knows nothing of questions or forecasts.)
"""
from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models.functions import Coalesce

from assets.admin import ReadoutAdmin as AssetsReadoutAdmin
from assets.errors import DomainError
from assets.models import Readout
from forecasting.accounts.login_views import ThrottledAdminAuthenticationForm
from forecasting.accounts.models import BotToken, Profile
from forecasting.discussion import admin as discussion_admin  # noqa: F401  (registers Comment, DiscussionLock)
from forecasting.forecasts.forms import QuestionForm
from forecasting.forecasts.models import Forecast
from forecasting.notifications.models import Notification
from forecasting.resolution.models import ProposedResolution, ResolutionEvent
from forecasting.resolution.services import readouts
from forecasting.resolution.services import resolution as services
from markets.admin import QuestionAdmin as MarketsQuestionAdmin
from markets.admin import ReadOnlyAdmin
from markets.models import Question
from markets.services import QUESTION_EDITABLE_FIELDS, question_create, question_open, question_update


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name")
    search_fields = ("user__username", "user__email", "display_name")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


@admin.register(BotToken)
class BotTokenAdmin(ReadOnlyAdmin):
    """Named API keys, read-only: who has which, when it was made and last used. Never the key nor its hash (only
    the prefix users see on their own page, to tell keys apart). A revoked token is deleted
    (``bot_token_revoke``, and every password change), so each row listed is live: there is no revoked column."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    list_select_related = ("user",)
    list_filter = (("last_used_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "user__username", "user__email")
    date_hierarchy = "created_at"
    fields = ("name", "user", "prefix", "created_at", "last_used_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("key_hash")


@admin.register(Forecast)
class ForecastAdmin(ReadOnlyAdmin):
    list_display = ("question", "user", "kind", "probability", "created_at")
    list_filter = ("kind", "question__type", "question__status")
    search_fields = ("user__username", "question__title", "rationale")
    list_select_related = ("question", "user")
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of forecasts on every page is slow


def _decide_pending(modeladmin, request, queryset, decide, verb: str) -> None:
    """Apply ``decide`` (proposal_confirm or proposal_reject) to each selected pending proposal, in order, reporting
    each refusal and then how many succeeded."""
    decided = 0
    for proposal in queryset.filter(status=ProposedResolution.Status.PENDING).select_related("question"):
        try:
            decide(proposal=proposal, actor=request.user)
        except DomainError as exc:
            modeladmin.message_user(request, f"{proposal.question}: {exc.message}", level=messages.ERROR)
        else:
            decided += 1
    modeladmin.message_user(request, f"{verb} {decided} proposal(s).", level=messages.SUCCESS)


@admin.action(description="Confirm selected proposals (resolve their questions)")
def confirm_proposals(modeladmin, request, queryset):
    # Earliest-public readout first per question: it fixes the earliest known_at (as proposals_confirm_all).
    queryset = queryset.order_by("question_id", Coalesce("readout__known_at", "known_at"), "pk")
    _decide_pending(modeladmin, request, queryset, services.proposal_confirm, "Confirmed")


@admin.action(description="Reject selected proposals")
def reject_proposals(modeladmin, request, queryset):
    _decide_pending(modeladmin, request, queryset, services.proposal_reject, "Rejected")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """What users were told and whether its e-mail went out (docs/notifications.md); written only by the jobs."""

    list_display = ("created_at", "user", "kind", "title", "email_state", "read_at")
    list_filter = ("kind", "email_state")
    search_fields = ("user__username", "title", "dedupe_key")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(ProposedResolution)
class ProposedResolutionAdmin(ReadOnlyAdmin):
    """Proposals change state only through the services (confirm / reject), never by editing."""

    list_display = ("question", "basis", "readout", "registry_change", "outcome", "status", "created_at", "decided_by",
                    "decided_at")
    list_filter = ("status", "basis", "question__type", "readout__metric")
    search_fields = ("question__title", "readout__source", "readout__trial__acronym", "readout__trial__registry_id",
                     "source")
    list_select_related = ("question", "readout__trial", "readout__endpoint", "registry_change__trial", "decided_by")
    actions = [confirm_proposals, reject_proposals]

    def has_change_permission(self, request, obj=None):
        # Actions need change permission on the changelist; the form itself stays read-only (no editable fields).
        return obj is None and request.user.is_staff


@admin.register(ResolutionEvent)
class ResolutionEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "question", "action", "outcome", "known_at", "source", "actor")
    list_filter = ("action",)
    search_fields = ("question__title", "source", "note", "actor__username")
    list_select_related = ("question", "actor")
    date_hierarchy = "created_at"


admin.site.unregister(Readout)


@admin.register(Readout)
class ReadoutAdmin(AssetsReadoutAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        proposals = readouts.readout_after_admin_save(readout=obj, created=not change)
        if proposals:
            self.message_user(
                request, f"{len(proposals)} resolution(s) proposed: confirm them on the Pending resolutions page.",
                level=messages.INFO,
            )


admin.site.unregister(Question)


@admin.register(Question)
class QuestionAdmin(MarketsQuestionAdmin):
    """The markets Question admin with the staff question form: the same validation (question_validate, frozen
    fields once open) and the same services as the staff pages, so the admin cannot bypass the rules."""

    form = QuestionForm
    # The form's UTC datetime fields take one "YYYY-MM-DDTHH:MM" value, not the admin's split date/time widget.
    formfield_overrides = {
        models.DateTimeField: {"widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}
    }

    def get_fields(self, request, obj=None):
        fields = list(QUESTION_EDITABLE_FIELDS)
        if obj is None or obj.status == Question.Status.DRAFT:
            fields.append("publish")  # QuestionForm offers it only until the question is published
        return fields + list(self.get_readonly_fields(request, obj))

    def save_model(self, request, obj, form, change):
        fields = form.service_fields()
        if change:
            saved = question_update(question=obj, **fields)
            if form.cleaned_data.get("publish") and saved.status == Question.Status.DRAFT:
                saved = question_open(question=saved)
        else:
            status = Question.Status.OPEN if form.cleaned_data.get("publish") else Question.Status.DRAFT
            saved = question_create(created_by=request.user, status=status, **fields)
        obj.pk, obj.slug, obj.status = saved.pk, saved.slug, saved.status


admin.site.login_form = ThrottledAdminAuthenticationForm
