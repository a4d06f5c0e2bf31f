"""Admin: question search and filters, the "open a market" action, read-only ledger pages."""
import pytest
from django.test import Client

from markets.models import Market
from markets.services import trade_buy_shares
from tests import factories


@pytest.fixture
def admin_browser(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def test_open_a_market_from_the_question_admin(db, admin_browser, open_question, open_numeric_question):
    url = "/admin/markets/question/"
    ids = [str(open_question.pk), str(open_numeric_question.pk)]
    form = admin_browser.post(url, {"action": "open_market", "_selected_action": ids})
    assert form.status_code == 200 and b"Open market" in form.content
    response = admin_browser.post(url, {"action": "open_market", "_selected_action": ids, "apply": "1",
                                        "b": "50", "buckets": "6"}, follow=True)
    assert response.status_code == 200
    assert Market.objects.get(question=open_question).n == 2
    numeric = Market.objects.get(question=open_numeric_question)
    assert (numeric.n, numeric.b) == (6, 50.0)
    assert b"market opened" in response.content


def test_the_action_reports_refusals(db, admin_browser, binary_market):
    response = admin_browser.post("/admin/markets/question/", {
        "action": "open_market", "_selected_action": [str(binary_market.question.pk)], "apply": "1", "b": "50",
    }, follow=True)
    assert b"already has a market" in response.content
    assert Market.objects.count() == 1


def test_question_admin_searches_and_filters(db, admin_browser):
    factories.QuestionFactory(title="Will MRD be disclosed?")
    factories.QuestionFactory(title="Something else")
    response = admin_browser.get("/admin/markets/question/?q=MRD&status__exact=open")
    assert response.status_code == 200
    assert b"Will MRD be disclosed?" in response.content and b"Something else" not in response.content


@pytest.mark.parametrize("model", ["market", "account", "ledgertransaction", "trade", "position", "pricepoint"])
def test_ledger_admin_pages_are_read_only(db, admin_browser, binary_market, trader, model):
    trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=1)
    assert admin_browser.get(f"/admin/markets/{model}/").status_code == 200
    assert admin_browser.get(f"/admin/markets/{model}/add/").status_code == 403
