"""The base-rate reference forecaster's forecast on a question (docs/scoring.md, "The base-rate forecaster").

One row per question, written when the question is scored (or first shown): the forecast is what the base rate
said at the question's open time T0, from data available then, so writing it later changes nothing.
"""
import numpy as np
from django.db import models

__all__ = ["BaseRateForecast"]


class BaseRateForecast(models.Model):
    class Method(models.TextChoices):
        PHASE_SUCCESS = "phase_success", "Historical phase success rate"
        EMPIRICAL = "empirical", "Platform readouts of the same metric and phase"

    question = models.OneToOneField("markets.Question", on_delete=models.CASCADE, related_name="base_rate")
    method = models.CharField(max_length=16, choices=Method.choices)
    probability = models.FloatField(null=True, blank=True)
    cdf = models.BinaryField(null=True, blank=True, editable=False)
    source = models.CharField(max_length=500, help_text="Where the number comes from, as the page says it.")
    citation = models.JSONField(default=dict, blank=True, help_text="The data table's row, or the sample used.")
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    def cdf_array(self):
        return None if self.cdf is None else np.frombuffer(bytes(self.cdf), dtype="<f8")
