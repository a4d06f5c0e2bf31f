"""Each main page's JavaScript and CSS budget (bytes of the static files it references, read from disk), and Chart.js
only where a chart is drawn. The budgets, and why, are in docs/performance.md ("Page weight").

- A page without a chart loads the site's helpers only (readout.js, ~5 KB) plus at most a small page script.
- A chart page adds Chart.js (~204 KB minified); a time axis (the question page's history and price charts) adds the
  date-fns adapter (~50 KB).
"""
import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.page_world import build_world, main_pages

KB = 1000
CSS_BUDGET = 50 * KB  # readout.css (~38 KB) + questions.css (~7 KB) on question pages
NO_CHART_JS = 12 * KB
CHART_JS = 220 * KB  # Chart.js + the page's chart code, no time axis (calibration)
QUESTION_PAGE_JS = 310 * KB  # Chart.js + date adapter + question.js, quantile_cdf.js, market.js (a time axis)
JS_BUDGETS = {"binary question": QUESTION_PAGE_JS, "numeric question": QUESTION_PAGE_JS,
              "calibration": CHART_JS, "user calibration": CHART_JS}
CHART_FILES = ("chart.umd", "chartjs-adapter")


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.canvases = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.styles.append(attrs["href"])
        elif tag == "canvas":
            self.canvases += 1


def static_bytes(url: str) -> int:
    assert url.startswith("/static/"), f"{url} is not one of our static files (no CDN)"
    path = finders.find(re.sub(r"\?.*$", "", url[len("/static/"):]))
    assert path, f"{url} is referenced but not found in the static files"
    with open(path, "rb") as handle:
        return len(handle.read())


def weigh(html: str) -> dict:
    parser = Assets()
    parser.feed(html)
    return {
        "js": sum(static_bytes(u) for u in parser.scripts), "css": sum(static_bytes(u) for u in parser.styles),
        "scripts": parser.scripts, "canvases": parser.canvases,
        "chart": any(name in u for u in parser.scripts for name in CHART_FILES),
        "htmx": any("htmx" in u for u in parser.scripts),
    }


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # score the resolved question (calibration has a chart)
        return build_world()


def test_every_main_page_keeps_to_its_budget(world):
    client = Client()
    client.force_login(world["amira"])
    report, over = [], []
    for name, path in main_pages(world).items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        w = weigh(response.content.decode())
        budget = JS_BUDGETS.get(name, NO_CHART_JS)
        if name in JS_BUDGETS:
            assert w["canvases"], f"{name} should draw a chart in this world"
        report.append(f"{name}: JS {w['js'] / KB:.1f} KB (budget {budget / KB:.0f}), CSS {w['css'] / KB:.1f} KB")
        if w["js"] > budget or w["css"] > CSS_BUDGET:
            over.append(report[-1])
        assert not w["htmx"], name
        if w["canvases"]:
            assert w["chart"], f"{name} draws a chart but does not load Chart.js"
        else:
            assert not w["chart"], f"{name} has no <canvas> but loads Chart.js: {w['scripts']}"
    print("\n".join(report))
    assert over == [], over


def test_anonymous_pages_load_no_chart_code_without_a_chart(world):
    client = Client()
    for name, path in main_pages(world).items():
        if name == "portfolio":
            continue
        w = weigh(client.get(path).content.decode())
        assert bool(w["canvases"]) == w["chart"], (name, w["scripts"])


def test_base_template_loads_neither_chart_nor_htmx():
    from pathlib import Path

    base = (Path(__file__).resolve().parent.parent / "templates" / "base.html").read_text()
    assert "chart.umd" not in base and "htmx" not in base
