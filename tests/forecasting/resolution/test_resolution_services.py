"""Resolution services: state transitions, readouts and their proposals, confirming, resolving by hand, annulling,
unresolving, the audit trail and the work that follows (market, scores, leaderboards, notifications)."""
import datetime as dt
import math

import pytest
from django.utils import timezone

from assets.errors import StateError, ValidationError
from assets.models import Readout
from forecasting.forecasts.services.forecasts import forecast_create
from forecasting.models import ProposedResolution, ResolutionEvent, Score
from forecasting.pipeline import services as pipeline
from forecasting.pipeline import tasks
from forecasting.resolution.services import readouts
from forecasting.resolution.services import resolution as services
from markets.models import Market, Question
from markets.services import account_for_user, account_grant, market_create, trade_buy_shares
from markets.services.resolution import outcome_validate, question_annul, question_resolve, question_unresolve
from tests import factories

UTC = dt.timezone.utc
P = ProposedResolution.Status
A = ResolutionEvent.Action


# ----------------------------------------------------------------------------------------------------------------
# Fixtures and helpers (also imported by the other test_resolution_* modules)
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def eager_celery():
    """Run tasks in-process even when REDIS_URL is set (as in CI): these tests check what the task does."""
    from forecasting.celery import app

    old = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def trial(db):
    return factories.TrialFactory(acronym="SUCCESSOR-9", registry_id="NCT09999999")


@pytest.fixture
def pfs(db):
    return factories.EndpointFactory(code="PFS")


def bound_question(trial, endpoint, *, comparator="<", threshold=0.7, metric="hazard_ratio", **kwargs):
    return factories.QuestionFactory(
        trial=trial, endpoint=endpoint, bound_metric=metric, bound_comparator=comparator, bound_threshold=threshold,
        **kwargs,
    )


def bound_numeric_question(trial, endpoint, *, metric="hazard_ratio", **kwargs):
    fields = {"range_min": 0.3, "range_max": 1.2, "open_lower_bound": True, "open_upper_bound": True, **kwargs}
    return factories.NumericQuestionFactory(trial=trial, endpoint=endpoint, bound_metric=metric, **fields)


def readout(trial, endpoint, *, value=0.64, metric="hazard_ratio", source="ASCO 2026, abstract 1", known_at=None,
            user=None, **kwargs):
    return readouts.readout_create(
        trial=trial, endpoint=endpoint, metric=metric, value=value, source=source,
        known_at=known_at or timezone.now() - dt.timedelta(hours=1), created_by=user, **kwargs,
    )


DOWNSTREAM_STEPS = (
    "market_settle", "market_refund", "market_unsettle", "question_score", "question_scores_clear",
    "leaderboards_rebuild", "question_notify_resolution",
)


@pytest.fixture
def steps(monkeypatch):
    """Replace the downstream services (market, scoring, leaderboards, notifications) that the pipeline after a
    resolution calls, and unresolve's own unsettle, with recorders: a list of (name, kwargs)."""
    calls = []

    def recorder(name):
        def record(**kwargs):
            calls.append((name, {k: (v.pk if hasattr(v, "pk") else v) for k, v in kwargs.items()}))
            return []
        return record

    for name in DOWNSTREAM_STEPS:
        monkeypatch.setattr(pipeline, name, recorder(name))
    # unresolve reverses the settlement itself, inside its transaction, before the pipeline runs
    monkeypatch.setattr(services, "market_unsettle", recorder("market_unsettle"))
    return calls


def with_forecasts(question, users, probabilities, *, start=None):
    start = start or question.open_time + dt.timedelta(hours=1)
    for i, (user, p) in enumerate(zip(users, probabilities)):
        forecast_create(question=question, user=user, probability=p, at=start + dt.timedelta(hours=i))
    return question


# ----------------------------------------------------------------------------------------------------------------
# markets.services.resolution: pure state transitions
# ----------------------------------------------------------------------------------------------------------------
def test_resolving_an_open_question_closes_it_and_sets_the_resolution_fields(open_question):
    known_at = timezone.now() - dt.timedelta(days=1)
    question = question_resolve(question=open_question, outcome=1.0, known_at=known_at)
    assert question.status == Question.Status.RESOLVED
    assert question.outcome == 1.0 and question.known_at == known_at
    assert question.actual_close_time == known_at  # known before the scheduled close: Te = known_at
    assert question.resolved_at is not None


