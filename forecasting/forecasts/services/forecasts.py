"""Forecast services: submit, update, withdraw and bulk-submit forecasts, keeping the community forecast current.

Every write on a question locks that question's CommunityState row first (``select_for_update``), so forecasts on
one question are applied one at a time, in the order of their timestamps, and the incremental community forecast
never sees a torn active set. The cost of one forecast is O(active forecasters) in memory and O(1) amortized in
database writes, independent of history length (see forecasting.forecasts.services.community).
"""
import datetime as dt
import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assets.errors import StateError, ValidationError
from assets.validators import validate_text
from forecasting.accounts.follows import follow_auto
from forecasting.accounts.selectors import user_require_verified
from forecasting.common.enqueue import NOTIFY_COMMUNITY_MOVE, enqueue_debounced_on_commit
from forecasting.forecasts.choice import probabilities_parse
from forecasting.forecasts.models import CommunityForecastPoint, CommunityState, Forecast, ForecasterQuestion
from forecasting.forecasts.services.date_input import date_cdf_error_message, date_quantiles_parse
from forecasting.maths import cdf as cdf_math
from forecasting.maths.aggregation import ActiveSet
from forecasting.maths.aggregation.choice import KIND as CHOICE_KIND
from forecasting.forecasts.services.community import (
    community_active_set_load, community_state_lock, community_state_save,
)
from markets.models import Question
from markets.units import shown

MAX_RATIONALE_LENGTH = 4000
MAX_BULK_ITEMS = 500
_MISSING = object()


@dataclass(frozen=True)
class ParsedForecast:
    """A validated forecast value: ``value`` is a float (binary) or a (201,) float64 array (numeric)."""

    value: Any
    input: dict


def _kind(question: Question) -> str:
    if question.is_multiple_choice:
        return CHOICE_KIND
    return "binary" if question.is_binary else "numeric"


def _parse_probability(raw, *, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, Real):
        raise ValidationError(
            f"The probability must be a number between 0.001 and 0.999 (you entered {shown(raw)}).", field=field
        )
    value = float(raw)
    if not math.isfinite(value) or not (0.001 <= value <= 0.999):
        raise ValidationError(
            f"The probability must be between 0.001 and 0.999 (you entered {shown(raw)}).", field=field
        )
    return value


def _parse_quantiles(raw, *, field: str) -> dict[float, float]:
    if not isinstance(raw, dict) or not raw:
        raise ValidationError(
            'The quantiles must map levels to values, e.g. {"0.1": 4, "0.5": 6, "0.9": 9}.', field=field
        )
    parsed = {}
    for key, value in raw.items():
        try:
            level = float(key)
        except (TypeError, ValueError):
            raise ValidationError(f"Quantile level {shown(key)} is not a number between 0 and 1.", field=field) from None
        if not math.isfinite(level) or not 0 < level < 1:
            raise ValidationError(f"Quantile level {shown(key)} must be strictly between 0 and 1.", field=field)
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
            raise ValidationError(f"The value for quantile level {key} must be a number.", field=field)
        parsed[level] = float(value)
    return parsed


