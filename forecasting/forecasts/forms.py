"""Forms for the question pages: the forecast forms (binary and numeric) and the staff question form.

Forms only parse and shape input. The rules (probability range, CDF validity, question consistency) live in the
services, which raise ``assets.errors.ValidationError`` naming a field; ``error_field`` maps that name back to the
form field to show the message under, so one set of rules serves the API and the pages.
"""
import copy
import datetime as dt

from django import forms
from django.utils import timezone

from assets.errors import DomainError
from assets.validators import TextValidator
from forecasting.forecasts.forms_date import DateForecastForm, date_form_initial
from forecasting.forecasts.forms_date_range import DATE_RANGE_FIELDS, date_range_clean, date_range_fields_add
from forecasting.forecasts.choice_forms import ChoiceForecastForm, choice_form_initial
from forecasting.forecasts.services.forecasts import MAX_RATIONALE_LENGTH
from markets.models import Question
from markets.services import QUESTION_EDITABLE_FIELDS, QUESTION_FROZEN_AFTER_OPEN, question_validate
from markets.services.markets import MAX_BUCKETS, MAX_LIQUIDITY, MIN_BUCKETS, MIN_LIQUIDITY, default_buckets

MARKET_FIELDS = ("open_market", "market_b", "market_buckets")
# The market service's field names -> the staff form's.
MARKET_FIELD_MAP = {"b": "market_b", "buckets": "market_buckets"}

RATIONALE_HELP = "Optional. Why you think so: shown with your forecast history and, once revealed, to others."


def add_domain_error(form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None) -> None:
    """Attach a service's error to the form field it names (through ``field_map``), or to the whole form."""
    name = (field_map or {}).get(error.field, error.field)
    form.add_error(name if name in form.fields else None, error.message)


class _ForecastForm(forms.Form):
    field_map: dict = {}

    def add_service_error(self, error: DomainError) -> None:
        """Show a forecast service's error under the field it names (or above the form)."""
        add_domain_error(self, error, field_map=self.field_map)

    rationale = forms.CharField(
        required=False,
        max_length=MAX_RATIONALE_LENGTH,
        strip=True,
        validators=[TextValidator()],  # no NUL or lone surrogate (the API and importers share the rule)
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What drives your forecast?"}),
        help_text=RATIONALE_HELP,
    )


class BinaryForecastForm(_ForecastForm):
    """A probability typed (or slid) as a percentage. The service checks the range on ``percent / 100``."""

    # No min/max here on purpose: the forecast service owns the range rule; its message, in percent, is shown
    # under this field.
    percent = forms.FloatField(
        label="Your probability (%)",
        # Shown by forecast_form_binary.html under the slider, with the id Django's aria-describedby names.
        help_text="The chance that this question resolves Yes, between 0.1% and 99.9%.",
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0.1", "max": "99.9", "inputmode": "decimal"}),
        error_messages={"required": "Enter your probability as a percentage, e.g. 35.",
                        "invalid": "Enter your probability as a number of percent, e.g. 35."},
    )
    field_map = {"probability": "percent"}

    def add_service_error(self, error: DomainError) -> None:
        if error.field == "probability" and self.cleaned_data.get("percent") is not None:
            # The service speaks in probabilities; the forecaster typed a percentage. Say both.
            self.add_error(
                "percent",
                "Enter a probability between 0.1% and 99.9% "
                f"(you entered {self.cleaned_data['percent']:g}%).",
            )
            return
        super().add_service_error(error)

    def probability(self) -> float:
        # Rounding removes binary noise (99.9 / 100 = 0.9990000000000001) that would fail the range check.
        return round(self.cleaned_data["percent"] / 100, 10)


QUANTILE_FIELDS = (("q10", 0.1), ("q25", 0.25), ("q50", 0.5), ("q75", 0.75), ("q90", 0.9))
OPTIONAL_QUANTILES = ("q25", "q75")


class NumericForecastForm(_ForecastForm):
    """The 10th, 50th and 90th percentiles (and optionally the 25th and 75th) in the question's units."""

    q10 = forms.FloatField(label="10th percentile")
    q25 = forms.FloatField(label="25th percentile", required=False)
    q50 = forms.FloatField(label="Median (50th)")
    q75 = forms.FloatField(label="75th percentile", required=False)
    q90 = forms.FloatField(label="90th percentile")
    field_map = {"quantiles": None, "cdf": None}

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        unit = f" {question.unit}" if question.unit else ""
        for name, _level in QUANTILE_FIELDS:
            field = self.fields[name]
            field.widget.attrs.update({"step": "any", "inputmode": "decimal", "data-quantile": name})
            field.help_text = ""
            field.unit = unit.strip()
        self.fields["q50"].error_messages["required"] = "Enter your median (50th percentile)."
        self.fields["q10"].error_messages["required"] = "Enter the 10th percentile: 1 in 10 chance of a lower value."
        self.fields["q90"].error_messages["required"] = "Enter the 90th percentile: 1 in 10 chance of a higher value."

    def clean(self):
        cleaned = super().clean()
        # Strict increase is checked here too (the service checks it again) so the message can sit under the
        # percentile that breaks it rather than above the whole group.
        previous = None
        for name, level in QUANTILE_FIELDS:
            value = cleaned.get(name)
            if value is None:
                continue
            if previous is not None and value <= previous[1]:
                self.add_error(
                    name,
                    f"The {self.fields[name].label.lower()} must be greater than the "
                    f"{self.fields[previous[0]].label.lower()} ({previous[1]:g}).",
                )
            previous = (name, value)
        return cleaned

    def quantiles(self) -> dict[str, float]:
        return {
            f"{level:g}": self.cleaned_data[name]
            for name, level in QUANTILE_FIELDS
            if self.cleaned_data.get(name) is not None
        }

    @property
    def shows_more(self) -> bool:
        """Whether the optional 25th/75th inputs start expanded (they hold a value or an error)."""
        return any(self[name].value() not in (None, "") or self[name].errors for name in OPTIONAL_QUANTILES)


