"""Resolution models: the audit trail of every resolution action and the resolutions that readouts propose.

Imported at the bottom of forecasting/models.py so Django registers them with the forecasting app.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone

from markets import date_axis
from markets.choices import option_label
from markets.models import AppendOnlyModel

__all__ = ["ProposedResolution", "RegistryStaffNotice", "ResolutionEvent", "ResolutionProcessed"]

CTGOV_STUDY_URL = "https://clinicaltrials.gov/study/{nct}?tab=history"


class ProposedResolution(models.Model):
    """An outcome that a readout implies for a question bound to its trial, endpoint and metric, or that the
    ClinicalTrials.gov registry implies for a question bound to a registry predicate (``basis``).

    Readouts: binary questions 1.0 if ``readout.value <comparator> threshold`` holds, else 0.0; numeric questions the
    value. Registry (docs/resolution.md, "Registry-resolved questions"): the evidence is ``registry_change`` (none
    for a deadline that passed without the change); ``known_at``, ``source``, ``url`` and ``note`` are stored on the
    proposal, as the registry gives no readout to read them from; ``outcome`` None proposes annulment.
    A proposal waits (pending) until an admin confirms it (the question resolves from it) or rejects it. When the
    question is resolved any other way, its other pending proposals become superseded; when it is unresolved, its
    confirmed and superseded proposals become pending again, so the evidence can be used once more. The decisions
    themselves are kept in ResolutionEvent rows.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded"

    class Basis(models.TextChoices):
        READOUT = "readout", "Readout"
        REGISTRY = "registry", "Registry predicate"
        REGISTRY_DEADLINE = "registry_deadline", "Registry deadline passed"
        TRIAL_STOPPED = "trial_stopped", "Trial stopped"

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="proposed_resolutions")
    basis = models.CharField(max_length=20, choices=Basis.choices, default=Basis.READOUT)
    readout = models.ForeignKey(
        "assets.Readout", on_delete=models.CASCADE, null=True, blank=True, related_name="proposed_resolutions"
    )
    registry_change = models.ForeignKey(
        "assets.TrialRegistryChange", on_delete=models.PROTECT, null=True, blank=True,
        related_name="proposed_resolutions", help_text="The registry change this proposal rests on.",
    )
    outcome = models.FloatField(
        null=True, blank=True, help_text="1 or 0 for binary questions, the value for numeric ones; empty: annul."
    )
    known_at = models.DateTimeField(
        null=True, blank=True, help_text="Registry proposals: when the answer became public (readouts keep theirs)."
    )
    source = models.CharField(max_length=300, blank=True, help_text="Registry proposals: the evidence in words.")
    url = models.URLField(blank=True)
    note = models.TextField(blank=True, help_text="Registry proposals: how known_at and the outcome were found.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["question_id", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "readout"], name="proposed_resolution_unique"),
            models.UniqueConstraint(
                fields=["question", "registry_change", "basis"], condition=models.Q(registry_change__isnull=False),
                name="proposed_resolution_registry_unique",
            ),
            models.UniqueConstraint(
                fields=["question"], condition=models.Q(basis="registry_deadline"),
                name="proposed_resolution_deadline_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(basis="readout", readout__isnull=False)
                | (~models.Q(basis="readout") & models.Q(readout__isnull=True, known_at__isnull=False)),
                name="proposed_resolution_evidence",
            ),
        ]

    def __str__(self):
        return f"{self.question} -> {self.outcome_display} ({self.status})"

    @property
    def evidence_known_at(self):
        """When the answer became public: the readout's ``known_at``, or the registry proposal's own."""
        return self.readout.known_at if self.readout_id else self.known_at

    @property
    def evidence_source(self) -> str:
        return self.readout.source if self.readout_id else self.source

    @property
    def evidence_url(self) -> str:
        return self.readout.url if self.readout_id else self.url

    @property
    def outcome_display(self) -> str:
        if self.outcome is None:
            return "Annul"
        if self.question.is_multiple_choice:
            return option_label(self.question.options, self.outcome)
        if self.question.is_binary:
            return "Yes" if self.outcome == 1 else "No"
        if self.question.is_date:
            return date_axis.format_day(self.outcome)
        unit = f" {self.question.unit}" if self.question.unit else ""
        return f"{self.outcome:g}{unit}"


class ResolutionEvent(AppendOnlyModel):
    """One resolution action on a question: who did what, when, and from which evidence. Append-only.

    ``outcome`` and ``known_at`` are what the question was resolved to (blank for unresolve and reject); ``readout``
    (or ``registry_change``) and ``proposal`` name the evidence when the action came from a readout (or the
    registry).
    """

    class Action(models.TextChoices):
        RESOLVE = "resolve", "Resolved by hand"
        ANNUL = "annul", "Annulled"
        UNRESOLVE = "unresolve", "Unresolved"
        CONFIRM_PROPOSAL = "confirm_proposal", "Resolved from a proposal"
        REJECT_PROPOSAL = "reject_proposal", "Proposal rejected"
        HALT = "halt", "Answer pending: evidence entered"
        RELEASE = "release", "Halt lifted: proposals rejected"

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="resolution_events")
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.FloatField(null=True, blank=True)
    known_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)
    url = models.URLField(blank=True)
    note = models.TextField(blank=True)
    readout = models.ForeignKey(
        "assets.Readout", on_delete=models.RESTRICT, null=True, blank=True, related_name="resolution_events"
    )
    proposal = models.ForeignKey(
        ProposedResolution, on_delete=models.RESTRICT, null=True, blank=True, related_name="events"
    )
    registry_change = models.ForeignKey(
        "assets.TrialRegistryChange", on_delete=models.RESTRICT, null=True, blank=True, related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["question", "created_at"])]

    def __str__(self):
        return f"{self.get_action_display()}: {self.question_id} at {self.created_at:%Y-%m-%d %H:%M}"


# The actions that change what a question resolved to; what follows them (settle or refund, scores, leaderboards)
# must be brought in line with the latest one.
STATE_ACTIONS = (
    ResolutionEvent.Action.RESOLVE, ResolutionEvent.Action.CONFIRM_PROPOSAL, ResolutionEvent.Action.ANNUL,
    ResolutionEvent.Action.UNRESOLVE,
)


class ResolutionProcessed(models.Model):
    """The latest resolution event whose follow-up work (market settlement or refund or its reversal, scores,
    leaderboards) has completed for a question. The periodic sweep re-runs the work for every question whose latest
    state-changing event is not this one, so a task lost with the broker is caught up whatever it was for."""

    question = models.OneToOneField("markets.Question", on_delete=models.CASCADE, related_name="resolution_processed")
    event = models.ForeignKey(ResolutionEvent, on_delete=models.CASCADE, related_name="+")
    processed_at = models.DateTimeField()

    def __str__(self):
        return f"question {self.question_id} processed up to event {self.event_id}"


class RegistryStaffNotice(models.Model):
    """The staff e-mail about a registry change (a trial that became TERMINATED or WITHDRAWN) was sent: one row per
    change, written in the transaction that proposes, so a retried sync or a second receiver never e-mails twice."""

    registry_change = models.OneToOneField(
        "assets.TrialRegistryChange", on_delete=models.CASCADE, related_name="staff_notice"
    )
    created_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"staff notice for registry change {self.registry_change_id}"
