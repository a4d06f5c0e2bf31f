"""End to end in headless Chromium: forecast both branches of a conditional question and see the crowd on each; a
staff member generates a trial's question group, publishes it, and the group page draws every member's crowd."""
import datetime as dt
import re

import pytest
from django.utils import timezone

from forecasting.conditional.models import ConditionalForecast
from forecasting.conditional.services import conditional_forecast_create, pair_create
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.groups.models import QuestionGroup
from markets.models import Question
from tests import factories
from tests.forecasting.groups.helpers import successor_like_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tall-Giraffe-Reads-42"


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def pair(db):
    now = timezone.now()
    times = {"open_time": now - dt.timedelta(days=3), "scheduled_close_time": now + dt.timedelta(days=60)}
    parent = factories.QuestionFactory(title="Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?", **times)
    child = factories.QuestionFactory(title="Will SUCCESSOR-2 show a significant OS benefit?", **times)
    pair = pair_create(parent=parent, child=child)
    conditional_forecast_create(pair=pair, user=factories.UserFactory(username="early"), p_yes=0.5, p_no=0.1)
    return pair


def test_forecast_both_branches_of_a_conditional_question(live_server, page, pair, screenshot):
    factories.UserFactory(username="dana", password=PASSWORD)
    log_in(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/conditional/{pair.slug}/")
    assert page.get_by_test_id("crowd-yes").inner_text() == "50%"
    assert page.get_by_test_id("crowd-no").inner_text() == "10%"
    form = page.get_by_test_id("conditional-form")
    form.locator("input[name=yes_percent]").fill("70")
    form.locator("input[name=no_percent]").fill("130")  # out of range: an inline error, nothing stored
    form.locator("button[type=submit]").click()
    assert "between 0.1 and 99.9" in page.locator(".field-errors").inner_text()
    assert ConditionalForecast.objects.count() == 1
    form = page.get_by_test_id("conditional-form")
    form.locator("input[name=no_percent]").fill("30")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"#your-forecast$"))
    assert "saved" in page.locator(".messages").inner_text()
    # Two forecasters, equal weights: each branch's crowd is the mean of the two.
    assert page.get_by_test_id("crowd-yes").inner_text() == "60%"
    assert page.get_by_test_id("crowd-no").inner_text() == "20%"
    assert page.get_by_test_id("mine-yes").inner_text() == "70%"
    mine = ConditionalForecast.objects.get(user__username="dana")
    assert (mine.p_yes, mine.p_no) == (0.7, 0.3)
    screenshot(page, "conditional-pair")
    assert not page.js_errors


def test_staff_generates_publishes_and_the_group_page_charts_every_member(live_server, page, screenshot):
    trial = successor_like_trial("SUCCESSOR-2")
    factories.StaffFactory(username="boss", password=PASSWORD)
    log_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/groups/new/")
    page.select_option("select[name=trial]", str(trial.pk))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/groups/successor-2-readout-questions/$"))
    assert "Draft" in page.get_by_test_id("group-status").inner_text()
    page.get_by_test_id("publish-all").click()
    page.wait_for_load_state("networkidle")
    assert "Published" in page.get_by_test_id("group-status").inner_text()
    group = QuestionGroup.objects.get()
    assert set(Question.objects.values_list("status", flat=True)) == {"open"}
    # Forecasts on two members, then the chart shows them.
    met = group.members.get(template="primary_met_pfs").question
    median = group.members.get(template="median_experimental").question
    forecaster = factories.UserFactory(username="fan")
    forecast_create(question=met, user=forecaster, probability=0.85)
    forecast_create(question=median, user=forecaster, quantiles={"0.1": 10, "0.5": 15, "0.9": 22})
    page.goto(f"{live_server.url}/groups/{group.slug}/")
    bars = page.get_by_test_id("group-bar-chart")
    assert bars.locator("svg").count() >= 6  # every binary member, two bars for the pair
    assert "85%" in bars.inner_text()
    fan = page.get_by_test_id("fan-chart")
    assert fan.locator("svg").count() == 1 and "MeziKd" in fan.inner_text()
    assert page.get_by_test_id("group-table").locator("tbody tr").count() == group.members.count()
    screenshot(page, "question-group")
    assert not page.js_errors
