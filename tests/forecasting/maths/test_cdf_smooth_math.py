"""The smooth quantiles -> CDF conversion (issue 16; docs/forecast-maths.md section 2.3): the stored CDF's density is
smooth and unimodal for unimodal input, the typed quantiles are reproduced exactly, the rules always hold, the
tails keep their masses, and the preview's JavaScript (static/js/quantile_cdf.js) gives the same CDF.

The same shape checks are run against the conversion before issue 16 (an untouched copy of the old single-module
layout at /tmp/orig/forecasting/maths/cdf.py, when present) to show that they catch the notch and the spike."""
import importlib.util
import json
import math
import shutil
import subprocess
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forecasting.maths.cdf import (
    MIN_STEP,
    N_CELLS,
    OPEN_BOUND_MAX,
    OPEN_BOUND_MIN,
    CdfError,
    from_unit,
    quantiles_to_cdf,
    to_unit,
    validate_cdf,
)
from forecasting.maths.cdf.smooth import END_RANGE, _LogitSpline

ROOT = Path(__file__).resolve().parents[3]
OLD_CDF = Path("/tmp/orig/forecasting/maths/cdf.py")
LINEAR = dict(range_min=0.0, range_max=100.0, log_scale=False)
OPEN = dict(open_lower=True, open_upper=True)
CLOSED = dict(open_lower=False, open_upper=False)
BOUNDS = [OPEN, CLOSED, dict(open_lower=True, open_upper=False), dict(open_lower=False, open_upper=True)]
L3 = (0.1, 0.5, 0.9)
L5 = (0.1, 0.25, 0.5, 0.75, 0.9)
NORMAL = NormalDist()

# What "smooth" and "unimodal" mean for the stored CDF (its 200 in-range cell masses m_j):
# * unimodal: no notch deeper than DIP_TOL of the peak (the depth of m_j below the lower of the highest masses on
#   either side of it; the old conversion's notch at the median of 30/50/70 was 15%);
# * smooth: max |m_{j+1} - 2 m_j + m_{j-1}| <= ROUGH_TOL x peak / w^2, with w the narrowest feature the input
#   asks for, in cells (feature_width). A smooth density whose features are w cells wide has second differences
#   of about peak / w^2; a kink or a notch gives about peak / w.
DIP_TOL = 0.02
ROUGH_TOL = 1.25


def _masses(cdf):
    return np.diff(np.asarray(cdf, dtype=np.float64))


def dip(cdf) -> float:
    m = _masses(cdf)
    left = np.maximum.accumulate(m)
    right = np.maximum.accumulate(m[::-1])[::-1]
    return float(np.max(np.minimum(left, right) - m) / m.max())


def feature_width(quantiles, kwargs) -> float:
    """The narrowest feature the typed quantiles ask for, in grid cells: the narrowest gap between two of them, or
    the logistic scale of a tail (1 / its log-odds slope, which END_RANGE lets reach half the outermost secant's)."""
    levels = np.array([float(k) for k in quantiles])
    g = np.asarray(to_unit([float(v) for v in quantiles.values()], **_scale(kwargs))) * N_CELLS
    z = np.log(levels / (1.0 - levels))
    secant = np.diff(z) / np.diff(g)
    return float(min(np.min(np.diff(g)), 1.0 / (END_RANGE[1] * secant[0]), 1.0 / (END_RANGE[1] * secant[-1])))


def roughness(cdf, quantiles, kwargs) -> float:
    m = _masses(cdf)
    w = feature_width(quantiles, kwargs)
    return float(np.max(np.abs(np.diff(m, 2))) * w * w / m.max())


def _scale(kwargs):
    return {k: kwargs[k] for k in ("range_min", "range_max", "log_scale")}


