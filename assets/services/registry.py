"""A trial's ClinicalTrials.gov facts and their history: apply one reading of the registry record to the trial.

The registry owns these fields for a trial with an NCT id (docs/registry.md): overall status, why stopped, start,
primary completion and completion dates with their ACTUAL/ESTIMATED type, enrollment with its type, has results,
results first posted and last update posted. Every change the registry makes is kept as a
:class:`~assets.models.TrialRegistryChange` row (append-only) and, except "last update posted", shown on the trial's
timeline as a registry event dated the day it was seen ("primary completion now ACTUAL: 2026-01-30").

Changes are found by comparing the reading with the last value the history holds for each field, never with the
trial's columns: a value staff typed into the trial is replaced by the registry's, but does not appear in the history
as if the registry had said it. See ``assets.services`` for the conventions every function follows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import timezone

from assets.errors import ValidationError
from assets.models import RegistryField, Trial, TrialEvent, TrialRegistryChange
from assets.services.trials import trial_event_add
from assets.signals import registry_changed

# The registry's overall statuses and the trial status each one shows as.
REGISTRY_STATUSES: dict[str, str] = {
    "RECRUITING": Trial.Status.RECRUITING,
    "NOT_YET_RECRUITING": Trial.Status.NOT_YET_RECRUITING,
    "ENROLLING_BY_INVITATION": Trial.Status.RECRUITING,
    "ACTIVE_NOT_RECRUITING": Trial.Status.ACTIVE_NOT_RECRUITING,
    "COMPLETED": Trial.Status.COMPLETED,
    "TERMINATED": Trial.Status.TERMINATED,
    "SUSPENDED": Trial.Status.SUSPENDED,
    "WITHDRAWN": Trial.Status.WITHDRAWN,
    "UNKNOWN": Trial.Status.UNKNOWN,
    # expanded-access records
    "AVAILABLE": Trial.Status.UNKNOWN,
    "NO_LONGER_AVAILABLE": Trial.Status.UNKNOWN,
    "TEMPORARILY_NOT_AVAILABLE": Trial.Status.UNKNOWN,
    "APPROVED_FOR_MARKETING": Trial.Status.UNKNOWN,
    "WITHHELD": Trial.Status.UNKNOWN,
}
DATE_TYPES = ("ACTUAL", "ESTIMATED")

# History field -> Trial column.
TRIAL_COLUMNS: dict[str, str] = {
    RegistryField.OVERALL_STATUS: "status",
    RegistryField.WHY_STOPPED: "why_stopped",
    RegistryField.START_DATE: "start_date",
    RegistryField.START_DATE_TYPE: "start_date_type",
    RegistryField.PRIMARY_COMPLETION_DATE: "primary_completion_date",
    RegistryField.PRIMARY_COMPLETION_DATE_TYPE: "primary_completion_date_type",
    RegistryField.COMPLETION_DATE: "completion_date",
    RegistryField.COMPLETION_DATE_TYPE: "completion_date_type",
    RegistryField.ENROLLMENT: "enrollment",
    RegistryField.ENROLLMENT_TYPE: "enrollment_type",
    RegistryField.HAS_RESULTS: "has_results",
    RegistryField.RESULTS_FIRST_POSTED: "results_first_posted",
    RegistryField.LAST_UPDATE_POSTED: "registry_last_update_posted",
}
_DATES = {
    RegistryField.START_DATE, RegistryField.PRIMARY_COMPLETION_DATE, RegistryField.COMPLETION_DATE,
    RegistryField.RESULTS_FIRST_POSTED, RegistryField.LAST_UPDATE_POSTED,
}
_TYPES = {
    RegistryField.START_DATE_TYPE, RegistryField.PRIMARY_COMPLETION_DATE_TYPE, RegistryField.COMPLETION_DATE_TYPE,
    RegistryField.ENROLLMENT_TYPE,
}
# (label on the timeline, value field, type field): one timeline line per group, however many of its fields changed.
_DATE_GROUPS = (
    ("start", RegistryField.START_DATE, RegistryField.START_DATE_TYPE),
    ("primary completion", RegistryField.PRIMARY_COMPLETION_DATE, RegistryField.PRIMARY_COMPLETION_DATE_TYPE),
    ("completion", RegistryField.COMPLETION_DATE, RegistryField.COMPLETION_DATE_TYPE),
    ("enrollment", RegistryField.ENROLLMENT, RegistryField.ENROLLMENT_TYPE),
)
# Statuses that are news when first seen (a trial first read as terminated is still worth a line).
_MILESTONE_STATUSES = {"COMPLETED", "TERMINATED", "SUSPENDED", "WITHDRAWN"}


def registry_date(text: str) -> tuple[dt.date | None, str]:
    """A registry date ("2026-01-30" or "2026-01") as ``(date, precision)``; a month is its first day.
    ``(None, "day")`` for "". Errors: ValidationError for anything else."""
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text), "day"
        if len(text) == 7:
            return dt.date.fromisoformat(text + "-01"), "month"
    except ValueError:
        pass
    if not text:
        return None, "day"
    raise ValidationError(f"{text!r} is not a registry date (YYYY-MM-DD or YYYY-MM).", field="date")


def registry_value(field_name: str, text: str):
    """The Trial column value for a registry field's text (see :class:`assets.models.RegistryField` for spellings)."""
    if field_name in _DATES:
        return registry_date(text)[0]
    if field_name == RegistryField.OVERALL_STATUS:
        return REGISTRY_STATUSES.get(text, Trial.Status.UNKNOWN) if text else Trial.Status.UNKNOWN
    if field_name == RegistryField.ENROLLMENT:
        return int(text) if text else None
    if field_name == RegistryField.HAS_RESULTS:
        return {"true": True, "false": False}.get(text)
    return text


