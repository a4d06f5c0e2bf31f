"""The Django admin for the assets domain, and its Import page (/admin/assets/asset/import/).

Every model is registered with search, filters and readable columns; parents edit their children inline (aliases and
commentary on Asset; arms, endpoints and events on Trial; aliases on Company). The Asset, Trial and NewsItem lists
link to the Import page, where staff upload profile, news or ClinicalTrials.gov files: the upload is checked and
stored as an import job, a Celery worker imports it (assets.tasks.run_import_job) and the job's page shows the
progress and each file's result (docs/deploy.md, "Admin imports run on the worker").
"""
from __future__ import annotations

import logging
from functools import partial

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models as dj_models
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from assets import models as m
from assets.importers import FORMATS
from assets.services import news_content_hash
from assets.services.imports import import_job_create, import_job_finish
from assets.services.registry import TRIAL_COLUMNS

REGISTRY_COLUMNS = tuple(TRIAL_COLUMNS.values())
from assets.services.moments import trial_public_moments_changed

IMPORT_CHANGE_LIST = "admin/assets/change_list_import.html"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_FILES = 100
MAX_NAME_LENGTH = 255
# Seconds between reloads of a job page while the job is queued or running.
JOB_REFRESH_SECONDS = 2
logger = logging.getLogger(__name__)
# What a user must be allowed to add to import each format.
IMPORT_PERMISSIONS = {
    "profile": ("assets.add_asset", "assets.add_trial"),
    "news": ("assets.add_newsitem",),
    "ctgov": ("assets.add_trial",),
    "auto": ("assets.add_asset", "assets.add_trial", "assets.add_newsitem"),
}


# --- the import page -----------------------------------------------------------------------------------------------

class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and cleans to a list of them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data] if data else [single(None, initial)]
        return [single(data, initial)]


class ImportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[("auto", "Detect from each file"), *FORMATS.items()],
        initial="auto",
        help_text="Detection: .json files are ClinicalTrials.gov records, files whose first line starts with "
        "'date YYYY-MM-DD' are news, anything else is an asset profile.",
    )
    files = MultipleFileField(help_text="One or more files, at most 5 MB each. Each file is imported on its own: "
                              "a file with an error changes nothing, the others are still imported.")
    dry_run = forms.BooleanField(required=False, label="Dry run",
                                 help_text="Check the files and report what would change, without saving anything.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_files(self):
        """Only what is quick to check: the worker parses the files (assets.services.imports)."""
        files = self.cleaned_data["files"]
        if len(files) > MAX_UPLOAD_FILES:
            raise forms.ValidationError(f"{len(files)} files; upload at most {MAX_UPLOAD_FILES} at a time.")
        seen = set()
        for upload in files:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(f"{upload.name} is {upload.size // 1024} KB; the limit is 5 MB per file.")
            if len(upload.name) > MAX_NAME_LENGTH:
                raise forms.ValidationError(f"{upload.name[:40]}... has a name longer than {MAX_NAME_LENGTH} characters.")
            if upload.name in seen:
                raise forms.ValidationError(f"{upload.name} is uploaded twice.")
            seen.add(upload.name)
        return files

    def clean_format(self):
        fmt = self.cleaned_data["format"]
        if self.user is not None and not self.user.has_perms(IMPORT_PERMISSIONS[fmt]):
            raise forms.ValidationError("You are not allowed to add the records this format creates.")
        return fmt


def _user_can_import(user) -> bool:
    return user.is_active and user.is_staff and any(user.has_perms(p) for p in IMPORT_PERMISSIONS.values())


def _enqueue_import_job(job_id: int) -> None:
    """After commit: hand the job to a worker (eagerly, in this process, without a broker). A broker that cannot be
    reached fails the job with a message rather than the request, which has already stored it."""
    from kombu.exceptions import OperationalError

    from assets.tasks import run_import_job

    try:
        run_import_job.delay(job_id)
    except (OperationalError, ConnectionError, TimeoutError):
        logger.warning("import job %s: the task queue could not be reached", job_id, exc_info=True)
        import_job_finish(job_id=job_id, error="The task queue could not be reached; upload the files again later.")


class ImportLinkMixin:
    """Puts an "Import files" button on the change list."""

    change_list_template = IMPORT_CHANGE_LIST


# --- inlines -------------------------------------------------------------------------------------------------------

class CompanyAliasInline(admin.TabularInline):
    model = m.CompanyAlias
    extra = 1
    verbose_name = "alias"
    verbose_name_plural = "aliases (other names news and registries use, e.g. BMS)"


class AssetAliasForm(forms.ModelForm):
    """An alias staff add or change is theirs: a profile re-import never removes it (docs/registry.md)."""

    class Meta:
        model = m.AssetAlias
        fields = ("name", "kind")

    def save(self, commit=True):
        if self.has_changed():
            self.instance.source = m.AssetAlias.Source.MANUAL
        return super().save(commit)


class AssetAliasInline(admin.TabularInline):
    model = m.AssetAlias
    form = AssetAliasForm
    extra = 1
    fields = ("name", "kind", "source")
    readonly_fields = ("source",)
    verbose_name = "alias"
    verbose_name_plural = "aliases (development codes and other names; a profile re-import keeps those entered by hand)"


class CommentarySectionInline(admin.StackedInline):
    model = m.CommentarySection
    extra = 0
    fields = (("order", "emoji", "heading"), "body")
    verbose_name_plural = "analyst commentary"


SMALL_TEXT = {dj_models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}


class ArmInline(admin.TabularInline):
    model = m.Arm
    extra = 0
    formfield_overrides = SMALL_TEXT
    fields = ("order", "name", "role", "description")


class TrialEndpointInline(admin.TabularInline):
    model = m.TrialEndpoint
    extra = 0
    formfield_overrides = SMALL_TEXT
    autocomplete_fields = ("endpoint",)
    fields = ("endpoint", "kind", "order", "description")
    verbose_name_plural = "endpoints"


class TrialEventInline(admin.TabularInline):
    model = m.TrialEvent
    extra = 0
    autocomplete_fields = ("news",)
    fields = ("date", "date_precision", "kind", "description", "news")
    verbose_name_plural = "timeline"


class TrialRegistryChangeInline(admin.TabularInline):
    """The registry history, newest first, read-only: it is what ClinicalTrials.gov said, as the sync saw it."""

    model = m.TrialRegistryChange
    extra = 0
    fields = ("observed_at", "field", "old_value", "new_value", "initial", "registry_posted_on", "via")
    readonly_fields = fields
    ordering = ("-observed_at", "-pk")
    can_delete = False
    verbose_name_plural = "registry history (ClinicalTrials.gov, as synced)"

    def has_add_permission(self, request, obj=None):
        return False


class PublicMomentInline(admin.TabularInline):
    model = m.PublicMoment
    extra = 0
    autocomplete_fields = ("meeting",)
    fields = ("kind", "at", "timezone", "meeting", "note")
    verbose_name_plural = "public moments (forecasting and trading on the trial's questions stop at the earliest; times in UTC)"


# --- companies, indications, endpoints -------------------------------------------------------------------------------

@admin.register(m.Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "alias_list", "asset_count", "trial_count", "website")
    search_fields = ("name", "aliases__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CompanyAliasInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases").annotate(
            n_assets=Count("assets", distinct=True), n_trials=Count("trials", distinct=True)
        )

    @admin.display(description="aliases")
    def alias_list(self, obj):
        return ", ".join(a.name for a in obj.aliases.all()) or "—"

    @admin.display(description="assets", ordering="n_assets")
    def asset_count(self, obj):
        return obj.n_assets

    @admin.display(description="trials", ordering="n_trials")
    def trial_count(self, obj):
        return obj.n_trials


@admin.register(m.CompanyAlias)
class CompanyAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "company")
    list_select_related = ("company",)
    search_fields = ("name", "company__name")
    list_filter = (("company", admin.RelatedOnlyFieldListFilter),)
    autocomplete_fields = ("company",)


@admin.register(m.Indication)
class IndicationAdmin(admin.ModelAdmin):
    list_display = ("name", "abbreviation", "therapeutic_area", "slug")
    list_filter = ("therapeutic_area",)
    search_fields = ("name", "abbreviation")
    prepopulated_fields = {"slug": ("abbreviation", "name")}


@admin.register(m.Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "trial_count")
    search_fields = ("code", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_trials=Count("trial_endpoints", distinct=True))

    @admin.display(description="trials", ordering="n_trials")
    def trial_count(self, obj):
        return obj.n_trials


