"""Numeric forecasts as CDFs on a 201-point unit grid (SCORING.md section 3).

Pure maths: imports numpy and the standard library only, never Django.

A numeric question maps its range to the unit interval: u(x) = (x - min)/(max - min), or (ln x - ln min)/(ln max -
ln min) on a log scale. A forecast is cdf[j] = P(X <= x(u_j)) at u_j = j/200, j = 0..200, linear in u between grid
points. Validation rules: every step cdf[j] - cdf[j-1] >= 1e-5; cdf[0] = 0 (closed lower bound) or >= 0.001 (open);
cdf[200] = 1 (closed upper bound) or <= 0.999 (open).

``quantiles_to_cdf`` turns a few quantiles (what users type) into such a CDF; docs/forecast-maths.md explains the
construction for users and researchers.
"""
from .grid import (
    GRID_SIZE,
    N_CELLS,
    CELL_WIDTH,
    MIN_STEP,
    OPEN_BOUND_MIN,
    OPEN_BOUND_MAX,
    REQUIRED_LEVELS,
    BELOW,
    ABOVE,
    MAX_QUANTILES,
    UNIT_GRID,
    CdfError,
    to_unit,
    from_unit,
)
from .validation import validate_cdf
from .quantiles_fit import quantiles_to_cdf
from .reading import cdf_quantile, cdf_quantiles_in_range, quantile_in_range, cdf_pmf, cdf_pdf_for_display

__all__ = [
    "ABOVE",
    "BELOW",
    "CELL_WIDTH",
    "GRID_SIZE",
    "MAX_QUANTILES",
    "MIN_STEP",
    "N_CELLS",
    "OPEN_BOUND_MAX",
    "OPEN_BOUND_MIN",
    "REQUIRED_LEVELS",
    "UNIT_GRID",
    "CdfError",
    "cdf_pdf_for_display",
    "cdf_pmf",
    "cdf_quantile",
    "cdf_quantiles_in_range",
    "from_unit",
    "quantile_in_range",
    "quantiles_to_cdf",
    "to_unit",
    "validate_cdf",
]