def forecast_form_class(question: Question):
    if question.is_date:
        return DateForecastForm
    if question.is_multiple_choice:
        return ChoiceForecastForm
    return BinaryForecastForm if question.is_binary else NumericForecastForm


def forecast_form_initial(question: Question, forecast) -> dict:
    """Pre-fill the form with the viewer's current forecast, so an update starts from it."""
    if forecast is None or forecast.is_withdrawal:
        return {}
    if question.is_multiple_choice:
        return choice_form_initial(forecast)
    if question.is_binary and forecast.probability is not None:
        # "35", not "35.0": the number input shows what the forecaster would type.
        return {"percent": f"{forecast.probability * 100:.1f}".rstrip("0").rstrip(".")}
    if question.is_date:
        return date_form_initial(forecast)
    quantiles = (forecast.input or {}).get("quantiles") or {}
    initial = {}
    for name, level in QUANTILE_FIELDS:
        value = quantiles.get(f"{level:g}")
        if value is not None:
            initial[name] = float(f"{value:.6g}")  # what a person would have typed, without float noise
    return initial


class UTCDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in UTC, whatever the active time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def prepare_value(self, value):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def to_python(self, value):
        with timezone.override(dt.timezone.utc):
            return super().to_python(value)


# Fields named in markets.Question's CheckConstraints (open before close, numeric range, log scale).
CONSTRAINED_FIELDS = ("open_time", "scheduled_close_time", "type", "range_min", "range_max", "log_scale", "options")
NUMERIC_FIELDS = ("range_min", "range_max", "unit", "log_scale", "open_lower_bound", "open_upper_bound")


