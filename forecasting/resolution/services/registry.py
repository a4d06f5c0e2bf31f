"""Registry-resolved questions: proposals from ClinicalTrials.gov changes (docs/resolution.md, "Registry-resolved
questions").

``registry_propose`` runs inside the transaction that recorded a reading of a trial's registry record (the
``assets.signals.registry_changed`` receiver, ``ForecastingConfig.ready``): for every open, closed or pending
question on the trial it proposes what the new history rows imply, exactly as a readout does (a pending
``ProposedResolution`` in the staff queue, and a halt), and e-mails staff once when the trial stopped.
``registry_deadlines_propose`` (periodic) proposes No for "X by D" questions whose date passed without the change.

When the answer became public (``known_at``): the registry's own date of the change, never when Readout happened to
see it. ClinicalTrials.gov dates a record version by the day it was posted (US Eastern): the change was public from
that day on, so known_at is the start of that day in New York, or the moment the sync saw it if that is earlier.
Results posted carry their own posting date (``results_first_posted``), which is used when the record has it.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assets.errors import DomainError
from assets.models import RegistryField, Trial, TrialRegistryChange
from assets.selectors_registry import trial_registry_history, trial_registry_value_at
from assets.services.registry import registry_date
from forecasting.resolution.models import (
    CTGOV_STUDY_URL,
    ProposedResolution,
    RegistryStaffNotice,
)
from forecasting.resolution.services.readouts import evidence_halt
from markets.models import Question
from markets.registry_binding import (
    REGISTRY_BINDABLE,
    STOPPED_STATUSES,
    OnTrialStopped,
    registry_values,
)

logger = logging.getLogger(__name__)

P = ProposedResolution.Status
B = ProposedResolution.Basis
S = Question.Status
REGISTRY_TZ = ZoneInfo("America/New_York")  # ClinicalTrials.gov dates its postings in US Eastern time
UNRESOLVED = (S.OPEN, S.CLOSED, S.PENDING)


def registry_day_start(day: dt.date) -> dt.datetime:
    """00:00 US Eastern on ``day`` (the registry's date), as an aware datetime in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=REGISTRY_TZ).astimezone(dt.UTC)


def _date(text: str | None) -> dt.date | None:
    try:
        return registry_date(text or "")[0]
    except DomainError:
        return None


def _fmt(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _source(change: TrialRegistryChange, trial: Trial) -> tuple[str, str]:
    label = change.get_field_display().lower()
    posted = f", record updated {change.registry_posted_on.isoformat()}" if change.registry_posted_on else ""
    source = f"ClinicalTrials.gov {trial.registry_id}: {label} {change.new_value or '(none)'}{posted}"
    return source[:300], CTGOV_STUDY_URL.format(nct=trial.registry_id)


# ----------------------------------------------------------------------------------------------------------------
# Proposals from registry changes
# ----------------------------------------------------------------------------------------------------------------
def registry_propose(*, trial: Trial, changes: Iterable[TrialRegistryChange]) -> list[ProposedResolution]:
    """Propose resolutions for the open, closed and pending questions on ``trial`` that ``changes`` (history rows
    just written by one reading of its record) settle, and halt forecasting on them as a readout does:

    - a question bound to a registry predicate whose field became one of its values: Yes if the registry's date of
      the change is on or before the deadline, No if after; annulment when the answer was already public when the
      question opened, or when a first reading cannot be dated (docs/resolution.md);
    - a question with ``on_trial_stopped`` annul or no, when the status became TERMINATED or WITHDRAWN (questions
      bound to the status itself follow their predicate instead). Staff are e-mailed once per such change.

    Must run inside the transaction that wrote ``changes`` (the receiver of ``registry_changed``). Idempotent: one
    proposal per (question, change, basis); a decided one is left as it was. A question that cannot be proposed for
    is logged and skipped (its savepoint rolls back), so the registry history is still saved. Returns the proposals
    now pending from these changes.
    """
    changes = sorted(changes, key=lambda c: c.pk)
    if not changes:
        return []
    stopped = next((c for c in changes if c.field == RegistryField.OVERALL_STATUS and c.new_value in STOPPED_STATUSES),
                   None)
    fields = {c.field for c in changes}
    questions = Question.objects.filter(trial=trial, status__in=UNRESOLVED).order_by("pk")
    proposals: list[ProposedResolution] = []
    for question in questions:
        wanted = []
        if question.registry_field in fields:
            wanted += [(c, _predicate_proposal) for c in changes if c.field == question.registry_field]
        if (stopped is not None and question.on_trial_stopped != OnTrialStopped.NOTHING
                and question.registry_field != RegistryField.OVERALL_STATUS):
            wanted.append((stopped, _stopped_proposal))
        for change, build in wanted:
            try:
                with transaction.atomic():
                    proposal = build(question=question, change=change, trial=trial)
            except DomainError as exc:
                logger.warning("registry change %s: no proposal for question %s: %s", change.pk, question.pk, exc)
                continue
            if proposal is not None:
                proposals.append(proposal)
    stopped_proposals = [p for p in proposals if stopped is not None and p.registry_change_id == stopped.pk]
    # A trial first read as already stopped is news to staff only if it stops one of its questions.
    if stopped is not None and (stopped_proposals or not stopped.initial):
        _notify_staff(trial=trial, change=stopped, proposals=stopped_proposals)
    return proposals


def _first_match(question: Question, trial: Trial) -> TrialRegistryChange | None:
    values = registry_values(question.registry_value)
    return trial_registry_history(trial=trial, field=question.registry_field).filter(new_value__in=values).first()


def _predicate_proposal(*, question: Question, change: TrialRegistryChange, trial: Trial):
    """The proposal a predicate question gets from ``change``, or None when the change does not settle it."""
    if change.new_value not in registry_values(question.registry_value):
        return None
    first = _first_match(question, trial)
    if first is not None and first.pk != change.pk:
        return None  # it became so earlier: that change decided (or was decided by staff)
    deadline = question.registry_deadline
    bindable = REGISTRY_BINDABLE[question.registry_field]
    own = (_date(trial_registry_value_at(trial=trial, field=bindable.date_field, at=change.observed_at))
           if bindable.date_field and change.new_value in ("ACTUAL", "true") else None)
    exact = question.registry_field == RegistryField.HAS_RESULTS and own is not None  # the results' posting date
    posted = change.registry_posted_on
    seen = f"Readout saw it {change.observed_at:%Y-%m-%d %H:%M} UTC ({change.get_via_display().lower()})"
    if not change.initial or exact:
        day = own if exact else (posted or timezone.localtime(change.observed_at, REGISTRY_TZ).date())
        known_at = min(change.observed_at, registry_day_start(day))
        outcome = 1.0 if day <= deadline else 0.0
        why = (f"The registry dates it {day.isoformat()} ({'results first posted' if exact else 'last update posted'}"
               f"); public from 00:00 US Eastern that day. {seen}.")
    else:
        # A first reading: the registry already said so when Readout first read the trial; when it became so is
        # unknown, except that it cannot predate the fact's own date (an ACTUAL completion date).
        if own is None:
            return _propose(question, basis=B.REGISTRY, change=change, trial=trial, outcome=None,
                            known_at=change.observed_at, note=(
                                "First reading of the trial's registry record: it already said so, and when it "
                                f"became so is unknown (it may predate the question). Proposed: annul. {seen}."))
        known_at = registry_day_start(own)
        if posted is not None and posted <= deadline:
            outcome = 1.0
        elif own > deadline:
            outcome = 0.0
        else:
            return _propose(question, basis=B.REGISTRY, change=change, trial=trial, outcome=None,
                            known_at=min(change.observed_at, known_at), note=(
                                f"First reading: the fact is dated {own.isoformat()} but the record was posted "
                                f"{posted.isoformat() if posted else '(no date)'}, after {deadline.isoformat()}: whether "
                                f"it was public by the deadline is unknown. Proposed: annul. {seen}."))
        why = (f"First reading of the registry record: public at the latest on {posted or '(no date)'} and not "
               f"before the fact's own date {own.isoformat()}, which is taken as known_at. {seen}.")
    if outcome == 0.0:  # it did not happen by D: that was known once D had passed
        known_at = min(known_at, registry_day_start(deadline + dt.timedelta(days=1)))
    if known_at <= question.open_time:
        return _propose(question, basis=B.REGISTRY, change=change, trial=trial, outcome=None, known_at=known_at,
                        note=f"The answer was public ({known_at:%Y-%m-%d %H:%M} UTC) before the question opened. "
                             f"Proposed: annul. {why}")
    return _propose(question, basis=B.REGISTRY, change=change, trial=trial, outcome=outcome, known_at=known_at,
                    note=why)


def _stopped_proposal(*, question: Question, change: TrialRegistryChange, trial: Trial):
    """Annul, or No, for a question whose trial became TERMINATED or WITHDRAWN (``on_trial_stopped``)."""
    posted = change.registry_posted_on
    known_at = min(change.observed_at, registry_day_start(posted)) if posted else change.observed_at
    outcome = 0.0 if question.on_trial_stopped == OnTrialStopped.NO else None
    note = f"The trial is {change.new_value} on ClinicalTrials.gov"
    why = trial.why_stopped or ""
    note += f" (why stopped: {why})." if why else "."
    if outcome is not None and (change.initial or known_at <= question.open_time):
        outcome = None
        note += (" The stop cannot be dated after the question opened (first reading, or posted before it opened),"
                 " so annulment is proposed instead of No.")
    return _propose(question, basis=B.TRIAL_STOPPED, change=change, trial=trial, outcome=outcome,
                    known_at=known_at, note=note)


def _propose(question: Question, *, basis: str, change: TrialRegistryChange | None, trial: Trial,
             outcome: float | None, known_at: dt.datetime, note: str, source: str = "", url: str = ""):
    if change is not None:
        source, url = _source(change, trial)
        proposal, created = ProposedResolution.objects.get_or_create(
            question=question, registry_change=change, basis=basis,
            defaults={"outcome": outcome, "known_at": known_at, "source": source, "url": url, "note": note},
        )
    else:
        proposal, created = ProposedResolution.objects.get_or_create(
            question=question, basis=basis,
            defaults={"outcome": outcome, "known_at": known_at, "source": source, "url": url, "note": note},
        )
    if proposal.status != P.PENDING:
        return None
    evidence_halt(question=question, known_at=proposal.known_at, source=proposal.source, url=proposal.url,
                  registry_change=change)
    return proposal


# ----------------------------------------------------------------------------------------------------------------
# Deadlines that passed without the change
# ----------------------------------------------------------------------------------------------------------------
def registry_deadlines_propose(*, at: dt.datetime | None = None) -> list[ProposedResolution]:
    """Propose No for every open, closed or pending question bound to a registry predicate whose deadline D has
    passed without the change: from the second day after D (US Eastern), so the daily sync of the day after D has
    read the record. known_at is the end of D (00:00 US Eastern the next day). Questions with a pending proposal, a
    registry change that already proposed, or a trial Readout never read are left alone. Idempotent (one deadline
    proposal per question, whatever staff decided). Each question in its own transaction. Returns what it proposed.
    """
    at = at or timezone.now()
    today = timezone.localtime(at, REGISTRY_TZ).date()
    questions = (
        Question.objects.filter(status__in=UNRESOLVED, registry_deadline__lte=today - dt.timedelta(days=2))
        .exclude(registry_field="").exclude(proposed_resolutions__status=P.PENDING)
        .exclude(proposed_resolutions__basis__in=[B.REGISTRY, B.REGISTRY_DEADLINE])
        .select_related("trial").order_by("pk").distinct()
    )
    proposed = []
    for question in questions:
        trial = question.trial
        latest = trial_registry_history(trial=trial).last() if trial else None
        if latest is None:
            logger.warning("registry deadline of question %s passed but its trial was never read", question.pk)
            continue
        if _first_match(question, trial) is not None:
            continue  # the change is in the history: its proposal was made (or failed and was logged)
        deadline = question.registry_deadline
        known_at = registry_day_start(deadline + dt.timedelta(days=1))
        posted = trial.registry_last_update_posted
        note = (f"No change of {question.registry_field} to {question.registry_value} by {deadline.isoformat()}. "
                f"Registry record as last read: last update posted {posted.isoformat() if posted else '(no date)'}; "
                f"last change seen {latest.observed_at:%Y-%m-%d %H:%M} UTC.")
        outcome = 0.0
        if known_at <= question.open_time:
            outcome, note = None, note + " The deadline is before the question opened. Proposed: annul."
        with transaction.atomic():
            proposal = _propose(
                question, basis=B.REGISTRY_DEADLINE, change=None, trial=trial, outcome=outcome, known_at=known_at,
                note=note, url=CTGOV_STUDY_URL.format(nct=trial.registry_id),
                source=f"ClinicalTrials.gov {trial.registry_id}: no {question.registry_binding_summary}"[:300],
            )
        if proposal is not None:
            proposed.append(proposal)
    return proposed


# ----------------------------------------------------------------------------------------------------------------
# Telling staff
# ----------------------------------------------------------------------------------------------------------------
def _absolute(path: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def _notify_staff(*, trial: Trial, change: TrialRegistryChange, proposals: list[ProposedResolution]) -> None:
    """E-mail every active staff user with an address that ``trial`` stopped, listing the proposals to review.
    Once per change (``RegistryStaffNotice``, written in this transaction); sent after the commit, so a rolled-back
    sync (or a dry run) sends nothing."""
    notice, created = RegistryStaffNotice.objects.get_or_create(registry_change=change)
    if not created:
        return
    recipients = sorted(set(
        get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("email", flat=True)
    ))
    notice.recipients = len(recipients)
    notice.save(update_fields=["recipients"])
    if not recipients:
        return
    name = trial.acronym or trial.registry_id
    lines = [f"{name} ({trial.registry_id}) is now {change.new_value} on ClinicalTrials.gov."]
    if trial.why_stopped:
        lines.append(f"Why stopped: {trial.why_stopped}")
    lines += ["", f"Trial: {_absolute(trial.get_absolute_url())}",
              f"Registry history: {CTGOV_STUDY_URL.format(nct=trial.registry_id)}", ""]
    if proposals:
        lines.append(f"{len(proposals)} proposal{'s' if len(proposals) != 1 else ''} to review "
                     f"(forecasting on these questions has stopped):")
        lines += [f"- {p.question.title}: {p.outcome_display} ({_absolute(p.question.get_absolute_url())})"
                  for p in proposals]
    else:
        lines.append("No open question on this trial asked for a proposal (on_trial_stopped); check its questions.")
    lines += ["", f"Pending resolutions: {_absolute(reverse('resolution:pending'))}"]
    subject = f"[Readout] {name} is {change.new_value.lower()}: {len(proposals)} proposal(s) to review"
    body = "\n".join(lines)

    def send():
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            logger.exception("could not e-mail staff about registry change %s", change.pk)

    transaction.on_commit(send)
