"""Question groups: generation from a SUCCESSOR-2-like trial (titles, criteria, bindings, the conditional member),
publish all (atomic), one readout proposing for the whole group, and the multiple-choice and date members once those
question types exist."""
import datetime as dt

import pytest
from django.utils import timezone

from assets.errors import StateError, ValidationError
from assets.models import Meeting
from forecasting.conditional.models import ConditionalPair
from forecasting.groups.models import QuestionGroup
from forecasting.groups.services import (
    group_generate, group_proposals_confirm, group_publish, group_questions, group_readout_enter,
)
from forecasting.groups.selectors import group_member_rows
from forecasting.resolution.models import ProposedResolution
from markets import date_axis
from markets.models import Question
from tests.forecasting.groups.helpers import successor_like_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial(db):
    return successor_like_trial()


@pytest.fixture
def generated(trial, staff_user):
    return group_generate(trial=trial, created_by=staff_user)


def _by_template(group):
    return {m.template: m for m in group.members.select_related("question__endpoint", "pair")}


def test_generation_fills_titles_criteria_and_bindings(generated, trial):
    group = generated.group
    assert group.status == "draft" and group.trial == trial
    members = _by_template(group)
    expected = ["primary_met_pfs", "hr_below_0_6", "hr_below_0_7", "hr_below_0_8", "hr_value", "median_experimental",
                "median_control", "os_significant", "os_given_primary", "mrd_disclosed"]
    assert [m.template for m in group.members.order_by("order")][:len(expected)] == expected
    met = members["primary_met_pfs"].question
    assert met.title == "Will SUCCESSOR-9 meet its primary endpoint of PFS?"
    assert (met.endpoint.code, met.bound_metric, met.bound_comparator, met.bound_threshold) == (
        "PFS", "met_endpoint", "==", 1.0)
    assert "primary endpoint" in met.resolution_criteria and "SUCCESSOR-9" in met.resolution_criteria
    hr = members["hr_below_0_7"].question
    assert hr.title == "Will SUCCESSOR-9 report a PFS hazard ratio below 0.7?"
    assert (hr.bound_metric, hr.bound_comparator, hr.bound_threshold) == ("hazard_ratio", "<", 0.7)
    assert "(MeziKd versus Kd)" in hr.resolution_criteria
    exp, ctl = members["median_experimental"].question, members["median_control"].question
    assert exp.title == "Median PFS in the MeziKd arm of SUCCESSOR-9, in months?" and exp.type == "numeric"
    assert (exp.bound_metric, ctl.bound_metric) == ("median_months_experimental", "median_months_control")
    assert members["hr_value"].question.log_scale
    os_q = members["os_significant"].question
    assert (os_q.endpoint.code, os_q.bound_metric, os_q.bound_threshold) == ("OS", "statistically_significant", 1.0)
    pair = members["os_given_primary"].pair
    assert (pair.parent_id, pair.child_id) == (met.pk, os_q.pk)
    mrd = members["mrd_disclosed"].question
    assert (mrd.endpoint.code, mrd.bound_metric) == ("MRD", "disclosed")
    assert all(q.status == "draft" for q in group_questions(group))
    assert all(q.trial_id == trial.pk and q.asset_id is None or q.asset in trial.assets.all()
               for q in group_questions(group))


def test_generation_refuses_a_close_time_in_the_past_and_stores_nothing(trial):
    with pytest.raises(ValidationError) as err:
        group_generate(trial=trial, close_time=timezone.now() - dt.timedelta(days=1))
    assert err.value.field == "close_time"
    assert not QuestionGroup.objects.exists() and not Question.objects.exists()


def test_publish_all_opens_every_member_and_the_pair(generated):
    group = group_publish(group=generated.group)
    assert group.status == "published" and group.published_at is not None
    assert {q.status for q in group_questions(group)} == {"open"}
    with pytest.raises(StateError):
        group_publish(group=group)


