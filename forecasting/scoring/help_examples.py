"""The worked examples of the help page (/help/), computed by the project's own maths at render time, so the page
can never drift from what the site computes. tests/forecasting/scoring/test_help_page.py checks the page's numbers
against the same functions called independently.

One small story runs through the examples: a binary question open for 10 days resolves YES. Ana forecasts 70%
from day 0 and updates to 90% on day 4; Ben forecasts 40% from day 5. Both stay until the close.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from forecasting.maths import calibration as calibration_math
from forecasting.maths.aggregation.binary import binary_extremized, binary_median
from forecasting.maths.cdf import quantiles_to_cdf
from forecasting.maths.scoring import brier, crps_unit, score_binary, unit_position
from forecasting.maths.scoring.choice import baseline_choice, brier_multi
from markets import lmsr

DAY = 86_400.0
T0, TE = 0.0, 10 * DAY
# (forecaster, start day, end day, probability): Ana is 0, Ben is 1.
INTERVALS = [(0, 0, 4, 0.70), (0, 4, 10, 0.90), (1, 5, 10, 0.40)]
OUTCOME = 1


def _community() -> tuple[list[float], list[float]]:
    """The community median at each change: Ana alone (70%, then 90%), then the median of Ana's 90% and Ben's 40%
    (oldest first)."""
    return [0.0, 4 * DAY, 5 * DAY], [binary_median([0.70]), binary_median([0.90]), binary_median([0.90, 0.40])]


@lru_cache(maxsize=1)
def help_examples() -> dict:
    forecaster = np.array([i[0] for i in INTERVALS])
    start = np.array([i[1] * DAY for i in INTERVALS])
    end = np.array([i[2] * DAY for i in INTERVALS])
    p = np.array([i[3] for i in INTERVALS])
    times, values = _community()
    scores = score_binary(forecaster, start, end, p, outcome=OUTCOME, t0=T0, te=TE,
                          community_times=np.array(times), community_values=np.array(values))

    # Brier of single forecasts.
    brier_70 = float(brier(np.array([0.70]), OUTCOME)[0])
    brier_90 = float(brier(np.array([0.90]), OUTCOME)[0])
    brier_40 = float(brier(np.array([0.40]), OUTCOME)[0])

    # Numeric: percentiles 4 / 8 / 14 months on a 0-40 months range with an open upper bound, outcome 10 months.
    numeric_quantiles = {0.1: 4.0, 0.5: 8.0, 0.9: 14.0}
    cdf = quantiles_to_cdf(numeric_quantiles, range_min=0.0, range_max=40.0, log_scale=False,
                           open_lower=False, open_upper=True)
    y_unit = unit_position(10.0, range_min=0.0, range_max=40.0, log_scale=False)
    crps = float(crps_unit(cdf[None, :], y_unit)[0])
    sharp = quantiles_to_cdf({0.1: 9.0, 0.5: 10.0, 0.9: 11.0}, range_min=0.0, range_max=40.0, log_scale=False,
                             open_lower=False, open_upper=True)
    crps_sharp = float(crps_unit(sharp[None, :], y_unit)[0])

    # Calibration: ten forecasts of 70% (equal weight), seven came true.
    outcomes = np.array([1] * 7 + [0] * 3)
    cal = calibration_math.calibration_bins(np.full(10, 0.7), np.ones(10), outcomes, np.arange(10))
    bin_7 = 7  # the 70-80% bin
    low, high = calibration_math.wilson_interval(np.array([0.7]), np.array([10]))

    # Market: b = 100, a fresh binary market (50/50); buy 10 YES.
    b = 100.0
    q0 = np.zeros(2)
    cost_10 = lmsr.trade_cost(q0, b, 1, 10.0)
    paid = lmsr.charge_millipoints(cost_10) / 1000
    price_after = float(lmsr.prices(np.array([0.0, 10.0]), b)[1])
    shares_for_50 = lmsr.shares_for_budget(q0, b, 1, 50.0)

    # Multiple choice: ASH / ASCO / EHA at 50 / 30 / 20%, and ASCO happened (option 1).
    choice = [0.5, 0.3, 0.2]
    choice_example = {"brier": float(brier_multi(np.array(choice), 1)),
                      "baseline": float(baseline_choice(0.3, 3)), "p": choice}

    return {
        "choice": choice_example,
        "brier": {"p70": brier_70, "p90": brier_90, "p40": brier_40, "gjo_p70": 2 * brier_70},
        "time_averaged": {
            "ana": float(scores.loss[0]), "ben": float(scores.loss[1]),
            "ana_coverage": float(scores.coverage[0]), "ben_coverage": float(scores.coverage[1]),
        },
        "community": {"day0": values[0], "day4": values[1], "day5": values[2],
                      "extremized_day5": binary_extremized([0.90, 0.40])},
        "relative": {"ana": float(scores.relative[0]), "ben": float(scores.relative[1])},
        "baseline": {"ana": float(scores.baseline[0]), "ben": float(scores.baseline[1]),
                     "p70": 100 * (math.log2(0.70) + 1), "p40": 100 * (math.log2(0.40) + 1)},
        "peer": {"ana": float(scores.peer[0]), "ben": float(scores.peer[1])},
        "crps": {"wide": crps, "sharp": crps_sharp, "y_unit": y_unit},
        "calibration": {"observed": float(cal.observed_frequency[bin_7]), "mean": float(cal.mean_forecast[bin_7]),
                        "low": float(low[0]), "high": float(high[0])},
        "market": {"b": b, "cost_10": cost_10, "paid_10": paid, "price_after": price_after,
                   "average_10": paid / 10, "shares_for_50": shares_for_50,
                   "reserve": lmsr.max_loss(b, 2), "payout_10_yes": 10.0},
    }