def test_known_at_after_the_scheduled_close_gives_te_equal_to_tc(db):
    close = timezone.now() - dt.timedelta(days=2)
    question = factories.QuestionFactory(
        open_time=close - dt.timedelta(days=30), scheduled_close_time=close, status=Question.Status.CLOSED
    )
    question = question_resolve(question=question, outcome=0.0, known_at=close + dt.timedelta(days=1))
    assert question.actual_close_time == close


@pytest.mark.parametrize("status", [Question.Status.RESOLVED, Question.Status.ANNULLED])
def test_resolving_a_resolved_or_annulled_question_is_a_state_error(open_question, status):
    Question.objects.filter(pk=open_question.pk).update(status=status)
    with pytest.raises(StateError, match="unresolve it first"):
        question_resolve(question=open_question, outcome=1.0, known_at=timezone.now())


def test_a_draft_cannot_be_resolved(db):
    draft = factories.QuestionFactory(status=Question.Status.DRAFT)
    with pytest.raises(StateError, match="draft"):
        question_resolve(question=draft, outcome=1.0, known_at=timezone.now())


@pytest.mark.parametrize("status", [Question.Status.OPEN, Question.Status.CLOSED, Question.Status.DRAFT])
def test_unresolving_a_question_that_is_not_resolved_is_a_state_error(db, status):
    question = factories.QuestionFactory(status=status)
    with pytest.raises(StateError, match="Only a resolved or annulled question"):
        question_unresolve(question=question)


def test_unresolve_goes_back_to_closed_and_clears_the_resolution(open_question):
    question_resolve(question=open_question, outcome=1.0, known_at=timezone.now())
    question = question_unresolve(question=open_question)
    assert question.status == Question.Status.CLOSED  # never reopened: the answer is public
    assert (question.outcome, question.known_at, question.actual_close_time, question.resolved_at) == (None,) * 4


def test_annul_without_known_at_closes_the_window_at_the_annulment(open_question):
    before = timezone.now()
    question = question_annul(question=open_question)
    assert question.status == Question.Status.ANNULLED and question.outcome is None
    assert before <= question.actual_close_time <= timezone.now()


@pytest.mark.parametrize(
    "kwargs, outcome, ok",
    [
        ({}, 1.0, True),
        ({}, 0.0, True),
        ({}, 0.5, False),
        ({}, math.nan, False),
        ({}, True, False),  # a bool is not a number here
    ],
)
def test_binary_outcomes_are_one_or_zero(db, kwargs, outcome, ok):
    question = factories.QuestionFactory(**kwargs)
    if ok:
        assert outcome_validate(question=question, outcome=outcome) == outcome
    else:
        with pytest.raises(ValidationError) as exc:
            outcome_validate(question=question, outcome=outcome)
        assert exc.value.field == "outcome"


@pytest.mark.parametrize(
    "open_lower, open_upper, log_scale, outcome, error",
    [
        (False, False, False, 20.0, None),
        (False, False, False, 40.0, None),  # the bound itself is inside
        (False, False, False, 45.0, "above the range maximum 40 and the upper bound is closed"),
        (False, False, False, -1.0, "below the range minimum 0.5 and the lower bound is closed"),
        (False, True, False, 45.0, None),  # open upper side: any value above is allowed
        (True, False, False, 0.1, None),
        (False, False, True, 0.0, "positive outcome"),
        (False, False, False, math.inf, "finite"),
    ],
)
def test_numeric_outcomes_outside_a_closed_range_are_refused(db, open_lower, open_upper, log_scale, outcome, error):
    question = factories.NumericQuestionFactory(
        range_min=0.5, range_max=40.0, open_lower_bound=open_lower, open_upper_bound=open_upper, log_scale=log_scale
    )
    if error is None:
        assert outcome_validate(question=question, outcome=outcome) == outcome
    else:
        with pytest.raises(ValidationError, match=error):
            outcome_validate(question=question, outcome=outcome)


