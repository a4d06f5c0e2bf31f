"""Resolution services: readouts, the resolutions they propose, resolving by hand, and the work that follows.

Flow: ``readout_create`` (or ``readouts_import``) stores a readout and proposes an outcome for every open or closed
question bound to its trial, endpoint and metric. An admin confirms a proposal (``proposal_confirm``,
``proposals_confirm_all``) or resolves by hand (``question_resolve_manual``); ``question_unresolve_manual`` undoes
either. Each action writes a ResolutionEvent (who, when, from which readout or evidence) and, once its transaction
commits, enqueues ``forecasting.tasks.process_resolution``, which calls ``resolution_process``: settle or refund the
market, score (or clear the scores), rebuild the leaderboards, notify forecasters.

Locks: every resolution action first locks the question's CommunityState row (``community_state_lock``), the lock
every forecast takes, so a forecast either commits before the resolution or sees the resolved question and is
refused (409). Then the question row, then its market row (markets' lock order, docs/ledger.md).
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import math
import operator
from dataclasses import dataclass, field
from numbers import Real

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from assets.errors import StateError, ValidationError
from assets.models import Endpoint, Readout, Trial
from forecasting.models import ProposedResolution, ResolutionEvent
from forecasting.services.community import community_state_lock
from markets.models import Question
from markets.services.resolution import question_annul, question_resolve, question_unresolve

logger = logging.getLogger(__name__)

P = ProposedResolution.Status
A = ResolutionEvent.Action
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
READOUT_FIELDS = (
    "trial", "endpoint", "metric", "value", "ci_lower", "ci_upper", "p_value", "experimental_value",
    "control_value", "source", "url", "known_at", "note",
)
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
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError:
            raise ValidationError(f"url must be an http(s) address (got {url!r}).", field="url") from None
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
    Numeric questions: the value. Idempotent: one proposal per (question, readout); a pending proposal takes the
    readout's current value, a decided one is left as it was. Returns the proposals now pending for this readout.
    """
    questions = Question.objects.filter(
        trial_id=readout.trial_id, endpoint_id=readout.endpoint_id, bound_metric=readout.metric,
        status__in=[Question.Status.OPEN, Question.Status.CLOSED],
    ).order_by("pk")
    proposals = []
    for question in questions:
        if question.is_binary:
            compare = COMPARATORS.get(question.bound_comparator)
            if compare is None or question.bound_threshold is None:
                logger.warning("question %s is bound without a comparator and threshold; no proposal", question.pk)
                continue
            outcome = 1.0 if compare(readout.value, question.bound_threshold) else 0.0
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
    return proposals


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


def readout_after_admin_save(*, readout: Readout) -> list[ProposedResolution]:
    """For readouts saved through the Django admin's own form (already validated there): propose resolutions."""
    with transaction.atomic():
        return readout_propose(readout=readout)


# ----------------------------------------------------------------------------------------------------------------
# Resolving
# ----------------------------------------------------------------------------------------------------------------
def _enqueue(question_id: int) -> None:
    """Run the follow-up work once the current transaction commits (never inside it: the worker must see the
    committed state, and a rolled-back resolution must not be scored)."""
    from forecasting.tasks import enqueue, process_resolution

    # enqueue() logs and carries on if the broker is down; sweep_unscored_resolutions catches up.
    transaction.on_commit(lambda: enqueue(process_resolution, question_id))


def _supersede_pending(question: Question, *, actor, now: dt.datetime, keep: int | None = None) -> None:
    ProposedResolution.objects.filter(question=question, status=P.PENDING).exclude(pk=keep).update(
        status=P.SUPERSEDED, decided_by=actor, decided_at=now
    )


def _clean_text(value, *, field: str, max_length: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{field} must be at most {max_length} characters.", field=field)
    return value


@transaction.atomic
def proposal_confirm(*, proposal: ProposedResolution, actor, note: str = "") -> ProposedResolution:
    """Resolve the proposal's question to the proposed outcome, with the readout's known_at and source as evidence.

    Other pending proposals on the question become superseded. Writes a ``confirm_proposal`` event and enqueues
    ``process_resolution`` on commit. Raises StateError if the proposal is no longer pending or the question cannot
    be resolved; ValidationError if the outcome or known_at is refused (e.g. the readout's known_at is still in the
    future, or the value lies outside a closed range).
    """
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    community_state_lock(question_id=proposal.question_id)
    proposal = ProposedResolution.objects.select_for_update().select_related("readout", "question").get(pk=proposal.pk)
    if proposal.status != P.PENDING:
        raise StateError(f"This proposal is {proposal.status}; only a pending proposal can be confirmed.")
    readout = proposal.readout
    now = timezone.now()
    question = question_resolve(question=proposal.question, outcome=proposal.outcome, known_at=readout.known_at, at=now)
    proposal.status, proposal.decided_by, proposal.decided_at = P.CONFIRMED, actor, now
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    _supersede_pending(question, actor=actor, now=now, keep=proposal.pk)
    ResolutionEvent.objects.create(
        question=question, action=A.CONFIRM_PROPOSAL, outcome=question.outcome, known_at=question.known_at,
        source=readout.source, url=readout.url, note=note, readout=readout, proposal=proposal, actor=actor,
        created_at=now,
    )
    _enqueue(question.pk)
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: ProposedResolution, actor, note: str = "") -> ProposedResolution:
    """Reject a pending proposal (the readout does not settle the question). Writes a ``reject_proposal`` event.
    Raises StateError if the proposal is not pending."""
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    proposal = ProposedResolution.objects.select_for_update().select_related("readout").get(pk=proposal.pk)
    if proposal.status != P.PENDING:
        raise StateError(f"This proposal is {proposal.status}; only a pending proposal can be rejected.")
    now = timezone.now()
    proposal.status, proposal.decided_by, proposal.decided_at = P.REJECTED, actor, now
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    ResolutionEvent.objects.create(
        question_id=proposal.question_id, action=A.REJECT_PROPOSAL, outcome=proposal.outcome,
        known_at=proposal.readout.known_at, source=proposal.readout.source, url=proposal.readout.url, note=note,
        readout=proposal.readout, proposal=proposal, actor=actor, created_at=now,
    )
    return proposal


