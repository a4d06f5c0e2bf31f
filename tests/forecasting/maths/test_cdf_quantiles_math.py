"""Reporting quantiles of a numeric CDF in the question's units (docs/forecast-maths.md 2.5).

A quantile at or beyond an open bound is reported as the bound's value plus a marker ("below" / "above"), never as
±inf or, on a log scale, as 0.0; every reported value is finite and within [range_min, range_max]. The marker can be
re-derived from a stored value (``quantile_in_range``), which also reads rows written by older code.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forecasting.maths.cdf import (
    ABOVE,
    BELOW,
    GRID_SIZE,
    MIN_STEP,
    N_CELLS,
    OPEN_BOUND_MIN,
    CdfError,
    cdf_quantile,
    cdf_quantiles_in_range,
    quantile_in_range,
    quantiles_to_cdf,
    to_unit,
    validate_cdf,
)

LEVELS = (0.1, 0.5, 0.9)
HR_LOG = dict(range_min=0.3, range_max=1.2, log_scale=True)  # the demo's SUCCESSOR-2 hazard-ratio question
MONTHS = dict(range_min=0.0, range_max=40.0, log_scale=False)
OPEN = dict(open_lower=True, open_upper=True)


def _report(cdf, levels, scale, bounds):
    values, beyond = cdf_quantiles_in_range(cdf, levels, **scale, **bounds)
    return [float(v) for v in values], beyond


# ------------------------------------------------------------------------------------------------------------
# Hand cases
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale, bounds, quantiles, expected_beyond", [
    # The case: every typed quantile above the open maximum of a log-scale question.
    (HR_LOG, OPEN, {"0.1": 4, "0.5": 6, "0.9": 9}, [ABOVE, ABOVE, ABOVE]),
    # The mirror on a log scale: old code reported q10 = exp(-inf) = 0.0, below range_min.
    (HR_LOG, OPEN, {"0.1": 0.05, "0.5": 0.1, "0.9": 0.5}, [BELOW, BELOW, None]),
    # Linear scale, open lower bound.
    (MONTHS, dict(open_lower=True, open_upper=False), {"0.1": -20, "0.5": -5, "0.9": 10}, [BELOW, BELOW, None]),
    # Linear scale, open upper bound.
    (MONTHS, dict(open_lower=False, open_upper=True), {"0.1": 30, "0.5": 50, "0.9": 70}, [None, ABOVE, ABOVE]),
    # Everything inside: no marker.
    (MONTHS, OPEN, {"0.1": 10, "0.5": 20, "0.9": 30}, [None, None, None]),
])
def test_quantiles_beyond_an_open_bound_are_the_bound_with_a_marker(scale, bounds, quantiles, expected_beyond):
    cdf = quantiles_to_cdf(quantiles, **scale, **bounds)
    values, beyond = _report(cdf, LEVELS, scale, bounds)
    assert beyond == expected_beyond
    for value, side, (level, typed) in zip(values, beyond, sorted((float(k), v) for k, v in quantiles.items())):
        assert math.isfinite(value) and scale["range_min"] <= value <= scale["range_max"]
        if side == BELOW:
            assert value == scale["range_min"]
        elif side == ABOVE:
            assert value == scale["range_max"]
        else:  # an in-range quantile is reproduced (quantiles_to_cdf is exact on them)
            assert value == pytest.approx(typed, rel=1e-6)


def test_a_level_exactly_at_the_open_lower_mass_is_at_the_bound_and_flagged():
    cdf = np.linspace(0.1, 0.9, GRID_SIZE)  # 10% below range_min, 10% above range_max
    values, beyond = _report(cdf, [0.0, 0.1, 0.5, 0.9, 1.0], MONTHS, OPEN)
    assert values == [0.0, 0.0, pytest.approx(20.0), 40.0, 40.0]
    assert beyond == [BELOW, BELOW, None, ABOVE, ABOVE]


def test_a_closed_bound_is_never_flagged():
    cdf = np.linspace(0.0, 1.0, GRID_SIZE)
    values, beyond = _report(cdf, [0.0, 1e-300, 0.5, 1.0], HR_LOG, dict(open_lower=False, open_upper=False))
    assert beyond == [None, None, None, None]
    assert values[0] == 0.3 and values[-1] == 1.2
    assert all(0.3 <= v <= 1.2 for v in values)


def test_an_in_range_quantile_that_rounds_onto_an_open_bound_stays_one_ulp_inside():
    # One ulp above cdf[0] is u ~ 2e-19, which maps to 1000 + 2e-19 = 1000.0 in floating point: reported just
    # inside, not flagged, so that a value equal to an open bound always means "at or beyond it".
    scale = dict(range_min=1000.0, range_max=1001.0, log_scale=False)
    cdf = np.linspace(0.001, 0.999, GRID_SIZE)
    values, beyond = _report(cdf, [np.nextafter(0.001, 1.0), 0.001], scale, OPEN)
    assert beyond == [None, BELOW]
    assert values[0] == np.nextafter(1000.0, 2000.0) and values[1] == 1000.0


def test_scalar_level_gives_one_entry():
    values, beyond = cdf_quantiles_in_range(np.linspace(0.0, 1.0, GRID_SIZE), 0.5, **MONTHS,
                                            open_lower=False, open_upper=False)
    assert values.shape == (1,) and values[0] == pytest.approx(20.0) and beyond == [None]


@pytest.mark.parametrize("cdf, levels, message", [
    (np.linspace(0, 1, 200), [0.5], "201 finite"),
    (np.r_[np.linspace(0, 1, 200), np.nan], [0.5], "201 finite"),
    (np.linspace(0, 1, GRID_SIZE), [1.5], "levels must lie in"),
    (np.linspace(0, 1, GRID_SIZE), [np.nan], "levels must lie in"),
])
def test_bad_input_is_a_value_error(cdf, levels, message):
    with pytest.raises(ValueError, match=message):
        cdf_quantiles_in_range(cdf, levels, **MONTHS, open_lower=False, open_upper=False)


@pytest.mark.parametrize("stored, bounds, expected", [
    # Rows written by older code: ±inf beyond an open bound, 0.0 for the lower one on a log scale, NaN.
    (-math.inf, OPEN, (0.3, BELOW)),
    (math.inf, OPEN, (1.2, ABOVE)),
    (0.0, OPEN, (0.3, BELOW)),
    (math.nan, OPEN, (None, None)),
    (None, OPEN, (None, None)),
    # What the current code stores.
    (0.3, OPEN, (0.3, BELOW)),
    (1.2, OPEN, (1.2, ABOVE)),
    (0.7, OPEN, (0.7, None)),
    # On a closed side there is no "beyond": a stray value is clipped into the range.
    (0.3, dict(open_lower=False, open_upper=False), (0.3, None)),
    (-math.inf, dict(open_lower=False, open_upper=True), (0.3, None)),
    (math.inf, dict(open_lower=True, open_upper=False), (1.2, None)),
])
def test_stored_values_are_reported_within_the_range(stored, bounds, expected):
    assert quantile_in_range(stored, range_min=0.3, range_max=1.2, **bounds) == expected


# ------------------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------------------
@st.composite
def valid_cdfs(draw):
    """Any valid CDF: a random scale and bounds, random below/above masses on open sides, random cell masses
    (Dirichlet with a random concentration, so both smooth and very spiky shapes) with the 1e-5 minimum step."""
    log_scale = draw(st.booleans())
    if log_scale:
        lo = draw(st.floats(1e-6, 1e3))
        hi = lo * draw(st.floats(1.0001, 1e6))
    else:
        lo = draw(st.floats(-1e6, 1e6))
        hi = lo + draw(st.floats(1e-3, 1e6))
    open_lower, open_upper = draw(st.booleans()), draw(st.booleans())
    below = draw(st.floats(OPEN_BOUND_MIN, 0.98)) if open_lower else 0.0
    above = draw(st.floats(OPEN_BOUND_MIN, 0.98)) if open_upper else 0.0
    assume(below + above <= 0.99)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    inside = 1.0 - below - above
    free = inside - N_CELLS * MIN_STEP * 1.01
    masses = MIN_STEP * 1.01 + free * rng.dirichlet(np.full(N_CELLS, draw(st.floats(0.01, 10.0))))
    cdf = np.empty(GRID_SIZE)
    cdf[0] = below
    cdf[1:] = below + np.cumsum(masses)
    if not open_upper:
        cdf[-1] = 1.0
    bounds = dict(open_lower=open_lower, open_upper=open_upper)
    try:
        cdf = validate_cdf(cdf, **bounds)
    except CdfError:  # rounding in the sum pushed cdf[200] a hair past 0.999
        assume(False)
    return cdf, dict(range_min=lo, range_max=hi, log_scale=log_scale), bounds


def _unit_tolerance(*, range_min, range_max, log_scale):
    """How far apart two float computations of one unit position can be: a few ulps of the values involved."""
    eps = np.finfo(float).eps
    if log_scale:
        logs = abs(math.log(range_min)) + abs(math.log(range_max)) + 1
        return 1e-9 + 8 * eps * logs / math.log(range_max / range_min)
    return 1e-9 + 8 * eps * max(abs(range_min), abs(range_max)) / (range_max - range_min)


def _levels(cdf):
    # Random levels plus the awkward ones: 0, 1, exactly the mass below and the level at the top of the range.
    return st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8).map(
        lambda ps: [*ps, 0.0, 1.0, float(cdf[0]), float(cdf[-1]), *LEVELS]
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.data())
def test_reported_quantiles_are_finite_in_range_or_flagged_at_the_bound(data):
    cdf, scale, bounds = data.draw(valid_cdfs())
    levels = data.draw(_levels(cdf))
    lo, hi = scale["range_min"], scale["range_max"]
    values, beyond = cdf_quantiles_in_range(cdf, levels, **scale, **bounds)
    assert values.shape == (len(levels),)
    assert np.all(np.isfinite(values))
    assert np.all((values >= lo) & (values <= hi))
    if scale["log_scale"]:
        assert np.all(values > 0)
    for p, value, side in zip(levels, values.tolist(), beyond):
        assert side in (None, BELOW, ABOVE)
        # The marker says exactly where the level sits against the mass outside the range...
        assert (side == BELOW) == (bounds["open_lower"] and p <= cdf[0])
        assert (side == ABOVE) == (bounds["open_upper"] and p >= cdf[-1] and not p <= cdf[0])
        # ... a flagged value is exactly the bound, and a value equal to an open bound is always flagged ...
        if side == BELOW or (bounds["open_lower"] and value == lo):
            assert side == BELOW and value == lo
        if side == ABOVE or (bounds["open_upper"] and value == hi):
            assert side == ABOVE and value == hi
        # ... so reading the stored value back gives the same report.
        assert quantile_in_range(value, **bounds, range_min=lo, range_max=hi) == (value, side)
        # An unflagged value is the quantile itself (to the precision the scale allows).
        if side is None:
            assert to_unit(value, **scale) == pytest.approx(cdf_quantile(cdf, p), abs=_unit_tolerance(**scale))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_reported_quantiles_do_not_decrease_with_the_level(data):
    cdf, scale, bounds = data.draw(valid_cdfs())
    levels = sorted(data.draw(_levels(cdf)))
    values, beyond = cdf_quantiles_in_range(cdf, levels, **scale, **bounds)
    assert np.all(np.diff(values) >= 0)
    order = {BELOW: 0, None: 1, ABOVE: 2}
    assert [order[b] for b in beyond] == sorted(order[b] for b in beyond)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.none()
       | st.sampled_from([math.inf, -math.inf, math.nan, 0.0]),
       st.booleans(), st.booleans())
def test_any_stored_value_reads_back_finite_within_the_range(stored, open_lower, open_upper):
    value, side = quantile_in_range(stored, range_min=0.3, range_max=1.2, open_lower=open_lower,
                                    open_upper=open_upper)
    if stored is None or math.isnan(stored):
        assert (value, side) == (None, None)
        return
    assert math.isfinite(value) and 0.3 <= value <= 1.2
    assert side in (None, BELOW, ABOVE)
    assert (side == BELOW) == (open_lower and stored <= 0.3)
    assert (side == ABOVE) == (open_upper and stored >= 1.2 and not (open_lower and stored <= 0.3))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.booleans(), st.booleans(), st.booleans(),
       st.lists(st.floats(-3.0, 4.0), min_size=3, max_size=3, unique=True))
def test_typed_quantiles_anywhere_give_reports_within_the_range(log_scale, open_lower, open_upper, us):
    """End to end from what users type: quantiles in and beyond the range (on its open sides) -> CDF -> report."""
    scale = HR_LOG if log_scale else MONTHS
    lo, hi = scale["range_min"], scale["range_max"]
    us = sorted(us)
    assume(us[-1] - us[0] > 0.05)
    if not open_lower:
        us = [max(u, 0.01 + i * 0.001) for i, u in enumerate(us)]
    if not open_upper:
        us = [min(u, 0.99 - (2 - i) * 0.001) for i, u in enumerate(us)]
    assume(all(b - a > 0.01 for a, b in zip(us, us[1:])))
    if log_scale:
        xs = [lo * (hi / lo) ** u for u in us]
    else:
        xs = [lo + u * (hi - lo) for u in us]
    bounds = dict(open_lower=open_lower, open_upper=open_upper)
    try:
        cdf = quantiles_to_cdf(dict(zip(("0.1", "0.5", "0.9"), xs)), **scale, **bounds)
    except CdfError:
        assume(False)
    values, beyond = cdf_quantiles_in_range(cdf, LEVELS, **scale, **bounds)
    assert np.all(np.isfinite(values)) and np.all((values >= lo) & (values <= hi))
    for value, side, u in zip(values.tolist(), beyond, us):
        if u < 0:  # typed below an open range_min: reported as the bound, flagged
            assert (value, side) == (lo, BELOW)
        elif u > 1:
            assert (value, side) == (hi, ABOVE)