def test_known_at_must_be_aware_public_and_after_the_open_time(open_question):
    with pytest.raises(ValidationError, match="timezone-aware") as exc:
        question_resolve(question=open_question, outcome=1.0, known_at=dt.datetime(2026, 1, 1))
    assert exc.value.field == "known_at"
    with pytest.raises(ValidationError, match="in the future"):
        question_resolve(question=open_question, outcome=1.0, known_at=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="Annul the question instead"):
        question_resolve(question=open_question, outcome=1.0, known_at=open_question.open_time - dt.timedelta(days=1))
    assert Question.objects.get(pk=open_question.pk).status == Question.Status.OPEN


# ----------------------------------------------------------------------------------------------------------------
# Readouts and proposals
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "comparator, threshold, value, expected",
    [
        ("<", 0.7, 0.64, 1.0),
        ("<", 0.7, 0.70, 0.0),
        ("<=", 0.7, 0.70, 1.0),
        ("<=", 0.7, 0.71, 0.0),
        (">", 0.7, 0.71, 1.0),
        (">", 0.7, 0.70, 0.0),
        (">=", 0.7, 0.70, 1.0),
        (">=", 0.7, 0.69, 0.0),
        ("==", 1, 1, 1.0),  # flag metrics are compared with ==
        ("==", 1, 0, 0.0),
        ("==", 0.3, 0.1 + 0.2, 1.0),  # floating-point noise does not flip an equality
    ],
)
def test_a_readout_proposes_the_comparator_outcome_for_bound_binary_questions(trial, pfs, comparator, threshold,
                                                                             value, expected):
    metric = "met_endpoint" if comparator == "==" and threshold == 1 else "hazard_ratio"
    question = bound_question(trial, pfs, comparator=comparator, threshold=threshold, metric=metric)
    readout(trial, pfs, value=value, metric=metric)
    proposal = ProposedResolution.objects.get(question=question)
    assert (proposal.outcome, proposal.status) == (expected, P.PENDING)


def test_a_readout_proposes_its_value_for_bound_numeric_questions(trial, pfs):
    question = bound_numeric_question(trial, pfs)
    readout(trial, pfs, value=0.58)
    assert ProposedResolution.objects.get(question=question).outcome == 0.58


def test_only_questions_bound_to_the_same_trial_endpoint_and_metric_get_proposals(trial, pfs):
    os_endpoint = factories.EndpointFactory(code="OS")
    other_trial = factories.TrialFactory()
    bound = bound_question(trial, pfs)
    other_metric = bound_question(trial, pfs, metric="median_months_experimental", threshold=20, comparator=">")
    other_endpoint = bound_question(trial, os_endpoint)
    elsewhere = bound_question(other_trial, pfs)
    unbound = factories.QuestionFactory(trial=trial, endpoint=pfs)
    resolved = bound_question(trial, pfs, status=Question.Status.RESOLVED)
    draft = bound_question(trial, pfs, status=Question.Status.DRAFT)
    readout(trial, pfs)
    proposed = set(ProposedResolution.objects.values_list("question_id", flat=True))
    assert proposed == {bound.pk}
    assert not proposed & {other_metric.pk, other_endpoint.pk, elsewhere.pk, unbound.pk, resolved.pk, draft.pk}


def test_proposals_are_idempotent_and_follow_an_updated_readout(trial, pfs, staff_user):
    question = bound_question(trial, pfs)
    fields = dict(trial=trial, endpoint=pfs, metric="hazard_ratio", source="ESMO 2026", known_at=timezone.now())
    r1, created = readouts.readout_upsert(value=0.64, **fields)
    r2, created_again = readouts.readout_upsert(value=0.74, **fields)
    assert created and not created_again and r1.pk == r2.pk
    proposal = ProposedResolution.objects.get(question=question)
    assert proposal.outcome == 0.0  # updated with the corrected value while pending


