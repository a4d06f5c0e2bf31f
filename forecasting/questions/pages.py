"""Server-rendered pages for questions and forecasting. Thin views: parse the form, call one service or selector,
render. Domain errors from the services are shown next to the field they name; the outcome of a forecast or a
withdrawal is shown in the "Your forecast" card (``flash``), where the page lands after the POST.

The question page's context (and what it may show while the community forecast is hidden) is ``detail``.
"""
import copy
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assets.errors import DomainError
from assets.paging import paginate
from forecasting.forecasts import selectors
from forecasting.forecasts.forms import MARKET_FIELD_MAP, QuestionForm, add_domain_error, forecast_form_class
from forecasting.forecasts.services.forecasts import forecast_create, forecast_withdraw
from forecasting.questions import flash
from forecasting.questions import selectors as question_selectors
from forecasting.questions.detail import detail_context
from forecasting.questions.display import CommunitySummary, community_summary, forecast_summary
from markets.models import Question
from markets.services import question_create_with_market, question_update_with_market

FORECAST_ANCHOR = "#your-forecast"

SORTS = {
    "active": "Open first, closing soonest",
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
    sort = params.get("sort") if params.get("sort") in SORTS else "active"
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
@require_http_methods(["GET", "POST"])
def question_detail(request, slug):
    """The question, its community forecast and history, and (POST) the viewer's forecast.

    A valid POST creates a forecast and redirects back (303); invalid input or a refused forecast re-renders the
    page with the message under the field it names (400) or above the form (409), keeping what was typed.
    """
    question = _visible_question(request, slug)
    if request.method == "GET":
        return render(request, "questions/question_detail.html", detail_context(request, question))

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
            messages.success(request, "Your forecast is saved.", extra_tags=flash.place(flash.FORECAST))
            return redirect(question.get_absolute_url() + FORECAST_ANCHOR, permanent=False)
    context = detail_context(request, question, form=form)
    if not context["can_forecast"]:
        # The question stopped accepting forecasts between the page load and the POST: say so above the note.
        messages.error(request, form.non_field_errors()[0] if form.non_field_errors() else "Forecasts are closed.",
                       extra_tags=flash.place(flash.FORECAST))
        context["placed_messages"] = flash.take_placed(request)
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
        messages.error(request, exc.message, extra_tags=flash.place(flash.FORECAST))
    else:
        messages.success(request, "Your forecast is withdrawn. You can forecast again at any time before it closes.",
                         extra_tags=flash.place(flash.FORECAST))
    return redirect(question.get_absolute_url() + FORECAST_ANCHOR)


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

