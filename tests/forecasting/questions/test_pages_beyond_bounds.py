"""Pages and chart data of a numeric question whose community quantiles lie beyond an open bound (issue 10, defect 3).

A quantile at or beyond an open bound is shown as the bound with "≤" / "≥" in front, and charted at the bound with
``<name>_beyond`` = "below" / "above" beside it (docs/forecast-maths.md 2.5); never as ±Infinity, NaN, "inf" or a
value outside the range (0.0 on a log scale). Rows written by older code are shown the same way.
"""
import datetime as dt
import json
import math
import re

import pytest
from django.test import Client

from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import CommunityForecastPoint, CommunityState
from tests import factories

pytestmark = pytest.mark.django_db

QUANTILE_NAMES = ("q10", "q50", "q90")
BELOW, ABOVE = "below", "above"  # the markers, as the API spells them
MARKS = {BELOW: "≤", ABOVE: "≥"}

# (question fields, what two forecasters type, markers expected on q10/q50/q90, how the page shows q10, q50, q90)
CASES = {
    "linear-open-lower": (
        dict(range_min=0.0, range_max=40.0, log_scale=False, open_lower_bound=True, open_upper_bound=False),
        {"0.1": -20, "0.5": -5, "0.9": 10}, [BELOW, BELOW, None], ("≤0", "≤0 months", "10 months"),
    ),
    "linear-open-upper": (
        dict(range_min=0.0, range_max=40.0, log_scale=False, open_lower_bound=False, open_upper_bound=True),
        {"0.1": 30, "0.5": 50, "0.9": 70}, [None, ABOVE, ABOVE], ("30", "≥40 months", "≥40 months"),
    ),
    "log-open-lower": (
        dict(range_min=0.3, range_max=1.2, log_scale=True, open_lower_bound=True, open_upper_bound=True),
        {"0.1": 0.05, "0.5": 0.1, "0.9": 0.5}, [BELOW, BELOW, None], ("≤0.3", "≤0.3 months", "0.5 months"),
    ),
    "log-open-upper": (
        dict(range_min=0.3, range_max=1.2, log_scale=True, open_lower_bound=True, open_upper_bound=True),
        {"0.1": 4, "0.5": 6, "0.9": 9}, [ABOVE, ABOVE, ABOVE], ("≥1.2", "≥1.2 months", "≥1.2 months"),
    ),
}


def strict_loads(text):
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def chart_data(html: str) -> dict:
    match = re.search(r'<script id="question-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the question page embeds its chart data with json_script"
    return strict_loads(match.group(1))


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    for word in ("Infinity", "NaN", ">inf", "-inf", "inf<", "above the range", "below the range"):
        assert word not in html, (url, word)
    return html


def assert_series_reported(row, question, expected):
    assert [row[f"{name}_beyond"] for name in QUANTILE_NAMES] == expected, row
    for name, beyond in zip(QUANTILE_NAMES, expected):
        value = row[name]
        assert math.isfinite(value) and question.range_min <= value <= question.range_max
        if beyond == BELOW:
            assert value == question.range_min
        elif beyond == ABOVE:
            assert value == question.range_max


@pytest.fixture(params=sorted(CASES))
def beyond_case(request, db):
    fields, quantiles, expected, shown = CASES[request.param]
    asset = factories.AssetFactory()
    trial = factories.TrialFactory(assets=[asset])
    question = factories.NumericQuestionFactory(asset=asset, trial=trial, **fields)
    ann, bob = factories.UserFactory(), factories.UserFactory()
    for user in (ann, bob):
        forecast_create(question=question, user=user, quantiles=quantiles)
    return question, ann, expected, shown


def test_question_page_shows_the_bound_with_a_marker_and_charts_it(beyond_case):
    question, ann, expected, (q10, q50, q90) = beyond_case
    client = Client()
    html = page(client, question.get_absolute_url())
    unitless = {text: text.removesuffix(" months") for text in (q50, q90)}  # the stat labels carry the unit
    assert f'data-testid="community-median">{unitless[q50]}<' in html
    assert f">{q10}–{unitless[q90]}<" in html
    data = chart_data(html)
    assert [row["forecaster_count"] for row in data["series"]] == [1, 2]
    for row in data["series"]:
        assert_series_reported(row, question, expected)
    assert len(data["distribution"]["cdf"]) == 201

    client.force_login(ann)  # the author also sees their own median on the chart, reported the same way
    data = chart_data(page(client, question.get_absolute_url()))
    (mine,) = data["mine"]
    assert mine["beyond"] == expected[1]
    assert question.range_min <= mine["value"] <= question.range_max


def test_list_pages_show_the_bound_with_a_marker(beyond_case):
    question, ann, expected, (q10, q50, q90) = beyond_case
    client = Client()
    summary = f'<span class="prob">{q50}</span><span class="item-meta q-detail">80% range {q10}–{q90}</span>'
    assert summary in page(client, "/questions/")
    assert question.title in page(client, "/")
    page(client, question.asset.get_absolute_url())
    page(client, question.trial.get_absolute_url())
    client.force_login(ann)
    assert summary in page(client, "/questions/mine/")


@pytest.fixture
def legacy_question(db):
    """Community rows as the old code stored them on a log scale: +inf above, -inf and 0.0 (exp(-inf)) below."""
    question = factories.NumericQuestionFactory(range_min=0.3, range_max=1.2, log_scale=True, open_lower_bound=True,
                                                open_upper_bound=True, unit="HR")
    user = factories.UserFactory()
    forecast_create(question=question, user=user, quantiles={"0.1": 0.5, "0.5": 0.7, "0.9": 0.9})
    first = CommunityForecastPoint.objects.get(question=question)
    CommunityForecastPoint.objects.filter(pk=first.pk).update(q10=0.0, q50=0.7, q90=math.inf)
    latest = CommunityForecastPoint.objects.create(
        question=question, created_at=first.created_at + dt.timedelta(seconds=1), forecaster_count=1,
        cdf=first.cdf, q10=-math.inf, q50=0.7, q90=math.inf,
    )
    CommunityState.objects.filter(question=question).update(latest_point=latest)
    return question


def test_rows_stored_by_older_code_are_shown_at_the_bound(legacy_question):
    question = legacy_question
    client = Client()
    html = page(client, question.get_absolute_url())
    assert ">≤0.3–≥1.2<" in html
    series = chart_data(html)["series"]
    for row in series:
        assert_series_reported(row, question, [BELOW, None, ABOVE])
    assert "80% range ≤0.3–≥1.2 HR" in page(client, "/questions/")