def test_readout_create_refuses_a_duplicate_source(trial, pfs):
    readout(trial, pfs, source="ASCO")
    with pytest.raises(ValidationError, match="already exists") as exc:
        readout(trial, pfs, source="ASCO")
    assert exc.value.field == "source"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"value": math.nan}, "value", "finite"),
        ({"value": "0.6"}, "value", "must be a number"),
        ({"metric": "hazard"}, "metric", "must be one of"),
        ({"metric": "p_value", "value": 1.5}, "value", "between 0 and 1"),
        ({"p_value": -0.01}, "p_value", "between 0 and 1"),
        ({"metric": "met_endpoint", "value": 0.5}, "value", r"must be 1 \(yes\) or 0 \(no\)"),
        ({"metric": "statistically_significant", "value": 2}, "value", r"must be 1 \(yes\) or 0 \(no\)"),
        ({"metric": "disclosed", "value": -1}, "value", r"must be 1 \(yes\) or 0 \(no\)"),
        ({"ci_lower": 0.8, "ci_upper": 0.5}, "ci_lower", "must not exceed ci_upper"),
        ({"value": 0}, "value", "ratio is positive"),
        ({"metric": "rate_experimental", "value": 120}, "value", "between 0 and 100"),
        ({"known_at": dt.datetime(2026, 5, 1)}, "known_at", "timezone-aware"),
        ({"source": "  "}, "source", "required"),
        ({"url": "not a url"}, "url", "http"),
    ],
)
def test_readout_validation_names_the_field(trial, pfs, overrides, field, message):
    fields = dict(trial=trial, endpoint=pfs, metric="hazard_ratio", value=0.6, source="ASCO",
                  known_at=timezone.now())
    fields.update(overrides)
    with pytest.raises(ValidationError, match=message) as exc:
        readouts.readout_create(**fields)
    assert exc.value.field == field
    assert not Readout.objects.exists()


def test_readout_with_future_known_at_is_stored_but_confirming_waits(trial, pfs, staff_user):
    bound_question(trial, pfs)
    r = readout(trial, pfs, known_at=timezone.now() + dt.timedelta(days=2))
    proposal = ProposedResolution.objects.get(readout=r)
    with pytest.raises(ValidationError, match="in the future"):
        services.proposal_confirm(proposal=proposal, actor=staff_user)
    proposal.refresh_from_db()
    assert proposal.status == P.PENDING


# ----------------------------------------------------------------------------------------------------------------
# Confirm / reject / confirm all, with the audit trail and the task
# ----------------------------------------------------------------------------------------------------------------
def test_confirming_a_proposal_resolves_writes_an_event_and_enqueues_after_commit(
    trial, pfs, staff_user, steps, django_capture_on_commit_callbacks
):
    question = bound_question(trial, pfs)
    r = readout(trial, pfs, value=0.64, url="https://example.org/abstract", p_value=0.001, ci_lower=0.5, ci_upper=0.8)
    proposal = ProposedResolution.objects.get(question=question)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.proposal_confirm(proposal=proposal, actor=staff_user, note="Checked the slides")
        assert steps == []  # nothing runs inside the open transaction
    assert len(callbacks) == 1
    callbacks[0]()
    question.refresh_from_db()
    assert (question.status, question.outcome, question.known_at) == (Question.Status.RESOLVED, 1.0, r.known_at)
    event = ResolutionEvent.objects.exclude(action=A.HALT).get(question=question)
    assert (event.action, event.actor, event.readout, event.proposal) == (A.CONFIRM_PROPOSAL, staff_user, r, proposal)
    assert (event.outcome, event.source, event.url, event.note) == (1.0, r.source, r.url, "Checked the slides")
    assert [name for name, _ in steps] == [
        "market_settle", "question_score", "leaderboards_rebuild", "question_notify_resolution"
    ]
    assert steps[1] == ("question_score", {"question_id": question.pk})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (P.CONFIRMED, staff_user)


def test_confirming_twice_is_a_state_error(trial, pfs, staff_user, steps):
    bound_question(trial, pfs)
    readout(trial, pfs)
    proposal = ProposedResolution.objects.get()
    services.proposal_confirm(proposal=proposal, actor=staff_user)
    with pytest.raises(StateError, match="confirmed"):
        services.proposal_confirm(proposal=proposal, actor=staff_user)
    assert ResolutionEvent.objects.exclude(action=A.HALT).count() == 1


def test_confirming_one_source_supersedes_the_others(trial, pfs, staff_user, steps):
    question = bound_question(trial, pfs)
    early = readout(trial, pfs, source="Abstract", known_at=timezone.now() - dt.timedelta(days=2))
    readout(trial, pfs, source="Full paper", value=0.66)
    first = ProposedResolution.objects.get(readout=early)
    services.proposal_confirm(proposal=first, actor=staff_user)
    assert dict(ProposedResolution.objects.filter(question=question).values_list("readout__source", "status")) == {
        "Abstract": P.CONFIRMED, "Full paper": P.SUPERSEDED,
    }


