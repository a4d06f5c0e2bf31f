"""Conditional-pair pages: the list, a pair's page (both branches, the crowd on each, the viewer's forecast form,
scores once a branch is scored) and its CSV downloads. Thin views over the conditional services and selectors."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assets.errors import DomainError
from assets.paging import paginate
from assets.validators import TextValidator
from forecasting.conditional import selectors
from forecasting.conditional.exports import pair_forecasts_csv, pair_scores_csv
from forecasting.conditional.models import ConditionalPair
from forecasting.conditional.scoring import pair_branch_status
from forecasting.conditional.services import (
    MAX_RATIONALE_LENGTH, conditional_forecast_create, conditional_forecast_withdraw, pair_closed_reason,
)

PERCENT = forms.NumberInput(attrs={"step": "0.1", "min": "0.1", "max": "99.9", "inputmode": "decimal"})


class ConditionalForecastForm(forms.Form):
    """Both branches as percentages; the service checks the range on percent / 100 and names p_yes / p_no."""

    yes_percent = forms.FloatField(label="If the parent resolves Yes: chance the child resolves Yes (%)",
                                   widget=PERCENT, error_messages={"required": "Enter a percentage, e.g. 60.",
                                                                   "invalid": "Enter a number of percent, e.g. 60."})
    no_percent = forms.FloatField(label="If the parent resolves No: chance the child resolves Yes (%)",
                                  widget=PERCENT, error_messages={"required": "Enter a percentage, e.g. 20.",
                                                                  "invalid": "Enter a number of percent, e.g. 20."})
    rationale = forms.CharField(required=False, max_length=MAX_RATIONALE_LENGTH, validators=[TextValidator()],
                                widget=forms.Textarea(attrs={"rows": 3}))
    FIELD_MAP = {"p_yes": "yes_percent", "p_no": "no_percent"}

    def add_service_error(self, error: DomainError) -> None:
        name = self.FIELD_MAP.get(error.field, error.field)
        message = error.message
        if name in ("yes_percent", "no_percent"):
            message = "Enter a percentage between 0.1 and 99.9."
        self.add_error(name if name in self.fields else None, message)


def _pair(request, slug) -> ConditionalPair:
    pair = get_object_or_404(ConditionalPair.objects.select_related("parent", "child"), slug=slug)
    if not selectors.pair_visible(pair, user=request.user):
        raise Http404("No such conditional pair.")
    return pair


def pair_list(request):
    page = paginate(request, selectors.pair_list(include_drafts=request.user.is_staff))
    return render(request, "conditional/pair_list.html", {"page_obj": page, "pairs": page.object_list})


def _context(request, pair, *, form=None) -> dict:
    revealed = selectors.pair_revealed(pair)
    latest = selectors.pair_community_points(pair=pair).last() if revealed else None
    current = selectors.pair_current(pair=pair, user=request.user)
    if form is None and current is not None:
        form = ConditionalForecastForm(initial={"yes_percent": round(current.p_yes * 100, 1),
                                                "no_percent": round(current.p_no * 100, 1)})
    scores = list(selectors.pair_scores(pair=pair))
    return {
        "pair": pair, "parent": pair.parent, "child": pair.child, "revealed": revealed, "latest": latest,
        "status": pair_branch_status(pair), "current": current, "form": form or ConditionalForecastForm(),
        "closed_reason": pair_closed_reason(pair), "forecaster_scores": [s for s in scores if s.user_id],
        "aggregate_scores": [s for s in scores if not s.user_id],
    }


def pair_detail(request, slug):
    pair = _pair(request, slug)
    if request.method == "GET":
        return render(request, "conditional/pair_detail.html", _context(request, pair))
    if not request.user.is_authenticated:
        return redirect_to_login(pair.get_absolute_url())
    form = ConditionalForecastForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            conditional_forecast_create(pair=pair, user=request.user, p_yes=form.cleaned_data["yes_percent"] / 100,
                                        p_no=form.cleaned_data["no_percent"] / 100,
                                        rationale=form.cleaned_data["rationale"])
        except DomainError as exc:
            form.add_service_error(exc)
            status = exc.status_code
        else:
            messages.success(request, "Your conditional forecast is saved.")
            return redirect(pair.get_absolute_url() + "#your-forecast")
    return render(request, "conditional/pair_detail.html", _context(request, pair, form=form), status=status)


pair_detail.throttle_scope = "forecasts"


@login_required
@require_POST
def pair_withdraw(request, slug):
    pair = _pair(request, slug)
    try:
        conditional_forecast_withdraw(pair=pair, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your conditional forecast is withdrawn.")
    return redirect(pair.get_absolute_url() + "#your-forecast")


pair_withdraw.throttle_scope = "forecasts"


def _final_pair(request, slug) -> ConditionalPair:
    pair = _pair(request, slug)
    status = pair_branch_status(pair)
    if "open" in (status.yes, status.no) or "awaiting" in (status.yes, status.no):
        raise Http404("Downloads open once both questions are resolved or annulled.")
    return pair


def pair_scores_download(request, slug):
    return pair_scores_csv(_final_pair(request, slug))


def pair_forecasts_download(request, slug):
    return pair_forecasts_csv(_final_pair(request, slug))
