"""/help/ explains every score with worked examples whose numbers are the project's own maths: each number on the
page (its ``data-value``) is checked here against the maths functions called independently, and by hand."""
import math
import re

import numpy as np
import pytest
from django.urls import reverse

from forecasting.maths.aggregation.binary import binary_median
from forecasting.maths.cdf import quantiles_to_cdf
from forecasting.maths.scoring import brier, crps_unit, score_binary
from markets import lmsr

pytestmark = pytest.mark.django_db
DAY = 86_400.0


@pytest.fixture
def page(client):
    response = client.get(reverse("scoring:help"))
    assert response.status_code == 200
    return response.content.decode()


def _values(html: str, testid: str) -> list[float]:
    section = re.search(rf'data-testid="{testid}">(.*?)</p>', html, re.S).group(1)
    return [float(v) for v in re.findall(r'data-value="([^"]+)"', section)]


def test_every_score_has_a_section(page):
    for anchor in ("brier", "coverage", "community", "relative", "baseline", "peer", "crps", "other-types",
                   "base-rate", "leaderboards", "calibration", "market"):
        assert f'id="{anchor}"' in page


def test_the_binary_examples_are_the_scoring_maths(page):
    scores = score_binary(
        np.array([0, 0, 1]), np.array([0, 4, 5]) * DAY, np.array([4, 10, 10]) * DAY, np.array([0.7, 0.9, 0.4]),
        outcome=1, t0=0.0, te=10 * DAY, community_times=np.array([0, 4, 5]) * DAY,
        community_values=np.array([0.7, 0.9, binary_median([0.9, 0.4])]),
    )
    assert _values(page, "example-brier") == pytest.approx([float(brier(np.array([p]), 1)[0]) for p in (0.7, 0.9, 0.4)])
    assert _values(page, "example-time-averaged") == pytest.approx(
        [scores.loss[0], scores.coverage[0], scores.loss[1], scores.coverage[1]])
    assert _values(page, "example-relative") == pytest.approx([scores.relative[0], scores.relative[1]])
    assert _values(page, "example-peer") == pytest.approx([scores.peer[0], scores.peer[1]])
    baseline = _values(page, "example-baseline")
    assert baseline == pytest.approx([100 * (math.log2(0.7) + 1), scores.baseline[0],
                                      100 * (math.log2(0.4) + 1), scores.baseline[1]])
    # By hand (SCORING.md section 2): Ana (4 x 0.09 + 6 x 0.01) / 10; the crowd said 65% from day 5.
    assert scores.loss[0] == pytest.approx(0.042)
    assert scores.relative[0] == pytest.approx((0.01 - 0.35 ** 2) / 2)
    assert scores.relative[1] == pytest.approx((0.36 - 0.35 ** 2) / 2)
    assert scores.peer[0] == pytest.approx(-scores.peer[1])  # peer scores of one instant sum to zero
    # The page prints them as the tables do.
    assert ">0.042<" in page
    assert f">{scores.relative[0]:.4f}<" in page and f">{scores.relative[1]:.4f}<" in page


def test_the_numeric_example_is_the_crps_maths(page):
    def crps(quantiles):
        cdf = quantiles_to_cdf(quantiles, range_min=0.0, range_max=40.0, log_scale=False, open_lower=False,
                               open_upper=True)
        return float(crps_unit(cdf[None, :], 0.25)[0])

    wide, sharp = _values(page, "example-crps")
    assert wide == pytest.approx(crps({0.1: 4.0, 0.5: 8.0, 0.9: 14.0}))
    assert sharp == pytest.approx(crps({0.1: 9.0, 0.5: 10.0, 0.9: 11.0}))
    assert 0 < sharp < wide < 1


def test_the_market_example_is_the_lmsr_maths(page):
    cost, paid, price_after, shares_for_50, reserve = _values(page, "example-market")
    assert cost == pytest.approx(100 * math.log((math.exp(0.1) + 1) / 2))  # 5.124947951...
    assert paid == lmsr.charge_millipoints(cost) / 1000 == 5.125
    assert price_after == pytest.approx(math.exp(0.1) / (1 + math.exp(0.1)))
    assert shares_for_50 == pytest.approx(100 * math.log(1 + (math.exp(0.5) - 1) / 0.5))
    assert reserve == pytest.approx(100 * math.log(2))


def test_the_calibration_example(page):
    observed, mean, low, high = _values(page, "example-calibration")
    assert (observed, mean) == pytest.approx((0.7, 0.7))
    assert low < 0.7 < high and low == pytest.approx(0.3968, abs=1e-4)


def test_the_multiple_choice_example_is_the_maths_and_the_hand_sum(page):
    from forecasting.maths.scoring.choice import baseline_choice, brier_multi

    brier_value, baseline_value = _values(page, "example-choice")
    # By hand: ASCO (option 1) happened; (0.5 - 0)^2 + (0.3 - 1)^2 + (0.2 - 0)^2 = 0.25 + 0.49 + 0.04.
    assert brier_value == pytest.approx(0.78)
    assert brier_value == pytest.approx(float(brier_multi(np.array([0.5, 0.3, 0.2]), 1)))
    # 100 (ln 0.3 - ln 1/3) / ln 3 < 0: 30% is below a uniform third.
    assert baseline_value == pytest.approx(100 * (math.log(0.3) + math.log(3)) / math.log(3))
    assert baseline_value == pytest.approx(float(baseline_choice(0.3, 3))) and baseline_value < 0
