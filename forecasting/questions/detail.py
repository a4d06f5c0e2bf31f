"""The question page's context: the question, the viewer's form, the crowd, the market panel, the history and the
rationales (templates/questions/question_detail.html, in that order), plus the chart data and its text alternative.

Visibility is decided by the selectors (``community_latest``, ``community_series``, ``rationales``): while a
question's community forecast is hidden these return nothing, and the page shows nobody's forecast but the
viewer's own.
"""
import numpy as np
from django.utils import timezone

from assets.selectors import news_about
from forecasting.forecasts import selectors
from forecasting.forecasts.forms import forecast_form_class, forecast_form_initial
from forecasting.forecasts.models import Forecast
from forecasting.maths import cdf as cdf_math
from forecasting.questions import display_dates, flash, outcomes
from forecasting.questions.choice_display import choice_page_context
from forecasting.questions import selectors as question_selectors
from forecasting.questions.display import (
    community_summary, forecast_summary, format_number, format_percent, format_quantile,
)
from forecasting.scoring import selectors as selectors_scoring
from markets.models import Question
from markets.selectors import market_panel_context
from markets.trade_form import trade_form_take

# The question page lists the best forecasters; the full table is the scores CSV.
QUESTION_PAGE_SCORES = 50
QUESTION_PAGE_NEWS = 5  # the newest items on the trial and asset; the rest are on the trial's (else asset's) page


def _series_row(question: Question, row: dict) -> dict:
    """A community series row as chart data: no NaN or ±inf (JSON has neither; rows stored by older code may hold
    them), and numeric quantiles as the API reports them, within the range with a "beyond" marker
    (``selectors.community_quantiles``), so the 10-90% band reaches the edge of the range instead of breaking."""
    out = {key: selectors.finite_or_none(value) if isinstance(value, float) else value for key, value in row.items()}
    if question.is_continuous:
        out.update(selectors.community_quantiles(question=question, point=row))
    return out


def _distribution(question: Question, cdf) -> dict | None:
    """A numeric CDF as chart data: x in the question's units at the grid points (for the CDF) and at the cell
    midpoints (for the density per unit of u, see ``cdf_pdf_for_display``), plus the mass beyond each bound."""
    if cdf is None:
        return None
    cdf = np.asarray(cdf, dtype=float)
    if not np.all(np.isfinite(cdf)):  # a row written by older code; JSON has no NaN or infinities
        return None
    scale = {"range_min": question.range_min, "range_max": question.range_max, "log_scale": question.log_scale}
    mids, density = cdf_math.cdf_pdf_for_display(cdf, **scale)
    grid = np.asarray(cdf_math.from_unit(cdf_math.UNIT_GRID, **scale), dtype=float)
    return {
        "x": np.round(grid, 6).tolist(),
        "cdf": np.round(cdf, 6).tolist(),
        "mid": np.round(np.asarray(mids, dtype=float), 6).tolist(),
        "density": np.round(np.asarray(density, dtype=float), 6).tolist(),
        "below": round(float(cdf[0]), 6),
        "above": round(float(1 - cdf[-1]), 6),
    }


def _own_points(question: Question, history: list[Forecast]) -> list[dict]:
    """The viewer's own forecasts as chart points (binary: probability; numeric: the median they gave, or their
    CDF's), numeric medians reported like the community's: within the range, with ``beyond`` "below" / "above" when
    the median lies at or beyond an open bound (the value is then the bound)."""
    points = []
    bounds = {"range_min": question.range_min, "range_max": question.range_max,
              "open_lower": question.open_lower_bound, "open_upper": question.open_upper_bound}
    for forecast in history:
        point = {"t": forecast.created_at, "withdrawal": forecast.is_withdrawal, "value": None, "beyond": None}
        if not forecast.is_withdrawal:
            if question.is_binary:
                point["value"] = selectors.finite_or_none(forecast.probability)
            else:
                median = ((forecast.input or {}).get("quantiles") or {}).get("0.5")
                if isinstance(median, (int, float)) and not isinstance(median, bool):
                    point["value"], point["beyond"] = cdf_math.quantile_in_range(median, **bounds)
                elif forecast.cdf is not None and np.all(np.isfinite(forecast.cdf_array())):
                    values, beyond = cdf_math.cdf_quantiles_in_range(
                        forecast.cdf_array(), 0.5, log_scale=question.log_scale, **bounds
                    )
                    point["value"], point["beyond"] = float(values[0]), beyond[0]
        points.append(point)
    return points


def _display_name(user) -> str:
    profile = getattr(user, "profile", None)  # a missing profile raises a subclass of AttributeError
    return profile.name if profile else user.get_username()