class QuestionForm(forms.ModelForm):
    """The staff form over ``markets.services.QUESTION_EDITABLE_FIELDS``.

    ``clean`` runs ``question_validate`` on a copy of the question so its messages land under the field they name;
    the view then saves through ``question_create`` / ``question_update``. On an open question the fields frozen
    after opening are shown disabled.
    """

    options = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5, "placeholder": "ASH\nASCO\nEHA\nAnother meeting"}),
        label="Options (multiple choice)",
        help_text="Multiple-choice questions only: one option per line, 2 to 20, each up to 120 characters, all "
                  "different. Forecasters give each a probability; the answer is one of them.",
    )
    publish = forms.BooleanField(
        required=False,
        label="Publish (open) now",
        help_text="Otherwise the question is saved as a draft that only staff can see.",
    )
    # The market on the question, opened in the same step (markets.services.question_save_with_market); shown while
    # the question has none.
    open_market = forms.BooleanField(
        required=False, label="Open a market",
        help_text="A play-money LMSR market on this question, opened when the question is saved.",
    )
    market_b = forms.FloatField(
        required=False, label="Liquidity b (points)", min_value=MIN_LIQUIDITY, max_value=MAX_LIQUIDITY,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=f"Between {MIN_LIQUIDITY:g} and {MAX_LIQUIDITY:,.0f}. Larger b: prices move less per trade. The "
                  "house reserves b ln(n) points, the most the market can lose (about 69 points for b = 100 on a "
                  "binary question).",
    )
    market_buckets = forms.IntegerField(
        required=False, label="Buckets (numeric questions)", min_value=MIN_BUCKETS, max_value=MAX_BUCKETS,
        help_text=f"How many equal ranges the market trades, {MIN_BUCKETS} to {MAX_BUCKETS}; empty means "
                  f"{default_buckets()}. Binary questions have two outcomes (NO, YES): leave it empty.",
    )

    class Meta:
        model = Question
        fields = QUESTION_EDITABLE_FIELDS
        field_classes = {"open_time": UTCDateTimeField, "scheduled_close_time": UTCDateTimeField,
                         "reveal_time": UTCDateTimeField, "public_at": UTCDateTimeField}
        widgets = {
            "title": forms.TextInput(attrs={"placeholder": "Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "resolution_criteria": forms.Textarea(attrs={"rows": 4}),
            "fine_print": forms.Textarea(attrs={"rows": 3}),
            "registry_deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "registry_value": forms.TextInput(attrs={"placeholder": "ACTUAL, or TERMINATED, WITHDRAWN"}),
        }
        help_texts = {
            "open_time": "UTC. T0: forecasting opens and the scoring window starts.",
            "scheduled_close_time": "UTC. Tc: forecasting closes at the latest.",
            "reveal_time": "UTC. Optional: the community forecast and others' forecasts stay hidden until then.",
            "public_at": "UTC. Optional: when the answer is scheduled to become public (embargo lift, presentation); "
                         "forecasting and trading stop then. Questions on a trial with public moments take the "
                         "earliest one.",
            "range_min": "Lowest value of the range, in the unit below (must be > 0 on a log scale).",
            "range_max": "Highest value of the range.",
            "unit": "e.g. months, or leave empty for a ratio.",
            "open_lower_bound": "Values below the minimum are possible (the CDF may start above 0).",
            "open_upper_bound": "Values above the maximum are possible (the CDF may end below 1).",
            "bound_metric": "Optional structured binding: the readout metric that resolves this question.",
            "bound_comparator": "Binary questions bound to a metric: how the value compares with the threshold.",
            "registry_field": "Optional, instead of a readout binding: the ClinicalTrials.gov field that resolves this "
                              "binary question (the trial needs an NCT id).",
            "registry_value": "The registry's spelling: ACTUAL, TERMINATED, true (results posted); several separated "
                              "by commas mean any of them.",
            "registry_deadline": 'D of "by D" (inclusive), compared with the registry\'s own date of the change; '
                                 "No is proposed once D has passed without it.",
            "on_trial_stopped": "What the daily registry sync proposes if the trial becomes TERMINATED or WITHDRAWN.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = self.fields["asset"].queryset.order_by("name")
        self.fields["trial"].queryset = self.fields["trial"].queryset.order_by("acronym", "registry_id")
        self.fields["endpoint"].queryset = self.fields["endpoint"].queryset.order_by("code")
        self.fields["on_trial_stopped"].required = False  # blank means the default, "nothing"
        if self.instance.options and not self.is_bound:
            self.initial["options"] = "\n".join(self.instance.options)
        if self.instance.pk is not None and self.instance.status != Question.Status.DRAFT:
            for name in QUESTION_FROZEN_AFTER_OPEN:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Cannot change once the question is open (forecasts depend on it)."
            del self.fields["publish"]  # already published
        if self.instance.pk is not None and hasattr(self.instance, "market"):
            for name in MARKET_FIELDS:  # it has one already
                del self.fields[name]
        date_range_fields_add(self)

    def clean(self):
        cleaned = super().clean()
        date_range_clean(self, cleaned)
        if cleaned.get("open_market") and cleaned.get("market_b") is None and "market_b" not in self.errors:
            self.add_error("market_b", "Enter the market's liquidity b in points, e.g. 100, or untick "
                                       "\u201cOpen a market\u201d.")
        if not cleaned.get("open_market"):
            cleaned["market_b"] = cleaned["market_buckets"] = None
        if self.errors:
            return cleaned
        candidate = copy.copy(self.instance)
        for name in QUESTION_EDITABLE_FIELDS:
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        try:
            question_validate(candidate)
        except DomainError as exc:
            add_domain_error(self, exc)
            return cleaned
        if "options" in cleaned and not self.fields["options"].disabled:
            cleaned["options"] = candidate.options  # the cleaned list (None unless multiple choice)
        if not candidate.is_numeric:
            # Hidden numeric inputs may still hold values; clear them as the service does, so the instance that
            # Django checks against the model's constraints matches what will be saved.
            for name in NUMERIC_FIELDS:
                if name in cleaned and not self.fields[name].disabled:
                    cleaned[name] = getattr(candidate, name)
        return cleaned

    def _get_validation_exclusions(self):
        # Django would check the model's CheckConstraints with generic messages ("Constraint ... is violated");
        # question_validate (in clean) checks the same rules with messages that name the field, so the fields
        # those constraints involve are left to it. Their form fields still validate their own values.
        return super()._get_validation_exclusions() | set(CONSTRAINED_FIELDS)

    def validate_unique(self):
        # The slug is not a form field; the service makes it unique.
        pass

    def market_fields(self) -> dict | None:
        """The market to open with the question (``b``, ``buckets``), or None when "Open a market" is not ticked."""
        if not self.cleaned_data.get("open_market"):
            return None
        return {"b": self.cleaned_data["market_b"], "buckets": self.cleaned_data.get("market_buckets")}

    def service_fields(self) -> dict:
        """What to pass to question_create / question_update: all editable fields on create, the changed ones on
        edit (so an unchanged frozen field is never sent)."""
        names = QUESTION_EDITABLE_FIELDS if self.instance.pk is None else self.changed_data + [
            column for name, column in DATE_RANGE_FIELDS.items() if name in self.changed_data]
        return {name: self.cleaned_data[name] for name in names if name in QUESTION_EDITABLE_FIELDS}
