"""The clinical-trial domain: companies, assets (drugs), trials, endpoints, news and readouts.

This app knows nothing of questions, markets or forecasts (dependencies point assets <- markets <- forecasting).
"""
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import slugify

NCT_ID_VALIDATOR = RegexValidator(r"^NCT\d{8}$", "A ClinicalTrials.gov id is NCT followed by 8 digits.")


class CompanyQuerySet(models.QuerySet):
    def filter_name_or_alias(self, name: str):
        """Companies whose name or any alias equals ``name``, ignoring case."""
        return self.filter(models.Q(name__iexact=name) | models.Q(aliases__name__iexact=name)).distinct()


class Company(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    website = models.URLField(blank=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        super().save(*args, **kwargs)


class CompanyAlias(models.Model):
    """Another name for a company ("BMS", "Bristol Myers Squibb"); unique ignoring case across all companies."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "company aliases"
        constraints = [models.UniqueConstraint(Lower("name"), name="company_alias_unique_ci")]

    def __str__(self):
        return self.name


class TherapeuticArea(models.TextChoices):
    """The disease areas of the phase-success tables (assets/data/base_rates.json); a haematologic cancer is also
    oncology, so the base-rate lookup falls back from it to oncology, then to all indications."""

    HEMATOLOGIC_CANCER = "hematologic_cancer", "Haematologic cancers"
    SOLID_TUMOR = "solid_tumor", "Solid tumours"
    ONCOLOGY = "oncology", "Oncology"
    HEMATOLOGY = "hematology", "Haematology (non-cancer)"
    AUTOIMMUNE = "autoimmune", "Autoimmune"
    CARDIOVASCULAR = "cardiovascular", "Cardiovascular"
    ENDOCRINE = "endocrine", "Endocrine"
    GASTROENTEROLOGY = "gastroenterology", "Gastroenterology"
    INFECTIOUS_DISEASE = "infectious_disease", "Infectious disease"
    METABOLIC = "metabolic", "Metabolic"
    NEUROLOGY = "neurology", "Neurology"
    OPHTHALMOLOGY = "ophthalmology", "Ophthalmology"
    PSYCHIATRY = "psychiatry", "Psychiatry"
    RESPIRATORY = "respiratory", "Respiratory"
    UROLOGY = "urology", "Urology"
    VACCINES = "vaccines", "Vaccines"
    OTHER = "other", "Other"


class Indication(models.Model):
    """A disease setting, e.g. relapsed/refractory multiple myeloma (RRMM). A leaderboard scope."""

    TherapeuticArea = TherapeuticArea

    name = models.CharField(max_length=200, unique=True)
    abbreviation = models.CharField(max_length=40, blank=True)
    therapeutic_area = models.CharField(
        max_length=24, choices=TherapeuticArea.choices, blank=True,
        help_text="Picks the row of the phase-success table the base-rate forecaster uses (blank: all indications).",
    )
    slug = models.SlugField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.abbreviation or self.name)[:200]
        super().save(*args, **kwargs)


class AssetQuerySet(models.QuerySet):
    def filter_search(self, text: str):
        """Assets whose name or any alias (development code, other name) contains ``text``, ignoring case."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            models.Q(name__icontains=text) | models.Q(aliases__name__icontains=text)
        ).distinct()

    def filter_name_or_alias(self, name: str):
        return self.filter(models.Q(name__iexact=name) | models.Q(aliases__name__iexact=name)).distinct()


class Asset(models.Model):
    """A drug in development."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    sponsor = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="assets")
    description = models.TextField(blank=True)
    mechanism = models.CharField(max_length=300, blank=True, help_text="Mechanism of action or drug class.")
    indications = models.ManyToManyField(Indication, blank=True, related_name="assets")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("assets:asset-detail", kwargs={"slug": self.slug})

    @property
    def development_codes(self) -> list[str]:
        return [a.name for a in self.aliases.all() if a.kind == AssetAlias.Kind.DEVELOPMENT_CODE]

    @property
    def other_names(self) -> list[str]:
        return [a.name for a in self.aliases.all() if a.kind == AssetAlias.Kind.OTHER_NAME]


class AssetAlias(models.Model):
    class Kind(models.TextChoices):
        DEVELOPMENT_CODE = "development_code", "Development code"
        OTHER_NAME = "other_name", "Other name"

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        PROFILE = "profile", "Asset profile import"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER_NAME)
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.MANUAL,
        help_text="Aliases from a profile follow the profile (a re-import removes those it no longer lists); "
        "aliases entered by hand are never removed by an import.",
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name_plural = "asset aliases"
        constraints = [models.UniqueConstraint("asset", Lower("name"), name="asset_alias_unique_ci")]

    def __str__(self):
        return self.name


class CommentarySection(models.Model):
    """One section of an asset profile's analyst commentary."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="commentary")
    heading = models.CharField(max_length=300)
    emoji = models.CharField(max_length=16, blank=True)
    body = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["asset", "order"]
        constraints = [models.UniqueConstraint(fields=["asset", "order"], name="commentary_order_unique")]

    def __str__(self):
        return f"{self.emoji} {self.heading}".strip()


class Endpoint(models.Model):
    """A kind of trial endpoint (PFS, OS, ORR, MRD negativity, HRQoL, ...), shared across trials."""

    code = models.CharField(max_length=30, unique=True, help_text="Short code, e.g. PFS.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class ActualOrEstimated(models.TextChoices):
    """Whether a registry date or enrollment count has happened (ACTUAL) or is a plan (ESTIMATED)."""

    ACTUAL = "ACTUAL", "Actual"
    ESTIMATED = "ESTIMATED", "Estimated"


class TrialQuerySet(models.QuerySet):
    def filter_identifier(self, identifier: str):
        """Trials matching an NCT id or an acronym, ignoring case ("Successor-2" is SUCCESSOR-2)."""
        return self.filter(models.Q(registry_id__iexact=identifier) | models.Q(acronym__iexact=identifier))

    def filter_registered(self):
        """Trials with an NCT id: the ones the registry sync keeps current."""
        return self.filter(registry_id__isnull=False).exclude(registry_id="")


class Trial(models.Model):
    class Phase(models.TextChoices):
        PHASE1 = "1", "Phase 1"
        PHASE1_2 = "1/2", "Phase 1/2"
        PHASE2 = "2", "Phase 2"
        PHASE2_3 = "2/3", "Phase 2/3"
        PHASE3 = "3", "Phase 3"
        PHASE4 = "4", "Phase 4"
        UNKNOWN = "", "Unknown"

    class Status(models.TextChoices):
        NOT_YET_RECRUITING = "not_yet_recruiting", "Not yet recruiting"
        RECRUITING = "recruiting", "Recruiting"
        ACTIVE_NOT_RECRUITING = "active_not_recruiting", "Active, not recruiting"
        COMPLETED = "completed", "Completed"
        TERMINATED = "terminated", "Terminated"
        SUSPENDED = "suspended", "Suspended"
        WITHDRAWN = "withdrawn", "Withdrawn"
        UNKNOWN = "unknown", "Unknown"

    registry_id = models.CharField(
        "NCT id", max_length=11, unique=True, null=True, blank=True, validators=[NCT_ID_VALIDATOR]
    )
    acronym = models.CharField(max_length=100, blank=True, db_index=True)
    slug = models.SlugField(max_length=200, unique=True)
    title = models.TextField(blank=True)
    phase = models.CharField(max_length=5, choices=Phase.choices, blank=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.UNKNOWN)
    sponsor = models.ForeignKey(Company, on_delete=models.PROTECT, null=True, blank=True, related_name="trials")
    assets = models.ManyToManyField(Asset, blank=True, related_name="trials")
    indication = models.ForeignKey(
        Indication, on_delete=models.SET_NULL, null=True, blank=True, related_name="trials"
    )
    population = models.TextField(blank=True)
    enrollment = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    primary_completion_date = models.DateField(null=True, blank=True)
    # What ClinicalTrials.gov says, kept current by the registry sync (assets.services.registry_sync) for trials with an
    # NCT id; each change is also a TrialRegistryChange row. "ACTUAL"/"ESTIMATED" as the registry spells them; an
    # estimated date known only to the month is stored as its first day (the history keeps "2026-06" as written).
    start_date_type = models.CharField(max_length=10, choices=ActualOrEstimated.choices, blank=True)
    primary_completion_date_type = models.CharField(max_length=10, choices=ActualOrEstimated.choices, blank=True)
    completion_date = models.DateField(null=True, blank=True)
    completion_date_type = models.CharField(max_length=10, choices=ActualOrEstimated.choices, blank=True)
    enrollment_type = models.CharField(max_length=10, choices=ActualOrEstimated.choices, blank=True)
    why_stopped = models.TextField(blank=True, help_text="The registry's reason for a terminated, suspended or withdrawn trial.")
    has_results = models.BooleanField(null=True, blank=True, help_text="Results posted on ClinicalTrials.gov (unknown until synced).")
    results_first_posted = models.DateField(null=True, blank=True)
    registry_last_update_posted = models.DateField(
        "last update posted", null=True, blank=True, help_text="When the registry last posted a change to the record."
    )
    expected_readout = models.CharField(
        max_length=200, blank=True, help_text='When results are expected, e.g. "ASCO 2026" or "H2 2026".'
    )
    endpoints = models.ManyToManyField(Endpoint, through="TrialEndpoint", related_name="trials", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["acronym", "registry_id"]

    def __str__(self):
        if self.acronym and self.registry_id:
            return f"{self.acronym} ({self.registry_id})"
        return self.acronym or self.registry_id or self.title[:60] or f"Trial {self.pk}"

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.acronym or self.registry_id or self.title[:80])[:200]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("assets:trial-detail", kwargs={"slug": self.slug})

    @property
    def name(self) -> str:
        return self.acronym or self.registry_id or self.title


class Arm(models.Model):
    class Role(models.TextChoices):
        EXPERIMENTAL = "experimental", "Experimental"
        CONTROL = "control", "Control"
        OTHER = "other", "Other"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="arms")
    name = models.CharField(max_length=200, help_text="Regimen name, e.g. MeziKd.")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OTHER)
    description = models.TextField(blank=True, help_text="The regimen in full.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["trial", "name"], name="arm_unique_name")]

    def __str__(self):
        return self.name


class EndpointKind(models.TextChoices):
    """How a trial uses an endpoint, in rank order (``endpoint_kind_rank`` relies on it)."""

    PRIMARY = "primary", "Primary"
    KEY_SECONDARY = "key_secondary", "Key secondary"
    SECONDARY = "secondary", "Secondary"


def endpoint_kind_rank() -> models.Case:
    """0 for primary, 1 for key secondary, 2 for secondary: the kinds' names alone sort key secondary first."""
    kinds = EndpointKind.values
    return models.Case(
        *(models.When(kind=kind, then=models.Value(i)) for i, kind in enumerate(kinds)),
        default=models.Value(len(kinds)),
        output_field=models.IntegerField(),
    )


class TrialEndpoint(models.Model):
    Kind = EndpointKind
    KIND_RANK = {kind: i for i, kind in enumerate(EndpointKind.values)}

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="trial_endpoints")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="trial_endpoints")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["trial", endpoint_kind_rank().asc(), "order"]
        constraints = [models.UniqueConstraint(fields=["trial", "endpoint"], name="trial_endpoint_unique")]

    def __str__(self):
        return f"{self.trial}: {self.endpoint} ({self.get_kind_display()})"


