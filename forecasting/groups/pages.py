"""Question-group pages: the list, a group's page (a bar chart of the binary members' and the pairs' crowd, a fan
chart of the numeric members' 10/50/90% quantiles, and the same figures as a table), and for staff: generate a
trial's group and publish it. Thin views over forecasting.groups services and selectors."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assets.errors import DomainError
from assets.models import Trial
from assets.paging import paginate
from forecasting.groups import selectors, services
from forecasting.groups.models import QuestionGroup
from forecasting.maths.cdf import to_unit


def _staff(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can generate and publish question groups.")
    return None


def _group(request, slug) -> QuestionGroup:
    group = get_object_or_404(QuestionGroup.objects.select_related("trial"), slug=slug)
    if group.status == QuestionGroup.Status.DRAFT and not request.user.is_staff:
        raise Http404("No such group.")
    return group


def group_list(request):
    page = paginate(request, selectors.group_list(include_drafts=request.user.is_staff))
    return render(request, "groups/group_list.html", {"page_obj": page, "groups": page.object_list})


@dataclass
class Fan:
    """A numeric member on its own axis, in percent of the axis width (log-scale aware)."""

    row: selectors.MemberRow
    low: float
    mid: float
    high: float
    range_min: float
    range_max: float

    @property
    def width(self) -> float:
        return max(0.5, self.high - self.low)


def _fan(row) -> Fan | None:
    q = row.member.question
    if row.q50 is None or q is None or not q.is_numeric:
        return None
    scale = {"range_min": q.range_min, "range_max": q.range_max, "log_scale": q.log_scale}
    pct = [min(100.0, max(0.0, 100.0 * float(to_unit(x, **scale)))) for x in (row.q10, row.q50, row.q90)]
    return Fan(row, *pct, q.range_min, q.range_max)


def group_detail(request, slug):
    group = _group(request, slug)
    rows = selectors.group_member_rows(group=group)
    bars = [r for r in rows if r.kind in ("binary", "pair")]
    fans = [f for f in (_fan(r) for r in rows if r.kind == "numeric") if f is not None]
    return render(request, "groups/group_detail.html", {
        "group": group, "rows": rows, "bars": bars, "fans": fans,
        "unforecast_numeric": [r for r in rows if r.kind == "numeric" and r.q50 is None],
    })


class GenerateForm(forms.Form):
    trial = forms.ModelChoiceField(queryset=Trial.objects.order_by("acronym", "registry_id"),
                                   help_text="The standard questions are generated from its endpoints and arms.")
    close_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="When the questions close (default: a year from today).")
    title = forms.CharField(required=False, max_length=300)


def group_new(request):
    denied = _staff(request)
    if denied:
        return denied
    form = GenerateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            close = form.cleaned_data["close_date"]
            close_time = dt.datetime.combine(close, dt.time(23, 59), tzinfo=dt.timezone.utc) if close else None
            try:
                result = services.group_generate(trial=form.cleaned_data["trial"], created_by=request.user,
                                                 close_time=close_time, title=form.cleaned_data["title"])
            except DomainError as exc:
                form.add_error({"close_time": "close_date"}.get(exc.field, exc.field)
                               if exc.field in ("close_time", "title", "trial") else None, exc.message)
            else:
                for template, reason in result.skipped:
                    messages.info(request, f"Not generated: {template} ({reason}).")
                messages.success(request, "Draft group generated: edit the questions, then publish them all.")
                return redirect(result.group.get_absolute_url())
    return render(request, "groups/group_new.html", {"form": form, "now": timezone.now()}, status=status)


@require_POST
def group_publish_view(request, slug):
    denied = _staff(request)
    if denied:
        return denied
    group = _group(request, slug)
    try:
        services.group_publish(group=group, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Published: the group and all its questions are open for forecasting.")
    return redirect(group.get_absolute_url())


@require_POST
def group_member_remove_view(request, slug, template):
    """Staff drop a generated member from a draft group (its draft question goes too)."""
    denied = _staff(request)
    if denied:
        return denied
    group = _group(request, slug)
    try:
        services.group_member_remove(group=group, template=template)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Removed {template} from the draft group.")
    return redirect(group.get_absolute_url())
