"""The base-rate reference forecaster: the shipped table and its lookup, which questions it forecasts, its scores
(equal to a user's with the same forecast at T0, hand-computed), its empirical forecasts, and its leaderboard line."""
import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from assets.base_rates import base_rate_lookup, base_rate_table
from assets.models import Indication, Readout, TherapeuticArea, Trial, TrialEndpoint
from forecasting.maths.cdf import validate_cdf
from forecasting.maths.empirical import empirical_cdf, empirical_probability
from forecasting.scoring.baserate import MIN_SAMPLE, base_rate_propose
from forecasting.scoring.models import Score
from forecasting.scoring.models_baserate import BaseRateForecast
from forecasting.scoring.selectors_baserate import leaderboard_base_rate, users_versus_base_rate
from forecasting.scoring.services.leaderboards import leaderboards_rebuild
from forecasting.scoring.services.scoring import question_score
from tests import factories
from tests.forecasting.scoring.scoring_helpers import T0, at, community, forecast, resolved_question

Phase = Trial.Phase


# --- the table ---------------------------------------------------------------------------------------------------

def test_the_shipped_table_is_valid_and_every_row_cites_its_report():
    sources, rows = base_rate_table()
    assert {"bio-2021", "bio-2016"} <= set(sources)
    for row in rows:
        source = sources[row["source"]]
        assert source["url"].startswith("https://") and source["name"] and row["location"]
    entered = {(r["source"], r["phase"], r["area"]): r["rate"] for r in rows if r["rate"] is not None}
    assert entered[("bio-2016", "3", "hematologic_cancer")] == 0.526
    assert entered[("bio-2016", "3", "oncology")] == 0.401


@pytest.mark.parametrize("phase,area,rate,source,fallback", [
    (Phase.PHASE3, "hematologic_cancer", 0.526, "bio-2016", ""),
    (Phase.PHASE3, "oncology", 0.401, "bio-2016", ""),
    (Phase.PHASE3, "solid_tumor", 0.401, "bio-2016", "no entered figure for solid tumours"),
    (Phase.PHASE3, "neurology", 0.578, "bio-2021", "no entered figure for neurology"),
    (Phase.PHASE3, "", 0.578, "bio-2021", "no therapeutic area"),
    (Phase.PHASE2_3, "hematologic_cancer", 0.526, "bio-2016", "Phase 2/3 trial reads the Phase III row"),
    (Phase.PHASE2, "hematologic_cancer", 0.289, "bio-2021", "the all indications rate is used"),
    (Phase.PHASE1_2, "", 0.289, "bio-2021", "Phase 1/2 trial reads the Phase II row"),
    (Phase.PHASE1, "oncology", 0.520, "bio-2021", "no entered figure for oncology"),
])
def test_lookup_maps_phase_and_area_to_a_row_and_says_when_it_falls_back(phase, area, rate, source, fallback):
    row = base_rate_lookup(phase=phase, area=area)
    assert (row.rate, row.source_id) == (rate, source)
    assert fallback in row.fallback if fallback else row.fallback == ""


@pytest.mark.parametrize("phase", [Phase.PHASE4, Phase.UNKNOWN])
def test_no_base_rate_without_a_phase_1_to_3(phase):
    assert base_rate_lookup(phase=phase, area="oncology") is None


def test_the_label_names_phase_area_and_report():
    row = base_rate_lookup(phase=Phase.PHASE3, area="hematologic_cancer")
    assert row.label.startswith("Phase III haematologic cancers, BIO, Biomedtracker and Amplion")
    assert "2006-2015" in row.label


# --- which questions -------------------------------------------------------------------------------------------

def _trial(area="hematologic_cancer", phase=Phase.PHASE3):
    indication, _ = Indication.objects.get_or_create(name=f"Indication {area}", defaults={"therapeutic_area": area})
    trial = factories.TrialFactory(indication=indication, phase=phase)
    pfs = factories.EndpointFactory(code="PFS")
    TrialEndpoint.objects.create(trial=trial, endpoint=pfs, kind=TrialEndpoint.Kind.PRIMARY)
    return trial, pfs


def _met_question(trial, pfs, *, comparator="==", threshold=1.0, **fields):
    return resolved_question(trial=trial, endpoint=pfs, bound_metric="met_endpoint", bound_comparator=comparator,
                             bound_threshold=threshold, **fields)


