"""Pages of a multiple-choice question: the question page (bar chart data, table, form, POST without JavaScript),
the list's leading option in a constant number of queries, the staff question form, the resolve page and the
market panel."""
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create
from markets.models import Question
from markets.services import market_create
from tests import factories
from tests.forecasting.questions.test_pages import question_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(db):
    return factories.ChoiceQuestionFactory(options=["ASCO", "EHA", "ASH"])


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def choice_data(response) -> dict:
    match = re.search(r'<script id="choice-data" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match
    return json.loads(match.group(1))


def test_the_page_shows_the_community_per_option_as_chart_data_and_a_table(logged_in, question, user, other_user):
    forecast_create(question=question, user=other_user, probabilities=[0.2, 0.2, 0.6])
    forecast_create(question=question, user=user, probabilities=[0.4, 0.2, 0.4])
    response = logged_in.get(question.get_absolute_url())
    html = response.content.decode()
    data = choice_data(response)
    assert data["labels"] == ["ASCO", "EHA", "ASH"]
    assert data["community"] == pytest.approx([0.3, 0.2, 0.5]) and data["mine"] == pytest.approx([0.4, 0.2, 0.4])
    assert len(data["history"]) == 2
    assert 'data-testid="choice-table"' in html and ">50%<" in html and 'id="choice-chart"' in html
    assert 'data-testid="community-leader">ASH<' in html
    assert 'name="option_0" value="40"' in html  # the form starts from the current forecast
    assert "js/choice_forecast.js" in html and "<script>" not in html  # no inline script (CSP)


def test_an_empty_question_says_so_and_shows_the_form(logged_in, question):
    html = logged_in.get(question.get_absolute_url()).content.decode()
    assert "No forecasts yet" in html and "data-choice-form" in html and 'data-choice-sum' in html


def test_posting_the_form_without_javascript_creates_a_forecast(logged_in, question, user):
    response = logged_in.post(question.get_absolute_url(),
                              {"option_0": "33.3", "option_1": "33.3", "option_2": "33.4", "rationale": "Even"})
    assert response.status_code == 302
    forecast = Forecast.objects.get(user=user)
    assert forecast.probabilities == pytest.approx([0.333, 0.333, 0.334]) and forecast.rationale == "Even"


@pytest.mark.parametrize("data, message", [
    ({"option_0": "50", "option_1": "30", "option_2": "30"}, "add up to 110%"),
    ({"option_0": "50", "option_1": "50", "option_2": "0"}, "between 0.1 and 99.9"),
    ({"option_0": "50", "option_1": "50"}, "Enter your chance of ASH"),
    ({"option_0": "NaN", "option_1": "50", "option_2": "50"}, "ASCO"),
])
def test_bad_input_rerenders_with_the_error_and_stores_nothing(logged_in, question, data, message):
    response = logged_in.post(question.get_absolute_url(), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Forecast.objects.exists()


def test_the_list_shows_the_leading_option_in_a_constant_number_of_queries(client, user, other_user,
                                                                          django_assert_num_queries):
    first = factories.ChoiceQuestionFactory(options=["ASCO", "EHA", "ASH"])
    forecast_create(question=first, user=user, probabilities=[0.1, 0.3, 0.6])
    with CaptureQueriesContext(connection) as small:
        html = client.get(reverse("questions:list")).content.decode()
    assert "60%" in html and "leading: ASH" in html
    for i in range(6):
        q = factories.ChoiceQuestionFactory(options=["A", "B", f"C{i}"])
        forecast_create(question=q, user=other_user, probabilities=[0.2, 0.2, 0.6])
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(reverse("questions:list"))


def test_staff_create_a_multiple_choice_question_with_the_form(client, staff_user):
    client.force_login(staff_user)
    data = question_post_data(type="multiple_choice", title="Which meeting first?", options="ASCO\n EHA \n\nASH\n")
    response = client.post(reverse("questions:new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Question.objects.get().options == ["ASCO", "EHA", "ASH"]
    edit = client.get(reverse("questions:edit", args=[Question.objects.get().slug])).content.decode()
    assert "ASCO\nEHA\nASH" in edit


@pytest.mark.parametrize("options, message", [("ASCO", "2 to 20"), ("ASCO\nasco", "repeats"), ("", "2 to 20")])
def test_the_staff_form_shows_option_errors_under_the_field(client, staff_user, options, message):
    client.force_login(staff_user)
    response = client.post(reverse("questions:new"), question_post_data(type="multiple_choice", options=options))
    assert response.status_code == 400
    errors = re.search(r'id="id_options_error" role="alert">(.*?)</ul>', response.content.decode(), re.S)
    assert errors and message in errors.group(1)
    assert not Question.objects.exists()


def test_binary_questions_from_the_form_keep_no_options(client, staff_user):
    client.force_login(staff_user)
    client.post(reverse("questions:new"), question_post_data(options="left\nover"))
    assert Question.objects.get().options is None


def test_the_resolve_page_offers_the_options(client, staff_user, question):
    client.force_login(staff_user)
    html = client.get(reverse("resolution:resolve", args=[question.slug])).content.decode()
    assert 'value="2"' in html and "ASH" in html and 'value="annulled"' in html
    known = timezone.now().strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("resolution:resolve", args=[question.slug]), {"outcome": "2", "known_at": known})
    assert response.status_code in (302, 303), response.content.decode()[:1500]
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED and question.outcome == 2.0
    page = client.get(question.get_absolute_url()).content.decode()
    assert "q-choice-winner" in page


def test_the_market_panel_names_the_options(client, user, staff_user, question):
    market_create(question=question, b=100, created_by=staff_user)
    client.force_login(user)
    html = client.get(question.get_absolute_url()).content.decode()
    assert "probability of each option" in html and ">ASH (33.3%)<" in html
