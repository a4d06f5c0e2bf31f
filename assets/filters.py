"""Filters shared by the assets pages and the REST API (django-filter FilterSets).

The same FilterSet narrows a page's list and an API list, so ``/assets/?q=cc-92480&sponsor=bristol-myers-squibb``
and ``/api/v1/assets/?q=cc-92480&sponsor=bristol-myers-squibb`` always agree. An unknown slug is a validation error
naming the parameter (HTTP 400 in the API; shown above the list on a page).
"""
import django_filters
from django.db.models import QuerySet

from assets import selectors
from assets.models import Asset, Company, Indication, NewsItem, Trial

# "Unknown" is the blank choice: a filter value of "" means "any phase", so it cannot also mean "phase unknown".
PHASE_CHOICES = [(value, label) for value, label in Trial.Phase.choices if value]


class CompanyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", help_text="Name or any alias contains this text, ignoring case (e.g. BMS)."
    )

    class Meta:
        model = Company
        fields = ["q"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.company_search(queryset, value)


class AssetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Name or any alias (development code, other name) contains this text, ignoring case.",
    )
    sponsor = django_filters.ModelChoiceFilter(
        field_name="sponsor",
        to_field_name="slug",
        queryset=Company.objects.all(),
        help_text="Sponsor company's slug, e.g. bristol-myers-squibb.",
    )
    indication = django_filters.ModelChoiceFilter(
        field_name="indications",
        to_field_name="slug",
        queryset=Indication.objects.all(),
        help_text="Indication slug, e.g. rrmm.",
    )

    class Meta:
        model = Asset
        fields = ["q", "sponsor", "indication"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.asset_search(queryset, value)


class TrialFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", help_text="Acronym, NCT id or title contains this text, ignoring case."
    )
    phase = django_filters.ChoiceFilter(choices=PHASE_CHOICES, help_text="Trial phase, e.g. 3 or 1/2.")
    status = django_filters.ChoiceFilter(choices=Trial.Status.choices, help_text="Recruitment status.")
    sponsor = django_filters.ModelChoiceFilter(
        field_name="sponsor",
        to_field_name="slug",
        queryset=Company.objects.all(),
        help_text="Sponsor company's slug, e.g. bristol-myers-squibb.",
    )
    asset = django_filters.ModelChoiceFilter(
        field_name="assets",
        to_field_name="slug",
        queryset=Asset.objects.all(),
        help_text="Slug of an asset the trial tests, e.g. mezigdomide.",
    )
    indication = django_filters.ModelChoiceFilter(
        field_name="indication",
        to_field_name="slug",
        queryset=Indication.objects.all(),
        help_text="Indication slug, e.g. rrmm.",
    )

    class Meta:
        model = Trial
        fields = ["q", "phase", "status", "sponsor", "asset", "indication"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.trial_search(queryset, value)


class NewsItemFilter(django_filters.FilterSet):
    date = django_filters.DateFromToRangeFilter(
        help_text="Publication date range, inclusive: date_after=YYYY-MM-DD and/or date_before=YYYY-MM-DD."
    )
    asset = django_filters.ModelChoiceFilter(
        field_name="assets",
        to_field_name="slug",
        queryset=Asset.objects.all(),
        help_text="Slug of an asset the item mentions, e.g. mezigdomide.",
    )
    trial = django_filters.CharFilter(
        method="filter_trial",
        help_text="A trial the item mentions, by NCT id, acronym (ignoring case) or slug, e.g. NCT05552976.",
    )
    company = django_filters.ModelChoiceFilter(
        field_name="companies",
        to_field_name="slug",
        queryset=Company.objects.all(),
        help_text="Slug of a company the item mentions.",
    )

    class Meta:
        model = NewsItem
        fields = ["date", "asset", "trial", "company"]

    def filter_trial(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.news_mentioning_trial(queryset, value)