@pytest.mark.django_db
def test_primary_met_question_gets_the_phase_success_rate_with_its_source():
    trial, pfs = _trial()
    proposal = base_rate_propose(question=_met_question(trial, pfs, outcome=1))
    assert proposal.probability == 0.526
    assert proposal.source.startswith("52.6% \u2014 Phase III haematologic cancers")
    assert proposal.citation["url"].startswith("https://www.bio.org/")


@pytest.mark.django_db
def test_a_question_whose_yes_means_missed_gets_one_minus_the_rate():
    trial, pfs = _trial()
    proposal = base_rate_propose(question=_met_question(trial, pfs, comparator="==", threshold=0.0, outcome=0))
    assert proposal.probability == pytest.approx(1 - 0.526)


@pytest.mark.django_db
def test_secondary_endpoints_and_unbound_questions_get_none():
    trial, pfs = _trial()
    os_ = factories.EndpointFactory(code="OS", name="Overall survival")
    TrialEndpoint.objects.create(trial=trial, endpoint=os_, kind=TrialEndpoint.Kind.KEY_SECONDARY)
    assert base_rate_propose(question=_met_question(trial, os_, outcome=1)) is None
    assert base_rate_propose(question=resolved_question(outcome=1)) is None


# --- scoring -----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_base_rate_scores_by_hand_and_equal_a_users_with_the_same_forecast():
    trial, pfs = _trial()
    q = _met_question(trial, pfs, outcome=1, close=100)
    same, other = factories.UserFactory(), factories.UserFactory()
    forecast(q, same, 0, 0.526)
    forecast(q, other, 0, 0.9)
    community(q, 0, 0.7, 0.75)  # the crowd, chosen by the test
    question_score(question_id=q.pk)
    base = Score.objects.get(question=q, subject="base_rate")
    user = Score.objects.get(question=q, user=same)
    assert base.loss == pytest.approx((1 - 0.526) ** 2)
    assert base.relative == pytest.approx((1 - 0.526) ** 2 - (1 - 0.7) ** 2)
    assert base.baseline == pytest.approx(100 * (math.log2(0.526) + 1))
    assert base.coverage == pytest.approx(1.0) and base.peer is None and base.user_id is None
    for name in ("loss", "relative", "baseline", "coverage", "active_seconds"):
        assert getattr(base, name) == pytest.approx(getattr(user, name), abs=1e-12), name
    stored = BaseRateForecast.objects.get(question=q)
    assert stored.probability == 0.526 and "BIO" in stored.source
    question_score(question_id=q.pk)  # idempotent
    assert Score.objects.filter(question=q, subject="base_rate").count() == 1


@pytest.mark.django_db
def test_the_base_rate_never_changes_the_crowd_or_peer_scores():
    trial, pfs = _trial()
    q = _met_question(trial, pfs, outcome=0, close=100)
    a, b = factories.UserFactory(), factories.UserFactory()
    forecast(q, a, 0, 0.3)
    forecast(q, b, 0, 0.6)
    community(q, 0, 0.45)
    question_score(question_id=q.pk)
    peers = dict(Score.objects.filter(question=q, user__isnull=False).values_list("user_id", "peer"))
    gm = math.sqrt(0.7 * 0.4)
    assert peers[a.pk] == pytest.approx(100 * 2 * math.log(0.7 / gm))
    assert peers[a.pk] + peers[b.pk] == pytest.approx(0.0, abs=1e-9)


# --- empirical ---------------------------------------------------------------------------------------------------

def _history(values, *, pfs, known=T0 - dt.timedelta(days=30), phase=Phase.PHASE3, metric="hazard_ratio"):
    for value in values:
        other = factories.TrialFactory(phase=phase)
        Readout.objects.create(trial=other, endpoint=pfs, metric=metric, value=value, source="Earlier meeting",
                               known_at=known)


@pytest.mark.django_db
def test_magnitude_binary_question_uses_the_share_of_earlier_readouts():
    trial, pfs = _trial()
    _history([0.5, 0.65, 0.72, 0.8, 0.9], pfs=pfs)
    _history([0.1, 0.1], pfs=pfs, phase=Phase.PHASE2)  # another phase: not counted
    _history([0.1], pfs=pfs, known=T0 + dt.timedelta(days=1))  # public after the question opened: not counted
    q = resolved_question(outcome=1, trial=trial, endpoint=pfs, bound_metric="hazard_ratio", bound_comparator="<",
                          bound_threshold=0.7)
    proposal = base_rate_propose(question=q)
    assert proposal.probability == pytest.approx((2 + 0.5) / (5 + 1))
    assert proposal.sample_size == 5 and "5 earlier readouts" in proposal.source