def test_rejecting_a_proposal_leaves_the_question_open_and_is_audited(trial, pfs, staff_user, steps):
    question = bound_question(trial, pfs)
    r = readout(trial, pfs)
    proposal = ProposedResolution.objects.get()
    services.proposal_reject(proposal=proposal, actor=staff_user, note="Subgroup analysis, not ITT")
    question.refresh_from_db()
    assert question.status == Question.Status.OPEN and question.pending_since is None
    assert list(ResolutionEvent.objects.values_list("action", flat=True)) == [A.HALT, A.REJECT_PROPOSAL, A.RELEASE]
    event = ResolutionEvent.objects.get(action=A.REJECT_PROPOSAL)
    assert (event.action, event.actor, event.readout, event.note) == (
        A.REJECT_PROPOSAL, staff_user, r, "Subgroup analysis, not ITT"
    )
    assert steps == []
    with pytest.raises(StateError):
        services.proposal_reject(proposal=proposal, actor=staff_user)


def test_confirm_all_resolves_every_pending_proposal_and_reports_failures(trial, pfs, staff_user, steps):
    q1 = bound_question(trial, pfs, comparator="<", threshold=0.7)
    q2 = bound_question(trial, pfs, comparator="<", threshold=0.6)
    q3 = bound_numeric_question(trial, pfs, open_lower_bound=False, range_min=0.7)  # 0.64 lies below a closed bound
    readout(trial, pfs, value=0.64)
    result = services.proposals_confirm_all(actor=staff_user)
    assert {p.question_id for p in result.confirmed} == {q1.pk, q2.pk}
    assert [(p.question_id, "closed" in message) for p, message in result.failed] == [(q3.pk, True)]
    outcomes = dict(Question.objects.filter(pk__in=[q1.pk, q2.pk]).values_list("pk", "outcome"))
    assert outcomes == {q1.pk: 1.0, q2.pk: 0.0}
    assert Question.objects.get(pk=q3.pk).status == Question.Status.PENDING  # halted until decided
    assert ResolutionEvent.objects.filter(action=A.CONFIRM_PROPOSAL, actor=staff_user).count() == 2


def test_confirm_all_of_one_readout_leaves_the_others(trial, pfs, staff_user, steps):
    bound_question(trial, pfs)
    os_endpoint = factories.EndpointFactory(code="OS")
    other = bound_question(trial, os_endpoint)
    r = readout(trial, pfs)
    readout(trial, os_endpoint, value=0.9)
    result = services.proposals_confirm_all(actor=staff_user, readout=r)
    assert len(result.confirmed) == 1
    assert ProposedResolution.objects.get(question=other).status == P.PENDING


# ----------------------------------------------------------------------------------------------------------------
# By hand: resolve, annul, unresolve, re-resolve
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("outcome, expected", [("yes", 1.0), ("no", 0.0), ("YES ", 1.0), (1, 1.0), (0, 0.0)])
def test_an_unbound_binary_question_is_resolved_by_hand(open_question, staff_user, steps, outcome, expected):
    known_at = timezone.now() - dt.timedelta(hours=3)
    question = services.question_resolve_manual(
        question=open_question, outcome=outcome, known_at=known_at, source="Press release", note="Topline", actor=staff_user
    )
    assert (question.status, question.outcome, question.actual_close_time) == (Question.Status.RESOLVED, expected, known_at)
    event = ResolutionEvent.objects.get()
    assert (event.action, event.outcome, event.source, event.note, event.actor) == (
        A.RESOLVE, expected, "Press release", "Topline", staff_user
    )


@pytest.mark.parametrize("outcome", ["maybe", "0.5", None, [1]])
def test_bad_binary_outcomes_by_hand_are_refused(open_question, staff_user, outcome):
    with pytest.raises(ValidationError) as exc:
        services.question_resolve_manual(question=open_question, outcome=outcome, known_at=timezone.now(), actor=staff_user)
    assert exc.value.field == "outcome"
    assert not ResolutionEvent.objects.exists()


def test_a_numeric_question_is_resolved_by_hand_to_a_value(open_numeric_question, staff_user, steps):
    question = services.question_resolve_manual(
        question=open_numeric_question, outcome="52.5", known_at=timezone.now(), actor=staff_user
    )
    assert question.outcome == 52.5  # above the range, allowed: the upper bound is open


