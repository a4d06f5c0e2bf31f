"""End to end in headless Chromium: a forecaster opens the multiple-choice question on SUCCESSOR-2, types a
percentage per option while the live sum says what is left, submits a sum the server refuses (inline error, nothing
stored), corrects it, and sees the community bar chart and the table with their own forecast beside it. No CSP
violation on the way."""
import datetime as dt

import pytest
from django.utils import timezone

from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create
from markets.services import question_create
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/factories.UserFactory
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective); });
"""


@pytest.fixture
def meeting_question(db):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    now = timezone.now()
    question = question_create(
        status="open", type="multiple_choice", trial=trial,
        title="At which meeting will SUCCESSOR-2's full results be presented first?",
        options=["ASCO", "EHA", "ASH", "Elsewhere first"],
        resolution_criteria="The meeting of the first full presentation of the PFS results.",
        open_time=now - dt.timedelta(days=10), scheduled_close_time=now + dt.timedelta(days=60),
    )
    forecast_create(question=question, user=factories.UserFactory(username="early_bird"),
                    probabilities=[0.3, 0.2, 0.4, 0.1], at=now - dt.timedelta(days=5))
    return question


def test_forecast_a_multiple_choice_question_and_see_the_bar_chart(live_server, page, meeting_question, screenshot):
    factories.UserFactory(username="dana")
    base = live_server.url
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{base}/accounts/login/?next={meeting_question.get_absolute_url()}")
    page.fill("input[name=username]", "dana")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{meeting_question.get_absolute_url()}")

    # The community bar chart is drawn (a Chart.js instance on the canvas) from the early forecaster's vector.
    page.wait_for_function("window.Chart && Chart.getChart(document.getElementById('choice-chart'))")
    bars = page.evaluate("Chart.getChart(document.getElementById('choice-chart')).data.datasets[0].data")
    assert bars == pytest.approx([0.3, 0.2, 0.4, 0.1])
    assert page.evaluate("Chart.getChart(document.getElementById('choice-chart')).options.indexAxis") == "y"

    # The live sum follows the inputs.
    for name, value in (("option_0", "20"), ("option_1", "10"), ("option_2", "50")):
        page.fill(f"input[name={name}]", value)
    assert page.locator("[data-choice-sum-note]").inner_text() == "1 option still blank"
    page.fill("input[name=option_3]", "25")
    assert page.get_by_test_id("choice-sum").inner_text() == "105%"
    assert page.locator("[data-choice-sum-note]").inner_text() == "5% too much"

    # The server refuses the sum (the form works without the script): inline error, nothing stored.
    page.click("form[data-choice-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "must add up to exactly 100%" in page.get_by_test_id("choice-errors").inner_text()
    assert page.locator("input[name=option_3]").input_value() == "25"  # what was typed is kept
    assert not Forecast.objects.filter(user__username="dana").exists()

    page.fill("input[name=option_3]", "20")
    assert page.locator("[data-choice-sum-note]").inner_text() == "adds up to 100%"
    page.fill("textarea[name=rationale]", "Abstract deadlines point to ASH.")
    page.click("form[data-choice-form] button[type=submit]")
    page.wait_for_url(f"**{meeting_question.get_absolute_url()}#your-forecast")
    assert page.get_by_test_id("my-current").inner_text() == "ASH 50%"
    forecast = Forecast.objects.get(user__username="dana")
    assert forecast.probabilities == pytest.approx([0.2, 0.1, 0.5, 0.2])

    # Two forecasters: each option's community value is the midpoint, renormalized; the table says the same.
    page.wait_for_function("window.Chart && Chart.getChart(document.getElementById('choice-chart'))")
    chart = page.evaluate("Chart.getChart(document.getElementById('choice-chart')).data.datasets.map(d => d.data)")
    assert chart[0] == pytest.approx([0.25, 0.15, 0.45, 0.15]) and chart[1] == pytest.approx([0.2, 0.1, 0.5, 0.2])
    table = page.get_by_test_id("choice-table").inner_text()
    assert "ASH\t45%\t50%" in table and "EHA\t15%\t10%" in table
    assert page.get_by_test_id("community-leader").inner_text() == "ASH"
    screenshot(page, "choice-question")
    assert page.evaluate("window.__csp") == [] and page.js_errors == []