def test_publish_all_is_atomic(generated):
    members = _by_template(generated.group)
    broken = members["mrd_disclosed"].question
    # Its close time has passed since it was drafted: it cannot open, so nothing may open.
    Question.objects.filter(pk=broken.pk).update(scheduled_close_time=timezone.now() - dt.timedelta(minutes=1),
                                                 open_time=timezone.now() - dt.timedelta(days=2))
    with pytest.raises(ValidationError) as err:
        group_publish(group=generated.group)
    assert err.value.field == "members" and str(broken.pk) in err.value.message
    generated.group.refresh_from_db()
    assert generated.group.status == "draft"
    assert {q.status for q in Question.objects.all()} == {"draft"}


def test_one_readout_proposes_for_the_whole_group_and_confirm_resolves_it(generated, staff_user):
    group = group_publish(group=generated.group)
    known = timezone.now()  # after the members opened (publishing opened them now)
    members = _by_template(group)
    meeting = members["which_meeting"].question.options[0]  # e.g. "ASH 2026": the source names it
    readouts = group_readout_enter(group=group, source=f"{meeting}, late-breaking abstract", known_at=known,
                                   created_by=staff_user,
                                   results=[
                                       {"endpoint": "PFS", "metric": "met_endpoint", "value": 1},
                                       {"endpoint": "PFS", "metric": "hazard_ratio", "value": 0.64, "ci_lower": 0.52,
                                        "ci_upper": 0.79},
                                       {"endpoint": "PFS", "metric": "median_months_experimental", "value": 15.2},
                                       {"endpoint": "PFS", "metric": "median_months_control", "value": 9.1},
                                       {"endpoint": "OS", "metric": "statistically_significant", "value": 0},
                                       {"endpoint": "MRD", "metric": "disclosed", "value": 1},
                                   ])
    assert len(readouts) == 6
    proposals = {p.question_id: p.outcome for p in ProposedResolution.objects.filter(status="pending")}
    expect = {"primary_met_pfs": 1.0, "hr_below_0_6": 0.0, "hr_below_0_7": 1.0, "hr_below_0_8": 1.0,
              "hr_value": 0.64, "median_experimental": 15.2, "median_control": 9.1, "os_significant": 0.0,
              "mrd_disclosed": 1.0,
              # the meeting the source names (option 0) and the UTC day the figures became public
              "which_meeting": 0.0, "when": date_axis.instant_to_day_seconds(known)}
    assert proposals == {members[t].question_id: v for t, v in expect.items()}
    result = group_proposals_confirm(group=group, actor=staff_user)
    assert not result.failed and len(result.confirmed) == len(expect)
    assert {q.status for q in group_questions(group)} == {"resolved"}


def test_a_bad_figure_names_its_place_and_stores_nothing(generated, staff_user):
    group = group_publish(group=generated.group)
    with pytest.raises(ValidationError) as err:
        group_readout_enter(group=group, source="ASH", known_at=timezone.now(), created_by=staff_user, results=[
            {"endpoint": "PFS", "metric": "hazard_ratio", "value": 0.7},
            {"endpoint": "PFS", "metric": "hazard_ratio_typo", "value": 0.7},
        ])
    assert err.value.field == "results[1].metric"
    with pytest.raises(ValidationError) as err:
        group_readout_enter(group=group, source="ASH", known_at=timezone.now(), created_by=staff_user,
                            results=[{"endpoint": "QOL", "metric": "hazard_ratio", "value": 0.7}])
    assert err.value.field == "results[0].endpoint"
    with pytest.raises(ValidationError) as err:
        group_readout_enter(group=group, source="ASH", known_at=timezone.now(), created_by=staff_user,
                            results=[{"endpoint": "PFS", "metric": "hazard_ratio", "value": float("nan")}])
    assert err.value.field == "results[0].value"
    assert not ProposedResolution.objects.exists()
    from assets.models import Readout
    assert not Readout.objects.exists()


