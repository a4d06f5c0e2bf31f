"""The ``fixed`` filter (forecasting/templatetags/numbers.py): a number with exactly N decimals, or nothing."""
import math
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from forecasting.templatetags.numbers import fixed


def render(source: str, **context) -> str:
    return Template("{% load numbers %}" + source).render(Context(context))


@pytest.mark.parametrize(
    "value, digits, text",
    [
        (0.12345, 3, "0.123"),
        (0.12356, 4, "0.1236"),  # rounds up
        (2, 3, "2.000"),
        (0.999, 2, "1.00"),
        (1234567.891, 2, "1234567.89"),  # no thousands separator
        (7.6, 0, "8"),
        (-1.5, 1, "-1.5"),
        ("-1.5", 1, "-1.5"),
        ("0.25", 2, "0.25"),
        (Decimal("1.23456"), 2, "1.23"),
        (0.12345, "4", "0.1235"),  # the template passes `fixed:"4"` as text
        # A tiny negative rounds to zero and shows without a sign.
        (-0.0001, 3, "0.000"),
        (-0.0, 2, "0.00"),
        (-0.4, 0, "0"),
        (-1e-12, 6, "0.000000"),
        # ...but a negative that rounds to a non-zero value keeps its sign.
        (-0.0006, 3, "-0.001"),
        (-10.0001, 2, "-10.00"),
        # Nothing to show.
        (None, 3, ""),
        ("", 3, ""),
        ("n/a", 3, ""),
        ("1.5 months", 1, ""),
        (True, 3, ""),
        (False, 3, ""),
        ([0.5], 3, ""),
        (0.5, "three", ""),
        # Not a finite number: a dash.
        (math.nan, 3, "–"),
        (math.inf, 3, "–"),
        (-math.inf, 2, "–"),
    ],
)
def test_fixed(value, digits, text):
    assert fixed(value, digits) == text
    assert render("{{ x|fixed:d }}", x=value, d=digits) == text


def test_fixed_defaults_to_three_decimals():
    assert fixed(0.12345) == "0.123"
    assert render("{{ x|fixed }}", x=0.12345) == "0.123"


def test_fixed_takes_literal_arguments_in_templates():
    assert render("{{ x|fixed:1 }} {{ x|fixed:'4' }} {{ y|fixed:2 }}", x=-1.5, y=None) == "-1.5 -1.5000 "


def test_fixed_shows_nothing_for_markup_and_parses_numeric_text():
    assert render("{{ x|fixed:2 }}", x="<script>1</script>") == ""
    assert render("{{ x|fixed:2 }}", x="1e3") == "1000.00"


@given(
    x=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    digits=st.integers(min_value=0, max_value=6),
)
def test_fixed_rounds_to_within_half_a_unit_in_the_last_place_shown(x, digits):
    text = fixed(x, digits)
    pattern = r"-?\d+" if digits == 0 else rf"-?\d+\.\d{{{digits}}}"
    assert re.fullmatch(pattern, text), text
    # Correctly rounded, up to the float error of parsing the text back.
    assert abs(float(text) - x) <= 0.5 * 10**-digits + 2 * math.ulp(x) + 1e-15
    # A sign only in front of a non-zero value.
    assert not text.startswith("-") or float(text) < 0


def test_fixed_never_breaks_a_page_on_odd_arguments():
    assert fixed(1.26, -1) == "1"  # a negative count of decimals counts as none
    assert render("{{ x|fixed:-2 }}", x=1.26) == "1"
    assert fixed(10**400, 2) == ""  # too large for a float
