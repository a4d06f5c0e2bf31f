"""Conditional pairs: create one (validated: two different binary questions, no cycle), and record forecasts on it
(append-only rows, both branches' community forecasts updated incrementally under the pair's state lock).

Scoring a pair once its questions resolve is ``forecasting.conditional.scoring``.
"""
from __future__ import annotations

import datetime as dt
import math
from numbers import Real

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from assets.errors import StateError, ValidationError
from assets.validators import validate_text
from forecasting.accounts.selectors import user_require_verified
from forecasting.conditional.models import (
    ConditionalCommunityPoint, ConditionalForecast, ConditionalPair, ConditionalState,
)
from forecasting.maths.aggregation import ActiveSet
from markets.models import Question

MAX_RATIONALE_LENGTH = 4000
FINAL = (Question.Status.RESOLVED, Question.Status.ANNULLED)
# Any transaction that creates a pair takes this lock first on PostgreSQL, so two pairs that would together close a
# cycle (A->B and B->A, or longer) cannot both pass the check concurrently. SQLite serializes writers anyway.
_PAIR_GRAPH_LOCK = 0x52454144  # "READ"


def _ancestors(question_id: int) -> set[int]:
    """Ids of every question from which ``question_id`` is reachable through parent -> child pairs."""
    edges: dict[int, list[int]] = {}
    for parent_id, child_id in ConditionalPair.objects.values_list("parent_id", "child_id"):
        edges.setdefault(child_id, []).append(parent_id)
    seen, stack = set(), [question_id]
    while stack:
        for parent_id in edges.get(stack.pop(), ()):
            if parent_id not in seen:
                seen.add(parent_id)
                stack.append(parent_id)
    return seen


def _unique_slug(parent: Question, child: Question) -> str:
    base = slugify(f"if {parent.slug} then {child.slug}")[:180] or "conditional"
    slug, n = base, 2
    while ConditionalPair.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def pair_create(*, parent: Question, child: Question, created_by=None, at: dt.datetime | None = None) -> ConditionalPair:
    """Create the pair "if ``parent``, then ``child``?".

    Rules (ValidationError naming ``parent`` or ``child``, nothing stored): both are binary questions; they differ;
    neither is resolved or annulled; the pair does not exist yet; ``child`` is not an ancestor of ``parent``
    through other pairs (a cycle would make a question conditional on itself). ``at`` is for loading history.
    """
    if not isinstance(parent, Question):
        raise ValidationError("parent must be a question id.", field="parent")
    if not isinstance(child, Question):
        raise ValidationError("child must be a question id.", field="child")
    if parent.pk == child.pk:
        raise ValidationError("child must be a different question from parent: a question cannot be conditional "
                              "on itself.", field="child")
    for name, question in (("parent", parent), ("child", child)):
        if not question.is_binary:
            raise ValidationError(f"{name} must be a binary question (question {question.pk} is {question.type}).",
                                  field=name)
        if question.status in FINAL:
            raise ValidationError(f"{name} is already {question.status}; a conditional pair needs open questions.",
                                  field=name)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PAIR_GRAPH_LOCK])
        if ConditionalPair.objects.filter(parent=parent, child=child).exists():
            raise ValidationError("This conditional pair exists already.", field="child")
        if child.pk in _ancestors(parent.pk):
            raise ValidationError(
                f"child (question {child.pk}) is already an ancestor of parent (question {parent.pk}) through other "
                "conditional pairs: this pair would make a cycle.", field="child",
            )
        pair = ConditionalPair.objects.create(
            parent=parent, child=child, slug=_unique_slug(parent, child), created_by=created_by,
            created_at=at or timezone.now(),
        )
        ConditionalState.objects.create(pair=pair)
    return pair


def pair_open_time(pair: ConditionalPair) -> dt.datetime:
    """T0 of the pair: the latest of its questions' open times and its own creation."""
    return max(pair.parent.open_time, pair.child.open_time, pair.created_at)


def pair_closed_reason(pair: ConditionalPair, *, at: dt.datetime | None = None) -> str | None:
    """Why the pair takes no forecast at ``at`` (None if it does): both questions must accept forecasts."""
    at = at or timezone.now()
    if at < pair.created_at:
        return "This conditional pair did not exist yet."
    for name, question in (("parent", pair.parent), ("child", pair.child)):
        reason = question.closed_reason(at=at)
        if reason:
            return f"The {name} question is not taking forecasts: {reason}"
    return None


def _probability(raw, *, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, Real):
        raise ValidationError(f"{field} must be a number between 0.001 and 0.999 (got {raw!r}).", field=field)
    value = float(raw)
    if not math.isfinite(value) or not 0.001 <= value <= 0.999:
        raise ValidationError(f"{field} must be between 0.001 and 0.999 (got {raw!r}).", field=field)
    return value


def _rationale(raw) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValidationError("rationale must be text.", field="rationale")
    text = validate_text(raw, field="rationale").strip()
    if len(text) > MAX_RATIONALE_LENGTH:
        raise ValidationError(f"rationale must be at most {MAX_RATIONALE_LENGTH} characters.", field="rationale")
    return text


def _state_lock(pair_id: int) -> ConditionalState:
    state = ConditionalState.objects.select_for_update().filter(pair_id=pair_id).first()
    if state is None:
        ConditionalState.objects.get_or_create(pair_id=pair_id)
        state = ConditionalState.objects.select_for_update().get(pair_id=pair_id)
    return state


def _active(raw) -> ActiveSet:
    data = bytes(raw or b"")
    return ActiveSet.from_bytes(data, "binary") if data else ActiveSet("binary")


