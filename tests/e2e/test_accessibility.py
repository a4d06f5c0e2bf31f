"""WCAG 2.1 A/AA on the main pages, checked by axe-core in Chromium at a desktop (1280 px) and a phone (390 px) width,
as an anonymous visitor and as a logged-in forecaster. axe-core comes from npm (package.json, pinned) and is served
from our own static files (/static/vendor/axe.min.js, scripts/vendor.js); no page references it, the test injects it.

A failure prints each violation with its rule, impact, help text and the CSS targets of the offending nodes.
Charts are drawn before axe runs (it checks the canvas's role and name, and the data tables beside them).
"""
import pytest

from tests.page_world import PASSWORD, build_world, main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": 1280, "phone": 390}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + "  " + (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 240))}));
}"""
ANONYMOUS_PAGES = ["home", "question list", "binary question", "numeric question", "asset", "trial", "leaderboard",
                   "market leaderboard", "calibration", "markets index", "search"]
FORECASTER_PAGES = ["home", "binary question", "numeric question", "portfolio", "user calibration", "markets index"]


@pytest.fixture
def world(db):
    return build_world()


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.locator("main").locator("input[name=username]").fill(username)
    page.locator("main").locator("input[name=password]").fill(PASSWORD)
    page.locator("main").locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def axe_violations(page, url) -> list[dict]:
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # charts and late scripts
    page.add_script_tag(url="/static/vendor/axe.min.js")
    return page.evaluate(RUN_AXE, TAGS)


def report(found: dict) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']}")
            lines += [f"    {node}" for node in v["nodes"][:8]]
    return "\n".join(lines)


def check(page, base_url, world, names, width) -> dict:
    page.set_viewport_size({"width": width, "height": 900})
    paths = main_pages(world)
    found = {}
    for name in names:
        violations = axe_violations(page, base_url + paths[name])
        if violations:
            found[f"{name} ({paths[name]}) at {width}px"] = violations
    return found


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_public_pages_have_no_axe_violations(live_server, page, world, width):
    found = check(page, live_server.url, world, ANONYMOUS_PAGES, width)
    assert found == {}, "\n" + report(found)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_forecaster_pages_have_no_axe_violations(live_server, page, world, width):
    log_in(page, live_server.url, "amira")
    found = check(page, live_server.url, world, FORECASTER_PAGES, width)
    assert found == {}, "\n" + report(found)


VISIBLE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: "body", visible: true};
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const visible = box.width > 1 && box.height > 1 && style.visibility !== "hidden" && parseFloat(style.opacity) > 0.1
    && box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth;
  return {tag: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : ""),
          text: (el.textContent || el.value || "").trim().slice(0, 40), visible: visible};
}"""


def test_skip_link_is_the_first_tab_stop_and_shows_on_focus(live_server, page, world):
    page.goto(live_server.url + "/questions/")
    skip = page.locator("a.skip-link")
    assert skip.bounding_box()["y"] < 0  # off-screen until focused
    page.keyboard.press("Tab")
    focused = page.evaluate(VISIBLE_FOCUS)
    assert focused["text"] == "Skip to content" and focused["visible"], focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.url.endswith("#main")


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_tab_stop_in_the_header_is_visible(live_server, page, world, width):
    """The phone menu's old checkbox was an invisible tab stop; now every stop up to the main content can be seen."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/")
    stops = []
    for _ in range(25):
        page.keyboard.press("Tab")
        focused = page.evaluate(VISIBLE_FOCUS)
        stops.append(focused)
        if page.evaluate("!!document.activeElement.closest('main')"):
            break
    invisible = [s for s in stops if not s["visible"]]
    assert invisible == [], invisible
    assert not any("nav-toggle" in s["tag"] and s["tag"].startswith("input") for s in stops)


def test_the_phone_menu_button_says_whether_it_is_open(live_server, page, world):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + "/")
    button = page.get_by_role("button", name="Menu")
    links = page.locator("#nav-links")
    assert button.get_attribute("aria-expanded") == "false" and not links.is_visible()
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and links.is_visible()
    page.locator("#nav-links").get_by_role("link", name="Markets", exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith("/markets/")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.locator("#nav-links").is_visible()


def test_without_javascript_the_phone_menu_links_stay_visible(browser, live_server, world):
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.locator("#nav-links").is_visible()
    assert not page.locator(".nav-toggle").is_visible()
    context.close()


def test_question_page_charts_draw_with_chart_js_loaded_by_the_page(live_server, page, world):
    log_in(page, live_server.url, "amira")
    page.goto(live_server.url + main_pages(world)["binary question"])
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof Chart") == "function"
    drawn = page.evaluate("Array.from(document.querySelectorAll('canvas')).map(c => !!Chart.getChart(c))")
    assert drawn and all(drawn), drawn
    assert page.js_errors == []
    page.goto(live_server.url + "/markets/")
    assert page.evaluate("typeof Chart") == "undefined" and page.evaluate("typeof htmx") == "undefined"


STAFF_PAGES = {"new question (with Open a market)": "/questions/new/", "resolutions": "/staff/resolutions/"}


def test_staff_pages_have_no_axe_violations(live_server, page, world):
    log_in(page, live_server.url, "curator")
    found = {}
    for width in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in STAFF_PAGES.items():
            violations = axe_violations(page, live_server.url + path)
            if violations:
                found[f"{name} ({path}) at {width}px"] = violations
    assert found == {}, "\n" + report(found)
