"""Numeric-question CDF maths (SCORING.md section 3): unit mapping, validation, quantiles -> CDF."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forecasting.maths.cdf import (
    GRID_SIZE,
    MIN_STEP,
    OPEN_BOUND_MAX,
    OPEN_BOUND_MIN,
    UNIT_GRID,
    CdfError,
    cdf_pdf_for_display,
    cdf_pmf,
    cdf_quantile,
    from_unit,
    quantiles_to_cdf,
    to_unit,
    validate_cdf,
)

LINEAR = dict(range_min=0.0, range_max=100.0, log_scale=False)
CLOSED = dict(open_lower=False, open_upper=False)
OPEN = dict(open_lower=True, open_upper=True)


def _linear_cdf(lo=0.0, hi=1.0):
    return list(np.linspace(lo, hi, GRID_SIZE))


def _reproduction_errors(cdf, quantiles, *, range_min, range_max, log_scale):
    """|u where the linear grid CDF reaches p - u(value)| for every in-range quantile."""
    levels = np.array([float(k) for k in quantiles])
    values = np.array(list(quantiles.values()), dtype=float)
    u = np.asarray(to_unit(values, range_min=range_min, range_max=range_max, log_scale=log_scale))
    inside = (u >= 0) & (u <= 1)
    return np.abs(np.asarray(cdf_quantile(cdf, levels[inside])) - u[inside])


# ------------------------------------------------------------------------------------------------------------
# Unit mapping
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("x, kwargs, expected", [
    (25.0, LINEAR, 0.25),
    (0.0, LINEAR, 0.0),
    (150.0, LINEAR, 1.5),
    (-10.0, dict(range_min=-10.0, range_max=10.0, log_scale=False), 0.0),
    (1.0, dict(range_min=0.1, range_max=10.0, log_scale=True), 0.5),
    (0.7, dict(range_min=0.7, range_max=7.0, log_scale=True), 0.0),
    (70.0, dict(range_min=0.7, range_max=7.0, log_scale=True), 2.0),
])
def test_to_unit_hand_cases(x, kwargs, expected):
    assert to_unit(x, **kwargs) == pytest.approx(expected, abs=1e-15)
    assert from_unit(expected, **kwargs) == pytest.approx(x, rel=1e-14)


def test_to_unit_is_vectorized():
    u = to_unit(np.array([0.0, 50.0, 100.0]), **LINEAR)
    np.testing.assert_array_equal(u, [0.0, 0.5, 1.0])


@given(st.floats(0.01, 100), st.floats(1.1, 1e4), st.floats(-0.5, 1.5), st.booleans())
def test_from_unit_inverts_to_unit(lo, ratio, u, log_scale):
    kwargs = dict(range_min=lo, range_max=lo * ratio, log_scale=log_scale)
    assert to_unit(from_unit(u, **kwargs), **kwargs) == pytest.approx(u, abs=1e-9)


@pytest.mark.parametrize("x, kwargs", [
    (1.0, dict(range_min=0.0, range_max=10.0, log_scale=True)),   # log scale needs range_min > 0
    (-1.0, dict(range_min=0.1, range_max=10.0, log_scale=True)),  # and positive values
    (1.0, dict(range_min=5.0, range_max=5.0, log_scale=False)),
    (1.0, dict(range_min=0.0, range_max=math.inf, log_scale=False)),
])
def test_to_unit_rejects_bad_ranges_and_values(x, kwargs):
    with pytest.raises(ValueError):
        to_unit(x, **kwargs)


# ------------------------------------------------------------------------------------------------------------
# validate_cdf
# ------------------------------------------------------------------------------------------------------------
def test_validate_cdf_accepts_a_linear_closed_cdf_and_returns_float_array():
    out = validate_cdf(_linear_cdf(), **CLOSED)
    assert out.dtype == np.float64 and out.shape == (GRID_SIZE,)
    assert out[0] == 0.0 and out[-1] == 1.0


def test_validate_cdf_accepts_open_bounds_at_their_limits_and_numpy_input():
    cdf = np.linspace(OPEN_BOUND_MIN, OPEN_BOUND_MAX, GRID_SIZE)
    out = validate_cdf(cdf, **OPEN)
    assert out is not cdf and np.array_equal(out, cdf)


def test_validate_cdf_accepts_minimum_steps_despite_float_rounding():
    cdf = [OPEN_BOUND_MIN + j * MIN_STEP for j in range(GRID_SIZE)]  # some differences land an ulp below 1e-5
    validate_cdf(cdf, **OPEN)


def test_validate_cdf_accepts_integers_at_the_closed_ends():
    cdf = _linear_cdf()
    cdf[0], cdf[-1] = 0, 1
    validate_cdf(cdf, **CLOSED)


def _with(index, value, base=None):
    cdf = list(base if base is not None else _linear_cdf())
    cdf[index] = value
    return cdf


def _decreasing_at_37():
    cdf = _linear_cdf()
    cdf[37] = cdf[36] - 0.02
    return cdf


def _small_step_at_100():
    cdf = _linear_cdf()
    cdf[100] = cdf[99] + 0.5e-5
    return cdf


@pytest.mark.parametrize("cdf, bounds, message", [
    (_linear_cdf()[:200], CLOSED, "cdf must have exactly 201 values, got 200"),
    (_linear_cdf() + [1.0], CLOSED, "cdf must have exactly 201 values, got 202"),
    ([], CLOSED, "cdf must have exactly 201 values, got 0"),
    (list(np.linspace(0.9, 0.1, GRID_SIZE)), OPEN, "every step at least 1e-05 (step 1, cdf[1] - cdf[0], is -0.004)"),
    (_decreasing_at_37(), CLOSED,
     "cdf must be non-decreasing with every step at least 1e-05 (step 37, cdf[37] - cdf[36], is -0.02)"),
    (_small_step_at_100(), CLOSED, "cdf must be non-decreasing with every step at least 1e-05 (step 100"),
    (_linear_cdf(0.01, 1.0), CLOSED, "cdf[0] must be 0 because the lower bound is closed"),
    (_linear_cdf(0.0005, 0.9), OPEN, "cdf[0] must be at least 0.001 because the lower bound is open"),
    (_linear_cdf(0.0, 0.9), OPEN, "cdf[0] must be at least 0.001 because the lower bound is open"),
    (_linear_cdf(0.0, 0.99), CLOSED, "cdf[200] must be 1 because the upper bound is closed"),
    (_linear_cdf(0.01, 0.9995), OPEN, "cdf[200] must be at most 0.999 because the upper bound is open"),
    (_linear_cdf(0.01, 1.0), OPEN, "cdf[200] must be at most 0.999 because the upper bound is open"),
    (_with(50, float("nan")), CLOSED, "cdf[50] must be a finite number, got nan"),
    (_with(50, float("inf")), CLOSED, "cdf[50] must be a finite number, got inf"),
    (_with(3, "0.5"), CLOSED, "cdf[3] must be a number, got the text '0.5'"),
    (_with(3, True), CLOSED, "cdf[3] must be a number, got the boolean True"),
    (_with(3, None), CLOSED, "cdf[3] must be a number, got null"),
    (_with(3, [0.5]), CLOSED, "cdf[3] must be a number, got a list"),
    ("0,0.1,1", CLOSED, "cdf must be a list of 201 numbers, got the text"),
    ({"0": 0.1}, CLOSED, "cdf must be a list of 201 numbers, got a dict"),
    (np.zeros((201, 1)), CLOSED, "cdf must be a flat list of 201 numbers"),
    (np.array(["a"] * 201), CLOSED, "cdf must be a flat list of 201 numbers"),
    (np.ones(201, dtype=bool), CLOSED, "cdf must be a flat list of 201 numbers"),
])
def test_validate_cdf_errors_name_the_broken_rule(cdf, bounds, message):
    with pytest.raises(CdfError) as info:
        validate_cdf(cdf, **bounds)
    assert info.value.field == "cdf"
    assert message in info.value.message
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------------------------------------------------
# quantiles_to_cdf: hand cases
# ------------------------------------------------------------------------------------------------------------
def test_symmetric_quantiles_on_a_closed_linear_range_give_median_one_half_exactly():
    cdf = quantiles_to_cdf({0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, **LINEAR, **CLOSED)
    assert cdf[100] == 0.5
    assert cdf[60] == pytest.approx(0.1, abs=1e-14) and cdf[140] == pytest.approx(0.9, abs=1e-14)
    assert cdf[0] == 0.0 and cdf[200] == 1.0
    # Mirror symmetry, up to the 1e-5 floor: the tails fade to 0 at closed bounds, the outermost cells get the
    # minimum step, and the exact fit takes that from the other free cells (a quantile on a grid point anchors the
    # cell to its right, so the two sides' free cells are not exact mirrors).
    np.testing.assert_allclose(cdf + cdf[::-1], 1.0, atol=1e-5)


def test_open_tails_keep_the_logistic_tail_mass():
    # Three symmetric quantiles give a logistic: logit F(u) = ln 9 (u - 0.5)/0.2, so logit F(0) = -2.5 ln 9,
    # odds 9^-2.5 = 1/243 and F(0) = 1/244.
    cdf = quantiles_to_cdf({0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, **LINEAR, **OPEN)
    assert cdf[0] == pytest.approx(1 / 244, rel=1e-12)
    assert 1.0 - cdf[200] == pytest.approx(1 / 244, rel=1e-12)
    assert cdf[100] == 0.5
    # Mass below the 0.1 quantile is still exactly 0.1: part below the range, the rest inside.
    assert cdf[60] == pytest.approx(0.1, abs=1e-14)


def test_closed_tails_hold_all_their_mass_inside_the_range():
    cdf = quantiles_to_cdf({0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, **LINEAR, **CLOSED)
    pmf = cdf_pmf(cdf)
    assert pmf[0] == 0.0 and pmf[-1] == 0.0
    assert pmf[1:61].sum() == pytest.approx(0.1, abs=1e-14)


def test_log_scale_median_sits_at_the_geometric_middle():
    kwargs = dict(range_min=0.1, range_max=10.0, log_scale=True)
    cdf = quantiles_to_cdf({0.1: 0.3, 0.5: 1.0, 0.9: 3.0}, **kwargs, **OPEN)
    assert cdf[100] == 0.5
    assert np.all(_reproduction_errors(cdf, {0.1: 0.3, 0.5: 1.0, 0.9: 3.0}, **kwargs) < 1e-9)


@pytest.mark.parametrize("quantiles, bounds", [
    ({0.1: 31.3, 0.5: 50.7, 0.9: 68.1}, CLOSED),                            # off-grid quantiles
    ({0.1: 31.3, 0.25: 40.1, 0.5: 50.7, 0.75: 55.5, 0.9: 68.1}, OPEN),     # more levels
    ({"0.1": 31.3, "0.5": 50.7, "0.9": 68.1}, OPEN),                       # string keys, as JSON sends them
    ({0.1: 50.1, 0.5: 50.9, 0.9: 52.0}, CLOSED),                            # narrow but representable
    ({0.1: 49.6, 0.5: 50.25, 0.9: 50.9}, CLOSED),                           # quantiles in adjacent cells
    ({0.1: 2.0, 0.5: 50.0, 0.9: 98.0}, CLOSED),                             # close to the closed bounds
    ({0.001: 20.0, 0.1: 30.0, 0.5: 50.0, 0.9: 70.0, 0.999: 99.0}, CLOSED),  # extreme levels, closed bounds
    ({0.1: 40.0, 0.5: 50.0, 0.9: 60.0}, dict(open_lower=True, open_upper=False)),
    ({0.1: 0.0, 0.5: 50.0, 0.9: 100.0}, OPEN),                              # quantiles on the open bounds
])
def test_quantiles_are_reproduced_by_the_linear_grid_cdf(quantiles, bounds):
    cdf = quantiles_to_cdf(quantiles, **LINEAR, **bounds)
    validate_cdf(cdf, **bounds)
    errors = _reproduction_errors(cdf, quantiles, **LINEAR)
    assert errors.shape[0] == len(quantiles)
    assert np.max(errors) < 1e-9


def test_three_collinear_quantiles_in_one_grid_cell_are_reproduced():
    # Cell 100 covers [50, 50.5]; 0.4, 0.5, 0.6 at 50.1, 50.2, 50.3 lie on one line of slope 1 per unit.
    q = {0.1: 20.0, 0.4: 50.1, 0.5: 50.2, 0.6: 50.3, 0.9: 80.0}
    cdf = quantiles_to_cdf(q, **LINEAR, **CLOSED)
    assert np.max(_reproduction_errors(cdf, q, **LINEAR)) < 1e-9
    assert cdf[101] - cdf[100] == pytest.approx(0.5, abs=1e-12)


def test_quantiles_beyond_an_open_bound_shape_the_out_of_range_mass():
    q = {0.1: 30.0, 0.5: 80.0, 0.9: 140.0}
    cdf = quantiles_to_cdf(q, **LINEAR, open_lower=False, open_upper=True)
    validate_cdf(cdf, open_lower=False, open_upper=True)
    assert 0.5 < cdf[200] < 0.9   # the 0.9 quantile lies above the range, so > 10% is above range_max
    assert np.max(_reproduction_errors(cdf, q, **LINEAR)) < 1e-9


def test_all_quantiles_beyond_an_open_bound_still_give_a_valid_cdf():
    cdf = quantiles_to_cdf({0.1: 150.0, 0.5: 200.0, 0.9: 300.0}, **LINEAR, **OPEN)
    validate_cdf(cdf, **OPEN)
    assert cdf[200] <= 0.1


# ------------------------------------------------------------------------------------------------------------
# quantiles_to_cdf: errors
# ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("quantiles, kwargs, message", [
    ([30, 50, 70], {}, "quantiles must map probability levels to values"),
    ({0.1: 30.0, 0.9: 70.0}, {}, "missing 0.5"),
    ({0.2: 30.0, 0.5: 50.0, 0.8: 70.0}, {}, "missing 0.1, 0.9"),
    ({10: 30.0, 50: 50.0, 90: 70.0}, {}, "strictly between 0 and 1"),
    ({0.0: 1.0, 0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, {}, "strictly between 0 and 1"),
    ({"ten": 30.0, 0.5: 50.0, 0.9: 70.0}, {}, "probabilities such as 0.1"),
    ({True: 30.0, 0.5: 50.0, 0.9: 70.0}, {}, "probabilities such as 0.1"),
    ({0.1: "30", 0.5: 50.0, 0.9: 70.0}, {}, "the 0.1 quantile must be a number, got the text '30'"),
    ({0.1: True, 0.5: 50.0, 0.9: 70.0}, {}, "the 0.1 quantile must be a number, got the boolean"),
    ({0.1: float("nan"), 0.5: 50.0, 0.9: 70.0}, {}, "the 0.1 quantile must be a finite number"),
    ({0.1: 30.0, "0.10": 31.0, 0.5: 50.0, 0.9: 70.0}, {}, "the level 0.1 is given twice"),
    ({0.1: 60.0, 0.5: 50.0, 0.9: 70.0}, {},
     "the 0.5 quantile (50) must be greater than the 0.1 quantile (60)"),
    ({0.1: 50.0, 0.5: 50.0, 0.9: 70.0}, {}, "must increase with the level"),
    ({0.1: -5.0, 0.5: 50.0, 0.9: 70.0}, {},
     "the 0.1 quantile (-5) must be greater than the range minimum 0 because the lower bound is closed"),
    ({0.1: 0.0, 0.5: 50.0, 0.9: 70.0}, {}, "must be greater than the range minimum 0"),
    ({0.1: 30.0, 0.5: 50.0, 0.9: 100.0}, {}, "the 0.9 quantile (100) must be less than the range maximum 100"),
    ({0.1: -1.0, 0.5: 1.0, 0.9: 3.0}, dict(range_min=0.1, range_max=10.0, log_scale=True, open_lower=True),
     "the 0.1 quantile (-1) must be positive because the question uses a log scale"),
    # Open upper bound: >= 0.001 must lie above the range, so 0.9995 cannot sit inside it.
    ({0.1: 30.0, 0.5: 50.0, 0.9: 70.0, 0.9995: 90.0}, dict(open_upper=True),
     "at least 0.001 of probability must lie above the open upper bound and each of the 19 grid steps between "
     "them needs at least 1e-05, so that quantile can have a level of at most 0.99881; lower its level or move "
     "its value above range_max"),
    ({0.0005: 5.0, 0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, dict(open_lower=True),
     "must lie below the open lower bound and each of the 10 grid steps between them needs at least 1e-05, so "
     "that quantile needs a level of at least 0.0011"),
    # Closed bounds: the 0.0005 of probability below the first quantile cannot cover 60 grid steps.
    ({0.0005: 30.0, 0.1: 40.0, 0.5: 50.0, 0.9: 70.0}, {}, "so that quantile needs a level of at least 0.0006"),
    ({0.1: 30.0, 0.5: 50.0, 0.9: 70.0, 0.9999: 90.0}, {}, "can have a level of at most 0.9998"),
    # 0.4 of probability between 49.9 and 50.04 would need more than one whole cell's worth in a cell.
    ({0.1: 49.9, 0.5: 50.04, 0.9: 50.61}, {}, "too close together"),
    ({0.1: 49.9, 0.5: 49.92, 0.9: 49.94}, {}, "share one grid cell"),
    # 1e-5 of probability cannot cover the 139 steps between 20 and 90.
    ({0.1: 10.0, 0.5: 20.0, 0.50001: 90.0, 0.9: 95.0}, {},
     "there is probability 1e-05, but each of the 139 grid steps between them needs at least 1e-05"),
    ({0.1: 20.0, 0.4: 50.1, 0.5: 50.2, 0.6: 50.35, 0.9: 80.0}, {}, "three or more quantiles fall in one grid cell"),
    ({i / 200: float(i) for i in range(1, 200)} | {0.1: 20.0, 0.5: 100.0, 0.9: 180.0}, {}, "at most 100"),
])
def test_quantile_errors_name_the_field_and_what_is_allowed(quantiles, kwargs, message):
    args = dict(range_min=0.0, range_max=100.0, log_scale=False, open_lower=False, open_upper=False)
    args.update(kwargs)
    with pytest.raises(CdfError) as info:
        quantiles_to_cdf(quantiles, **args)
    assert info.value.field == "quantiles"
    assert message in info.value.message


def test_open_upper_bound_allows_level_0999_beyond_the_range_but_not_inside_it():
    q_inside = {0.1: 30.0, 0.5: 50.0, 0.9: 70.0, 0.999: 99.0}
    with pytest.raises(CdfError, match="0.999 quantile"):
        quantiles_to_cdf(q_inside, **LINEAR, open_lower=False, open_upper=True)
    q_beyond = {0.1: 30.0, 0.5: 50.0, 0.9: 70.0, 0.999: 130.0}
    cdf = quantiles_to_cdf(q_beyond, **LINEAR, open_lower=False, open_upper=True)
    assert cdf[200] <= OPEN_BOUND_MAX
    assert np.max(_reproduction_errors(cdf, q_beyond, **LINEAR)) < 1e-9


def test_bad_range_is_a_programming_error_not_a_user_error():
    with pytest.raises(ValueError) as info:
        quantiles_to_cdf({0.1: 1, 0.5: 2, 0.9: 3}, range_min=5.0, range_max=1.0, log_scale=False, **CLOSED)
    assert not isinstance(info.value, CdfError)


# ------------------------------------------------------------------------------------------------------------
# quantiles_to_cdf: properties
# ------------------------------------------------------------------------------------------------------------
@st.composite
def quantile_problems(draw, *, well_spaced: bool):
    """(quantiles, kwargs): 3 to 7 levels including 0.1/0.5/0.9, random range, scale and bounds.

    well_spaced=True keeps levels >= 0.02 apart and positions >= 0.02 apart in unit space, which guarantees a
    valid CDF exists (each gap holds far more than the 1e-5 per grid step it needs)."""
    log_scale = draw(st.booleans())
    if log_scale:
        lo = draw(st.floats(1e-3, 1e3))
        hi = lo * draw(st.floats(1.5, 1e4))
    else:
        lo = draw(st.floats(-1e4, 1e4))
        hi = lo + draw(st.floats(1e-2, 1e4))
    open_lower, open_upper = draw(st.booleans()), draw(st.booleans())
    n_extra = draw(st.integers(0, 4))
    if well_spaced:
        grid = [k / 50 for k in range(1, 50) if k not in (5, 25, 45)]
        extra = draw(st.lists(st.sampled_from(grid), min_size=n_extra, max_size=n_extra, unique=True))
    else:
        extra = draw(st.lists(st.floats(1e-4, 1 - 1e-4), min_size=n_extra, max_size=n_extra, unique=True))
    levels = sorted(set([0.1, 0.5, 0.9] + extra))
    min_gap = 0.02 - 1e-12 if well_spaced else 1e-6  # closer levels are refused as duplicates
    assume(all(b - a >= min_gap for a, b in zip(levels, levels[1:])))
    u_lo = -0.5 if open_lower else 0.0
    u_hi = 1.5 if open_upper else 1.0
    if well_spaced:
        slots = [u_lo + (u_hi - u_lo) * k / 100 for k in range(1, 100)]
        us = sorted(draw(st.lists(st.sampled_from(slots), min_size=len(levels), max_size=len(levels),
                                  unique=True)))
        jitter = draw(st.lists(st.floats(0, 0.004), min_size=len(levels), max_size=len(levels)))
        us = [u + j for u, j in zip(us, jitter)]
    else:
        us = sorted(draw(st.lists(st.floats(u_lo, u_hi), min_size=len(levels), max_size=len(levels),
                                  unique=True)))
    kwargs = dict(range_min=lo, range_max=hi, log_scale=log_scale)
    values = [from_unit(u, **kwargs) for u in us]
    assume(all(b > a for a, b in zip(values, values[1:])))
    if not open_lower:
        assume(values[0] > lo)
    if not open_upper:
        assume(values[-1] < hi)
    return dict(zip(levels, values)), dict(kwargs, open_lower=open_lower, open_upper=open_upper)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(quantile_problems(well_spaced=True))
def test_well_spaced_quantiles_always_convert_validate_and_reproduce(problem):
    quantiles, kwargs = problem
    cdf = quantiles_to_cdf(quantiles, **kwargs)
    validate_cdf(cdf, open_lower=kwargs["open_lower"], open_upper=kwargs["open_upper"])
    errors = _reproduction_errors(cdf, quantiles, range_min=kwargs["range_min"], range_max=kwargs["range_max"],
                                  log_scale=kwargs["log_scale"])
    assert errors.shape[0] == 0 or np.max(errors) < 1e-6


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(quantile_problems(well_spaced=False))
def test_any_quantiles_either_reproduce_exactly_or_raise_a_quantiles_error(problem):
    quantiles, kwargs = problem
    try:
        cdf = quantiles_to_cdf(quantiles, **kwargs)
    except CdfError as e:
        assert e.field == "quantiles" and e.message
        return
    validate_cdf(cdf, open_lower=kwargs["open_lower"], open_upper=kwargs["open_upper"])
    errors = _reproduction_errors(cdf, quantiles, range_min=kwargs["range_min"], range_max=kwargs["range_max"],
                                  log_scale=kwargs["log_scale"])
    assert errors.shape[0] == 0 or np.max(errors) < 1e-6


def _grid_cdf_exists(quantiles, *, range_min, range_max, log_scale, open_lower, open_upper):
    """Independent check with a linear program: is there any valid grid CDF through the in-range quantiles?"""
    linprog = pytest.importorskip("scipy.optimize").linprog
    n = GRID_SIZE
    a_ub = np.zeros((n - 1, n))
    a_ub[np.arange(n - 1), np.arange(n - 1)] = 1.0
    a_ub[np.arange(n - 1), np.arange(1, n)] = -1.0
    b_ub = np.full(n - 1, -MIN_STEP)
    bounds = [(0.0, 1.0)] * n
    bounds[0] = (OPEN_BOUND_MIN, 1.0) if open_lower else (0.0, 0.0)
    bounds[-1] = (0.0, OPEN_BOUND_MAX) if open_upper else (1.0, 1.0)
    rows, rhs = [], []
    for p, x in quantiles.items():
        g = to_unit(x, range_min=range_min, range_max=range_max, log_scale=log_scale) * (n - 1)
        if 0 <= g <= n - 1:
            c = min(int(math.floor(g)), n - 2)
            row = np.zeros(n)
            row[c], row[c + 1] = 1 - (g - c), g - c
            rows.append(row)
            rhs.append(float(p))
    res = linprog(np.zeros(n), A_ub=a_ub, b_ub=b_ub, A_eq=np.array(rows) if rows else None,
                  b_eq=rhs or None, bounds=bounds, method="highs")
    return res.status == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(quantile_problems(well_spaced=False))
def test_quantiles_are_refused_only_when_no_valid_grid_cdf_exists(problem):
    quantiles, kwargs = problem
    try:
        quantiles_to_cdf(quantiles, **kwargs)
        converted = True
    except CdfError:
        converted = False
    # The LP has the same constraints; only cases on the knife edge (within 1e-9) could disagree.
    assert converted == _grid_cdf_exists(quantiles, **kwargs)


# ------------------------------------------------------------------------------------------------------------
# Reading a CDF
# ------------------------------------------------------------------------------------------------------------
def test_cdf_quantile_inverts_a_linear_cdf_and_flags_out_of_range_levels():
    cdf = np.linspace(0.1, 0.9, GRID_SIZE)
    assert cdf_quantile(cdf, 0.5) == pytest.approx(0.5, abs=1e-15)
    assert cdf_quantile(cdf, 0.1) == 0.0
    np.testing.assert_allclose(cdf_quantile(cdf, np.array([0.3, 0.7])), [0.25, 0.75], atol=1e-15)
    assert cdf_quantile(cdf, 0.05) == -math.inf
    assert cdf_quantile(cdf, 0.95) == math.inf
    with pytest.raises(ValueError):
        cdf_quantile(cdf, 1.5)


def test_cdf_pmf_has_202_buckets_that_sum_to_one():
    cdf = np.linspace(0.01, 0.97, GRID_SIZE)
    pmf = cdf_pmf(cdf)
    assert pmf.shape == (202,)
    assert pmf[0] == 0.01 and pmf[-1] == pytest.approx(0.03)
    np.testing.assert_allclose(pmf[1:-1], 0.96 / 200)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-14)


def test_cdf_pdf_for_display_gives_midpoints_and_unit_density():
    x, density = cdf_pdf_for_display(np.linspace(0, 1, GRID_SIZE), **LINEAR)
    assert x.shape == density.shape == (200,)
    assert x[0] == pytest.approx(0.25) and x[-1] == pytest.approx(99.75)
    np.testing.assert_allclose(density, 1.0)
    xl, _ = cdf_pdf_for_display(np.linspace(0, 1, GRID_SIZE), range_min=1.0, range_max=100.0, log_scale=True)
    assert xl[99] * xl[100] == pytest.approx(100.0)  # geometric midpoints, symmetric about sqrt(1 * 100)


def test_unit_grid_is_exactly_j_over_200():
    assert UNIT_GRID[1] == 1 / 200 and UNIT_GRID[100] == 0.5 and UNIT_GRID[-1] == 1.0
