"""Conditional pairs: validation (self, cycle, non-binary, closed), per-branch community forecasts, append-only
history, and branch scoring with hand-computed Brier, relative, baseline and peer scores."""
import datetime as dt
import math

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from assets.errors import StateError, ValidationError
from forecasting.conditional.models import ConditionalCommunityPoint, ConditionalForecast, ConditionalScore
from forecasting.conditional.scoring import conditional_pair_score, pair_branch_status
from forecasting.conditional.services import conditional_forecast_create, conditional_forecast_withdraw, pair_create
from forecasting.maths.aggregation import ActiveSet
from markets.models import Question
from tests import factories

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)


def at(s):
    return T0 + dt.timedelta(seconds=s)


def _question(**fields):
    return factories.QuestionFactory(open_time=T0, scheduled_close_time=at(10**8), **fields)


@pytest.fixture
def pair(db):
    return pair_create(parent=_question(), child=_question(), at=T0)


def _resolve(question, outcome, known=100):
    Question.objects.filter(pk=question.pk).update(status="resolved", outcome=outcome, known_at=at(known),
                                                   actual_close_time=at(known), resolved_at=at(known + 10))


def _annul(question):
    Question.objects.filter(pk=question.pk).update(status="annulled", outcome=None, resolved_at=at(200))


# --- validation ------------------------------------------------------------------------------------------------

def test_a_question_cannot_be_conditional_on_itself():
    q = _question()
    with pytest.raises(ValidationError) as err:
        pair_create(parent=q, child=q)
    assert err.value.field == "child"


def test_a_pair_that_closes_a_cycle_is_refused_and_nothing_is_stored():
    a, b, c = _question(), _question(), _question()
    pair_create(parent=a, child=b)
    pair_create(parent=b, child=c)
    with pytest.raises(ValidationError) as err:
        pair_create(parent=c, child=a)
    assert err.value.field == "child" and "cycle" in err.value.message
    with pytest.raises(ValidationError):
        pair_create(parent=b, child=a)  # the shortest cycle
    from forecasting.conditional.models import ConditionalPair
    assert ConditionalPair.objects.count() == 2


@pytest.mark.parametrize("side", ["parent", "child"])
def test_both_questions_must_be_binary(side):
    numeric = factories.NumericQuestionFactory()
    kwargs = {"parent": _question(), "child": _question(), side: numeric}
    with pytest.raises(ValidationError) as err:
        pair_create(**kwargs)
    assert err.value.field == side


def test_a_resolved_question_cannot_start_a_pair():
    parent = _question()
    _resolve(parent, 1)
    parent.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        pair_create(parent=parent, child=_question())
    assert err.value.field == "parent"


def test_the_same_pair_twice_is_refused():
    a, b = _question(), _question()
    pair_create(parent=a, child=b)
    with pytest.raises(ValidationError) as err:
        pair_create(parent=a, child=b)
    assert err.value.field == "child"


# --- forecasts ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [("p_yes", float("nan")), ("p_yes", 1.0), ("p_no", 0.0), ("p_no", "0.5"),
                                         ("p_yes", True), ("p_no", float("inf")), ("p_yes", None)])
def test_bad_probabilities_name_the_field_and_store_nothing(pair, user, field, value):
    values = {"p_yes": 0.5, "p_no": 0.5, field: value}
    with pytest.raises(ValidationError) as err:
        conditional_forecast_create(pair=pair, user=user, **values)
    assert err.value.field == field
    assert not ConditionalForecast.objects.exists() and not ConditionalCommunityPoint.objects.exists()