@dataclass(frozen=True)
class RegistryReading:
    """What one version of a registry record says: :class:`~assets.models.RegistryField` value -> registry text
    ("" or missing when the record does not say)."""

    values: Mapping[str, str]

    def __post_init__(self):
        for name, text in self.values.items():
            if name not in TRIAL_COLUMNS:
                raise ValidationError(f"{name!r} is not a registry field.", field="values")
            if not isinstance(text, str):
                raise ValidationError(f"The registry text of {name} must be a string.", field=name)
            if name == RegistryField.OVERALL_STATUS and text and text not in REGISTRY_STATUSES:
                raise ValidationError(f"{text!r} is not a registry status.", field=name)
            if name in _TYPES and text and text not in DATE_TYPES:
                raise ValidationError(f"{name} must be ACTUAL or ESTIMATED, not {text!r}.", field=name)
            if name == RegistryField.ENROLLMENT and text and not text.isdigit():
                raise ValidationError(f"Enrollment must be a whole number, not {text!r}.", field=name)
            if name == RegistryField.HAS_RESULTS and text not in ("", "true", "false"):
                raise ValidationError(f"has_results must be true or false, not {text!r}.", field=name)
            if name in _DATES:
                registry_date(text)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class RegistryUpdate:
    """What applying a reading did: the history rows and timeline events it wrote, and the trial columns it set."""

    changes: list[TrialRegistryChange] = field(default_factory=list)
    events: list[TrialEvent] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.columns)

    def describe(self) -> list[str]:
        """What changed, for progress output: the timeline lines, then the changes no line covers ("last update
        posted now 2026-03-12"), and for a first reading how many fields it recorded; else the trial columns set
        back to the registry's values (a staff edit the registry does not share)."""
        lines = list(dict.fromkeys(e.description for e in self.events))
        lines += [
            f"{c.get_field_display().lower()} now {c.new_value or '(none)'}"
            for c in self.changes if c.event_id is None and not c.initial
        ]
        initial = sum(1 for c in self.changes if c.initial)
        if initial:
            lines.append(f"first reading of the registry record: {initial} field{'s' if initial != 1 else ''} recorded")
        elif self.columns and not self.changes:
            lines.append(f"{', '.join(self.columns)} set to the registry's value")
        return lines


def trial_registry_values(*, trial: Trial) -> dict[str, str]:
    """The last registry text the history holds for each field of ``trial`` (fields never read are left out)."""
    values: dict[str, str] = {}
    for name, value in trial.registry_changes.order_by("observed_at", "pk").values_list("field", "new_value"):
        values[name] = value
    return values


def _status_words(text: str) -> str:
    """The registry status as the trial page words it: "Active, not recruiting", "Enrolling by invitation"."""
    mapped = REGISTRY_STATUSES.get(text)
    if mapped and mapped.upper() == text:
        return Trial.Status(mapped).label
    return text.replace("_", " ").capitalize()


def _event_lines(
    *, first_reading: bool, reading: RegistryReading, changed: set[str], seen_on: dt.date
) -> list[tuple[str, dt.date, str, list[str]]]:
    """The timeline lines for a set of changed fields: ``(description, date, precision, fields it covers)``.

    A change seen after the first reading is a line dated ``seen_on`` ("primary completion now ACTUAL:
    2026-01-30"). The first reading of a trial gives a line only for a milestone, dated by the fact itself where the
    record dates it: an ACTUAL primary completion or completion, results posted, or a completed, terminated,
    suspended or withdrawn status (dated by the record's last update). "Last update posted" never makes a line.
    """
    lines: list[tuple[str, dt.date, str, list[str]]] = []
    posted_on, _ = registry_date(reading.get(RegistryField.LAST_UPDATE_POSTED))

    status_fields = [f for f in (RegistryField.OVERALL_STATUS, RegistryField.WHY_STOPPED) if f in changed]
    if status_fields:
        status, why = reading.get(RegistryField.OVERALL_STATUS), reading.get(RegistryField.WHY_STOPPED)
        because = f" (why stopped: {why})" if why else ""
        if not first_reading and RegistryField.OVERALL_STATUS in status_fields:
            lines.append((f"status now {_status_words(status)}{because}", seen_on, "day", status_fields))
        elif not first_reading:
            lines.append((f"why stopped now: {why or '(none)'}", seen_on, "day", status_fields))
        elif status in _MILESTONE_STATUSES:
            lines.append((f"status {_status_words(status)}{because}", posted_on or seen_on, "day", status_fields))

    for label, value_field, type_field in _DATE_GROUPS:
        group = [f for f in (value_field, type_field) if f in changed]
        if not group:
            continue
        value, kind = reading.get(value_field) or "(none)", reading.get(type_field)
        if not first_reading:
            lines.append((f"{label} now {kind}: {value}" if kind else f"{label} now: {value}", seen_on, "day", group))
        elif label in ("primary completion", "completion") and kind == "ACTUAL" and reading.get(value_field):
            date, precision = registry_date(value)
            lines.append((f"{label} {kind}: {value}", date, precision, group))

    results = [f for f in (RegistryField.HAS_RESULTS, RegistryField.RESULTS_FIRST_POSTED) if f in changed]
    if results:
        has, first = reading.get(RegistryField.HAS_RESULTS), reading.get(RegistryField.RESULTS_FIRST_POSTED)
        if not first_reading:
            if has == "true":
                text = f"results now posted (first posted {first})" if first else "results now posted"
            elif RegistryField.HAS_RESULTS in results:
                text = "results no longer posted"
            else:
                text = f"results first posted now: {first or '(none)'}"
            lines.append((text, seen_on, "day", results))
        elif first:
            lines.append(("results first posted", registry_date(first)[0], "day", results))
    return lines


