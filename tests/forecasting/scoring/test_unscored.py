"""Unscored forecasters (no forecast active before the close) show "—" titled "not scored yet", never 0.0000 / 0%,
on a question's scores, profiles, leaderboards and calibration; scored ones show their numbers, 0 included."""
import pytest
from django.template import Context, Template

from forecasting.templatetags.numbers import UNSCORED_HTML


def render(text: str, **context) -> str:
    return Template("{% load numbers %}" + text).render(Context(context))


@pytest.mark.parametrize(
    "template, context",
    [
        ("{% score r 4 loss=loss %}", {"r": 0.0, "loss": None}),
        ("{% score c loss=loss percent=True %}", {"c": 0.0, "loss": None}),
        ("{% score s 4 coverage=c %}", {"s": 0.0, "c": 0.0}),
        ("{% score v 3 %}", {"v": None}),
        ("{% score v 3 %}", {"v": float("nan")}),
    ],
)
def test_unscored_cells_show_a_titled_dash(template, context):
    html = render(template, **context)
    assert html == UNSCORED_HTML
    assert 'title="not scored yet"' in html and "0.0000" not in html and "0%" not in html


@pytest.mark.parametrize(
    "template, context, text",
    [
        ("{% score r 4 loss=loss %}", {"r": 0.0, "loss": 0.0}, "0.0000"),  # a perfect 0 is a score
        ("{% score r 4 loss=loss %}", {"r": -0.05625, "loss": 0.04}, "-0.0563"),
        ("{% score c loss=loss percent=True %}", {"c": 0.5, "loss": 0.1}, "50%"),
        ("{% score s 4 coverage=c %}", {"s": 1.25, "c": 0.3}, "1.2500"),
    ],
)
def test_scored_cells_show_their_number(template, context, text):
    assert render(template, **context) == text


def test_column_headers_explain_themselves_and_link_to_help():
    html = render('{% column "relative" "Relative" %}')
    assert html.startswith('<abbr class="col-help" title="Your Brier/CRPS minus the community median')
    assert 'href="/help/#relative"' in html and 'aria-label="What is Relative?"' in html
