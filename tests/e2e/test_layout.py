"""In headless Chromium at 1280 and 390 px wide, on the demo data: no main page scrolls sideways; the question page
puts the forecast form before the market; after a forecast (binary and numeric) or a trade (refused and made) the
page lands with the form and its message in view below the sticky header, and a refused trade keeps what was typed.
"""
import re

import pytest

from forecasting.management.commands.load_demo import demo_load
from markets.models import Question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
BINARY = "successor-2-pfs-hr-below-0-7"
NUMERIC = "successor-2-pfs-hazard-ratio"

IN_VIEW = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  const header = document.querySelector('.site-header').getBoundingClientRect().bottom;
  return {top: r.top, bottom: r.bottom, header: header, height: innerHeight};
}"""


@pytest.fixture
def demo(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    demo_load()


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser):
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.viewport_name = request.param
    yield page
    context.close()


def log_in(page, base_url, username="amira", password="forecast-demo"):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("main input[name=username]", username)
    page.fill("main input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def assert_no_sideways_scroll(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{url} scrolls sideways at {page.viewport_name}: {widths}"


def assert_in_view(page, selector, *, whole=True):
    box = page.evaluate(IN_VIEW, selector)
    assert box is not None, f"{selector} is missing"
    assert box["top"] >= box["header"] - 1, f"{selector} is under the header: {box}"
    assert box["top"] < box["height"], f"{selector} is below the fold: {box}"
    if whole:
        assert box["bottom"] <= box["height"] + 1, f"{selector} does not fit in view: {box}"


def test_no_main_page_scrolls_sideways(live_server, sized_page, demo):
    page, base = sized_page, live_server.url
    log_in(page, base)
    question = Question.objects.get(slug=BINARY)
    urls = [
        "/", "/questions/", f"/questions/{BINARY}/", f"/questions/{NUMERIC}/",
        question.asset.get_absolute_url(), question.trial.get_absolute_url(),
        "/leaderboards/", "/markets/leaderboard/", "/users/amira/", "/users/amira/calibration/",
        "/community/calibration/", "/markets/portfolio/", "/help/",
        "/questions/cartitude-4-pfs-hazard-ratio/",
    ]
    for url in urls:
        assert_no_sideways_scroll(page, base + url)
    assert page.js_errors == []


def test_the_form_comes_first_and_lands_in_view_after_every_submit(live_server, sized_page, demo, screenshot):
    page, base = sized_page, live_server.url
    log_in(page, base)
    page.goto(f"{base}/questions/{BINARY}/")
    y = page.evaluate("""() => ({form: document.querySelector('#your-forecast').getBoundingClientRect().top + scrollY,
                                  market: document.querySelector('#market').getBoundingClientRect().top + scrollY,
                                  crowd: document.querySelector('#community').getBoundingClientRect().top + scrollY})""")
    assert y["form"] < y["crowd"] < y["market"]
    if page.viewport_name == "desktop":
        assert y["form"] < 900
    else:  # the resolution criteria are one tap away, right under the title
        criteria = page.get_by_test_id("criteria-early")
        assert criteria.is_visible()
        assert page.evaluate("() => document.querySelector('[data-testid=criteria-early]').getBoundingClientRect().top") < 844

    # A binary forecast: the page lands on the form with "saved" in view.
    page.fill("input[name=percent]", "62")
    page.click("#your-forecast button[type=submit]:has-text('forecast')")
    page.wait_for_url(re.compile(rf"/questions/{BINARY}/#your-forecast$"))
    assert "Your forecast is saved." in page.get_by_test_id("forecast-messages").inner_text()
    assert_in_view(page, "[data-testid=forecast-messages]")
    assert_in_view(page, "#your-forecast form.q-forecast-form", whole=False)
    assert page.locator("main > .messages").count() == 0  # not (also) at the top of the page

    # An invalid forecast: the error is at the field, the page lands on the form.
    page.fill("input[name=percent]", "150")
    page.click("#your-forecast button[type=submit]:has-text('forecast')")
    page.locator("#id_percent_error").wait_for()
    assert_in_view(page, "#id_percent_error")
    assert "id_percent_error" in page.get_attribute("#id_percent", "aria-describedby")

    # A refused trade (more than the balance): message and inline error in view, the amount kept.
    page.goto(f"{base}/questions/{BINARY}/")
    page.fill("#market-amount", "99999")
    page.fill("#market-limit", "0.99")
    page.click("#market button[type=submit]")
    page.wait_for_url(re.compile(rf"/questions/{BINARY}/#trade$"))
    assert "Trade not made" in page.get_by_test_id("trade-messages").inner_text()
    assert_in_view(page, "[data-testid=trade-messages]")
    assert_in_view(page, "#trade form", whole=False)
    assert page.input_value("#market-amount") == "99999"
    assert page.input_value("#market-limit") == "0.99"
    screenshot(page, f"trade-refused-{page.viewport_name}")

    # A trade refused by its limit: the error sits under the limit, named by aria-describedby.
    page.fill("#market-amount", "50")
    page.fill("#market-limit", "0.01")
    page.click("#market button[type=submit]")
    page.locator("#market-limit-error").wait_for()
    assert "limit of 0.01 you set" in page.locator("#market-limit-error").inner_text()
    assert "market-limit-error" in page.get_attribute("#market-limit", "aria-describedby")
    assert page.input_value("#market-amount") == "50"

    # A trade made: "Bought ..." in view next to the form.
    page.fill("#market-amount", "5")
    page.fill("#market-limit", "")
    page.click("#market button[type=submit]")
    page.wait_for_url(re.compile(rf"/questions/{BINARY}/#trade$"))
    assert "Bought 5.000" in page.get_by_test_id("trade-messages").inner_text()
    assert_in_view(page, "[data-testid=trade-messages]")
    assert page.input_value("#market-amount") == ""

    # A numeric forecast.
    page.goto(f"{base}/questions/{NUMERIC}/")
    page.fill("input[name=q10]", "0.55")
    page.fill("input[name=q50]", "0.65")
    page.fill("input[name=q90]", "0.8")
    page.click("#your-forecast button[type=submit]:has-text('forecast')")
    page.wait_for_url(re.compile(rf"/questions/{NUMERIC}/#your-forecast$"))
    assert "Your forecast is saved." in page.get_by_test_id("forecast-messages").inner_text()
    assert_in_view(page, "[data-testid=forecast-messages]")
    assert_in_view(page, "#your-forecast form.q-forecast-form", whole=False)
    screenshot(page, f"numeric-saved-{page.viewport_name}")
    assert page.js_errors == []
