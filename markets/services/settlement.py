"""Settlement of a market when its question is resolved, refunds when it is annulled, and the reversal of either
when the question is unresolved. The forecasting resolution flow calls these; they know nothing of forecasts.

Each payment is its own ledger transaction with a unique key that names the market, the settlement round and the
user (``payout:<market>:<round>:<user>``, ``refund:...``, ``clawback:...``, ``cover:<market>:<round>``,
``return:<market>:<round>``), so a retried task can never pay twice: the market's status is checked first (a
settled market is left alone), and the unique keys refuse a duplicate even if that check were bypassed. A reversal
(``reversal:<original transaction id>``) compensates one settlement transaction and bumps the market's
``settlement_round``, so the next settlement uses fresh keys.

Locks: the market row, then the market's account, the house account and every user account involved, in ONE
statement in pk order (docs/ledger.md). The caller may already hold the question row (question before market).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from assets.errors import StateError
from markets.buckets import winning_bucket
from markets.models import Account, LedgerTransaction, Market, Position, Question, Trade, TradeVoid
from markets.services import voids
from markets.services.ledger import Posting, house_account, lock_accounts, record
from markets.units import points_text

K = LedgerTransaction.Kind
SETTLEMENT_KINDS = (K.PAYOUT, K.REFUND, K.CLAWBACK, K.HOUSE_COVER, K.RETURN, K.VOID, K.ADVANCE)


def _lock_market(question: Question) -> Market | None:
    return (
        Market.objects.select_for_update(of=("self",))
        .select_related("question", "account")
        .filter(question_id=question.pk)
        .first()
    )


def winning_outcome(market: Market) -> int:
    """The outcome index that pays: binary 1 (YES) if the question's outcome is 1, else 0 (NO); numeric the bucket
    holding the outcome value (SCORING.md section 3's unit mapping; out-of-range values go to the end buckets)."""
    question = market.question
    if question.outcome is None:
        raise StateError("The question has no outcome to settle on.")
    if question.is_multiple_choice:
        index = question.outcome
        if index != int(index) or not 0 <= index < market.n:
            raise StateError(f"A multiple-choice outcome must be an option index 0 to {market.n - 1}, "
                             f"got {question.outcome!r}.")
        return int(index)  # outcome j is option j
    if question.is_binary:
        if question.outcome not in (0, 1):
            raise StateError(f"A binary question's outcome must be 0 or 1, got {question.outcome!r}.")
        return int(question.outcome)
    try:
        return winning_bucket(question.outcome, K=market.n, range_min=question.range_min,
                              range_max=question.range_max, log_scale=question.log_scale)
    except ValueError as exc:
        raise StateError(str(exc)) from None


def _lock_settlement_accounts(market: Market, user_ids: list[int]) -> tuple[Account, Account, dict[int, Account]]:
    """Lock the market's account, the house account and the given users' accounts in one statement (pk order).
    Returns (market account, house account, {user id: account})."""
    user_accounts = dict(Account.objects.filter(user_id__in=user_ids).values_list("user_id", "pk"))
    house = house_account()
    locked = lock_accounts([market.account.pk, house.pk, *user_accounts.values()])
    return locked[market.account.pk], locked[house.pk], {u: locked[pk] for u, pk in user_accounts.items()}


def _return_to_house(*, market: Market, pool: Account, house: Account, key: str, done: set[str], memo: str,
                     now: dt.datetime) -> None:
    """Move whatever the market's (locked) account still holds to the (locked) house under ``key``, unless it is
    empty or ``key`` was already recorded (in ``done``)."""
    if pool.balance > 0 and key not in done:
        record([Posting(key=key, kind=K.RETURN, market_id=market.pk, amounts={pool: -pool.balance,
                        house: pool.balance}, memo=memo)], at=now)


def _house_funds(*, market: Market, pool: Account, house: Account, amount: int, key: str, kind: str, need: str,
                 memo: str, now: dt.datetime) -> None:
    """Move ``amount`` milli-points from the (locked) house to the (locked) market account under ``key``; ``need``
    starts the error message if the house cannot pay (StateError, nothing written)."""
    if house.balance < amount:
        raise StateError(f"{need}, and the house holds only {points_text(house.balance)}; top up the house account "
                         "and retry.")
    record([Posting(key=key, kind=kind, market_id=market.pk, amounts={house: -amount, pool: amount}, memo=memo)],
           at=now)


def _finish(market: Market, *, status: str, winner: int | None, now: dt.datetime) -> Market:
    market.status, market.winning_outcome, market.settled_at = status, winner, now
    market.save(update_fields=["status", "winning_outcome", "settled_at", "updated_at"])
    return market


@transaction.atomic
def market_settle(*, question: Question, at: dt.datetime | None = None) -> Market | None:
    """Void the trades made after the answer became public, pay 1 point per winning share from the market's account
    to each holder, then return what is left (trader payments + reserve - payouts, never negative) to the house.
    Marks the market settled.

    Trades with ``created_at >= question.known_at`` are reversed at their own cash and their shares stop counting
    before anything is paid (``markets.services.voids``, docs/markets.md "Late trades").

    Precondition: the question is resolved with an outcome. Returns None if the question has no market; returns the
    market unchanged if it is already settled (idempotent). Raises StateError if the question is not resolved, if
    the market was refunded (unsettle it first), if the house cannot advance what the voids need, or if the
    market's account could not cover the payouts (a broken ledger: the LMSR bound guarantees it can).
    """
    market = _lock_market(question)
    if market is None or market.status == Market.Status.SETTLED:
        return market
    if market.status == Market.Status.REFUNDED:
        raise StateError("This market was refunded (the question was annulled); unsettle it before settling.")
    question = market.question
    if question.status != Question.Status.RESOLVED:
        raise StateError(f"Only a resolved question's market can be settled; this question is {question.status}.")
    winner = winning_outcome(market)
    now = at or timezone.now()
    r = market.settlement_round

    already_voided = TradeVoid.objects.filter(market=market, settlement_round=r).exists()
    late = [] if already_voided or question.known_at is None else voids.late_trades(market, known_at=question.known_at)
    if late:
        voids.positions_rebuild(market, exclude={t.pk for t in late}, now=now)
    late_cash = voids.late_cash_by_user(late)

    holders = list(
        Position.objects.filter(market=market, outcome=winner, shares__gt=0).order_by("user_id")
        .values_list("user_id", "shares")
    )
    pool, house, accounts = _lock_settlement_accounts(market, sorted({u for u, _ in holders} | set(late_cash)))

    keys = {f"payout:{market.pk}:{r}:{u}": (u, s) for u, s in holders}
    void_keys = {u: f"void:{market.pk}:{r}:{u}" for u in late_cash}
    advance_key, return_key = f"advance:{market.pk}:{r}", f"return:{market.pk}:{r}"
    done = set(LedgerTransaction.objects.filter(
        key__in=[*keys, *void_keys.values(), advance_key, return_key]
    ).values_list("key", flat=True))
    owed = {key: us for key, us in keys.items() if key not in done}
    total = sum(s for _, s in owed.values())  # 1 share pays 1 point: milli-shares == milli-points
    refunds = {u: c for u, c in late_cash.items() if c > 0 and void_keys[u] not in done}

    # The late sellers' proceeds left the market's account; it collects them back only after paying, so the house
    # advances whatever it would lack until then (returned with the rest at the end).
    advance = total + sum(refunds.values()) - pool.balance
    if late and advance > 0 and advance_key not in done:
        _house_funds(market=market, pool=pool, house=house, amount=advance, key=advance_key, kind=K.ADVANCE,
                     need=f"Voiding the late trades of market {market.pk} needs an advance of "
                          f"{points_text(advance)} points", memo="House advance while late trades are voided", now=now)
    elif total > pool.balance:
        raise StateError(
            f"Market {market.pk}'s account holds {points_text(pool.balance)} points but owes {points_text(total)}; "
            "the ledger is inconsistent. Run the ledger check.",
        )
    void_memo = "Voided: traded at or after the answer became public" + (
        f" ({question.known_at:%Y-%m-%d %H:%M} UTC)" if late else ""
    )
    # Three batched writes (refunds, payouts, collections) whatever the number of traders: ``record`` applies its
    # postings in order and keeps the locked accounts' balances current between calls.
    refund_users = list(refunds)
    void_txns = dict(zip(refund_users, record([
        Posting(key=void_keys[u], kind=K.VOID, user_id=u, market_id=market.pk,
                amounts={pool: -refunds[u], accounts[u]: refunds[u]}, memo=f"{void_memo}: late buys refunded")
        for u in refund_users
    ], at=now)))
    record([
        Posting(key=key, kind=K.PAYOUT, user_id=u, market_id=market.pk,
                amounts={pool: -s, accounts[u]: s}, memo=f"{s / 1000:.3f} winning shares")
        for key, (u, s) in owed.items()
    ], at=now)
    collections = []
    for u, cash in late_cash.items():
        if cash >= 0 or void_keys[u] in done:
            continue
        take = min(-cash, accounts[u].balance)  # after the refunds and payouts just recorded
        if take:
            lost = -cash - take
            memo = f"{void_memo}: late sale proceeds returned"
            if lost:
                memo += f"; {points_text(lost)} points could not be collected"
            collections.append((u, Posting(key=void_keys[u], kind=K.VOID, user_id=u, market_id=market.pk,
                                           amounts={accounts[u]: -take, pool: take}, memo=memo)))
    void_txns.update(zip([u for u, _ in collections], record([p for _, p in collections], at=now)))
    TradeVoid.objects.bulk_create([
        TradeVoid(trade=t, market=market, settlement_round=r, transaction=void_txns.get(t.user_id),
                  known_at=question.known_at, created_at=now)
        for t in late
    ])
    _return_to_house(market=market, pool=pool, house=house, key=return_key, done=done, now=now,
                     memo="Unused reserve and trader payments return to the house")
    return _finish(market, status=Market.Status.SETTLED, winner=winner, now=now)


@transaction.atomic
def market_refund(*, question: Question, at: dt.datetime | None = None) -> Market | None:
    """Annulment: give each trader back their net payment on this market (what they paid minus what they received),
    then return the reserve to the house. Marks the market refunded.

    A trader whose sales brought in more than their purchases cost (net payment < 0) pays that profit back, up to
    their current balance; whatever cannot be collected, and any shortfall this leaves for the refunds, is covered
    from the market's reserve and, beyond it, by the house (``cover:...``). Positions are left as they were.

    Precondition: the question is annulled. Returns None if the question has no market; the market unchanged if
    already refunded (idempotent). Raises StateError if the question is not annulled or the market was settled.
    """
    market = _lock_market(question)
    if market is None or market.status == Market.Status.REFUNDED:
        return market
    if market.status == Market.Status.SETTLED:
        raise StateError("This market was settled (the question was resolved); unsettle it before refunding.")
    if market.question.status != Question.Status.ANNULLED:
        raise StateError(
            f"Only an annulled question's market is refunded; this question is {market.question.status}."
        )
    now = at or timezone.now()
    r = market.settlement_round
    nets = dict(
        Trade.objects.filter(market=market).values("user_id").annotate(net=Sum("cash")).order_by("user_id")
        .values_list("user_id", "net")
    )
    pool, house, accounts = _lock_settlement_accounts(market, list(nets))

    cover_key, return_key = f"cover:{market.pk}:{r}", f"return:{market.pk}:{r}"
    candidates = [f"{kind}:{market.pk}:{r}:{u}" for u in nets for kind in ("clawback", "refund")]
    done = set(
        LedgerTransaction.objects.filter(key__in=[*candidates, cover_key, return_key]).values_list("key", flat=True)
    )
    clawbacks, refunds = [], []
    for user_id, net in nets.items():
        account = accounts[user_id]
        if net < 0:
            take = min(-net, account.balance)
            key = f"clawback:{market.pk}:{r}:{user_id}"
            if take and key not in done:
                clawbacks.append(Posting(key=key, kind=K.CLAWBACK, user_id=user_id, market_id=market.pk,
                                         amounts={account: -take, pool: take},
                                         memo="Annulled: trading profit returned"))
        elif net > 0:
            key = f"refund:{market.pk}:{r}:{user_id}"
            if key not in done:
                refunds.append(Posting(key=key, kind=K.REFUND, user_id=user_id, market_id=market.pk,
                                       amounts={pool: -net, account: net}, memo="Annulled: net payment refunded"))
    record(clawbacks, at=now)
    shortfall = sum(-p.amounts[pool] for p in refunds) - pool.balance
    if shortfall > 0 and cover_key not in done:
        _house_funds(market=market, pool=pool, house=house, amount=shortfall, key=cover_key, kind=K.HOUSE_COVER,
                     need=f"Refunds need {points_text(shortfall)} more points than market {market.pk} holds",
                     memo="House covers uncollectable trading profits", now=now)
    record(refunds, at=now)
    _return_to_house(market=market, pool=pool, house=house, key=return_key, done=done, now=now,
                     memo="Reserve returns to the house")
    return _finish(market, status=Market.Status.REFUNDED, winner=None, now=now)


@dataclass(frozen=True)
class UnsettlePlan:
    """What reversing a market's settlement or refund would move. ``house_cover`` (milli-points) is what the house
    pays in for points that winners (or refunded traders) have already spent: the house's loss from the reversal,
    on top of the settlement's own result. ``shortfalls`` gives it per user id."""

    market_id: int | None
    house_cover: int = 0
    shortfalls: dict[int, int] = field(default_factory=dict)


def _unsettle_postings(market: Market, originals: list, accounts: dict[int, Account], house: Account, now
                       ) -> tuple[list[Posting], UnsettlePlan]:
    """Plan the compensating postings, newest first, against the given balances (not written)."""
    user_of = {a.pk: a.user_id for a in accounts.values()}
    running = {pk: account.balance for pk, account in accounts.items()}
    postings, shortfalls = [], defaultdict(int)
    for original in originals:
        deltas = defaultdict(int)
        for entry in original.entries.all():
            deltas[entry.account_id] -= entry.amount
        for pk, delta in list(deltas.items()):
            if pk != house.pk and running[pk] + delta < 0:
                deficit = -(running[pk] + delta)  # already spent: the house makes up what cannot be taken back
                deltas[pk] += deficit
                deltas[house.pk] -= deficit
                if user_of.get(pk) is not None:
                    shortfalls[user_of[pk]] += deficit
        for pk, delta in deltas.items():
            running[pk] += delta
        postings.append(Posting(
            key=f"reversal:{original.pk}", kind=K.REVERSAL, user_id=original.user_id, market_id=market.pk,
            reverses_id=original.pk, amounts={accounts[pk]: d for pk, d in deltas.items()},
            memo=f"Reverses {original.key}",
        ))
    plan = UnsettlePlan(market_id=market.pk, house_cover=sum(shortfalls.values()), shortfalls=dict(shortfalls))
    return postings, plan


def _settlement_originals(market: Market) -> list:
    reversed_ids = LedgerTransaction.objects.filter(market=market, kind=K.REVERSAL).values("reverses_id")
    return list(
        LedgerTransaction.objects.filter(market=market, kind__in=SETTLEMENT_KINDS).exclude(pk__in=reversed_ids)
        .prefetch_related("entries").order_by("-pk")
    )


def market_unsettle_preview(*, question: Question) -> UnsettlePlan:
    """What :func:`market_unsettle` would cost the house now, without locking or writing anything: staff see it
    before they confirm an unresolve. A market that is not settled or refunded costs nothing."""
    market = Market.objects.select_related("account").filter(question_id=question.pk).first()
    if market is None or market.status not in (Market.Status.SETTLED, Market.Status.REFUNDED):
        return UnsettlePlan(market_id=getattr(market, "pk", None))
    originals = _settlement_originals(market)
    house = house_account()
    pks = {house.pk, market.account.pk, *(e.account_id for t in originals for e in t.entries.all())}
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=pks)}
    return _unsettle_postings(market, originals, accounts, accounts[house.pk], timezone.now())[1]