def test_resolving_by_hand_needs_known_at(open_question, staff_user):
    with pytest.raises(ValidationError, match="known_at is required"):
        services.question_resolve_manual(question=open_question, outcome="yes", known_at=None, actor=staff_user)


def test_annul_by_hand_supersedes_proposals_and_refunds(trial, pfs, staff_user, steps):
    question = bound_question(trial, pfs)
    readout(trial, pfs)
    services.question_resolve_manual(question=question, outcome="annulled", known_at=None, note="Trial stopped",
                                     actor=staff_user)
    question.refresh_from_db()
    assert question.status == Question.Status.ANNULLED
    assert ProposedResolution.objects.get().status == P.SUPERSEDED
    assert list(ResolutionEvent.objects.values_list("action", flat=True)) == [A.HALT, A.ANNUL]


def test_annulled_question_processing_refunds_and_clears(open_question, staff_user, steps,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="annulled", known_at=None, actor=staff_user)
    assert [name for name, _ in steps] == [
        "market_refund", "question_scores_clear", "leaderboards_rebuild", "question_notify_resolution"
    ]


def test_unresolve_then_re_resolve_is_audited_and_processed_each_time(open_question, staff_user, steps,
                                                                     django_capture_on_commit_callbacks):
    known_at = timezone.now() - dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="yes", known_at=known_at, actor=staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.question_unresolve_manual(question=open_question, actor=staff_user, note="Wrong endpoint")
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="no", known_at=known_at, actor=staff_user)
    actions = list(ResolutionEvent.objects.order_by("pk").values_list("action", "outcome", "actor"))
    assert actions == [(A.RESOLVE, 1.0, staff_user.pk), (A.UNRESOLVE, None, staff_user.pk), (A.RESOLVE, 0.0, staff_user.pk)]
    names = [name for name, _ in steps]
    assert names.count("question_score") == 2 and names.count("question_scores_clear") == 1
    unresolve_steps = names[names.index("question_notify_resolution") + 1:][:4]
    # the first unsettle runs inside the unresolve transaction, the rest in the task
    assert unresolve_steps == ["market_unsettle", "market_unsettle", "question_scores_clear", "leaderboards_rebuild"]
    assert Question.objects.get(pk=open_question.pk).outcome == 0.0


def test_unresolve_makes_used_proposals_pending_again(trial, pfs, staff_user, steps):
    question = bound_question(trial, pfs)
    readout(trial, pfs, source="A")
    readout(trial, pfs, source="B")
    services.proposal_confirm(proposal=ProposedResolution.objects.filter(readout__source="A").get(), actor=staff_user)
    services.question_unresolve_manual(question=question, actor=staff_user)
    assert set(ProposedResolution.objects.values_list("status", flat=True)) == {P.PENDING}


def test_unresolving_an_open_question_is_a_state_error_and_writes_nothing(open_question, staff_user):
    with pytest.raises(StateError):
        services.question_unresolve_manual(question=open_question, actor=staff_user)
    assert not ResolutionEvent.objects.exists()


