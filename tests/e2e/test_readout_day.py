"""Readout day in headless Chromium: a staff user enters the SUCCESSOR-2 PFS readout; the bound question's page at
once says the answer is pending, and a forecaster whose page still shows the forms (loaded before the readout) is
refused both a forecast and a trade; after staff confirm, the page shows the outcome, its source and known_at."""
import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from markets.services import account_grant_starting_points, market_create, question_create
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tall-Giraffe-Reads-42"


@pytest.fixture
def bound_question(db):
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976", assets=[asset])
    endpoint = factories.EndpointFactory(code="PFS")
    now = timezone.now()
    question = question_create(
        status="open", title="Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?", type="binary", asset=asset,
        trial=trial, endpoint=endpoint, bound_metric="hazard_ratio", bound_comparator="<", bound_threshold=0.7,
        resolution_criteria="Resolves YES if the primary PFS hazard ratio (MeziKd vs Kd) is below 0.7.",
        open_time=now - dt.timedelta(days=21), scheduled_close_time=now + dt.timedelta(days=40),
    )
    market_create(question=question, b=100)
    return question


@pytest.fixture
def people(db):
    staff = User.objects.create_user(username="curator", password=PASSWORD, is_staff=True, is_superuser=True)
    amira = User.objects.create_user(username="amira", email="amira@example.com", password=PASSWORD)
    account_grant_starting_points(user=amira)
    return staff, amira


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_a_readout_halts_the_question_at_once_and_confirming_shows_the_outcome(live_server, browser, bound_question,
                                                                               people, screenshot):
    base = live_server.url
    question_url = f"{base}{bound_question.get_absolute_url()}"
    forecaster_context = browser.new_context(viewport={"width": 1280, "height": 900})
    forecaster = forecaster_context.new_page()
    trader_tab = forecaster_context.new_page()  # the same forecaster, the question open in a second tab
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors = []
    for p in (forecaster, trader_tab, staff):
        p.on("pageerror", lambda exc: errors.append(str(exc)))

    # The forecaster opens the question (twice) while it is open: both forms are there.
    log_in(forecaster, base, "amira")
    for tab in (forecaster, trader_tab):
        tab.goto(question_url)
        assert tab.locator("input[name=percent]").count() == 1
        assert tab.locator("#market input[name=amount]").count() == 1

    # Staff enter the readout: HR 0.58, public 10 minutes ago.
    log_in(staff, base, "curator")
    staff.goto(f"{base}/staff/readouts/new/")
    staff.select_option("select[name=trial]", label=staff.locator("select[name=trial] option", has_text="SUCCESSOR-2")
                        .first.inner_text())
    staff.select_option("select[name=endpoint]", value="PFS")
    staff.select_option("select[name=metric]", value="hazard_ratio")
    staff.fill("input[name=value]", "0.58")
    staff.fill("input[name=source]", "ASH 2026, LBA-2")
    staff.fill("input[name=url]", "https://example.org/ash2026/lba2")
    known_at = (timezone.now() - dt.timedelta(minutes=10)).astimezone(dt.timezone.utc)
    staff.fill("input[name=known_at]", known_at.strftime("%Y-%m-%dT%H:%M"))
    staff.click("button:has-text('Save readout')")
    staff.wait_for_url(re.compile(r"/staff/resolutions/$"))
    assert "1 resolution proposed" in staff.locator(".messages").inner_text()

    # The question page says at once that the answer is pending, and shows no forms.
    staff.goto(question_url)
    assert "Answer pending" in staff.locator("main").inner_text()
    screenshot(staff, "readout-day-pending")

    # The forecaster's stale page still has the forms: both are refused, with the reason.
    forecaster.fill("input[name=percent]", "90")
    forecaster.click("button[type=submit]:has-text('Submit forecast')")
    forecaster.wait_for_load_state()
    assert "answer is pending" in forecaster.content().lower()
    assert forecaster.locator("input[name=percent]").count() == 0
    trader_tab.fill("#market input[name=amount]", "50")
    trader_tab.click("#market button[type=submit]")
    trader_tab.wait_for_url(re.compile(r"#trade$"))
    assert "answer is pending" in trader_tab.locator(".messages").inner_text().lower()
    assert trader_tab.get_by_test_id("market-position-1").inner_text() == "0.000"
    forecaster.goto(question_url)
    assert forecaster.locator("#market input[name=amount]").count() == 0
    assert "answer is pending" in forecaster.locator("main").inner_text().lower()

    # Staff confirm; the page shows the outcome, the source and when the answer became public.
    staff.goto(f"{base}/staff/resolutions/")
    staff.locator("form[action*='/confirm/'] button:has-text('Confirm')").first.click()
    staff.wait_for_load_state()
    forecaster.goto(question_url)
    main = forecaster.locator("main").inner_text()
    assert "Resolved Yes" in main or re.search(r"Resolved\s+Yes", main)
    assert "ASH 2026, LBA-2" in main
    assert known_at.strftime("%-d %b %Y") in main and known_at.strftime("%H:%M") in main
    screenshot(forecaster, "readout-day-resolved")
    assert errors == []
