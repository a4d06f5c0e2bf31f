"""The server-rendered question pages: list, question page with the forecast forms, my forecasts, the staff form."""
import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import Forecast, ForecasterQuestion
from forecasting.questions import display, pages
from markets.models import Question
from markets.services import question_close, question_create
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def make_question(**overrides) -> Question:
    fields = {
        "title": "Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?",
        "type": "binary",
        "resolution_criteria": "Resolves YES if the primary PFS hazard ratio reported is below 0.7.",
        "open_time": timezone.now() - dt.timedelta(days=7),
        "scheduled_close_time": timezone.now() + dt.timedelta(days=30),
    }
    fields.update(overrides)
    status = fields.pop("status", "open")
    return question_create(status=status, **fields)


def make_numeric(**overrides) -> Question:
    fields = {
        "title": "Median PFS in the MeziKd arm, months?",
        "type": "numeric",
        "range_min": 0.0,
        "range_max": 40.0,
        "unit": "months",
        "open_upper_bound": True,
        "resolution_criteria": "The median PFS of the MeziKd arm as first reported.",
    }
    fields.update(overrides)
    return make_question(**fields)


def chart_data(response) -> dict:
    match = re.search(r'<script id="question-data" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "the question page embeds its chart data with json_script"
    return json.loads(match.group(1))


@pytest.fixture
def binary_question(db):
    return make_question()


@pytest.fixture
def numeric_question(db):
    return make_numeric()


@pytest.fixture
def hidden_binary_question(db):
    return make_question(title="Will an OS benefit be shown?", reveal_time=timezone.now() + dt.timedelta(days=10))


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff_logged_in(client, staff_user):
    client.force_login(staff_user)
    return client


# ---------------------------------------------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "p, text",
    [(0.35, "35%"), (0.355, "35.5%"), (0.001, "0.1%"), (0.999, "99.9%"), (0.5, "50%"), (None, "")],
)
def test_format_percent(p, text):
    assert display.format_percent(p) == text


@pytest.mark.parametrize(
    "x, unit, text",
    [(0.64, "", "0.64"), (8.25, "months", "8.25 months"), (12.0, "months", "12 months"), (1234.5, "mg", "1,234 mg"),
     (float("inf"), "months", "above the range"), (float("-inf"), "", "below the range"), (None, "x", "")],
)
def test_format_number(x, unit, text):
    assert display.format_number(x, unit) == text