def forecast_parse(
    *, question: Question, probability=_MISSING, cdf=_MISSING, quantiles=_MISSING, probabilities=_MISSING,
    prefix: str = "",
) -> ParsedForecast:
    """Validate a submission against the question type. Raises ValidationError naming the field (with ``prefix``)."""
    given = [name for name, v in (("probability", probability), ("cdf", cdf), ("quantiles", quantiles),
                                  ("probabilities", probabilities)) if v is not _MISSING]
    if question.is_multiple_choice or "probabilities" in given:
        return _parse_choice(question, given, probabilities, prefix)
    if question.is_binary:
        if given != ["probability"]:
            raise ValidationError(
                "A binary question takes exactly one field, probability, between 0.001 and 0.999.",
                field=f"{prefix}probability",
            )
        p = _parse_probability(probability, field=f"{prefix}probability")
        return ParsedForecast(value=p, input={"probability": p})
    if len(given) != 1 or given[0] == "probability":
        raise ValidationError(
            "A numeric question takes either cdf (201 cumulative probabilities) or quantiles "
            '(e.g. {"0.1": low, "0.5": median, "0.9": high}), not both.',
            field=f"{prefix}{given[0] if len(given) == 1 else 'cdf'}",
        )
    bounds = {"open_lower": question.open_lower_bound, "open_upper": question.open_upper_bound}
    try:
        if cdf is not _MISSING:
            array = cdf_math.validate_cdf(cdf, **bounds)
            return ParsedForecast(value=array, input={"type": "cdf"})
        if question.is_date:
            return _parse_date_quantiles(question=question, quantiles=quantiles, prefix=prefix)
        levels = _parse_quantiles(quantiles, field=f"{prefix}quantiles")
        array = cdf_math.quantiles_to_cdf(
            levels,
            range_min=question.range_min,
            range_max=question.range_max,
            log_scale=question.log_scale,
            **bounds,
        )
        return ParsedForecast(
            value=array, input={"type": "quantiles", "quantiles": {f"{k:g}": v for k, v in sorted(levels.items())}}
        )
    except cdf_math.CdfError as exc:
        raise ValidationError(str(exc.message), field=f"{prefix}{exc.field or given[0]}") from None


def _parse_date_quantiles(*, question: Question, quantiles, prefix: str) -> ParsedForecast:
    """Quantiles typed as ISO dates (forecasting.forecasts.services.date_input), converted like numeric ones on the
    axis in seconds; the stored input keeps the dates as typed."""
    seconds, typed = date_quantiles_parse(question=question, quantiles=quantiles, field=f"{prefix}quantiles")
    try:
        array = cdf_math.quantiles_to_cdf(
            seconds, range_min=question.range_min, range_max=question.range_max, log_scale=False,
            open_lower=question.open_lower_bound, open_upper=question.open_upper_bound,
        )
    except cdf_math.CdfError as exc:
        message = date_cdf_error_message(str(exc.message), question=question, seconds=seconds)
        raise ValidationError(message, field=f"{prefix}quantiles") from None
    return ParsedForecast(value=array, input={"type": "quantiles", "quantiles": typed})
def _parse_choice(question: Question, given: list[str], probabilities, prefix: str) -> ParsedForecast:
    if not question.is_multiple_choice:
        raise ValidationError("probabilities is for multiple-choice questions only.", field=f"{prefix}probabilities")
    if given != ["probabilities"]:
        raise ValidationError(
            "A multiple-choice question takes exactly one field, probabilities: one number per option, summing to 1.",
            field=f"{prefix}probabilities",
        )
    values = probabilities_parse(probabilities, options=question.options or [], field=f"{prefix}probabilities")
    return ParsedForecast(value=values, input={"probabilities": values})


def _clean_rationale(rationale, *, field: str = "rationale") -> str:
    if rationale is None:
        return ""
    if not isinstance(rationale, str):
        raise ValidationError("The rationale must be text.", field=field)
    # NUL and lone surrogates: PostgreSQL cannot store them (the pages' form and other callers reach here too).
    rationale = validate_text(rationale, field=field).strip()
    if len(rationale) > MAX_RATIONALE_LENGTH:
        raise ValidationError(f"The rationale can be at most {MAX_RATIONALE_LENGTH:,} characters.", field=field)
    return rationale


