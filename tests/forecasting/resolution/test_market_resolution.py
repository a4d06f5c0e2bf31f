"""Resolve -> settle -> score on markets in extreme but legal states (issue 10, defect 2).

A numeric market with b = 1 and one 40-share purchase (37.7 points) used to block its question for good: scoring its
price series raised (an outcome bucket with no probability), the error rolled back the settlement in the same
transaction, and every retry failed the same way. These tests run the real resolution flow and check that the market
settles, every score is written and the ledger stays sound, for the issue's market and for random legal markets.
"""
import datetime as dt
import math

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.errors import StateError, ValidationError
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import QuestionScoring, Score
from forecasting.pipeline.services import resolution_process
from forecasting.resolution.services.resolution import question_resolve_manual
from markets.buckets import from_unit
from markets.models import LedgerEntry, LedgerTransaction, Market, Position
from markets.selectors import ledger_check
from markets.services import account_for_user, account_grant, market_create, trade_buy_shares, trade_sell
from markets.services.markets import MAX_BUCKETS, MAX_LIQUIDITY, MIN_BUCKETS, MIN_LIQUIDITY
from tests import factories
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401 (autouse: tasks run in-process)

Subject = Score.Subject


def _funded_user(points: int):
    user = factories.UserFactory()
    account_grant(account=account_for_user(user=user), amount_millipoints=points * 1000, key=f"grant:test:{user.pk}")
    return user


def _linear_cdf(*, open_lower: bool, open_upper: bool) -> list[float]:
    lo, hi = (0.01 if open_lower else 0.0), (0.99 if open_upper else 1.0)
    return [lo + (hi - lo) * j / 200 for j in range(201)]


def _payouts() -> dict[int, int]:
    """Milli-points paid to each user by settlement payouts."""
    paid: dict[int, int] = {}
    for user_id, amount in LedgerEntry.objects.filter(
        transaction__kind=LedgerTransaction.Kind.PAYOUT, account__user__isnull=False
    ).values_list("account__user_id", "amount"):
        paid[user_id] = paid.get(user_id, 0) + amount
    return paid


def _assert_settled_scored_and_sound(question, market, *, winner: int, forecasters: int) -> None:
    market.refresh_from_db()
    assert market.status == Market.Status.SETTLED
    assert market.winning_outcome == winner
    subjects = list(Score.objects.filter(question=question).values_list("subject", flat=True))
    assert subjects.count(Subject.FORECASTER) == forecasters
    assert Subject.MARKET in subjects and Subject.COMMUNITY_MEDIAN in subjects
    market_score = Score.objects.get(question=question, subject=Subject.MARKET)
    assert 0.0 <= market_score.loss <= 1.0 and math.isfinite(market_score.baseline)
    assert QuestionScoring.objects.filter(question=question).exists()
    assert ledger_check() == []
    winning = dict(
        Position.objects.filter(market=market, outcome=winner, shares__gt=0).values_list("user_id", "shares")
    )
    assert _payouts() == winning  # each winning milli-share pays one milli-point, nobody else is paid


# ------------------------------------------------------------------------------------------------ the issue


