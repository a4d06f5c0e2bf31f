"""The points ledger: grants, the house, balanced transactions, append-only rows, constraints, the ledger check."""
import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from assets.errors import StateError, ValidationError
from forecasting.accounts.services import user_create, user_verify_email, verification_token_make
from markets.models import Account, LedgerEntry, LedgerTransaction, Trade
from markets.selectors import ledger_check
from markets.services import (
    account_for_user,
    account_grant,
    account_grant_starting_points,
    house_ensure_endowment,
    trade_buy_shares,
)
from markets.services.ledger import Posting, issuer_account, lock_accounts, record
from tests import factories
from tests.markets.conftest import balance


def test_confirming_the_signup_address_grants_the_starting_points_once(db):
    user = user_create(username="newcomer", email="n@example.com", password="a-long-password-1")
    assert balance(user) == 0  # nothing until the address is confirmed (issue 13, Sybil accounts)
    token = verification_token_make(user=user)
    user_verify_email(token=token)
    user_verify_email(token=token)  # a second click changes nothing
    assert balance(user) == 1_000_000
    assert ledger_check() == []


def test_starting_grant_follows_the_setting(db, settings):
    settings.READOUT = {**settings.READOUT, "STARTING_GRANT_POINTS": 250}
    user = factories.UserFactory()
    account_grant_starting_points(user=user)
    assert balance(user) == 250_000


def test_starting_grant_is_paid_once_per_user(db):
    user = factories.UserFactory()
    first = account_grant_starting_points(user=user)
    second = account_grant_starting_points(user=user)
    assert first.pk == second.pk
    assert balance(user) == 1_000_000
    assert LedgerTransaction.objects.filter(key=f"grant:start:{user.pk}").count() == 1


def test_a_grant_is_balanced_by_the_issuer(db):
    user = factories.UserFactory()
    txn = account_grant_starting_points(user=user)
    amounts = sorted(txn.entries.values_list("amount", flat=True))
    assert amounts == [-1_000_000, 1_000_000]
    assert issuer_account().balance == -1_000_000


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "100"])
def test_a_grant_must_be_a_positive_whole_number_of_millipoints(db, amount):
    account = account_for_user(user=factories.UserFactory())
    with pytest.raises(ValidationError) as exc:
        account_grant(account=account, amount_millipoints=amount, key="grant:bad")
    assert exc.value.field == "amount"


def test_the_house_endowment_is_granted_once(db, settings):
    settings.READOUT = {**settings.READOUT, "HOUSE_ENDOWMENT_POINTS": 5000}
    house = house_ensure_endowment()
    house_ensure_endowment()
    house.refresh_from_db()
    assert house.balance == 5_000_000
    assert ledger_check() == []


def test_sum_of_accounts_equals_total_granted(db):
    for _ in range(3):
        account_grant_starting_points(user=factories.UserFactory())
    house_ensure_endowment()
    granted = LedgerEntry.objects.filter(transaction__kind="grant").exclude(account__kind="issuer").aggregate(
        s=Sum("amount"))["s"]
    held = Account.objects.exclude(kind="issuer").aggregate(s=Sum("balance"))["s"]
    assert held == granted == 3_000_000 + 1_000_000_000


def test_record_refuses_an_unbalanced_posting(db):
    a = account_for_user(user=factories.UserFactory())
    b = account_for_user(user=factories.UserFactory())
    with transaction.atomic():
        locked = lock_accounts([a.pk, b.pk])
        with pytest.raises(ValueError, match="unbalanced"):
            record([Posting(key="x", kind="trade", amounts={locked[a.pk]: 5, locked[b.pk]: -4})])
        with pytest.raises(ValueError, match="unbalanced"):
            record([Posting(key="y", kind="trade", amounts={locked[a.pk]: 0, locked[b.pk]: 0})])


def test_record_refuses_to_overdraw_an_account(db):
    a = account_for_user(user=factories.UserFactory())
    b = account_for_user(user=factories.UserFactory())
    with transaction.atomic():
        locked = lock_accounts([a.pk, b.pk])
        with pytest.raises(StateError):
            record([Posting(key="x", kind="trade", amounts={locked[a.pk]: -1, locked[b.pk]: 1})])
    assert LedgerTransaction.objects.filter(key="x").count() == 0


def test_the_database_refuses_a_negative_user_balance(db):
    account = account_for_user(user=factories.UserFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)


def test_the_database_allows_only_the_issuer_below_zero(db):
    issuer = issuer_account()
    Account.objects.filter(pk=issuer.pk).update(balance=-10)  # the issuer is the counterparty of grants
    house = house_ensure_endowment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=house.pk).update(balance=-1)


def test_a_ledger_key_is_unique(db):
    account_grant_starting_points(user=factories.UserFactory())
    txn = LedgerTransaction.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(key=txn.key, kind="grant", created_at=txn.created_at)


def test_ledger_rows_are_append_only(db, binary_market, trader):
    trade = trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1)
    entry = LedgerEntry.objects.filter(transaction=trade.transaction).first()
    entry.amount = 0
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        trade.delete()
    with pytest.raises(TypeError, match="append-only"):
        Trade.objects.all().update(cash=0)
    with pytest.raises(TypeError, match="append-only"):
        LedgerTransaction.objects.all().delete()


def test_every_transaction_sums_to_zero_after_trades(db, binary_market, trader):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    totals = LedgerTransaction.objects.annotate(s=Sum("entries__amount")).values_list("s", flat=True)
    assert list(totals) and set(totals) == {0}


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        ("balance", "differs from its entries"),
        ("q", "positions sum to"),
        ("pool", "account holds"),
    ],
)
def test_ledger_check_reports_broken_invariants(db, binary_market, trader, corrupt, expected):
    from markets.models import Market

    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    assert ledger_check() == []
    if corrupt == "balance":
        Account.objects.filter(user=trader).update(balance=5)
    elif corrupt == "q":
        Market.objects.filter(pk=binary_market.pk).update(q=[0, 9999])
    else:
        Account.objects.filter(market=binary_market).update(balance=1)
    problems = ledger_check()
    assert any(expected in p for p in problems), problems
