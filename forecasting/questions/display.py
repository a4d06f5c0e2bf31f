"""How the question pages and rows word a community forecast and a forecast: percentages, numbers with units,
quantiles at open bounds, and the community summary a row or card shows (also rendered by the question_tags
template tags)."""
import math
from dataclasses import dataclass

from django.utils import timezone

from forecasting.forecasts import selectors
from forecasting.forecasts.models import CommunityForecastPoint, Forecast
from forecasting.maths import cdf as cdf_math
from forecasting.forecasts.choice import choice_leader, choice_summary
from forecasting.questions import display_dates, outcomes
from markets.models import Question


def format_percent(p: float | None) -> str:
    """0.35 -> "35%", 0.355 -> "35.5%"."""
    if p is None:
        return ""
    text = f"{p * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def format_number(x: float | None, unit: str = "") -> str:
    """Three significant figures (thousands with separators), followed by the unit if any."""
    if x is None:
        return ""
    if not math.isfinite(x):  # never a reported quantile (format_quantile shows those at the bound), but be safe
        return "" if math.isnan(x) else "above the range" if x > 0 else "below the range"
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"
    return f"{text} {unit}".strip()


BEYOND_MARKS = {cdf_math.BELOW: "≤", cdf_math.ABOVE: "≥"}


def format_quantile(x: float | None, beyond: str | None, unit: str = "") -> str:
    """A reported quantile (``selectors.community_quantiles``): "0.72", or with the bound it lies at or beyond,
    "≥1.2" / "≤0.3" (x is then that bound)."""
    text = format_number(x, unit)
    return f"{BEYOND_MARKS[beyond]}{text}" if text and beyond else text


@dataclass
class CommunitySummary:
    """What a list row or card says in its community column: the community forecast, or once the question has its
    answer, the answer instead."""

    state: str  # "value", "hidden", "none"; "outcome" (resolved or annulled) or "pending" (answer pending)
    text: str
    detail: str = ""


def community_summary(question: Question, point: CommunityForecastPoint | None) -> CommunitySummary:
    """The answer of a resolved question ("Yes", "No", "0.26 hazard ratio", "Annulled") or "Answer pending", else
    the community forecast (or why there is none to show). Reads only the question's own columns: no query."""
    now = timezone.now()
    answer = outcomes.outcome_display(question, at=now)
    if answer:
        if question.status == Question.Status.RESOLVED:
            return CommunitySummary("outcome", answer, "Resolved")
        return CommunitySummary("outcome" if question.status == Question.Status.ANNULLED else "pending", answer)
    if not question.is_revealed():
        reveal = timezone.localtime(question.reveal_time)
        return CommunitySummary("hidden", f"hidden until {reveal:%-d %b %Y}")
    if question.is_multiple_choice:  # the leading option and its community probability
        lead = choice_leader(question.options, point.probabilities if point is not None else None)
        if lead is None or point.forecaster_count == 0:
            return CommunitySummary("none", "no forecasts yet")
        return CommunitySummary("value", format_percent(lead[1]), f"leading: {lead[0]}")
    if point is None or point.forecaster_count == 0 or (point.median is None and point.q50 is None):
        return CommunitySummary("none", "no forecasts yet")
    if question.is_binary:
        return CommunitySummary("value", format_percent(selectors.finite_or_none(point.median)))
    q = selectors.community_quantiles(question=question, point=point)
    if question.is_date:
        return CommunitySummary("value", *display_dates.date_community_text(q))
    low = format_quantile(q["q10"], q["q10_beyond"])
    high = format_quantile(q["q90"], q["q90_beyond"], question.unit)
    median = format_quantile(q["q50"], q["q50_beyond"], question.unit)
    return CommunitySummary("value", median, f"80% range {low}–{high}")


def forecast_summary(question: Question, forecast: Forecast | None) -> str:
    """A forecast in a few characters: "35%", or the typed percentiles of a numeric forecast."""
    if forecast is None or forecast.is_withdrawal:
        return "withdrawn"
    if question.is_multiple_choice:
        return choice_summary(question.options, forecast.probabilities)
    if question.is_binary:
        return format_percent(forecast.probability)
    quantiles = (forecast.input or {}).get("quantiles")
    if quantiles and question.is_date:
        return display_dates.date_forecast_text(quantiles) or "a distribution (CDF)"
    if quantiles:
        median = quantiles.get("0.5")
        low, high = quantiles.get("0.1"), quantiles.get("0.9")
        if median is not None and low is not None and high is not None:
            return f"{format_number(median, question.unit)} ({format_number(low)}–{format_number(high)})"
    return "a distribution (CDF)"