@pytest.mark.parametrize("outcome, winner", [(35.0, 8), (8.0, 1), (40.0, 9), (55.0, 9), (0.0, 0)])
def test_a_b1_numeric_market_after_one_40_share_trade_settles_and_scores(
    db, staff_user, django_capture_on_commit_callbacks, outcome, winner
):
    now = timezone.now()
    question = factories.NumericQuestionFactory()  # 0..40 months, open upper bound, open for a week
    market = market_create(question=question, b=1, buckets=10, created_by=staff_user, at=now - dt.timedelta(days=6))
    trader = _funded_user(1000)
    trade = trade_buy_shares(market=market, user=trader, outcome=1, shares=40, at=now - dt.timedelta(days=5))
    assert trade.cash == 37_698  # 40 - ln 10 = 37.6974 points, rounded up: the 37.7-point trade
    forecasters = [factories.UserFactory() for _ in range(2)]
    for i, user in enumerate(forecasters):
        forecast_create(question=question, user=user, cdf=_linear_cdf(open_lower=False, open_upper=True),
                        at=now - dt.timedelta(days=4) + dt.timedelta(hours=i))

    with django_capture_on_commit_callbacks(execute=True):  # the resolution commits -> process_resolution runs
        question_resolve_manual(question=question, outcome=outcome, known_at=now - dt.timedelta(hours=1),
                                source="ASCO", actor=staff_user)

    _assert_settled_scored_and_sound(question, market, winner=winner, forecasters=2)
    # The price history was scored like a forecaster: nearly uniform for a day, then sure of bucket 1 for five.
    scored = Score.objects.get(question=question, subject=Subject.MARKET)
    assert scored.coverage == pytest.approx(6 / 7, abs=0.01)


@pytest.mark.parametrize("bought, outcome", [(1, 0), (0, 1), (1, 1)])
def test_a_b1_binary_market_with_an_extreme_price_settles_and_scores(
    db, staff_user, django_capture_on_commit_callbacks, bought, outcome
):
    now = timezone.now()
    question = factories.QuestionFactory()
    market = market_create(question=question, b=1, created_by=staff_user, at=now - dt.timedelta(days=6))
    trader = _funded_user(1000)
    trade_buy_shares(market=market, user=trader, outcome=bought, shares=800, at=now - dt.timedelta(days=5))
    forecaster = factories.UserFactory()
    forecast_create(question=question, user=forecaster, probability=0.3, at=now - dt.timedelta(days=4))

    with django_capture_on_commit_callbacks(execute=True):
        question_resolve_manual(question=question, outcome=outcome, known_at=now - dt.timedelta(hours=1),
                                actor=staff_user)

    _assert_settled_scored_and_sound(question, market, winner=outcome, forecasters=1)


# ------------------------------------------------------------------------------------- random legal markets

LINEAR_RANGES = [(0.0, 40.0), (0.3, 1.3), (-5.0, 5.0)]
LOG_RANGES = [(0.1, 10.0), (0.3, 1.2), (1.0, 1000.0)]
SHARES = st.one_of(
    st.sampled_from([0.001, 1, 40, 745, 800, 5000, 200_000]),
    st.floats(min_value=0.001, max_value=1000).map(lambda x: round(x, 3)).filter(lambda x: x >= 0.001),
)


@st.composite
def markets(draw):
    kind = draw(st.sampled_from(["binary", "numeric"]))
    b = draw(st.one_of(st.just(MIN_LIQUIDITY), st.just(MAX_LIQUIDITY), st.floats(min_value=MIN_LIQUIDITY,
                                                                                 max_value=1000)))
    spec = {"kind": kind, "b": b}
    if kind == "binary":
        spec.update(n=2, outcome=draw(st.sampled_from([0, 1])))
    else:
        K = draw(st.one_of(st.sampled_from([MIN_BUCKETS, 3, 10, MAX_BUCKETS]),
                           st.integers(min_value=MIN_BUCKETS, max_value=MAX_BUCKETS)))
        log_scale = draw(st.booleans())
        lo, hi = draw(st.sampled_from(LOG_RANGES if log_scale else LINEAR_RANGES))
        open_lower, open_upper = draw(st.booleans()), draw(st.booleans())
        choices = ["edge", "inside"] + ["below"] * open_lower + ["above"] * open_upper
        where = draw(st.sampled_from(choices))
        if where == "edge":  # exactly on a bucket edge, the range's ends included
            j = draw(st.integers(min_value=0, max_value=K))
            u, winner = j / K, max(j - 1, 0)
        elif where == "inside":
            u = draw(st.floats(min_value=0.0, max_value=1.0))
            if abs(u * K - round(u * K)) < 1e-6:  # next to an edge: the edge case above covers it
                u = (min(math.floor(u * K), K - 1) + 0.5) / K  # u = 1.0 stays in the last bucket
            winner = min(max(math.ceil(u * K) - 1, 0), K - 1)
        elif where == "below":
            u, winner = -draw(st.sampled_from([1e-6, 0.3, 5.0])), 0
        else:
            u, winner = 1 + draw(st.sampled_from([1e-6, 0.3, 5.0])), K - 1
        y = from_unit(u, range_min=lo, range_max=hi, log_scale=log_scale)
        if where == "edge":
            if j in (0, K):  # the range's own ends, as the admin enters them (from_unit(1) may be 10.000000000000002)
                y = lo if j == 0 else hi
            elif draw(st.booleans()):  # as typed from the label (12 digits) rather than with float noise
                y = float(f"{y:.12g}")
        spec.update(n=K, log_scale=log_scale, range_min=lo, range_max=hi, open_lower=open_lower,
                    open_upper=open_upper, y=y, winner=winner)
    trades = draw(st.lists(
        st.tuples(st.integers(min_value=0, max_value=2), st.sampled_from(["buy", "buy", "sell"]),
                  st.integers(min_value=0, max_value=spec["n"] - 1), SHARES),
        min_size=1, max_size=6,
    ))
    spec["trades"] = trades
    return spec


