"""The points ledger: accounts, grants and the one function that records a balanced transaction.

Double entry: every LedgerTransaction has two or more LedgerEntry rows that sum to zero. Grants are transfers from
the issuer account (the only account allowed below zero; its balance is minus the total ever granted), so the sum of
all user, market and house balances always equals the total granted. ``Account.balance`` is the running sum of the
account's entries, updated in the same database transaction as the entries, under a row lock.

Locking: callers lock accounts with :func:`lock_accounts`, which takes every row it needs in ONE
``SELECT ... FOR UPDATE ORDER BY pk`` statement. The global order for anything that moves points is
question -> market -> accounts (pk order, one statement) -> positions; see docs/ledger.md.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone

from assets.errors import StateError, ValidationError
from markets.models import Account, LedgerEntry, LedgerTransaction
from markets.units import MILLI, points_text

HOUSE_ENDOWMENT_KEY = "grant:house:endowment"


def _readout(name: str, default):
    return getattr(settings, "READOUT", {}).get(name, default)


def starting_grant_millipoints() -> int:
    """settings.READOUT["STARTING_GRANT_POINTS"] (default 1,000 points) in milli-points."""
    return int(_readout("STARTING_GRANT_POINTS", 1000)) * MILLI


def house_endowment_millipoints() -> int:
    """settings.READOUT["HOUSE_ENDOWMENT_POINTS"] (default 1,000,000 points) in milli-points."""
    return int(_readout("HOUSE_ENDOWMENT_POINTS", 1_000_000)) * MILLI


# ------------------------------------------------------------------------------------------------------- accounts


def account_for_user(*, user) -> Account:
    """The user's account, created (balance 0) if they have none. Does not lock it."""
    account, _ = Account.objects.get_or_create(user=user, defaults={"kind": Account.Kind.USER})
    return account


def _system_account(kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, user=None, market=None)
    return account


def house_account() -> Account:
    """The house account (created on first use). Does not lock it."""
    return _system_account(Account.Kind.HOUSE)


def issuer_account() -> Account:
    """The issuer account, counterparty of every grant (created on first use). Does not lock it."""
    return _system_account(Account.Kind.ISSUER)


def lock_accounts(pks: Iterable[int]) -> dict[int, Account]:
    """Lock the given accounts with ``select_for_update`` in ascending pk order, in a single statement, and return
    them by pk. Must run inside ``transaction.atomic``. Taking every account a transaction needs in one ordered
    statement is what makes account locks deadlock-free."""
    wanted = sorted(set(pks))
    accounts = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    missing = set(wanted) - set(accounts)
    if missing:
        raise Account.DoesNotExist(f"accounts {sorted(missing)} do not exist")
    return accounts


# ---------------------------------------------------------------------------------------------------- recording


@dataclass
class Posting:
    """One planned transaction: its key, kind and the amount (milli-points) for each locked account."""

    key: str
    kind: str
    amounts: dict[Account, int]
    user_id: int | None = None
    market_id: int | None = None
    reverses_id: int | None = None
    memo: str = ""
    entries: list = field(default_factory=list)