@dataclass
class ConfirmAllResult:
    confirmed: list[ProposedResolution] = field(default_factory=list)
    failed: list[tuple[ProposedResolution, str]] = field(default_factory=list)


def proposals_confirm_all(*, actor, readout: Readout | None = None) -> ConfirmAllResult:
    """Confirm every pending proposal (of one readout, or all), each in its own transaction.

    Order: by question, then the earliest-public readout first (it fixes the earliest known_at); confirming one
    supersedes the question's others, which are then skipped. A proposal that cannot be confirmed (its known_at is
    still in the future, a value outside a closed range, ...) is reported in ``failed`` with the reason and stays
    pending; the others are confirmed regardless.
    """
    pending = ProposedResolution.objects.filter(status=P.PENDING).select_related("readout", "question")
    if readout is not None:
        pending = pending.filter(readout=readout)
    result = ConfirmAllResult()
    for proposal in pending.order_by("question_id", "readout__known_at", "pk"):
        if ProposedResolution.objects.filter(pk=proposal.pk, status=P.PENDING).exists():
            try:
                result.confirmed.append(proposal_confirm(proposal=proposal, actor=actor))
            except (StateError, ValidationError) as exc:
                result.failed.append((proposal, exc.message))
    return result


def parse_outcome(*, question: Question, outcome) -> float | None:
    """The outcome as entered by hand: "yes"/"no" (or 1/0) for a binary question, a number (or numeric text) for a
    numeric one, "annulled" for either. Returns None for an annulment. Raises ValidationError (field ``outcome``)."""
    if isinstance(outcome, str):
        text = outcome.strip().lower()
        if text in ("annulled", "annul", "annulment"):
            return None
        if question.is_binary:
            if text in ("yes", "no"):
                return 1.0 if text == "yes" else 0.0
            raise ValidationError(f'outcome must be "yes", "no" or "annulled" (got {outcome!r}).', field="outcome")
        try:
            outcome = float(text)
        except ValueError:
            raise ValidationError(
                f'outcome must be a number in {question.unit or "the question units"} or "annulled" (got {outcome!r}).',
                field="outcome",
            ) from None
    if outcome is None:
        raise ValidationError("outcome is required.", field="outcome")
    if isinstance(outcome, bool) or not isinstance(outcome, Real):
        raise ValidationError(f"outcome must be yes, no, a number or annulled (got {outcome!r}).", field="outcome")
    return float(outcome)  # range and finiteness are checked by question_resolve


@transaction.atomic
def question_resolve_manual(
    *, question: Question, outcome, known_at: dt.datetime | None, source: str = "", note: str = "", url: str = "",
    actor,
) -> Question:
    """Resolve a question by hand: ``outcome`` as in ``parse_outcome`` ("annulled" annuls; known_at is then
    optional). Pending proposals on the question become superseded. Writes a ``resolve`` or ``annul`` event with the
    source and note, and enqueues ``process_resolution`` on commit. Raises ValidationError (bad input) or StateError
    (the question is a draft or already resolved/annulled)."""
    value = parse_outcome(question=question, outcome=outcome)
    source = _clean_text(source, field="source", max_length=300)
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    url = _clean_text(url, field="url", max_length=200)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except DjangoValidationError:
            raise ValidationError(f"url must be an http(s) address (got {url!r}).", field="url") from None
    now = timezone.now()
    community_state_lock(question_id=question.pk)
    if value is None:
        question = question_annul(question=question, known_at=known_at, at=now)
        action = A.ANNUL
    else:
        if known_at is None:
            raise ValidationError("known_at is required: when the answer became public.", field="known_at")
        question = question_resolve(question=question, outcome=value, known_at=known_at, at=now)
        action = A.RESOLVE
    _supersede_pending(question, actor=actor, now=now)
    ResolutionEvent.objects.create(
        question=question, action=action, outcome=question.outcome, known_at=question.known_at, source=source,
        url=url, note=note, actor=actor, created_at=now,
    )
    _enqueue(question.pk)
    return question