def _apply(
    *, state: CommunityState, user, parsed: ParsedForecast | None, rationale: str, at: dt.datetime | None
) -> Forecast:
    """Append one forecast (or a withdrawal when ``parsed`` is None) under the state lock and update the aggregate."""
    question = state.question
    now = at or timezone.now()
    if state.updated_at and now < state.updated_at:
        if at is not None:
            raise ValidationError("Forecasts must be recorded in time order.", field="created_at")
        now = state.updated_at  # clock skew between app servers: never step the series backwards
    reason = question.closed_reason(at=now)
    if reason:
        raise StateError(reason, code="forecasting_closed")

    fq = ForecasterQuestion.objects.select_for_update().filter(question=question, user=user).first()
    active = community_active_set_load(state=state, kind=_kind(question))
    if parsed is None:
        if fq is None or fq.current_id is None:
            raise StateError("You have no active forecast on this question to withdraw.")
        forecast = Forecast.objects.create(
            question=question, user=user, kind=Forecast.Kind.WITHDRAWAL, created_at=now, rationale=rationale
        )
        active.remove(user.pk)
    elif question.is_multiple_choice:
        forecast = Forecast.objects.create(
            question=question, user=user, created_at=now, probabilities=parsed.value, input=parsed.input,
            rationale=rationale,
        )
        active.upsert(user.pk, parsed.value)
    else:
        is_numeric = question.is_continuous
        forecast = Forecast.objects.create(
            question=question,
            user=user,
            created_at=now,
            probability=None if is_numeric else parsed.value,
            cdf=np.asarray(parsed.value, dtype="<f8").tobytes() if is_numeric else None,
            input=parsed.input,
            rationale=rationale,
        )
        active.upsert(user.pk, parsed.value)

    if fq is None:
        ForecasterQuestion.objects.create(
            question=question, user=user, current=forecast, first_forecast_at=now, updated_at=now, forecast_count=1
        )
        Question.objects.filter(pk=question.pk).update(forecaster_count=F("forecaster_count") + 1)
    else:
        fq.current = None if parsed is None else forecast
        fq.updated_at = now
        fq.forecast_count += 1
        fq.save(update_fields=["current", "updated_at", "forecast_count"])

    point = CommunityForecastPoint.objects.create(**community_point_fields(question, active), created_at=now)
    community_state_save(state=state, active=active, forecast=forecast, point=point)
    return forecast


def community_point_fields(question: Question, active: ActiveSet) -> dict:
    """The fields of a CommunityForecastPoint for ``active`` (the question's active forecasts): the count, and the
    median and extremized probability (binary) or the mean CDF with its 10/50/90% quantiles in the question's units,
    each within [range_min, range_max] (numeric). Used for every forecast and by ``generate_load_data`` to write
    the same points in bulk."""
    fields = {"question": question, "forecaster_count": len(active)}
    if len(active) == 0:
        return fields
    if question.is_multiple_choice:  # per-option weighted medians, renormalized (maths.aggregation.choice)
        fields.update(probabilities=active.aggregate().tolist())
        return fields
    if question.is_binary:
        median, extremized = active.binary_aggregates(a=settings.READOUT["EXTREMIZING_FACTOR"])
        fields.update(median=float(median), extremized=float(extremized))
        return fields
    cdf = np.asarray(active.numeric_aggregate(), dtype="<f8")
    # A quantile beyond an open bound is stored as the bound itself (never ±inf, nor 0.0 on a log scale); readers
    # re-derive the "beyond" marker from the value (cdf_math.quantile_in_range, docs/forecast-maths.md 2.5).
    values, _ = cdf_math.cdf_quantiles_in_range(
        cdf, (0.1, 0.5, 0.9), range_min=question.range_min, range_max=question.range_max,
        log_scale=question.log_scale, open_lower=question.open_lower_bound, open_upper=question.open_upper_bound,
    )
    q10, q50, q90 = (float(v) for v in values)
    fields.update(cdf=cdf.tobytes(), q10=q10, q50=q50, q90=q90)
    return fields


def forecast_create(
    *,
    question: Question,
    user,
    probability=_MISSING,
    cdf=_MISSING,
    quantiles=_MISSING,
    probabilities=_MISSING,
    rationale: str | None = "",
    at: dt.datetime | None = None,
) -> Forecast:
    """Record a new forecast (a first one or an update; older rows are never touched).

    Binary questions take ``probability`` in [0.001, 0.999]; multiple-choice ones ``probabilities`` (one per
    option, summing to 1, ``forecasting.forecasts.choice``); numeric ones ``cdf`` (201 values) or ``quantiles``
    ({level: value in the question's units}). ``at`` is for loading historical data in time order; the API never
    passes it. Raises ValidationError (bad input, HTTP 400) or StateError (question not accepting forecasts, 409);
    in either case nothing is stored; PermissionDenied (403) for an account whose e-mail address is not confirmed.
    """
    user_require_verified(user=user)
    parsed = forecast_parse(
        question=question, probability=probability, cdf=cdf, quantiles=quantiles, probabilities=probabilities
    )
    rationale = _clean_rationale(rationale)
    with transaction.atomic():
        state = community_state_lock(question_id=question.pk)
        forecast = _apply(state=state, user=user, parsed=parsed, rationale=rationale, at=at)
        _after_forecast(question=question, user=user, live=at is None)
        return forecast


