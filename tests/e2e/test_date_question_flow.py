"""Date questions in headless Chromium: a forecaster picks 10/50/90% dates with the date pickers, the preview draws
the distribution on a date axis, the submitted forecast is the one previewed and the page words it in dates; staff
create a date question with the staff form's date pickers and resolve it with the resolve page's date picker."""
import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from forecasting.forecasts.models import Forecast
from forecasting.forecasts.services.forecasts import forecast_create
from markets import date_axis
from markets.models import Question
from markets.services import question_create
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tall-Giraffe-Reads-42"


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def successor2(db):
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976", assets=[asset])
    return {"asset": asset, "trial": trial, "endpoint": factories.EndpointFactory(code="PFS")}


@pytest.fixture
def date_question(successor2):
    now = timezone.now()
    today = now.date()
    question = question_create(
        status="open", title="When will the full SUCCESSOR-2 PFS results first be presented?", type="date",
        trial=successor2["trial"], endpoint=successor2["endpoint"], bound_metric="hazard_ratio",
        resolution_criteria="The UTC date on which the PFS hazard ratio is first public.",
        open_time=now - dt.timedelta(days=10), scheduled_close_time=now + dt.timedelta(days=300),
        range_min=date_axis.date_to_seconds(today), range_max=date_axis.date_to_seconds(today + dt.timedelta(days=364)),
        open_upper_bound=True,
    )
    early = factories.UserFactory(username="early_bird")
    forecast_create(question=question, user=early, at=now - dt.timedelta(days=5), quantiles={
        "0.1": (today + dt.timedelta(days=60)).isoformat(), "0.5": (today + dt.timedelta(days=150)).isoformat(),
        "0.9": (today + dt.timedelta(days=260)).isoformat()})
    return question


def test_forecast_a_date_question_with_date_pickers_and_see_the_date_axis_charts(live_server, page, date_question,
                                                                                 screenshot):
    User.objects.create_user(username="dana", email="dana@example.com", password=PASSWORD)
    base = live_server.url
    log_in(page, base, "dana")
    page.goto(base + date_question.get_absolute_url())
    assert page.locator("input[name=q50]").get_attribute("type") == "date"
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('preview-chart'))")
    status = page.locator("#preview-status")
    lo = date_axis.seconds_to_date(date_question.range_min)
    q10, q50, q90 = (lo + dt.timedelta(days=d) for d in (40, 120, 250))
    page.fill("input[name=q10]", q10.isoformat())
    page.fill("input[name=q50]", q50.isoformat())
    assert "at least the 10th, 50th and 90th" in status.inner_text()
    page.fill("input[name=q90]", q90.isoformat())
    assert status.inner_text().startswith(f"Median {date_axis.format_day(date_axis.date_to_seconds(q50))};")
    axis = page.evaluate("() => Chart.getChart(document.getElementById('preview-chart')).scales.x.type")
    assert axis == "time"
    ticks = page.evaluate("() => Chart.getChart(document.getElementById('preview-chart')).scales.x.ticks.map(t => t.label)")
    assert any(str(q50.year) in str(t) or any(m in str(t) for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
               "Aug", "Sep", "Oct", "Nov", "Dec")) for t in ticks), ticks
    previewed = page.evaluate(
        """() => Chart.getChart(document.getElementById('preview-chart')).data.datasets
               .filter(d => d.label === 'Cumulative probability')[0].data.map(p => p.y)""")
    page.fill("input[name=q90]", q10.isoformat())
    assert "later date than the one before" in status.inner_text()
    page.fill("input[name=q90]", q90.isoformat())
    screenshot(page, "date-form")
    page.click("button[type=submit]:has-text('Submit forecast')")
    page.wait_for_url(f"**{date_question.get_absolute_url()}#your-forecast")
    mine = page.locator("[data-testid=my-current]").inner_text()
    assert mine.startswith(date_axis.format_day(date_axis.date_to_seconds(q50))), mine
    stored = Forecast.objects.filter(question=date_question, user__username="dana").latest("created_at")
    assert stored.input["quantiles"] == {"0.1": q10.isoformat(), "0.5": q50.isoformat(), "0.9": q90.isoformat()}
    assert max(abs(a - b) for a, b in zip(previewed, stored.cdf_array())) < 1e-12 and len(previewed) == 201
    # The community: in dates, with a date-axis distribution and a history chart whose y-axis is a date axis.
    page.wait_for_function("() => Chart.getChart(document.getElementById('history-chart'))")
    assert page.evaluate("() => Chart.getChart(document.getElementById('history-chart')).scales.y.type") == "time"
    assert page.evaluate("() => Chart.getChart(document.getElementById('distribution-chart')).scales.x.type") == "time"
    sentence = page.locator("[data-testid=community-date-sentence]").inner_text()
    assert sentence.startswith("Median ") and "80% between" in sentence
    screenshot(page, "date-after")
    # A date out of the range on the closed lower side: the message sits under the 10th percentile, nothing stored.
    before = Forecast.objects.count()
    page.fill("input[name=q10]", (lo - dt.timedelta(days=3)).isoformat())
    page.evaluate("() => document.querySelector('input[name=q10]').removeAttribute('min')")
    page.click("button[type=submit]:has-text('Update forecast')")
    error = page.locator(".field.has-error").first.inner_text()
    assert "quantiles.q10" in error and lo.isoformat() in error, error
    assert Forecast.objects.count() == before
    assert page.js_errors == []



def test_staff_create_a_date_question_and_resolve_it_with_date_pickers(live_server, page, successor2, screenshot):
    User.objects.create_user(username="curator", password=PASSWORD, is_staff=True, is_superuser=True)
    base = live_server.url
    log_in(page, base, "curator")
    page.goto(f"{base}/questions/new/")
    page.fill("input[name=title]", "When will the FDA decide on mezigdomide?")
    page.select_option("select[name=type]", "date")
    assert page.locator("input[name=range_min_date]").is_visible()
    assert not page.locator("input[name=range_min]").is_visible()  # the numeric range is hidden
    assert page.locator("input[name=range_min_date]").get_attribute("type") == "date"
    page.fill("textarea[name=resolution_criteria]", "The date of the FDA's action, as announced.")
    now = timezone.now()
    page.fill("input[name=open_time]", (now - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=scheduled_close_time]", (now + dt.timedelta(days=200)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=range_min_date]", "2026-01-01")
    page.fill("input[name=range_max_date]", "2028-12-31")
    page.check("input[name=open_upper_bound]")
    page.check("input[name=publish]")
    screenshot(page, "date-staff-form")
    page.click("button[type=submit]:has-text('Create question')")
    page.wait_for_load_state()
    question = Question.objects.get()
    assert question.is_date and date_axis.iso(question.range_max) == "2028-12-31" and question.open_upper_bound
    assert "1 Jan 2026 to 31 Dec 2028" in page.locator("[data-testid=date-range]").inner_text()

    page.goto(f"{base}/staff/questions/{question.slug}/resolve/")
    outcome = page.locator("input[name=outcome]")
    assert outcome.get_attribute("type") == "date"
    outcome.fill((now - dt.timedelta(days=1)).date().isoformat())
    page.fill("input[name=known_at]", (now - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=source]", "FDA press release")
    page.click("button[type=submit]:has-text('Resolve')")
    page.wait_for_load_state()
    question.refresh_from_db()
    assert question.status == Question.Status.RESOLVED
    assert date_axis.seconds_to_date(question.outcome) == (now - dt.timedelta(days=1)).date()
    page.goto(base + question.get_absolute_url())
    assert date_axis.format_day(question.outcome) in page.locator("main").inner_text()
    assert page.js_errors == []
