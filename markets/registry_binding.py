"""A question's binding to a ClinicalTrials.gov registry predicate: what may be bound, how a binding is checked and
how it reads ("primary completion ACTUAL by 31 Mar 2027"). The predicate is evaluated by the forecasting side
(``forecasting.resolution.services.registry``) when the registry sync records a change; see docs/resolution.md.

A binding is three columns of ``markets.Question``:

- ``registry_field``: one of ``REGISTRY_BINDABLE`` (a :class:`assets.models.RegistryField` value);
- ``registry_value``: the registry spelling of the value that makes it true, or several separated by commas (any
  of them): ``ACTUAL``, ``TERMINATED,WITHDRAWN``, ``true``;
- ``registry_deadline``: the date D of "by D", inclusive, compared with the registry's own date of the change.

Binary questions only for now: "the field becomes one of the values by D". A date question ("when will results be
posted?") would bind ``results_first_posted`` with no value and resolve to the registry's date; a numeric one
(enrollment) the field's value. ``REGISTRY_BINDABLE`` says which question types each field serves, so those variants
add rows and an evaluation, not new columns.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models

from assets.errors import ValidationError
from assets.models import RegistryField
from assets.services.registry import DATE_TYPES, REGISTRY_STATUSES


@dataclass(frozen=True)
class Bindable:
    label: str  # how the field reads in a binding's summary
    values: tuple[str, ...]  # registry spellings allowed as registry_value
    date_field: str = ""  # the registry's own date of the fact, if the record carries one (see docs/resolution.md)
    question_types: tuple[str, ...] = ("binary",)


REGISTRY_BINDABLE: dict[str, Bindable] = {
    RegistryField.OVERALL_STATUS: Bindable("status", tuple(REGISTRY_STATUSES)),
    RegistryField.PRIMARY_COMPLETION_DATE_TYPE: Bindable(
        "primary completion", DATE_TYPES, date_field=RegistryField.PRIMARY_COMPLETION_DATE),
    RegistryField.COMPLETION_DATE_TYPE: Bindable("completion", DATE_TYPES, date_field=RegistryField.COMPLETION_DATE),
    RegistryField.HAS_RESULTS: Bindable("results posted", ("true", "false"),
                                        date_field=RegistryField.RESULTS_FIRST_POSTED),
}
class OnTrialStopped(models.TextChoices):
    """``Question.on_trial_stopped``: what the registry sync proposes when the question's trial becomes TERMINATED or
    WITHDRAWN."""

    NOTHING = "nothing", "Nothing (staff decide)"
    ANNUL = "annul", "Propose annulment"
    NO = "no", "Propose No"


REGISTRY_FIELD_CHOICES = [(name, RegistryField(name).label) for name in REGISTRY_BINDABLE]

# The registry statuses that mean the trial stopped for good (Question.on_trial_stopped).
STOPPED_STATUSES = ("TERMINATED", "WITHDRAWN")


def registry_values(text: str) -> list[str]:
    """The values of ``registry_value``, in order, without blanks or repeats."""
    return list(dict.fromkeys(v.strip() for v in (text or "").split(",") if v.strip()))


def registry_binding_clean(question) -> None:
    """Check and normalise a question's registry binding and ``on_trial_stopped`` in place. Raises ValidationError
    naming the field: an unknown field, a value not allowed for that field, a missing date, a question type the
    field cannot resolve, a trial without an NCT id, or a question bound to both a readout and the registry."""
    stopped = question.on_trial_stopped or OnTrialStopped.NOTHING
    if stopped not in OnTrialStopped.values:
        raise ValidationError(
            f"on_trial_stopped must be one of {', '.join(OnTrialStopped.values)} (got {stopped!r}).",
            field="on_trial_stopped",
        )
    question.on_trial_stopped = stopped
    if stopped != OnTrialStopped.NOTHING and not question.trial_id:
        raise ValidationError("on_trial_stopped needs the question's trial.", field="on_trial_stopped")

    field = question.registry_field or ""
    value = question.registry_value
    if value is not None and not isinstance(value, str):
        raise ValidationError("registry_value must be text: one value or several separated by commas.",
                              field="registry_value")
    deadline = question.registry_deadline
    if not field:
        if value or deadline:
            raise ValidationError("Name the registry field the value and date refer to.", field="registry_field")
        question.registry_value, question.registry_deadline = "", None
        return
    bindable = REGISTRY_BINDABLE.get(field)
    if bindable is None:
        raise ValidationError(
            f"registry_field must be one of {', '.join(REGISTRY_BINDABLE)} (got {field!r}).", field="registry_field"
        )
    if question.type not in bindable.question_types:
        raise ValidationError(
            f"A {question.type} question cannot be bound to {field}; registry bindings resolve "
            f"{' and '.join(bindable.question_types)} questions.", field="registry_field",
        )
    if question.bound_metric:
        raise ValidationError("A question resolves from a readout or from the registry, not both.",
                              field="registry_field")
    if not question.trial_id or not question.trial.registry_id:
        raise ValidationError("A registry binding needs a trial with an NCT id.", field="trial")
    values = registry_values(value or "")
    if field != RegistryField.OVERALL_STATUS:
        values = [v.lower() if field == RegistryField.HAS_RESULTS else v.upper() for v in values]
    else:
        values = [v.upper() for v in values]
    if not values:
        raise ValidationError(f"Give the value {field} must take ({' or '.join(bindable.values)}).",
                              field="registry_value")
    for v in values:
        if v not in bindable.values:
            raise ValidationError(
                f"{v!r} is not a value of {field}; allowed: {', '.join(bindable.values)}.", field="registry_value"
            )
    if deadline is None:
        raise ValidationError('A registry predicate needs its date: "by D".', field="registry_deadline")
    if not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime):
        raise ValidationError("registry_deadline must be a date (YYYY-MM-DD).", field="registry_deadline")
    question.registry_value = ",".join(values)


def registry_binding_summary(question) -> str:
    """"primary completion ACTUAL by 31 Mar 2027", "status TERMINATED or WITHDRAWN by 31 Dec 2026", "results
    posted by 30 Jun 2027"; "" for an unbound question."""
    bindable = REGISTRY_BINDABLE.get(question.registry_field or "")
    if bindable is None:
        return ""
    values = registry_values(question.registry_value)
    if question.registry_field == RegistryField.HAS_RESULTS:
        what = bindable.label if values == ["true"] else "results not posted"
    else:
        what = f"{bindable.label} {' or '.join(values)}"
    when = f" by {question.registry_deadline.day} {question.registry_deadline:%b %Y}" if question.registry_deadline else ""
    return what + when
