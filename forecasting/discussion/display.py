"""How a comment words its attached forecast, respecting the hidden community forecast.

While a question's community forecast is hidden (``Question.is_revealed()`` False, before its reveal time) nobody
sees another forecaster's forecast: an attached forecast's value is shown only to its author and staff; everyone
else gets "forecast attached (shown after <reveal time>)" and no number, in pages and in the API alike. After the
reveal it reads "35%" (binary) or "median 0.72 (10–90%: 0.55–0.9) hazard ratio" (numeric).
"""
import math
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from forecasting.forecasts.models import Forecast
from forecasting.maths import cdf as cdf_math
from markets.models import Question


def _percent(p: float) -> str:
    text = f"{p * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _number(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "?"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


@dataclass(frozen=True)
class ForecastChip:
    id: int
    shown: bool  # False: the value is withheld from this viewer until the reveal time
    text: str
    created_at: object
    probability: float | None = None
    median: float | None = None
    q10: float | None = None
    q90: float | None = None
    reveal_time: object = None


def numeric_quantiles(forecast: Forecast, question: Question) -> tuple[float | None, float | None, float | None]:
    """(10%, median, 90%) of a numeric forecast: as typed when the forecaster typed those three, else read from
    its CDF within the question's range."""
    typed = (forecast.input or {}).get("quantiles") or {}
    values = [typed.get(level) for level in ("0.1", "0.5", "0.9")]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        return float(values[0]), float(values[1]), float(values[2])
    cdf = forecast.cdf_array()
    if cdf is None or not np.all(np.isfinite(cdf)):
        return None, None, None
    try:
        found, _ = cdf_math.cdf_quantiles_in_range(
            cdf, [0.1, 0.5, 0.9], range_min=question.range_min, range_max=question.range_max,
            log_scale=question.log_scale, open_lower=question.open_lower_bound, open_upper=question.open_upper_bound,
        )
    except ValueError:
        return None, None, None
    return float(found[0]), float(found[1]), float(found[2])


def forecast_chip(forecast: Forecast, *, question: Question, viewer, at=None) -> ForecastChip:
    """The attached ``forecast`` as ``viewer`` may see it (see the module docstring). No query."""
    is_author = bool(getattr(viewer, "is_authenticated", False)) and viewer.pk == forecast.user_id
    may_see = question.is_revealed(at=at) or is_author or bool(getattr(viewer, "is_staff", False))
    if not may_see:
        reveal = timezone.localtime(question.reveal_time)
        return ForecastChip(id=forecast.pk, shown=False, created_at=forecast.created_at,
                            reveal_time=question.reveal_time,
                            text=f"forecast attached (shown after {reveal:%-d %b %Y, %H:%M %Z})")
    if question.is_binary:
        p = forecast.probability
        return ForecastChip(id=forecast.pk, shown=True, created_at=forecast.created_at, probability=p,
                            reveal_time=question.reveal_time, text=_percent(p) if p is not None else "?")
    q10, median, q90 = numeric_quantiles(forecast, question)
    unit = f" {question.unit}" if question.unit else ""
    text = f"median {_number(median)}{unit} (10–90%: {_number(q10)}–{_number(q90)})"
    return ForecastChip(id=forecast.pk, shown=True, created_at=forecast.created_at, median=median, q10=q10, q90=q90,
                        reveal_time=question.reveal_time, text=text)
