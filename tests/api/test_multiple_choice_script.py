"""A script's whole journey through the API on a multiple-choice question: staff create it on a trial, two
forecasters forecast (one updates), staff enter the readout that names the meeting, confirm the proposal, and the
scores equal values computed by hand from docs/scoring.md ("Multiple-choice questions").

Timeline (days after T0 = 2026-01-01 00:00 UTC; the readout became public on day 8, so W = [0, 8), |W| = 8 days):
  day 0  alice  [0.5, 0.3, 0.2]
  day 2  bob    [0.2, 0.6, 0.2]
  day 6  alice  [0.1, 0.8, 0.1]
  day 9  staff enter the readout "ASCO 2026, LBA 3" (known_at day 8) and confirm: outcome = option 1 (ASCO).
"""
import datetime as dt
import math

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from markets.models import Question
from tests import factories
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)
LN3 = math.log(3)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_forecast_readout_confirm_and_scores_match_hand_computed_values(
    eager_celery, django_capture_on_commit_callbacks,  # noqa: F811
):
    trial = factories.TrialFactory(acronym="SUCCESSOR-7", registry_id="NCT07777777")
    factories.EndpointFactory(code="PFS")
    staff = client_for(factories.StaffFactory())
    alice, bob = factories.UserFactory(username="alice"), factories.UserFactory(username="bob")

    with freeze_time(T0 - DAY) as clock:
        created = staff.post("/api/v1/questions/", {
            "title": "Which meeting presents SUCCESSOR-7 first?", "type": "multiple_choice",
            "options": ["ASH", "ASCO", "EHA"], "trial": trial.slug, "endpoint": "PFS", "bound_metric": "hazard_ratio",
            "resolution_criteria": "The meeting of the first full presentation.", "status": "open",
            "open_time": T0.isoformat(), "scheduled_close_time": (T0 + 10 * DAY).isoformat(),
        }, format="json")
        assert created.status_code == 201, created.data
        qid = created.data["id"]
        assert created.data["options"] == ["ASH", "ASCO", "EHA"] and created.data["type"] == "multiple_choice"

        def forecast(user, probabilities, day):
            clock.move_to(T0 + day * DAY)
            response = client_for(user).post(f"/api/v1/questions/{qid}/forecasts/",
                                             {"probabilities": probabilities}, format="json")
            assert response.status_code == 201, response.data
            return response

        forecast(alice, [0.5, 0.3, 0.2], 0)
        forecast(bob, [0.2, 0.6, 0.2], 2)
        # Two forecasters weigh equally: each option's median is the midpoint; the midpoints already sum to 1.
        community = client_for(bob).get(f"/api/v1/questions/{qid}/").data["community"]["probabilities"]
        assert community == pytest.approx([0.35, 0.45, 0.2], abs=1e-12)
        forecast(alice, [0.1, 0.8, 0.1], 6)

        clock.move_to(T0 + 9 * DAY)
        readout = staff.post("/api/v1/readouts/", {
            "trial": "SUCCESSOR-7", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.61,
            "source": "ASCO 2026, LBA 3", "known_at": (T0 + 8 * DAY).isoformat(),
        }, format="json")
        assert readout.status_code == 201, readout.data
        [proposal] = readout.data["proposals"]
        assert (proposal["question"], proposal["outcome"]) == (qid, 1.0)
        with django_capture_on_commit_callbacks(execute=True):  # settle, score: the pipeline runs on commit
            confirmed = staff.post(f"/api/v1/proposals/{proposal['id']}/confirm/", {}, format="json")
        assert confirmed.status_code == 200, confirmed.data

    question = Question.objects.get(pk=qid)
    assert question.status == Question.Status.RESOLVED and question.outcome == 1.0
    detail = staff.get(f"/api/v1/questions/{qid}/").data
    assert detail["resolution"]["outcome"] == 1.0 and detail["resolution"]["outcome_display"] == "ASCO"

    scores = staff.get(f"/api/v1/questions/{qid}/scores/").data
    assert scores["loss_name"] == "brier_multi" and scores["outcome"] == 1.0
    by_user = {row["username"]: row for row in scores["forecasters"]}
    a, b = by_user["alice"], by_user["bob"]

    # Multi-category Brier of each vector against o = (0, 1, 0).
    brier_a1 = 0.5**2 + 0.7**2 + 0.2**2          # 0.78, days 0-6
    brier_a2 = 0.1**2 + 0.2**2 + 0.1**2          # 0.06, days 6-8
    brier_b = 0.2**2 + 0.4**2 + 0.2**2           # 0.24, days 2-8
    brier_c = [0.78, 0.35**2 + 0.55**2 + 0.2**2, 0.15**2 + 0.3**2 + 0.15**2]  # community, days 0-2, 2-6, 6-8
    assert a["loss"] == pytest.approx((6 * brier_a1 + 2 * brier_a2) / 8)  # 0.6
    assert b["loss"] == pytest.approx(brier_b)  # 0.24
    assert a["coverage"] == pytest.approx(1.0) and b["coverage"] == pytest.approx(0.75)
    assert a["relative"] == pytest.approx((4 * (brier_a1 - brier_c[1]) + 2 * (brier_a2 - brier_c[2])) / 8)  # 0.13875
    assert b["relative"] == pytest.approx((4 * (brier_b - brier_c[1]) + 2 * (brier_b - brier_c[2])) / 8)  # -0.08625
    # Baseline: 100 (ln p_ASCO - ln 1/3) / ln 3, time-averaged over W (0 where no forecast).
    assert a["baseline"] == pytest.approx((6 * 100 * math.log(0.9) / LN3 + 2 * 100 * math.log(2.4) / LN3) / 8)
    assert b["baseline"] == pytest.approx(6 * 100 * math.log(1.8) / LN3 / 8)
    # Peer: two forecasters from day 2; 100 * 2 * ln(p / GM) = 100 ln(p_i / p_j).
    peer_a = (4 * 100 * math.log(0.3 / 0.6) + 2 * 100 * math.log(0.8 / 0.6)) / 8
    assert a["peer"] == pytest.approx(peer_a) and b["peer"] == pytest.approx(-peer_a)
    crowd = {row["subject"]: row for row in scores["aggregates"]}["community_median"]
    assert crowd["loss"] == pytest.approx((2 * brier_c[0] + 4 * brier_c[1] + 2 * brier_c[2]) / 8)  # 0.46125
