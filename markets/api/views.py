"""Market endpoints. Views check the shape of the body and call one service or selector; the services validate
values and raise domain errors, which the project's exception handler maps to 400 (bad input, naming the field),
403 and 409 (the market or your holdings do not allow it: trading closed, price limit crossed, not enough points or
shares)."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.errors import ValidationError
from markets import selectors
from markets.api import serializers as s
from markets.models import Market, Question
from markets.services import market_create, trade_execute, trade_quote

ERRORS = {
    400: OpenApiResponse(description="Invalid input; the body names the field and what is allowed."),
    401: OpenApiResponse(description="Not logged in."),
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such market."),
    409: OpenApiResponse(
        description="Refused in the current state: trading closed, price limit crossed (code price_limit), not "
        "enough points or shares, a market already exists."
    ),
}
TRADE_FIELDS = {"outcome", "side", "shares", "budget", "max_price", "min_price"}
QUOTE_EXAMPLES = [
    OpenApiExample("Buy 10 YES shares", value={"outcome": 1, "shares": 10}, request_only=True),
    OpenApiExample("Spend 25 points on NO", value={"outcome": 0, "budget": 25}, request_only=True),
    OpenApiExample("Sell 4 YES shares, at least 0.55 each", value={"outcome": 1, "side": "sell", "shares": 4,
                                                                   "min_price": 0.55}, request_only=True),
]


def _body(request, allowed: set[str]) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.", field="non_field_errors")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(
            f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.", field=unknown[0]
        )
    return dict(data)


def _trade_args(data: dict) -> dict:
    if "outcome" not in data:
        raise ValidationError("outcome is required (binary: 0 = NO, 1 = YES; numeric: the bucket index).",
                              field="outcome")
    return {
        "outcome": data.get("outcome"), "side": data.get("side", "buy"), "shares": data.get("shares"),
        "budget": data.get("budget"), "max_price": data.get("max_price"), "min_price": data.get("min_price"),
    }


class IsStaffOrReadOnly(permissions.BasePermission):
    message = "Only admins can open markets."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_staff)


@extend_schema_view(
    list=extend_schema(
        summary="List markets, newest first",
        parameters=[OpenApiParameter("question", int, description="Only the market of this question id"),
                    OpenApiParameter("status", str, enum=Market.Status.values)],
    ),
    retrieve=extend_schema(summary="A market: prices, outstanding shares, status and question"),
    create=extend_schema(
        summary="Open a market on a question (admins)",
        description="Reserves b ln(n) points from the house account. Binary markets have outcomes 0 = NO and "
        "1 = YES; numeric markets K equal buckets over the question's range (the end buckets absorb values "
        "outside it).",
        request=s.MarketCreateSerializer, responses={201: s.MarketSerializer, **ERRORS},
    ),
)
class MarketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = s.MarketSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"
    throttle_scope = None  # set per action: trades are rate-limited (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])

    def get_queryset(self):
        qs = selectors.market_list(user=self.request.user)
        params = self.request.query_params
        raw_question = params.get("question", "")
        if raw_question.isascii() and raw_question.isdigit():  # int() cannot read other digits ("²")
            question_id = int(raw_question)
            # No id reaches 2**63; SQLite cannot even compare such a number (OverflowError).
            qs = qs.filter(question_id=question_id) if question_id < 2**63 else qs.none()
        if params.get("status") in Market.Status.values:
            qs = qs.filter(status=params["status"])
        return qs

    def create(self, request, *args, **kwargs):
        data = _body(request, {"question", "b", "buckets"})
        question_id = data.get("question")
        if isinstance(question_id, bool) or not isinstance(question_id, int):
            raise ValidationError(f"question must be a question id (an integer), got {question_id!r}.",
                                  field="question")
        question = Question.objects.filter(pk=question_id).first()
        if question is None:
            raise ValidationError(f"There is no question {question_id}.", field="question")
        market = market_create(question=question, b=data.get("b"), buckets=data.get("buckets"),
                               created_by=request.user)
        return Response(s.MarketSerializer(market).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Price a trade without making it",
        description="Same body as a trade. Answers the shares, the cash you would pay (buy) or receive (sell), the "
        "average price and every outcome's price before and after. Fails as the trade would now (400, 409), "
        "including your balance and holdings when you are logged in.",
        request=s.QuoteInSerializer, responses={200: s.QuoteSerializer, **ERRORS}, examples=QUOTE_EXAMPLES,
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.AllowAny])
    def quote(self, request, pk=None):
        market = self.get_object()
        args = _trade_args(_body(request, TRADE_FIELDS))
        quote = trade_quote(market=market, user=request.user, **args)
        return Response(s.QuoteSerializer(quote).data)

    @extend_schema(
        methods=["GET"], summary="The market's trade tape, newest first (no trader names)",
        responses={200: s.TradeTapeSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"], summary="Trade",
        description='Buy by shares {"outcome": 1, "shares": 10}, buy with a budget {"outcome": 1, "budget": 25}, '
        'or sell shares you own {"outcome": 1, "side": "sell", "shares": 4}. Optional limits: "max_price" for a '
        'buy, "min_price" for a sale, on the AVERAGE price per share (cash / shares, after rounding); a trade '
        "that would cross its limit is refused with 409 (code price_limit) and nothing changes. Shares and "
        "budgets take at most 3 decimals. You pay the cost rounded up to 0.001 points and receive proceeds "
        "rounded down.",
        request=s.TradeInSerializer, responses={201: s.TradeSerializer, **ERRORS}, examples=QUOTE_EXAMPLES,
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[permissions.IsAuthenticatedOrReadOnly],
            throttle_scope="trades")
    def trades(self, request, pk=None):
        market = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.market_trade_tape(market=market))
            return self.get_paginated_response(
                s.TradeTapeSerializer(page, many=True, context=self.get_serializer_context()).data
            )
        args = _trade_args(_body(request, TRADE_FIELDS))
        trade = trade_execute(market=market, user=request.user, **args)
        return Response(s.TradeSerializer(trade, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    def get_object(self):
        market = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, market)
        return market


class PortfolioView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Your points: balance, open positions at current prices, profit and loss",
                   responses={200: s.PortfolioSerializer, 401: ERRORS[401]})
    def get(self, request):
        return Response(s.PortfolioSerializer(selectors.portfolio(user=request.user)).data)


@extend_schema_view(get=extend_schema(summary="Your trades in every market, newest first"))
class MyTradesView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.MyTradeSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.user_trades(user=self.request.user)


class MarketLeaderboardView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="The market leaderboard",
        description="Traders ranked by profit: realised profit from settled markets plus open positions valued at "
        "current prices.",
        parameters=[OpenApiParameter("limit", int, description="Rows (1 to 500, default 100)")],
        responses={200: s.LeaderboardRowSerializer(many=True)},
    )
    def get(self, request):
        raw = request.query_params.get("limit", "100")
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 500:
            raise ValidationError(f"limit must be a whole number from 1 to 500, got {raw!r}.", field="limit")
        rows = selectors.market_leaderboard(limit=int(raw))
        return Response(s.LeaderboardRowSerializer(rows, many=True).data)
