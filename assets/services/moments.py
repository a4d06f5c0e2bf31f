"""Scheduled public moments of a trial (topline, abstract release, presentation, publication) and the meeting
calendar they are picked from. Forecasting and trading on the trial's questions stop at the earliest moment; the
markets app applies that when ``assets.signals.public_moments_changed`` is sent (these functions send it).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from assets.errors import ValidationError
from assets.models import Meeting, PublicMoment, Trial, validate_timezone_name
from assets.signals import public_moments_changed


def timezone_validate(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone ``name`` (e.g. "America/Chicago"). Raises ValidationError naming ``field``
    (the same rule as the models' ``validate_timezone_name``)."""
    if not isinstance(name, str) or not name:
        raise ValidationError("Give an IANA time zone such as America/Chicago or Europe/Berlin.", field=field)
    try:
        validate_timezone_name(name)
    except DjangoValidationError as exc:
        raise ValidationError(exc.messages[0], field=field) from None
    return ZoneInfo(name)


def moment_time(*, at: dt.datetime, tz_name: str, field: str = "at") -> dt.datetime:
    """``at`` as an aware datetime: a naive ``at`` is read as local time in ``tz_name`` (what an admin types
    from a meeting's programme); an aware one is kept. Raises ValidationError."""
    if not isinstance(at, dt.datetime):
        raise ValidationError("Give a date and time.", field=field)
    zone = timezone_validate(tz_name)
    if timezone.is_naive(at):
        at = at.replace(tzinfo=zone)
    return at


def _changed(trial_id: int) -> None:
    public_moments_changed.send(sender=PublicMoment, trial_id=trial_id)


@transaction.atomic
def public_moment_set(
    *, trial: Trial, kind: str, at: dt.datetime, tz_name: str = "UTC", meeting: Meeting | None = None,
    note: str = "", moment: PublicMoment | None = None,
) -> PublicMoment:
    """Add a public moment to ``trial`` (or change ``moment``). ``at`` may be naive: it is then local time in
    ``tz_name``. Questions on the trial stop taking forecasts and trades at the earliest moment. Raises
    ValidationError naming the field (kind, at, timezone, meeting, note)."""
    if kind not in PublicMoment.Kind.values:
        raise ValidationError(f"kind must be one of {', '.join(PublicMoment.Kind.values)}.", field="kind")
    at = moment_time(at=at, tz_name=tz_name)
    if meeting is not None and not isinstance(meeting, Meeting):
        raise ValidationError("meeting must be a meeting from the calendar.", field="meeting")
    if len(note or "") > 300:
        raise ValidationError("note must be at most 300 characters.", field="note")
    if moment is None:
        moment = PublicMoment(trial=trial)
    elif moment.trial_id != trial.pk:
        raise ValidationError("This moment belongs to another trial.", field="moment")
    moment.kind, moment.at, moment.timezone, moment.meeting, moment.note = kind, at, tz_name, meeting, note or ""
    moment.save()
    _changed(trial.pk)  # receivers run inside this transaction: the moment and its effect commit together
    return moment


@transaction.atomic
def public_moment_delete(*, moment: PublicMoment) -> None:
    """Remove a moment; the trial's questions move to the next earliest (or none)."""
    trial_id = moment.trial_id
    moment.delete()
    _changed(trial_id)


def trial_public_moments_changed(*, trial: Trial) -> None:
    """Tell the layers above that ``trial``'s moments changed (after an edit made elsewhere, e.g. the admin's
    inline forms)."""
    _changed(trial.pk)


def trial_earliest_public_moment(*, trial_id: int) -> dt.datetime | None:
    """The earliest public moment of the trial, or None. One query."""
    return (
        PublicMoment.objects.filter(trial_id=trial_id).order_by("at").values_list("at", flat=True).first()
    )
