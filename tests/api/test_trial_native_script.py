"""Must show, through the API as a script would: create a templated group and a conditional question for a trial,
forecast each as two users, enter one readout, confirm, and get scores that match hand-computed values; the base-rate
forecaster is scored on the primary-endpoint question and shows on the leaderboard with its source. The group's
multiple-choice ("which meeting") and date ("when") members are forecast too, and the same single readout resolves
them: the meeting its source names, the day its figures became public."""
import datetime as dt
import math

import numpy as np

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from forecasting.conditional.models import ConditionalForecast
from forecasting.forecasts.models import Forecast
from forecasting.maths.cdf import quantiles_to_cdf
from markets import date_axis
from markets.models import Question
from tests import factories
from tests.forecasting.groups.helpers import successor_like_trial
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401 (tasks in-process)

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def _relative(te, t0, changes, outcome):
    """Hand-computed relative Brier of one forecaster: ``changes`` lists (time, own p, crowd p) step changes in time
    order; before the first own forecast the forecaster counts as the crowd (adds 0)."""
    total = 0.0
    for (t, p, c), nxt in zip(changes, changes[1:] + [(te, None, None)]):
        if p is not None:
            total += (nxt[0] - t) * ((p - outcome) ** 2 - (c - outcome) ** 2)
    return total / (te - t0)