class NewsItem(models.Model):
    date = models.DateField(db_index=True)
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    source = models.CharField(max_length=300, blank=True)
    url = models.URLField(blank=True)
    content_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the normalised text; importing the same item updates it."
    )
    companies = models.ManyToManyField(Company, blank=True, related_name="news")
    assets = models.ManyToManyField(Asset, blank=True, related_name="news")
    trials = models.ManyToManyField(Trial, blank=True, related_name="news")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.date}: {self.title or self.body[:80]}"


class TrialEvent(models.Model):
    """A dated event on a trial's timeline: start, topline, readout, ..."""

    class Kind(models.TextChoices):
        START = "start", "Start"
        ENROLLMENT_COMPLETE = "enrollment_complete", "Enrollment complete"
        TOPLINE = "topline", "Topline"
        READOUT = "readout", "Readout"
        REGULATORY = "regulatory", "Regulatory"
        REGISTRY = "registry", "Registry update"
        OTHER = "other", "Other"

    class DatePrecision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        HALF = "half", "Half-year"
        YEAR = "year", "Year"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="events")
    date = models.DateField()
    date_precision = models.CharField(
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text='How precisely the date is known; "month" means sometime in that month and the date is its first day.',
    )
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    description = models.CharField(max_length=500)
    news = models.ForeignKey(NewsItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")

    class Meta:
        ordering = ["trial", "date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "date", "kind", "description"], name="trial_event_unique")
        ]

    def __str__(self):
        return f"{self.get_kind_display().lower()}: {self.description}, {self.date.isoformat()}"

    @property
    def date_display(self) -> str:
        """The date as precisely as it is known: "2026-03-09", "March 2026", "Q1 2026", "H2 2026" or "2026"."""
        if self.date_precision == self.DatePrecision.MONTH:
            return self.date.strftime("%B %Y")
        if self.date_precision == self.DatePrecision.QUARTER:
            return f"Q{(self.date.month - 1) // 3 + 1} {self.date.year}"
        if self.date_precision == self.DatePrecision.HALF:
            return f"H{1 if self.date.month <= 6 else 2} {self.date.year}"
        if self.date_precision == self.DatePrecision.YEAR:
            return str(self.date.year)
        return self.date.isoformat()


class RegistryField(models.TextChoices):
    """The ClinicalTrials.gov fields whose history Readout keeps (TrialRegistryChange.field). Values are stored as
    the registry writes them: enums such as "TERMINATED" or "ACTUAL", dates "2026-01-30" or "2026-01", counts "522",
    booleans "true"/"false", and "" for absent."""

    OVERALL_STATUS = "overall_status", "Overall status"
    WHY_STOPPED = "why_stopped", "Why stopped"
    START_DATE = "start_date", "Start date"
    START_DATE_TYPE = "start_date_type", "Start date type"
    PRIMARY_COMPLETION_DATE = "primary_completion_date", "Primary completion date"
    PRIMARY_COMPLETION_DATE_TYPE = "primary_completion_date_type", "Primary completion date type"
    COMPLETION_DATE = "completion_date", "Completion date"
    COMPLETION_DATE_TYPE = "completion_date_type", "Completion date type"
    ENROLLMENT = "enrollment", "Enrollment"
    ENROLLMENT_TYPE = "enrollment_type", "Enrollment type"
    HAS_RESULTS = "has_results", "Has results"
    RESULTS_FIRST_POSTED = "results_first_posted", "Results first posted"
    LAST_UPDATE_POSTED = "last_update_posted", "Last update posted"


class TrialRegistryChangeQuerySet(models.QuerySet):
    def filter_field(self, field: str):
        return self.filter(field=field)

    def filter_became(self, field: str, value: str):
        """Changes that set ``field`` to ``value`` (registry spelling, e.g. ("overall_status", "TERMINATED"))."""
        return self.filter(field=field, new_value=value)

    def filter_changes_only(self):
        """Leave out first sightings: what the registry already said the first time Readout read the trial."""
        return self.filter(initial=False)


class TrialRegistryChange(models.Model):
    """One field of a trial's ClinicalTrials.gov record that changed, as Readout saw it (append-only).

    ``initial`` marks the first reading of a field (``old_value`` is then ""): it says what the registry said when
    Readout first looked, not when it became so. ``observed_at`` is when the sync or import saw the change;
    ``registry_posted_on`` is the record's "last update posted" date in the version that carried it, the registry's
    own date for the change (the change happened on or before it).
    """

    class Via(models.TextChoices):
        SYNC = "sync", "Registry sync (API)"
        IMPORT = "import", "File import"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="registry_changes")
    field = models.CharField(max_length=40, choices=RegistryField.choices)
    old_value = models.CharField(max_length=1000, blank=True)
    new_value = models.CharField(max_length=1000, blank=True)
    initial = models.BooleanField(default=False, help_text="The first reading of this field for this trial.")
    observed_at = models.DateTimeField(db_index=True)
    registry_posted_on = models.DateField(null=True, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    event = models.ForeignKey(
        TrialEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="registry_changes",
        help_text="The timeline line this change is shown on, if any.",
    )

    objects = TrialRegistryChangeQuerySet.as_manager()

    class Meta:
        ordering = ["trial", "observed_at", "pk"]
        indexes = [models.Index(fields=["trial", "field", "observed_at"])]

    def __str__(self):
        old = self.old_value or "(none)"
        return f"{self.trial}: {self.field} {old} -> {self.new_value or '(none)'} seen {self.observed_at:%Y-%m-%d}"


class Readout(models.Model):
    """A reported result: one metric of one endpoint of one trial, from one source, public from ``known_at``."""

    class Metric(models.TextChoices):
        HAZARD_RATIO = "hazard_ratio", "Hazard ratio"
        HR_CI_LOWER = "hr_ci_lower", "Hazard ratio, 95% CI lower bound"
        HR_CI_UPPER = "hr_ci_upper", "Hazard ratio, 95% CI upper bound"
        MEDIAN_MONTHS_EXPERIMENTAL = "median_months_experimental", "Median, experimental arm (months)"
        MEDIAN_MONTHS_CONTROL = "median_months_control", "Median, control arm (months)"
        RATE_EXPERIMENTAL = "rate_experimental", "Rate, experimental arm (%)"
        RATE_CONTROL = "rate_control", "Rate, control arm (%)"
        ODDS_RATIO = "odds_ratio", "Odds ratio"
        P_VALUE = "p_value", "p-value"
        STATISTICALLY_SIGNIFICANT = "statistically_significant", "Statistically significant (1 yes, 0 no)"
        MET_ENDPOINT = "met_endpoint", "Met endpoint (1 yes, 0 no)"
        DISCLOSED = "disclosed", "Disclosed (1 yes, 0 no)"

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="readouts")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="readouts")
    metric = models.CharField(max_length=40, choices=Metric.choices)
    value = models.FloatField()
    ci_lower = models.FloatField(null=True, blank=True)
    ci_upper = models.FloatField(null=True, blank=True)
    p_value = models.FloatField(null=True, blank=True)
    experimental_value = models.FloatField(null=True, blank=True, help_text="Per-arm value, experimental arm.")
    control_value = models.FloatField(null=True, blank=True, help_text="Per-arm value, control arm.")
    source = models.CharField(max_length=300, help_text="Conference, abstract or publication.")
    url = models.URLField(blank=True)
    known_at = models.DateTimeField(help_text="When the result became public (abstract or embargo release).")
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="readouts_entered"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-known_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "endpoint", "metric", "source"], name="readout_unique_source"),
            models.CheckConstraint(
                condition=models.Q(ci_lower__isnull=True)
                | models.Q(ci_upper__isnull=True)
                | models.Q(ci_lower__lte=models.F("ci_upper")),
                name="readout_ci_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.trial} {self.endpoint} {self.get_metric_display()} = {self.value:g}"


def validate_timezone_name(value: str) -> None:
    """An IANA time zone name such as America/Chicago (Django's ValidationError for model and admin forms)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise DjangoValidationError(
            f"{value!r} is not an IANA time zone (e.g. America/Chicago, Europe/Berlin, UTC)."
        ) from None


class Meeting(models.Model):
    """A scientific meeting where trial results become public (ASCO, ASH, EHA, ESMO, AACR, ...): the calendar that
    admins pick a trial's public moment from. Seeded with the major meetings (migration 0005); admins edit it.

    ``abstract_release_at`` is when regular abstracts go online (their data is public from then);
    ``late_breaking_rule`` says when late-breaking abstracts lift their embargo (usually at the presentation).
    Times are stored in UTC; ``timezone`` is the meeting's local zone, used to show them as the meeting does.
    """

    series = models.CharField(max_length=40, help_text='Short name of the meeting series, e.g. "ASCO".')
    name = models.CharField(max_length=200, unique=True, help_text='e.g. "ASCO Annual Meeting 2027".')
    start_date = models.DateField()
    end_date = models.DateField()
    location = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=60, default="UTC", validators=[validate_timezone_name],
                                help_text="IANA time zone, e.g. America/Chicago.")
    abstract_release_at = models.DateTimeField(
        null=True, blank=True, help_text="When regular abstracts are published online (their embargo lifts)."
    )
    abstract_release_rule = models.CharField(max_length=300, blank=True)
    late_breaking_rule = models.CharField(max_length=300, blank=True)
    url = models.URLField(blank=True)
    confirmed = models.BooleanField(
        default=False, help_text="Dates and release times checked against the society's own announcement.",
    )

    class Meta:
        ordering = ["start_date", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start_date__lte=models.F("end_date")),
                                   name="meeting_dates_ordered"),
        ]

    def __str__(self):
        return self.name


class PublicMoment(models.Model):
    """A scheduled moment at which a trial's results become public: a topline press release, an abstract release,
    a presentation (a late-breaker's embargo lifts when it is presented), a publication.

    Forecasting and trading on the trial's questions stop at the earliest of its moments (markets copies it to
    ``Question.public_at`` when moments change: ``assets.signals.public_moments_changed``). ``at`` is stored in
    UTC; ``timezone`` is the zone it was announced in, for display ("9:00 CT").
    """

    class Kind(models.TextChoices):
        TOPLINE = "topline", "Topline press release"
        ABSTRACT_RELEASE = "abstract_release", "Abstract release"
        PRESENTATION = "presentation", "Presentation"
        PUBLICATION = "publication", "Publication"
        OTHER = "other", "Other"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="public_moments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(help_text="When the results become public (stored in UTC).")
    timezone = models.CharField(max_length=60, default="UTC", validators=[validate_timezone_name],
                                help_text="IANA time zone the time was announced in.")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="moments")
    note = models.CharField(max_length=300, blank=True, help_text='e.g. "Late-breaking abstract LBA-3, plenary".')
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["trial", "at", "pk"]
        indexes = [models.Index(fields=["trial", "at"])]

    def __str__(self):
        where = f" at {self.meeting}" if self.meeting_id else ""
        return f"{self.trial}: {self.get_kind_display().lower()}{where}, {self.at.isoformat()}"

    @property
    def local_at(self):
        """``at`` in the announced time zone (UTC if the zone is unknown)."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return self.at.astimezone(ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            return self.at

    @property
    def local_display(self) -> str:
        """"13 Dec 2027, 10:30 EST": the moment as the meeting announces it (templates' date filter would convert
        it back to the site's zone)."""
        local = self.local_at
        return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


# --- admin import jobs ---------------------------------------------------------------------------------------------

class ImportJob(models.Model):
    """A batch of files uploaded on the admin's Import page, imported by a Celery worker (assets.tasks.run_import_job)
    rather than inside the request: a profile of a few MB takes seconds to parse, longer than a web worker should wait.

    The uploaded bytes are kept in the database (:class:`ImportJobFile`), not in the default storage: they are written
    in the same transaction as the job, so the worker (often another host, with no shared disk) finds them as soon
    as the task is enqueued on commit, and no file outlives or predates its job. Uploads are at most 5 MB each.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"  # every file imported
        FAILED = "failed", "failed"  # finished, but at least one file failed (or the job could not run)

    FINISHED = (Status.DONE, Status.FAILED)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="import_jobs")
    format = models.CharField(max_length=10, help_text="auto, profile, news or ctgov (assets.importers.FORMATS).")
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_files = models.PositiveIntegerField(default=0)
    done_files = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the job itself failed (a file's error is on the file).")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"import job {self.pk} ({self.status}, {self.done_files}/{self.total_files} files)"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    def get_absolute_url(self):
        return reverse("admin:assets_import_job", args=[self.pk])


class ImportJobFile(models.Model):
    """One uploaded file of an :class:`ImportJob`, its bytes and, once imported, its result or error."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        OK = "ok", "ok"
        FAILED = "failed", "failed"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField(help_text="1, 2, ...: the order the files were uploaded in.")
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    result = models.TextField(blank=True, help_text="What the import created, updated or left unchanged.")
    error = models.TextField(blank=True, help_text="file:line: what was expected.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "position"], name="import_job_file_position_unique")]

    def __str__(self):
        return f"{self.name} ({self.status})"
