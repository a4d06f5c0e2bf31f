"""The staff question form's date range: two date pickers that fill range_min/range_max (POSIX seconds at 00:00
UTC) for date questions (markets.date_axis). Hooks called by ``forms.QuestionForm``; the rules stay in
``markets.services.question_validate``."""
from django import forms

from markets import date_axis

DATE_RANGE_FIELDS = {"range_min_date": "range_min", "range_max_date": "range_max"}


def date_range_fields_add(form) -> None:
    """Add the two date inputs, pre-filled from a date question, disabled where the range is frozen."""
    instance = form.instance
    labels = {"range_min_date": ("First date", "The earliest date of the range (UTC)."),
              "range_max_date": ("Last date", "The latest date of the range (UTC); later than the first.")}
    for name, column in DATE_RANGE_FIELDS.items():
        label, help_text = labels[name]
        field = forms.DateField(
            required=False, label=label, help_text=help_text, input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            error_messages={"invalid": "Enter a date (YYYY-MM-DD)."},
        )
        if instance.pk is not None and instance.is_date and getattr(instance, column) is not None:
            field.initial = date_axis.seconds_to_date(getattr(instance, column))
        if column in form.fields and form.fields[column].disabled:
            field.disabled = True
            field.help_text = form.fields[column].help_text
        form.fields[name] = field


def date_range_clean(form, cleaned: dict) -> None:
    """For a date question, put the picked dates into range_min/range_max (seconds) before the question is checked;
    a missing date is an error under its picker. Other types ignore the pickers."""
    if cleaned.get("type") != "date":
        return
    for name, column in DATE_RANGE_FIELDS.items():
        if form.fields[name].disabled:
            continue
        day = cleaned.get(name)
        if day is None:
            if name not in form.errors:
                form.add_error(name, "Pick the date." if name == "range_min_date" else "Pick the last date.")
            continue
        try:
            cleaned[column] = date_axis.parse_date(day)
        except date_axis.DateInputError as exc:
            form.add_error(name, f"The date {exc.message}.")
    cleaned["unit"] = ""
