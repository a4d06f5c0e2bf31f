"""The resolution demo: past CARTITUDE-4 questions, forecast and resolved through the services, then scored."""
from assets.demo import assets_demo_load
from forecasting.models import LeaderboardEntry, ResolutionEvent, Score
from forecasting.resolution.demo import QUESTIONS, resolution_demo_load
from markets.models import Question
from tests.forecasting.resolution.test_resolution_services import eager_celery  # noqa: F401


def test_demo_resolves_past_questions_and_scores_them(db, django_capture_on_commit_callbacks):
    assets_demo_load()
    with django_capture_on_commit_callbacks(execute=True):
        lines = resolution_demo_load()
    assert any("resolved cartitude-4-pfs-hr-below-0-5 -> Yes" in line for line in lines)
    outcomes = dict(Question.objects.filter(slug__startswith="cartitude-4").values_list("slug", "outcome"))
    assert outcomes == {
        "cartitude-4-pfs-hr-below-0-5": 1.0,  # HR 0.26
        "cartitude-4-pfs-hazard-ratio": 0.26,
        "cartitude-4-control-median-pfs-12-months": 0.0,  # 11.8 months
        "cartitude-4-os-significant-2024": 1.0,
    }
    assert ResolutionEvent.objects.filter(action="confirm_proposal").count() == len(QUESTIONS)
    assert Score.objects.filter(question__slug__startswith="cartitude-4", subject="forecaster").count() > 20
    assert LeaderboardEntry.objects.filter(scope_kind="global").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert resolution_demo_load() == []  # idempotent
    # One halt (the readout stopped forecasting) and one confirmation per question, nothing more on a second load.
    assert ResolutionEvent.objects.filter(action="halt").count() == len(QUESTIONS)
    assert ResolutionEvent.objects.count() == 2 * len(QUESTIONS)
