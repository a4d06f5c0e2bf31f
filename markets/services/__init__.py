"""Services of the markets app: question lifecycle, the points ledger, markets, trading and settlement.

Everything that moves points locks the rows it touches with ``select_for_update`` in one global order
(question -> market -> accounts by pk in a single statement -> positions), documented in docs/ledger.md.
"""
from markets.services.ledger import (
    account_for_user,
    account_grant,
    account_grant_starting_points,
    house_ensure_endowment,
)
from markets.services.markets import market_close, market_create
from markets.services.questions import (
    QUESTION_EDITABLE_FIELDS,
    QUESTION_FROZEN_AFTER_OPEN,
    question_close,
    question_create,
    question_create_with_market,
    question_open,
    question_update,
    question_update_with_market,
    question_validate,
    questions_close_due,
)
from markets.services.settlement import market_refund, market_settle, market_unsettle
from markets.services.trading import (
    TradeQuote,
    trade_buy_budget,
    trade_buy_shares,
    trade_execute,
    trade_quote,
    trade_sell,
)

__all__ = [
    "QUESTION_EDITABLE_FIELDS", "QUESTION_FROZEN_AFTER_OPEN", "TradeQuote", "account_for_user", "account_grant",
    "account_grant_starting_points", "house_ensure_endowment", "market_close", "market_create", "market_refund",
    "market_settle", "market_unsettle", "question_close", "question_create", "question_create_with_market", "question_open", "question_update",
    "question_update_with_market",
    "question_validate", "questions_close_due", "trade_buy_budget", "trade_buy_shares", "trade_execute",
    "trade_quote", "trade_sell",
]
