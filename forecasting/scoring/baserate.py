"""The base-rate reference forecaster (docs/scoring.md, "The base-rate forecaster"; data in docs/questions.md).

It forecasts once, at the question's open time T0, from what was known then, and is scored exactly like a user who
made that one forecast at T0 (the same ``forecasting.maths.scoring`` series scoring: time-averaged Brier or unit CRPS,
relative against the community median, baseline). It is a ``Score`` subject of its own (``base_rate``), not a user:
it never enters the community forecast, nobody's peer score, nor a leaderboard rank; leaderboards show it as a
reference row. Questions it covers:

- "primary endpoint met" questions: binary, bound to ``met_endpoint`` or ``statistically_significant`` of an endpoint
  the trial lists as primary: the phase-success rate of the trial's phase and therapeutic area from the shipped
  table (``assets.base_rates``), or one minus it when the question's Yes means the endpoint was missed;
- magnitude questions (bound to any other metric): the platform's own readouts of the same endpoint, metric and
  trial phase from other trials, public before T0, once there are at least ``MIN_SAMPLE``: the share that meets the
  threshold (binary), or their smoothed empirical distribution (numeric). Fewer: no base-rate forecast.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from assets.base_rates import PHASE_ROW, trial_base_rate
from assets.models import Readout, TrialEndpoint
from forecasting.maths import scoring as sm
from forecasting.maths.empirical import empirical_cdf, empirical_probability
from forecasting.resolution.services.readouts import COMPARATORS, FLAG_METRICS
from forecasting.scoring.models_baserate import BaseRateForecast
from markets.models import Question

MIN_SAMPLE = 5
MET_METRICS = {Readout.Metric.MET_ENDPOINT, Readout.Metric.STATISTICALLY_SIGNIFICANT}
Method = BaseRateForecast.Method


@dataclass(frozen=True)
class BaseRateProposal:
    """What the base rate forecasts on a question, and where the number comes from (``source``, a sentence)."""

    method: str
    source: str
    probability: float | None = None
    cdf: np.ndarray | None = None
    citation: dict = field(default_factory=dict)
    sample_size: int | None = None


def _met_direction(question: Question) -> bool | None:
    """True if Yes means "met", False if Yes means "missed", None if the binding says neither."""
    compare = COMPARATORS.get(question.bound_comparator)
    if compare is None or question.bound_threshold is None:
        return None
    yes_if_met, yes_if_missed = compare(1.0, question.bound_threshold), compare(0.0, question.bound_threshold)
    if yes_if_met == yes_if_missed:
        return None
    return yes_if_met


def _phase_success(question: Question) -> BaseRateProposal | None:
    is_primary = TrialEndpoint.objects.filter(
        trial_id=question.trial_id, endpoint_id=question.endpoint_id, kind=TrialEndpoint.Kind.PRIMARY
    ).exists()
    direction = _met_direction(question)
    if not is_primary or direction is None:
        return None
    row = trial_base_rate(question.trial)
    if row is None:
        return None
    p = row.rate if direction else 1.0 - row.rate
    source = f"{row.rate:.1%} \u2014 {row.label}"
    if not direction:
        source = f"{p:.1%} (one minus the success rate: Yes means the endpoint is missed) \u2014 {row.label}"
    if row.fallback:
        source += f". Note: {row.fallback}"
    return BaseRateProposal(method=Method.PHASE_SUCCESS, source=source, probability=float(np.clip(p, 0.001, 0.999)),
                            citation=row.as_citation())


def _sample(question: Question) -> list[float]:
    row_phase = PHASE_ROW.get(question.trial.phase)
    if row_phase is None:
        return []
    phases = [phase for phase, row in PHASE_ROW.items() if row == row_phase]
    return list(
        Readout.objects.filter(metric=question.bound_metric, endpoint_id=question.endpoint_id,
                               trial__phase__in=phases, known_at__lt=question.open_time)
        .exclude(trial_id=question.trial_id).order_by("known_at", "pk").values_list("value", flat=True)
    )


def _empirical(question: Question) -> BaseRateProposal | None:
    values = _sample(question)
    if len(values) < MIN_SAMPLE:
        return None
    metric = Readout.Metric(question.bound_metric).label
    what = (f"{len(values)} earlier readouts on this platform of {question.endpoint.code} {metric.lower()} "
            f"from Phase {question.trial.get_phase_display().removeprefix('Phase ')} trials "
            f"(median {float(np.median(values)):g}), public before this question opened")
    citation = {"values": values, "metric": question.bound_metric, "endpoint": question.endpoint.code,
                "phase": question.trial.phase}
    if question.is_binary:
        compare = COMPARATORS.get(question.bound_comparator)
        if compare is None or question.bound_threshold is None:
            return None
        hits = [compare(v, question.bound_threshold) for v in values]
        p = empirical_probability(hits)
        source = (f"{p:.1%} \u2014 {sum(hits)} of {what} were {question.get_bound_comparator_display()} "
                  f"{question.bound_threshold:g} (with half a count added each way)")
        return BaseRateProposal(method=Method.EMPIRICAL, source=source, probability=p, citation=citation,
                                sample_size=len(values))
    units = [sm.unit_position(v, range_min=question.range_min, range_max=question.range_max,
                              log_scale=question.log_scale) for v in values]
    cdf = empirical_cdf(units, open_lower=question.open_lower_bound, open_upper=question.open_upper_bound)
    return BaseRateProposal(method=Method.EMPIRICAL, source=f"Smoothed distribution of {what}", cdf=cdf,
                            citation=citation, sample_size=len(values))


def base_rate_propose(*, question: Question) -> BaseRateProposal | None:
    """What the base rate forecasts on ``question`` (from data public before its open time), or None."""
    if not (question.trial_id and question.endpoint_id and question.bound_metric):
        return None
    if question.type not in (Question.Type.BINARY, Question.Type.NUMERIC):
        return None
    if question.is_binary and question.bound_metric in MET_METRICS:
        return _phase_success(question)
    if question.bound_metric in FLAG_METRICS:
        return None
    return _empirical(question)


def base_rate_ensure(*, question: Question) -> BaseRateForecast | None:
    """The question's stored base-rate forecast, written the first time from ``base_rate_propose`` once the
    question is open (what it says depends only on data public before T0, so writing it later changes nothing).
    Drafts get none. Idempotent."""
    existing = BaseRateForecast.objects.filter(question_id=question.pk).first()
    if existing is not None or question.status == Question.Status.DRAFT:
        return existing
    proposal = base_rate_propose(question=question)
    if proposal is None:
        return None
    try:
        with transaction.atomic():
            return BaseRateForecast.objects.create(
                question=question, method=proposal.method, probability=proposal.probability,
                cdf=None if proposal.cdf is None else np.asarray(proposal.cdf, dtype="<f8").tobytes(),
                source=proposal.source[:500], citation=proposal.citation, sample_size=proposal.sample_size,
                computed_at=timezone.now(),
            )
    except IntegrityError:  # written concurrently
        return BaseRateForecast.objects.get(question_id=question.pk)


def base_rate_series(forecast: BaseRateForecast, *, question: Question, t0: float, te: float, outcome,
                     community: dict, y_unit: float | None = None) -> sm.SeriesScores:
    """Score the base rate's single forecast at T0 as a forecaster's step function (one step, T0 to Te)."""
    times = np.array([t0])
    if question.is_binary:
        return sm.score_binary_series(times, np.array([forecast.probability]), outcome=int(outcome), t0=t0, te=te,
                                      **community)
    return sm.score_numeric_series(times, forecast.cdf_array()[None, :], y_unit=y_unit, t0=t0, te=te,
                                   open_lower=question.open_lower_bound, open_upper=question.open_upper_bound,
                                   **community)
