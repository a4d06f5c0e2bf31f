"""A date question end to end through the API, as a script would drive it: staff create a date question on a
trial, two forecasters forecast it with quantile dates, staff enter the readout (its public date is the answer),
confirm the proposal, and the stored scores equal values computed by hand (tests/forecasting/dates/hand.py)."""
import datetime as dt

import numpy as np
import pytest
from django.contrib.auth.models import Group
from freezegun import freeze_time
from rest_framework.test import APIClient

from forecasting.forecasts.models import Forecast
from tests import factories
from tests.forecasting.dates import hand
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401

UTC = dt.timezone.utc


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.django_db(transaction=False)
def test_a_date_question_created_forecast_resolved_from_a_readout_and_scored_through_the_api(
    eager_celery, django_capture_on_commit_callbacks,  # noqa: F811
):
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", registry_id="NCT05552976")
    factories.EndpointFactory(code="PFS")
    staff = factories.StaffFactory(username="script-admin")
    staff.groups.add(Group.objects.get_or_create(name="resolvers")[0])
    amira, benoit = factories.UserFactory(username="amira"), factories.UserFactory(username="benoit")
    admin = client_for(staff)

    with freeze_time("2026-12-01 09:00:00") as clock:
        response = admin.post("/api/v1/questions/", {
            "title": "When will SUCCESSOR-2 full PFS data be presented?",
            "type": "date", "status": "open", "trial": trial.slug, "endpoint": "PFS",
            "resolution_criteria": "The date (UTC) on which the full PFS results are first public.",
            "open_time": "2026-12-01T10:00:00Z", "scheduled_close_time": "2027-12-31T00:00:00Z",
            "range_min_date": "2027-01-01", "range_max_date": "2027-12-31", "open_upper_bound": True,
            "bound_metric": "hazard_ratio",
        }, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        qid = body["id"]
        assert body["type"] == "date"
        assert (body["range_min_date"], body["range_max_date"]) == ("2027-01-01", "2027-12-31")
        assert body["range_min"] == dt.datetime(2027, 1, 1, tzinfo=UTC).timestamp()
        assert body["range_max"] == dt.datetime(2027, 12, 31, tzinfo=UTC).timestamp()

        clock.move_to("2027-01-10 12:00:00")
        a = client_for(amira).post(f"/api/v1/questions/{qid}/forecasts/", {"quantiles": {
            "0.1": "2027-03-01", "0.5": "2027-06-01", "0.9": "2027-09-15"}}, format="json")
        assert a.status_code == 201, a.json()
        assert a.json()["input"] == {"type": "quantiles",
                                     "quantiles": {"0.1": "2027-03-01", "0.5": "2027-06-01", "0.9": "2027-09-15"}}
        clock.move_to("2027-02-01 12:00:00")
        b = client_for(benoit).post(f"/api/v1/questions/{qid}/forecasts/", {"quantiles": {
            "0.1": "2027-05-20", "0.25": "2027-06-05", "0.5": "2027-06-20", "0.75": "2027-07-10", "0.9": "2027-08-01"}},
            format="json")
        assert b.status_code == 201, b.json()

        detail = admin.get(f"/api/v1/questions/{qid}/").json()
        community = detail["community"]
        assert community["forecaster_count"] == 2
        for name in ("q10", "q50", "q90"):
            assert community[f"{name}_date"] == dt.datetime.fromtimestamp(
                round(community[name] / 86400) * 86400, tz=UTC).date().isoformat()

        # The readout: presented 15 Jun 2027 at 14:00 UTC, entered the next day.
        clock.move_to("2027-06-16 08:00:00")
        readout = admin.post("/api/v1/readouts/", {
            "trial": "SUCCESSOR-2", "endpoint": "PFS", "metric": "hazard_ratio", "value": 0.61,
            "source": "EHA 2027, LBA 3", "known_at": "2027-06-15T14:00:00Z",
        }, format="json")
        assert readout.status_code == 201, readout.json()
        proposals = admin.get("/api/v1/proposals/").json()["results"]
        assert len(proposals) == 1
        proposal = proposals[0]
        assert proposal["question"] == qid
        assert proposal["outcome_display"] == "15 Jun 2027"
        assert proposal["outcome"] == dt.datetime(2027, 6, 15, tzinfo=UTC).timestamp()
        with django_capture_on_commit_callbacks(execute=True):  # the pipeline runs on commit: scores
            confirmed = admin.post(f"/api/v1/proposals/{proposal['id']}/confirm/", {}, format="json")
        assert confirmed.status_code == 200, confirmed.json()

    question = admin.get(f"/api/v1/questions/{qid}/").json()
    assert question["status"] == "resolved"
    assert question["outcome_date"] == "2027-06-15"
    assert question["resolution"]["outcome_display"] == "15 Jun 2027"

    scores = admin.get(f"/api/v1/questions/{qid}/scores/").json()
    assert scores["loss_name"] == "crps"
    by_user = {row["username"]: row for row in scores["forecasters"]}

    # By hand: u(y) of 15 Jun 2027 on 1 Jan .. 31 Dec 2027 is 165/364. Each forecaster holds one forecast from its
    # time to Te = known_at, so the time-averaged CRPS is that forecast's CRPS; the baseline is averaged over the
    # whole window W = [T0, Te) with 0 before the forecast.
    y = hand.unit_of(dt.date(2027, 6, 15), dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert y == 165 / 364
    t0, te = at("2026-12-01T10:00:00"), at("2027-06-15T14:00:00")
    window = (te - t0).total_seconds()
    for name, made in (("amira", at("2027-01-10T12:00:00")), ("benoit", at("2027-02-01T12:00:00"))):
        cdf = Forecast.objects.get(user__username=name).cdf_array()
        expected_crps = hand.crps_exact(cdf, y)
        assert abs(expected_crps - hand.crps_trapezoid(cdf, y)) < 1e-6
        row = by_user[name]
        assert row["loss"] == pytest.approx(expected_crps, rel=1e-12, abs=1e-14)
        share = (te - made).total_seconds() / window
        assert row["coverage"] == pytest.approx(share, rel=1e-12)
        expected_baseline = hand.baseline(cdf, y, open_lower=False, open_upper=True) * share
        assert row["baseline"] == pytest.approx(expected_baseline, rel=1e-9)
    assert by_user["benoit"]["loss"] < by_user["amira"]["loss"]  # the sharper forecast near the answer wins

    # Both forecasts' typed dates are reproduced by their stored CDFs: F(u(q_p)) = p.
    cdf = np.asarray(Forecast.objects.get(user__username="benoit").cdf_array())
    for level, day in ((0.1, dt.date(2027, 5, 20)), (0.5, dt.date(2027, 6, 20)), (0.9, dt.date(2027, 8, 1))):
        u = hand.unit_of(day, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
        assert float(np.interp(u, np.arange(201) / 200, cdf)) == pytest.approx(level, abs=1e-9)
