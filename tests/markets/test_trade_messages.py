"""What a refused trade says, in words for people: no Python reprs (Decimal('-3')), no argument names (max_price),
and "the price moved" only when it did.

The false "price has moved" came from comparing the limit with the trade's AVERAGE price (which includes the
trade's own price impact) and always blaming a price move: on a fresh market at 0.50, buying 10 YES with a limit
of 0.50 averages 0.5125 and was refused with "the price has moved" although nobody had traded.
"""
import re
from decimal import Decimal

import pytest

from assets.errors import StateError, ValidationError
from markets.services import trade_buy_shares, trade_execute, trade_quote, trade_sell

LEAKS = re.compile(r"Decimal\(|max_price|min_price|got '|got \"|\bNone\b|\bnan\b|\binf\b")


def test_a_limit_crossed_by_the_trade_itself_does_not_say_the_price_moved(db, binary_market, trader):
    with pytest.raises(StateError) as exc:
        trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10, max_price=0.5)
    message = exc.value.message
    assert exc.value.field == "max_price" and exc.value.code == "price_limit"
    assert "moved" not in message
    assert not LEAKS.search(message), message
    # It says what the trade would cost on average, the limit, and what to do.
    assert "0.5125" in message and "limit of 0.50" in message
    assert "from 0.50 to 0.52" in message and "Buy fewer shares or raise the limit" in message


def test_a_limit_crossed_because_someone_traded_says_the_price_is_now_above_it(db, binary_market, trader,
                                                                               other_trader):
    quote = trade_quote(market=binary_market, outcome=1, shares=10)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=1, shares=30)  # the price is now 0.57
    with pytest.raises(StateError) as exc:
        trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10,
                         max_price=Decimal(str(round(quote.average_price, 4))))
    message = exc.value.message
    assert message.startswith("The price is now 0.57, above the limit of 0.5125 you set"), message
    assert "review the new quote" in message and not LEAKS.search(message)


def test_a_sale_below_its_limit_says_so_in_words(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    with pytest.raises(StateError) as exc:
        trade_sell(market=binary_market, user=trader, outcome=1, shares=10, min_price=0.52)
    message = exc.value.message
    assert exc.value.field == "min_price" and "moved" not in message and not LEAKS.search(message)
    assert "below the limit of 0.52 you set" in message and "Sell fewer shares or lower the limit" in message


@pytest.mark.parametrize(
    "kwargs, field, text",
    [
        ({"budget": Decimal("-3")}, "budget", "Enter the points to spend as a number greater than 0 (you entered -3)."),
        ({"shares": Decimal("0")}, "shares", "Enter a number of shares greater than 0 (you entered 0)."),
        ({"shares": Decimal("0.0001")}, "shares", "Shares can have at most 3 decimals (0.001); you entered 0.0001."),
        ({"shares": 1e12}, "shares", "You can trade at most 10,000,000 shares at a time"),
        ({"shares": "ten"}, "shares", "The number of shares must be a number"),
        ({"shares": 1, "max_price": 1.5}, "max_price", "The price limit must be between 0.001 and 1 (you entered 1.5)."),
        ({"shares": 1, "max_price": float("nan")}, "max_price", "The price limit must be a number"),
        ({"shares": 1, "min_price": 0.5}, "min_price", "A buy takes a maximum price"),
        ({"shares": 1, "side": "sell", "max_price": 0.5}, "max_price", "A sale takes a minimum price"),
        ({"shares": 1, "outcome": 7}, "outcome", "Choose an outcome: 0 (NO) or 1 (YES)."),
        ({"shares": 1, "side": "short"}, "side", 'Choose "buy" or "sell" (you entered "short").'),
    ],
)
def test_bad_trade_input_is_explained_in_words(db, binary_market, trader, kwargs, field, text):
    args = {"outcome": 1, "side": "buy", **kwargs}
    with pytest.raises(ValidationError) as exc:
        trade_execute(market=binary_market, user=trader, **args)
    assert exc.value.field == field
    assert text in exc.value.message, exc.value.message
    assert not LEAKS.search(exc.value.message), exc.value.message
    assert exc.value.message[0].isupper()
