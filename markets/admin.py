"""Admin for questions and markets. Ledger rows are read-only here: points only move through the services."""
from django import forms
from django.contrib import admin, messages
from django.shortcuts import render

from assets.errors import DomainError
from markets.models import Account, LedgerEntry, LedgerTransaction, Market, Position, PricePoint, Question, Trade
from markets.services import market_create, question_close, question_open
from markets.services.markets import MAX_BUCKETS, MAX_LIQUIDITY, MIN_BUCKETS, MIN_LIQUIDITY, default_buckets
from markets.units import points_text


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows written by the services only (history, balances): viewable and searchable, never added, changed or
    deleted here. forecasting.admin uses it too."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OpenMarketForm(forms.Form):
    b = forms.FloatField(min_value=MIN_LIQUIDITY, max_value=MAX_LIQUIDITY, initial=100,
                         help_text="Liquidity in points. The house reserves b ln(n); larger b moves prices less.")
    buckets = forms.IntegerField(min_value=MIN_BUCKETS, max_value=MAX_BUCKETS, required=False,
                                 help_text="Numeric questions only: K equal buckets (default from settings).")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Questions in the admin. forecasting.admin extends this with the staff question form, which validates
    through the question services (markets cannot import it: dependencies point assets <- markets <- forecasting)."""
    list_display = ("title", "type", "status", "scheduled_close_time", "forecaster_count", "has_market")
    list_filter = ("status", "type", "asset", "trial", "log_scale")
    search_fields = ("title", "slug", "description", "resolution_criteria")
    date_hierarchy = "scheduled_close_time"
    # Status moves only through the lifecycle actions and the resolution pages, never by editing the field.
    readonly_fields = ("status", "slug", "outcome", "known_at", "actual_close_time", "resolved_at", "forecaster_count",
                       "created_by", "created_at", "updated_at")
    list_select_related = ("market",)
    actions = ["open_market", "open_drafts", "close_questions"]

    @admin.action(description="Open the selected drafts")
    def open_drafts(self, request, queryset):
        self._apply(request, queryset, question_open, "opened")

    @admin.action(description="Close the selected open questions")
    def close_questions(self, request, queryset):
        self._apply(request, queryset, question_close, "closed")

    def _apply(self, request, queryset, service, verb):
        for question in queryset:
            try:
                service(question=question)
            except DomainError as exc:
                self.message_user(request, f"{question}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{question}: {verb}.", messages.SUCCESS)

    @admin.display(boolean=True, description="Market")
    def has_market(self, question):
        return hasattr(question, "market")

    @admin.action(description="Open a market on the selected questions")
    def open_market(self, request, queryset):
        if "apply" in request.POST:
            form = OpenMarketForm(request.POST)
            if form.is_valid():
                for question in queryset:
                    try:
                        market = market_create(question=question, b=form.cleaned_data["b"],
                                               buckets=form.cleaned_data["buckets"] if question.is_continuous else None,
                                               created_by=request.user)
                    except DomainError as exc:
                        self.message_user(request, f"{question}: {exc.message}", messages.ERROR)
                    else:
                        reserved = points_text(market.reserve_millipoints)
                        self.message_user(request, f"{question}: market opened, {reserved} points reserved.",
                                          messages.SUCCESS)
                return None
        else:
            form = OpenMarketForm(initial={"b": 100, "buckets": default_buckets()})
        return render(request, "admin/markets/open_market.html", {
            **self.admin_site.each_context(request), "title": "Open a market", "form": form, "questions": queryset,
            "action": "open_market", "opts": self.model._meta,
        })


@admin.register(Market)
class MarketAdmin(ReadOnlyAdmin):
    list_display = ("question", "status", "b", "n", "trade_count", "created_at", "settled_at")
    list_filter = ("status",)
    search_fields = ("question__title", "question__slug")
    list_select_related = ("question",)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "points", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "market__question__title")
    list_select_related = ("user", "market")

    @admin.display(description="Balance (points)", ordering="balance")
    def points(self, account):
        return points_text(account.balance)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("key", "kind", "created_at", "user", "market", "memo")
    list_filter = ("kind",)
    search_fields = ("key", "memo", "user__username")
    list_select_related = ("user", "market__question")
    inlines = [LedgerEntryInline]


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "market", "outcome", "shares", "cash", "price_before", "price_after")
    list_filter = ("market",)
    search_fields = ("user__username", "market__question__title")
    list_select_related = ("user", "market__question")


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("user", "market", "outcome", "shares", "cost_basis", "realised", "updated_at")
    search_fields = ("user__username", "market__question__title")
    list_select_related = ("user", "market__question")


@admin.register(PricePoint)
class PricePointAdmin(ReadOnlyAdmin):
    list_display = ("market", "created_at", "prices")
    list_select_related = ("market__question",)
