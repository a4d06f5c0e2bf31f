"""Serializers for markets, quotes, trades and portfolios. Input is validated by the services (one set of rules for
the API and the pages); the input serializers here document the accepted shapes for the schema.

Money and holdings are shown as decimal strings with exactly three decimals: points ("12.345") and shares; they are
stored as integers in milli-points and milli-shares. Prices are floats between 0 and 1 (points per share)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from markets.buckets import outcome_labels
from markets.models import Market, Trade
from markets.selectors import market_prices
from markets.units import milli_to_decimal


class MilliField(serializers.DecimalField):
    """An integer of milli-points or milli-shares shown as a decimal string with three places."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=24, decimal_places=3, **kwargs)

    def to_representation(self, value):
        return super().to_representation(milli_to_decimal(value))


class OutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    label = serializers.CharField(help_text='"NO"/"YES" for binary markets; the bucket range for numeric ones.')
    price = serializers.FloatField(help_text="Current price, points per share = the market's probability.")
    outstanding = MilliField(help_text="Shares of this outcome held by traders.")


class MarketSerializer(serializers.ModelSerializer):
    question_slug = serializers.CharField(source="question.slug", read_only=True)
    question_title = serializers.CharField(source="question.title", read_only=True)
    question_type = serializers.CharField(source="question.type", read_only=True)
    question_url = serializers.SerializerMethodField()
    outcomes = serializers.SerializerMethodField()
    prices = serializers.SerializerMethodField()
    reserve = MilliField(source="reserve_millipoints", help_text="b ln(n) points reserved from the house.")

    class Meta:
        model = Market
        fields = [
            "id", "question", "question_slug", "question_title", "question_type", "question_url", "status", "b", "n",
            "outcomes", "prices", "reserve", "trade_count", "winning_outcome", "created_at", "settled_at",
        ]
        read_only_fields = fields

    def get_question_url(self, market) -> str:
        return market.question.get_absolute_url()

    @extend_schema_field(serializers.ListField(child=serializers.FloatField()))
    def get_prices(self, market):
        return market_prices(market)

    @extend_schema_field(OutcomeSerializer(many=True))
    def get_outcomes(self, market):
        labels = outcome_labels(market)
        return OutcomeSerializer(
            [{"index": i, "label": label, "price": price, "outstanding": q}
             for i, (label, price, q) in enumerate(zip(labels, market_prices(market), market.q))],
            many=True,
        ).data


class MarketCreateSerializer(serializers.Serializer):
    question = serializers.IntegerField(help_text="The question's id (a draft or open question without a market).")
    b = serializers.FloatField(help_text="Liquidity in points (1 to 100,000). The house reserves b ln(n).")
    buckets = serializers.IntegerField(
        required=False, help_text="Numeric questions: K, the number of equal buckets (2 to 100; default 10). "
        "Leave out for binary questions (outcomes 0 = NO, 1 = YES).",
    )


class TradeInSerializer(serializers.Serializer):
    outcome = serializers.IntegerField(help_text="Binary: 0 = NO, 1 = YES. Numeric: the bucket index.")
    side = serializers.ChoiceField(choices=["buy", "sell"], required=False, default="buy")
    # JSON numbers, not decimal strings (coerce_to_string=False): the services refuse a string ("10"), and a schema
    # saying "string" made every generated client's trade fail.
    shares = serializers.DecimalField(
        max_digits=20, decimal_places=3, required=False, coerce_to_string=False,
        help_text="Shares to buy or sell (> 0, at most 3 decimals), a JSON number. Give shares or budget.",
    )
    budget = serializers.DecimalField(
        max_digits=20, decimal_places=3, required=False, coerce_to_string=False,
        help_text="Buys only: points to spend (> 0, at most 3 decimals), a JSON number; buys as many shares as the "
        "budget pays for, rounded down.",
    )
    max_price = serializers.FloatField(
        required=False, help_text="Buys: refuse (409) if the average price per share would exceed this.",
    )
    min_price = serializers.FloatField(
        required=False, help_text="Sells: refuse (409) if the average price per share would fall below this.",
    )


class QuoteInSerializer(TradeInSerializer):
    pass


class QuoteSerializer(serializers.Serializer):
    market = serializers.IntegerField(source="market_id")
    outcome = serializers.IntegerField()
    side = serializers.CharField()
    shares = MilliField()
    cash = MilliField(help_text="Points the trader pays (buy) or receives (sell), rounded in the market's favour.")
    budget = MilliField(allow_null=True)
    average_price = serializers.FloatField(help_text="cash / shares, points per share.")
    price_before = serializers.ListField(child=serializers.FloatField())
    price_after = serializers.ListField(child=serializers.FloatField())