def _apply(*, pair: ConditionalPair, user, values: tuple[float, float] | None, rationale: str,
           at: dt.datetime | None) -> ConditionalForecast:
    state = _state_lock(pair.pk)
    now = at or timezone.now()
    if state.updated_at and now < state.updated_at:
        if at is not None:
            raise ValidationError("Forecasts must be recorded in time order.", field="created_at")
        now = state.updated_at  # clock skew between app servers: never step the series backwards
    reason = pair_closed_reason(pair, at=now)
    if reason:
        raise StateError(reason, code="forecasting_closed")
    yes, no = _active(state.data_yes), _active(state.data_no)
    had_forecast = user.pk in yes
    first = not ConditionalForecast.objects.filter(pair=pair, user=user).exists()
    if values is None:
        if not had_forecast:
            raise StateError("You have no active forecast on this conditional pair to withdraw.")
        forecast = ConditionalForecast.objects.create(pair=pair, user=user, kind=ConditionalForecast.Kind.WITHDRAWAL,
                                                      created_at=now)
        yes.remove(user.pk)
        no.remove(user.pk)
    else:
        forecast = ConditionalForecast.objects.create(pair=pair, user=user, created_at=now, p_yes=values[0],
                                                      p_no=values[1], rationale=rationale)
        yes.upsert(user.pk, values[0])
        no.upsert(user.pk, values[1])
    a = settings.READOUT["EXTREMIZING_FACTOR"]
    point = {"pair": pair, "created_at": now, "forecaster_count": len(yes)}
    if len(yes):
        (ym, ye), (nm, ne) = yes.binary_aggregates(a=a), no.binary_aggregates(a=a)
        point.update(yes_median=float(ym), yes_extremized=float(ye), no_median=float(nm), no_extremized=float(ne))
    ConditionalCommunityPoint.objects.create(**point)
    state.data_yes, state.data_no = yes.to_bytes(), no.to_bytes()
    state.last_forecast_id, state.updated_at = forecast.pk, now
    state.save(update_fields=["data_yes", "data_no", "last_forecast_id", "updated_at"])
    if first:
        ConditionalPair.objects.filter(pk=pair.pk).update(forecaster_count=F("forecaster_count") + 1)
    return forecast


def conditional_forecast_create(*, pair: ConditionalPair, user, p_yes, p_no, rationale: str | None = "",
                                at: dt.datetime | None = None) -> ConditionalForecast:
    """Record both conditional probabilities: ``p_yes`` = P(child Yes | parent Yes), ``p_no`` = P(child Yes |
    parent No), each in [0.001, 0.999]. A new row every time (append-only). Raises ValidationError naming
    ``p_yes``/``p_no``/``rationale`` (400), StateError when either question is not taking forecasts (409),
    PermissionDenied for an unconfirmed account (403); nothing is stored then."""
    user_require_verified(user=user)
    values = (_probability(p_yes, field="p_yes"), _probability(p_no, field="p_no"))
    text = _rationale(rationale)
    with transaction.atomic():
        return _apply(pair=pair, user=user, values=values, rationale=text, at=at)


def conditional_forecast_withdraw(*, pair: ConditionalPair, user, at: dt.datetime | None = None) -> ConditionalForecast:
    """Withdraw the user's active forecast on both branches (a withdrawal row)."""
    with transaction.atomic():
        return _apply(pair=pair, user=user, values=None, rationale="", at=at)


MAX_BULK_ITEMS = 500


def conditional_forecasts_bulk_create(*, user, items) -> list[ConditionalForecast]:
    """Forecast many pairs at once, all or nothing: items are {"pair": id, "p_yes": p, "p_no": p, "rationale":
    optional}; errors name the item (``forecasts[3].p_yes``). Pairs are locked in id order (no deadlock)."""
    user_require_verified(user=user)
    if not isinstance(items, list) or not items:
        raise ValidationError("forecasts must be a non-empty list.", field="forecasts")
    if len(items) > MAX_BULK_ITEMS:
        raise ValidationError(f"At most {MAX_BULK_ITEMS} forecasts per request.", field="forecasts")
    parsed = []
    for i, item in enumerate(items):
        where = f"forecasts[{i}]"
        if not isinstance(item, dict):
            raise ValidationError("Each forecast must be an object.", field=where)
        unknown = set(item) - {"pair", "p_yes", "p_no", "rationale"}
        if unknown:
            raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", field=where)
        pid = item.get("pair")
        if isinstance(pid, bool) or not isinstance(pid, int) or not 1 <= pid < 2**63:
            raise ValidationError("pair must be a conditional pair id (a positive integer).", field=f"{where}.pair")
        try:
            values = (_probability(item.get("p_yes"), field="p_yes"), _probability(item.get("p_no"), field="p_no"))
            text = _rationale(item.get("rationale"))
        except ValidationError as exc:
            raise ValidationError(exc.message, field=f"{where}.{exc.field}") from None
        parsed.append((i, pid, values, text))
    ids = [pid for _, pid, _, _ in parsed]
    if len(set(ids)) != len(ids):
        raise ValidationError("Each pair may appear once per request.", field="forecasts")
    pairs = (ConditionalPair.objects.select_related("parent", "child").exclude(parent__status=Question.Status.DRAFT)
             .exclude(child__status=Question.Status.DRAFT).in_bulk(ids))
    for i, pid, _, _ in parsed:
        if pid not in pairs:
            raise ValidationError(f"No conditional pair with id {pid}.", field=f"forecasts[{i}].pair")
    created = {}
    with transaction.atomic():
        for i, pid, values, text in sorted(parsed, key=lambda row: row[1]):
            try:
                created[pid] = _apply(pair=pairs[pid], user=user, values=values, rationale=text, at=None)
            except StateError as exc:
                raise StateError(f"forecasts[{i}]: {exc.message}", field=f"forecasts[{i}].pair") from None
    return [created[pid] for pid in ids]