def _run(spec, staff_user) -> None:
    now = timezone.now()
    if spec["kind"] == "binary":
        question = factories.QuestionFactory()
    else:
        question = factories.NumericQuestionFactory(
            range_min=spec["range_min"], range_max=spec["range_max"], log_scale=spec["log_scale"],
            open_lower_bound=spec["open_lower"], open_upper_bound=spec["open_upper"],
        )
    market = market_create(question=question, b=spec["b"], buckets=None if spec["kind"] == "binary" else spec["n"],
                           created_by=staff_user, at=now - dt.timedelta(days=6))
    traders = [_funded_user(1_000_000) for _ in range(3)]
    for i, (who, side, outcome, shares) in enumerate(spec["trades"]):
        at = now - dt.timedelta(days=5) + dt.timedelta(minutes=i)
        user = traders[who]
        try:
            if side == "buy":
                trade_buy_shares(market=market, user=user, outcome=outcome, shares=shares, at=at)
            else:
                owned = Position.objects.filter(market=market, user=user, outcome=outcome).values_list(
                    "shares", flat=True).first() or 0
                if owned:
                    trade_sell(market=market, user=user, outcome=outcome, shares=min(owned, max(
                        1, round(shares * 1000))) / 1000, at=at)
        except (StateError, ValidationError):
            pass  # a refused trade (too few points, proceeds below 0.001 points) leaves a legal state too
    forecaster = factories.UserFactory()
    if spec["kind"] == "binary":
        forecast_create(question=question, user=forecaster, probability=0.999, at=now - dt.timedelta(days=4))
        outcome, winner = spec["outcome"], spec["outcome"]
    else:
        forecast_create(question=question, user=forecaster, at=now - dt.timedelta(days=4),
                        cdf=_linear_cdf(open_lower=spec["open_lower"], open_upper=spec["open_upper"]))
        outcome, winner = spec["y"], spec["winner"]

    question_resolve_manual(question=question, outcome=outcome, known_at=now - dt.timedelta(hours=1),
                            actor=staff_user)
    resolution_process(question_id=question.pk)  # what process_resolution runs once the resolution commits
    _assert_settled_scored_and_sound(question, market, winner=winner, forecasters=1)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=markets())
def test_resolve_settle_score_always_completes_on_a_legal_market(db, staff_user, spec):
    # The database fixture is function-scoped; each example runs in its own savepoint, rolled back at the end, so
    # examples never see each other's rows (hence the suppressed health check).
    with transaction.atomic():
        _run(spec, staff_user)
        transaction.set_rollback(True)
