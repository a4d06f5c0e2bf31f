"""A database error in the middle of a trade leaves the ledger exactly as it was (SQLite and PostgreSQL).

trade_execute runs in one transaction: ledger postings and balances first, then q, the position, the Trade row and
its PricePoint. A failure at any of those steps, after the postings are written, must undo all of them.
"""
import pytest
from django.db import DatabaseError, IntegrityError, connection

from markets.models import Account, LedgerEntry, LedgerTransaction, Market, Position, PricePoint, Trade
from markets.selectors import ledger_check
from markets.services import trade_buy_shares, trade_sell
from markets.services import trading
from tests.markets.conftest import balance

pytestmark = pytest.mark.django_db


def _state() -> dict:
    """Every row a trade can touch."""
    return {
        "accounts": sorted(Account.objects.values_list("pk", "balance")),
        "positions": sorted(Position.objects.values_list("pk", "user_id", "outcome", "shares", "cost_basis",
                                                         "realised")),
        "markets": sorted(Market.objects.values_list("pk", "q", "trade_count", "prices_at")),
        "trades": sorted(Trade.objects.values_list("pk", flat=True)),
        "transactions": sorted(LedgerTransaction.objects.values_list("pk", "key")),
        "entries": sorted(LedgerEntry.objects.values_list("pk", "account_id", "amount")),
        "price_points": sorted(PricePoint.objects.values_list("pk", flat=True)),
    }


class _FailingManager:
    """Stands in for ``Model.objects``: ``method`` raises ``error``, everything else goes to the real manager."""

    def __init__(self, real, method, error):
        self._real, self._method, self._error = real, method, error

    def __getattr__(self, name):
        if name == self._method:
            raise_error = self._error

            def fail(*args, **kwargs):
                raise_error()

            return fail
        return getattr(self._real, name)


def _fail(monkeypatch, model, method, error) -> None:
    """Make ``model.objects.<method>`` raise ``error`` until ``monkeypatch.undo()``. Only the services' own calls go
    through ``Model.objects``; Django's internals use ``_default_manager``, which keeps working."""
    monkeypatch.setattr(model, "objects", _FailingManager(model.objects, method, error))


def _real_sql_error():
    """A genuine error from the database itself (OperationalError on SQLite, ProgrammingError on PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO no_such_table_readout (x) VALUES (1)")


def _integrity_error():
    raise IntegrityError("duplicate key value violates unique constraint (injected)")


def _database_error():
    raise DatabaseError("server closed the connection unexpectedly (injected)")


# Where in trade_execute it fails: the model whose manager method raises, the method, the error.
FAILURE_POINTS = [
    pytest.param(LedgerEntry, "bulk_create", _integrity_error, id="ledger-entries-after-the-transaction-row"),
    pytest.param(Account, "filter", _database_error, id="balance-update-after-the-entries"),
    pytest.param(Market, "filter", _database_error, id="q-update-after-the-postings"),
    pytest.param(Trade, "create", _real_sql_error, id="trade-row-after-postings-q-and-position"),
    pytest.param(PricePoint, "create", _database_error, id="price-point-the-last-write"),
]


@pytest.mark.parametrize("side", ["buy", "sell"])
@pytest.mark.parametrize(("model", "method", "error"), FAILURE_POINTS)
def test_a_database_error_mid_trade_leaves_every_row_unchanged(
    binary_market, trader, other_trader, monkeypatch, side, model, method, error
):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=20)
    trade_buy_shares(market=binary_market, user=other_trader, outcome=0, shares=7)
    before = _state()
    assert ledger_check() == []

    _fail(monkeypatch, model, method, error)
    with pytest.raises(DatabaseError):
        if side == "buy":
            trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=5)
        else:
            trade_sell(market=binary_market, user=trader, outcome=1, shares=5)
    monkeypatch.undo()

    assert _state() == before
    assert ledger_check() == []
    # The connection is usable and the same trade goes through afterwards.
    paid_before = balance(trader)
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=5)
    assert balance(trader) < paid_before
    assert ledger_check() == []


def test_the_failure_points_are_reached_after_ledger_postings(binary_market, trader, monkeypatch):
    """Guards the test above: each injected failure fires after the trade's ledger transaction row was written (so
    the rollback really has something to undo), not before it."""
    seen = []
    real_record = trading.record

    def spy(postings, **kwargs):
        result = real_record(postings, **kwargs)
        seen.append(LedgerTransaction.objects.filter(key=postings[0].key).exists())
        return result

    monkeypatch.setattr(trading, "record", spy)
    _fail(monkeypatch, PricePoint, "create", _database_error)
    with pytest.raises(DatabaseError):
        trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=5)
    assert seen == [True]
    assert not LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.TRADE).exists()