def reproduction_errors(cdf, quantiles, kwargs):
    """|cdf(u_k) - p_k| for every in-range typed quantile, the stored CDF read linearly between grid points."""
    levels = np.array([float(k) for k in quantiles])
    u = np.asarray(to_unit([float(v) for v in quantiles.values()], **_scale(kwargs)), dtype=np.float64)
    inside = (u >= 0) & (u <= 1)
    return np.abs(np.interp(u[inside], np.arange(N_CELLS + 1) / N_CELLS, cdf) - levels[inside])


def _old_module():
    if not OLD_CDF.exists():
        pytest.skip(f"the pre-issue-16 conversion is not at {OLD_CDF}")
    spec = importlib.util.spec_from_file_location("old_cdf_before_issue_16", OLD_CDF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------------------------
# The issue's cases and other hand cases
# ------------------------------------------------------------------------------------------------------------
ISSUE_CASES = [
    pytest.param({0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, id="10/50/90 symmetric (the notch at the median)"),
    pytest.param({0.1: 30.0, 0.25: 40.0, 0.5: 50.0, 0.75: 60.0, 0.9: 70.0}, id="10/25/50/75/90 symmetric"),
    pytest.param({0.1: 20.0, 0.5: 30.0, 0.9: 60.0}, id="10/50/90 right-skewed"),
    pytest.param({0.1: 20.0, 0.25: 25.0, 0.5: 30.0, 0.75: 42.0, 0.9: 60.0},
                 id="10/25/50/75/90 right-skewed (the spike at 25/75)"),
    pytest.param({0.1: 40.0, 0.25: 58.0, 0.5: 70.0, 0.75: 75.0, 0.9: 80.0}, id="10/25/50/75/90 left-skewed"),
    pytest.param({0.1: 45.0, 0.5: 50.0, 0.9: 55.0}, id="10/50/90 narrow"),
]


@pytest.mark.parametrize("bounds", BOUNDS, ids=["open", "closed", "open-closed", "closed-open"])
@pytest.mark.parametrize("quantiles", ISSUE_CASES)
def test_issue_cases_are_smooth_unimodal_and_exact(quantiles, bounds):
    kwargs = dict(LINEAR, **bounds)
    cdf = quantiles_to_cdf(quantiles, **kwargs)
    validate_cdf(cdf, **bounds)
    assert np.max(reproduction_errors(cdf, quantiles, kwargs)) <= 1e-9
    assert dip(cdf) <= DIP_TOL
    assert roughness(cdf, quantiles, kwargs) <= ROUGH_TOL


@pytest.mark.parametrize("quantiles", [
    pytest.param({0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, id="notch at the median"),
    pytest.param({0.1: 30.0, 0.25: 40.0, 0.5: 50.0, 0.75: 60.0, 0.9: 70.0}, id="humps with 25/75"),
    pytest.param({0.1: 20.0, 0.25: 25.0, 0.5: 30.0, 0.75: 42.0, 0.9: 60.0}, id="kinked spike with 25/75"),
])
def test_the_same_checks_fail_on_the_old_conversion(quantiles):
    """Proof that the checks above see the reported defects: the pre-issue-16 PCHIP conversion fails them."""
    cdf = _old_module().quantiles_to_cdf(quantiles, **LINEAR, **OPEN)
    assert np.max(reproduction_errors(cdf, quantiles, dict(LINEAR, **OPEN))) <= 1e-9  # it was exact...
    smooth = dip(cdf) <= DIP_TOL and roughness(cdf, quantiles, dict(LINEAR, **OPEN)) <= ROUGH_TOL
    assert not smooth  # ...but not smooth


def test_symmetric_three_quantiles_give_exactly_a_logistic():
    # logit F(u) = ln 9 (u - 0.5) / 0.2 everywhere, so the density at the median is ln 9 / 0.8 per unit u.
    spline = _LogitSpline(np.array([0.3, 0.5, 0.7]), np.array(list(L3)), closed_lower=False, closed_upper=False)
    u = np.linspace(-0.5, 1.5, 2001)
    expected = 1.0 / (1.0 + np.exp(-math.log(9.0) * (u - 0.5) / 0.2))
    np.testing.assert_allclose(spline(u), expected, rtol=0, atol=1e-14)


def _max_slope_jump(spline, step):
    u = np.arange(0.05, 0.95, step)
    density = np.gradient(spline(u), step)
    slope = np.gradient(density, step)
    return float(np.max(np.abs(np.diff(slope))))


def test_the_smooth_density_is_continuously_differentiable():
    """Numerically: the largest change of the density's slope between neighbouring points of a fine grid shrinks
    in proportion to the grid step (C1: it is about f'' x step), where a kink would keep it at the kink's size.
    Checked across the typed quantiles, where the old conversion had its kinks."""
    u_k = np.array([0.2, 0.25, 0.3, 0.42, 0.6])
    for closed in (False, True):
        spline = _LogitSpline(u_k, np.array(list(L5)), closed_lower=closed, closed_upper=closed)
        assert _max_slope_jump(spline, 1e-4) <= 0.2 * _max_slope_jump(spline, 1e-3)


def test_the_old_smooth_curve_fails_the_same_derivative_check():
    u_k = np.array([0.2, 0.25, 0.3, 0.42, 0.6])
    curve = _old_module()._SmoothCdf(u_k, np.array(list(L5)), closed_lower=False, closed_upper=False)

    def spline(u):
        return curve(np.asarray(u, dtype=np.float64))

    assert _max_slope_jump(spline, 1e-4) > 0.2 * _max_slope_jump(spline, 1e-3)  # PCHIP: kinks at the quantiles


def test_quantiles_on_grid_points_and_inside_cells_are_reproduced_to_1e_9():
    for quantiles in ({0.1: 30.0, 0.5: 50.0, 0.9: 70.0}, {0.1: 31.3, 0.25: 40.1, 0.5: 50.7, 0.75: 55.5, 0.9: 68.1},
                      {0.05: 12.0, 0.1: 20.2, 0.5: 33.3, 0.9: 61.7, 0.95: 77.7}):
        for bounds in BOUNDS:
            cdf = quantiles_to_cdf(quantiles, **LINEAR, **bounds)
            assert np.max(reproduction_errors(cdf, quantiles, dict(LINEAR, **bounds))) <= 1e-9


def test_open_tails_keep_the_typed_tail_mass_and_put_the_logistic_share_beyond_the_bound():
    q = {0.1: 20.0, 0.5: 30.0, 0.9: 60.0}
    cdf = quantiles_to_cdf(q, **LINEAR, **OPEN)
    spline = _LogitSpline(np.array([0.2, 0.3, 0.6]), np.array(list(L3)), closed_lower=False, closed_upper=False)
    assert cdf[40] == pytest.approx(0.1, abs=1e-12) and cdf[120] == pytest.approx(0.9, abs=1e-12)
    # Below the range: the logistic tail's mass F(0), here less than the 0.001 an open bound needs, so the rule
    # lifts it to 0.001 (the grid cells between the bound and the 10th percentile give up the difference, the
    # 10th percentile stays exact); above it: 1 - F(1), untouched.
    assert float(spline(np.array([0.0]))[0]) < OPEN_BOUND_MIN and cdf[0] == OPEN_BOUND_MIN
    assert 1.0 - cdf[200] == pytest.approx(1.0 - float(spline(np.array([1.0]))[0]), rel=1e-9)
    # Skewed input: the long (right) side keeps the heavier tail.
    assert 1.0 - cdf[200] > cdf[0]


def test_closed_tails_hold_all_their_mass_inside_and_fade_towards_the_bound():
    q = {0.1: 20.0, 0.5: 30.0, 0.9: 60.0}
    cdf = quantiles_to_cdf(q, **LINEAR, **CLOSED)
    m = _masses(cdf)
    assert cdf[0] == 0.0 and cdf[200] == 1.0
    assert cdf[40] == pytest.approx(0.1, abs=1e-12) and m[:40].sum() == pytest.approx(0.1, abs=1e-12)
    assert np.all(np.diff(m[:40]) >= -1e-15)   # the lower tail's density rises away from the bound
    assert np.all(np.diff(m[120:]) <= 1e-15)   # the upper tail's density falls towards it


def test_log_scale_symmetric_in_logs_is_a_logistic_in_unit_space():
    kwargs = dict(range_min=0.1, range_max=10.0, log_scale=True)
    q = {0.1: 0.5, 0.5: 1.0, 0.9: 2.0}
    spline = _LogitSpline(np.asarray(to_unit(list(q.values()), **kwargs)), np.array(list(L3)), closed_lower=False,
                          closed_upper=False)
    u = np.linspace(0.0, 1.0, 1001)
    np.testing.assert_allclose(spline(u) + spline(u[::-1]), 1.0, rtol=0, atol=1e-14)  # symmetric about x = 1
    cdf = quantiles_to_cdf(q, **kwargs, **OPEN)
    # The stored grid CDF is symmetric up to the exact fit inside the two quantiles' cells (they sit at different
    # places within their cells).
    np.testing.assert_allclose(cdf + cdf[::-1], 1.0, rtol=0, atol=1e-5)
    assert np.max(reproduction_errors(cdf, q, dict(kwargs, **OPEN))) <= 1e-9
    assert dip(cdf) <= DIP_TOL and roughness(cdf, q, dict(kwargs, **OPEN)) <= ROUGH_TOL


def test_when_a_rule_binds_the_quantiles_stay_exact_and_only_free_cells_move():
    """A 1% tail squeezed next to an open bound: the rules (cdf[0] >= 0.001, steps >= 1e-5) bind, and the chain
    fit keeps the typed levels exact at the cost of the shape in the free cells, never the other way round."""
    q = {0.01: 0.5, 0.1: 10.0, 0.5: 50.0, 0.9: 90.0}
    cdf = quantiles_to_cdf(q, **LINEAR, **OPEN)
    assert cdf[0] >= OPEN_BOUND_MIN and cdf[200] <= OPEN_BOUND_MAX
    assert np.all(np.diff(cdf) >= MIN_STEP - 1e-14)
    assert np.max(reproduction_errors(cdf, q, dict(LINEAR, **OPEN))) <= 1e-9


# ------------------------------------------------------------------------------------------------------------
# Properties over unimodal beliefs: quantiles of smooth unimodal distributions, placed in the range
# ------------------------------------------------------------------------------------------------------------
def _standard_quantile(kind: str, p: float, shape: float) -> float:
    if kind == "normal":
        return NORMAL.inv_cdf(p)
    if kind == "logistic":
        return math.log(p / (1.0 - p))
    if kind == "gumbel":
        return -math.log(-math.log(p))
    if kind == "reversed gumbel":
        return math.log(-math.log(1.0 - p))
    if kind == "lognormal":
        return math.exp(shape * NORMAL.inv_cdf(p))
    if kind == "reversed lognormal":
        return -math.exp(shape * NORMAL.inv_cdf(1.0 - p))
    return (-math.log(1.0 - p)) ** (1.0 / shape)  # weibull


def _logistic_spill(u, levels, bounds) -> float:
    """The mass a logistic through the two outermost quantiles would put beyond each closed bound."""
    z = [math.log(p / (1.0 - p)) for p in levels]
    spill = 0.0
    if not bounds["open_lower"]:
        spill = max(spill, 1.0 / (1.0 + math.exp(-(z[0] - (z[1] - z[0]) / (u[1] - u[0]) * u[0]))))
    if not bounds["open_upper"]:
        spill = max(spill, 1.0 / (1.0 + math.exp(z[-1] + (z[-1] - z[-2]) / (u[-1] - u[-2]) * (1.0 - u[-1]))))
    return spill


@st.composite
def unimodal_beliefs(draw):
    """(quantiles, kwargs): 10/50/90 or 10/25/50/75/90 of a symmetric or skewed smooth unimodal distribution,
    10th to 90th percentile spanning 10-70% of the range, on a linear or log scale, any bounds. Lognormal skew is
    limited to sigma <= 0.6 (10/50/90 spacing ratio up to about 2.2); on a closed side the quantiles keep clear of
    the bound (a logistic through the outer two would spill less than 0.2% beyond it)."""
    kind = draw(st.sampled_from(["normal", "logistic", "gumbel", "reversed gumbel", "lognormal",
                                 "reversed lognormal", "weibull"]))
    shape = draw(st.floats(0.1, 0.6)) if "lognormal" in kind else draw(st.floats(1.5, 5.0))
    levels = draw(st.sampled_from([L3, L5]))
    x = np.array([_standard_quantile(kind, p, shape) for p in levels])
    width = draw(st.floats(0.1, 0.7))
    start = draw(st.floats(0.0, 1.0 - width))
    u = start + (x - x[0]) / (x[-1] - x[0]) * width
    bounds = draw(st.sampled_from(BOUNDS))
    assume(_logistic_spill(list(u), levels, bounds) < 0.002)
    if draw(st.booleans()):
        scale = dict(range_min=0.5, range_max=50.0, log_scale=True)
    else:
        scale = dict(range_min=draw(st.floats(-1e3, 1e3)), range_max=0.0, log_scale=False)
        scale["range_max"] = scale["range_min"] + draw(st.floats(1.0, 1e3))
    values = [float(from_unit(v, **scale)) for v in u]
    assume(all(b > a for a, b in zip(values, values[1:])))
    return dict(zip(levels, values)), dict(scale, **bounds)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(unimodal_beliefs())
def test_unimodal_beliefs_give_smooth_unimodal_exact_valid_cdfs(problem):
    quantiles, kwargs = problem
    cdf = quantiles_to_cdf(quantiles, **kwargs)
    validate_cdf(cdf, open_lower=kwargs["open_lower"], open_upper=kwargs["open_upper"])
    assert np.max(reproduction_errors(cdf, quantiles, kwargs)) <= 1e-9
    assert dip(cdf) <= DIP_TOL
    assert roughness(cdf, quantiles, kwargs) <= ROUGH_TOL


@st.composite
def any_quantiles(draw):
    """3 to 8 increasing quantiles anywhere (beyond the range on open sides), any levels."""
    bounds = draw(st.sampled_from(BOUNDS))
    extra = draw(st.lists(st.floats(0.005, 0.995), max_size=5, unique=True))
    levels = sorted(set(L3) | set(extra))
    assume(all(b - a > 1e-3 for a, b in zip(levels, levels[1:])))
    lo = -0.3 if bounds["open_lower"] else 0.001
    hi = 1.3 if bounds["open_upper"] else 0.999
    u = sorted(draw(st.lists(st.floats(lo, hi), min_size=len(levels), max_size=len(levels), unique=True)))
    assume(all(b - a > 1e-3 for a, b in zip(u, u[1:])))
    return dict(zip(levels, [100.0 * v for v in u])), dict(LINEAR, **bounds), u, levels


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(any_quantiles())
def test_any_quantiles_give_a_monotone_smooth_curve_and_a_valid_exact_cdf_or_a_quantiles_error(problem):
    quantiles, kwargs, u, levels = problem
    spline = _LogitSpline(np.array(u), np.array(levels), closed_lower=not kwargs["open_lower"],
                          closed_upper=not kwargs["open_upper"])
    grid = np.linspace(-0.5, 1.5, 4001)
    if not kwargs["open_lower"]:
        grid = grid[grid >= 0]
    if not kwargs["open_upper"]:
        grid = grid[grid <= 1]
    f = spline(grid)
    assert np.all(np.isfinite(f)) and np.all(np.diff(f) >= 0)
    np.testing.assert_allclose(spline(np.array(u)), levels, rtol=0, atol=1e-12)
    try:
        cdf = quantiles_to_cdf(quantiles, **kwargs)
    except CdfError as exc:
        assert exc.field == "quantiles"
        return
    validate_cdf(cdf, open_lower=kwargs["open_lower"], open_upper=kwargs["open_upper"])
    errors = reproduction_errors(cdf, quantiles, kwargs)
    assert errors.shape[0] == 0 or np.max(errors) <= 1e-9


# ------------------------------------------------------------------------------------------------------------
# The preview's JavaScript gives the same CDF
# ------------------------------------------------------------------------------------------------------------
JS_FIXTURES = [
    (q, dict(LINEAR, **b)) for q in (
        {0.1: 30.0, 0.5: 50.0, 0.9: 70.0},
        {0.1: 20.0, 0.25: 25.0, 0.5: 30.0, 0.75: 42.0, 0.9: 60.0},
        {0.1: 40.0, 0.25: 58.0, 0.5: 70.0, 0.75: 75.0, 0.9: 80.0},
        {0.1: 2.0, 0.5: 50.0, 0.9: 98.0},
        {0.1: 49.6, 0.5: 50.25, 0.9: 50.9},
        {0.1: 30.0, 0.5: 80.0, 0.9: 140.0},
        {0.1: -20.0, 0.25: 10.0, 0.5: 50.0, 0.75: 60.0, 0.9: 130.0},
        {0.1: 20.0, 0.25: 21.0, 0.5: 50.0, 0.75: 51.0, 0.9: 80.0},   # irregular: nodes move towards safe values
        {0.1: 10.0, 0.25: 11.0, 0.5: 12.0, 0.75: 60.0, 0.9: 90.0},
        {0.02: 5.0, 0.1: 14.0, 0.2: 21.0, 0.35: 28.0, 0.5: 33.0, 0.65: 39.0, 0.8: 47.0, 0.9: 58.0, 0.98: 80.0},
    ) for b in BOUNDS
    if (b["open_lower"] or min(q.values()) > 0) and (b["open_upper"] or max(q.values()) < 100)
] + [
    ({0.1: 0.5, 0.5: 1.0, 0.9: 2.0}, dict(range_min=0.1, range_max=10.0, log_scale=True, **OPEN)),
    ({0.1: 0.45, 0.25: 0.6, 0.5: 0.8, 0.75: 0.95, 0.9: 1.1},
     dict(range_min=0.3, range_max=1.2, log_scale=True, open_lower=False, open_upper=True)),
    ({0.1: 1.0, 0.5: 3.0, 0.9: 24.0}, dict(range_min=0.0, range_max=40.0, log_scale=False, **CLOSED)),
    ({0.1: 50.1, 0.5: 50.2, 0.9: 99.0}, dict(LINEAR, **CLOSED)),  # not representable: both must refuse
]


def test_the_preview_javascript_computes_the_stored_cdf():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    cases = [dict(levels=[float(k) for k in q], values=list(q.values()),
                  question=dict(range_min=kw["range_min"], range_max=kw["range_max"], log_scale=kw["log_scale"],
                                open_lower_bound=kw["open_lower"], open_upper_bound=kw["open_upper"]))
             for q, kw in JS_FIXTURES]
    script = ("const m = require(process.argv[1]); const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(cases.map(c => m.quantilesToCdf(c.levels, c.values, c.question))));")
    run = subprocess.run([node, "-e", script, str(ROOT / "static" / "js" / "quantile_cdf.js")],
                         input=json.dumps(cases), capture_output=True, text=True, timeout=60, check=True)
    results = json.loads(run.stdout)
    for (q, kw), result in zip(JS_FIXTURES, results):
        try:
            expected = quantiles_to_cdf(q, **kw)
        except CdfError:
            assert "error" in result, (q, kw)
            continue
        assert "cdf" in result, (q, kw, result)
        np.testing.assert_allclose(result["cdf"], expected, rtol=0, atol=1e-12, err_msg=f"{q} {kw}")