def test_forecasts_are_append_only_and_each_branch_has_its_community(pair):
    a, b, c = factories.UserFactory(), factories.UserFactory(), factories.UserFactory()
    conditional_forecast_create(pair=pair, user=a, p_yes=0.8, p_no=0.3, at=at(0))
    conditional_forecast_create(pair=pair, user=b, p_yes=0.6, p_no=0.5, at=at(50))
    first = conditional_forecast_create(pair=pair, user=c, p_yes=0.2, p_no=0.9, at=at(60))
    conditional_forecast_create(pair=pair, user=c, p_yes=0.4, p_no=0.1, at=at(70))
    points = list(ConditionalCommunityPoint.objects.order_by("pk"))
    assert [p.forecaster_count for p in points] == [1, 2, 3, 3]
    assert points[0].yes_median == 0.8 and points[0].no_median == 0.3
    assert points[1].yes_median == pytest.approx(0.7) and points[1].no_median == pytest.approx(0.4)
    # Three forecasters, recency weights exp(sqrt(n) - sqrt(3)): the same as the binary aggregate of each branch.
    yes, no = ActiveSet("binary"), ActiveSet("binary")
    for uid, py, pn in ((a.pk, 0.8, 0.3), (b.pk, 0.6, 0.5), (c.pk, 0.4, 0.1)):
        yes.upsert(uid, py)
        no.upsert(uid, pn)
    assert points[3].yes_median == pytest.approx(yes.binary_aggregates(a=1.5)[0])
    assert points[3].no_median == pytest.approx(no.binary_aggregates(a=1.5)[0])
    assert points[3].no_extremized == pytest.approx(no.binary_aggregates(a=1.5)[1])
    first.refresh_from_db()
    assert (first.p_yes, first.p_no) == (0.2, 0.9)  # the older row is untouched
    with pytest.raises(TypeError):
        first.save()
    pair.refresh_from_db()
    assert pair.forecaster_count == 3


def test_withdrawal_removes_the_forecaster_from_both_branches(pair):
    a, b = factories.UserFactory(), factories.UserFactory()
    conditional_forecast_create(pair=pair, user=a, p_yes=0.8, p_no=0.3, at=at(0))
    conditional_forecast_create(pair=pair, user=b, p_yes=0.6, p_no=0.5, at=at(10))
    conditional_forecast_withdraw(pair=pair, user=a, at=at(20))
    latest = ConditionalCommunityPoint.objects.order_by("-pk").first()
    assert (latest.forecaster_count, latest.yes_median, latest.no_median) == (1, 0.6, 0.5)
    with pytest.raises(StateError):
        conditional_forecast_withdraw(pair=pair, user=a, at=at(30))


def test_no_forecast_once_the_parent_stops_taking_them(pair, user):
    Question.objects.filter(pk=pair.parent_id).update(status="closed")
    pair.parent.refresh_from_db()
    with pytest.raises(StateError):
        conditional_forecast_create(pair=pair, user=user, p_yes=0.5, p_no=0.5)
    assert not ConditionalForecast.objects.exists()


# --- scoring -----------------------------------------------------------------------------------------------------

def _two_forecasters(pair):
    a, b = factories.UserFactory(), factories.UserFactory()
    conditional_forecast_create(pair=pair, user=a, p_yes=0.8, p_no=0.3, at=at(0))
    conditional_forecast_create(pair=pair, user=b, p_yes=0.6, p_no=0.5, at=at(50))
    return a, b


def _scores(pair):
    return {(s.branch, s.subject, s.user_id): s for s in ConditionalScore.objects.filter(pair=pair)}


def test_parent_yes_scores_the_yes_branch_by_hand_and_annuls_the_no_branch(pair):
    a, b = _two_forecasters(pair)
    _resolve(pair.parent, 1)
    _resolve(pair.child, 1)
    assert conditional_pair_score(pair_id=pair.pk) == "yes"
    s = _scores(pair)
    assert {k[0] for k in s} == {"yes"}  # nothing on the annulled branch
    sa, sb = s[("yes", "forecaster", a.pk)], s[("yes", "forecaster", b.pk)]
    crowd = s[("yes", "community_median", None)]
    # W = [0, 100). a: 0.8 throughout; b: 0.6 from 50; crowd 0.8 then median(0.6, 0.8) = 0.7 from 50.
    assert sa.loss == pytest.approx(0.04) and sa.coverage == pytest.approx(1.0)
    assert sb.loss == pytest.approx(0.16) and sb.coverage == pytest.approx(0.5)
    assert crowd.loss == pytest.approx((0.04 * 50 + 0.09 * 50) / 100)
    assert sa.relative == pytest.approx(50 * (0.04 - 0.09) / 100)
    assert sb.relative == pytest.approx(50 * (0.16 - 0.09) / 100)
    assert sa.baseline == pytest.approx(100 * (math.log2(0.8) + 1))
    assert sb.baseline == pytest.approx(0.5 * 100 * (math.log2(0.6) + 1))
    gm = math.sqrt(0.8 * 0.6)
    assert sa.peer == pytest.approx(0.5 * 100 * 2 * math.log(0.8 / gm))
    assert sb.peer == pytest.approx(0.5 * 100 * 2 * math.log(0.6 / gm))
    pair.parent.refresh_from_db()
    pair.child.refresh_from_db()
    status = pair_branch_status(pair)
    assert (status.yes, status.no) == ("scored", "annulled")


