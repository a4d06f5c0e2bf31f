"""Trials: upsert by registry id or acronym, arms, endpoints, timeline events. See ``assets.services`` for the
conventions every function follows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from assets.errors import ValidationError
from assets.importers.text import PRECISION_RANK, match_key, period_end
from assets.models import (
    NCT_ID_VALIDATOR,
    Arm,
    Asset,
    Company,
    Endpoint,
    Indication,
    NewsItem,
    Trial,
    TrialEndpoint,
    TrialEvent,
)
from assets.services._common import _require, _unique_slug

# --- trials --------------------------------------------------------------------------------------------------------

_UNSET = object()


def trial_find(*, registry_id: str | None = None, acronym: str = "") -> Trial | None:
    """The trial with this NCT id; else the trial with this acronym (ignoring case) that has no other NCT id."""
    if registry_id:
        trial = Trial.objects.filter(registry_id__iexact=registry_id).first()
        if trial:
            return trial
    if acronym:
        candidates = Trial.objects.filter(acronym__iexact=acronym)
        if registry_id:
            candidates = candidates.filter(registry_id__isnull=True)
        return candidates.order_by("pk").first()
    return None


def trial_upsert(
    *,
    registry_id: str | None = None,
    acronym: str = "",
    title: str | None = None,
    phase: str | None = None,
    status: str | None = None,
    sponsor: Company | None = None,
    indication: Indication | None = None,
    population: str | None = None,
    enrollment: int | None = None,
    start_date: dt.date | None = None,
    primary_completion_date: dt.date | None = None,
    expected_readout: str | None = None,
    assets: Iterable[Asset] = (),
    fill_only: Collection[str] = (),
) -> tuple[Trial, bool, bool]:
    """Create or update a trial matched by NCT id, else by acronym (see :func:`trial_find`).

    ``None`` leaves a field as it is; fields named in ``fill_only`` are set only while empty (a registry record
    does not overwrite the curated indication, say). A missing NCT id or acronym is filled in, never replaced.
    ``assets`` are added, never removed. Returns ``(trial, created, changed)``; an update that changes nothing
    writes nothing (``updated_at`` stays). Errors: ValidationError for an NCT id that is not NCT + 8 digits, or a
    trial with neither NCT id nor acronym.
    """
    registry_id = (registry_id or "").strip().upper() or None
    acronym = " ".join((acronym or "").split())[:100]
    if registry_id:
        try:
            NCT_ID_VALIDATOR(registry_id)
        except Exception:
            raise ValidationError(f"{registry_id!r} is not an NCT id (NCT followed by 8 digits).", field="registry_id") from None
    if not registry_id and not acronym:
        raise ValidationError("A trial needs an NCT id or an acronym.", field="registry_id")
    trial = trial_find(registry_id=registry_id, acronym=acronym)
    created = trial is None
    if created:
        trial = Trial(registry_id=registry_id, acronym=acronym)
        trial.slug = _unique_slug(Trial, acronym or registry_id or "trial")
    changed: list[str] = []
    if registry_id and not trial.registry_id:
        trial.registry_id = registry_id
        changed.append("registry_id")
    if acronym and not trial.acronym:
        trial.acronym = acronym
        changed.append("acronym")
    values = {
        "title": title, "phase": phase, "status": status, "sponsor": sponsor, "indication": indication,
        "population": population, "enrollment": enrollment, "start_date": start_date,
        "primary_completion_date": primary_completion_date, "expected_readout": expected_readout,
    }
    for field_name, value in values.items():
        if value is None:
            continue
        if field_name in fill_only and getattr(trial, field_name) not in (None, "", Trial.Status.UNKNOWN):
            continue
        if field_name == "expected_readout":
            value = value[:200]
        if getattr(trial, field_name) != value:
            setattr(trial, field_name, value)
            changed.append(field_name)
    if created or changed:
        trial.save()
    assets = list(assets)
    if assets:
        linked = set() if created else set(trial.assets.values_list("pk", flat=True))
        new_assets = [a for a in assets if a.pk not in linked]
        if new_assets:
            trial.assets.add(*new_assets)
            changed.append("assets")
    return trial, created, bool(changed)


def _drug_words(text: str) -> frozenset[str]:
    ignore = {"and", "plus", "with", "drug", "biological", "placebo", "matching", "oral", "iv", "sc", "mg", "the", "of"}
    return frozenset(w for w in match_key(text).split() if w not in ignore and not w.isdigit() and len(w) > 2)


def trial_arm_upsert(*, trial: Trial, name: str, role: str, description: str = "", order: int | None = None, fill_description: bool = False) -> tuple[Arm, bool, bool]:
    """Create or update the arm called ``name`` (ignoring case) or whose regimen names the same drugs.

    ``description`` replaces the regimen unless ``fill_description`` (then it is only filled in when blank).
    Returns ``(arm, created, changed)``.
    """
    name = _require(name, "arm name", 200)
    if role not in Arm.Role.values:
        raise ValidationError(f"Arm role must be one of {', '.join(Arm.Role.values)}.", field="role")
    arm = trial.arms.filter(name__iexact=name).first()
    if arm is None and description:
        words = _drug_words(description)
        if words:
            arm = next((a for a in trial.arms.all() if a.description and _drug_words(a.description) == words), None)
    created = arm is None
    if created:
        arm = Arm(trial=trial, name=name, order=trial.arms.count() if order is None else order)
    before = (arm.role, arm.description, arm.order)
    arm.role = role
    if description and (not fill_description or not arm.description):
        arm.description = description
    if order is not None:
        arm.order = order
    changed = created or (arm.role, arm.description, arm.order) != before
    if changed:
        arm.save()  # nothing to write for an arm that is already so
    return arm, created, changed


def trial_endpoint_set(
    *, trial: Trial, endpoint: Endpoint, kind: str, description: str = "", order: int = 0, downgrade: bool = False
) -> tuple[TrialEndpoint, bool, bool]:
    """Record that ``trial`` measures ``endpoint`` as ``kind`` (primary / key_secondary / secondary).

    An existing row keeps its rank unless the new one is higher (primary > key secondary > secondary) or
    ``downgrade`` is set, so a registry listing OS as "secondary" does not undo a profile's "key secondary".
    Returns ``(row, created, changed)``.
    """
    if kind not in TrialEndpoint.Kind.values:
        raise ValidationError(f"Endpoint kind must be one of {', '.join(TrialEndpoint.Kind.values)}.", field="kind")
    rank = TrialEndpoint.KIND_RANK
    row = TrialEndpoint.objects.filter(trial=trial, endpoint=endpoint).first()
    if row is None:
        return TrialEndpoint.objects.create(trial=trial, endpoint=endpoint, kind=kind, description=description[:1000], order=order), True, True
    changed = []
    if downgrade or rank[kind] < rank[row.kind]:
        if row.kind != kind:
            row.kind, row.order = kind, order
            changed += ["kind", "order"]
    if description and not row.description:
        row.description = description
        changed.append("description")
    if changed:
        row.save(update_fields=changed)
    return row, False, bool(changed)


def trial_event_add(
    *,
    trial: Trial,
    kind: str,
    date: dt.date,
    description: str,
    precision: str = "day",
    news: NewsItem | None = None,
) -> tuple[TrialEvent, bool]:
    """Add an event to a trial's timeline unless it is already there. Returns ``(event, created)``.

    The same event (kind and description) known to different precision is one row: "March 2026" from a profile and
    2026-03-09 from a news item become one event dated 2026-03-09; importing the profile again then adds nothing.
    ``precision`` is day, month, quarter, half or year; ``date`` is the first day of that period.
    """
    description = _require(description, "description", 500)
    if kind not in TrialEvent.Kind.values:
        raise ValidationError(f"Event kind must be one of {', '.join(TrialEvent.Kind.values)}.", field="kind")
    if precision not in PRECISION_RANK:
        raise ValidationError(f"Date precision must be one of {', '.join(PRECISION_RANK)}.", field="precision")
    same = list(TrialEvent.objects.filter(trial=trial, kind=kind, description=description))
    for event in same:
        if event.date == date and event.date_precision == precision:
            if news is not None and event.news_id is None:
                event.news = news
                event.save(update_fields=["news"])
            return event, False
    for event in same:
        old_rank, new_rank = PRECISION_RANK[event.date_precision], PRECISION_RANK[precision]
        if new_rank < old_rank and event.date <= date <= period_end(event.date, event.date_precision):
            event.date, event.date_precision = date, precision  # a finer date for the same event
            if news is not None:
                event.news = news
            event.save(update_fields=["date", "date_precision", "news"])
            return event, False
        if new_rank >= old_rank and date <= event.date <= period_end(date, precision):
            return event, False  # already known, and more precisely
    event = TrialEvent.objects.create(trial=trial, kind=kind, date=date, date_precision=precision, description=description, news=news)
    return event, True