def detail_context(request, question: Question, *, form=None) -> dict:
    user = request.user
    now = timezone.now()
    resolution = question_selectors.question_resolution(question=question, at=now)
    scores = selectors_scoring.question_scores(question=question, limit=QUESTION_PAGE_SCORES)
    community, series = selectors.community_for_page(question=question)
    series = [_series_row(question, row) for row in series]
    history = list(selectors.forecast_history(question=question, user=user)) if user.is_authenticated else []
    current = selectors.current_forecast(question=question, user=user)
    can_forecast = user.is_authenticated and question.accepts_forecasts(at=now)
    if can_forecast and form is None:
        form_class = forecast_form_class(question)
        kwargs = {} if question.is_binary else {"question": question}
        form = form_class(initial=forecast_form_initial(question, current), **kwargs)
    others = [f for f in selectors.rationales(question=question, viewer=user) if f.user_id != user.pk]
    distribution = (_distribution(question, community.cdf_array())
                    if community is not None and question.is_continuous else None)
    quantiles = selectors.community_quantiles(question=question, point=community) if community is not None else {}
    finite = selectors.finite_or_none
    news, more_news = news_about(trial_id=question.trial_id, asset_id=question.asset_id, limit=QUESTION_PAGE_NEWS)
    about = question.trial or question.asset
    chart_data = {
        "type": question.type,
        "unit": question.unit,
        "log_scale": question.log_scale,
        "range_min": question.range_min,
        "range_max": question.range_max,
        "open_lower_bound": question.open_lower_bound,
        "open_upper_bound": question.open_upper_bound,
        "revealed": question.is_revealed(),
        "open_time": question.open_time,
        "close_time": question.actual_close_time or min(
            question.forecasting_ends_at, question.pending_since or question.forecasting_ends_at
        ),
        "now": now,
        "series": series,
        "mine": _own_points(question, history),
        "distribution": distribution,
    }
    context = {
        "question": question,
        "revealed": question.is_revealed(),
        "community": community,
        "community_summary": community_summary(question, community),
        "community_median": format_percent(finite(community.median)) if community and question.is_binary else "",
        "community_extremized": (
            format_percent(finite(community.extremized)) if community and question.is_binary else ""
        ),
        **{f"community_{name}": format_quantile(quantiles.get(name), quantiles.get(f"{name}_beyond"))
           for name in selectors.COMMUNITY_QUANTILES},
        "distribution": distribution,
        "has_chart": bool(series) or any(p["value"] is not None for p in chart_data["mine"]),
        "chart_data": chart_data,
        "history": [
            {"forecast": f, "value": forecast_summary(question, f)} for f in reversed(history)
        ],
        "current": current,
        "current_summary": forecast_summary(question, current) if current else "",
        "form": form if can_forecast else None,
        "can_forecast": can_forecast,
        "rationales": [
            {"forecast": f, "name": _display_name(f.user), "username": f.user.get_username(),
             "value": forecast_summary(question, f)}
            for f in others
        ],
        "question_scores": scores,
        "resolution": resolution,
        "outcome_scores": outcomes.outcome_scores(question, scores) if resolution and resolution.is_resolved else None,
        "state_text": outcomes.question_state_text(question, resolution, now=now),
        "timing": outcomes.question_timing(question, resolution, now=now),
        # Why forecasts (and trades: the market panel asks the same question) are refused; None while accepted.
        "closed_reason": question.closed_reason(at=now),
        **market_panel_context(question=question, user=user),
        "trade_form": trade_form_take(request, question=question),
        "placed_messages": flash.take_placed(request),
        "history_text": history_text(question, series, chart_data["mine"]),
        "range_min_text": format_number(question.range_min),
        "range_max_text": format_number(question.range_max),
        "now": now,
        "news": news,
        "news_more_url": f"{about.get_absolute_url()}#news" if more_news and about else "",
        **choice_page_context(question=question, community=community, current=current, series=series),
    }
    if question.is_date:
        context.update(display_dates.date_detail_context(question, quantiles))
    return context


def history_text(question: Question, series: list[dict], mine: list[dict]) -> str:
    """The history chart in words, for people who cannot see it (the canvas's aria-describedby): where the
    community forecast started and where it is now, its range over time, and the viewer's own forecasts."""
    if question.is_multiple_choice:
        return _choice_history_text(question, series, mine)

    def value(row):
        if question.is_binary:
            return format_percent(row.get("median"))
        if question.is_date:
            return display_dates.format_date_quantile(row.get("q50"), row.get("q50_beyond"))
        return format_quantile(row.get("q50"), row.get("q50_beyond"), question.unit)

    parts = []
    points = [row for row in series if (row.get("median") if question.is_binary else row.get("q50")) is not None]
    if points:
        first, last = points[0], points[-1]
        what = "community median" if question.is_binary else "community median estimate"
        parts.append(
            f"The {what} was {value(first)} on {first['created_at']:%d %b %Y} and is {value(last)} as of "
            f"{last['created_at']:%d %b %Y}, from {last.get('forecaster_count') or 0} forecasters."
        )
        key = "median" if question.is_binary else "q50"
        values = [row[key] for row in points]
        low = min(range(len(values)), key=values.__getitem__)
        high = max(range(len(values)), key=values.__getitem__)
        parts.append(f"Its lowest was {value(points[low])} and its highest {value(points[high])}.")
    own = [p for p in mine if p["value"] is not None]
    if own:
        if question.is_binary:
            shown = format_percent(own[-1]["value"])
        elif question.is_date:
            shown = display_dates.format_date_quantile(own[-1]["value"], own[-1]["beyond"])
        else:
            shown = format_quantile(own[-1]["value"], own[-1]["beyond"], question.unit)
        parts.append(f"You forecast {len(own)} time{'s' if len(own) != 1 else ''}; your latest was {shown}.")
    return " ".join(parts) or "No forecasts yet."


def _choice_history_text(question: Question, series: list[dict], mine: list[dict]) -> str:
    """A multiple-choice question's history in words: the leading option at the start and now."""
    options = list(question.options or [])
    points = [row for row in series if row.get("probabilities")]
    if not points:
        return "No forecasts yet."

    def leader(row):
        probabilities = row["probabilities"]
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        label = options[best] if best < len(options) else f"option {best + 1}"
        return f"{label} ({format_percent(probabilities[best])})"

    first, last = points[0], points[-1]
    return (f"The community's leading option was {leader(first)} on {first['created_at']:%d %b %Y} and is "
            f"{leader(last)} as of {last['created_at']:%d %b %Y}, from {last.get('forecaster_count') or 0} "
            "forecasters.")