@transaction.atomic
def question_unresolve_manual(*, question: Question, actor, note: str = "") -> Question:
    """Undo a resolution or annulment: the question goes back to closed; its market's settlement or refund is
    reversed now, in this transaction (so a quick re-resolution can never find the market still settled on the old
    outcome); proposals that were confirmed or superseded become pending again. Writes an ``unresolve`` event and
    enqueues ``process_resolution`` on commit, which clears the scores and rebuilds the leaderboards.

    Raises StateError if the question is not resolved or annulled, or if the market reversal is refused.
    """
    note = _clean_text(note, field="note", max_length=MAX_NOTE_LENGTH)
    community_state_lock(question_id=question.pk)
    question = question_unresolve(question=question)
    market_unsettle = _market_step("market_unsettle")
    if market_unsettle is not None:
        market_unsettle(question=question)
    ProposedResolution.objects.filter(question=question, status__in=[P.CONFIRMED, P.SUPERSEDED]).update(
        status=P.PENDING, decided_by=None, decided_at=None
    )
    ResolutionEvent.objects.create(question=question, action=A.UNRESOLVE, note=note, actor=actor)
    _enqueue(question.pk)
    return question


# ----------------------------------------------------------------------------------------------------------------
# What follows a resolution (run by forecasting.tasks.process_resolution)
# ----------------------------------------------------------------------------------------------------------------
def _hook(module: str, name: str):
    """The function ``module.name`` if it exists, else None (logged). Lets resolution run while the scoring,
    notification or settlement code it calls is still being written; a real import error inside an existing module
    is raised, not hidden."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        logger.warning("resolution: %s is missing; skipping %s", module, name)
        return None
    func = getattr(mod, name, None)
    if func is None:
        logger.warning("resolution: %s.%s is missing; skipping it", module, name)
    return func


def _market_step(name: str):
    return _hook("markets.services.settlement", name)


def _scoring_step(name: str):
    return _hook("forecasting.services.scoring", name)


@dataclass
class ProcessResult:
    question_id: int
    status: str
    steps: list[str] = field(default_factory=list)


def resolution_process(*, question_id: int) -> ProcessResult:
    """Bring everything that depends on a question's resolution in line with its current state. Idempotent.

    resolved  -> settle the market, score every forecaster (recompute and replace), rebuild the leaderboards,
                 notify the forecasters;
    annulled  -> refund the market, clear the scores, rebuild the leaderboards;
    otherwise -> (after an unresolve) reverse any settlement, clear the scores, rebuild the leaderboards.

    The market and score steps run in one transaction holding the question row lock, so they see one state and a
    concurrent unresolve waits for them; the leaderboard rebuild and the notifications run after it commits.
    Each step is idempotent (unique ledger keys; scores recomputed and replaced), so a retried task is safe.
    """
    steps = []
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        status = question.status
        if status == Question.Status.RESOLVED:
            plan = [(_market_step, "market_settle", {"question": question}),
                    (_scoring_step, "question_score", {"question_id": question_id})]
        elif status == Question.Status.ANNULLED:
            plan = [(_market_step, "market_refund", {"question": question}),
                    (_scoring_step, "question_scores_clear", {"question_id": question_id})]
        else:
            plan = [(_market_step, "market_unsettle", {"question": question}),
                    (_scoring_step, "question_scores_clear", {"question_id": question_id})]
        for finder, name, kwargs in plan:
            func = finder(name)
            if func is not None:
                func(**kwargs)
                steps.append(name)
    rebuild = _hook("forecasting.services.leaderboards", "leaderboards_rebuild")
    if rebuild is not None:
        rebuild(question_id=question_id)
        steps.append("leaderboards_rebuild")
    if status == Question.Status.RESOLVED:
        notify = _hook("forecasting.services.notifications", "question_notify_resolution")
        if notify is not None:
            notify(question_id=question_id)
            steps.append("question_notify_resolution")
    return ProcessResult(question_id=question_id, status=status, steps=steps)


def questions_needing_processing() -> list[int]:
    """Ids of resolved questions whose scores are missing or stale (a lost or failed task): the scoring part's
    ``questions_needing_scores`` selector (forecasting.selectors_scoring) when it exists, else resolved questions
    with forecasts and no Score row."""
    selector = _hook("forecasting.selectors_scoring", "questions_needing_scores") or _scoring_step(
        "questions_needing_scores"
    )
    if selector is not None:
        return [q if isinstance(q, int) else q.pk for q in selector()]
    from forecasting import models as fm

    score_model = getattr(fm, "Score", None)
    if score_model is None:
        return []
    resolved = Question.objects.filter(status=Question.Status.RESOLVED, forecasters__isnull=False).distinct()
    return list(resolved.exclude(pk__in=score_model.objects.values("question_id")).values_list("pk", flat=True))


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