# ---------------------------------------------------------------------------------------------------------------
# Question list
# ---------------------------------------------------------------------------------------------------------------
def test_list_shows_title_badges_close_time_forecasters_and_community(client, binary_question, user):
    forecast_create(question=binary_question, user=user, probability=0.35)
    response = client.get(reverse("questions:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert binary_question.title in html
    assert "closes in 4\xa0weeks" in html  # 30 days, humanized by Django's timeuntil
    assert ">35%<" in html
    assert 'class="badge kind q-type-binary"' in html and 'class="badge open"' in html
    assert '<td class="num hide-phone">1</td>' in html


def test_list_shows_hidden_until_instead_of_a_hidden_community_forecast(client, hidden_binary_question, user):
    forecast_create(question=hidden_binary_question, user=user, probability=0.8)
    html = client.get(reverse("questions:list")).content.decode()
    assert "Hidden until" in html
    assert "80%" not in html


def test_list_shows_numeric_median_with_unit(client, numeric_question, user):
    forecast_create(question=numeric_question, user=user, quantiles={"0.1": 4, "0.5": 8, "0.9": 14})
    html = client.get(reverse("questions:list")).content.decode()
    assert re.search(r'<span class="prob">8(\.\d+)? months</span>', html)


@pytest.fixture
def filter_world(db):
    asset_a = factories.AssetFactory(name="Mezigdomide")
    asset_b = factories.AssetFactory(name="Iberdomide")
    trial_1 = factories.TrialFactory(acronym="SUCCESSOR-2", assets=[asset_a])
    trial_2 = factories.TrialFactory(acronym="EXCALIBER-RRMM", assets=[asset_b])
    make_question(title="Alpha binary question", asset=asset_a, trial=trial_1)
    make_numeric(title="Bravo numeric question", asset=asset_b, trial=trial_2)
    closed = make_question(title="Charlie closed question", asset=asset_a, trial=trial_1)
    question_close(question=closed)
    make_question(title="Delta draft question", status="draft")
    return {"asset_a": asset_a, "trial_2": trial_2}


@pytest.mark.parametrize(
    "params, shown",
    [
        ({}, {"Alpha", "Bravo", "Charlie"}),
        ({"asset": "mezigdomide"}, {"Alpha", "Charlie"}),
        ({"trial": "excaliber-rrmm"}, {"Bravo"}),
        ({"status": "closed"}, {"Charlie"}),
        ({"type": "numeric"}, {"Bravo"}),
        ({"type": "binary", "status": "open"}, {"Alpha"}),
        ({"q": "bravo"}, {"Bravo"}),
        ({"asset": "no-such-asset"}, set()),
    ],
)
def test_list_filters_by_asset_trial_status_type(client, filter_world, params, shown):
    html = client.get(reverse("questions:list"), params).content.decode()
    present = {name for name in ("Alpha", "Bravo", "Charlie", "Delta") if f"{name} " in html}
    assert present == shown
    if not shown:
        assert "No questions match these filters" in html


def test_list_shows_drafts_to_staff_only(client, filter_world, staff_user):
    make_question(title="Echo draft", status="draft", asset=factories.AssetFactory(name="Secretmab"))
    html = client.get(reverse("questions:list")).content.decode()
    assert "Delta draft question" not in html
    assert "Secretmab" not in html  # not even as a filter choice
    client.force_login(staff_user)
    html = client.get(reverse("questions:list")).content.decode()
    assert "Delta draft question" in html
    assert reverse("questions:new") in html


def test_list_sorts_by_close_time_or_forecasters(client, user, other_user):
    soon = make_question(title="Closes soon", scheduled_close_time=timezone.now() + dt.timedelta(days=2))
    later = make_question(title="Closes later", scheduled_close_time=timezone.now() + dt.timedelta(days=60))
    forecast_create(question=later, user=user, probability=0.3)
    forecast_create(question=later, user=other_user, probability=0.4)
    forecast_create(question=soon, user=user, probability=0.6)

    def order(sort):
        html = client.get(reverse("questions:list"), {"sort": sort}).content.decode()
        return html.index(soon.title) < html.index(later.title)

    assert order("close") is True
    assert order("-close") is False
    assert order("forecasters") is False


def test_list_paginates_by_25_keeping_filters(client):
    for i in range(27):
        make_question(title=f"Paged question {i:02d}")
    html = client.get(reverse("questions:list"), {"type": "binary"}).content.decode()
    assert html.count('class="question-title"') == 25
    assert "type=binary&amp;page=2" in html
    page2 = client.get(reverse("questions:list"), {"type": "binary", "page": 2}).content.decode()
    assert page2.count('class="question-title"') == 2


def test_list_empty_state(client, db):
    html = client.get(reverse("questions:list")).content.decode()
    assert "No questions yet" in html


def _populate(n: int, users) -> None:
    trial = factories.TrialFactory(assets=[factories.AssetFactory()])
    for i in range(n):
        question = make_question(title=f"Question number {i}", trial=trial, endpoint=factories.EndpointFactory())
        for user in users:
            forecast_create(question=question, user=user, probability=0.2 + 0.01 * i)
    make_question(title="Hidden one", reveal_time=timezone.now() + dt.timedelta(days=3))


def test_list_runs_a_constant_number_of_queries_whatever_the_page_size(client, user, other_user,
                                                                       django_assert_num_queries):
    _populate(2, [user, other_user])
    client.force_login(user)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("questions:list")).status_code == 200
    _populate(23, [user])  # now 25 + 2 hidden questions: a full page
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("questions:list"))
    assert response.content.decode().count('class="question-title"') == 25


def test_my_forecasts_runs_a_constant_number_of_queries(client, user, django_assert_num_queries):
    _populate(2, [user])
    client.force_login(user)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("questions:mine"))
    _populate(20, [user])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("questions:mine"))
    assert response.content.decode().count('class="question-title"') == 22


