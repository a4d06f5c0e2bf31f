"""Forecasts and the community forecast: each forecaster's append-only history, the current forecast per forecaster
and question, and the incremental community aggregate with its history."""
import uuid

import numpy as np
from django.conf import settings
from django.db import models

__all__ = ["CommunityForecastPoint", "CommunityState", "Forecast", "ForecastQuerySet", "ForecasterQuestion"]


class ForecastQuerySet(models.QuerySet):
    def filter_question(self, question):
        return self.filter(question=question)

    def filter_author(self, user):
        return self.filter(user=user)

    def filter_values(self):
        """Forecast rows that carry a value (not withdrawals)."""
        return self.exclude(kind=Forecast.Kind.WITHDRAWAL)


class Forecast(models.Model):
    """One event in a forecaster's history on a question: a forecast or a withdrawal. Append-only.

    A forecast is active from ``created_at`` until the same forecaster's next row (forecast or withdrawal) or the
    question's actual close time (SCORING.md section 1). Binary rows carry ``probability``; numeric rows carry
    ``cdf`` (201 little-endian float64 values on the unit grid) and ``input`` keeps what the user typed.
    """

    class Kind(models.TextChoices):
        FORECAST = "forecast", "Forecast"
        WITHDRAWAL = "withdrawal", "Withdrawal"

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="forecasts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forecasts")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FORECAST)
    created_at = models.DateTimeField(db_index=True)
    probability = models.FloatField(null=True, blank=True)
    cdf = models.BinaryField(null=True, blank=True, editable=False)
    # Multiple choice: one probability per option, in the question's option order, each in [0.001, 0.999] and
    # summing to 1 (forecasting.forecasts.choice). A JSON list so exports and the admin read it as it is.
    probabilities = models.JSONField(null=True, blank=True, editable=False)
    input = models.JSONField(default=dict, blank=True, help_text="What the forecaster submitted.")
    rationale = models.TextField(blank=True)

    objects = ForecastQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["question", "user", "created_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["question", "-created_at"], name="forecast_question_recent"),  # rationales
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="withdrawal")
                | models.Q(probability__isnull=True)
                | (models.Q(probability__gte=0.001) & models.Q(probability__lte=0.999)),
                name="forecast_probability_range",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="withdrawal")
                | models.Q(probability__isnull=False)
                | models.Q(cdf__isnull=False)
                | models.Q(probabilities__isnull=False),
                name="forecast_has_value",
            ),
        ]

    def __str__(self):
        return f"{self.user} on {self.question_id} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_withdrawal(self) -> bool:
        return self.kind == self.Kind.WITHDRAWAL

    def cdf_array(self):
        return self.decode_cdf(self.cdf)

    @staticmethod
    def decode_cdf(raw):
        """The stored CDF blob as a read-only (201,) float64 array, or None."""
        return None if raw is None else np.frombuffer(bytes(raw), dtype="<f8")


class ForecasterQuestion(models.Model):
    """A projection: one row per forecaster and question, pointing at their current forecast (None if withdrawn).

    Kept up to date by the forecast services so "my forecasts", forecaster counts and notifications need no scan of
    the history.
    """

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="forecasters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions_forecast")
    current = models.ForeignKey(Forecast, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_forecast_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    forecast_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="forecaster_question_unique")]
        indexes = [models.Index(fields=["user", "-updated_at"])]


class CommunityState(models.Model):
    """Where the incremental community forecast of a question stands.

    The active set (each forecaster's latest forecast, oldest first; ``forecasting.maths.aggregation.ActiveSet``) is
    the snapshot in ``data`` plus the question's Forecast rows with pk > ``snapshot_forecast_id``, replayed in pk
    order. The snapshot is rewritten every ``SNAPSHOT_EVERY`` events, so a forecast costs O(active forecasters) in
    memory and O(1) amortized in database writes, never O(history). Every forecast and withdrawal on the question
    locks this row (``select_for_update``), which serializes them, so pk order is application order.
    """

    question = models.OneToOneField("markets.Question", on_delete=models.CASCADE, related_name="community_state")
    token = models.UUIDField(default=uuid.uuid4, editable=False, help_text="Identifies this row's life for caches.")
    data = models.BinaryField(default=bytes, help_text="ActiveSet snapshot (stored uncompressed on PostgreSQL).")
    snapshot_forecast_id = models.BigIntegerField(default=0, help_text="Last Forecast pk included in the snapshot.")
    last_forecast_id = models.BigIntegerField(default=0, help_text="Last Forecast pk applied to the aggregate.")
    events_since_snapshot = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    latest_point = models.ForeignKey(
        "CommunityForecastPoint", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )


class CommunityForecastPoint(models.Model):
    """The community forecast after one forecast or withdrawal. Binary: median and extremized log-odds mean.
    Numeric: the recency-weighted mean CDF plus its 10th/50th/90th percentiles in the question's units."""

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="community_points")
    created_at = models.DateTimeField()
    forecaster_count = models.PositiveIntegerField()
    median = models.FloatField(null=True, blank=True)
    extremized = models.FloatField(null=True, blank=True)
    cdf = models.BinaryField(null=True, blank=True, editable=False)
    q10 = models.FloatField(null=True, blank=True)
    q50 = models.FloatField(null=True, blank=True)
    q90 = models.FloatField(null=True, blank=True)
    # Multiple choice: the per-option community probabilities (docs/scoring.md, "Multiple-choice questions").
    probabilities = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["question", "created_at"])]

    def cdf_array(self):
        return None if self.cdf is None else np.frombuffer(bytes(self.cdf), dtype="<f8")
