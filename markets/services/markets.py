"""Opening and closing markets. A market's reserve b ln(n) moves from the house account to the market's account."""
from __future__ import annotations

import datetime as dt
import math
from numbers import Real

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets.errors import StateError, ValidationError
from markets import lmsr
from markets.models import Account, LedgerTransaction, Market, PricePoint, Question
from markets.services.ledger import Posting, house_ensure_endowment, issuer_account, lock_accounts, record
from markets.units import shown, points_text

MIN_LIQUIDITY = 1.0
MAX_LIQUIDITY = 100_000.0
MIN_BUCKETS = 2
MAX_BUCKETS = 100


def default_buckets() -> int:
    return int(getattr(settings, "READOUT", {}).get("DEFAULT_MARKET_BUCKETS", 10))


def _parse_liquidity(b) -> float:
    if isinstance(b, bool) or not isinstance(b, Real):
        raise ValidationError(f"The liquidity b must be a number of points (you entered {shown(b)}).", field="b")
    value = float(b)
    if not math.isfinite(value) or not (MIN_LIQUIDITY <= value <= MAX_LIQUIDITY):
        raise ValidationError(
            f"The liquidity b must be between {MIN_LIQUIDITY:g} and {MAX_LIQUIDITY:,.0f} points (you entered {shown(b)}).",
            field="b",
        )
    return value


def _parse_buckets(question: Question, buckets) -> int:
    if question.is_multiple_choice:
        n = len(question.options or [])
        if buckets not in (None, n):
            raise ValidationError(f"A multiple-choice question's market has one outcome per option ({n}); "
                                  "leave buckets out.", field="buckets")
        return n
    if question.is_binary:
        if buckets not in (None, 2):
            raise ValidationError("A binary question's market has two outcomes (NO, YES); leave buckets out.",
                                  field="buckets")
        return 2
    if buckets is None:
        return default_buckets()
    if isinstance(buckets, bool) or not isinstance(buckets, int):
        raise ValidationError(f"The number of buckets must be a whole number (you entered {shown(buckets)}).",
                              field="buckets")
    if not MIN_BUCKETS <= buckets <= MAX_BUCKETS:
        raise ValidationError(f"The number of buckets must be between {MIN_BUCKETS} and {MAX_BUCKETS} (you entered {buckets}).",
                              field="buckets")
    return buckets


@transaction.atomic
def market_create(
    *, question: Question, b: float, buckets: int | None = None, created_by=None, at: dt.datetime | None = None
) -> Market:
    """Open an LMSR market on ``question`` with liquidity ``b`` points and, for a numeric question, ``buckets`` (K,
    default settings.READOUT["DEFAULT_MARKET_BUCKETS"]) equal buckets over the unit range; binary markets have
    outcomes 0 = NO and 1 = YES. Moves the reserve b ln(n) milli-points (rounded up) from the house to the market.

    Preconditions: the question is a draft or open and has no market. The caller checks permissions (staff).
    Locks the question row, then the issuer and house accounts (pk order). Raises ValidationError (bad b or
    buckets) or StateError (question state, a market exists, the house cannot cover the reserve).
    """
    b = _parse_liquidity(b)
    question = Question.objects.select_for_update().get(pk=question.pk)
    n = _parse_buckets(question, buckets)
    if question.status not in (Question.Status.DRAFT, Question.Status.OPEN):
        raise StateError(f"A market can only be opened on a draft or open question; this one is {question.status}.")
    if Market.objects.filter(question=question).exists():
        raise StateError("This question already has a market.", code="market_exists")
    reserve = lmsr.reserve_millipoints(b, n)
    now = at or timezone.now()

    house = house_ensure_endowment()
    issuer = issuer_account()
    locked = lock_accounts([house.pk, issuer.pk])
    house = locked[house.pk]
    if house.balance < reserve:
        raise StateError(
            f"The house account holds {points_text(house.balance)} points and cannot reserve "
            f"{points_text(reserve)} points for this market; lower b or top up the house.",
            code="house_insufficient",
        )
    market = Market.objects.create(
        question=question, b=b, n=n, q=[0] * n, reserve_millipoints=reserve, created_by=created_by,
        created_at=now, prices_at=now, status=Market.Status.OPEN,
    )
    market_account = Account.objects.create(kind=Account.Kind.MARKET, market=market)  # new row: nobody else sees it
    record(
        [Posting(key=f"reserve:{market.pk}", kind=LedgerTransaction.Kind.RESERVE, market_id=market.pk,
                 user_id=getattr(created_by, "pk", None), amounts={house: -reserve, market_account: reserve},
                 memo=f"Reserve b ln(n) for market {market.pk}")],
        at=now,
    )
    PricePoint.objects.create(market=market, created_at=now, prices=[1.0 / n] * n)
    return market


def market_close(*, question: Question) -> int:
    """Stop trading on the question's market (status open -> closed). Called by ``question_close`` with the question
    row locked. Idempotent; returns the number of markets closed (0 or 1)."""
    # Trades lock the market row and re-check its status, so a trade either commits before this or is refused.
    return Market.objects.filter(question_id=question.pk, status=Market.Status.OPEN).update(
        status=Market.Status.CLOSED, updated_at=timezone.now()
    )


def market_reopen(*, question: Question) -> int:
    """Resume trading on the question's market (closed -> open) when its question takes forecasts again (a halt
    released). Called with the question row locked; a settled or refunded market is left alone. Returns 0 or 1."""
    return Market.objects.filter(question_id=question.pk, status=Market.Status.CLOSED).update(
        status=Market.Status.OPEN, updated_at=timezone.now()
    )