# ---------------------------------------------------------------------------------------------------------------
# Question page
# ---------------------------------------------------------------------------------------------------------------
def test_question_page_shows_criteria_binding_times_and_community(client, user, other_user):
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", assets=[asset])
    endpoint = factories.EndpointFactory(code="PFS")
    question = make_question(
        trial=trial, endpoint=endpoint, bound_metric="hazard_ratio", bound_comparator="<", bound_threshold=0.7,
        description="The topline said it met PFS.", fine_print="Investigator-assessed PFS does not count.",
    )
    forecast_create(question=question, user=user, probability=0.3, rationale="HR around 0.6 looks likely.")
    forecast_create(question=question, user=other_user, probability=0.4)
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in (question.resolution_criteria, "The topline said it met PFS.", "Investigator-assessed PFS",
                 "SUCCESSOR-2, PFS", trial.get_absolute_url(), asset.get_absolute_url(), "Opened", "Closes"):
        assert text in html
    assert 'data-testid="community-median">35%<' in html  # the median of 30% and 40%
    assert "Extremized aggregate" in html
    assert "HR around 0.6 looks likely." in html  # others' rationales, once revealed
    data = chart_data(response)
    assert [point["median"] for point in data["series"]] == [0.3, pytest.approx(0.35)]
    assert all(point["created_at"] for point in data["series"])
    assert data["mine"] == []  # anonymous viewer
    assert 'id="history-chart"' in html


def test_hidden_community_and_others_forecasts_are_not_shown_but_own_forecast_is(client, hidden_binary_question,
                                                                                  user, other_user):
    question = hidden_binary_question
    forecast_create(question=question, user=other_user, probability=0.8, rationale="Secret reasoning of theirs")
    forecast_create(question=question, user=user, probability=0.35, rationale="My own reasoning")

    client.force_login(user)
    response = client.get(question.get_absolute_url())
    html = response.content.decode()
    assert "The community forecast is hidden until" in html
    assert "80%" not in html and "Secret reasoning" not in html
    assert "My own reasoning" in html and 'data-testid="my-current">35%<' in html
    data = chart_data(response)
    assert data["series"] == [] and data["distribution"] is None
    assert [point["value"] for point in data["mine"]] == [0.35]

    client.logout()
    anonymous = client.get(question.get_absolute_url()).content.decode()
    assert "80%" not in anonymous and "35%" not in anonymous and "reasoning" not in anonymous


def test_rationales_from_others_are_newest_first_with_display_names(client, binary_question, user, other_user):
    forecast_create(question=binary_question, user=other_user, probability=0.2, rationale="Older view",
                    at=timezone.now() - dt.timedelta(days=2))
    forecast_create(question=binary_question, user=user, probability=0.6, rationale="Newer view",
                    at=timezone.now() - dt.timedelta(days=1))
    forecast_create(question=binary_question, user=other_user, probability=0.25, rationale="")
    client.force_login(other_user)
    html = client.get(binary_question.get_absolute_url()).content.decode()
    rationales = html[html.index('id="rationales"'):]
    assert user.profile.name in rationales and "60%" in rationales
    assert "Older view" not in rationales  # the viewer's own rationale sits in their history, not here
    assert "Older view" in html
    forecast_create(question=binary_question, user=factories.UserFactory(username="third"), probability=0.5,
                    rationale="Newest view")
    rationales = client.get(binary_question.get_absolute_url()).content.decode().split('id="rationales"')[1]
    assert rationales.index("Newest view") < rationales.index("Newer view")


def test_anonymous_visitor_sees_log_in_to_forecast(client, binary_question):
    html = client.get(binary_question.get_absolute_url()).content.decode()
    assert "Log in to forecast" in html
    assert f"{reverse('login')}?next={binary_question.get_absolute_url()}" in html
    assert 'name="percent"' not in html


