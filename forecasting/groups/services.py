"""Question groups: generate a trial's standard readout questions as drafts (``forecasting.groups.templates``),
publish the group and every member together, enter one conference readout for the whole group and confirm the
resolutions it proposes. Docs: docs/questions.md, "Groups and templates".
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from numbers import Real

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from assets.errors import StateError, ValidationError
from assets.models import Readout, Trial, TrialEndpoint
from assets.validators import validate_text
from forecasting.conditional.models import ConditionalPair
from forecasting.conditional.services import pair_create
from forecasting.groups.models import QuestionGroup, QuestionGroupMember
from forecasting.groups.templates import trial_template_specs, type_available
from forecasting.resolution.models import ProposedResolution
from forecasting.resolution.services.readouts import readout_upsert
from forecasting.resolution.services.resolution import ConfirmAllResult, proposal_confirm
from markets.models import Question
from markets.services import QUESTION_EDITABLE_FIELDS, question_create, question_open, question_update

MAX_RESULTS = 50
DEFAULT_HORIZON = dt.timedelta(days=365)


@dataclass
class GenerateResult:
    group: QuestionGroup
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (template, why)
    reused: list[tuple[str, int]] = field(default_factory=list)  # (template, existing question or pair id)


def _existing(trial: Trial, fields: dict) -> Question | None:
    """A question of the trial that already asks what the template asks (same type, endpoint and readout binding,
    not resolved or annulled): the group takes it as a member instead of a duplicate."""
    if not fields.get("bound_metric"):
        return None
    match = {"trial": trial, "type": fields["type"], "endpoint": fields["endpoint"],
             "bound_metric": fields["bound_metric"]}
    if fields["type"] == Question.Type.BINARY:
        match.update(bound_comparator=fields["bound_comparator"], bound_threshold=fields["bound_threshold"])
    return (Question.objects.filter(**match).exclude(status__in=[Question.Status.RESOLVED, Question.Status.ANNULLED])
            .order_by("pk").first())


def _unique_slug(text: str) -> str:
    base = slugify(text)[:180] or "group"
    slug, n = base, 2
    while QuestionGroup.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _text(value, *, field: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    value = validate_text(value, field=field).strip()
    if required and not value:
        raise ValidationError(f"{field} is required.", field=field)
    if len(value) > max_length:
        raise ValidationError(f"{field} must be at most {max_length} characters.", field=field)
    return value


@transaction.atomic
def group_generate(*, trial: Trial, created_by=None, close_time: dt.datetime | None = None, title: str | None = None,
                   description: str | None = None, at: dt.datetime | None = None) -> GenerateResult:
    """Create a draft group of ``trial``'s standard readout questions (every member a draft, open from now until
    ``close_time``, default a year), with titles, resolution criteria and readout bindings filled in. Members whose
    question type does not exist here (multiple choice, date) are skipped and listed in ``skipped``.
    Raises ValidationError naming ``trial``, ``close_time``, ``title`` or ``description``; nothing is stored then."""
    if not isinstance(trial, Trial):
        raise ValidationError("trial must be a trial id.", field="trial")
    now = at or timezone.now()
    close_time = close_time or now + DEFAULT_HORIZON
    if not isinstance(close_time, dt.datetime) or timezone.is_naive(close_time):
        raise ValidationError("close_time must be a timezone-aware date and time.", field="close_time")
    if close_time <= now + dt.timedelta(days=1):
        raise ValidationError("close_time must be at least a day from now.", field="close_time")
    title = _text(title, field="title", max_length=300) or f"{trial.name}: readout questions"
    description = _text(description, field="description", max_length=4000) or (
        f"The questions {trial.name}'s first presentation of results will answer. One readout resolves them all.")
    group = QuestionGroup.objects.create(trial=trial, title=title, slug=_unique_slug(title), description=description,
                                         created_by=created_by, created_at=now)
    result, made = GenerateResult(group=group), {}
    order = 0
    for spec in trial_template_specs(trial, close_time=close_time, now=now):
        if spec.needs_type and not type_available(spec.needs_type):
            result.skipped.append((spec.template, f"Question.Type has no {spec.needs_type} here"))
            continue
        if spec.pair:
            parent, child = (made.get(t) for t in spec.pair)
            if parent is None or child is None:
                result.skipped.append((spec.template, "its parent or child was not generated"))
                continue
            pair = ConditionalPair.objects.filter(parent=parent, child=child).first()
            if pair is not None:
                result.reused.append((spec.template, pair.pk))
            else:
                pair = pair_create(parent=parent, child=child, created_by=created_by, at=now)
            QuestionGroupMember.objects.create(group=group, order=order, template=spec.template, pair=pair)
        else:
            fields = {k: v for k, v in spec.fields.items() if k in QUESTION_EDITABLE_FIELDS}
            missing = set(spec.fields) - set(fields)
            if missing:
                result.skipped.append((spec.template, f"questions here have no field {', '.join(sorted(missing))}"))
                continue
            question = _existing(trial, fields)
            if question is not None:
                result.reused.append((spec.template, question.pk))
            else:
                try:
                    with transaction.atomic():
                        question = question_create(created_by=created_by, status=Question.Status.DRAFT,
                                                   trial=trial, open_time=now, scheduled_close_time=close_time,
                                                   **fields)
                except (ValidationError, StateError) as exc:
                    if not spec.needs_type:
                        raise
                    # A member of a type another part of the site defines (multiple choice, date) whose rules
                    # refuse this trial's spec: leave it out and say why, rather than refuse the whole group.
                    result.skipped.append((spec.template, f"{exc.field or 'question'}: {exc.message}"))
                    continue
            made[spec.template] = question
            QuestionGroupMember.objects.create(group=group, order=order, template=spec.template, question=question)
        order += 1
    return result


def group_questions(group: QuestionGroup) -> list[Question]:
    """Every question of the group, members first and then the questions of its pairs, without repeats."""
    members = list(group.members.select_related("question", "pair__parent", "pair__child"))
    seen, out = set(), []
    for m in members:
        for q in ([m.question] if m.question_id else [m.pair.parent, m.pair.child]):
            if q.pk not in seen:
                seen.add(q.pk)
                out.append(q)
    return out


@transaction.atomic
def group_publish(*, group: QuestionGroup, actor=None) -> QuestionGroup:
    """Publish the group and open every draft member together, all or nothing: one member that cannot open (its
    close time has passed, ...) leaves the group and every member a draft. A draft whose open time has passed opens
    now (nobody could forecast it before). Raises StateError (409) when the group is already published,
    ValidationError naming the member when one cannot open."""
    group = QuestionGroup.objects.select_for_update().get(pk=group.pk)
    if group.status != QuestionGroup.Status.DRAFT:
        raise StateError("This group is already published.", field="status")
    now = timezone.now()
    questions = group_questions(group)
    if not questions:
        raise ValidationError("The group has no questions to publish.", field="members")
    for question in questions:
        if question.status != Question.Status.DRAFT:
            continue
        try:
            if question.open_time < now:
                question = question_update(question=question, open_time=now)
            question_open(question=question)
        except (ValidationError, StateError) as exc:
            raise ValidationError(f"members: question {question.pk} ({question.title!r}) cannot open: "
                                  f"{exc.message}", field="members") from None
    group.status, group.published_at = QuestionGroup.Status.PUBLISHED, now
    group.save(update_fields=["status", "published_at"])
    return group


def _number(value, *, field: str, required: bool) -> float | None:
    if value is None:
        if required:
            raise ValidationError(f"{field} is required.", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValidationError(f"{field} must be a finite number (got {value!r}).", field=field)
    return float(value)


RESULT_FIELDS = {"endpoint", "metric", "value", "ci_lower", "ci_upper", "p_value", "note"}


@transaction.atomic
def group_readout_enter(*, group: QuestionGroup, source, known_at, results, url: str = "", created_by=None
                        ) -> list[Readout]:
    """Enter one conference readout for the group's trial: every reported figure (``results``, a list of
    {"endpoint": code, "metric": ..., "value": ..., optional ci_lower, ci_upper, p_value, note}) from one
    ``source`` public at ``known_at``, all or nothing. Each figure is stored as a Readout (created, or updated when
    the same trial, endpoint, metric and source exist) and proposes resolutions for every question bound to it, so
    one call proposes for the whole group. Errors name the field, e.g. ``results[2].metric``."""
    if not isinstance(results, list) or not results:
        raise ValidationError("results must be a non-empty list of reported figures.", field="results")
    if len(results) > MAX_RESULTS:
        raise ValidationError(f"At most {MAX_RESULTS} figures per readout.", field="results")
    codes = {te.endpoint.code.upper(): te.endpoint
             for te in TrialEndpoint.objects.filter(trial_id=group.trial_id).select_related("endpoint")}
    readouts = []
    for i, item in enumerate(results):
        where = f"results[{i}]"
        if not isinstance(item, dict):
            raise ValidationError("Each figure must be an object.", field=where)
        unknown = set(item) - RESULT_FIELDS
        if unknown:
            raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", field=where)
        code = item.get("endpoint")
        endpoint = codes.get(code.upper()) if isinstance(code, str) else None
        if endpoint is None:
            raise ValidationError(f"endpoint must be one of this trial's endpoint codes: {', '.join(sorted(codes))}.",
                                  field=f"{where}.endpoint")
        fields = {name: _number(item.get(name), field=f"{where}.{name}", required=name == "value")
                  for name in ("value", "ci_lower", "ci_upper", "p_value")}
        try:
            readout, _ = readout_upsert(
                created_by=created_by, trial=group.trial, endpoint=endpoint, metric=item.get("metric"),
                source=source, url=url, known_at=known_at, note=item.get("note") or "", **fields,
            )
        except ValidationError as exc:
            name = exc.field if exc.field in ("metric", "value", "ci_lower", "ci_upper", "p_value", "note") else None
            raise ValidationError(exc.message, field=f"{where}.{name}" if name else (exc.field or where)) from None
        readouts.append(readout)
    return readouts


def group_pending_proposals(group: QuestionGroup):
    ids = [q.pk for q in group_questions(group)]
    return (ProposedResolution.objects.filter(question_id__in=ids, status=ProposedResolution.Status.PENDING)
            .select_related("readout", "question").order_by("question_id", "pk"))


def group_proposals_confirm(*, group: QuestionGroup, actor) -> ConfirmAllResult:
    """Confirm every pending proposal on the group's questions, each in its own transaction (as the staff's
    "confirm all" does); a proposal that cannot be confirmed is reported in ``failed`` and stays pending."""
    result = ConfirmAllResult()
    for proposal in group_pending_proposals(group):
        if not ProposedResolution.objects.filter(pk=proposal.pk, status=ProposedResolution.Status.PENDING).exists():
            continue  # superseded by confirming another proposal on the same question
        try:
            result.confirmed.append(proposal_confirm(proposal=proposal, actor=actor))
        except (StateError, ValidationError) as exc:
            result.failed.append((proposal, exc.message))
    return result


@transaction.atomic
def group_member_remove(*, group: QuestionGroup, template: str) -> None:
    """Drop a member from a draft group (staff editing the generated set). A draft question it generated goes too
    (with the pairs of this group that need it); a question that was reused stays. Raises StateError once the group
    is published, ValidationError naming ``template`` when there is no such member."""
    group = QuestionGroup.objects.select_for_update().get(pk=group.pk)
    if group.status != QuestionGroup.Status.DRAFT:
        raise StateError("Members can be removed only while the group is a draft.", field="status")
    member = group.members.filter(template=template).select_related("question").first()
    if member is None:
        raise ValidationError(f"No member generated from template {template!r}.", field="template")
    question = member.question
    member.delete()
    if question is None or question.status != Question.Status.DRAFT:
        return
    for pair_member in group.members.filter(pair__in=ConditionalPair.objects.filter(parent=question)
                                            | ConditionalPair.objects.filter(child=question)):
        pair = pair_member.pair
        pair_member.delete()
        if not pair.forecasts.exists():
            pair.delete()
    if not question.group_memberships.exists() and not ConditionalPair.objects.filter(parent=question).exists() \
            and not ConditionalPair.objects.filter(child=question).exists():
        question.delete()


def group_pairs(group: QuestionGroup) -> list[ConditionalPair]:
    return [m.pair for m in group.members.select_related("pair__parent", "pair__child") if m.pair_id]
