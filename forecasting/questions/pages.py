"""Server-rendered pages for questions and forecasting. Thin views: parse the form, call one service or selector,
render. Domain errors from the services are shown next to the field they name, or as a page message.

Visibility is decided by the selectors (``community_latest``, ``community_series``, ``rationales``): while a
question's community forecast is hidden these return nothing, and the pages show nobody's forecast but the
viewer's own.
"""
import copy
from dataclasses import dataclass
from functools import wraps

import numpy as np
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assets.errors import DomainError
from assets.paging import paginate
from assets.selectors import news_about
from forecasting.forecasts import selectors
from forecasting.forecasts.forms import MARKET_FIELD_MAP, QuestionForm, add_domain_error, forecast_form_class, forecast_form_initial
from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create, forecast_withdraw
from forecasting.maths import cdf as cdf_math
from forecasting.questions import display_dates, outcomes
from forecasting.questions import selectors as question_selectors
from forecasting.questions.choice_display import choice_page_context
from forecasting.questions.display import (
    CommunitySummary, community_summary, forecast_summary, format_number, format_percent, format_quantile,
)
from forecasting.scoring import selectors as selectors_scoring
from markets.models import Question
from markets.selectors import market_panel_context
from markets.services import question_create_with_market, question_update_with_market

# The question page lists the best forecasters; the full table is the scores CSV.
QUESTION_PAGE_SCORES = 50
QUESTION_PAGE_NEWS = 5  # the newest items on the trial and asset; the rest are on the trial's (else asset's) page

SORTS = {
    "close": "Closing soonest",
    "-close": "Closing latest",
    "forecasters": "Most forecasters",
    "new": "Newest",
}


@dataclass
class QuestionRow:
    question: Question
    community: CommunitySummary


def _rows(questions, community_map) -> list[QuestionRow]:
    return [QuestionRow(q, community_summary(q, community_map.get(q.pk))) for q in questions]