def trial_registry_apply(
    *, trial: Trial, reading: RegistryReading, observed_at: dt.datetime, via: str
) -> RegistryUpdate:
    """Bring ``trial``'s registry fields to ``reading`` and record what changed.

    For every field whose registry text differs from the last one in the history (a field never recorded counts as
    ""), a TrialRegistryChange row, ``initial`` on the trial's first reading. Trial columns are set for
    those fields and for any field the reading states that the column does not match. Timeline events: see
    :func:`_event_lines`. A reading that changes nothing writes nothing. ``observed_at`` is timezone-aware; ``via``
    a :class:`TrialRegistryChange.Via` value.

    Locks the trial's row (``select_for_update``) before reading its history, so a manual sync and the daily task
    reading the same change record it once. The caller provides the transaction (required by the lock). When it
    wrote history, sends ``assets.signals.registry_changed`` inside that transaction (questions bound to the trial
    are proposed a resolution by the forecasting side; a failure there rolls the reading back with it).
    """
    if timezone.is_naive(observed_at):
        raise ValidationError("observed_at must be timezone-aware.", field="observed_at")
    if via not in TrialRegistryChange.Via.values:
        raise ValidationError(f"via must be one of {', '.join(TrialRegistryChange.Via.values)}.", field="via")
    list(Trial.objects.select_for_update().filter(pk=trial.pk).values_list("pk", flat=True))
    before = trial_registry_values(trial=trial)
    # After the first reading, a field the history does not hold was "" (empty readings are not recorded).
    first_reading = not before
    posted_on, _ = registry_date(reading.get(RegistryField.LAST_UPDATE_POSTED))
    update = RegistryUpdate()

    changed: set[str] = set()
    rows: dict[str, TrialRegistryChange] = {}
    for name in TRIAL_COLUMNS:
        old, new = before.get(name, ""), reading.get(name)
        if old == new:
            continue
        changed.add(name)
        rows[name] = TrialRegistryChange(
            trial=trial, field=name, old_value=old, new_value=new, initial=first_reading,
            observed_at=observed_at, registry_posted_on=posted_on, via=via,
        )

    for name, column in TRIAL_COLUMNS.items():
        text = reading.get(name)
        if name not in changed and not text:
            continue  # the registry says nothing: whatever the trial holds stays
        if name == RegistryField.OVERALL_STATUS and not text:
            continue  # a record without a status leaves the trial's
        value = registry_value(name, text)
        if getattr(trial, column) != value:
            setattr(trial, column, value)
            update.columns.append(column)
    if update.columns:
        trial.save(update_fields=[*update.columns, "updated_at"])

    if rows:
        events_by_field: dict[str, TrialEvent] = {}
        seen_on = timezone.localdate(observed_at)
        for description, date, precision, fields in _event_lines(
            first_reading=first_reading, reading=reading, changed=changed, seen_on=seen_on
        ):
            event, _ = trial_event_add(
                trial=trial, kind=TrialEvent.Kind.REGISTRY, date=date, description=description[:500],
                precision=precision,
            )
            update.events.append(event)
            for name in fields:
                events_by_field[name] = event
        for name, row in rows.items():
            row.event = events_by_field.get(name)
        update.changes = TrialRegistryChange.objects.bulk_create(
            [rows[name] for name in TRIAL_COLUMNS if name in rows]
        )
        # bulk_create sets pks on PostgreSQL and SQLite 3.35+; read them back otherwise.
        ids = [c.pk for c in update.changes if c.pk is not None]
        if len(ids) != len(update.changes):
            ids = list(TrialRegistryChange.objects.filter(trial=trial, observed_at=observed_at)
                       .order_by("pk").values_list("pk", flat=True))
        registry_changed.send(sender=Trial, trial_id=trial.pk, change_ids=ids)
    return update
