"""The trial-native demo: a group and a conditional pair on SUCCESSOR-2, and a resolved CARTITUDE-4 question on
which the base-rate forecaster is scored and shows on the leaderboard with its source."""
from assets.demo import assets_demo_load
from forecasting.conditional.models import ConditionalPair
from forecasting.forecasts.demo import forecasters_demo_load, forecasts_demo_load
from forecasting.groups.demo import CARTITUDE_MET_SLUG, trial_native_demo_load
from forecasting.groups.models import QuestionGroup
from forecasting.resolution.demo import resolution_demo_load
from forecasting.scoring.models import Score
from forecasting.scoring.selectors_baserate import leaderboard_base_rate
from markets.demo import questions_demo_load
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401


def test_demo_has_a_group_a_pair_and_a_scored_base_rate(db, django_capture_on_commit_callbacks):
    assets_demo_load()
    _, questions = questions_demo_load()
    users = forecasters_demo_load()
    forecasts_demo_load(questions, users)
    with django_capture_on_commit_callbacks(execute=True):
        resolution_demo_load()
        lines = trial_native_demo_load()
    group = QuestionGroup.objects.get(trial__acronym="SUCCESSOR-2")
    assert group.status == "published" and group.members.count() >= 6
    assert not group.members.filter(template="primary_met_pfs").exists()  # the topline already answered it
    pair = ConditionalPair.objects.get(parent__slug="successor-2-pfs-hr-below-0-7")
    assert pair.child.slug == "successor-2-os-benefit-shown" and pair.forecaster_count == 10
    base = Score.objects.get(question__slug=CARTITUDE_MET_SLUG, subject="base_rate")
    assert base.loss == (1 - 0.526) ** 2
    assert "52.6%" in base.question.base_rate.source and "2006-2015" in base.question.base_rate.source
    assert leaderboard_base_rate(scope_kind="global", scope_key="global").questions == 1
    assert any("base rate scored" in line for line in lines)
    with django_capture_on_commit_callbacks(execute=True):
        assert trial_native_demo_load() == []  # idempotent