def test_parent_no_scores_the_no_branch_by_hand(pair):
    a, b = _two_forecasters(pair)
    _resolve(pair.parent, 0, known=100)
    _resolve(pair.child, 0, known=150)  # the window ends when the parent's answer was known
    assert conditional_pair_score(pair_id=pair.pk) == "no"
    s = _scores(pair)
    assert {k[0] for k in s} == {"no"}
    sa, sb = s[("no", "forecaster", a.pk)], s[("no", "forecaster", b.pk)]
    assert sa.loss == pytest.approx(0.09) and sb.loss == pytest.approx(0.25)
    assert s[("no", "community_median", None)].loss == pytest.approx((0.09 * 50 + 0.16 * 50) / 100)
    assert sa.relative == pytest.approx(50 * (0.09 - 0.16) / 100)
    assert sb.relative == pytest.approx(50 * (0.25 - 0.16) / 100)
    assert sa.baseline == pytest.approx(100 * (math.log2(0.7) + 1))


@pytest.mark.parametrize("annulled", ["parent", "child"])
def test_an_annulled_question_annuls_both_branches(pair, annulled):
    _two_forecasters(pair)
    _resolve(pair.parent, 1)
    _resolve(pair.child, 1)
    conditional_pair_score(pair_id=pair.pk)
    _annul(getattr(pair, annulled))
    assert conditional_pair_score(pair_id=pair.pk) == ""
    assert not ConditionalScore.objects.exists()
    pair.parent.refresh_from_db()
    pair.child.refresh_from_db()
    status = pair_branch_status(pair)
    assert (status.yes, status.no) == ("annulled", "annulled")


def test_the_branch_waits_for_the_child(pair):
    _two_forecasters(pair)
    _resolve(pair.parent, 1)
    assert conditional_pair_score(pair_id=pair.pk) == ""
    pair.parent.refresh_from_db()
    status = pair_branch_status(pair)
    assert (status.yes, status.no) == ("awaiting", "annulled")


def test_scoring_twice_gives_the_same_rows(pair):
    _two_forecasters(pair)
    _resolve(pair.parent, 1)
    _resolve(pair.child, 0)
    conditional_pair_score(pair_id=pair.pk)
    first = sorted((s.user_id or 0, s.subject, s.loss, s.relative) for s in ConditionalScore.objects.all())
    conditional_pair_score(pair_id=pair.pk)
    assert sorted((s.user_id or 0, s.subject, s.loss, s.relative) for s in ConditionalScore.objects.all()) == first


@hsettings(max_examples=25, deadline=None)
@given(p_yes=st.floats(0.001, 0.999), p_no=st.floats(0.001, 0.999), parent=st.sampled_from([0, 1]),
       child=st.sampled_from([0, 1]))
def test_a_lone_forecaster_scores_the_brier_of_the_branch_that_happened(p_yes, p_no, parent, child):
    from django.db import transaction

    with transaction.atomic():
        sid = transaction.savepoint()
        pair = pair_create(parent=_question(), child=_question(), at=T0)
        user = factories.UserFactory()
        conditional_forecast_create(pair=pair, user=user, p_yes=p_yes, p_no=p_no, at=at(0))
        _resolve(pair.parent, parent)
        _resolve(pair.child, child)
        branch = conditional_pair_score(pair_id=pair.pk)
        score = ConditionalScore.objects.get(pair=pair, user=user)
        p = p_yes if parent == 1 else p_no
        assert branch == ("yes" if parent == 1 else "no")
        assert score.loss == pytest.approx((p - child) ** 2, abs=1e-12)
        assert score.relative == pytest.approx(0.0, abs=1e-12)  # alone, the forecaster is the crowd
        transaction.savepoint_rollback(sid)