class TradeTapeSerializer(serializers.ModelSerializer):
    """A trade on the public tape: no trader name."""

    side = serializers.SerializerMethodField()
    shares = serializers.SerializerMethodField()
    cash = serializers.SerializerMethodField()
    mine = serializers.SerializerMethodField()
    voided = serializers.SerializerMethodField()

    class Meta:
        model = Trade
        fields = ["id", "market", "outcome", "side", "shares", "cash", "price_before", "price_after", "created_at",
                  "voided", "mine"]
        read_only_fields = fields

    def get_side(self, trade) -> str:
        return "buy" if trade.shares > 0 else "sell"

    @extend_schema_field(serializers.DecimalField(max_digits=24, decimal_places=3))
    def get_shares(self, trade):
        return f"{milli_to_decimal(abs(trade.shares))}"

    @extend_schema_field(serializers.DecimalField(max_digits=24, decimal_places=3))
    def get_cash(self, trade):
        return f"{milli_to_decimal(abs(trade.cash))}"

    def get_voided(self, trade) -> bool:
        """Made after the answer became public and reversed at settlement (docs/markets.md "Late trades")."""
        return bool(getattr(trade, "voided", False))

    def get_mine(self, trade) -> bool:
        user = self.context.get("request").user if self.context.get("request") else None
        return bool(user and user.is_authenticated and trade.user_id == user.pk)


class PositionSerializer(serializers.Serializer):
    outcome = serializers.IntegerField()
    shares = MilliField()
    cost_basis = MilliField(help_text="Points paid for the shares still held (sales remove cost at the average).")
    realised = MilliField(help_text="Profit booked by sales in this market: proceeds minus the average cost of the "
                                    "shares sold, points.")


class TradeSerializer(TradeTapeSerializer):
    """An executed trade, for its trader: with the balance and position after it."""

    balance = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    outcome_label = serializers.SerializerMethodField()

    class Meta(TradeTapeSerializer.Meta):
        fields = [f for f in TradeTapeSerializer.Meta.fields if f != "mine"] + ["outcome_label", "balance", "position"]
        read_only_fields = fields

    def get_outcome_label(self, trade) -> str:
        return trade.market.outcome_label(trade.outcome)

    @extend_schema_field(serializers.DecimalField(max_digits=24, decimal_places=3, allow_null=True))
    def get_balance(self, trade):
        balance = getattr(trade, "balance_after", None)
        return None if balance is None else f"{milli_to_decimal(balance)}"

    @extend_schema_field(PositionSerializer(allow_null=True))
    def get_position(self, trade):
        position = getattr(trade, "position", None)
        return None if position is None else PositionSerializer(position).data


class MyTradeSerializer(TradeTapeSerializer):
    question = serializers.IntegerField(source="market.question_id", read_only=True)
    question_title = serializers.CharField(source="market.question.title", read_only=True)

    class Meta(TradeTapeSerializer.Meta):
        fields = [f for f in TradeTapeSerializer.Meta.fields if f != "mine"] + ["question", "question_title"]
        read_only_fields = fields


class PortfolioPositionSerializer(serializers.Serializer):
    market = serializers.IntegerField(source="market.pk")
    question = serializers.IntegerField(source="market.question_id")
    question_title = serializers.CharField(source="market.question.title")
    market_status = serializers.CharField(source="market.status")
    outcome = serializers.IntegerField()
    outcome_label = serializers.CharField(source="label")
    shares = MilliField()
    cost_basis = MilliField()
    price = serializers.FloatField(help_text="Current price of the outcome.")
    value = MilliField(help_text="shares x current price, points.")
    unrealised = MilliField(help_text="value - cost_basis, points.")
    realised = MilliField(help_text="Profit booked by sales in this market: proceeds minus the average cost of the "
                                    "shares sold, points.")


class PortfolioClosedSerializer(serializers.Serializer):
    market = serializers.IntegerField(source="market.pk")
    question = serializers.IntegerField(source="market.question_id")
    question_title = serializers.CharField(source="market.question.title")
    market_status = serializers.CharField(source="market.status")
    result = MilliField(help_text="Sales + payout or refund - purchases, points.")


class PortfolioSerializer(serializers.Serializer):
    balance = MilliField(help_text="Points available to trade.")
    open_value = MilliField(help_text="Open positions at current prices, points.")
    total = MilliField(help_text="balance + open_value.")
    realised = MilliField(help_text="Final profit, points: sales (proceeds minus the average cost of the shares sold) "
                                    "in markets still open, plus each settled or refunded market's result.")
    unrealised = MilliField(help_text="Shares still held at current prices minus their cost basis, points.")
    positions = PortfolioPositionSerializer(many=True)
    closed_markets = PortfolioClosedSerializer(many=True, source="closed")


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    profit = MilliField(help_text="realised + unrealised, points.")
    realised = MilliField(help_text="Final profit, points: sales (proceeds minus the average cost of the shares sold) "
                                    "in markets still open, plus each settled or refunded market's result.")
    unrealised = MilliField(help_text="Shares still held in unsettled markets at current prices minus their cost "
                                      "basis, points.")
    open_pnl = MilliField(help_text="Deprecated: the same as unrealised.")
    trades = serializers.IntegerField()
