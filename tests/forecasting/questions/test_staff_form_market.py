"""The staff question form opens a market in the same step ("Open a market", liquidity b, buckets): all or nothing,
with errors under the field they name."""
import pytest
from django.urls import reverse

from markets.models import Market, Question
from markets.services import market_create
from tests import factories
from tests.forecasting.questions.test_pages import question_post_data


@pytest.fixture
def staff_logged_in(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_form_offers_a_market(staff_logged_in):
    html = staff_logged_in.get(reverse("questions:new")).content.decode()
    assert 'name="open_market"' in html and 'name="market_b"' in html and 'name="market_buckets"' in html


def test_staff_create_a_question_with_its_market_in_one_step(staff_logged_in, staff_user):
    response = staff_logged_in.post(reverse("questions:new"),
                                    question_post_data(publish="on", open_market="on", market_b="150"))
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    market = question.market
    assert market.b == 150 and market.n == 2 and market.status == Market.Status.OPEN
    assert market.created_by == staff_user
    page = staff_logged_in.get(response["Location"])
    assert "Question published with its market." in page.content.decode()


def test_a_numeric_question_gets_its_buckets(staff_logged_in):
    data = question_post_data(type="numeric", title="Median PFS in the MeziKd arm, months?", range_min="0",
                              range_max="40", unit="months", open_market="on", market_b="80", market_buckets="8")
    assert staff_logged_in.post(reverse("questions:new"), data).status_code == 302
    assert Question.objects.get().market.n == 8


def test_no_market_unless_ticked(staff_logged_in):
    staff_logged_in.post(reverse("questions:new"), question_post_data(market_b="100"))
    assert Question.objects.get() and not Market.objects.exists()


@pytest.mark.parametrize("b, message", [
    ("", "Enter the market\u2019s liquidity b in points"),
    ("0.5", "greater than or equal to 1"),
    ("1e9", "less than or equal to 100000"),
    ("nan", "Enter a number."),
    ("inf", "Enter a number."),
    ("lots", "Enter a number."),
])
def test_bad_liquidity_is_a_400_under_the_field_and_creates_nothing(staff_logged_in, b, message):
    response = staff_logged_in.post(reverse("questions:new"), question_post_data(open_market="on", market_b=b))
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "\u2019").replace("&rsquo;", "\u2019")
    errors = html.split('id="id_market_b_error"')[1].split("</ul>")[0]
    assert message in errors.replace("\u2019", "\u2019")
    assert not Question.objects.exists() and not Market.objects.exists()


def test_buckets_on_a_binary_question_are_refused_and_nothing_is_saved(staff_logged_in):
    response = staff_logged_in.post(reverse("questions:new"),
                                    question_post_data(open_market="on", market_b="100", market_buckets="5"))
    assert response.status_code == 400
    errors = response.content.decode().split('id="id_market_buckets_error"')[1].split("</ul>")[0]
    assert "binary question" in errors and "two outcomes" in errors
    assert not Question.objects.exists()


def test_a_market_the_house_cannot_cover_rolls_the_question_back(staff_logged_in, settings):
    from markets.models import Account
    from markets.services import house_ensure_endowment

    house = house_ensure_endowment()
    Account.objects.filter(pk=house.pk).update(balance=1)  # a drained house (as if every point were reserved)
    response = staff_logged_in.post(reverse("questions:new"),
                                    question_post_data(open_market="on", market_b="100"))
    assert response.status_code == 400
    assert "cannot reserve" in response.content.decode()
    assert not Question.objects.exists()


def test_the_edit_form_opens_a_market_on_an_existing_question(staff_logged_in):
    question = factories.QuestionFactory()
    data = question_post_data(title=question.title, open_time=question.open_time.strftime("%Y-%m-%dT%H:%M"),
                              open_market="on", market_b="60")
    response = staff_logged_in.post(reverse("questions:edit", kwargs={"slug": question.slug}), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    question.refresh_from_db()
    assert question.market.b == 60


def test_a_question_with_a_market_shows_it_instead_of_the_option(staff_logged_in):
    question = factories.QuestionFactory()
    market_create(question=question, b=100)
    html = staff_logged_in.get(reverse("questions:edit", kwargs={"slug": question.slug})).content.decode()
    assert 'name="open_market"' not in html and "This question has a market (liquidity b = 100" in html