def test_forecasts_are_refused_after_resolution(open_question, staff_user, user, steps):
    services.question_resolve_manual(question=open_question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    with pytest.raises(StateError, match="resolved"):
        forecast_create(question=open_question, user=user, probability=0.4)


# ----------------------------------------------------------------------------------------------------------------
# The task, against the real scoring and market code
# ----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def forecasters(db):
    return [factories.UserFactory() for _ in range(3)]


def _scores(question):
    return sorted(
        Score.objects.filter(question=question).values_list("subject", "user_id", "loss", "relative", "coverage")
    , key=lambda row: (row[0], row[1] or 0))


def test_resolution_scores_forecasters_and_the_task_twice_gives_identical_rows(
    open_question, staff_user, forecasters, django_capture_on_commit_callbacks
):
    with_forecasts(open_question, forecasters, [0.2, 0.5, 0.9])
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    first = _scores(open_question)
    assert {row[1] for row in first if row[0] == "forecaster"} == {u.pk for u in forecasters}
    by_user = {row[1]: row[2] for row in first if row[0] == "forecaster"}
    assert by_user[forecasters[2].pk] < by_user[forecasters[1].pk] < by_user[forecasters[0].pk]  # 0.9 on a yes wins
    result = tasks.process_resolution.apply(args=[open_question.pk]).get()
    assert result["status"] == "resolved"
    assert _scores(open_question) == first


def test_unresolve_and_re_resolve_to_the_other_outcome_replaces_every_score(
    open_question, staff_user, forecasters, django_capture_on_commit_callbacks
):
    from forecasting.models import LeaderboardEntry

    with_forecasts(open_question, forecasters, [0.2, 0.5, 0.9])
    known_at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="yes", known_at=known_at, actor=staff_user)
    yes_scores = _scores(open_question)
    with django_capture_on_commit_callbacks(execute=True):
        services.question_unresolve_manual(question=open_question, actor=staff_user)
    assert not Score.objects.filter(question=open_question).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="no", known_at=known_at, actor=staff_user)
    no_scores = _scores(open_question)
    assert len(no_scores) == len(yes_scores)  # replaced, never duplicated
    by_user = {row[1]: row[2] for row in no_scores if row[0] == "forecaster"}
    assert by_user[forecasters[0].pk] < by_user[forecasters[2].pk]  # now 0.2 wins
    entries = LeaderboardEntry.objects.filter(scope_kind="global")
    assert entries.count() == len(forecasters)
    assert entries.get(user=forecasters[0]).rank == 1


def test_market_is_settled_and_an_unresolve_reverses_it_at_once(open_question, staff_user, forecasters,
                                                                django_capture_on_commit_callbacks):
    trader = forecasters[0]
    account_grant(account=account_for_user(user=trader), amount_millipoints=100_000, key=f"grant:res:{trader.pk}")
    market = market_create(question=open_question, b=100, created_by=staff_user)
    trade_buy_shares(market=market, user=trader, outcome=1, shares=10)
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    market.refresh_from_db()
    assert (market.status, market.winning_outcome) == (Market.Status.SETTLED, 1)
    with django_capture_on_commit_callbacks(execute=False):
        services.question_unresolve_manual(question=open_question, actor=staff_user)
        market.refresh_from_db()
        # reversed inside the unresolve itself, before any task runs
        assert market.status == Market.Status.CLOSED
    with django_capture_on_commit_callbacks(execute=True):
        services.question_resolve_manual(question=open_question, outcome="no", known_at=timezone.now(), actor=staff_user)
    market.refresh_from_db()
    assert (market.status, market.winning_outcome) == (Market.Status.SETTLED, 0)


def test_the_sweep_enqueues_resolved_questions_without_scores(open_question, staff_user, forecasters, monkeypatch):
    with_forecasts(open_question, forecasters, [0.3, 0.6, 0.8])
    # resolved without running the task (a lost message)
    services.question_resolve_manual(question=open_question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    assert not Score.objects.filter(question=open_question).exists()
    assert tasks.sweep_unscored_resolutions.apply().get() == 1
    assert Score.objects.filter(question=open_question, subject="forecaster").count() == 3
    assert tasks.sweep_unscored_resolutions.apply().get() == 0


def test_the_task_drops_a_question_that_no_longer_exists(db):
    assert tasks.process_resolution.apply(args=[987654]).get()["status"] == "missing"


def test_the_task_is_acks_late_and_retries_with_backoff():
    task = tasks.process_resolution
    assert task.acks_late is True
    assert task.retry_backoff and task.max_retries == 5
    assert Exception in task.autoretry_for


def test_a_readout_used_as_evidence_cannot_be_deleted_but_its_question_can(trial, pfs, staff_user, steps):
    from django.db.models import RestrictedError

    question = bound_question(trial, pfs)
    r = readout(trial, pfs)
    services.proposal_confirm(proposal=ProposedResolution.objects.get(), actor=staff_user)
    with pytest.raises(RestrictedError):
        r.delete()
    question.delete()  # the audit trail goes with its question
    assert not ResolutionEvent.objects.exists() and not ProposedResolution.objects.exists()


def test_resolution_events_are_append_only(open_question, staff_user, steps):
    services.question_resolve_manual(question=open_question, outcome="yes", known_at=timezone.now(), actor=staff_user)
    event = ResolutionEvent.objects.get()
    event.note = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        ResolutionEvent.objects.update(note="x")
