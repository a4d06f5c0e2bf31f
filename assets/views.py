"""Server-rendered pages for assets and trials. Thin: filter with a FilterSet, read with selectors, render."""
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from assets import selectors
from assets.filters import PHASE_CHOICES, AssetFilter, TrialFilter
from assets.models import Trial
from assets.paging import paginate


def _active_filters(filterset) -> bool:
    """Whether any valid filter narrows the list (an invalid one is reported, not applied)."""
    filterset.is_valid()
    return any(value not in (None, "") for value in filterset.form.cleaned_data.values())


def asset_list(request):
    filterset = AssetFilter(request.GET, queryset=selectors.asset_list_queryset())
    page = paginate(request, filterset.qs)
    return render(
        request,
        "assets/asset_list.html",
        {
            "page_obj": page,
            "assets": page.object_list,
            "filter": filterset,
            "filtered": _active_filters(filterset),
            "q": request.GET.get("q", "").strip(),
            "sponsor": filterset.form.cleaned_data.get("sponsor"),
            "sponsors": selectors.sponsor_choices(),
        },
    )


def asset_detail(request, slug):
    asset = get_object_or_404(selectors.asset_detail_queryset(), slug=slug)
    return render(
        request,
        "assets/asset_detail.html",
        {"asset": asset, "timeline": selectors.asset_timeline(asset)},
    )


def trial_list(request):
    filterset = TrialFilter(request.GET, queryset=selectors.trial_list_queryset())
    page = paginate(request, filterset.qs)
    cleaned = filterset.form.cleaned_data
    return render(
        request,
        "assets/trial_list.html",
        {
            "page_obj": page,
            "trials": page.object_list,
            "filter": filterset,
            "filtered": _active_filters(filterset),
            "q": request.GET.get("q", "").strip(),
            "selected": {
                "phase": cleaned.get("phase") or "",
                "status": cleaned.get("status") or "",
                "sponsor": cleaned["sponsor"].slug if cleaned.get("sponsor") else "",
            },
            "phases": PHASE_CHOICES,
            "statuses": Trial.Status.choices,
            "sponsors": selectors.trial_sponsor_choices(),
        },
    )


def trial_detail(request, slug):
    """A trial by slug; an NCT id or acronym (any case) redirects to the slug URL so each page has one address."""
    try:
        trial = selectors.trial_find(identifier=slug, queryset=selectors.trial_detail_queryset())
    except Trial.DoesNotExist:
        raise Http404(f"No trial is called {slug!r}.")
    except Trial.MultipleObjectsReturned:
        # Ambiguous acronym: the list, searched for it, lets the reader pick the right trial.
        return redirect(f"{reverse('assets:trial-list')}?{urlencode({'q': slug})}")
    if trial.slug != slug:
        return redirect(trial, permanent=False)
    return render(
        request,
        "assets/trial_detail.html",
        {
            "trial": trial,
            "endpoint_groups": selectors.trial_endpoints_by_kind(trial),
            "readout_sources": selectors.readouts_by_source(trial.public_readouts),
            "timeline": selectors.trial_timeline(trial),
        },
    )
