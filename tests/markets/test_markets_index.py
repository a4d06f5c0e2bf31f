"""The markets index (/markets/): every market with its question, status, leading price, volume, traders and last
trade; filters, pagination, a constant number of queries, empty states and the Markets link in the header."""
import pytest
from django.test import Client
from django.urls import reverse

from markets.models import Market, Question
from markets.selectors_index import market_coverage, markets_index_queryset
from markets.services import market_create, trade_buy_shares, trade_sell
from tests import factories

pytestmark = pytest.mark.urls("tests.markets.page_urlconf")


def test_the_header_links_to_the_markets_index(db):
    html = Client().get(reverse("home")).content.decode()
    assert f'href="{reverse("markets:index")}">Markets</a>' in html


def test_the_index_is_a_real_page_with_an_empty_state(db):
    response = Client().get("/markets/")
    assert response.status_code == 200
    assert "No markets yet." in response.content.decode()


def test_volume_is_the_sum_of_absolute_cash_and_traders_are_distinct(db, binary_market, trader, other_trader):
    buy = trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)
    sale = trade_sell(market=binary_market, user=trader, outcome=1, shares=4)
    other = trade_buy_shares(market=binary_market, user=other_trader, outcome=0, shares=5)
    row = markets_index_queryset().get(pk=binary_market.pk)
    assert buy.cash > 0 and sale.cash < 0
    assert row.volume == buy.cash + (-sale.cash) + other.cash
    assert row.traders == 2
    assert row.last_trade_at == other.created_at


def test_the_page_shows_question_status_leading_price_volume_and_last_trade(db, binary_market, trader):
    trade = trade_buy_shares(market=binary_market, user=trader, outcome=1, shares=10)  # 5.125 points: YES 52.5%
    html = Client().get("/markets/").content.decode()
    assert binary_market.question.title in html
    assert "YES 52.5%" in html
    assert ">5.125<" in html  # volume in points
    assert trade.created_at.strftime("%Y-%m-%d") in html  # <time datetime=...>
    assert "Volume</dt>" in html and "Points that changed hands" in html  # the word with its definition


def test_a_numeric_market_shows_its_likeliest_range(db, numeric_market, trader):
    trade_buy_shares(market=numeric_market, user=trader, outcome=3, shares=20)
    html = Client().get("/markets/").content.decode()
    assert "12 to 16 months" in html


def test_drafts_markets_are_for_staff_only(db, staff_user):
    draft = factories.QuestionFactory(status=Question.Status.DRAFT, title="A draft question on a draft trial")
    market_create(question=draft, b=50, created_by=staff_user)
    assert "A draft question" not in Client().get("/markets/").content.decode()
    staff = Client()
    staff.force_login(staff_user)
    assert "A draft question" in staff.get("/markets/").content.decode()


def test_the_status_filter(db, staff_user, trader):
    trading = market_create(question=factories.QuestionFactory(title="Still trading?"), b=50)
    closed = market_create(question=factories.QuestionFactory(title="Closed already?"), b=50)
    Market.objects.filter(pk=closed.pk).update(status=Market.Status.CLOSED)
    html = Client().get("/markets/?status=open").content.decode()
    assert "Still trading?" in html and "Closed already?" not in html
    html = Client().get("/markets/?status=closed").content.decode()
    assert "Closed already?" in html and "Still trading?" not in html
    html = Client().get("/markets/?status=settled").content.decode()
    assert "No settled markets." in html
    assert trading.pk


def test_an_unknown_status_is_a_400_naming_the_field_and_the_values(db, binary_market):
    response = Client().get("/markets/?status=bogus")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Status: must be one of open, closed, settled, refunded (or empty for all markets), got &#x27;bogus&#x27;." in html
    assert binary_market.question.title not in html


def test_trading_markets_come_first_then_newest(db):
    old = market_create(question=factories.QuestionFactory(title="Old trading"), b=50)
    done = market_create(question=factories.QuestionFactory(title="New but closed"), b=50)
    Market.objects.filter(pk=done.pk).update(status=Market.Status.CLOSED)
    new = market_create(question=factories.QuestionFactory(title="New trading"), b=50)
    assert list(markets_index_queryset().values_list("pk", flat=True)) == [new.pk, old.pk, done.pk]


def test_the_index_pages_and_its_queries_do_not_grow_with_the_markets(db, django_assert_max_num_queries, trader):
    def add(n):
        for _ in range(n):
            market = market_create(question=factories.QuestionFactory(), b=50)
            trade_buy_shares(market=market, user=trader, outcome=1, shares=1)

    add(3)
    client = Client()
    client.force_login(trader)
    client.get("/markets/")  # warm the session and content types
    with django_assert_max_num_queries(8) as few:
        assert client.get("/markets/").status_code == 200
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/markets/")
    html = response.content.decode()
    assert "1–25 of 30 markets" in html and 'rel="next"' in html
    assert "26–30 of 30" in client.get("/markets/?page=2").content.decode()


def test_the_home_page_says_how_many_questions_have_markets(db):
    factories.QuestionFactory.create_batch(3)
    html = Client().get("/").content.decode()
    assert "No question has a market yet." in html and "Each question has a market" not in html
    market_create(question=factories.QuestionFactory(), b=50)
    market_create(question=factories.QuestionFactory(), b=50)
    assert market_coverage() == {"questions": 5, "with_market": 2, "trading": 2}
    assert "2 of 5 questions have a play-money market." in Client().get("/").content.decode()


def test_the_header_marks_the_current_section(db, trader):
    html = Client().get("/markets/").content.decode()
    assert '<a href="/markets/" aria-current="page">Markets</a>' in html
    assert '<a href="/questions/">Questions</a>' in html
    client = Client()
    client.force_login(trader)
    html = client.get("/markets/portfolio/").content.decode()
    assert 'aria-current="page">Portfolio</a>' in html and '<a href="/markets/">Markets</a>' in html
