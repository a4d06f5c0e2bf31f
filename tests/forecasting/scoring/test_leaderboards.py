"""leaderboards_rebuild: scopes, ordering by sum of relative scores, the min-questions rule, replacement."""
import datetime as dt

import pytest
from django.utils import timezone

from forecasting.models import LeaderboardEntry, LeaderboardScope, Score
from forecasting.scoring.selectors import leaderboard
from forecasting.scoring.services.leaderboards import leaderboards_rebuild
from forecasting.scoring.services.scoring import question_score, question_scores_clear
from tests import factories
from tests.forecasting.scoring.scoring_helpers import community, forecast, resolved_question

pytestmark = pytest.mark.django_db


def _score(question, user, *, relative, loss, coverage=1.0, baseline=10.0, peer=0.0):
    return Score.objects.create(
        question=question, user=user, subject="forecaster", loss=loss, relative=relative, coverage=coverage,
        baseline=baseline, peer=peer, active_seconds=100, forecasts_count=1, computed_at=timezone.now(),
    )


def _board(kind="global", key="global", ordering="relative"):
    return [(e.user.username, e.rank if ordering == "relative" else e.rank_by_mean)
            for e in leaderboard(scope_kind=kind, scope_key=key, ordering=ordering)]


@pytest.fixture
def three_questions(db, settings):
    """q1, q2 in trial T (asset A, indication RRMM) resolved in 2026; q3 elsewhere, resolved in 2025."""
    settings.READOUT = {**settings.READOUT, "LEADERBOARD_MIN_QUESTIONS": 2}
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", assets=[asset])
    q1 = resolved_question(outcome=1.0, asset=asset, trial=trial)
    q2 = resolved_question(outcome=0.0, trial=trial)  # no asset of its own: the trial's asset counts
    q3 = resolved_question(outcome=1.0, resolved_at=dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc))
    users = {name: factories.UserFactory(username=name) for name in ("ann", "bob", "cat", "dan")}
    _score(q1, users["ann"], relative=-0.10, loss=0.10)
    _score(q2, users["ann"], relative=0.02, loss=0.30)   # ann: sum -0.08 over 2, mean loss .20
    _score(q1, users["bob"], relative=-0.05, loss=0.05)  # bob: 1 question, sum -0.05: not in the mean ordering
    _score(q1, users["cat"], relative=-0.03, loss=0.12)
    _score(q3, users["cat"], relative=-0.05, loss=0.06)  # cat: sum -0.08 over 2 (tie with ann), mean loss .09
    _score(q3, users["dan"], relative=0.20, loss=0.50)
    _score(q2, users["dan"], relative=None, loss=None, coverage=0.0)  # forecast only after the close: not counted
    return {"q1": q1, "q2": q2, "q3": q3, "asset": asset, "trial": trial, **users}


def test_global_board_ranks_by_sum_of_relative_with_shared_ranks(three_questions):
    leaderboards_rebuild()
    # ann and cat tie at -0.08 (rank 1 each), then bob -0.05 (rank 3), dan +0.20 (rank 4)
    assert _board() == [("ann", 1), ("cat", 1), ("bob", 3), ("dan", 4)]
    ann = LeaderboardEntry.objects.get(scope_kind="global", user=three_questions["ann"])
    assert (ann.questions, ann.sum_relative) == (2, pytest.approx(-0.08))
    assert ann.mean_loss == pytest.approx(0.20)
    assert ann.mean_baseline == pytest.approx(10.0)
    dan = LeaderboardEntry.objects.get(scope_kind="global", user=three_questions["dan"])
    assert dan.questions == 1  # the unscored question does not count


def test_mean_ordering_needs_the_minimum_number_of_questions(three_questions):
    leaderboards_rebuild()
    assert _board(ordering="mean") == [("cat", 1), ("ann", 2)]  # mean loss .09 < .20; bob and dan have 1 question
    bob = LeaderboardEntry.objects.get(scope_kind="global", user=three_questions["bob"])
    assert (bob.qualifies_for_mean_ranking, bob.rank_by_mean) == (False, None)


def test_scoped_boards_hold_only_their_questions(three_questions):
    leaderboards_rebuild()
    trial, asset = three_questions["trial"], three_questions["asset"]
    assert _board("season", "2026") == [("ann", 1), ("bob", 2), ("cat", 3)]
    assert _board("season", "2025") == [("cat", 1), ("dan", 2)]
    assert _board("trial", trial.slug) == [("ann", 1), ("bob", 2), ("cat", 3)]
    assert _board("asset", asset.slug) == [("ann", 1), ("bob", 2), ("cat", 3)]
    assert _board("indication", trial.indication.slug) == [("ann", 1), ("bob", 2), ("cat", 3)]
    scope = LeaderboardScope.objects.get(kind="trial", key=trial.slug)
    assert (scope.label, scope.question_count, scope.entry_count) == ("SUCCESSOR-2", 2, 3)


def test_rebuild_for_one_question_touches_its_scopes(three_questions):
    q3 = three_questions["q3"]
    assert set(leaderboards_rebuild(question_id=q3.pk)) == {("global", "global"), ("season", "2025")}
    assert not LeaderboardEntry.objects.filter(scope_kind="trial").exists()


def test_rebuilding_twice_gives_identical_entries(three_questions):
    fields = ("scope_kind", "scope_key", "user_id", "rank", "sum_relative", "questions", "mean_loss", "rank_by_mean")
    leaderboards_rebuild()
    first = sorted(LeaderboardEntry.objects.values_list(*fields))
    leaderboards_rebuild()
    assert sorted(LeaderboardEntry.objects.values_list(*fields)) == first


def _two_forecaster_question(trial):
    """A YES question: ann says .9 throughout, bob .2; the crowd is their mean .55."""
    q = resolved_question(outcome=1.0, trial=trial)
    ann, bob = factories.UserFactory(username="ann"), factories.UserFactory(username="bob")
    forecast(q, ann, 0, 0.9)
    forecast(q, bob, 0, 0.2)
    community(q, 0, 0.55, 0.6, count=2)
    return q, ann, bob


def test_reresolving_to_the_other_outcome_replaces_every_score_and_entry(db):
    trial = factories.TrialFactory()
    q, ann, bob = _two_forecaster_question(trial)
    question_score(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    assert _board("trial", trial.slug) == [("ann", 1), ("bob", 2)]
    count = LeaderboardEntry.objects.count()
    q.outcome = 0.0
    q.save()
    question_score(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    assert _board("trial", trial.slug) == [("bob", 1), ("ann", 2)]
    assert LeaderboardEntry.objects.count() == count  # replaced, not added
    # NO: ann .81, crowd .3025 -> relative .5075
    assert LeaderboardEntry.objects.get(scope_kind="global", user=ann).sum_relative == pytest.approx(0.81 - 0.3025)


def test_unresolving_removes_the_question_from_every_board(db):
    trial = factories.TrialFactory()
    q, ann, bob = _two_forecaster_question(trial)
    question_score(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    q.status, q.outcome, q.resolved_at = "closed", None, None
    q.save()
    question_scores_clear(question_id=q.pk)
    leaderboards_rebuild(question_id=q.pk)
    assert not LeaderboardEntry.objects.exists()  # the season board went too, although resolved_at is gone
    assert not LeaderboardScope.objects.exists()