# --- assets --------------------------------------------------------------------------------------------------------

@admin.register(m.Asset)
class AssetAdmin(ImportLinkMixin, admin.ModelAdmin):
    list_display = ("name", "sponsor", "mechanism", "codes", "trial_count", "updated_at")
    list_select_related = ("sponsor",)
    list_filter = (("sponsor", admin.RelatedOnlyFieldListFilter), ("indications", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "aliases__name", "sponsor__name", "sponsor__aliases__name", "mechanism")
    autocomplete_fields = ("sponsor", "indications")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "sponsor", "mechanism", "indications", "description")}),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    inlines = [AssetAliasInline, CommentarySectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases").annotate(n_trials=Count("trials", distinct=True))

    @admin.display(description="development codes")
    def codes(self, obj):
        return ", ".join(obj.development_codes) or "—"

    @admin.display(description="trials", ordering="n_trials")
    def trial_count(self, obj):
        return obj.n_trials

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="assets_import"),
            path("import/<int:job_id>/", self.admin_site.admin_view(self.import_job_view), name="assets_import_job"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload profile, news or ClinicalTrials.gov files. Staff with add permissions only (others get 403;
        anonymous and non-staff users are sent to the admin login by ``admin_view``)."""
        if not _user_can_import(request.user):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            # Only quick checks happen here; the import runs on a worker (docs/deploy.md), and the job page shows it.
            job = import_job_create(
                user=request.user,
                fmt=form.cleaned_data["format"],
                files=[(upload.name, upload.read()) for upload in form.cleaned_data["files"]],
                dry_run=form.cleaned_data["dry_run"],
            )
            transaction.on_commit(partial(_enqueue_import_job, job.pk))
            return HttpResponseRedirect(job.get_absolute_url())
        context = {
            **self.admin_site.each_context(request),
            "title": "Import files",
            "subtitle": None,
            "opts": self.model._meta,
            "form": form,
            "formats": FORMATS,
            "recent_jobs": m.ImportJob.objects.select_related("created_by")[:10],
        }
        # A POST that gets here is an invalid upload: 400 with the errors shown, so scripts and tests see the
        # failure (a 200 looked like success).
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/assets/import.html", context, status=status)

    def import_job_view(self, request, job_id: int):
        """An import job's progress and per-file results; reloads itself every few seconds until the job finishes.
        The same users as the Import page."""
        if not _user_can_import(request.user):
            raise PermissionDenied
        job = get_object_or_404(m.ImportJob.objects.select_related("created_by"), pk=job_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import job {job.pk}",
            "subtitle": None,
            "opts": self.model._meta,
            "job": job,
            "files": job.files.defer("data").order_by("position"),
            "refresh_seconds": None if job.finished else JOB_REFRESH_SECONDS,
        }
        return TemplateResponse(request, "admin/assets/import_job.html", context)


@admin.register(m.AssetAlias)
class AssetAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "source", "asset")
    list_select_related = ("asset",)
    list_filter = ("kind", "source")
    search_fields = ("name", "asset__name")
    autocomplete_fields = ("asset",)
    readonly_fields = ("source",)

    def save_model(self, request, obj, form, change):
        if form.has_changed():
            obj.source = m.AssetAlias.Source.MANUAL  # staff's now: a profile re-import keeps it
        super().save_model(request, obj, form, change)


@admin.register(m.CommentarySection)
class CommentarySectionAdmin(admin.ModelAdmin):
    list_display = ("asset", "order", "emoji", "heading")
    list_select_related = ("asset",)
    list_filter = (("asset", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("heading", "body", "asset__name")
    autocomplete_fields = ("asset",)


# --- trials --------------------------------------------------------------------------------------------------------

@admin.register(m.Trial)
class TrialAdmin(ImportLinkMixin, admin.ModelAdmin):
    list_display = ("display_name", "registry_id", "phase", "status", "sponsor", "indication", "asset_list", "expected_readout")
    list_display_links = ("display_name",)
    list_select_related = ("sponsor", "indication")
    list_filter = ("phase", "status", ("sponsor", admin.RelatedOnlyFieldListFilter), ("indication", admin.RelatedOnlyFieldListFilter))
    search_fields = ("acronym", "registry_id", "title", "assets__name", "assets__aliases__name", "sponsor__name")
    autocomplete_fields = ("sponsor", "indication", "assets")
    prepopulated_fields = {"slug": ("acronym", "registry_id")}
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("acronym", "registry_id", "slug", "title", "assets", "sponsor")}),
        ("Design", {"fields": ("phase", "status", "indication", "population", "enrollment")}),
        ("Dates", {"fields": ("start_date", "primary_completion_date", "expected_readout")}),
        ("Registry (ClinicalTrials.gov, kept current by the daily sync)", {
            "fields": (("start_date_type", "primary_completion_date_type"), ("completion_date", "completion_date_type"),
                       "enrollment_type", "why_stopped", ("has_results", "results_first_posted"),
                       "registry_last_update_posted"),
            "classes": ("collapse",),
        }),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    inlines = [ArmInline, TrialEndpointInline, TrialEventInline, PublicMomentInline, TrialRegistryChangeInline]

    def get_readonly_fields(self, request, obj=None):
        """Once the registry has been read for a trial, its registry fields are the registry's: the next sync would
        replace what staff typed, so they are shown read-only (docs/registry.md)."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.registry_changes.exists():
            fields += list(REGISTRY_COLUMNS)
        return fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("assets")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The questions above assets take the earliest public moment (sent inside the admin's transaction).
        trial_public_moments_changed(trial=form.instance)

    @admin.display(description="trial", ordering="acronym")
    def display_name(self, obj):
        return obj.acronym or obj.registry_id or obj.title[:60] or f"Trial {obj.pk}"

    @admin.display(description="assets")
    def asset_list(self, obj):
        return ", ".join(a.name for a in obj.assets.all()) or "—"


@admin.register(m.TrialRegistryChange)
class TrialRegistryChangeAdmin(admin.ModelAdmin):
    """Read-only: the history is append-only, written by the registry sync and the ClinicalTrials.gov importer."""

    list_display = ("observed_at", "trial", "field", "old_value", "new_value", "initial", "registry_posted_on", "via")
    list_select_related = ("trial",)
    list_filter = ("field", "initial", "via")
    date_hierarchy = "observed_at"
    search_fields = ("trial__acronym", "trial__registry_id", "new_value")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """The calendar of meetings where results become public: admins keep it current each year."""

    list_display = ("name", "series", "start_date", "end_date", "location", "timezone", "abstract_release_at",
                    "confirmed")
    list_filter = ("series", "confirmed")
    search_fields = ("name", "series", "location")
    date_hierarchy = "start_date"


@admin.register(m.PublicMoment)
class PublicMomentAdmin(admin.ModelAdmin):
    list_display = ("trial", "kind", "at", "timezone", "meeting", "note")
    list_select_related = ("trial", "meeting")
    list_filter = ("kind", ("meeting", admin.RelatedOnlyFieldListFilter))
    search_fields = ("trial__acronym", "trial__registry_id", "meeting__name", "note")
    autocomplete_fields = ("trial", "meeting")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        trial_public_moments_changed(trial=obj.trial)

    def delete_model(self, request, obj):
        trial = obj.trial
        super().delete_model(request, obj)
        trial_public_moments_changed(trial=trial)

    def delete_queryset(self, request, queryset):
        trials = {m.trial for m in queryset.select_related("trial")}
        super().delete_queryset(request, queryset)
        for trial in trials:
            trial_public_moments_changed(trial=trial)


@admin.register(m.Arm)
class ArmAdmin(admin.ModelAdmin):
    list_display = ("name", "trial", "role", "description")
    list_select_related = ("trial",)
    list_filter = ("role",)
    search_fields = ("name", "description", "trial__acronym", "trial__registry_id")
    autocomplete_fields = ("trial",)


@admin.register(m.TrialEndpoint)
class TrialEndpointAdmin(admin.ModelAdmin):
    list_display = ("trial", "endpoint", "kind", "order")
    list_select_related = ("trial", "endpoint")
    list_filter = ("kind", ("endpoint", admin.RelatedOnlyFieldListFilter))
    search_fields = ("trial__acronym", "trial__registry_id", "endpoint__code", "endpoint__name")
    autocomplete_fields = ("trial", "endpoint")


@admin.register(m.TrialEvent)
class TrialEventAdmin(admin.ModelAdmin):
    list_display = ("date", "date_precision", "trial", "kind", "description", "news")
    list_select_related = ("trial", "news")
    list_filter = ("kind", "date_precision")
    date_hierarchy = "date"
    search_fields = ("description", "trial__acronym", "trial__registry_id")
    autocomplete_fields = ("trial", "news")


# --- news and readouts ---------------------------------------------------------------------------------------------

class NewsItemAdminForm(forms.ModelForm):
    """The content hash is computed from the date and body, never typed; a second copy of an item is refused."""

    class Meta:
        model = m.NewsItem
        exclude = ("content_hash",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date") and cleaned.get("body"):
            digest = news_content_hash(date=cleaned["date"], body=cleaned["body"])
            duplicate = m.NewsItem.objects.filter(content_hash=digest).exclude(pk=self.instance.pk).first()
            if duplicate:
                raise forms.ValidationError(f"This news item already exists: {duplicate}.")
            self.instance.content_hash = digest
        return cleaned


@admin.register(m.NewsItem)
class NewsItemAdmin(ImportLinkMixin, admin.ModelAdmin):
    form = NewsItemAdminForm
    list_display = ("date", "title", "source", "linked")
    list_filter = (("companies", admin.RelatedOnlyFieldListFilter), ("assets", admin.RelatedOnlyFieldListFilter), ("trials", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "date"
    search_fields = ("title", "body", "source")
    autocomplete_fields = ("companies", "assets", "trials")
    readonly_fields = ("content_hash", "created_at")
    fields = ("date", "title", "source", "url", "body", "companies", "assets", "trials", "content_hash", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("companies", "assets", "trials")

    @admin.display(description="mentions")
    def linked(self, obj):
        names = [*(c.name for c in obj.companies.all()), *(a.name for a in obj.assets.all()), *(t.name for t in obj.trials.all())]
        return ", ".join(names) or "—"


@admin.register(m.Readout)
class ReadoutAdmin(admin.ModelAdmin):
    list_display = ("trial", "endpoint", "metric", "value", "ci", "source", "known_at", "created_by")
    list_select_related = ("trial", "endpoint", "created_by")
    list_filter = ("metric", ("endpoint", admin.RelatedOnlyFieldListFilter), ("trial", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "known_at"
    search_fields = ("trial__acronym", "trial__registry_id", "source", "note")
    autocomplete_fields = ("trial", "endpoint")
    readonly_fields = ("created_by", "created_at")

    @admin.display(description="95% CI")
    def ci(self, obj):
        if obj.ci_lower is None or obj.ci_upper is None:
            return "—"
        return f"{obj.ci_lower:g}–{obj.ci_upper:g}"

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)



# --- import jobs ---------------------------------------------------------------------------------------------------

class _ReadOnly:
    """Rows written by the import jobs only: viewable and searchable, never added or changed here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ImportJobFileInline(_ReadOnly, admin.TabularInline):
    model = m.ImportJobFile
    extra = 0
    can_delete = False
    fields = ("position", "name", "size", "status", "result", "error", "finished_at")  # never the bytes
    readonly_fields = fields


@admin.register(m.ImportJob)
class ImportJobAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("__str__", "created_by", "format", "dry_run", "status", "progress", "created_at", "finished_at", "job_page")
    list_select_related = ("created_by",)
    list_filter = ("status", "format", "dry_run")
    search_fields = ("files__name", "created_by__username")
    date_hierarchy = "created_at"
    fields = ("created_by", "format", "dry_run", "status", "total_files", "done_files", "error",
              "created_at", "started_at", "finished_at")
    readonly_fields = fields
    inlines = [ImportJobFileInline]

    @admin.display(description="progress")
    def progress(self, obj):
        return f"{obj.done_files}/{obj.total_files}"

    @admin.display(description="page")
    def job_page(self, obj):
        return format_html('<a href="{}">results</a>', obj.get_absolute_url())


@admin.register(m.ImportJobFile)
class ImportJobFileAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("name", "job", "status", "size", "finished_at")
    list_select_related = ("job",)
    list_filter = ("status",)
    search_fields = ("name", "error", "result")
    fields = ("job", "position", "name", "size", "status", "result", "error", "finished_at")  # never the bytes
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")
