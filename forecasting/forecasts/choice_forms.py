"""The multiple-choice forecast form: one percentage per option, which must add up to 100.

The page shows a live sum (static/js/choice_forecast.js) but the form works without JavaScript: the sum is checked
here, with a message in percentages, and again by the forecast service (``forecasting.forecasts.choice``), whose
errors on ``probabilities`` are shown above the inputs.
"""
import math

from django import forms

from assets.errors import DomainError
from assets.validators import TextValidator
from forecasting.forecasts.services.forecasts import MAX_RATIONALE_LENGTH
from markets.models import Question

SUM_TOLERANCE_PERCENT = 1e-4  # 1e-6 in probability, the service's tolerance


def option_field_name(index: int) -> str:
    return f"option_{index}"


class ChoiceForecastForm(forms.Form):
    """Fields ``option_0`` ... ``option_{K-1}``: the chance of each option, in percent, then the rationale (as on
    the binary and numeric forms, ``forecasting.forecasts.forms``, which import this module)."""

    rationale = forms.CharField(
        required=False, max_length=MAX_RATIONALE_LENGTH, strip=True, validators=[TextValidator()],
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What drives your forecast?"}),
        help_text="Optional. Why you think so: shown with your forecast history and, once revealed, to others.",
    )

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        rationale = self.fields.pop("rationale")
        for i, label in enumerate(question.options or []):
            self.fields[option_field_name(i)] = forms.FloatField(
                label=label,
                widget=forms.NumberInput(attrs={
                    "step": "0.1", "min": "0.1", "max": "99.9", "inputmode": "decimal", "data-choice-percent": "",
                }),
                error_messages={"required": f"Enter your chance of {label} as a percentage, e.g. 25.",
                                "invalid": f"Enter your chance of {label} as a number of percent, e.g. 25."},
            )
        self.fields["rationale"] = rationale  # after the options

    @property
    def option_fields(self) -> list:
        return [self[option_field_name(i)] for i in range(len(self.question.options or []))]

    def clean(self):
        cleaned = super().clean()
        values = [cleaned.get(option_field_name(i)) for i in range(len(self.question.options or []))]
        for i, value in enumerate(values):
            if value is not None and (not math.isfinite(value) or not 0.1 <= value <= 99.9):
                self.add_error(option_field_name(i), f"Enter a percentage between 0.1 and 99.9 (you entered {value:g}).")
        if self.errors or any(v is None for v in values):
            return cleaned
        total = math.fsum(values)
        if abs(total - 100.0) > SUM_TOLERANCE_PERCENT:
            raise forms.ValidationError(
                f"Your percentages add up to {total:.4g}%; they must add up to exactly 100%.", code="sum"
            )
        return cleaned

    def add_service_error(self, error: DomainError) -> None:
        self.add_error(None, error.message)

    def probabilities(self) -> list[float]:
        # Rounding removes binary noise (33.3 / 100 = 0.33299999999999996); the service renormalizes the sum.
        return [round(self.cleaned_data[option_field_name(i)] / 100, 10)
                for i in range(len(self.question.options or []))]

    def service_values(self) -> dict:
        return {"probabilities": self.probabilities()}


def choice_form_initial(forecast) -> dict:
    """The viewer's current forecast as the percentages they would have typed."""
    if forecast is None or forecast.is_withdrawal or not forecast.probabilities:
        return {}
    # "40", not "40.0" or "40.00000001": what the forecaster would type (the stored vector was renormalized).
    return {option_field_name(i): f"{p * 100:.6g}" for i, p in enumerate(forecast.probabilities)}