@transaction.atomic
def market_unsettle(*, question: Question, at: dt.datetime | None = None,
                    max_house_cover: int | None = None) -> Market | None:
    """Reverse a settlement or refund (for an unresolved question) with compensating transactions, newest first, so
    a later resolution can settle again. The market goes back to open if its question accepts trading, else closed;
    trades voided by the settlement count again (positions are rebuilt).

    A user who has already spent a payout or refund gives back what their balance holds and the house covers the
    rest, so no balance goes negative (the user keeps the difference; docs/ledger.md). ``max_house_cover``
    (milli-points) bounds that: if the reversal would need more from the house, nothing is written and StateError
    (code ``house_cover``) says how much it would take. Idempotent: each reversal's key is
    ``reversal:<original id>``, and a market that is not settled or refunded is returned unchanged.

    Precondition: the question is no longer resolved or annulled (call this after reopening it). Returns None if the
    question has no market. Raises StateError if the question is still resolved/annulled, the cover exceeds
    ``max_house_cover``, or the house cannot cover.
    """
    market = _lock_market(question)
    if market is None or market.status not in (Market.Status.SETTLED, Market.Status.REFUNDED):
        return market
    question = market.question
    if question.status in (Question.Status.RESOLVED, Question.Status.ANNULLED):
        raise StateError(f"The question is still {question.status}; unresolve it before unsettling its market.")
    now = at or timezone.now()
    originals = _settlement_originals(market)
    house = house_account()
    locked = lock_accounts({house.pk, market.account.pk, *(e.account_id for t in originals for e in t.entries.all())})
    house = locked[house.pk]
    postings, plan = _unsettle_postings(market, originals, locked, house, now)
    if max_house_cover is not None and plan.house_cover > max_house_cover:
        raise StateError(
            f"Reversing this market's settlement needs {points_text(plan.house_cover)} points from the house (points "
            f"{len(plan.shortfalls)} trader(s) have already spent), more than the {points_text(max_house_cover)} "
            "points allowed.",
            code="house_cover", field="accept_house_cover",
        )
    if house.balance < plan.house_cover:
        raise StateError("The house account cannot cover reversing this settlement; top it up and retry.")
    record([p for p in postings if any(p.amounts.values())], at=now)
    had_voids = TradeVoid.objects.filter(market=market, settlement_round=market.settlement_round).exists()
    market.settlement_round += 1
    if had_voids:  # the voided trades count again in the new round
        voids.positions_rebuild(market, exclude=set(), now=now)
    market.status = Market.Status.OPEN if question.accepts_forecasts(at=now) else Market.Status.CLOSED
    market.winning_outcome = market.settled_at = None
    market.save(update_fields=["settlement_round", "status", "winning_outcome", "settled_at", "updated_at"])
    return market