def test_anonymous_post_redirects_to_login_and_stores_nothing(client, binary_question):
    response = client.post(binary_question.get_absolute_url(), {"percent": "35"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Forecast.objects.exists()


def test_drafts_are_not_found_for_non_staff(client, user):
    draft = make_question(status="draft")
    client.force_login(user)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_binary_form_has_a_slider_and_a_percent_input(logged_in, binary_question):
    html = logged_in.get(binary_question.get_absolute_url()).content.decode()
    assert 'type="range"' in html and 'min="1" max="99" step="0.1"' in html
    assert 'name="percent"' in html and 'name="rationale"' in html


def test_posting_the_binary_form_creates_a_forecast_and_redirects(logged_in, binary_question, user):
    url = binary_question.get_absolute_url()
    response = logged_in.post(url, {"percent": "35", "rationale": "  The topline was strong.  "})
    assert response.status_code == 302
    assert response["Location"] == url + "#your-forecast"
    forecast = Forecast.objects.get(question=binary_question, user=user)
    assert forecast.probability == pytest.approx(0.35)
    assert forecast.rationale == "The topline was strong."
    page = logged_in.get(url).content.decode()
    assert "Your forecast is saved." in page
    assert "Your forecasts<" in page and "The topline was strong." in page
    assert 'name="percent" value="35"' in page  # the form starts from the current forecast


@pytest.mark.parametrize("percent, probability", [("0.1", 0.001), ("99.9", 0.999), ("35.5", 0.355)])
def test_binary_form_accepts_the_edges_of_the_allowed_range(logged_in, binary_question, percent, probability):
    assert logged_in.post(binary_question.get_absolute_url(), {"percent": percent}).status_code == 302
    assert Forecast.objects.get().probability == probability


@pytest.mark.parametrize(
    "percent, message",
    [
        ("150", "Enter a probability between 0.1% and 99.9% (you entered 150%)."),
        ("0.05", "Enter a probability between 0.1% and 99.9% (you entered 0.05%)."),
        ("100", "Enter a probability between 0.1% and 99.9%"),
        ("-5", "Enter a probability between 0.1% and 99.9%"),
        ("abc", "Enter your probability as a number of percent"),
        ("nan", "Enter your probability as a number of percent"),
        ("", "Enter your probability as a percentage"),
    ],
)
def test_invalid_binary_input_rerenders_with_the_error_under_the_field_and_stores_nothing(
    logged_in, binary_question, percent, message
):
    response = logged_in.post(binary_question.get_absolute_url(), {"percent": percent, "rationale": "keep me"})
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(r'<ul class="field-errors" id="id_percent_error" role="alert">(.*?)</ul>', html, re.S)
    assert errors and message in errors.group(1)
    if percent:
        assert f'value="{percent}"' in html  # what was typed is kept
    assert "keep me" in html
    assert not Forecast.objects.exists() and not ForecasterQuestion.objects.exists()


def test_rationale_too_long_is_an_inline_error(logged_in, binary_question):
    response = logged_in.post(binary_question.get_absolute_url(), {"percent": "35", "rationale": "x" * 4001})
    assert response.status_code == 400
    assert "id_rationale_error" in response.content.decode()
    assert not Forecast.objects.exists()


def test_numeric_form_shows_range_unit_and_quantile_inputs(logged_in, numeric_question):
    html = logged_in.get(numeric_question.get_absolute_url()).content.decode()
    for name in ("q10", "q25", "q50", "q75", "q90"):
        assert f'name="{name}"' in html
    assert "The range is 0 to 40 months" in html and "above the maximum are possible" in html
    assert 'id="preview-chart"' in html


def test_posting_the_numeric_quantile_form_creates_a_forecast(logged_in, numeric_question, user):
    url = numeric_question.get_absolute_url()
    response = logged_in.post(url, {"q10": "4", "q25": "6", "q50": "8", "q75": "10.5", "q90": "14", "rationale": ""})
    assert response.status_code == 302
    forecast = Forecast.objects.get(question=numeric_question, user=user)
    assert forecast.input["quantiles"] == {"0.1": 4.0, "0.25": 6.0, "0.5": 8.0, "0.75": 10.5, "0.9": 14.0}
    assert forecast.cdf_array().shape == (201,)
    page = logged_in.get(url)
    html = page.content.decode()
    assert 'id="distribution-chart"' in html and 'data-testid="community-median">8' in html
    data = chart_data(page)
    assert len(data["distribution"]["x"]) == 201 and len(data["distribution"]["density"]) == 200
    assert data["distribution"]["above"] > 0  # the open upper bound keeps some mass above 40 months
    assert data["mine"][0]["value"] == 8.0


def test_numeric_quantiles_out_of_order_show_the_error_under_the_percentile(logged_in, numeric_question):
    response = logged_in.post(numeric_question.get_absolute_url(), {"q10": "8", "q50": "4", "q90": "14"})
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(r'id="id_q50_error" role="alert">(.*?)</ul>', html, re.S)
    assert errors and "must be greater than the 10th percentile (8)" in errors.group(1)
    assert 'value="8"' in html and 'value="4"' in html
    assert not Forecast.objects.exists()


def test_numeric_quantiles_the_service_refuses_show_its_message(logged_in, numeric_question):
    # Below a closed lower bound: only the conversion can say so.
    response = logged_in.post(numeric_question.get_absolute_url(), {"q10": "-5", "q50": "4", "q90": "14"})
    assert response.status_code == 400
    assert '<div class="form-errors" role="alert">' in response.content.decode()
    assert not Forecast.objects.exists()


def test_closed_question_shows_a_note_instead_of_the_form_and_refuses_posts(logged_in, binary_question):
    question_close(question=binary_question)
    url = binary_question.get_absolute_url()
    html = logged_in.get(url).content.decode()
    # The note is the question's own reason (Question.closed_reason), the words the forecast service refuses with.
    assert re.search(r'data-testid="closed-reason">This question was closed early; forecasting has ended\.<', html)
    assert 'name="percent"' not in html
    response = logged_in.post(url, {"percent": "35"})
    assert response.status_code == 409
    assert "forecasting has ended" in response.content.decode()
    assert not Forecast.objects.exists()


def test_question_past_its_close_time_refuses_forecasts_even_before_the_close_task(logged_in, binary_question):
    Question.objects.filter(pk=binary_question.pk).update(scheduled_close_time=timezone.now() - dt.timedelta(minutes=1))
    response = logged_in.post(binary_question.get_absolute_url(), {"percent": "35"})
    assert response.status_code == 409
    assert not Forecast.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Withdrawing
# ---------------------------------------------------------------------------------------------------------------
def test_withdraw_ends_the_current_forecast(logged_in, binary_question, user):
    forecast_create(question=binary_question, user=user, probability=0.35)
    url = reverse("questions:withdraw", kwargs={"slug": binary_question.slug})
    html = logged_in.get(binary_question.get_absolute_url()).content.decode()
    assert f'action="{url}"' in html and "data-confirm=" in html
    response = logged_in.post(url)
    assert response.status_code == 302
    fq = ForecasterQuestion.objects.get(question=binary_question, user=user)
    assert fq.current is None
    assert Forecast.objects.filter(kind=Forecast.Kind.WITHDRAWAL).count() == 1
    page = logged_in.get(binary_question.get_absolute_url()).content.decode()
    assert "Your forecast is withdrawn" in page and "Withdrawn</span>" in page
    assert "withdrawn" in logged_in.get(reverse("questions:mine")).content.decode()


def test_nobody_can_withdraw_someone_elses_forecast(client, binary_question, user, other_user):
    forecast_create(question=binary_question, user=user, probability=0.35)
    client.force_login(other_user)
    response = client.post(reverse("questions:withdraw", kwargs={"slug": binary_question.slug}), follow=True)
    assert "You have no active forecast on this question to withdraw." in response.content.decode()
    assert ForecasterQuestion.objects.get(user=user).current.probability == 0.35
    assert not Forecast.objects.filter(kind=Forecast.Kind.WITHDRAWAL).exists()


def test_withdraw_needs_a_logged_in_post(client, user, binary_question):
    url = reverse("questions:withdraw", kwargs={"slug": binary_question.slug})
    assert client.post(url)["Location"].startswith(reverse("login"))
    client.force_login(user)
    assert client.get(url).status_code == 405


# ---------------------------------------------------------------------------------------------------------------
# My forecasts
# ---------------------------------------------------------------------------------------------------------------
def test_my_forecasts_lists_own_questions_with_current_and_revealed_community(client, user, other_user,
                                                                             hidden_binary_question):
    revealed = make_question(title="Will MRD data be disclosed?")
    numeric = make_numeric()
    not_mine = make_question(title="A question only others forecast")
    forecast_create(question=revealed, user=user, probability=0.35)
    forecast_create(question=revealed, user=other_user, probability=0.45)
    forecast_create(question=hidden_binary_question, user=user, probability=0.6)
    forecast_create(question=hidden_binary_question, user=other_user, probability=0.9)
    forecast_create(question=numeric, user=user, quantiles={"0.1": 4, "0.5": 8, "0.9": 14})
    forecast_create(question=not_mine, user=other_user, probability=0.5)

    client.force_login(user)
    html = client.get(reverse("questions:mine")).content.decode()
    assert revealed.title in html and hidden_binary_question.title in html and numeric.title in html
    assert not_mine.title not in html
    assert '<span class="prob my-value">35%</span>' in html
    assert '<span class="prob my-value">60%</span>' in html
    assert "8 months (4–14)" in html
    assert '<span class="prob">40%</span>' in html  # community median of the revealed question
    assert "90%" not in html and "75%" not in html  # nothing of the hidden question's community
    assert "Hidden until" in html


def test_my_forecasts_requires_login(client, db):
    response = client.get(reverse("questions:mine"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_my_forecasts_empty_state_links_to_the_list(logged_in):
    html = logged_in.get(reverse("questions:mine")).content.decode()
    assert "You have not forecast any question yet." in html
    assert f'href="{reverse("questions:list")}?status=open"' in html


# ---------------------------------------------------------------------------------------------------------------
# Staff question form
# ---------------------------------------------------------------------------------------------------------------
def question_post_data(**overrides) -> dict:
    data = {
        "title": "Will SUCCESSOR-2 show an OS benefit?",
        "type": "binary",
        "description": "",
        "resolution_criteria": "Resolves YES if the OS hazard ratio's 95% CI excludes 1.",
        "fine_print": "",
        "open_time": "2026-01-01T09:00",
        "scheduled_close_time": "2030-06-30T18:30",
        "reveal_time": "",
        "range_min": "",
        "range_max": "",
        "unit": "",
        "bound_metric": "",
        "bound_comparator": "",
        "bound_threshold": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_staff_create_a_published_question_with_utc_times(staff_logged_in, staff_user):
    response = staff_logged_in.post(reverse("questions:new"), question_post_data(publish="on"))
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    assert question.status == Question.Status.OPEN
    assert question.created_by == staff_user
    assert question.open_time == dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
    assert question.scheduled_close_time == dt.datetime(2030, 6, 30, 18, 30, tzinfo=dt.timezone.utc)


def test_staff_create_saves_a_draft_unless_published(staff_logged_in):
    staff_logged_in.post(reverse("questions:new"), question_post_data())
    assert Question.objects.get().status == Question.Status.DRAFT


def test_staff_create_numeric_question(staff_logged_in):
    trial = factories.TrialFactory(assets=[factories.AssetFactory()])
    endpoint = factories.EndpointFactory()
    data = question_post_data(
        type="numeric", title="What PFS hazard ratio will SUCCESSOR-2 report?", range_min="0.2", range_max="1.5",
        unit="", log_scale="on", trial=str(trial.pk), endpoint=str(endpoint.pk), bound_metric="hazard_ratio",
    )
    assert staff_logged_in.post(reverse("questions:new"), data).status_code == 302
    question = Question.objects.get()
    assert (question.range_min, question.range_max, question.log_scale) == (0.2, 1.5, True)
    assert question.asset == trial.assets.first()  # filled in from the trial by the service


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"scheduled_close_time": "2025-01-01T00:00"}, "scheduled_close_time", "The close time must be after the open time."),
        ({"type": "numeric", "range_min": "5", "range_max": "1"}, "range_max", "range_max must be greater than range_min."),
        ({"type": "numeric", "range_min": "", "range_max": "10"}, "range_min", "finite range minimum and maximum"),
        ({"type": "numeric", "range_min": "0", "range_max": "10", "log_scale": "on"}, "range_min", "range_min &gt; 0"),
        ({"resolution_criteria": ""}, "resolution_criteria", "This field is required."),
        ({"bound_metric": "hazard_ratio"}, "bound_metric", "needs its trial and endpoint"),
        ({"open_time": "not a date"}, "open_time", "Enter a valid date/time."),
    ],
)
def test_staff_form_shows_validation_errors_under_the_field(staff_logged_in, overrides, field, message):
    response = staff_logged_in.post(reverse("questions:new"), question_post_data(**overrides))
    assert response.status_code == 400
    errors = re.search(rf'id="id_{field}_error" role="alert">(.*?)</ul>', response.content.decode(), re.S)
    assert errors and message in errors.group(1)
    assert not Question.objects.exists()


def test_staff_form_never_shows_generic_constraint_messages(staff_logged_in):
    data = question_post_data(type="numeric", range_min="5", range_max="1", resolution_criteria="", open_time="")
    response = staff_logged_in.post(reverse("questions:new"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Constraint" not in html and "id_resolution_criteria_error" in html and "id_open_time_error" in html
    assert not Question.objects.exists()


def test_binary_question_ignores_hidden_numeric_inputs(staff_logged_in):
    data = question_post_data(range_min="0", range_max="-3", log_scale="on", publish="on")
    assert staff_logged_in.post(reverse("questions:new"), data).status_code == 302
    question = Question.objects.get()
    assert question.range_min is None and question.log_scale is False


def test_staff_edit_changes_editable_fields_and_keeps_frozen_ones(staff_logged_in, binary_question):
    url = reverse("questions:edit", kwargs={"slug": binary_question.slug})
    html = staff_logged_in.get(url).content.decode()
    assert "Cannot change once the question is open" in html
    assert re.search(r'<select name="type"[^>]*disabled', html)
    data = question_post_data(
        title="Edited title", type="numeric", range_min="1", range_max="2",
        open_time="2020-01-01T00:00", scheduled_close_time="2031-01-01T00:00",
    )
    response = staff_logged_in.post(url, data)
    assert response.status_code == 302
    binary_question.refresh_from_db()
    assert binary_question.title == "Edited title"
    assert binary_question.type == "binary"  # frozen: the disabled field's posted value is ignored
    assert binary_question.open_time > timezone.now() - dt.timedelta(days=8)
    assert binary_question.scheduled_close_time == dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)


def test_staff_can_publish_a_draft_from_the_edit_form(staff_logged_in):
    draft = make_question(status="draft")
    url = reverse("questions:edit", kwargs={"slug": draft.slug})
    assert "Publish (open) now" in staff_logged_in.get(url).content.decode()
    data = question_post_data(title=draft.title, publish="on")
    assert staff_logged_in.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Question.Status.OPEN


def test_list_and_question_page_link_to_the_staff_form_for_staff(staff_logged_in, binary_question):
    assert reverse("questions:new") in staff_logged_in.get(reverse("questions:list")).content.decode()
    edit = reverse("questions:edit", kwargs={"slug": binary_question.slug})
    assert edit in staff_logged_in.get(binary_question.get_absolute_url()).content.decode()


@pytest.mark.parametrize("name", ["new", "edit"])
def test_staff_form_is_forbidden_to_others(client, user, binary_question, name):
    kwargs = {"slug": binary_question.slug} if name == "edit" else {}
    url = reverse(f"questions:{name}", kwargs=kwargs)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    client.force_login(user)
    assert client.get(url).status_code == 403
    assert client.post(url, question_post_data(title="Sneaky")).status_code == 403
    assert not Question.objects.filter(title="Sneaky").exists()


# ---------------------------------------------------------------------------------------------------------------
# CSRF and the home-page helper
# ---------------------------------------------------------------------------------------------------------------
def test_forms_enforce_csrf(user, staff_user, binary_question):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(binary_question.get_absolute_url(), {"percent": "35"}).status_code == 403
    assert not Forecast.objects.exists()
    forecast_create(question=binary_question, user=user, probability=0.35)
    assert client.post(reverse("questions:withdraw", kwargs={"slug": binary_question.slug})).status_code == 403
    assert ForecasterQuestion.objects.get().current is not None
    client.force_login(staff_user)
    assert client.post(reverse("questions:new"), question_post_data(title="No token")).status_code == 403
    assert not Question.objects.filter(title="No token").exists()

    # With the token from the page, the same post goes through.
    client.force_login(user)
    page = client.get(binary_question.get_absolute_url())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(binary_question.get_absolute_url(), {"percent": "40", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_open_questions_for_home_lists_open_questions_closing_first(user):
    make_question(title="Later", scheduled_close_time=timezone.now() + dt.timedelta(days=90))
    sooner = make_question(title="Sooner", scheduled_close_time=timezone.now() + dt.timedelta(days=3))
    closed = make_question(title="Closed")
    question_close(question=closed)
    make_question(title="Draft", status="draft")
    forecast_create(question=sooner, user=user, probability=0.25)
    rows = pages.open_questions_for_home(limit=6)
    assert [row.question.title for row in rows] == ["Sooner", "Later"]
    assert rows[0].community.text == "25%" and rows[1].community.state == "none"
    assert len(pages.open_questions_for_home(limit=1)) == 1