def record(postings: list[Posting], *, at: dt.datetime | None = None) -> list[LedgerTransaction]:
    """Write balanced transactions and apply them to the (already locked) accounts' balances.

    Preconditions: inside ``transaction.atomic``; every account in the postings was locked by :func:`lock_accounts`
    in this transaction; no key exists yet (callers that retry look keys up first; the unique constraint is the last
    line of defence). Each posting's amounts must sum to zero and have at least two non-zero amounts. The postings
    are applied in order, so a later one may spend what an earlier one credited.

    Writes with three statements whatever the number of postings (transactions, entries, one UPDATE of balances).
    Raises StateError if a balance other than the issuer's would go below zero (the database constraint would refuse
    it anyway; this gives the message).
    """
    at = at or timezone.now()
    running: dict[int, int] = {}
    accounts: dict[int, Account] = {}
    for posting in postings:
        amounts = {acc: amt for acc, amt in posting.amounts.items() if amt}
        if sum(amounts.values()) != 0 or len(amounts) < 2:
            raise ValueError(f"unbalanced or empty ledger posting {posting.key}: {list(amounts.values())}")
        posting.amounts = amounts
        for account, amount in amounts.items():
            accounts[account.pk] = account
            balance = running.get(account.pk, account.balance) + amount
            if balance < 0 and account.kind != Account.Kind.ISSUER:
                raise StateError(
                    f"{account} would go below zero ({points_text(balance)} points).", code="insufficient_funds"
                )
            running[account.pk] = balance
    if not postings:
        return []
    transactions = LedgerTransaction.objects.bulk_create([
        LedgerTransaction(
            key=p.key, kind=p.kind, created_at=at, user_id=p.user_id, market_id=p.market_id,
            reverses_id=p.reverses_id, memo=p.memo[:200],
        )
        for p in postings
    ])
    LedgerEntry.objects.bulk_create([
        LedgerEntry(transaction=txn, account_id=account.pk, amount=amount)
        for txn, p in zip(transactions, postings)
        for account, amount in p.amounts.items()
    ])
    deltas = {pk: running[pk] - accounts[pk].balance for pk in running}
    changed = {pk: d for pk, d in deltas.items() if d}
    if changed:
        # Typed BigInteger throughout: an untyped integer parameter is sent as int4 and wraps above 2^31 milli-points.
        big = BigIntegerField()
        Account.objects.filter(pk__in=list(changed)).update(
            balance=F("balance") + Case(
                *[When(pk=pk, then=Value(d, output_field=big)) for pk, d in changed.items()],
                default=Value(0, output_field=big), output_field=big,
            )
        )
    for pk, balance in running.items():
        accounts[pk].balance = balance
    return transactions


# ------------------------------------------------------------------------------------------------------- grants


@transaction.atomic
def account_grant(
    *, account: Account, amount_millipoints: int, key: str, memo: str = "", user=None, at: dt.datetime | None = None
) -> LedgerTransaction:
    """Credit ``amount_millipoints`` (> 0) to ``account`` from the issuer, under the unique ``key``.

    Idempotent: if a transaction with ``key`` exists it is returned and nothing is credited. Locks the issuer and
    the account (one statement, pk order). Raises ValidationError for a non-positive or non-integer amount.
    """
    if isinstance(amount_millipoints, bool) or not isinstance(amount_millipoints, int) or amount_millipoints <= 0:
        raise ValidationError("A grant must be a positive whole number of milli-points.", field="amount")
    issuer = issuer_account()
    locked = lock_accounts([issuer.pk, account.pk])
    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing is not None:
        return existing
    (txn,) = record(
        [Posting(key=key, kind=LedgerTransaction.Kind.GRANT, user_id=getattr(user, "pk", None) or account.user_id,
                 amounts={locked[issuer.pk]: -amount_millipoints, locked[account.pk]: amount_millipoints}, memo=memo)],
        at=at,
    )
    account.balance = locked[account.pk].balance
    return txn


def account_grant_starting_points(*, user) -> LedgerTransaction:
    """Give a new user the starting grant (settings.READOUT["STARTING_GRANT_POINTS"], default 1,000 points).
    Idempotent per user (ledger key ``grant:start:<user id>``); creates the account if needed."""
    account = account_for_user(user=user)
    return account_grant(
        account=account, amount_millipoints=starting_grant_millipoints(), key=f"grant:start:{user.pk}",
        memo="Starting grant", user=user,
    )


def house_ensure_endowment() -> Account:
    """Make sure the house account has received its endowment (settings.READOUT["HOUSE_ENDOWMENT_POINTS"], default
    1,000,000 points), once ever (key ``grant:house:endowment``). Returns the house account (not locked)."""
    house = house_account()
    if not LedgerTransaction.objects.filter(key=HOUSE_ENDOWMENT_KEY).exists():
        account_grant(account=house, amount_millipoints=house_endowment_millipoints(), key=HOUSE_ENDOWMENT_KEY,
                      memo="House endowment: funds market reserves")
    return house
