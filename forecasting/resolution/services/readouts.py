"""Readouts and the resolutions they propose: validate and store a readout (by hand, from the admin, or a batch
with ``readouts_import``), and propose an outcome for every open or closed question bound to its trial, endpoint and
metric. Confirming a proposal, resolving by hand and what follows are ``forecasting.resolution.services.resolution``.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import operator
from dataclasses import dataclass
from numbers import Real

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from assets.errors import ValidationError
from assets.models import Endpoint, Readout, Trial
from forecasting.common.enqueue import NOTIFY_READOUT, enqueue_on_commit
from forecasting.forecasts.services.community import community_state_lock
from forecasting.resolution.models import ProposedResolution, ResolutionEvent
from markets.date_axis import instant_to_day_seconds
from markets.choices import choice_from_source
from markets.models import Question
from markets.services.questions import question_halt_pending

logger = logging.getLogger(__name__)

P = ProposedResolution.Status
M = Readout.Metric

FLAG_METRICS = {M.STATISTICALLY_SIGNIFICANT, M.MET_ENDPOINT, M.DISCLOSED}
RATIO_METRICS = {M.HAZARD_RATIO, M.HR_CI_LOWER, M.HR_CI_UPPER, M.ODDS_RATIO}
PERCENT_METRICS = {M.RATE_EXPERIMENTAL, M.RATE_CONTROL}
MONTH_METRICS = {M.MEDIAN_MONTHS_EXPERIMENTAL, M.MEDIAN_MONTHS_CONTROL}
COMPARATORS = {
    Question.Comparator.LT: operator.lt,
    Question.Comparator.LTE: operator.le,
    Question.Comparator.GT: operator.gt,
    Question.Comparator.GTE: operator.ge,
    Question.Comparator.EQ: lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
}
MAX_NOTE_LENGTH = 4000


# ----------------------------------------------------------------------------------------------------------------
# Readouts
# ----------------------------------------------------------------------------------------------------------------
def _number(value, *, field: str, required: bool) -> float | None:
    if value is None or value == "":
        if required:
            raise ValidationError(f"{field} is required.", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(f"{field} must be a number (got {value!r}).", field=field)
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{field} must be a finite number (got {value!r}).", field=field)
    return number


def validate_web_address(url: str) -> None:
    """Raise ValidationError (field ``url``) unless ``url`` is empty or an http(s) address."""
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError:
            raise ValidationError(f"url must be an http(s) address (got {url!r}).", field="url") from None


def readout_validate(
    *, trial, endpoint, metric, value, ci_lower=None, ci_upper=None, p_value=None, experimental_value=None,
    control_value=None, source, url="", known_at, note="",
) -> dict:
    """Check a readout's fields and return them cleaned. Raises ValidationError naming the first bad field.

    Rules: metric is one of Readout.Metric; value finite; flags (statistically_significant, met_endpoint,
    disclosed) are 0 or 1; a p-value (the metric or the field) lies in [0, 1]; ratios are > 0; rates are
    percentages in [0, 100]; medians are >= 0; ci_lower <= ci_upper; source is non-empty; url is a web address;
    known_at is timezone-aware (it may lie in the future: a readout entered before an embargo lifts).
    """
    if not isinstance(trial, Trial):
        raise ValidationError("trial must be a trial.", field="trial")
    if not isinstance(endpoint, Endpoint):
        raise ValidationError("endpoint must be an endpoint.", field="endpoint")
    if metric not in M.values:
        raise ValidationError(f"metric must be one of {', '.join(M.values)} (got {metric!r}).", field="metric")
    metric = M(metric)
    value = _number(value, field="value", required=True)
    if metric in FLAG_METRICS and value not in (0.0, 1.0):
        raise ValidationError(f"{metric} is a flag: value must be 1 (yes) or 0 (no), not {value:g}.", field="value")
    if metric == M.P_VALUE and not 0 <= value <= 1:
        raise ValidationError(f"A p-value lies between 0 and 1 (got {value:g}).", field="value")
    if metric in RATIO_METRICS and value <= 0:
        raise ValidationError(f"A ratio is positive (got {value:g}).", field="value")
    if metric in PERCENT_METRICS and not 0 <= value <= 100:
        raise ValidationError(f"A rate is a percentage between 0 and 100 (got {value:g}).", field="value")
    if metric in MONTH_METRICS and value < 0:
        raise ValidationError(f"A median in months cannot be negative (got {value:g}).", field="value")
    cleaned = {"trial": trial, "endpoint": endpoint, "metric": metric.value, "value": value}
    for name, raw in (("ci_lower", ci_lower), ("ci_upper", ci_upper), ("p_value", p_value),
                      ("experimental_value", experimental_value), ("control_value", control_value)):
        cleaned[name] = _number(raw, field=name, required=False)
    if cleaned["p_value"] is not None and not 0 <= cleaned["p_value"] <= 1:
        raise ValidationError(f"p_value must be between 0 and 1 (got {cleaned['p_value']:g}).", field="p_value")
    if cleaned["ci_lower"] is not None and cleaned["ci_upper"] is not None and cleaned["ci_lower"] > cleaned["ci_upper"]:
        raise ValidationError(
            f"ci_lower ({cleaned['ci_lower']:g}) must not exceed ci_upper ({cleaned['ci_upper']:g}).", field="ci_lower"
        )
    source = (source or "").strip() if isinstance(source, str) else source
    if not isinstance(source, str) or not source:
        raise ValidationError("source is required: the conference, abstract or publication.", field="source")
    if len(source) > 300:
        raise ValidationError("source must be at most 300 characters.", field="source")
    url = (url or "").strip() if isinstance(url, str) or url is None else url
    if not isinstance(url, str):
        raise ValidationError("url must be a web address.", field="url")
    validate_web_address(url)
    if not isinstance(known_at, dt.datetime) or timezone.is_naive(known_at):
        raise ValidationError(
            "known_at must be a timezone-aware date and time (e.g. 2026-05-31T14:00:00Z).", field="known_at"
        )
    note = note or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
        raise ValidationError(f"note must be text of at most {MAX_NOTE_LENGTH} characters.", field="note")
    cleaned.update(source=source, url=url, known_at=known_at, note=note.strip())
    return cleaned


def readout_propose(*, readout: Readout) -> list[ProposedResolution]:
    """Propose the readout's outcome for every open or closed question bound to its trial, endpoint and metric.

    Binary questions: 1.0 if ``value <comparator> threshold`` (== with a relative tolerance of 1e-9), else 0.0.
    Numeric questions: the value. Multiple-choice questions: the option named in the readout's source (the meeting
    or journal that presented it, ``markets.choices.choice_from_source``); none when no option is named there. Idempotent: one proposal per (question, readout); a pending proposal takes the
    readout's current value, a decided one is left as it was. Returns the proposals now pending for this readout.
    """
    questions = Question.objects.filter(
        trial_id=readout.trial_id, endpoint_id=readout.endpoint_id, bound_metric=readout.metric,
        status__in=[Question.Status.OPEN, Question.Status.CLOSED, Question.Status.PENDING],
    ).order_by("pk")
    proposals = []
    for question in questions:
        if question.is_multiple_choice:
            outcome = choice_from_source(question.options or [], readout.source)
            if outcome is None:
                logger.info("question %s: no option is named in readout source %r; staff resolve it by hand",
                            question.pk, readout.source)
                continue
        elif question.is_binary:
            compare = COMPARATORS.get(question.bound_comparator)
            if compare is None or question.bound_threshold is None:
                logger.warning("question %s is bound without a comparator and threshold; no proposal", question.pk)
                continue
            outcome = 1.0 if compare(readout.value, question.bound_threshold) else 0.0
        elif question.is_date:
            outcome = instant_to_day_seconds(readout.known_at)  # when the readout became public, at day resolution
        else:
            outcome = readout.value
        proposal, created = ProposedResolution.objects.get_or_create(
            question=question, readout=readout, defaults={"outcome": outcome}
        )
        if not created and proposal.status == P.PENDING and proposal.outcome != outcome:
            proposal.outcome = outcome
            proposal.save(update_fields=["outcome"])
        if proposal.status == P.PENDING:
            proposals.append(proposal)
            _halt(question=question, readout=readout)
    return proposals


def _halt(*, question: Question, readout: Readout) -> None:
    """Stop forecasting and trading on ``question`` because ``readout`` answers it."""
    evidence_halt(question=question, known_at=readout.known_at, source=readout.source, url=readout.url,
                  readout=readout, actor=readout.created_by)


def evidence_halt(
    *, question: Question, known_at: dt.datetime, source: str, url: str = "", readout: Readout | None = None,
    registry_change=None, actor=None,
) -> None:
    """Stop forecasting and trading on ``question`` because evidence public since ``known_at`` answers it (a readout,
    or a registry change: ``question_halt_pending``), under the question's forecast lock, and record a ``halt``
    event the first time."""
    community_state_lock(question_id=question.pk)
    before = question.pending_since
    question = question_halt_pending(question=question, readout=readout, known_at=known_at)
    if question.pending_since != before:
        ResolutionEvent.objects.create(
            question=question, action=ResolutionEvent.Action.HALT, known_at=known_at, source=source, url=url,
            readout=readout, registry_change=registry_change, actor=actor,
            note=f"Forecasting and trading stop at {question.pending_since:%Y-%m-%d %H:%M} UTC.",
        )


def _readout_write(*, created_by, update_existing: bool, **fields) -> tuple[Readout, bool]:
    cleaned = readout_validate(**fields)
    key = {k: cleaned.pop(k) for k in ("trial", "endpoint", "metric", "source")}
    readout = Readout.objects.select_for_update().filter(**key).first()
    if readout is not None and not update_existing:
        raise ValidationError(
            f"A {key['metric']} readout of {key['trial'].name} {key['endpoint'].code} from this source already exists "
            f"(id {readout.pk}); edit it, or name a different source.",
            field="source",
        )
    created = readout is None
    if created:
        readout = Readout(**key, created_by=created_by)
    for name, value in cleaned.items():
        setattr(readout, name, value)
    readout.save()
    readout_propose(readout=readout)
    if created:  # followers of its trial and of the questions it answers (forecasting.tasks.notify_readout)
        enqueue_on_commit(NOTIFY_READOUT, readout.pk)
    return readout, created


@transaction.atomic
def readout_create(
    *, trial: Trial, endpoint: Endpoint, metric: str, value: float, source: str, known_at: dt.datetime,
    ci_lower: float | None = None, ci_upper: float | None = None, p_value: float | None = None,
    experimental_value: float | None = None, control_value: float | None = None, url: str = "", note: str = "",
    created_by=None,
) -> Readout:
    """Store a new readout (rules in ``readout_validate``) and propose resolutions for the questions bound to it.

    Raises ValidationError naming the field, including ``source`` when the same trial, endpoint, metric and source
    already have a readout (use ``readout_upsert`` to update it).
    """
    readout, _ = _readout_write(
        created_by=created_by, update_existing=False, trial=trial, endpoint=endpoint, metric=metric, value=value,
        ci_lower=ci_lower, ci_upper=ci_upper, p_value=p_value, experimental_value=experimental_value,
        control_value=control_value, source=source, url=url, known_at=known_at, note=note,
    )
    return readout


@transaction.atomic
def readout_upsert(*, created_by=None, **fields) -> tuple[Readout, bool]:
    """Create the readout, or update the one with the same trial, endpoint, metric and source. Proposes resolutions
    as ``readout_create`` does. Returns (readout, created)."""
    return _readout_write(created_by=created_by, update_existing=True, **fields)


def readout_after_admin_save(*, readout: Readout, created: bool = False) -> list[ProposedResolution]:
    """For readouts saved through the Django admin's own form (already validated there): propose resolutions (and
    notify followers of a new one)."""
    with transaction.atomic():
        proposals = readout_propose(readout=readout)
        if created:
            enqueue_on_commit(NOTIFY_READOUT, readout.pk)
        return proposals


# ----------------------------------------------------------------------------------------------------------------
# Batch import (python manage.py import_readouts FILE)
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    proposals: int = 0


@transaction.atomic
def readouts_import(*, rows: list[tuple[str, dict]], created_by=None) -> ImportSummary:
    """Create or update one conference's batch of readouts, all or nothing.

    ``rows`` are (where, fields) pairs: ``where`` names the row for messages (e.g. "results.csv, line 4"); fields
    hold ``trial`` (NCT id or acronym), ``endpoint`` (code), ``metric`` and the other readout fields already
    converted to numbers and datetimes. A readout with the same trial, endpoint, metric and source is updated, so
    importing a file twice changes nothing. Raises ValidationError "<where>, field <name>: <message>" at the first
    bad row; nothing is stored then.
    """
    summary = ImportSummary()
    for where, fields in rows:
        fields = dict(fields)
        identifier = str(fields.get("trial") or "").strip()
        trial = Trial.objects.filter_identifier(identifier).first() if identifier else None
        if trial is None:
            raise ValidationError(
                f"{where}, field trial: no trial with NCT id or acronym {identifier!r}.", field="trial"
            )
        code = str(fields.get("endpoint") or "").strip()
        endpoint = Endpoint.objects.filter(code__iexact=code).first() if code else None
        if endpoint is None:
            known = ", ".join(Endpoint.objects.values_list("code", flat=True))
            raise ValidationError(
                f"{where}, field endpoint: no endpoint with code {code!r} (known: {known}).", field="endpoint"
            )
        fields.update(trial=trial, endpoint=endpoint)
        try:
            readout, created = _readout_write(created_by=created_by, update_existing=True, **fields)
        except ValidationError as exc:
            raise ValidationError(f"{where}, field {exc.field}: {exc.message}", field=exc.field) from None
        summary.created += created
        summary.updated += not created
        summary.proposals += ProposedResolution.objects.filter(readout=readout, status=P.PENDING).count()
    return summary