@pytest.mark.django_db
def test_magnitude_numeric_question_gets_a_valid_empirical_cdf_and_is_scored():
    trial, pfs = _trial()
    _history([0.5, 0.65, 0.72, 0.8, 0.9, 0.6], pfs=pfs)
    q = resolved_question(outcome=0.66, numeric=True, trial=trial, endpoint=pfs, bound_metric="hazard_ratio",
                          range_min=0.2, range_max=1.5, log_scale=True, open_lower_bound=True, open_upper_bound=True)
    question_score(question_id=q.pk)
    stored = BaseRateForecast.objects.get(question=q)
    validate_cdf(stored.cdf_array(), open_lower=True, open_upper=True)
    assert Score.objects.get(question=q, subject="base_rate").loss is not None


@pytest.mark.django_db
def test_fewer_than_the_minimum_sample_gives_no_base_rate():
    trial, pfs = _trial()
    _history([0.5] * (MIN_SAMPLE - 1), pfs=pfs)
    q = resolved_question(outcome=1, trial=trial, endpoint=pfs, bound_metric="hazard_ratio", bound_comparator="<",
                          bound_threshold=0.7)
    assert base_rate_propose(question=q) is None
    question_score(question_id=q.pk)
    assert not Score.objects.filter(question=q, subject="base_rate").exists()


def test_empirical_probability_by_hand():
    assert empirical_probability([True, False, False, True, True]) == pytest.approx(3.5 / 6)
    with pytest.raises(ValueError):
        empirical_probability([])


@hsettings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(-2, 3, allow_nan=False), min_size=1, max_size=40),
       open_lower=st.booleans(), open_upper=st.booleans())
def test_empirical_cdf_always_passes_validation(values, open_lower, open_upper):
    cdf = empirical_cdf(values, open_lower=open_lower, open_upper=open_upper)
    validate_cdf(cdf, open_lower=open_lower, open_upper=open_upper)
    assert np.all(np.diff(cdf) >= 1e-5)


# --- leaderboards ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_leaderboard_shows_the_base_rate_as_a_reference_line_without_a_rank():
    trial, pfs = _trial()
    q = _met_question(trial, pfs, outcome=1, close=100)
    good, bad = factories.UserFactory(), factories.UserFactory()
    forecast(q, good, 0, 0.9)
    forecast(q, bad, 0, 0.2)
    community(q, 0, 0.55)
    question_score(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    line = leaderboard_base_rate(scope_kind="global", scope_key="global")
    assert line.questions == 1
    assert line.sum_relative == pytest.approx((1 - 0.526) ** 2 - 0.45 ** 2)
    assert line.ahead == 1  # "good" beat the base rate, "bad" did not
    from forecasting.scoring.models import LeaderboardEntry
    assert set(LeaderboardEntry.objects.values_list("user_id", flat=True)) == {good.pk, bad.pk}
    versus = users_versus_base_rate(user_ids=[good.pk, bad.pk], scope_kind="global", scope_key="global")
    assert versus == {good.pk: (1, 1), bad.pk: (0, 1)}


@pytest.mark.django_db
def test_no_line_when_the_base_rate_scored_nothing():
    assert leaderboard_base_rate(scope_kind="global", scope_key="global") is None


def test_therapeutic_areas_of_the_table_are_model_choices():
    _, rows = base_rate_table()
    assert {r["area"] for r in rows} - {""} <= set(TherapeuticArea.values)


@pytest.mark.django_db
@pytest.mark.parametrize("key", [":", "99999", "9" * 40, "abc"])
def test_a_season_that_is_no_year_has_no_base_rate_line_and_no_500(key):
    from django.test import Client

    assert leaderboard_base_rate(scope_kind="season", scope_key=key) is None
    assert Client().get(f"/leaderboards/?scope=season&key={key}").status_code == 200
    assert Client().get(f"/api/v1/leaderboards/export.csv?scope=season&key={key}").status_code == 200
