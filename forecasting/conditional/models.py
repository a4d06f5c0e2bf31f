"""Conditional pairs, their append-only forecasts, the per-branch community forecast and the branch scores."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

__all__ = ["ConditionalCommunityPoint", "ConditionalForecast", "ConditionalPair", "ConditionalScore",
           "ConditionalState"]


class Branch(models.TextChoices):
    YES = "yes", "If the parent resolves Yes"
    NO = "no", "If the parent resolves No"


class ConditionalPair(models.Model):
    """"If <parent> then <child>?": both questions binary, ``parent`` != ``child`` and no cycle through other pairs
    (``forecasting.conditional.services.pair_create`` checks). A pair is visible when both questions are."""

    Branch = Branch

    parent = models.ForeignKey("markets.Question", on_delete=models.PROTECT, related_name="conditional_children")
    child = models.ForeignKey("markets.Question", on_delete=models.PROTECT, related_name="conditional_parents")
    slug = models.SlugField(max_length=200, unique=True)
    forecaster_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="conditional_pair_unique"),
            models.CheckConstraint(condition=~Q(parent=F("child")), name="conditional_pair_not_self"),
        ]

    def __str__(self):
        return f"If {self.parent_id} then {self.child_id}"

    def get_absolute_url(self):
        return reverse("conditional:detail", kwargs={"slug": self.slug})


class ConditionalForecast(models.Model):
    """One event in a forecaster's history on a pair: both conditional probabilities, or a withdrawal. Append-only:
    an update is a new row. ``p_yes`` = P(child Yes | parent Yes), ``p_no`` = P(child Yes | parent No)."""

    class Kind(models.TextChoices):
        FORECAST = "forecast", "Forecast"
        WITHDRAWAL = "withdrawal", "Withdrawal"

    pair = models.ForeignKey(ConditionalPair, on_delete=models.CASCADE, related_name="forecasts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conditional_forecasts")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FORECAST)
    created_at = models.DateTimeField(db_index=True)
    p_yes = models.FloatField(null=True, blank=True)
    p_no = models.FloatField(null=True, blank=True)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["pair", "user", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="withdrawal", p_yes__isnull=True, p_no__isnull=True)
                | (Q(kind="forecast") & Q(p_yes__gte=0.001, p_yes__lte=0.999) & Q(p_no__gte=0.001, p_no__lte=0.999)),
                name="conditional_forecast_values",
            ),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("ConditionalForecast rows are append-only; record a new forecast instead.")
        super().save(*args, **kwargs)


class ConditionalState(models.Model):
    """The pair's active sets (one per branch, ``forecasting.maths.aggregation.ActiveSet`` bytes) after the forecast
    ``last_forecast_id``. Every forecast on the pair locks this row, so forecasts are applied one at a time; each
    costs O(active forecasters), never O(history)."""

    pair = models.OneToOneField(ConditionalPair, on_delete=models.CASCADE, related_name="state")
    data_yes = models.BinaryField(default=bytes)
    data_no = models.BinaryField(default=bytes)
    last_forecast_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)


class ConditionalCommunityPoint(models.Model):
    """Both branches' community forecasts after one forecast or withdrawal (median and extremized, as binary)."""

    pair = models.ForeignKey(ConditionalPair, on_delete=models.CASCADE, related_name="community_points")
    created_at = models.DateTimeField()
    forecaster_count = models.PositiveIntegerField()
    yes_median = models.FloatField(null=True, blank=True)
    yes_extremized = models.FloatField(null=True, blank=True)
    no_median = models.FloatField(null=True, blank=True)
    no_extremized = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["pair", "created_at"])]


class ConditionalScore(models.Model):
    """The score of one subject on the branch the parent's outcome selected (the other branch has none: annulled).
    Fields as ``forecasting.scoring.models.Score``; derived rows, recomputed and replaced by
    ``conditional_pair_score``."""

    class Subject(models.TextChoices):
        FORECASTER = "forecaster", "Forecaster"
        COMMUNITY_MEDIAN = "community_median", "Community median"
        COMMUNITY_EXTREMIZED = "community_extremized", "Extremized aggregate"

    pair = models.ForeignKey(ConditionalPair, on_delete=models.CASCADE, related_name="scores")
    branch = models.CharField(max_length=3, choices=Branch.choices)
    subject = models.CharField(max_length=24, choices=Subject.choices, default=Subject.FORECASTER)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="conditional_scores")
    loss = models.FloatField(null=True, blank=True)
    coverage = models.FloatField(default=0.0)
    relative = models.FloatField(null=True, blank=True)
    baseline = models.FloatField(null=True, blank=True)
    peer = models.FloatField(null=True, blank=True)
    active_seconds = models.FloatField(default=0.0)
    forecasts_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["pair", "branch", "subject", "relative", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pair", "user"], condition=Q(user__isnull=False),
                                    name="conditional_score_forecaster_unique"),
            models.UniqueConstraint(fields=["pair", "subject"], condition=Q(user__isnull=True),
                                    name="conditional_score_aggregate_unique"),
        ]

