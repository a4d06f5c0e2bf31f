"""Reads of a trial's ClinicalTrials.gov history: what the registry said and when Readout saw it change. The basis
for questions bound to registry facts ("primary completion became ACTUAL", "status became TERMINATED", "results
first posted"); see docs/registry.md.

Values are the registry's spelling (:class:`assets.models.RegistryField`): "TERMINATED", "ACTUAL", "2026-01-30" or
"2026-01", "522", "true"/"false", "" when the record says nothing. Nothing here writes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from assets.models import RegistryField, Trial, TrialRegistryChange


def _check_field(field: str) -> None:
    if field not in RegistryField.values:
        raise ValueError(f"{field!r} is not a registry field; expected one of {', '.join(RegistryField.values)}.")


def trial_registry_history(*, trial: Trial, field: str | None = None) -> QuerySet[TrialRegistryChange]:
    """The trial's registry changes, oldest first (``observed_at``, then row order); only ``field``'s when given."""
    qs = TrialRegistryChange.objects.filter(trial=trial).order_by("observed_at", "pk")
    if field is not None:
        _check_field(field)
        qs = qs.filter_field(field)
    return qs


def trial_registry_became(
    *, trial: Trial, field: str, value: str, changes_only: bool = False
) -> TrialRegistryChange | None:
    """The first time the registry's ``field`` became ``value`` for ``trial``, or ``None``:
    ``("primary_completion_date_type", "ACTUAL")``, ``("overall_status", "TERMINATED")``.

    The row's ``observed_at`` is when Readout saw it, ``registry_posted_on`` the registry's own date for the version
    that carried it ("last update posted": the change was made on or before it). An ``initial`` row means the
    registry already said so when Readout first read the trial, so when it became so is unknown; ``changes_only``
    leaves those out. Errors: ValueError for an unknown field.
    """
    qs = trial_registry_history(trial=trial, field=field).filter(new_value=value)
    if changes_only:
        qs = qs.filter_changes_only()
    return qs.first()


def trial_registry_value_at(*, trial: Trial, field: str, at: dt.datetime) -> str | None:
    """What the registry said for ``field`` as Readout knew it at ``at`` (timezone-aware): its registry spelling,
    "" when the record said nothing; ``None`` when Readout had not read the trial's record by then. For resolving a
    question "as of" a date. Errors: ValueError for an unknown field."""
    _check_field(field)
    known = TrialRegistryChange.objects.filter(trial=trial, observed_at__lte=at)
    if not known.exists():
        return None
    last = known.filter(field=field).order_by("-observed_at", "-pk").values_list("new_value", flat=True).first()
    return last or ""


@dataclass(frozen=True)
class RegistryFact:
    """A registry field's current value and the change that set it."""

    field: str
    value: str
    since: dt.datetime  # when Readout first saw this value
    registry_posted_on: dt.date | None  # the registry's "last update posted" for the version that carried it
    initial: bool  # already so at Readout's first reading: ``since`` is then not when it became so


def trial_registry_facts(*, trial: Trial) -> dict[str, RegistryFact]:
    """The registry's current value of each field Readout has read for ``trial``, with when it became so
    (``facts["overall_status"].value == "TERMINATED"``). One query."""
    facts: dict[str, RegistryFact] = {}
    for change in trial_registry_history(trial=trial):
        facts[change.field] = RegistryFact(
            field=change.field, value=change.new_value, since=change.observed_at,
            registry_posted_on=change.registry_posted_on, initial=change.initial,
        )
    return facts
