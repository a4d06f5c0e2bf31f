"""Market pages: the markets index, the portfolio, the market leaderboard and the trade form's POST handler (the market panel itself
is a partial on the question page, filled by ``markets.selectors.market_panel_context``). Thin views: parse the form,
call one service or selector, render or redirect with a message."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from assets.errors import DomainError
from assets.paging import paginate
from markets import selectors
from markets.buckets import outcome_labels
from markets.models import Market, Question
from markets.selectors_index import STATUS_FILTERS, UnknownStatusFilter, market_index_rows, markets_index_queryset
from markets.services import trade_execute
from markets.trade_form import trade_form_arguments, trade_form_keep
from markets.units import milli_to_decimal, points_text

TRADES_PER_PAGE = 25
# Messages about a trade are shown by the trade form, where the page lands (#trade), not at the top of the page:
# the question page takes messages with this tag (forecasting/questions/flash.py; markets imports nothing of it).
PLACE_TAG = "place-market"
TRADE_ANCHOR = "#trade"


@require_POST
def trade_submit(request, pk: int):
    """POST from the market panel's form: make the trade and go back (to ``next``, the page the panel is on, if it is
    a safe local URL; else the question page) with a message saying what was traded or why not."""
    queryset = Market.objects.select_related("question")
    if not request.user.is_staff:
        queryset = queryset.exclude(question__status=Question.Status.DRAFT)
    market = get_object_or_404(queryset, pk=pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = f"{market.question.get_absolute_url()}{TRADE_ANCHOR}"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        trade = trade_execute(market=market, user=request.user, **trade_form_arguments(request.POST))
    except DomainError as exc:
        # Back to the form with what was typed and the error under its field (markets/trade_form.py).
        trade_form_keep(request, question_id=market.question_id, post=request.POST, error=exc)
        messages.error(request, f"Trade not made: {exc.message}", extra_tags=PLACE_TAG)
        return redirect(back)
    label = market.outcome_label(trade.outcome)
    shares = milli_to_decimal(abs(trade.shares))
    if trade.is_buy:
        text = f"Bought {shares} {label} shares for {points_text(trade.cash)} points."
    else:
        text = f"Sold {shares} {label} shares for {points_text(-trade.cash)} points."
    messages.success(request, f"{text} Your balance is {points_text(trade.balance_after)} points.", extra_tags=PLACE_TAG)
    return redirect(back)


# Rate-limited like the API's trades (the project's PageThrottleMiddleware reads this; markets imports nothing of it).
trade_submit.throttle_scope = "trades"


@login_required
@require_GET
def portfolio_page(request):
    folio = selectors.portfolio(user=request.user)
    trades = Paginator(selectors.user_trades(user=request.user), TRADES_PER_PAGE).get_page(request.GET.get("page"))
    labels = {}
    for trade in trades:
        if trade.market_id not in labels:
            labels[trade.market_id] = outcome_labels(trade.market)
        trade.outcome_label = labels[trade.market_id][trade.outcome]
    return render(request, "markets/portfolio.html", {"portfolio": folio, "trades": trades})


@require_GET
def leaderboard_page(request):
    rows = selectors.market_leaderboard(limit=200)
    return render(request, "markets/leaderboard.html", {"rows": rows})


@require_GET
def markets_index_page(request):
    """Every market (drafts' for staff only) with its question, status, leading price, volume, traders and last trade;
    ``?status=`` filters (open, closed, settled, refunded), ``?page=`` pages. An unknown status answers 400 with the
    page and the error above the filter."""
    status = (request.GET.get("status") or "").strip()
    error = None
    try:
        queryset = markets_index_queryset(user=request.user, status=status)
    except UnknownStatusFilter as exc:
        error, status = str(exc), ""
        queryset = Market.objects.none()
    page = paginate(request, queryset)
    context = {
        "page_obj": page, "rows": market_index_rows(page.object_list), "status": status,
        "status_choices": [(key, label) for key, (_, label) in STATUS_FILTERS.items()],
        "filter_errors": {"status": [error]} if error else None,
    }
    return render(request, "markets/index.html", context, status=400 if error else 200)