def _staff_required(view):
    """Anonymous users go to the login page; logged-in users who are not staff get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("Only staff can create and edit questions.")
        return view(request, *args, **kwargs)

    return wrapper


def _visible_question(request, slug: str) -> Question:
    # With the resolution's evidence (source, url, note; the pending readout's source) in the same query.
    queryset = question_selectors.annotate_resolution(Question.objects.select_related("asset", "trial", "endpoint"))
    if not request.user.is_staff:
        queryset = queryset.filter_visible()
    return get_object_or_404(queryset, slug=slug)


# ----------------------------------------------------------------------------------------------------------------
# Question list
# ----------------------------------------------------------------------------------------------------------------
def question_list(request):
    """Questions filtered by asset, trial, status and type; a constant number of queries for any page size."""
    params = request.GET
    filters = {name: params.get(name, "").strip() for name in ("asset", "trial", "status", "type", "q")}
    sort = params.get("sort") if params.get("sort") in SORTS else "close"
    questions = question_selectors.question_rows(filters=filters, ordering=sort, include_drafts=request.user.is_staff)
    page = paginate(request, questions)
    rows = _rows(page.object_list, selectors.community_latest_map(questions=page.object_list))
    statuses = Question.Status.choices if request.user.is_staff else [
        choice for choice in Question.Status.choices if choice[0] != Question.Status.DRAFT
    ]
    return render(
        request,
        "questions/question_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "filters": filters,
            "filtered": any(filters.values()),
            "sort": sort,
            "sorts": SORTS,
            **question_selectors.question_filter_choices(include_drafts=request.user.is_staff),
            "statuses": statuses,
            "types": Question.Type.choices,
            "now": timezone.now(),
        },
    )


def open_questions_for_home(limit: int = 6) -> list[QuestionRow]:
    """Questions taking forecasts now (open, before their close and their scheduled public moment), closing
    soonest, each with its community summary, for the home page (two queries).

    Render them with ``{% include "questions/includes/question_cards.html" with rows=open_questions %}``.
    """
    open_rows = question_selectors.question_rows(filters={"status": Question.Status.OPEN}, ordering="close")
    questions = list(open_rows.filter_accepting_forecasts()[:limit])
    return _rows(questions, selectors.community_latest_map(questions=questions))


# ----------------------------------------------------------------------------------------------------------------
# Question page and forecasting
# ----------------------------------------------------------------------------------------------------------------
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


def _detail_context(request, question: Question, *, form=None) -> dict:
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
            {"forecast": f, "name": _display_name(f.user), "value": forecast_summary(question, f)} for f in others
        ],
        "question_scores": scores,
        "resolution": resolution,
        "outcome_scores": outcomes.outcome_scores(question, scores) if resolution and resolution.is_resolved else None,
        "state_text": outcomes.question_state_text(question, resolution, now=now),
        "timing": outcomes.question_timing(question, resolution, now=now),
        # Why forecasts (and trades: the market panel asks the same question) are refused; None while accepted.
        "closed_reason": question.closed_reason(at=now),
        **market_panel_context(question=question, user=user),
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


@require_http_methods(["GET", "POST"])
def question_detail(request, slug):
    """The question, its community forecast and history, and (POST) the viewer's forecast.

    A valid POST creates a forecast and redirects back (303); invalid input or a refused forecast re-renders the
    page with the message under the field it names (400) or above the form (409), keeping what was typed.
    """
    question = _visible_question(request, slug)
    if request.method == "GET":
        return render(request, "questions/question_detail.html", _detail_context(request, question))

    if not request.user.is_authenticated:
        return redirect_to_login(question.get_absolute_url())
    form_class = forecast_form_class(question)
    kwargs = {} if question.is_binary else {"question": question}
    form = form_class(request.POST, **kwargs)
    status = 400
    if form.is_valid():
        values = form.service_values() if question.is_multiple_choice else (
            {"probability": form.probability()} if question.is_binary else {"quantiles": form.quantiles()}
        )
        try:
            forecast_create(
                question=question, user=request.user, rationale=form.cleaned_data["rationale"], **values
            )
        except DomainError as exc:
            form.add_service_error(exc)
            status = exc.status_code
        else:
            messages.success(request, "Your forecast is saved.")
            return redirect(question.get_absolute_url() + "#your-forecast", permanent=False)
    context = _detail_context(request, question, form=form)
    if not context["can_forecast"]:
        # The question stopped accepting forecasts between the page load and the POST: say so above the note.
        messages.error(request, form.non_field_errors()[0] if form.non_field_errors() else "Forecasts are closed.")
    return render(request, "questions/question_detail.html", context, status=status)


# Forecast POSTs are rate-limited like the API's (forecasting.middleware.PageThrottleMiddleware).
question_detail.throttle_scope = "forecasts"


@login_required
@require_POST
def forecast_withdraw_view(request, slug):
    """Withdraw the viewer's own current forecast (there is no way to name anyone else's)."""
    question = _visible_question(request, slug)
    try:
        forecast_withdraw(question=question, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your forecast is withdrawn. You can forecast again at any time before it closes.")
    return redirect(question.get_absolute_url() + "#your-forecast")


forecast_withdraw_view.throttle_scope = "forecasts"


# ----------------------------------------------------------------------------------------------------------------
# My forecasts
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class MyForecastRow:
    question: Question
    mine: str
    withdrawn: bool
    community: CommunitySummary
    updated_at: object
    forecast_count: int


@login_required
def my_forecasts(request):
    page = paginate(request, selectors.my_forecasts(user=request.user))
    questions = [fq.question for fq in page.object_list]
    community_map = selectors.community_latest_map(questions=questions)
    rows = [
        MyForecastRow(
            question=fq.question,
            mine=forecast_summary(fq.question, fq.current),
            withdrawn=fq.current is None,
            community=community_summary(fq.question, community_map.get(fq.question_id)),
            updated_at=fq.updated_at,
            forecast_count=fq.forecast_count,
        )
        for fq in page.object_list
    ]
    return render(request, "questions/my_forecasts.html", {"page_obj": page, "rows": rows, "now": timezone.now()})


# ----------------------------------------------------------------------------------------------------------------
# Staff question form
# ----------------------------------------------------------------------------------------------------------------
@_staff_required
@require_http_methods(["GET", "POST"])
def question_new(request):
    opens = timezone.now().replace(second=0, microsecond=0)
    form = QuestionForm(request.POST or None, initial={"open_time": opens})
    if request.method == "POST" and form.is_valid():
        status = Question.Status.OPEN if form.cleaned_data.get("publish") else Question.Status.DRAFT
        try:
            question = question_create_with_market(created_by=request.user, status=status,
                                                   market=form.market_fields(), **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc, field_map=MARKET_FIELD_MAP)
        else:
            with_market = " with its market" if form.market_fields() else ""
            messages.success(request, f"Question {'published' if question.status == 'open' else 'saved as a draft'}"
                                      f"{with_market}.")
            return redirect(question)
    return render(request, "questions/question_form.html", {"form": form, "question": None},
                  status=400 if form.errors else 200)


@_staff_required
@require_http_methods(["GET", "POST"])
def question_edit(request, slug):
    question = get_object_or_404(Question.objects.select_related("asset", "trial", "endpoint"), slug=slug)
    if question.status in (Question.Status.RESOLVED, Question.Status.ANNULLED):
        messages.error(request, f"A {question.status} question cannot be edited.")
        return redirect(question)
    # The form writes posted values onto its instance while validating; give it a copy so a re-rendered page
    # still shows the saved title.
    form = QuestionForm(request.POST or None, instance=copy.copy(question))
    if request.method == "POST" and form.is_valid():
        try:
            question = question_update_with_market(question=question, publish=bool(form.cleaned_data.get("publish")),
                                                   market=form.market_fields(), by=request.user,
                                                   **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc, field_map=MARKET_FIELD_MAP)
        else:
            messages.success(request, "Question saved and its market opened." if form.market_fields()
                             else "Question saved.")
            return redirect(question)
    return render(request, "questions/question_form.html", {"form": form, "question": question},
                  status=400 if form.errors else 200)