def test_group_and_conditional_pair_through_the_api_score_as_computed_by_hand(staff_user, django_capture_on_commit_callbacks):
    trial = successor_like_trial()
    staff = _client(staff_user)
    amira, benoit = factories.UserFactory(username="amira-script"), factories.UserFactory(username="benoit-script")

    # 1. A templated group for the trial, published all at once.
    body = _ok(staff.post("/api/v1/question-groups/generate/", {"trial": trial.pk}, format="json"), 201)
    group_id = body["group"]["id"]
    templates = {m["template"]: m for m in body["members"]}
    assert body["group"]["status"] == "draft" and "primary_met_pfs" in templates
    _ok(staff.post(f"/api/v1/question-groups/{group_id}/publish/"))
    met, hr7, os_sig = (templates[t]["question"] for t in ("primary_met_pfs", "hr_below_0_7", "os_significant"))

    # 2. A conditional question: OS significant, given HR below 0.7 (the group already pairs OS with "met").
    bad = staff.post("/api/v1/conditional-pairs/", {"parent": hr7, "child": hr7}, format="json")
    assert bad.status_code == 400 and "child" in bad.json()
    pair = _ok(staff.post("/api/v1/conditional-pairs/", {"parent": hr7, "child": os_sig}, format="json"), 201)
    assert pair["yes"]["status"] == "open" and pair["no"]["status"] == "open"

    # 3. Two forecasters: bulk forecasts on the group's binary questions, then both branches of the pair.
    a, b = _client(amira), _client(benoit)
    _ok(a.post("/api/v1/forecasts/bulk/", {"forecasts": [
        {"question": met, "probability": 0.8}, {"question": hr7, "probability": 0.6}]}, format="json"), 201)
    _ok(a.post(f"/api/v1/conditional-pairs/{pair['id']}/forecasts/", {"p_yes": 0.7, "p_no": 0.2}, format="json"), 201)
    _ok(b.post("/api/v1/forecasts/bulk/", {"forecasts": [
        {"question": met, "probability": 0.4}, {"question": hr7, "probability": 0.3}]}, format="json"), 201)
    _ok(b.post("/api/v1/conditional-pairs/forecasts/bulk/", {"forecasts": [
        {"pair": pair["id"], "p_yes": 0.5, "p_no": 0.1}]}, format="json"), 201)
    nan = b.post(f"/api/v1/conditional-pairs/{pair['id']}/forecasts/", data='{"p_yes": NaN, "p_no": 0.5}',
                 content_type="application/json")
    assert nan.status_code == 400 and ConditionalForecast.objects.count() == 2
    detail = _ok(a.get(f"/api/v1/conditional-pairs/{pair['id']}/"))
    assert detail["yes"]["median"] == pytest.approx(0.6) and detail["no"]["median"] == pytest.approx(0.15)

    # 3b. The multiple-choice and date members: which meeting first, and when.
    which, when = templates["which_meeting"]["question"], templates["when"]["question"]
    options = _ok(APIClient().get(f"/api/v1/questions/{which}/"))["options"]
    k = len(options)
    amira_choice = [0.5] + [0.5 / (k - 1)] * (k - 1)
    benoit_choice = [0.2] + [0.8 / (k - 1)] * (k - 1)
    bad = a.post(f"/api/v1/questions/{which}/forecasts/", {"probabilities": [0.5] * k}, format="json")
    assert bad.status_code == 400 and "probabilities" in bad.json()
    _ok(a.post(f"/api/v1/questions/{which}/forecasts/", {"probabilities": amira_choice}, format="json"), 201)
    _ok(b.post(f"/api/v1/questions/{which}/forecasts/", {"probabilities": benoit_choice}, format="json"), 201)
    today = timezone.now().date()
    typed = {"0.1": today + dt.timedelta(days=10), "0.5": today + dt.timedelta(days=40),
             "0.9": today + dt.timedelta(days=80)}
    _ok(a.post(f"/api/v1/questions/{when}/forecasts/",
               {"quantiles": {level: day.isoformat() for level, day in typed.items()}}, format="json"), 201)

    # 4. One readout for the whole group, then confirm everything it proposed; its source names the first meeting.
    known = timezone.now()
    out = _ok(staff.post(f"/api/v1/question-groups/{group_id}/readout/", {
        "source": f"{options[0]}, late-breaking abstract", "known_at": known.isoformat(), "results": [
            {"endpoint": "PFS", "metric": "met_endpoint", "value": 1},
            {"endpoint": "PFS", "metric": "hazard_ratio", "value": 0.64, "ci_lower": 0.52, "ci_upper": 0.79},
            {"endpoint": "OS", "metric": "statistically_significant", "value": 1},
        ]}, format="json"), 201)
    proposed = {p["question"]: p["outcome"] for p in out["proposals"]}
    assert proposed[met] == 1.0 and proposed[hr7] == 1.0 and proposed[os_sig] == 1.0
    assert proposed[which] == 0.0  # the option the source names
    assert proposed[when] == date_axis.instant_to_day_seconds(known)  # the UTC day the figures became public
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = _ok(staff.post(f"/api/v1/question-groups/{group_id}/confirm/"))
    assert not confirmed["failed"]

    # 5. Scores equal the hand-computed values.
    q = Question.objects.get(pk=met)
    t0, te = q.open_time.timestamp(), q.actual_close_time.timestamp()
    ta = Forecast.objects.get(question=q, user=amira).created_at.timestamp()
    tb = Forecast.objects.get(question=q, user=benoit).created_at.timestamp()
    scores = _ok(APIClient().get(f"/api/v1/questions/{met}/scores/"))
    by_user = {s["username"]: s for s in scores["forecasters"]}
    aggregates = {s["subject"]: s for s in scores["aggregates"]}
    crowd_b = 0.6  # median of 0.8 and 0.4 (equal weights with two forecasters)
    assert by_user["amira-script"]["loss"] == pytest.approx(0.04)
    assert by_user["benoit-script"]["loss"] == pytest.approx(0.36)
    assert by_user["amira-script"]["relative"] == pytest.approx(
        _relative(te, t0, [(ta, 0.8, 0.8), (tb, 0.8, crowd_b)], 1), abs=1e-9)
    assert by_user["benoit-script"]["relative"] == pytest.approx(_relative(te, t0, [(tb, 0.4, crowd_b)], 1), abs=1e-9)
    # The base rate: 52.6% at T0 (Phase III haematologic cancers), scored like a forecaster over all of W.
    base = aggregates["base_rate"]
    assert base["loss"] == pytest.approx((1 - 0.526) ** 2)
    # Relative: against the crowd wherever there is one (none before amira's forecast: that span adds 0).
    b_base = (1 - 0.526) ** 2
    expected = ((tb - ta) * (b_base - (0.8 - 1) ** 2) + (te - tb) * (b_base - (crowd_b - 1) ** 2)) / (te - t0)
    assert base["relative"] == pytest.approx(expected, abs=1e-9)
    assert base["coverage"] == pytest.approx(1.0)
    assert base["baseline"] == pytest.approx(100 * (math.log2(0.526) + 1))
    base_rate = _ok(APIClient().get(f"/api/v1/questions/{met}/base-rate/"))
    assert base_rate["probability"] == 0.526 and "haematologic cancers" in base_rate["source"]
    assert "2006-2015" in base_rate["source"] and base_rate["url"].startswith("https://")

    # The conditional pair: HR < 0.7 resolved Yes, so the yes branch is scored against OS = Yes; the no branch is
    # annulled.
    pair_scores = _ok(APIClient().get(f"/api/v1/conditional-pairs/{pair['id']}/scores/"))
    assert {s["branch"] for s in pair_scores} == {"yes"}
    pair_by_user = {s["username"]: s for s in pair_scores if s["subject"] == "forecaster"}
    assert pair_by_user["amira-script"]["loss"] == pytest.approx((0.7 - 1) ** 2)
    assert pair_by_user["benoit-script"]["loss"] == pytest.approx((0.5 - 1) ** 2)
    assert pair_by_user["amira-script"]["peer"] + pair_by_user["benoit-script"]["peer"] == pytest.approx(0, abs=1e-9)
    final = _ok(APIClient().get(f"/api/v1/conditional-pairs/{pair['id']}/"))
    assert (final["yes"]["status"], final["no"]["status"]) == ("scored", "annulled")

    # 6. The leaderboard shows the base rate as an unranked reference line, and the CSV labels it.
    line = _ok(APIClient().get("/api/v1/leaderboards/base-rate/?scope=global"))["base_rate"]
    assert line["label"] == "Base rate (reference)" and line["questions"] >= 1
    entries = _ok(APIClient().get("/api/v1/leaderboards/?scope=global"))
    assert {e["username"] for e in entries["results"]} == {"amira-script", "benoit-script"}
    csv_text = b"".join(APIClient().get("/api/v1/leaderboards/export.csv?scope=global").streaming_content).decode()
    assert "base_rate,Base rate (reference)" in csv_text

    # 7. The multiple-choice member: option 0 happened. Multi-category Brier by hand, each forecaster held one vector
    # to the close: (1 - p_0)^2 + (K - 1) q^2 with q the share of each other option.
    choice_scores = {s["username"]: s for s in _ok(APIClient().get(f"/api/v1/questions/{which}/scores/"))["forecasters"]}
    assert Question.objects.get(pk=which).status == "resolved"
    assert choice_scores["amira-script"]["loss"] == pytest.approx(0.5 ** 2 + (k - 1) * (0.5 / (k - 1)) ** 2)
    assert choice_scores["benoit-script"]["loss"] == pytest.approx(0.8 ** 2 + (k - 1) * (0.8 / (k - 1)) ** 2)
    # Baseline on the chosen option, 100 (ln p_0 - ln 1/K) / ln K, over amira's share of the window.
    q_which = Question.objects.get(pk=which)
    w0, we = q_which.open_time.timestamp(), q_which.actual_close_time.timestamp()
    ta_which = Forecast.objects.get(question=q_which, user=amira).created_at.timestamp()
    assert choice_scores["amira-script"]["baseline"] == pytest.approx(
        100 * (math.log(0.5) + math.log(k)) / math.log(k) * (we - ta_which) / (we - w0), rel=1e-9)

    # 8. The date member: the answer is the readout's day, the first day of the range (u = 0). Unit CRPS of amira's
    # forecast, integrated independently: the integral of (1 - F(u))^2 over u in [0, 1] on a fine grid of the
    # piecewise-linear CDF her typed dates make.
    q_when = Question.objects.get(pk=when)
    assert q_when.status == "resolved" and q_when.outcome == q_when.range_min
    seconds = {float(level): date_axis.date_to_seconds(day) for level, day in typed.items()}
    cdf = quantiles_to_cdf(seconds, range_min=q_when.range_min, range_max=q_when.range_max, log_scale=False,
                           open_lower=q_when.open_lower_bound, open_upper=q_when.open_upper_bound)
    u = np.linspace(0.0, 1.0, 2_000_001)
    integrand = (1.0 - np.interp(u, np.linspace(0.0, 1.0, len(cdf)), cdf)) ** 2
    by_hand = float(np.sum((integrand[1:] + integrand[:-1]) / 2) * (u[1] - u[0]))
    date_scores = {s["username"]: s for s in _ok(APIClient().get(f"/api/v1/questions/{when}/scores/"))["forecasters"]}
    assert date_scores["amira-script"]["loss"] == pytest.approx(by_hand, abs=1e-9)