def test_member_rows_are_a_fixed_number_of_queries(generated, django_assert_max_num_queries):
    group = group_publish(group=generated.group)
    with django_assert_max_num_queries(4):
        rows = group_member_rows(group=group)
    assert len(rows) == group.members.count()


@pytest.mark.skipif(not hasattr(Question.Type, "MULTIPLE_CHOICE"),
                    reason="Question.Type.MULTIPLE_CHOICE comes from the multiple-choice branch; not merged here")
def test_which_meeting_is_generated_once_multiple_choice_exists(trial):
    Meeting.objects.create(series="EHA", name="EHA 2099 Congress", start_date=timezone.now().date()
                           + dt.timedelta(days=30), end_date=timezone.now().date() + dt.timedelta(days=33))
    group = group_generate(trial=trial).group
    question = _by_template(group)["which_meeting"].question
    assert question.type == "multiple_choice"
    assert "EHA 2099 Congress" in question.description and question.options[-1].startswith("None of these")
    label = f"EHA {(timezone.now() + dt.timedelta(days=30)).year}"
    assert label in question.options
    # bound to the primary endpoint's readout: its source names the meeting
    assert question.endpoint.code == "PFS" and question.bound_metric == "hazard_ratio"


@pytest.mark.skipif(not hasattr(Question.Type, "DATE"),
                    reason="Question.Type.DATE comes from the date-question branch; not merged here")
def test_when_is_generated_once_date_questions_exist(trial):
    group = group_generate(trial=trial).group
    question = _by_template(group)["when"].question
    assert question.type == "date" and question.range_min < question.range_max


def test_without_those_types_the_generator_says_what_it_skipped(trial):
    Meeting.objects.create(series="EHA", name="EHA 2099 Congress", start_date=timezone.now().date()
                           + dt.timedelta(days=30), end_date=timezone.now().date() + dt.timedelta(days=33))
    result = group_generate(trial=trial)
    skipped = dict(result.skipped)
    if not hasattr(Question.Type, "MULTIPLE_CHOICE"):
        assert "MULTIPLE_CHOICE" in skipped["which_meeting"]
    if not hasattr(Question.Type, "DATE"):
        assert "DATE" in skipped["when"]


def test_the_generated_pair_is_a_real_conditional_pair(generated):
    assert ConditionalPair.objects.count() == 1


def test_removing_a_member_drops_its_draft_question_and_the_pairs_that_need_it(generated):
    from forecasting.groups.services import group_member_remove

    group = generated.group
    met = _by_template(group)["primary_met_pfs"].question
    group_member_remove(group=group, template="primary_met_pfs")
    assert not Question.objects.filter(pk=met.pk).exists()
    assert not group.members.filter(template="os_given_primary").exists()
    assert not ConditionalPair.objects.exists()
    with pytest.raises(ValidationError):
        group_member_remove(group=group, template="primary_met_pfs")
    group_publish(group=group)
    with pytest.raises(StateError):
        group_member_remove(group=group, template="mrd_disclosed")


def test_an_existing_question_with_the_same_binding_is_reused_not_duplicated(trial, staff_user):
    from assets.models import Endpoint
    from markets.services import question_create

    existing = question_create(status="open", trial=trial, endpoint=Endpoint.objects.get(code="PFS"), type="binary",
                               title="Our own HR < 0.7 question", resolution_criteria="As written.",
                               bound_metric="hazard_ratio", bound_comparator="<", bound_threshold=0.7,
                               open_time=timezone.now(), scheduled_close_time=timezone.now() + dt.timedelta(days=9))
    result = group_generate(trial=trial, created_by=staff_user)
    assert _by_template(result.group)["hr_below_0_7"].question_id == existing.pk
    assert ("hr_below_0_7", existing.pk) in result.reused
    assert Question.objects.filter(bound_metric="hazard_ratio", bound_threshold=0.7).count() == 1
