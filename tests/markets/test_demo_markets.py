"""The demo markets load on the demo questions, trade, and can be loaded again without change."""
import pytest

from markets.demo_markets import markets_demo_load
from markets.models import Market, Trade
from markets.selectors import ledger_check
from tests.markets.conftest import balance


@pytest.fixture
def demo_questions(db):
    from django.contrib.auth.models import User

    from assets.demo import assets_demo_load
    from markets.demo import questions_demo_load

    assets_demo_load()
    _, questions = questions_demo_load()
    if not questions:
        pytest.skip("the assets demo did not create SUCCESSOR-2")
    for name in ("amira", "benoit", "chen", "dana"):
        User.objects.create(username=name)
    return questions


def test_demo_markets_load_and_are_idempotent(demo_questions):
    from django.contrib.auth.models import User

    lines = markets_demo_load()
    binary = Market.objects.get(question__slug="successor-2-pfs-hr-below-0-7")
    numeric = Market.objects.get(question__slug="successor-2-median-pfs-mezikd")
    assert (binary.n, binary.b, numeric.n) == (2, 100.0, 10)
    assert Trade.objects.filter(market=binary).count() > 10 and Trade.objects.filter(market=numeric).count() > 10
    choice = Market.objects.get(question__slug="successor-2-first-meeting")  # one outcome per option
    assert choice.n == len(choice.question.options) == 5 and Trade.objects.filter(market=choice).count() > 5
    assert any(line.startswith("trades:") for line in lines)
    assert ledger_check() == []
    snapshot = (Trade.objects.count(), balance(User.objects.get(username="amira")))
    markets_demo_load()
    assert (Trade.objects.count(), balance(User.objects.get(username="amira"))) == snapshot