def _after_forecast(*, question: Question, user, live: bool = True) -> None:
    """Forecasting follows the question (unless the user turned auto-follow off or left it), and, once committed,
    the followers whose community-move threshold was reached are told (never while the community is hidden; not for
    historical loads, ``live=False``)."""
    follow_auto(user=user, target=question)
    if live and question.is_revealed():
        # A burst of forecasts makes one check, a debounce window later, of the state it left (docs/notifications.md).
        enqueue_debounced_on_commit(NOTIFY_COMMUNITY_MOVE, question.pk, user.pk, key=f"community-move:{question.pk}",
                                    seconds=settings.READOUT_NOTIFY_MOVE_DEBOUNCE)


def forecast_withdraw(*, question: Question, user, at: dt.datetime | None = None) -> Forecast:
    """Withdraw the user's active forecast: from now on they have none on this question (a withdrawal row)."""
    with transaction.atomic():
        state = community_state_lock(question_id=question.pk)
        return _apply(state=state, user=user, parsed=None, rationale="", at=at)


def forecasts_bulk_create(*, user, items: list[dict]) -> list[Forecast]:
    """Submit forecasts on many questions at once, all or nothing.

    Each item is {"question": id, "probability" | "cdf" | "quantiles" | "probabilities": ..., "rationale": optional}. Errors name the
    item, e.g. ``forecasts[3].probability``. States are locked in question-id order so concurrent bulk requests
    cannot deadlock.
    """
    user_require_verified(user=user)
    if not isinstance(items, list) or not items:
        raise ValidationError("forecasts must be a non-empty list.", field="forecasts")
    if len(items) > MAX_BULK_ITEMS:
        raise ValidationError(f"At most {MAX_BULK_ITEMS} forecasts per request.", field="forecasts")
    question_ids = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError("Each forecast must be an object.", field=f"forecasts[{i}]")
        qid = item.get("question")
        # Ids beyond 64 bits cannot be looked up (SQLite raises OverflowError), so they are refused here.
        if isinstance(qid, bool) or not isinstance(qid, int) or not 1 <= qid < 2**63:
            raise ValidationError("question must be a question id (a positive integer).",
                                  field=f"forecasts[{i}].question")
        question_ids.append(qid)
    duplicates = {qid for qid in question_ids if question_ids.count(qid) > 1}
    if duplicates:
        raise ValidationError(
            f"Each question may appear once per request; repeated: {sorted(duplicates)}.", field="forecasts"
        )
    questions = Question.objects.filter_visible().in_bulk(question_ids)
    parsed = []
    for i, item in enumerate(items):
        question = questions.get(item["question"])
        if question is None:
            raise ValidationError(f"No question with id {item['question']}.", field=f"forecasts[{i}].question")
        unknown = set(item) - {"question", "probability", "cdf", "quantiles", "probabilities", "rationale"}
        if unknown:
            raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", field=f"forecasts[{i}]")
        values = {k: item[k] for k in ("probability", "cdf", "quantiles", "probabilities") if k in item}
        parsed.append(
            (
                question,
                forecast_parse(question=question, prefix=f"forecasts[{i}].", **values),
                _clean_rationale(item.get("rationale"), field=f"forecasts[{i}].rationale"),
            )
        )
    created = {}
    with transaction.atomic():
        for question, value, rationale in sorted(parsed, key=lambda row: row[0].pk):
            state = community_state_lock(question_id=question.pk)
            try:
                created[question.pk] = _apply(state=state, user=user, parsed=value, rationale=rationale, at=None)
                _after_forecast(question=question, user=user)
            except StateError as exc:
                index = question_ids.index(question.pk)
                raise StateError(f"forecasts[{index}]: {exc.message}", field=f"forecasts[{index}].question") from None
    return [created[qid] for qid in question_ids]
