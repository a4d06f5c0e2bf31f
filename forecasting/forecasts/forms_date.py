"""The forecast form of date questions: the 10th, 50th and 90th percentiles (optionally 25th and 75th) picked as
dates (``<input type="date">``). The forecast service checks them again and names ``quantiles.q50`` etc.; those
names map back to the inputs here, so a message sits under the date at fault."""
from django import forms

from assets.errors import DomainError
from assets.validators import TextValidator
from forecasting.forecasts.services.forecasts import MAX_RATIONALE_LENGTH
from markets import date_axis
from markets.models import Question

# As forms.QUANTILE_FIELDS (this module is imported by forms.py, so it does not import it back).
QUANTILE_FIELDS = (("q10", 0.1), ("q25", 0.25), ("q50", 0.5), ("q75", 0.75), ("q90", 0.9))
OPTIONAL_QUANTILES = ("q25", "q75")


class DateForecastForm(forms.Form):
    """Percentile dates of a date question (UTC calendar dates, docs/scoring.md "Date questions")."""

    rationale = forms.CharField(
        required=False, max_length=MAX_RATIONALE_LENGTH, strip=True, validators=[TextValidator()],
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What drives your forecast?"}),
        help_text="Optional. Why you think so: shown with your forecast history and, once revealed, to others.",
    )
    q10 = forms.DateField(label="10th percentile")
    q25 = forms.DateField(label="25th percentile", required=False)
    q50 = forms.DateField(label="Median (50th)")
    q75 = forms.DateField(label="75th percentile", required=False)
    q90 = forms.DateField(label="90th percentile")

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        lo, hi = date_axis.iso(question.range_min), date_axis.iso(question.range_max)
        for name, _level in QUANTILE_FIELDS:
            field = self.fields[name]
            field.input_formats = ["%Y-%m-%d"]
            field.widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "data-quantile": name})
            # The picker offers only possible dates: inside the range on a closed side, anything on an open one.
            if not question.open_lower_bound:
                field.widget.attrs["min"] = lo
            if not question.open_upper_bound:
                field.widget.attrs["max"] = hi
            field.error_messages["invalid"] = "Enter a date (YYYY-MM-DD)."
        self.fields["q50"].error_messages["required"] = "Enter your median date (50th percentile)."
        self.fields["q10"].error_messages["required"] = "Enter the 10th percentile: a 1-in-10 chance of an earlier date."
        self.fields["q90"].error_messages["required"] = "Enter the 90th percentile: a 1-in-10 chance of a later date."

    def clean(self):
        cleaned = super().clean()
        previous = None
        for name, _level in QUANTILE_FIELDS:
            value = cleaned.get(name)
            if value is None:
                continue
            if previous is not None and value <= previous[1]:
                self.add_error(name, f"The {self.fields[name].label.lower()} must be a later date than the "
                                     f"{self.fields[previous[0]].label.lower()} ({previous[1]:%-d %b %Y}).")
            previous = (name, value)
        return cleaned

    def quantiles(self) -> dict[str, str]:
        return {f"{level:g}": self.cleaned_data[name].isoformat()
                for name, level in QUANTILE_FIELDS if self.cleaned_data.get(name) is not None}

    def add_service_error(self, error: DomainError) -> None:
        name = (error.field or "").rpartition(".")[2]
        if name in self.fields:
            self.add_error(name, error.message)
            return
        self.add_error(None, error.message)

    @property
    def shows_more(self) -> bool:
        return any(self[name].value() not in (None, "") or self[name].errors for name in OPTIONAL_QUANTILES)


def date_form_initial(forecast) -> dict:
    """Pre-fill with the viewer's current forecast's typed dates."""
    quantiles = (forecast.input or {}).get("quantiles") or {}
    initial = {}
    for name, level in QUANTILE_FIELDS:
        value = quantiles.get(f"{level:g}")
        try:
            initial[name] = date_axis.seconds_to_date(date_axis.parse_date(value))
        except (date_axis.DateInputError, ValueError):
            continue
    return initial
